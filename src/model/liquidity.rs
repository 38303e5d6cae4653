//! The liquidity check: can the reserve, layer by layer as each becomes usable, pay the
//! weekend's withdrawals at every hour of the window? One check serves the batch engine and
//! the live projection, so a reserve gives the same P(breach) in both.
//!
//! A reserve is a [`ReservePosition`]: layers, each usable from `available_after_hours`
//! after the rails close (a layer usable only when the rails reopen is *Monday money*: it
//! never pays a weekend withdrawal). A path breaches in hour `h` (0-based) when its
//! cumulative withdrawals at the end of `h` exceed the reserve usable during `h`.
//!
//! **Layer design** (chance constraint). With an instant layer `I` (usable from hour 0) and a
//! fast layer of nominal `F` usable from hour `d` at `(1 − haircut)·F`, cumulative withdrawals
//! `C_h` being non-decreasing, a path is paid throughout iff
//! `I ≥ r(F) = max(C_{d−1}, C_{H−1} − (1 − haircut)·F)`. For each `F` on a grid the smallest
//! instant layer meeting `P(breach) ≤ α` is the `(1 − α)` order statistic of `r(F)`; the design
//! is the `(I, F)` of least annual carry `I·c_I + F·c_F`.

use serde::{Deserialize, Serialize};

use crate::model::mc_error::{Interval95, ProbabilityEstimate, quantile_interval};
use crate::model::stats::{quantile_select, quantile_sorted};
use crate::model::withdrawals::ScenarioRun;

/// A tranche of the reserve.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReserveLayer {
    /// Label.
    pub name: String,
    /// Amount, whole rupiah.
    pub amount_idr: u64,
    /// Hours after the close from which it can be used.
    pub available_after_hours: u32,
}

/// The reserve the projection runs against.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ReservePosition {
    /// The layers.
    pub layers: Vec<ReserveLayer>,
    /// The exchange's own capital usable from the close, whole rupiah.
    pub proprietary_capital_idr: u64,
}

impl ReservePosition {
    /// One layer of `amount_idr` available from the close.
    pub fn immediate(amount_idr: u64) -> Self {
        Self {
            layers: vec![ReserveLayer {
                name: "initial".into(),
                amount_idr,
                available_after_hours: 0,
            }],
            proprietary_capital_idr: 0,
        }
    }

    /// Reserve usable during hour `hour` (0-based): proprietary capital plus every layer
    /// with `available_after_hours ≤ hour`, IDR.
    pub fn usable_at_hour_idr(&self, hour: u32) -> u64 {
        self.layers
            .iter()
            .filter(|l| l.available_after_hours <= hour)
            .fold(self.proprietary_capital_idr, |sum, l| {
                sum.saturating_add(l.amount_idr)
            })
    }

    /// The whole reserve once every layer is available, IDR.
    pub fn total_idr(&self) -> u64 {
        self.usable_at_hour_idr(u32::MAX)
    }
}

/// The reserve usable by the end of each hour of the window.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReserveSchedule {
    /// `usable_idr_by_hour[h]`: reserve usable during hour `h` (0-based), IDR — the layers
    /// available by then plus deposits received.
    pub usable_idr_by_hour: Vec<f64>,
}

impl ReserveSchedule {
    /// Reserve usable during hour `hour`, IDR; the last hour's value past the end, 0 if empty.
    pub fn usable_at(&self, hour: u32) -> f64 {
        let last = self.usable_idr_by_hour.len().saturating_sub(1);
        self.usable_idr_by_hour
            .get((hour as usize).min(last))
            .copied()
            .unwrap_or(0.0)
    }
}

/// What one path did against a reserve schedule: the hour-by-hour check every caller uses.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ShortfallOutcome {
    /// 1-based hour in which withdrawals first exceeded the usable reserve; 0 = never.
    pub breach_hour: u16,
    /// Largest excess of cumulative withdrawals over the usable reserve at any hour end,
    /// IDR; 0 if never short. Adding this much from the close would have avoided the breach.
    pub peak_shortfall_idr: f64,
    /// Cumulative withdrawals at the end of the window, IDR.
    pub total_withdrawn_idr: u64,
}

