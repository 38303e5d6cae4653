//! The running state of the monitor: which events were seen, the current window's
//! tallies and the reserve position. Updated on every accepted event, in log order, so
//! replaying the durable log rebuilds exactly the same state.
//!
//! The current window is the latest window (by event time) any accepted event fell in.
//! Events of older windows, or while the rails were open, are kept in the log as history
//! and counted in `events_total` but do not move the current tallies. An event after the
//! current window's end marks it closed.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

pub use crate::model::liquidity::{ReserveLayer, ReservePosition};
use crate::monitor::calendar::{MS_PER_HOUR, WindowCalendar};
use crate::monitor::event::{CountedCohort, EventKind, WithdrawalEvent, classify};

/// Tallies of one window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowTally {
    /// When the rails closed, Unix ms.
    pub opens_at_unix_ms: i64,
    /// Latest event time seen inside the window, Unix ms.
    pub latest_at_unix_ms: i64,
    /// True once an event after the window's end was seen.
    pub closed: bool,
    /// Retail withdrawals, IDR.
    pub retail_idr: u64,
    /// Institutional withdrawals, IDR.
    pub institutional_idr: u64,
    /// Deposits, IDR.
    pub deposits_idr: u64,
    /// Retail withdrawal events.
    pub retail_events: u64,
    /// Retail withdrawals per hour of the window, IDR.
    pub retail_hourly_idr: Vec<u64>,
    /// Each institutional withdrawal, IDR, in arrival order.
    pub institutional_jumps_idr: Vec<u64>,
}

impl WindowTally {
    fn new(opens_at_unix_ms: i64, hours: u32) -> Self {
        Self {
            opens_at_unix_ms,
            latest_at_unix_ms: opens_at_unix_ms,
            closed: false,
            retail_idr: 0,
            institutional_idr: 0,
            deposits_idr: 0,
            retail_events: 0,
            retail_hourly_idr: vec![0; hours as usize],
            institutional_jumps_idr: Vec::new(),
        }
    }
}

/// Hours from the close to the latest event of `window`, `0..=window_hours`: the whole
/// window once closed, 0 without a window.
fn elapsed_hours(window: Option<&WindowTally>, window_hours: u32) -> f64 {
    let hours = f64::from(window_hours);
    match window {
        None => 0.0,
        Some(w) if w.closed => hours,
        Some(w) => {
            let ms = (w.latest_at_unix_ms - w.opens_at_unix_ms) as f64;
            (ms / MS_PER_HOUR as f64).clamp(0.0, hours)
        }
    }
}

/// What applying an event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// First time seen: counted.
    Accepted,
    /// Its `event_id` was seen before: ignored.
    Duplicate,
}

/// Everything a projection is computed from (a snapshot of the state).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectionInputs {
    /// State version (number of changes ever applied).
    pub version: u64,
    /// Events accepted ever.
    pub events_total: u64,
    /// Window length, hours.
    pub window_hours: u32,
    /// The current window, if any event fell in one.
    pub window: Option<WindowTally>,
    /// The reserve.
    pub reserve: ReservePosition,
}

impl ProjectionInputs {
    /// Hours since the close at the latest event, `0..=window_hours` (the whole window once
    /// closed, 0 before any event).
    pub fn elapsed_hours(&self) -> f64 {
        elapsed_hours(self.window.as_ref(), self.window_hours)
    }

    /// Hours fully elapsed, whose retail flow is final.
    pub fn closed_hours(&self) -> u32 {
        (self.elapsed_hours().floor() as u32).min(self.window_hours)
    }

    /// Reserve left now: usable reserve + deposits − withdrawals, IDR (negative = breached).
    pub fn headroom_idr(&self) -> i128 {
        let hour = (self.elapsed_hours().floor() as u32).min(self.window_hours.saturating_sub(1));
        let usable = i128::from(self.reserve.usable_at_hour_idr(hour));
        match &self.window {
            None => usable,
            Some(w) => {
                usable + i128::from(w.deposits_idr)
                    - i128::from(w.retail_idr)
                    - i128::from(w.institutional_idr)
            }
        }
    }
}

/// The monitor's state.
#[derive(Debug, Clone)]
pub struct MonitorState {
    calendar: WindowCalendar,
    institutional_min_idr: u64,
    seen: HashSet<String>,
    events_total: u64,
    version: u64,
    window: Option<WindowTally>,
    reserve: ReservePosition,
}

impl MonitorState {
    /// An empty state on `calendar`, classifying unspecified events at
    /// `institutional_min_idr`, with `reserve` until one is set.
    pub fn new(
        calendar: WindowCalendar,
        institutional_min_idr: u64,
        reserve: ReservePosition,
    ) -> Self {
        Self {
            calendar,
            institutional_min_idr,
            seen: HashSet::new(),
            events_total: 0,
            version: 0,
            window: None,
            reserve,
        }
    }

    /// State version: the number of changes applied (events accepted + reserve changes).
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Resumes the version counter of a recovered log (never moves it backwards).
    pub fn resume_version(&mut self, version: u64) {
        self.version = self.version.max(version);
    }

    /// Whether `event_id` was already accepted.
    pub fn has_seen(&self, event_id: &str) -> bool {
        self.seen.contains(event_id)
    }

