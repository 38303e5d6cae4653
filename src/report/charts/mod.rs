//! The board report's charts, drawn with plotters: each chart once as SVG (inlined in the
//! HTML and written beside it) and once as PNG. Text is set in DejaVu Sans, embedded in the
//! binary (`src/report/fonts`, Bitstream Vera licence), so no chart depends on the machine's
//! fonts or the network.

mod market;
mod reserve;
mod solvency;
mod users;
mod withdrawals;

use std::fmt::Display;
use std::ops::Range;
use std::path::Path;
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use super::{ReportData, ReportError};
use crate::model::process::ScenarioName;

/// The font every chart's text is set in.
const FONT_BYTES: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");

/// The family name charts ask for.
pub(crate) const FONT: &str = "sans-serif";

/// Pixel size of one chart.
pub(crate) const SIZE: (u32, u32) = (1200, 440);

/// Why a chart could not be drawn (plotters' error, as text).
#[derive(Debug, thiserror::Error)]
#[error("cannot draw chart `{chart}`: {reason}")]
pub struct ChartError {
    /// The chart's file stem.
    pub chart: &'static str,
    /// plotters' message.
    pub reason: String,
}

/// A plotters result turned into a [`DrawError`].
pub(crate) trait Drawn<T> {
    /// The value, or the error as text.
    fn drawn(self) -> Result<T, DrawError>;
}

impl<T, E: Display> Drawn<T> for Result<T, E> {
    fn drawn(self) -> Result<T, DrawError> {
        self.map_err(|e| DrawError(e.to_string()))
    }
}

/// A drawing error as text, before the chart's name is attached.
#[derive(Debug)]
pub(crate) struct DrawError(pub String);

/// The result of drawing a chart.
pub(crate) type DrawResult = Result<(), DrawError>;

/// A labelled figure read off a value of type `T` (e.g. VaR99 of a method's levels), IDR.
pub(crate) type Measure<T> = (&'static str, fn(&T) -> f64);

/// A chart with plain f64 axes.
pub(crate) type Plot<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// One chart of the report.
pub(crate) trait Chart {
    /// File stem of its SVG and PNG (`<stem>.svg`, `<stem>.png`).
    fn stem(&self) -> &'static str;
    /// Title, shown above it in the HTML.
    fn title(&self) -> String;
    /// A note under it in the HTML (e.g. the key of numbered steps); empty for none.
    fn note(&self) -> String {
        String::new()
    }
    /// Pixel size.
    fn size(&self) -> (u32, u32) {
        SIZE
    }
    /// Draws it on `root` (already white).
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult;
}

/// A chart as drawn: its stem, title and SVG text.
#[derive(Debug, Clone)]
pub struct RenderedChart {
    /// File stem of its SVG and PNG.
    pub stem: &'static str,
    /// Title.
    pub title: String,
    /// Note under the chart; empty for none.
    pub note: String,
    /// The SVG document.
    pub svg: String,
}

/// Registers the embedded font once.
fn register_font() -> Result<(), ReportError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font(FONT, FontStyle::Normal, FONT_BYTES).is_ok()
    });
    if ok { Ok(()) } else { Err(ReportError::Font) }
}

/// Every chart of the report, drawn as SVG and PNG into `dir`.
pub fn render_all(data: &ReportData, dir: &Path) -> Result<Vec<RenderedChart>, ReportError> {
    register_font()?;
    Ok(vec![
        render(&users::UserBaseChart(data), dir)?,
        render(&withdrawals::DistributionChart(data), dir)?,
        render(&withdrawals::FanChart(data), dir)?,
        render(&reserve::CostCurveChart(data), dir)?,
        render(&reserve::FrontierChart(data), dir)?,
        render(&withdrawals::InsolvencyChart(data), dir)?,
        render(&market::VarChart(data), dir)?,
        render(&market::InsuranceChart(data), dir)?,
        render(&solvency::LiquidityChart(data), dir)?,
        render(&solvency::WaterfallChart(data), dir)?,
        render(&reserve::LayersChart(data), dir)?,
    ])
}

/// Draws `chart` as SVG (returned and written) and as PNG into `dir`.
fn render<C: Chart>(chart: &C, dir: &Path) -> Result<RenderedChart, ReportError> {
    let stem = chart.stem();
    let failed = |e: DrawError| ChartError {
        chart: stem,
        reason: e.0,
    };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, chart.size()).into_drawing_area();
        draw_on(chart, &root).map_err(failed)?;
    }
    let svg_path = dir.join(format!("{stem}.svg"));
    std::fs::write(&svg_path, &svg).map_err(|e| ReportError::write(&svg_path, e))?;
    let png_path = dir.join(format!("{stem}.png"));
    {
        let root = BitMapBackend::new(&png_path, chart.size()).into_drawing_area();
        draw_on(chart, &root).map_err(failed)?;
    }
    Ok(RenderedChart {
        stem,
        title: chart.title(),
        note: chart.note(),
        svg,
    })
}

/// White background, the chart, then the backend's flush.
fn draw_on<C: Chart, DB: DrawingBackend>(chart: &C, root: &DrawingArea<DB, Shift>) -> DrawResult {
    root.fill(&WHITE).drawn()?;
    chart.draw(root)?;
    root.present().drawn()
}

