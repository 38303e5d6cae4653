//! Economic references for a reserve against a distribution of weekend withdrawals: the
//! newsvendor quantile, the CVaR99 reserve and the expected cost curve. (The recommendation
//! itself is the chance-constrained layer design of [`crate::model::liquidity`]; the OJK
//! floor is a floor on equity and belongs to the solvency view, not here.)
//!
//! The newsvendor cost of holding reserve `R` against weekend withdrawals `W` is
//! `C(R) = c_o · E[(R − W)⁺] + c_u · E[(W − R)⁺]`: every rupiah left idle forgoes the
//! opportunity yield `c_o`, every rupiah short is borrowed at the emergency cost `c_u`
//! (both annual rates, so `C` is IDR per year of carrying that position). `C` is convex
//! with `C'(R) = c_o − (c_o + c_u) · P(W > R)`, so its minimum is the quantile at the
//! critical ratio `c_u / (c_o + c_u)`; the curve and the quantile therefore agree.

use serde::Serialize;

use crate::model::mc_error::{Interval95, ProbabilityEstimate, wilson_interval};

use crate::model::stats::{cvar_sorted, exceedance_sorted, quantile_sorted};

/// Overage and underage costs of a reserve, fractions per year.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NewsvendorCosts {
    /// Yield forgone per IDR left idle, per year.
    pub overage_per_year: f64,
    /// Cost per IDR of emergency funding, per year.
    pub underage_per_year: f64,
}

impl NewsvendorCosts {
    /// `c_u / (c_o + c_u)`: the cost-minimising probability of the reserve covering the weekend.
    pub fn critical_ratio(&self) -> f64 {
        self.underage_per_year / (self.overage_per_year + self.underage_per_year)
    }
}

/// Prefix sums of a sorted sample, for O(log n) evaluations of the cost curve.
#[derive(Debug, Clone)]
pub struct SortedSample {
    sorted: Vec<f64>,
    /// `prefix[k] = Σ sorted[0..k]`.
    prefix: Vec<f64>,
}

impl SortedSample {
    /// Sorts `sample` and prepares its prefix sums.
    pub fn new(mut sample: Vec<f64>) -> Self {
        sample.sort_by(f64::total_cmp);
        let mut prefix = Vec::with_capacity(sample.len() + 1);
        let mut running = 0.0;
        prefix.push(0.0);
        for &x in &sample {
            running += x;
            prefix.push(running);
        }
        Self {
            sorted: sample,
            prefix,
        }
    }

    /// The ascending sample.
    pub fn sorted(&self) -> &[f64] {
        &self.sorted
    }

    /// `E[(R − W)⁺]`, IDR: reserve left idle on average.
    pub fn expected_idle_idr(&self, reserve_idr: f64) -> f64 {
        let k = self.sorted.partition_point(|&w| w <= reserve_idr);
        (reserve_idr * k as f64 - self.prefix[k]) / self.sorted.len() as f64
    }

    /// `E[(W − R)⁺]`, IDR: the expected shortfall amount beyond the reserve.
    pub fn expected_shortfall_amount_idr(&self, reserve_idr: f64) -> f64 {
        let n = self.sorted.len();
        let k = self.sorted.partition_point(|&w| w <= reserve_idr);
        let above = self.prefix[n] - self.prefix[k];
        (above - reserve_idr * (n - k) as f64) / n as f64
    }

    /// `C(R)`, IDR per year.
    pub fn expected_annual_cost_idr(&self, costs: NewsvendorCosts, reserve_idr: f64) -> f64 {
        costs.overage_per_year * self.expected_idle_idr(reserve_idr)
            + costs.underage_per_year * self.expected_shortfall_amount_idr(reserve_idr)
    }

    /// P(W > R).
    pub fn failure_probability(&self, reserve_idr: f64) -> f64 {
        exceedance_sorted(&self.sorted, reserve_idr)
    }

    /// P(W > R) with its Monte Carlo error.
    pub fn failure(&self, reserve_idr: f64) -> ProbabilityEstimate {
        let above = self.sorted.len() - self.sorted.partition_point(|&w| w <= reserve_idr);
        ProbabilityEstimate::of_counts(above as u64, self.sorted.len() as u64)
    }
}

/// One point of the expected cost curve.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct CostPoint {
    /// Reserve as a share of total fiat.
    pub reserve_share: f64,
    /// Reserve, IDR.
    pub reserve_idr: f64,
    /// `C(R)`, IDR per year.
    pub expected_annual_cost_idr: f64,
}

/// A named reserve policy and what it costs.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PolicyCost {
    /// `newsvendor`, `cvar99` or `rule_of_thumb`.
    pub policy: &'static str,
    /// The reserve, held as instant IDR, IDR.
    pub reserve_idr: f64,
    /// Reserve as a share of total fiat.
    pub reserve_share: f64,
    /// P(weekend withdrawals exceed the reserve), with its Monte Carlo error.
    pub failure: ProbabilityEstimate,
    /// Yield forgone by holding the reserve for a year, `c_o · R`, IDR per year.
    pub annual_opportunity_cost_idr: f64,
    /// Newsvendor cost `C(R)`, IDR per year.
    pub expected_annual_cost_idr: f64,
}

/// The reserve analysis of one scenario.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ReserveSizing {
    /// `c_u / (c_o + c_u)` at the midpoint costs.
    pub critical_ratio: f64,
    /// Newsvendor reserve (the critical-ratio quantile), IDR.
    pub newsvendor_idr: f64,
    /// CVaR99 reserve (mean of the worst 1% of weekends), IDR.
    pub cvar99_idr: f64,
    /// Newsvendor, CVaR99 and rule-of-thumb policies side by side.
    pub policies: Vec<PolicyCost>,
    /// `C(R)` across reserve levels.
    pub cost_curve: Vec<CostPoint>,
}