impl ShortfallOutcome {
    /// Records the cumulative withdrawals `cumulative_idr` at the end of `hour` (0-based).
    pub fn observe(&mut self, hour: u32, cumulative_idr: u64, schedule: &ReserveSchedule) {
        self.observe_idr(hour, cumulative_idr as f64, schedule.usable_at(hour));
        self.total_withdrawn_idr = cumulative_idr;
    }

    /// Records cumulative withdrawals `cumulative_idr` against `usable_idr` at the end of
    /// `hour` (0-based), both IDR (leaves `total_withdrawn_idr` to the caller).
    pub fn observe_idr(&mut self, hour: u32, cumulative_idr: f64, usable_idr: f64) {
        let shortfall = cumulative_idr - usable_idr;
        if shortfall > 0.0 {
            if self.breach_hour == 0 {
                self.breach_hour = (hour + 1).min(u32::from(u16::MAX)) as u16;
            }
            self.peak_shortfall_idr = self.peak_shortfall_idr.max(shortfall);
        }
    }
}

impl ReservePosition {
    /// The reserve usable during each hour `0..window_hours`, plus `extra_idr` usable
    /// throughout (deposits received), IDR.
    pub fn schedule(&self, window_hours: u32, extra_idr: u64) -> ReserveSchedule {
        ReserveSchedule {
            usable_idr_by_hour: (0..window_hours)
                .map(|h| self.usable_at_hour_idr(h) as f64 + extra_idr as f64)
                .collect(),
        }
    }

    /// Layers usable only when the rails reopen (or later), IDR: Monday money.
    pub fn monday_money_idr(&self, window_hours: u32) -> u64 {
        self.layers
            .iter()
            .filter(|l| l.available_after_hours >= window_hours)
            .map(|l| l.amount_idr)
            .sum()
    }
}

/// Checks one path hour by hour: `cumulative_idr[h]` is the path's cumulative withdrawals at
/// the end of hour `h`, IDR.
pub fn check_path(cumulative_idr: &[u64], schedule: &ReserveSchedule) -> ShortfallOutcome {
    let mut outcome = ShortfallOutcome::default();
    for (h, &c) in cumulative_idr.iter().enumerate() {
        outcome.observe(h as u32, c, schedule);
    }
    outcome
}

/// Whether the reserve pays the weekend at the target probability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LiquidityVerdict {
    /// P(shortfall at some hour) is at most the target.
    LiquidityOk,
    /// P(shortfall at some hour) exceeds the target.
    LiquidityShortfall,
}

impl LiquidityVerdict {
    /// `LIQUIDITY_SHORTFALL` when a gap is left to fund (the balance sheet tests its p99 gap,
    /// which is positive exactly when more than 1% of weekends run short).
    pub fn of_gap(gap_idr: f64) -> Self {
        if gap_idr > 0.0 {
            Self::LiquidityShortfall
        } else {
            Self::LiquidityOk
        }
    }

    /// The verdict as printed.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LiquidityOk => "LIQUIDITY_OK",
            Self::LiquidityShortfall => "LIQUIDITY_SHORTFALL",
        }
    }
}

