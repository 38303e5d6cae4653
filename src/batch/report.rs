//! What `sentinel simulate` reports: plain serialisable types, no computation.
//! Amounts are IDR unless the name says otherwise; shares are of total customer fiat.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::insurance::InsuranceReport;
use crate::model::liquidity::{FanPoint, LiquidityView};
use crate::model::market::StressScenario;
use crate::model::mc_error::Interval95;
use crate::model::process::ScenarioName;
use crate::model::reserve::{FrontierPoint, ReserveSizing, TimeToInsolvency};
use crate::model::solvency::{FirmResources, ReserveBasis, SolvencyReport};
use crate::model::stats::DistributionSummary;
use crate::model::tiers::LayerPlan;
use crate::model::user_base::Concentration;
use crate::model::var::VarReport;

/// Everything `sentinel simulate` reports.
#[derive(Debug, Clone, Serialize)]
pub struct BatchReport {
    /// Master seed of the run.
    pub seed: u64,
    /// Paths per scenario.
    pub paths: usize,
    /// Hours the rails are closed.
    pub window_hours: u32,
    /// When the rails close.
    pub window_opens: String,
    /// When the rails reopen.
    pub window_reopens: String,
    /// All customer fiat, IDR.
    pub total_fiat_idr: u64,
    /// IDR per USD used for the USD reference.
    pub usd_idr_rate: f64,
    /// Newsvendor critical ratio at the midpoint costs.
    pub critical_ratio: f64,
    /// Lowest critical ratio over the configured cost ranges (highest yield, lowest emergency cost).
    pub critical_ratio_low: f64,
    /// Highest critical ratio over the configured cost ranges.
    pub critical_ratio_high: f64,
    /// Concentration of the user base.
    pub user_base: Concentration,
    /// Per-scenario results, keyed by scenario name.
    pub scenarios: BTreeMap<ScenarioName, ScenarioReport>,
    /// The reserve to hold entering the weekend.
    pub recommendation: Recommendation,
    /// Market risk of the crypto book: HS, FHS, stressed VaR, shocks, tiers, backtest.
    pub var: VarReport,
    /// The insurance fund under the liquidation cascade, per stress scenario.
    pub insurance_fund: InsuranceReport,
    /// The stressed balance sheet, per stress scenario.
    pub solvency: SolvencyBook,
    /// How the recommendation moves with the synthetic user base (`None` for real accounts
    /// or when not asked for).
    pub user_base_sensitivity: Option<SensitivityBand>,
}

/// The solvency view of the four stress scenarios.
#[derive(Debug, Clone, Serialize)]
pub struct SolvencyBook {
    /// Which fiat reserve the sheets hold.
    pub reserve_basis: ReserveBasis,
    /// The firm's resources and weekend terms, the same in every scenario.
    pub firm: FirmResources,
    /// OJK ceiling on consumer crypto in the hot wallet, consumer crypto × in-house share ×
    /// hot share, IDR: consumer assets, reported for reference, never sold for the firm.
    pub consumer_hot_wallet_ceiling_idr: f64,
    /// Weekend withdrawal distribution each scenario uses (LUNA-style reuses severe).
    pub withdrawal_scenario: BTreeMap<StressScenario, ScenarioName>,
    /// Per scenario.
    pub scenarios: BTreeMap<StressScenario, SolvencyReport>,
}

/// The weekend-total distribution as shares of total fiat.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ShareSummary {
    /// Mean share.
    pub mean: f64,
    /// Median share.
    pub p50: f64,
    /// 75th percentile share.
    pub p75: f64,
    /// 90th percentile share.
    pub p90: f64,
    /// 95th percentile share (= VaR95).
    pub p95: f64,
    /// 99th percentile share (= VaR99).
    pub p99: f64,
    /// 99.9th percentile share.
    pub p999: f64,
    /// CVaR95 share.
    pub cvar95: f64,
    /// CVaR99 share.
    pub cvar99: f64,
    /// Largest share withdrawn on any path (≤ 1 by conservation).
    pub max: f64,
}

