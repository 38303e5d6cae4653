//! The user base: balances by cohort on a log scale, and the Lorenz curve with the Gini.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{Chart, DrawResult, Drawn, FONT, legend, panel};
use crate::report::ReportData;
use crate::report::money::pct;

/// Histogram bins per decade of balance.
const BINS_PER_DECADE: f64 = 4.0;

/// Balance distribution by cohort and the Lorenz curve.
pub(crate) struct UserBaseChart<'a>(pub &'a ReportData<'a>);

/// Accounts per log10 bin of balance (bin `i` covers
/// `[10^(i / BINS_PER_DECADE), 10^((i + 1) / BINS_PER_DECADE))` rupiah).
fn log_bins(balances_idr: &[u64]) -> Vec<(f64, f64, u64)> {
    let mut counts = std::collections::BTreeMap::<i64, u64>::new();
    for &b in balances_idr.iter().filter(|&&b| b > 0) {
        let bin = ((b as f64).log10() * BINS_PER_DECADE).floor() as i64;
        *counts.entry(bin).or_default() += 1;
    }
    counts
        .into_iter()
        .map(|(bin, n)| {
            let low = 10f64.powf(bin as f64 / BINS_PER_DECADE);
            let high = 10f64.powf((bin + 1) as f64 / BINS_PER_DECADE);
            (low, high, n)
        })
        .collect()
}

impl Chart for UserBaseChart<'_> {
    fn stem(&self) -> &'static str {
        "user_base"
    }

    fn title(&self) -> String {
        format!(
            "User base: balances by cohort and concentration (Gini {:.3})",
            self.0.report.user_base.gini
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let (left, right) = root.split_horizontally(SIZE_SPLIT);
        self.balances(&left)?;
        self.lorenz(&right)
    }
}

/// Width of the balance panel, px.
const SIZE_SPLIT: u32 = 720;

impl UserBaseChart<'_> {
    fn balances<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult {
        let users = self.0.users;
        let cohorts = [
            ("retail", &users.retail_balances_idr, RGBColor(21, 101, 192)),
            (
                "institutional",
                &users.institutional_balances_idr,
                RGBColor(198, 40, 40),
            ),
        ];
        let bins: Vec<_> = cohorts.iter().map(|(_, b, _)| log_bins(b)).collect();
        let all = bins.iter().flatten();
        let low = all.clone().map(|b| b.0).fold(f64::INFINITY, f64::min);
        let high = all.clone().map(|b| b.1).fold(1.0, f64::max);
        let most = all.map(|b| b.2).max().unwrap_or(1).max(1) as f64;
        let low = if low.is_finite() { low } else { 1.0 };
        let mut chart = ChartBuilder::on(area)
            .caption("Balances by cohort (log scales)", (FONT, 16))
            .margin(10)
            .x_label_area_size(42)
            .y_label_area_size(62)
            .build_cartesian_2d((low..high).log_scale(), (0.8..most * 1.5).log_scale())
            .drawn()?;
        chart
            .configure_mesh()
            .x_desc("balance per account (Rp, log scale)")
            .y_desc("accounts (log scale)")
            .x_label_formatter(&|x| format!("{x:.0e}"))
            .label_style((FONT, 12))
            .axis_desc_style((FONT, 13))
            .light_line_style(WHITE)
            .draw()
            .drawn()?;
        for ((name, _, colour), bins) in cohorts.iter().zip(&bins) {
            let colour = *colour;
            chart
                .draw_series(bins.iter().map(|&(lo, hi, n)| {
                    Rectangle::new([(lo, 0.8), (hi, n as f64)], colour.mix(0.55).filled())
                }))
                .drawn()?
                .label(format!(
                    "{name} ({} accounts)",
                    bins.iter().map(|b| b.2).sum::<u64>()
                ))
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 12, y + 5)], colour.filled())
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(180, 180, 180))
            .label_font((FONT, 12))
            .draw()
            .drawn()
    }

    fn lorenz<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult {
        let u = &self.0.report.user_base;
        let mut chart = panel(
            area,
            &format!("Lorenz curve, Gini {:.3}", u.gini),
            (0.0..100.0, 0.0..100.0),
            ("accounts, poorest first (%)", "share of fiat held (%)"),
        )?;
        chart
            .draw_series(LineSeries::new(
                [(0.0, 0.0), (100.0, 100.0)],
                RGBColor(150, 150, 150).stroke_width(1),
            ))
            .drawn()?
            .label("equal balances")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 18, y)], RGBColor(150, 150, 150)));
        let points = std::iter::once((0.0, 0.0)).chain(
            u.lorenz
                .iter()
                .map(|p| (p.population_share * 100.0, p.balance_share * 100.0)),
        );
        chart
            .draw_series(LineSeries::new(points, BLUE.stroke_width(2)))
            .drawn()?
            .label(format!("top 1% hold {}", pct(u.top_1pct_share)))
            .legend(|(x, y)| PathElement::new([(x, y), (x + 18, y)], BLUE.stroke_width(2)));
        legend(&mut chart, SeriesLabelPosition::UpperLeft)
    }
}

#[cfg(test)]
mod tests {
    use super::log_bins;

    #[test]
    fn balances_fall_in_their_decade_quarter() {
        let bins = log_bins(&[1_000, 1_500, 10_000, 0]);
        let total: u64 = bins.iter().map(|b| b.2).sum();
        assert_eq!(total, 3, "zero balances have no log bin");
        assert!((bins[0].0 - 1_000.0).abs() < 1e-6);
        assert_eq!(bins[0].2, 2, "1,000 and 1,500 are in [1,000, 1,778)");
        assert!((bins[1].0 - 10_000.0).abs() < 1e-6);
        assert_eq!(bins[1].2, 1);
    }
}