/// A reserve tested hour by hour against one scenario's simulated weekends.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LiquidityView {
    /// The reserve tested.
    pub reserve: ReservePosition,
    /// Layers usable before the rails reopen, IDR.
    pub usable_before_reopening_idr: u64,
    /// Layers usable only once the rails reopen (Monday money), IDR: never counted.
    pub monday_money_idr: u64,
    /// P(cumulative withdrawals exceed the usable reserve at some hour), with its error.
    pub shortfall: ProbabilityEstimate,
    /// 10th percentile of the first shortfall hour (1-based), given a shortfall.
    pub first_shortfall_p10_hours: Option<f64>,
    /// Median first shortfall hour, given a shortfall.
    pub first_shortfall_p50_hours: Option<f64>,
    /// 99th percentile over paths of the peak shortfall (the gap to bridge), IDR.
    pub gap_p99_idr: f64,
    /// 95% interval of `gap_p99_idr`.
    pub gap_p99_ci95: Interval95,
    /// 99th percentile of the weekend's withdrawals (stressed outflows), IDR.
    pub outflow_p99_idr: f64,
    /// Weekend liquidity coverage ratio, in the spirit of Basel's LCR:
    /// `usable_before_reopening / outflow_p99`.
    pub coverage_ratio: f64,
    /// The target P(shortfall).
    pub target_probability: f64,
    /// `LIQUIDITY_OK` when `shortfall.probability ≤ target_probability`.
    pub verdict: LiquidityVerdict,
}

/// Tests `reserve` hour by hour on every path of `run`, against `target_probability`.
pub fn test_reserve(
    run: &ScenarioRun,
    reserve: &ReservePosition,
    target_probability: f64,
) -> LiquidityView {
    let outcomes = shortfall_outcomes(run, reserve);
    summarise_liquidity(run, reserve, &outcomes, target_probability)
}

/// Every path of `run` checked hour by hour against `reserve` ([`check_path`]), in path order.
pub fn shortfall_outcomes(run: &ScenarioRun, reserve: &ReservePosition) -> Vec<ShortfallOutcome> {
    let schedule = reserve.schedule(run.hours as u32, 0);
    run.cumulative_idr
        .chunks_exact(run.hours.max(1))
        .map(|path| check_path(path, &schedule))
        .collect()
}

/// The liquidity view of `reserve` from its per-path `outcomes` on `run`.
pub fn summarise_liquidity(
    run: &ScenarioRun,
    reserve: &ReservePosition,
    outcomes: &[ShortfallOutcome],
    target_probability: f64,
) -> LiquidityView {
    let hours = run.hours as u32;
    let paths = outcomes.len() as u64;
    let breaches = outcomes.iter().filter(|o| o.breach_hour > 0).count() as u64;
    let mut first: Vec<f64> = outcomes
        .iter()
        .filter(|o| o.breach_hour > 0)
        .map(|o| f64::from(o.breach_hour))
        .collect();
    first.sort_by(f64::total_cmp);
    let mut gaps: Vec<f64> = outcomes.iter().map(|o| o.peak_shortfall_idr).collect();
    gaps.sort_by(f64::total_cmp);
    let mut totals: Vec<f64> = run.outcomes.iter().map(|o| o.total_idr() as f64).collect();
    let monday = reserve.monday_money_idr(hours);
    let usable = reserve.total_idr() - monday;
    let outflow_p99_idr = quantile_select(&mut totals, 0.99);
    let shortfall = ProbabilityEstimate::of_counts(breaches, paths);
    let q = |p| (!first.is_empty()).then(|| quantile_sorted(&first, p));
    LiquidityView {
        reserve: reserve.clone(),
        usable_before_reopening_idr: usable,
        monday_money_idr: monday,
        first_shortfall_p10_hours: q(0.10),
        first_shortfall_p50_hours: q(0.50),
        gap_p99_idr: quantile_sorted(&gaps, 0.99),
        gap_p99_ci95: quantile_interval(&gaps, 0.99),
        coverage_ratio: usable as f64 / outflow_p99_idr.max(1.0),
        outflow_p99_idr,
        target_probability,
        verdict: if shortfall.probability <= target_probability {
            LiquidityVerdict::LiquidityOk
        } else {
            LiquidityVerdict::LiquidityShortfall
        },
        shortfall,
    }
}

/// The terms of the fast layer: when it becomes usable, what converting it costs, what
/// holding it costs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FastLayerTerms {
    /// First hour (0-based) in which it can pay; at or past the window's end it never can.
    pub available_after_hours: u32,
    /// Share of its nominal value lost converting it to IDR, 0..1.
    pub haircut: f64,
    /// Annual carry cost per IDR held, fraction per year.
    pub carry_per_year: f64,
}

