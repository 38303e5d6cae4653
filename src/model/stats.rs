//! Order statistics of a simulated sample: quantiles, VaR and CVaR.
//!
//! Conventions (so the identities in the tests hold exactly):
//! - `quantile(p)` is the lower inverse of the empirical CDF, `x_(⌈n·p⌉)` (1-based order
//!   statistic): the smallest sample value with at least a share `p` of the sample at or below it.
//! - `VaR_p` is that quantile of the loss (here: the weekend withdrawal total).
//! - `CVaR_p` (expected shortfall) is the mean of the `⌈n·(1 − p)⌉` largest values:
//!   the average loss in the worst `1 − p` of outcomes. `CVaR_p ≥ VaR_p`.

use serde::Serialize;

/// The `p`-quantile of an ascending-sorted, non-empty sample.
pub fn quantile_sorted(sorted: &[f64], p: f64) -> f64 {
    debug_assert!(!sorted.is_empty());
    let n = sorted.len();
    let rank = ((p * n as f64).ceil() as usize).clamp(1, n);
    sorted[rank - 1]
}

/// The `p`-quantile (same convention as [`quantile_sorted`]) of an unsorted, non-empty
/// sample, by selection in O(n); reorders `sample`.
pub fn quantile_select(sample: &mut [f64], p: f64) -> f64 {
    let n = sample.len();
    let rank = ((p * n as f64).ceil() as usize).clamp(1, n);
    *sample.select_nth_unstable_by(rank - 1, f64::total_cmp).1
}

/// Expected shortfall at level `p` of an ascending-sorted, non-empty sample.
pub fn cvar_sorted(sorted: &[f64], p: f64) -> f64 {
    let n = sorted.len();
    let tail = (((1.0 - p) * n as f64 - 1e-9).ceil() as usize).clamp(1, n);
    sorted[n - tail..].iter().sum::<f64>() / tail as f64
}

/// Share of the sample strictly above `threshold`.
pub fn exceedance_sorted(sorted: &[f64], threshold: f64) -> f64 {
    let at_or_below = sorted.partition_point(|&x| x <= threshold);
    (sorted.len() - at_or_below) as f64 / sorted.len() as f64
}

/// Mean and sample standard deviation.
pub fn mean_and_std(sample: &[f64]) -> (f64, f64) {
    let n = sample.len() as f64;
    let mean = sample.iter().sum::<f64>() / n;
    if sample.len() < 2 {
        return (mean, 0.0);
    }
    let var = sample.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var.sqrt())
}

/// A distribution of weekend withdrawal totals, IDR.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct DistributionSummary {
    /// Mean, IDR.
    pub mean_idr: f64,
    /// Sample standard deviation, IDR.
    pub std_idr: f64,
    /// Median, IDR.
    pub p50_idr: f64,
    /// 75th percentile, IDR.
    pub p75_idr: f64,
    /// 90th percentile, IDR.
    pub p90_idr: f64,
    /// 95th percentile (= VaR95), IDR.
    pub p95_idr: f64,
    /// 99th percentile (= VaR99), IDR.
    pub p99_idr: f64,
    /// 99.9th percentile, IDR.
    pub p999_idr: f64,
    /// Value at risk at 95%, IDR.
    pub var95_idr: f64,
    /// Expected shortfall beyond VaR95, IDR.
    pub cvar95_idr: f64,
    /// Value at risk at 99%, IDR.
    pub var99_idr: f64,
    /// Expected shortfall beyond VaR99, IDR.
    pub cvar99_idr: f64,
}

impl DistributionSummary {
    /// Summarises an ascending-sorted, non-empty sample of IDR amounts.
    pub fn of_sorted(sorted: &[f64]) -> Self {
        let (mean_idr, std_idr) = mean_and_std(sorted);
        Self {
            mean_idr,
            std_idr,
            p50_idr: quantile_sorted(sorted, 0.50),
            p75_idr: quantile_sorted(sorted, 0.75),
            p90_idr: quantile_sorted(sorted, 0.90),
            p95_idr: quantile_sorted(sorted, 0.95),
            p99_idr: quantile_sorted(sorted, 0.99),
            p999_idr: quantile_sorted(sorted, 0.999),
            var95_idr: quantile_sorted(sorted, 0.95),
            cvar95_idr: cvar_sorted(sorted, 0.95),
            var99_idr: quantile_sorted(sorted, 0.99),
            cvar99_idr: cvar_sorted(sorted, 0.99),
        }
    }

    /// The same summary with every amount divided by `divisor` (e.g. total fiat for
    /// shares, or IDR per USD for a USD reference).
    pub fn scaled(&self, divisor: f64) -> Self {
        Self {
            mean_idr: self.mean_idr / divisor,
            std_idr: self.std_idr / divisor,
            p50_idr: self.p50_idr / divisor,
            p75_idr: self.p75_idr / divisor,
            p90_idr: self.p90_idr / divisor,
            p95_idr: self.p95_idr / divisor,
            p99_idr: self.p99_idr / divisor,
            p999_idr: self.p999_idr / divisor,
            var95_idr: self.var95_idr / divisor,
            cvar95_idr: self.cvar95_idr / divisor,
            var99_idr: self.var99_idr / divisor,
            cvar99_idr: self.cvar99_idr / divisor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_is_the_order_statistic() {
        let sorted: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(quantile_sorted(&sorted, 0.95), 95.0);
        assert_eq!(quantile_sorted(&sorted, 0.99), 99.0);
        assert_eq!(quantile_sorted(&sorted, 0.0), 1.0);
        assert_eq!(quantile_sorted(&sorted, 1.0), 100.0);
    }

    #[test]
    fn cvar_is_the_mean_of_the_tail_beyond_var() {
        let sorted: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(
            cvar_sorted(&sorted, 0.95),
            (96.0 + 97.0 + 98.0 + 99.0 + 100.0) / 5.0
        );
        assert_eq!(cvar_sorted(&sorted, 0.99), 100.0);
        assert!(cvar_sorted(&sorted, 0.95) >= quantile_sorted(&sorted, 0.95));
    }

    #[test]
    fn selection_gives_the_sorted_quantile() {
        let mut sample: Vec<f64> = (1..=100).rev().map(f64::from).collect();
        for p in [0.0, 0.05, 0.5, 0.95, 0.99, 1.0] {
            let sorted: Vec<f64> = (1..=100).map(f64::from).collect();
            assert_eq!(quantile_select(&mut sample, p), quantile_sorted(&sorted, p));
        }
    }

    #[test]
    fn exceedance_counts_strictly_above() {
        let sorted = [1.0, 2.0, 2.0, 3.0];
        assert_eq!(exceedance_sorted(&sorted, 2.0), 0.25);
        assert_eq!(exceedance_sorted(&sorted, 0.0), 1.0);
        assert_eq!(exceedance_sorted(&sorted, 3.0), 0.0);
    }
}
