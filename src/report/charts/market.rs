//! Market risk and the insurance fund: the VaR methods side by side with the backtest's
//! exceptions over time, and the fund's drawdown distribution against its size.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::Measure;
use super::{
    Chart, DrawResult, Drawn, MARKERS, bar, bn, category_panel, hline, legend, panel, upper,
};
use crate::model::stats::DistributionSummary;
use crate::model::var::VarLevels;
use crate::report::ReportData;
use crate::report::money::idr;
use crate::report::series::cumulative_exceptions;

/// VaR and CVaR by method, and the historical VaR99 backtest's exceptions over time.
pub(crate) struct VarChart<'a>(pub &'a ReportData<'a>);

/// Drawdown quantiles of the insurance fund per stress scenario against the fund.
pub(crate) struct InsuranceChart<'a>(pub &'a ReportData<'a>);

impl Chart for VarChart<'_> {
    fn stem(&self) -> &'static str {
        "var_methods"
    }

    fn title(&self) -> String {
        "Market risk of the crypto book: VaR by method (one day) and the VaR99 backtest exceptions"
            .to_owned()
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let (left, right) = root.split_horizontally(root.dim_in_pixel().0 / 2);
        self.methods(&left)?;
        self.exceptions(&right)
    }
}

impl VarChart<'_> {
    fn methods<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult {
        let v = &self.0.report.var;
        let methods = [
            ("historical", v.historical),
            ("EWMA-filtered", v.filtered.levels),
            ("stressed", v.stressed.levels),
        ];
        let names: Vec<String> = methods.iter().map(|m| m.0.to_owned()).collect();
        let top = methods
            .iter()
            .map(|m| m.1.cvar99_idr.max(m.1.var99_idr))
            .fold(0.0, f64::max);
        let mut chart = category_panel(
            area,
            "VaR and CVaR by method",
            &names,
            0.0..upper(bn(top)) * 1.2,
            ("method", "one-day loss (Rp bn)"),
        )?;
        let measures: [Measure<VarLevels>; 4] = [
            ("VaR95", |l| l.var95_idr),
            ("CVaR95", |l| l.cvar95_idr),
            ("VaR99", |l| l.var99_idr),
            ("CVaR99", |l| l.cvar99_idr),
        ];
        for (slot, ((label, of), colour)) in measures.into_iter().zip(MARKERS).enumerate() {
            chart
                .draw_series(
                    methods
                        .iter()
                        .enumerate()
                        .map(|(i, m)| bar(i, (slot, 4), 0.0, bn(of(&m.1)), colour)),
                )
                .drawn()?
                .label(label)
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 12, y + 5)], colour.filled())
                });
        }
        legend(&mut chart, SeriesLabelPosition::UpperLeft)
    }

    fn exceptions<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult {
        let v = &self.0.report.var;
        let series =
            cumulative_exceptions(self.0.history, &v.history.holdings_idr, v.lookback_days);
        let days = series.len() as f64;
        let expected = days * (1.0 - crate::model::var::BACKTEST_LEVEL);
        let top = upper((series.last().copied().unwrap_or(0).max(1) as f64).max(expected));
        let mut chart = panel(
            area,
            &format!(
                "Historical VaR99 backtest: {} exceptions in {} days (expected {:.1})",
                v.backtest_historical.exceptions, v.backtest_historical.days, expected
            ),
            (0.0..days.max(1.0), 0.0..top),
            ("backtest day", "cumulative exceptions"),
        )?;
        let steps = series
            .iter()
            .enumerate()
            .map(|(d, &n)| (d as f64 + 1.0, n as f64));
        let style = MARKERS[3].stroke_width(2);
        chart
            .draw_series(LineSeries::new(steps, style))
            .drawn()?
            .label("exceptions (loss > the day's VaR99)")
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], style));
        let style = BLACK.stroke_width(1);
        chart
            .draw_series(LineSeries::new([(0.0, 0.0), (days, expected)], style))
            .drawn()?
            .label("expected at 1%")
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], style));
        legend(&mut chart, SeriesLabelPosition::UpperLeft)
    }
}

impl Chart for InsuranceChart<'_> {
    fn stem(&self) -> &'static str {
        "insurance_fund"
    }

    fn title(&self) -> String {
        format!(
            "Insurance fund drawdown per stress scenario against the fund of {}",
            idr(self.0.report.insurance_fund.fund_idr)
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let f = &self.0.report.insurance_fund;
        let names: Vec<String> = f.scenarios.keys().map(|s| s.as_str().to_owned()).collect();
        let top = f
            .scenarios
            .values()
            .map(|s| s.drawdown.p999_idr)
            .fold(f.fund_idr, f64::max);
        let mut chart = category_panel(
            root,
            &format!("Fund drawdown quantiles over {} paths", f.paths),
            &names,
            0.0..upper(bn(top)) * 1.6,
            ("stress scenario", "drawdown (Rp bn)"),
        )?;
        let quantiles: [Measure<DistributionSummary>; 4] = [
            ("median", |d| d.p50_idr),
            ("p90", |d| d.p90_idr),
            ("p99", |d| d.p99_idr),
            ("p99.9", |d| d.p999_idr),
        ];
        for (slot, ((label, of), colour)) in quantiles.into_iter().zip(MARKERS).enumerate() {
            chart
                .draw_series(
                    f.scenarios
                        .values()
                        .enumerate()
                        .map(|(i, s)| bar(i, (slot, 4), 0.0, bn(of(&s.drawdown)), colour)),
                )
                .drawn()?
                .label(format!("drawdown {label}"))
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 12, y + 5)], colour.filled())
                });
        }
        let n = names.len() as f64;
        let style = BLACK.stroke_width(2);
        hline(
            &mut chart,
            bn(f.fund_idr),
            -0.5..n - 0.5,
            style,
            format!("fund {}", idr(f.fund_idr)),
        )?;
        legend(&mut chart, SeriesLabelPosition::UpperLeft)
    }
}