/// Sizes the reserve of one scenario from its weekend totals.
pub fn size_reserve(
    sample: &SortedSample,
    costs: NewsvendorCosts,
    total_fiat_idr: f64,
    rule_of_thumb_share: f64,
    curve_step_share: f64,
) -> ReserveSizing {
    let critical_ratio = costs.critical_ratio();
    let newsvendor = quantile_sorted(sample.sorted(), critical_ratio);
    let cvar99 = cvar_sorted(sample.sorted(), 0.99);
    let policy = |policy, reserve_idr: f64| PolicyCost {
        policy,
        reserve_idr,
        reserve_share: reserve_idr / total_fiat_idr,
        failure: sample.failure(reserve_idr),
        annual_opportunity_cost_idr: costs.overage_per_year * reserve_idr,
        expected_annual_cost_idr: sample.expected_annual_cost_idr(costs, reserve_idr),
    };
    let policies = vec![
        policy("newsvendor", newsvendor),
        policy("cvar99", cvar99),
        policy("rule_of_thumb", rule_of_thumb_share * total_fiat_idr),
    ];
    let cost_curve = share_grid(curve_step_share)
        .map(|share| {
            let reserve_idr = share * total_fiat_idr;
            CostPoint {
                reserve_share: share,
                reserve_idr,
                expected_annual_cost_idr: sample.expected_annual_cost_idr(costs, reserve_idr),
            }
        })
        .collect();
    ReserveSizing {
        critical_ratio,
        newsvendor_idr: newsvendor,
        cvar99_idr: cvar99,
        policies,
        cost_curve,
    }
}

/// Shares `0, step, 2·step, …, 1` of total fiat.
pub fn share_grid(step: f64) -> impl Iterator<Item = f64> {
    let points = (1.0 / step).round() as usize;
    (0..=points).map(move |i| (i as f64 * step).min(1.0))
}

/// One point of the safety frontier.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct FrontierPoint {
    /// Reserve as a share of total fiat.
    pub reserve_share: f64,
    /// P(weekend withdrawals exceed that reserve).
    pub failure_probability: f64,
    /// Wilson 95% interval of `failure_probability`.
    pub failure_ci95: Interval95,
}

/// Failure probability against reserve share, from 0 to 100% of fiat.
pub fn safety_frontier(
    sample: &SortedSample,
    total_fiat_idr: f64,
    step_share: f64,
) -> Vec<FrontierPoint> {
    share_grid(step_share)
        .map(|share| {
            let failure = sample.failure(share * total_fiat_idr);
            FrontierPoint {
                reserve_share: share,
                failure_probability: failure.probability,
                failure_ci95: failure.ci95,
            }
        })
        .collect()
}

/// When the reserve runs out, over the paths where it does.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct TimeToInsolvency {
    /// The reserve tested, IDR.
    pub reserve_idr: f64,
    /// Reserve as a share of total fiat.
    pub reserve_share: f64,
    /// Share of paths where cumulative withdrawals exceeded the reserve.
    pub failure_probability: f64,
    /// Wilson 95% interval of `failure_probability`.
    pub failure_ci95: Interval95,
    /// 10th percentile of the breach hour given a breach (1-based hours after the close).
    pub p10_hours: Option<f64>,
    /// 25th percentile, hours.
    pub p25_hours: Option<f64>,
    /// Median, hours.
    pub p50_hours: Option<f64>,
}

/// Summarises first-passage hours (0 = never breached) of one reserve level.
pub fn time_to_insolvency(
    first_passage_hours: &[u16],
    reserve_idr: f64,
    total_fiat_idr: f64,
) -> TimeToInsolvency {
    let mut hours: Vec<f64> = first_passage_hours
        .iter()
        .filter(|&&h| h > 0)
        .map(|&h| f64::from(h))
        .collect();
    hours.sort_by(f64::total_cmp);
    let q = |p| (!hours.is_empty()).then(|| quantile_sorted(&hours, p));
    TimeToInsolvency {
        reserve_idr,
        reserve_share: reserve_idr / total_fiat_idr,
        failure_probability: hours.len() as f64 / first_passage_hours.len().max(1) as f64,
        failure_ci95: wilson_interval(hours.len() as u64, first_passage_hours.len() as u64),
        p10_hours: q(0.10),
        p25_hours: q(0.25),
        p50_hours: q(0.50),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn critical_ratio_of_the_midpoint_costs() {
        let costs = NewsvendorCosts {
            overage_per_year: 0.065,
            underage_per_year: 0.11,
        };
        assert!((costs.critical_ratio() - 0.11 / 0.175).abs() < 1e-12);
    }

    #[test]
    fn idle_and_shortfall_amounts_of_a_known_sample() {
        let s = SortedSample::new(vec![10.0, 20.0, 30.0, 40.0]);
        assert_eq!(s.expected_idle_idr(25.0), (15.0 + 5.0) / 4.0);
        assert_eq!(s.expected_shortfall_amount_idr(25.0), (5.0 + 15.0) / 4.0);
        assert_eq!(s.failure_probability(25.0), 0.5);
    }

    #[test]
    fn time_to_insolvency_ignores_paths_that_never_breach() {
        let tti = time_to_insolvency(&[0, 5, 10, 0, 20], 1.0, 10.0);
        assert_eq!(tti.failure_probability, 0.6);
        assert_eq!(tti.p50_hours, Some(10.0));
        assert_eq!(time_to_insolvency(&[0, 0], 1.0, 10.0).p10_hours, None);
    }
}