/// Reference amounts in USD at the configured rate.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct UsdReference {
    /// Mean, USD.
    pub mean_usd: f64,
    /// Median, USD.
    pub p50_usd: f64,
    /// 95th percentile, USD.
    pub p95_usd: f64,
    /// 99th percentile, USD.
    pub p99_usd: f64,
    /// CVaR99, USD.
    pub cvar99_usd: f64,
}

/// Mean withdrawals in one hour of the window.
#[derive(Debug, Clone, Serialize)]
pub struct HourPoint {
    /// 1-based hour after the close.
    pub hour: u32,
    /// Mean retail withdrawals in that hour, IDR.
    pub retail_idr: f64,
    /// Mean institutional withdrawals in that hour, IDR.
    pub institutional_idr: f64,
    /// Mean cumulative withdrawals at the end of that hour, IDR.
    pub cumulative_idr: f64,
}

/// Time-to-insolvency at the two reserves treasury compares.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct InsolvencyTimes {
    /// At the industry rule of thumb, held as instant IDR.
    pub rule_of_thumb: TimeToInsolvency,
}

/// One scenario's results.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioReport {
    /// Distribution of the weekend total, IDR.
    #[serde(flatten)]
    pub summary: DistributionSummary,
    /// Mean weekend total as a share of total fiat.
    pub share_of_fiat_mean: f64,
    /// The distribution as shares of total fiat.
    pub share_of_fiat: ShareSummary,
    /// Documented calibration range of the mean share, low end.
    pub expected_share_low: f64,
    /// Documented calibration range of the mean share, high end.
    pub expected_share_high: f64,
    /// The distribution in USD.
    pub usd_reference: UsdReference,
    /// Mean retail withdrawals over the window, IDR.
    pub mean_retail_idr: f64,
    /// Mean institutional withdrawals over the window, IDR.
    pub mean_institutional_idr: f64,
    /// Mean number of institutional jumps.
    pub mean_institutional_jumps: f64,
    /// Mean hourly path.
    pub mean_hourly_path: Vec<HourPoint>,
    /// Newsvendor, CVaR99, cost curve.
    pub reserve: ReserveSizing,
    /// Failure probability against reserve share.
    pub frontier: Vec<FrontierPoint>,
    /// Smallest frontier share whose failure probability is at most 1%.
    pub safe_reserve_share_1pct: f64,
    /// Time-to-insolvency at the rule of thumb (the recommended layers' first shortfall
    /// hours are in `liquidity.recommended`).
    pub time_to_insolvency: InsolvencyTimes,
    /// Monte Carlo 95% intervals of the distribution's figures.
    pub intervals_95: SummaryIntervals,
    /// Liquidity: the recommended layers and the rule of thumb, hour by hour.
    pub liquidity: ScenarioLiquidity,
    /// Cumulative withdrawals hour by hour (p5, p50, p95) against the recommended layers'
    /// usable reserve.
    pub withdrawal_fan: Vec<FanPoint>,
    /// How the scenario's figures sit against the documented record.
    pub calibration: ScenarioCalibration,
    /// Per-path series for the board report's charts; not in the JSON, whose summary
    /// figures they underlie.
    #[serde(skip)]
    pub chart_series: ScenarioChartSeries,
}

/// Per-path series of a scenario that the board report charts (`sentinel report`).
#[derive(Debug, Clone, Default)]
pub struct ScenarioChartSeries {
    /// Histogram of the weekend total over the paths, IDR.
    pub weekend_total: Histogram,
    /// Paths whose first hour short of the rule of thumb is hour `h`, at index `h − 1`
    /// (paths never short are not counted).
    pub rule_breach_hour_paths: Vec<u64>,
}

/// Equal-width bins from `low_idr`: bin `i` counts the values in
/// `[low_idr + i · width_idr, low_idr + (i + 1) · width_idr)` (the last bin is closed).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Histogram {
    /// Lower edge of the first bin, IDR.
    pub low_idr: f64,
    /// Width of every bin, IDR.
    pub width_idr: f64,
    /// Values per bin.
    pub counts: Vec<u64>,
}

