//! Weekend withdrawals per scenario: the distribution of the weekend total with its tail
//! markers, the hour-by-hour fan against the usable reserve, and the first short hour of
//! the rule of thumb.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{
    Chart, DrawResult, Drawn, MARKERS, Plot, bn, legend, panel, scenario_colour, upper, vline,
};
use crate::batch::report::ScenarioReport;
use crate::model::process::ScenarioName;
use crate::report::ReportData;
use crate::report::money::{idr, pct};

/// The weekend-total distribution per scenario with median, p95, VaR99 and CVaR99 marked.
pub(crate) struct DistributionChart<'a>(pub &'a ReportData<'a>);

/// Cumulative withdrawals (p5–p95 and median) against the usable reserve, hour by hour.
pub(crate) struct FanChart<'a>(pub &'a ReportData<'a>);

/// When the rule of thumb first runs short, with the institutional lead marked.
pub(crate) struct InsolvencyChart<'a>(pub &'a ReportData<'a>);

/// Draws `each` on one panel per scenario of the report, side by side.
pub(crate) fn per_scenario<DB: DrawingBackend>(
    data: &ReportData,
    root: &DrawingArea<DB, Shift>,
    each: impl Fn(&DrawingArea<DB, Shift>, ScenarioName, &ScenarioReport) -> DrawResult,
) -> DrawResult {
    let scenarios = &data.report.scenarios;
    let panels = root.split_evenly((1, scenarios.len().max(1)));
    for (area, (&name, s)) in panels.iter().zip(scenarios) {
        each(area, name, s)?;
    }
    Ok(())
}

impl Chart for DistributionChart<'_> {
    fn stem(&self) -> &'static str {
        "withdrawal_distribution"
    }

    fn title(&self) -> String {
        format!(
            "Weekend withdrawal distribution per scenario ({} paths each)",
            self.0.report.paths
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        per_scenario(self.0, root, |area, name, s| {
            let h = &s.chart_series.weekend_total;
            let paths = h.counts.iter().sum::<u64>().max(1) as f64;
            let share = |n: u64| n as f64 / paths * 100.0;
            let high_x = h.low_idr + h.width_idr * h.counts.len() as f64;
            let top = upper(h.counts.iter().copied().map(share).fold(0.0, f64::max));
            let x =
                bn(h.low_idr.min(s.summary.p50_idr))..bn(high_x.max(s.summary.cvar99_idr)) * 1.02;
            let mut chart = panel(
                area,
                &format!("{name}"),
                (x, 0.0..top),
                ("weekend withdrawals (Rp bn)", "paths (%)"),
            )?;
            let colour = scenario_colour(name);
            chart
                .draw_series(h.counts.iter().enumerate().map(|(i, &n)| {
                    let lo = bn(h.low_idr + h.width_idr * i as f64);
                    Rectangle::new(
                        [(lo, 0.0), (lo + bn(h.width_idr), share(n))],
                        colour.mix(0.45).filled(),
                    )
                }))
                .drawn()?;
            let m = &s.summary;
            let marks = [
                ("median", m.p50_idr),
                ("p95", m.p95_idr),
                ("VaR99", m.var99_idr),
                ("CVaR99", m.cvar99_idr),
            ];
            for ((label, at), colour) in marks.into_iter().zip(MARKERS) {
                let style = colour.stroke_width(2);
                vline(
                    &mut chart,
                    bn(at),
                    0.0..top,
                    style,
                    format!("{label} {}", idr(at)),
                )?;
            }
            legend(&mut chart, SeriesLabelPosition::UpperRight)
        })
    }
}

