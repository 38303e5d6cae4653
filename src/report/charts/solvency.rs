//! The liquidity view (coverage ratio and gap per scenario) and the solvency waterfall per
//! stress scenario against the OJK floor.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{Chart, DrawResult, Drawn, MARKERS, bar, bn, category_panel, hline, legend, upper};
use crate::report::ReportData;
use crate::report::money::{idr, pct};

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
        let scenarios = &self.0.report.scenarios;
        let names: Vec<String> = scenarios.keys().map(|s| s.as_str().to_owned()).collect();
        let rule = format!("{} rule", pct(self.0.config.reserve.rule_of_thumb_share));
        let reserves = [
            ("recommended layers".to_owned(), MARKERS[0]),
            (rule, MARKERS[2]),
        ];
        let views = |slot: usize| {
            scenarios.values().map(move |s| {
                if slot == 0 {
                    &s.liquidity.recommended
                } else {
                    &s.liquidity.rule_of_thumb
                }
            })
        };
        let top = views(0)
            .chain(views(1))
            .map(|v| v.coverage_ratio)
            .fold(1.0, f64::max);
        let mut chart = category_panel(
            &left,
            "Coverage ratio (usable reserve / p99 outflow)",
            &names,
            0.0..upper(top) * 1.2,
            ("scenario", "coverage ratio (x)"),
        )?;
        for (slot, (label, colour)) in reserves.iter().enumerate() {
            let colour = *colour;
            chart
                .draw_series(
                    views(slot)
                        .enumerate()
                        .map(|(i, v)| bar(i, (slot, 2), 0.0, v.coverage_ratio, colour)),
                )
                .drawn()?
                .label(label.clone())
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 12, y + 5)], colour.filled())
                });
        }
        let n = names.len() as f64;
        hline(
            &mut chart,
            1.0,
            -0.5..n - 0.5,
            BLACK.stroke_width(1),
            "full cover (1.0)".to_owned(),
        )?;
        legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        let gap_top = views(0)
            .chain(views(1))
            .map(|v| v.gap_p99_idr)
            .fold(0.0, f64::max);
        let mut chart = category_panel(
            &right,
            "Liquidity gap at p99 (shortfall beyond the usable reserve)",
            &names,
            0.0..upper(bn(gap_top)) * 1.2,
            ("scenario", "gap p99 (Rp bn)"),
        )?;
        for (slot, (label, colour)) in reserves.iter().enumerate() {
            let colour = *colour;
            chart
                .draw_series(
                    views(slot)
                        .enumerate()
                        .map(|(i, v)| bar(i, (slot, 2), 0.0, bn(v.gap_p99_idr), colour)),
                )
                .drawn()?
                .label(label.clone())
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 12, y + 5)], colour.filled())
                });
        }
        legend(&mut chart, SeriesLabelPosition::UpperLeft)
    }
}

impl Chart for WaterfallChart<'_> {
    fn stem(&self) -> &'static str {
        "solvency_waterfall"
    }

    fn title(&self) -> String {
        format!(
            "Solvency waterfall per stress scenario against the OJK equity floor of {}",
            idr(self.0.report.solvency.firm.ojk_floor_idr)
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
