//! Monte Carlo error: 95% intervals for the probabilities and quantiles a simulation reports.
//!
//! - **Probability** `p̂ = k / n`: the Wilson score interval
//!   `(p̂ + z²/2n ± z·√(p̂(1−p̂)/n + z²/4n²)) / (1 + z²/n)`, which keeps its coverage near
//!   0 and 1 (where the normal interval collapses to a point); standard error `√(p̂(1−p̂)/n)`.
//! - **Quantile** `x_(⌈np⌉)`: the distribution-free order-statistic interval
//!   `[x_(l), x_(u)]` with `l = ⌊np − z√(np(1−p))⌋`, `u = ⌈np + z√(np(1−p))⌉ + 1` (the number of
//!   sample points below the true quantile is Binomial(n, p)).
//! - **CVaR** `CVaR_p = VaR_p + E[(X − VaR_p)⁺] / (1 − p)`: asymptotically normal with standard
//!   error `sd((X − VaR_p)⁺) / ((1 − p)√n)` (the VaR estimate's own error cancels at first order).
//! - **Paths needed** for a relative standard error `r` on a probability `p`:
//!   `n = (1 − p) / (p · r²)`.

use serde::Serialize;

use crate::model::stats::{cvar_sorted, quantile_sorted};

/// The normal quantile of a two-sided 95% interval.
pub const Z95: f64 = 1.959_963_984_540_054;

/// A 95% interval, in the unit of the figure it belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval95 {
    /// Lower end.
    pub low: f64,
    /// Upper end.
    pub high: f64,
}

impl Interval95 {
    /// Whether `x` lies in the interval (ends included).
    pub fn contains(&self, x: f64) -> bool {
        self.low <= x && x <= self.high
    }

    /// The interval with both ends divided by `divisor` (shares of fiat, USD).
    pub fn scaled(&self, divisor: f64) -> Self {
        Self {
            low: self.low / divisor,
            high: self.high / divisor,
        }
    }
}

/// A simulated probability with its Monte Carlo error.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ProbabilityEstimate {
    /// `k / n`.
    pub probability: f64,
    /// `√(p̂(1 − p̂) / n)`.
    pub standard_error: f64,
    /// Wilson 95% interval.
    pub ci95: Interval95,
    /// Paths `n` behind it.
    pub paths: u64,
}

impl ProbabilityEstimate {
    /// The estimate of `hits` successes in `paths` trials (`paths` > 0).
    pub fn of_counts(hits: u64, paths: u64) -> Self {
        let n = paths.max(1) as f64;
        let p = hits as f64 / n;
        Self {
            probability: p,
            standard_error: (p * (1.0 - p) / n).sqrt(),
            ci95: wilson_interval(hits, paths),
            paths,
        }
    }
}

/// The Wilson score 95% interval of `hits` successes in `paths` trials.
pub fn wilson_interval(hits: u64, paths: u64) -> Interval95 {
    let n = paths.max(1) as f64;
    let p = hits as f64 / n;
    let z2 = Z95 * Z95;
    let centre = p + z2 / (2.0 * n);
    let spread = Z95 * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    let denominator = 1.0 + z2 / n;
    Interval95 {
        low: ((centre - spread) / denominator).max(0.0),
        high: ((centre + spread) / denominator).min(1.0),
    }
}

/// The order-statistic 95% interval of the `p`-quantile of an ascending, non-empty sample.
pub fn quantile_interval(sorted: &[f64], p: f64) -> Interval95 {
    let n = sorted.len();
    let mean = n as f64 * p;
    let half = Z95 * (mean * (1.0 - p)).sqrt();
    let low_rank = ((mean - half).floor() as usize).clamp(1, n);
    let high_rank = ((mean + half).ceil() as usize + 1).clamp(1, n);
    Interval95 {
        low: sorted[low_rank - 1],
        high: sorted[high_rank - 1],
    }
}

/// The asymptotic 95% interval of `CVaR_p` of an ascending, non-empty sample.
pub fn cvar_interval(sorted: &[f64], p: f64) -> Interval95 {
    let n = sorted.len() as f64;
    let var = quantile_sorted(sorted, p);
    let cvar = cvar_sorted(sorted, p);
    let excess: Vec<f64> = sorted.iter().map(|&x| (x - var).max(0.0)).collect();
    let (_, sd) = crate::model::stats::mean_and_std(&excess);
    let half = Z95 * sd / ((1.0 - p) * n.sqrt());
    Interval95 {
        low: cvar - half,
        high: cvar + half,
    }
}

/// The 95% interval of the mean, `x̄ ± z · s / √n`.
pub fn mean_interval(sample: &[f64]) -> Interval95 {
    let (mean, sd) = crate::model::stats::mean_and_std(sample);
    let half = Z95 * sd / (sample.len().max(1) as f64).sqrt();
    Interval95 {
        low: mean - half,
        high: mean + half,
    }
}

/// Paths needed for a relative standard error `relative_error` on a probability near `p`:
/// `(1 − p) / (p · r²)`, rounded up.
pub fn paths_for_relative_error(p: f64, relative_error: f64) -> u64 {
    ((1.0 - p) / (p * relative_error * relative_error)).ceil() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_matches_a_known_answer() {
        // 10 of 100: Wilson 95% is [0.0552, 0.1744] (Newcombe 1998, table I method 3).
        let ci = wilson_interval(10, 100);
        assert!((ci.low - 0.0552).abs() < 5e-4, "{ci:?}");
        assert!((ci.high - 0.1744).abs() < 5e-4, "{ci:?}");
    }

    #[test]
    fn wilson_does_not_collapse_at_zero() {
        let ci = wilson_interval(0, 10_000);
        assert_eq!(ci.low, 0.0);
        assert!(ci.high > 0.0 && ci.high < 5e-4, "{ci:?}");
    }

    #[test]
    fn paths_for_one_percent_at_ten_percent_relative_error() {
        assert_eq!(paths_for_relative_error(0.01, 0.1), 9_900);
    }
}