/// The cheapest instant + fast layers whose P(shortfall at some hour) ≤ `target`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LayerDesign {
    /// Instant layer, usable from the close, IDR.
    pub instant_idr: f64,
    /// Fast layer, nominal, IDR.
    pub fast_idr: f64,
    /// Fast layer after its haircut, IDR.
    pub fast_usable_idr: f64,
    /// First hour the fast layer can pay.
    pub fast_available_after_hours: u32,
    /// `instant · c_instant + fast · c_fast`, IDR per year.
    pub annual_carry_idr: f64,
}

/// Designs the layers on the paths of `run` (see the module doc). `step_idr` is the grid
/// spacing of the fast layer; `instant_carry_per_year` the instant layer's carry cost.
pub fn design_layers(
    run: &ScenarioRun,
    fast: FastLayerTerms,
    instant_carry_per_year: f64,
    target: f64,
    step_idr: f64,
) -> LayerDesign {
    let hours = run.hours.max(1);
    let d = fast.available_after_hours as usize;
    let before_fast: Vec<f64> = run
        .cumulative_idr
        .chunks_exact(hours)
        .map(|p| {
            if d == 0 {
                0.0
            } else {
                p[(d - 1).min(hours - 1)] as f64
            }
        })
        .collect();
    let totals: Vec<f64> = run
        .cumulative_idr
        .chunks_exact(hours)
        .map(|p| p[hours - 1] as f64)
        .collect();
    let usable_share = if d < hours { 1.0 - fast.haircut } else { 0.0 };
    let instant_for = |fast_idr: f64| {
        let mut need: Vec<f64> = before_fast
            .iter()
            .zip(&totals)
            .map(|(&a, &b)| a.max(b - usable_share * fast_idr))
            .collect();
        quantile_select(&mut need, 1.0 - target).max(0.0)
    };
    let design = |fast_idr: f64| {
        let instant_idr = instant_for(fast_idr);
        LayerDesign {
            instant_idr,
            fast_idr,
            fast_usable_idr: usable_share * fast_idr,
            fast_available_after_hours: fast.available_after_hours,
            annual_carry_idr: instant_idr * instant_carry_per_year + fast_idr * fast.carry_per_year,
        }
    };
    let all_instant = design(0.0);
    if usable_share <= 0.0 || step_idr <= 0.0 {
        return all_instant;
    }
    let steps = (all_instant.instant_idr / (usable_share * step_idr)).ceil() as usize;
    (1..=steps)
        .map(|k| design(k as f64 * step_idr))
        .fold(all_instant, |best, d| {
            if d.annual_carry_idr < best.annual_carry_idr {
                d
            } else {
                best
            }
        })
}

/// One hour of the withdrawal fan.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FanPoint {
    /// 1-based hour after the close.
    pub hour: u32,
    /// 5th percentile of cumulative withdrawals at the end of the hour, IDR.
    pub p5_idr: f64,
    /// Median, IDR.
    pub p50_idr: f64,
    /// 95th percentile, IDR.
    pub p95_idr: f64,
    /// Reserve usable during that hour under the recommended layers, IDR.
    pub usable_reserve_idr: f64,
}

/// The cumulative-withdrawal fan of `run`, hour by hour, against `schedule`.
pub fn withdrawal_fan(run: &ScenarioRun, schedule: &ReserveSchedule) -> Vec<FanPoint> {
    let hours = run.hours;
    (0..hours)
        .map(|h| {
            let mut column: Vec<f64> = run
                .cumulative_idr
                .chunks_exact(hours)
                .map(|p| p[h] as f64)
                .collect();
            FanPoint {
                hour: h as u32 + 1,
                p5_idr: quantile_select(&mut column, 0.05),
                p50_idr: quantile_select(&mut column, 0.50),
                p95_idr: quantile_select(&mut column, 0.95),
                usable_reserve_idr: schedule.usable_at(h as u32),
            }
        })
        .collect()
}
