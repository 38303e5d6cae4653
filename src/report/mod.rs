//! The board report (`sentinel report`): a self-contained HTML page with the charts (inline
//! SVG, also written as SVG and PNG files), the tables and a plain-words board summary, plus
//! every table as CSV. It draws what a [`BatchReport`] holds, with the user base and the
//! market history of the same run for the two series the batch report keeps only as counts.
//!
//! `money` is the one amount formatter (`Rp 12.3 bn`, `USD 0.77 m`); `tables` holds the
//! rows the HTML and the CSV both render; `charts` draws with plotters.

pub mod charts;
pub mod export;
pub mod html;
pub mod money;
pub mod series;
pub mod summary;
pub mod tables;

use std::path::{Path, PathBuf};

use crate::batch::BatchReport;
use crate::config::Config;
use crate::model::market::MarketHistory;
use crate::model::user_base::UserBase;

pub use charts::{ChartError, RenderedChart};

/// What the report is drawn from.
#[derive(Debug, Clone, Copy)]
pub struct ReportData<'a> {
    /// The batch run.
    pub report: &'a BatchReport,
    /// Its configuration (rule of thumb, target, scenario leads).
    pub config: &'a Config,
    /// Its user base (balances by cohort).
    pub users: &'a UserBase,
    /// Its market history (the backtest's exceptions day by day).
    pub history: &'a MarketHistory,
    /// The text of `sentinel backtest-alerts --out`, when there is one.
    pub alert_backtest: Option<&'a str>,
}

/// Why the report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A file could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// An output directory cannot be created or written to.
    #[error("output directory {} is not writable: {source}", path.display())]
    NotWritable {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A CSV file could not be written.
    #[error("cannot write CSV {}: {reason}", path.display())]
    Csv {
        /// The file.
        path: PathBuf,
        /// The csv crate's message.
        reason: String,
    },
    /// A chart could not be drawn.
    #[error(transparent)]
    Chart(#[from] ChartError),
    /// The embedded font did not load.
    #[error("the embedded chart font is not a valid TrueType font")]
    Font,
}

impl ReportError {
    /// A failed write of `path`.
    pub fn write(path: &Path, source: std::io::Error) -> Self {
        Self::Write {
            path: path.to_owned(),
            source,
        }
    }
}

/// Creates `dir` if needed and proves it writable by creating and removing a probe file, so
/// that a bad output path fails before a long simulation runs.
pub fn prepare_dir(dir: &Path) -> Result<(), ReportError> {
    let not_writable = |source| ReportError::NotWritable {
        path: dir.to_owned(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(not_writable)?;
    let probe = dir.join(".sentinel-write-probe");
    std::fs::write(&probe, b"").map_err(not_writable)?;
    std::fs::remove_file(&probe).map_err(not_writable)
}

/// What [`write_report`] wrote.
#[derive(Debug, Clone)]
pub struct ReportFiles {
    /// `report.html`.
    pub html: PathBuf,
    /// The charts' file stems (`<stem>.svg` and `<stem>.png` beside the page).
    pub chart_stems: Vec<&'static str>,
}

/// Writes `dir/report.html` and every chart as `dir/<stem>.svg` and `dir/<stem>.png`.
pub fn write_report(data: &ReportData, dir: &Path) -> Result<ReportFiles, ReportError> {
    let charts = charts::render_all(data, dir)?;
    let tables = tables::all(data.report, data.config);
    let summary = summary::board_summary(data);
    let page = html::page(data, &summary, &charts, &tables);
    let html = dir.join("report.html");
    std::fs::write(&html, page).map_err(|e| ReportError::write(&html, e))?;
    Ok(ReportFiles {
        html,
        chart_stems: charts.iter().map(|c| c.stem).collect(),
    })
}

/// Writes every table of `report` as `dir/<table>.csv`; returns the paths.
pub fn write_csv(
    report: &BatchReport,
    config: &Config,
    dir: &Path,
) -> Result<Vec<PathBuf>, ReportError> {
    export::write_csv(&tables::all(report, config), dir)
}