/// A panel with plain axes: caption, ranges, axis descriptions (with units) and a light mesh.
pub(crate) fn panel<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    caption: &str,
    (x, y): (Range<f64>, Range<f64>),
    (x_desc, y_desc): (&str, &str),
) -> Result<Plot<'a, DB>, DrawError> {
    let mut chart = ChartBuilder::on(area)
        .caption(caption, (FONT, 16))
        .margin(10)
        .x_label_area_size(42)
        .y_label_area_size(62)
        .build_cartesian_2d(x, y)
        .drawn()?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .label_style((FONT, 12))
        .axis_desc_style((FONT, 13))
        .light_line_style(WHITE)
        .draw()
        .drawn()?;
    Ok(chart)
}

/// A panel whose x axis is `names` (category `i` centred on `x = i`), y as [`panel`].
pub(crate) fn category_panel<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    caption: &str,
    names: &[String],
    y: Range<f64>,
    (x_desc, y_desc): (&str, &str),
) -> Result<Plot<'a, DB>, DrawError> {
    let n = names.len().max(1);
    let mut chart = ChartBuilder::on(area)
        .caption(caption, (FONT, 16))
        .margin(10)
        .x_label_area_size(42)
        .y_label_area_size(62)
        .build_cartesian_2d(-0.5..n as f64 - 0.5, y)
        .drawn()?;
    let name_at = |x: &f64| {
        let i = x.round();
        let on_centre = (x - i).abs() < 1e-6 && i >= 0.0;
        on_centre
            .then(|| names.get(i as usize).cloned())
            .flatten()
            .unwrap_or_default()
    };
    chart
        .configure_mesh()
        .x_labels(n)
        .x_label_formatter(&name_at)
        .disable_x_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .label_style((FONT, 12))
        .axis_desc_style((FONT, 13))
        .light_line_style(WHITE)
        .draw()
        .drawn()?;
    Ok(chart)
}

/// A bar at category `i`, slot `slot` of `slots` (side by side), from `from` to `to`.
pub(crate) fn bar(
    i: usize,
    (slot, slots): (usize, usize),
    from: f64,
    to: f64,
    colour: RGBColor,
) -> Rectangle<(f64, f64)> {
    let width = 0.8 / slots.max(1) as f64;
    let left = i as f64 - 0.4 + width * slot as f64;
    Rectangle::new(
        [(left, from), (left + width * 0.92, to)],
        colour.mix(0.7).filled(),
    )
}

/// Draws the legend of `chart` at `position`.
pub(crate) fn legend<'a, DB: DrawingBackend + 'a>(
    chart: &mut Plot<'a, DB>,
    position: SeriesLabelPosition,
) -> DrawResult {
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(180, 180, 180))
        .label_font((FONT, 12))
        .draw()
        .drawn()
}

/// A vertical marker line at `x` from `y.start` to `y.end`, labelled in the legend.
pub(crate) fn vline<'a, DB: DrawingBackend + 'a>(
    chart: &mut Plot<'a, DB>,
    x: f64,
    y: Range<f64>,
    style: ShapeStyle,
    label: String,
) -> DrawResult {
    chart
        .draw_series(LineSeries::new([(x, y.start), (x, y.end)], style))
        .drawn()?
        .label(label)
        .legend(move |(lx, ly)| PathElement::new([(lx, ly), (lx + 18, ly)], style));
    Ok(())
}

/// A horizontal marker line at `y` from `x.start` to `x.end`, labelled in the legend.
pub(crate) fn hline<'a, DB: DrawingBackend + 'a>(
    chart: &mut Plot<'a, DB>,
    y: f64,
    x: Range<f64>,
    style: ShapeStyle,
    label: String,
) -> DrawResult {
    chart
        .draw_series(LineSeries::new([(x.start, y), (x.end, y)], style))
        .drawn()?
        .label(label)
        .legend(move |(lx, ly)| PathElement::new([(lx, ly), (lx + 18, ly)], style));
    Ok(())
}

/// The colour a scenario is drawn in everywhere.
pub(crate) fn scenario_colour(name: ScenarioName) -> RGBColor {
    match name {
        ScenarioName::Normal => RGBColor(46, 125, 50),
        ScenarioName::Mild => RGBColor(239, 108, 0),
        ScenarioName::Severe => RGBColor(198, 40, 40),
    }
}

/// Marker colours, in order: median, p95, VaR99, CVaR99 (and further markers).
pub(crate) const MARKERS: [RGBColor; 4] = [
    RGBColor(21, 101, 192),
    RGBColor(106, 27, 154),
    RGBColor(230, 81, 0),
    RGBColor(183, 28, 28),
];

/// The upper end of an axis showing values up to `max`: 5% headroom, never empty.
pub(crate) fn upper(max: f64) -> f64 {
    if max.is_finite() && max > 0.0 {
        max * 1.05
    } else {
        1.0
    }
}

/// Rupiah as billions for an axis.
pub(crate) fn bn(idr: f64) -> f64 {
    idr / 1e9
}