impl Chart for FanChart<'_> {
    fn stem(&self) -> &'static str {
        "withdrawal_fan"
    }

    fn title(&self) -> String {
        "Cumulative withdrawals hour by hour (p5–p95 band, median) against the usable reserve"
            .to_owned()
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        per_scenario(self.0, root, |area, name, s| {
            let fan = &s.withdrawal_fan;
            let hours = fan.last().map_or(1, |p| p.hour) as f64;
            let top = fan
                .iter()
                .map(|p| p.p95_idr.max(p.usable_reserve_idr))
                .fold(0.0, f64::max);
            let mut chart = panel(
                area,
                &format!("{name}"),
                (0.0..hours, 0.0..upper(bn(top))),
                ("hours after the rails close (h)", "cumulative (Rp bn)"),
            )?;
            let colour = scenario_colour(name);
            let band: Vec<(f64, f64)> = fan
                .iter()
                .map(|p| (f64::from(p.hour), bn(p.p95_idr)))
                .chain(fan.iter().rev().map(|p| (f64::from(p.hour), bn(p.p5_idr))))
                .collect();
            chart
                .draw_series(std::iter::once(Polygon::new(
                    band,
                    colour.mix(0.25).filled(),
                )))
                .drawn()?
                .label("p5–p95 of paths")
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 14, y + 5)], colour.mix(0.25).filled())
                });
            let median = fan.iter().map(|p| (f64::from(p.hour), bn(p.p50_idr)));
            chart
                .draw_series(LineSeries::new(median, colour.stroke_width(2)))
                .drawn()?
                .label("median")
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 18, y)], colour.stroke_width(2))
                });
            reserve_steps(&mut chart, fan)?;
            legend(&mut chart, SeriesLabelPosition::UpperLeft)
        })
    }
}

/// The usable reserve as a step line: each hour's value held over that hour.
fn reserve_steps<'a, DB: DrawingBackend + 'a>(
    chart: &mut Plot<'a, DB>,
    fan: &[crate::model::liquidity::FanPoint],
) -> DrawResult {
    let steps = fan.iter().flat_map(|p| {
        let v = bn(p.usable_reserve_idr);
        [(f64::from(p.hour) - 1.0, v), (f64::from(p.hour), v)]
    });
    let style = BLACK.stroke_width(2);
    chart
        .draw_series(LineSeries::new(steps, style))
        .drawn()?
        .label("usable reserve (layers at their hours)")
        .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], style));
    Ok(())
}

impl Chart for InsolvencyChart<'_> {
    fn stem(&self) -> &'static str {
        "time_to_insolvency"
    }

    fn title(&self) -> String {
        format!(
            "Time to insolvency at the {} rule of thumb: first hour short, with the institutional lead",
            pct(self.0.config.reserve.rule_of_thumb_share)
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let config = self.0.config;
        per_scenario(self.0, root, |area, name, s| {
            let counts = &s.chart_series.rule_breach_hour_paths;
            let paths = self.0.report.paths.max(1) as f64;
            let share = |n: u64| n as f64 / paths * 100.0;
            let top = upper(counts.iter().copied().map(share).fold(0.0, f64::max));
            let t = &s.time_to_insolvency.rule_of_thumb;
            let mut chart = panel(
                area,
                &format!("{name}: P(short) {}", pct(t.failure_probability)),
                (0.0..counts.len().max(1) as f64, 0.0..top),
                ("first short hour after the close (h)", "paths (%)"),
            )?;
            let colour = scenario_colour(name);
            chart
                .draw_series(counts.iter().enumerate().map(|(i, &n)| {
                    Rectangle::new(
                        [(i as f64, 0.0), (i as f64 + 1.0, share(n))],
                        colour.mix(0.6).filled(),
                    )
                }))
                .drawn()?;
            let lead = config.scenarios.get(name).institutional_lead_hours;
            let style = MARKERS[0].stroke_width(2);
            vline(
                &mut chart,
                lead,
                0.0..top,
                style,
                format!("institutional lead {lead:.0} h"),
            )?;
            if let Some(p50) = t.p50_hours {
                let style = MARKERS[3].stroke_width(1);
                vline(
                    &mut chart,
                    p50,
                    0.0..top,
                    style,
                    format!("median first short hour {p50:.0} h"),
                )?;
            }
            legend(&mut chart, SeriesLabelPosition::UpperRight)
        })
    }
}
