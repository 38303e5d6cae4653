//! The liquidity view (coverage ratio and gap per scenario) and the solvency waterfall per
//! stress scenario against the OJK floor.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{Chart, DrawResult, Drawn, MARKERS, bar, bn, category_panel, hline, legend, upper};
use crate::model::liquidity::LiquidityView;
use crate::report::ReportData;
use crate::report::money::{idr, pct};
use crate::report::summary::sheet_reserve;

/// Coverage ratio and p99 gap of the recommended layers and of the rule of thumb.
pub(crate) struct LiquidityChart<'a>(pub &'a ReportData<'a>);

/// The stressed balance sheet as a waterfall per stress scenario.
pub(crate) struct WaterfallChart<'a>(pub &'a ReportData<'a>);

impl Chart for LiquidityChart<'_> {
    fn stem(&self) -> &'static str {
        "liquidity"
    }

    fn title(&self) -> String {
        "Liquidity view: coverage ratio and p99 gap of the recommended layers and the rule of thumb"
            .to_owned()
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let (left, right) = root.split_horizontally(root.dim_in_pixel().0 / 2);
        let coverage = LiquidityPanel {
            caption: "Coverage ratio (usable reserve / p99 outflow)",
            y_desc: "coverage ratio (x)",
            value: |v| v.coverage_ratio,
            full_cover_line: true,
        };
        self.panel(&left, &coverage)?;
        let gap = LiquidityPanel {
            caption: "Liquidity gap at p99 (shortfall beyond the usable reserve)",
            y_desc: "gap p99 (Rp bn)",
            value: |v| bn(v.gap_p99_idr),
            full_cover_line: false,
        };
        self.panel(&right, &gap)
    }
}

/// One panel of the liquidity chart: a figure of each scenario's two reserves.
struct LiquidityPanel {
    caption: &'static str,
    y_desc: &'static str,
    /// The figure drawn, in the axis unit.
    value: fn(&LiquidityView) -> f64,
    /// Draw the coverage ratio's 1.0 line.
    full_cover_line: bool,
}

impl LiquidityChart<'_> {
    /// The recommended layers (slot 0) or the rule of thumb (slot 1) of each scenario.
    fn views(&self, slot: usize) -> impl Iterator<Item = &LiquidityView> {
        self.0.report.scenarios.values().map(move |s| {
            if slot == 0 {
                &s.liquidity.recommended
            } else {
                &s.liquidity.rule_of_thumb
            }
        })
    }

    fn panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        p: &LiquidityPanel,
    ) -> DrawResult {
        let names: Vec<String> = self
            .0
            .report
            .scenarios
            .keys()
            .map(|s| s.as_str().to_owned())
            .collect();
        let rule = format!("{} rule", pct(self.0.config.reserve.rule_of_thumb_share));
        let reserves = [
            ("recommended layers".to_owned(), MARKERS[0]),
            (rule, MARKERS[2]),
        ];
        let floor = if p.full_cover_line { 1.0 } else { 0.0 };
        let top = self
            .views(0)
            .chain(self.views(1))
            .map(p.value)
            .fold(floor, f64::max);
        let mut chart = category_panel(
            area,
            p.caption,
            &names,
            0.0..upper(top) * 1.35,
            ("scenario", p.y_desc),
        )?;
        for (slot, (label, colour)) in reserves.into_iter().enumerate() {
            chart
                .draw_series(
                    self.views(slot)
                        .enumerate()
                        .map(|(i, v)| bar(i, (slot, 2), 0.0, (p.value)(v), colour)),
                )
                .drawn()?
                .label(label)
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 12, y + 5)], colour.filled())
                });
        }
        if p.full_cover_line {
            let n = names.len() as f64;
            let style = BLACK.stroke_width(1);
            hline(
                &mut chart,
                1.0,
                -0.5..n - 0.5,
                style,
                "full cover (1.0)".to_owned(),
            )?;
        }
        legend(&mut chart, SeriesLabelPosition::UpperRight)
    }
}

impl Chart for WaterfallChart<'_> {
    fn stem(&self) -> &'static str {
        "solvency_waterfall"
    }

    fn title(&self) -> String {
        let book = &self.0.report.solvency;
        format!(
            "Solvency waterfall per stress scenario, reserve at {}, against the OJK equity \
             floor of {}",
            sheet_reserve(book),
            idr(book.firm.ojk_floor_idr)
        )
    }

    fn note(&self) -> String {
        let steps = self.0.report.solvency.scenarios.values().next();
        let labels = steps.map_or_else(Vec::new, |s| {
            s.waterfall
                .iter()
                .enumerate()
                .map(|(i, w)| format!("{} {}", i + 1, w.label))
                .collect()
        });
        format!(
            "Steps: {}; E = equity after the stress.",
            labels.join(" · ")
        )
    }

    fn size(&self) -> (u32, u32) {
        (1200, 760)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let book = &self.0.report.solvency;
        let floor = book.firm.ojk_floor_idr;
        let panels = root.split_evenly((2, 2));
        for (area, (name, sheet)) in panels.iter().zip(&book.scenarios) {
            let steps = &sheet.waterfall;
            let mut names: Vec<String> = (1..=steps.len()).map(|i| i.to_string()).collect();
            names.push("E".to_owned());
            let high = steps.iter().map(|w| w.running_idr).fold(floor, f64::max);
            let low = steps
                .iter()
                .map(|w| w.running_idr)
                .fold(sheet.equity_after_idr.min(0.0), f64::min);
            let mut chart = category_panel(
                area,
                &format!(
                    "{}: {} / {}, equity after {}",
                    name.as_str(),
                    sheet.solvency_verdict.as_str(),
                    sheet.liquidity_verdict.as_str(),
                    idr(sheet.equity_after_idr)
                ),
                &names,
                bn(low) * 1.1..upper(bn(high)) * 1.15,
                ("step (key below the chart)", "equity (Rp bn)"),
            )?;
            let colour_of = |amount: f64| if amount < 0.0 { MARKERS[3] } else { MARKERS[0] };
            chart
                .draw_series(steps.iter().enumerate().map(|(i, w)| {
                    let from = bn(w.running_idr - w.amount_idr);
                    bar(i, (0, 1), from, bn(w.running_idr), colour_of(w.amount_idr))
                }))
                .drawn()?;
            let after = sheet.equity_after_idr;
            chart
                .draw_series(std::iter::once(bar(
                    steps.len(),
                    (0, 1),
                    0.0,
                    bn(after),
                    BLACK,
                )))
                .drawn()?;
            let n = names.len() as f64;
            let style = MARKERS[2].stroke_width(2);
            hline(
                &mut chart,
                bn(floor),
                -0.5..n - 0.5,
                style,
                format!("OJK floor {}", idr(floor)),
            )?;
            legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        }
        Ok(())
    }
}