    /// Applies a validated event; a repeated `event_id` changes nothing.
    pub fn apply(&mut self, event: &WithdrawalEvent) -> Applied {
        if !self.seen.insert(event.event_id.clone()) {
            return Applied::Duplicate;
        }
        self.events_total += 1;
        self.version += 1;
        let at = event.occurred_at_unix_ms;
        let hours = self.calendar.window_hours();
        let current_opens = self.window.as_ref().map(|w| w.opens_at_unix_ms);
        match self.calendar.window_containing(at) {
            Some(opens) if current_opens.is_none_or(|c| opens > c) => {
                self.window = Some(WindowTally::new(opens, hours));
                self.add_to_window(event);
            }
            Some(opens) if current_opens == Some(opens) => self.add_to_window(event),
            _ => self.close_if_past(at),
        }
        Applied::Accepted
    }

    /// Replaces the reserve position.
    pub fn set_reserve(&mut self, reserve: ReservePosition) {
        self.reserve = reserve;
        self.version += 1;
    }

    /// The current reserve position.
    pub fn reserve(&self) -> &ReservePosition {
        &self.reserve
    }

    /// True while the current window exists and has not closed.
    pub fn window_open(&self) -> bool {
        self.window.as_ref().is_some_and(|w| !w.closed)
    }

    /// Hours since the close at the latest event (see [`ProjectionInputs::elapsed_hours`]).
    pub fn inputs_elapsed_hours(&self) -> f64 {
        let hours = f64::from(self.calendar.window_hours());
        match &self.window {
            None => 0.0,
            Some(w) if w.closed => hours,
            Some(w) => ((w.latest_at_unix_ms - w.opens_at_unix_ms) as f64 / MS_PER_HOUR as f64)
                .clamp(0.0, hours),
        }
    }

    /// A snapshot for the projection.
    pub fn inputs(&self) -> ProjectionInputs {
        ProjectionInputs {
            version: self.version,
            events_total: self.events_total,
            window_hours: self.calendar.window_hours(),
            window: self.window.clone(),
            reserve: self.reserve.clone(),
        }
    }

    fn close_if_past(&mut self, at_unix_ms: i64) {
        let calendar = self.calendar;
        if let Some(w) = self.window.as_mut()
            && at_unix_ms >= calendar.closes_at(w.opens_at_unix_ms)
        {
            w.closed = true;
        }
    }

    fn add_to_window(&mut self, event: &WithdrawalEvent) {
        let Some(w) = self.window.as_mut() else {
            return;
        };
        let amount_idr = event.amount_idr();
        w.latest_at_unix_ms = w.latest_at_unix_ms.max(event.occurred_at_unix_ms);
        if event.kind == EventKind::Deposit {
            w.deposits_idr = w.deposits_idr.saturating_add(amount_idr);
            return;
        }
        match classify(event.cohort, amount_idr, self.institutional_min_idr) {
            CountedCohort::Institutional => {
                w.institutional_idr = w.institutional_idr.saturating_add(amount_idr);
                w.institutional_jumps_idr.push(amount_idr);
            }
            CountedCohort::Retail => {
                w.retail_idr = w.retail_idr.saturating_add(amount_idr);
                w.retail_events += 1;
                let hour = (event.occurred_at_unix_ms - w.opens_at_unix_ms) / MS_PER_HOUR;
                if let Some(slot) = usize::try_from(hour)
                    .ok()
                    .and_then(|h| w.retail_hourly_idr.get_mut(h))
                {
                    *slot = slot.saturating_add(amount_idr);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::WindowConfig;
    use crate::model::window::WeekendWindow;
    use crate::monitor::event::Cohort;

    const OPENS_MS: i64 = 1_795_165_200_000;

    fn state() -> MonitorState {
        let calendar = WindowCalendar::new(WeekendWindow::from_config(&WindowConfig::default()));
        MonitorState::new(calendar, 1_000, ReservePosition::immediate(10_000))
    }

    fn event(id: &str, hours: f64, amount_idr: i64, cohort: Cohort) -> WithdrawalEvent {
        WithdrawalEvent {
            event_id: id.into(),
            account_id: "a".into(),
            cohort,
            amount_minor: amount_idr * 100,
            currency: "IDR".into(),
            occurred_at_unix_ms: OPENS_MS + (hours * MS_PER_HOUR as f64) as i64,
            kind: EventKind::Withdrawal,
        }
    }

    #[test]
    fn duplicates_count_once_and_old_windows_do_not_move_the_tally() {
        let mut s = state();
        assert_eq!(
            s.apply(&event("a", 1.5, 100, Cohort::Retail)),
            Applied::Accepted
        );
        assert_eq!(
            s.apply(&event("a", 1.5, 100, Cohort::Retail)),
            Applied::Duplicate
        );
        s.apply(&event("b", 2.2, 5_000, Cohort::Unspecified));
        s.apply(&event("old", -200.0, 7, Cohort::Retail));
        let inputs = s.inputs();
        let w = inputs.window.as_ref().unwrap();
        assert_eq!((w.retail_idr, w.institutional_idr), (100, 5_000));
        assert_eq!(w.retail_hourly_idr[1], 100);
        assert_eq!(inputs.events_total, 3);
        assert_eq!(inputs.headroom_idr(), 10_000 - 5_100);
        assert!((inputs.elapsed_hours() - 2.2).abs() < 1e-6);
        s.apply(&event("after", 70.0, 7, Cohort::Retail));
        assert_eq!(s.inputs().elapsed_hours(), 65.0);
    }
}
