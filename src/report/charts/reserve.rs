//! The reserve: the cost curve with the newsvendor optimum and the recommendation, the safety
//! frontier against the rule of thumb and the target, and the recommended layers.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::Measure;
use super::withdrawals::per_scenario;
use super::{
    Chart, DrawResult, Drawn, FONT, MARKERS, bar, bn, category_panel, hline, legend, panel,
    scenario_colour, upper, vline,
};
use crate::model::tiers::LayerPlan;
use crate::report::ReportData;
use crate::report::money::{idr, pct};

/// Expected annual cost against the reserve per scenario.
pub(crate) struct CostCurveChart<'a>(pub &'a ReportData<'a>);

/// P(weekend withdrawals > reserve) against the reserve share, with its 95% band.
pub(crate) struct FrontierChart<'a>(pub &'a ReportData<'a>);

/// The recommended layers: size, the hour each can pay from, annual cost.
pub(crate) struct LayersChart<'a>(pub &'a ReportData<'a>);

impl Chart for CostCurveChart<'_> {
    fn stem(&self) -> &'static str {
        "reserve_cost_curve"
    }

    fn title(&self) -> String {
        "Reserve cost curve: expected annual cost, newsvendor optimum and the recommended reserve"
            .to_owned()
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let recommended = self.0.report.recommendation.reserve_idr;
        per_scenario(self.0, root, |area, name, s| {
            let curve = &s.reserve.cost_curve;
            let x_max = curve
                .iter()
                .map(|p| p.reserve_idr)
                .fold(recommended, f64::max);
            let y_max = curve
                .iter()
                .map(|p| p.expected_annual_cost_idr)
                .fold(0.0, f64::max);
            let top = upper(bn(y_max));
            let mut chart = panel(
                area,
                &format!("{name}"),
                (0.0..upper(bn(x_max)), 0.0..top),
                ("reserve (Rp bn)", "expected cost (Rp bn / year)"),
            )?;
            let colour = scenario_colour(name);
            let points = curve
                .iter()
                .map(|p| (bn(p.reserve_idr), bn(p.expected_annual_cost_idr)));
            chart
                .draw_series(LineSeries::new(points, colour.stroke_width(2)))
                .drawn()?
                .label("expected annual cost")
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 18, y)], colour.stroke_width(2))
                });
            let optimum = s.reserve.newsvendor_idr;
            let style = MARKERS[0].stroke_width(2);
            vline(
                &mut chart,
                bn(optimum),
                0.0..top,
                style,
                format!("newsvendor {}", idr(optimum)),
            )?;
            let style = BLACK.stroke_width(2);
            vline(
                &mut chart,
                bn(recommended),
                0.0..top,
                style,
                format!("recommended {}", idr(recommended)),
            )?;
            legend(&mut chart, SeriesLabelPosition::UpperRight)
        })
    }
}

impl Chart for FrontierChart<'_> {
    fn stem(&self) -> &'static str {
        "safety_frontier"
    }

    fn title(&self) -> String {
        format!(
            "Safety frontier: P(weekend withdrawals > reserve) with its 95% band, the {} rule and the target",
            pct(self.0.config.reserve.rule_of_thumb_share)
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let reserve = &self.0.config.reserve;
        let mut chart = panel(
            root,
            "P(failure) against the reserve held as instant IDR",
            (0.0..100.0, 0.0..100.0),
            (
                "reserve (% of customer fiat)",
                "P(withdrawals > reserve) (%)",
            ),
        )?;
        for (&name, s) in &self.0.report.scenarios {
            let colour = scenario_colour(name);
            let f = &s.frontier;
            let band: Vec<(f64, f64)> = f
                .iter()
                .map(|p| (p.reserve_share * 100.0, p.failure_ci95.high * 100.0))
                .chain(
                    f.iter()
                        .rev()
                        .map(|p| (p.reserve_share * 100.0, p.failure_ci95.low * 100.0)),
                )
                .collect();
            chart
                .draw_series(std::iter::once(Polygon::new(
                    band,
                    colour.mix(0.2).filled(),
                )))
                .drawn()?;
            let line = f
                .iter()
                .map(|p| (p.reserve_share * 100.0, p.failure_probability * 100.0));
            chart
                .draw_series(LineSeries::new(line, colour.stroke_width(2)))
                .drawn()?
                .label(format!(
                    "{name} (1% safe at {})",
                    pct(s.safe_reserve_share_1pct)
                ))
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 18, y)], colour.stroke_width(2))
                });
        }
        let rule = reserve.rule_of_thumb_share * 100.0;
        vline(
            &mut chart,
            rule,
            0.0..100.0,
            BLACK.stroke_width(2),
            format!("{rule:.0}% rule of thumb"),
        )?;
        let target = reserve.target_shortfall_probability * 100.0;
        let style = MARKERS[3].stroke_width(1);
        hline(
            &mut chart,
            target,
            0.0..100.0,
            style,
            format!("target P(breach) {}", pct(target / 100.0)),
        )?;
        legend(&mut chart, SeriesLabelPosition::UpperRight)
    }
}

impl Chart for LayersChart<'_> {
    fn stem(&self) -> &'static str {
        "reserve_layers"
    }

    fn title(&self) -> String {
        format!(
            "Reserve layers: size, the hour each can pay from, annual cost (total {} a year)",
            idr(self.0.report.recommendation.annual_cost_idr)
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let layers = &self.0.report.recommendation.layers;
        let names: Vec<String> = layers
            .iter()
            .map(|l| format!("{} (from hour {})", l.layer, l.available_after_hours))
            .collect();
        let (left, right) = root.split_horizontally(root.dim_in_pixel().0 / 2);
        let panels: [(&DrawingArea<DB, Shift>, &str, Measure<LayerPlan>); 2] = [
            (
                &left,
                "Size of each layer",
                ("size (Rp bn)", |l| l.size_idr),
            ),
            (
                &right,
                "Annual cost of each layer",
                ("cost (Rp bn / year)", |l| l.annual_cost_idr),
            ),
        ];
        for (area, caption, (y_desc, of)) in panels {
            let top = layers.iter().map(of).fold(0.0, f64::max);
            let mut chart = category_panel(
                area,
                caption,
                &names,
                0.0..upper(bn(top)) * 1.15,
                ("layer (usable from the hour after the close)", y_desc),
            )?;
            chart
                .draw_series(
                    layers
                        .iter()
                        .enumerate()
                        .map(|(i, l)| bar(i, (0, 1), 0.0, bn(of(l)), MARKERS[i % MARKERS.len()])),
                )
                .drawn()?;
            chart
                .draw_series(layers.iter().enumerate().map(|(i, l)| {
                    let at = (i as f64 - 0.3, bn(of(l)) + upper(bn(top)) * 0.04);
                    Text::new(idr(of(l)), at, (FONT, 13))
                }))
                .drawn()?;
        }
        Ok(())
    }
}
