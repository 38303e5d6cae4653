//! The progress bar of long runs (`simulate`, `report`, `backtest-alerts`): drawn on
//! stderr only when stderr is a terminal and `--quiet` is not given; hidden otherwise, so
//! pipes and logs stay clean.

use std::borrow::Cow;
use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sentinel::batch::BatchProgress;

/// A progress bar over the stages of a batch run.
pub(super) struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// Visible on a terminal stderr unless `quiet`.
    pub fn new(quiet: bool) -> Self {
        let visible = !quiet && std::io::stderr().is_terminal();
        let target = if visible {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(None, target);
        if let Ok(style) =
            ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}")
        {
            bar.set_style(style);
        }
        if visible {
            bar.enable_steady_tick(Duration::from_millis(120));
        }
        Self { bar }
    }

    /// What the run does now (e.g. drawing the charts), without moving the count.
    pub fn message(&self, text: impl Into<Cow<'static, str>>) {
        self.bar.set_message(text);
    }

    /// Counts `total` steps from zero (e.g. weekends replayed).
    pub fn count_to(&self, total: u64) {
        self.bar.set_length(total);
        self.bar.set_position(0);
    }

    /// One more step of the count.
    pub fn step(&self) {
        self.bar.inc(1);
    }

    /// Removes the bar from the terminal.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl BatchProgress for Progress {
    fn stage(&self, done: u64, total: u64, label: &str) {
        self.bar.set_length(total);
        self.bar.set_position(done);
        self.bar.set_message(label.to_owned());
    }
}