impl Histogram {
    /// `bins` equal bins from the smallest to the largest value of the ascending `sorted`
    /// (one bin of width 1 when all values are equal); empty for an empty sample.
    pub fn of_sorted(sorted: &[f64], bins: usize) -> Self {
        let (Some(&low_idr), Some(&high)) = (sorted.first(), sorted.last()) else {
            return Self::default();
        };
        let bins = bins.max(1);
        let width_idr = if high > low_idr {
            (high - low_idr) / bins as f64
        } else {
            1.0
        };
        let mut counts = vec![0; bins];
        for &x in sorted {
            let i = ((x - low_idr) / width_idr) as usize;
            counts[i.min(bins - 1)] += 1;
        }
        Self {
            low_idr,
            width_idr,
            counts,
        }
    }
}

/// A scenario's calibration figures (the "calibration" section of `simulate`).
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioCalibration {
    /// Mean institutional withdrawals over the mean weekend total.
    pub institutional_share_of_total: f64,
    /// Hours after the close at which retail panic is fully set in (lead + ramp); `None`
    /// when the scenario has no retail panic.
    pub retail_peak_hours: Option<f64>,
    /// Share of the mean institutional withdrawals made before that hour.
    pub institutional_before_retail_peak_share: Option<f64>,
    /// Coefficient of variation of the weekend's retail total across paths.
    pub retail_total_cv: f64,
}

/// How much the recommendation moves with the synthetic user base: the planning scenario's
/// recommended reserve re-designed on user bases drawn from other seeds.
#[derive(Debug, Clone, Serialize)]
pub struct SensitivityBand {
    /// The reported recommendation, IDR.
    pub reported_idr: f64,
    /// The user-base seeds tried besides the configured one.
    pub seeds: Vec<u64>,
    /// The recommendation on each of them, IDR.
    pub reserve_idr: Vec<f64>,
    /// Smallest and largest relative deviation from the reported figure (e.g. −0.03, 0.02),
    /// over the seeds tried.
    pub deviation_low: f64,
    /// See `deviation_low`.
    pub deviation_high: f64,
}

/// The reserve to fund before the rails close: the cheapest layers whose P(shortfall at
/// some hour of the window) on the planning scenario is at most the target.
#[derive(Debug, Clone, Serialize)]
pub struct Recommendation {
    /// Scenario planned for.
    pub scenario: ScenarioName,
    /// Target P(shortfall at some hour of the window).
    pub target_shortfall_probability: f64,
    /// What to fund before the rails close (instant + fast layer, nominal), IDR.
    pub reserve_idr: f64,
    /// The same, USD reference.
    pub reserve_usd: f64,
    /// The same as a share of total fiat.
    pub reserve_share: f64,
    /// Instant, fast and Monday layers with their availability hours and annual cost.
    pub layers: Vec<LayerPlan>,
    /// The layers tested hour by hour on the planning scenario's paths.
    pub liquidity: LiquidityView,
    /// Annual cost of the layers against the opportunity yield, IDR per year.
    pub annual_cost_idr: f64,
    /// The newsvendor reserve of the planning scenario (economic reference), IDR.
    pub newsvendor_reference_idr: f64,
    /// The CVaR99 reserve of the planning scenario (reference), IDR.
    pub cvar99_reference_idr: f64,
    /// Paths per scenario for a relative standard error of `precision_relative_error` on the
    /// target P(shortfall): `(1 − p) / (p · r²)`.
    pub paths_for_precision: u64,
    /// The relative standard error `paths_for_precision` is computed for.
    pub precision_relative_error: f64,
}

/// 95% intervals (Monte Carlo error) of a scenario's headline figures, IDR.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct SummaryIntervals {
    /// Of the mean.
    pub mean_idr: Interval95,
    /// Of the median.
    pub p50_idr: Interval95,
    /// Of the 95th percentile (VaR95).
    pub p95_idr: Interval95,
    /// Of the 99th percentile (VaR99).
    pub p99_idr: Interval95,
    /// Of the 99.9th percentile.
    pub p999_idr: Interval95,
    /// Of CVaR95.
    pub cvar95_idr: Interval95,
    /// Of CVaR99.
    pub cvar99_idr: Interval95,
}

/// A scenario's liquidity view: reserves tested hour by hour against its paths.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioLiquidity {
    /// The recommended layers.
    pub recommended: LiquidityView,
    /// The rule of thumb held as instant IDR.
    pub rule_of_thumb: LiquidityView,
}
