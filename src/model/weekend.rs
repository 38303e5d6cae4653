//! The batch stress run: every selected scenario over the weekend window, summarised
//! into distributions, reserve sizing, the safety frontier and time-to-insolvency; then the
//! market-risk (VaR) suite of the crypto book, the insurance fund under a liquidation cascade,
//! the stressed balance sheet of every scenario against the OJK floor and the reserve layers.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::config::risk::{ReserveBasis, StressScenario};
use crate::config::{Config, ReservePolicy, ScenarioName};
use crate::model::insurance::{InsuranceReport, run_insurance_fund};
use crate::model::market::MarketHistory;
use crate::model::process::WeekendProcess;
use crate::model::reserve::{
    FrontierPoint, NewsvendorCosts, ReserveSizing, SortedSample, TimeToInsolvency, safety_frontier,
    size_reserve, time_to_insolvency,
};
use crate::model::solvency::{
    FirmResources, ScenarioDemand, SolvencyReport, market_loss_idr, stressed_balance_sheet,
    weekend_horizon_factor,
};
use crate::model::stats::{DistributionSummary, quantile_sorted};
use crate::model::tiers::{LayerTargets, ReserveTiers, reserve_layers};
use crate::model::user_base::{Concentration, UserBase};
use crate::model::var::{VarReport, var_suite};
use crate::model::window::WeekendWindow;
use crate::model::withdrawals::ScenarioRun;

/// Failure probability the "safe share" of the frontier is read at.
const SAFE_FAILURE_PROBABILITY: f64 = 0.01;

/// What to run.
#[derive(Debug, Clone)]
pub struct BatchRequest {
    /// Scenarios to report, mildest first.
    pub scenarios: Vec<ScenarioName>,
    /// Paths per scenario.
    pub paths: usize,
    /// Master seed.
    pub seed: u64,
}

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
    /// The three reserve layers.
    pub tiers: ReserveTiers,
}

/// The stressed balance sheets of the four stress scenarios.
#[derive(Debug, Clone, Serialize)]
pub struct SolvencyBook {
    /// Which fiat reserve the sheets hold.
    pub reserve_basis: ReserveBasis,
    /// The firm's resources, the same in every scenario.
    pub firm: FirmResources,
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
    /// At the industry rule of thumb.
    pub rule_of_thumb: TimeToInsolvency,
    /// At the recommended reserve.
    pub recommended: TimeToInsolvency,
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
    /// Time-to-insolvency at the rule of thumb and at the recommended reserve.
    pub time_to_insolvency: InsolvencyTimes,
}

/// The reserve to fund before the rails close.
#[derive(Debug, Clone, Serialize)]
pub struct Recommendation {
    /// Scenario planned for.
    pub scenario: ScenarioName,
    /// Policy followed.
    pub policy: ReservePolicy,
    /// The policy's statistic before the OJK floor, IDR.
    pub unfloored_idr: f64,
    /// Recommended reserve, IDR.
    pub reserve_idr: f64,
    /// Recommended reserve, USD reference.
    pub reserve_usd: f64,
    /// Recommended reserve as a share of total fiat.
    pub reserve_share: f64,
    /// Whether the OJK floor set the amount.
    pub floored_by_ojk: bool,
    /// P(planning-scenario withdrawals exceed it).
    pub failure_probability: f64,
    /// Yield forgone by holding it for a year, IDR per year.
    pub annual_opportunity_cost_idr: f64,
}

/// Runs the batch stress test on the synthetic market history of `config.market`.
/// Pure: same inputs, same report, whatever the thread count.
pub fn run_batch(config: &Config, users: &UserBase, request: &BatchRequest) -> BatchReport {
    let history = MarketHistory::synthetic(&config.market);
    run_batch_with_market(config, users, request, &history)
}

/// Runs the batch stress test with the VaR suite on `history` (e.g. a real price CSV).
pub fn run_batch_with_market(
    config: &Config,
    users: &UserBase,
    request: &BatchRequest,
    history: &MarketHistory,
) -> BatchReport {
    let window = WeekendWindow::from_config(&config.window);
    let total_fiat_idr = users.total_fiat_idr();
    let total_fiat = total_fiat_idr as f64;
    let r = &config.reserve;
    let costs = NewsvendorCosts {
        overage_per_year: r.overage_cost_per_year(),
        underage_per_year: r.underage_cost_per_year(),
    };
    let rule_idr = r.rule_of_thumb_share * total_fiat;
    let model_of = |name: ScenarioName| {
        WeekendProcess::new(config.scenarios.get(name), users, window.hours)
            .expect("validated scenario")
    };
    let run_of = |name: ScenarioName, thresholds: &[u64]| {
        model_of(name).run(request.paths, request.seed, name.stream_id(), thresholds)
    };
    let sizing_of = |sample: &SortedSample| {
        size_reserve(
            sample,
            costs,
            total_fiat,
            r.ojk_min_equity_idr as f64,
            r.rule_of_thumb_share,
            r.frontier_step_share,
        )
    };

    let planning = r.planning_scenario;
    let planning_sample = SortedSample::new(totals_as_f64(&run_of(planning, &[])));
    let planning_sizing = sizing_of(&planning_sample);
    let recommendation = recommend(
        &planning_sizing,
        &planning_sample,
        r.recommended_policy,
        planning,
        config.fx.usd_idr,
    );

    let thresholds = [
        rule_idr.floor() as u64,
        recommendation.reserve_idr.floor() as u64,
    ];
    let scenarios: BTreeMap<ScenarioName, ScenarioReport> = request
        .scenarios
        .iter()
        .map(|&name| {
            let run = run_of(name, &thresholds);
            let report = scenario_report(&run, config, name, total_fiat, &thresholds, sizing_of);
            (name, report)
        })
        .collect();

    let withdrawal_p99_idr = |name: ScenarioName| match scenarios.get(&name) {
        Some(report) => report.summary.p99_idr,
        None if name == planning => quantile_sorted(planning_sample.sorted(), 0.99),
        None => {
            let sample = SortedSample::new(totals_as_f64(&run_of(name, &[])));
            quantile_sorted(sample.sorted(), 0.99)
        }
    };
    let withdrawals_p99_idr: BTreeMap<ScenarioName, f64> = ScenarioName::ALL
        .into_iter()
        .map(|name| (name, withdrawal_p99_idr(name)))
        .collect();
    let fiat_reserve_idr = match config.solvency.reserve_basis {
        ReserveBasis::RuleOfThumb => rule_idr,
        ReserveBasis::Recommended => recommendation.reserve_idr,
    };
    let risk = risk_sections(
        config,
        history,
        &withdrawals_p99_idr,
        fiat_reserve_idr,
        total_fiat,
        LayerTargets {
            normal_withdrawals_p99_idr: withdrawals_p99_idr
                .get(&ScenarioName::Normal)
                .copied()
                .unwrap_or(0.0),
            tier1_weekend_idr: 0.0,
            planning_p95_idr: quantile_sorted(planning_sample.sorted(), 0.95),
            recommended_reserve_idr: recommendation.reserve_idr,
            window_hours: window.hours,
            opportunity_yield: r.overage_cost_per_year(),
        },
    );

    BatchReport {
        seed: request.seed,
        paths: request.paths,
        window_hours: window.hours,
        window_opens: window.label_at(0),
        window_reopens: window.reopens_label(),
        total_fiat_idr,
        usd_idr_rate: config.fx.usd_idr,
        critical_ratio: costs.critical_ratio(),
        critical_ratio_low: NewsvendorCosts {
            overage_per_year: r.opportunity_yield_high,
            underage_per_year: r.emergency_cost_low,
        }
        .critical_ratio(),
        critical_ratio_high: NewsvendorCosts {
            overage_per_year: r.opportunity_yield_low,
            underage_per_year: r.emergency_cost_high,
        }
        .critical_ratio(),
        user_base: users.concentration(),
        scenarios,
        recommendation,
        var: risk.var,
        insurance_fund: risk.insurance_fund,
        solvency: risk.solvency,
        tiers: risk.tiers,
    }
}

/// The market-risk, insurance-fund, solvency and reserve-layer sections of the report.
struct RiskSections {
    var: VarReport,
    insurance_fund: InsuranceReport,
    solvency: SolvencyBook,
    tiers: ReserveTiers,
}

/// Runs the VaR suite and the insurance fund, then builds the balance sheets and the layers.
/// `layers.tier1_weekend_idr` is filled in here from the VaR suite.
fn risk_sections(
    config: &Config,
    history: &MarketHistory,
    withdrawals_p99_idr: &BTreeMap<ScenarioName, f64>,
    fiat_reserve_idr: f64,
    total_fiat: f64,
    layers: LayerTargets,
) -> RiskSections {
    let var = var_suite(
        history,
        &config.market,
        config.reserve.overage_cost_per_year(),
    );
    let insurance_fund = run_insurance_fund(
        &config.insurance_fund,
        &config.market,
        total_fiat,
        &StressScenario::ALL,
    );
    let solvency = solvency_book(
        config,
        &var,
        &insurance_fund,
        withdrawals_p99_idr,
        fiat_reserve_idr,
        total_fiat,
        layers.window_hours,
    );
    let tiers = reserve_layers(
        &config.tiers,
        &LayerTargets {
            tier1_weekend_idr: var.tiers.tier1_idr * weekend_horizon_factor(layers.window_hours),
            ..layers
        },
    );
    RiskSections {
        var,
        insurance_fund,
        solvency,
        tiers,
    }
}

/// The weekend withdrawal distribution a stress scenario uses: its own, LUNA-style the severe one.
pub fn withdrawal_scenario_of(scenario: StressScenario) -> ScenarioName {
    match scenario {
        StressScenario::Normal => ScenarioName::Normal,
        StressScenario::Mild => ScenarioName::Mild,
        StressScenario::Severe | StressScenario::Luna => ScenarioName::Severe,
    }
}

fn solvency_book(
    config: &Config,
    var: &VarReport,
    insurance: &InsuranceReport,
    withdrawals_p99_idr: &BTreeMap<ScenarioName, f64>,
    fiat_reserve_idr: f64,
    total_fiat: f64,
    window_hours: u32,
) -> SolvencyBook {
    let s = &config.solvency;
    let firm = FirmResources {
        fiat_reserve_idr,
        insurance_fund_idr: insurance.fund_idr,
        proprietary_capital_idr: s.proprietary_capital_idr as f64,
        crypto_book_idr: var.history.book_idr,
        hot_wallet_ceiling_idr: s.consumer_crypto_idr as f64
            * s.in_house_custody_share
            * s.hot_wallet_share,
        conversion_haircut: s.conversion_haircut,
        ojk_floor_idr: config.reserve.ojk_min_equity_idr as f64,
    };
    let scenarios = StressScenario::ALL
        .into_iter()
        .map(|scenario| {
            let demand = ScenarioDemand {
                withdrawals_p99_idr: withdrawals_p99_idr
                    .get(&withdrawal_scenario_of(scenario))
                    .copied()
                    .unwrap_or(0.0),
                customer_fiat_idr: total_fiat,
                fund_drawdown_p99_idr: insurance
                    .scenarios
                    .get(&scenario)
                    .map_or(0.0, |f| f.drawdown.p99_idr),
                market_loss_idr: market_loss_idr(scenario, var, window_hours),
            };
            (scenario, stressed_balance_sheet(&firm, &demand))
        })
        .collect();
    SolvencyBook {
        reserve_basis: s.reserve_basis,
        firm,
        withdrawal_scenario: StressScenario::ALL
            .into_iter()
            .map(|x| (x, withdrawal_scenario_of(x)))
            .collect(),
        scenarios,
    }
}

fn totals_as_f64(run: &ScenarioRun) -> Vec<f64> {
    run.outcomes.iter().map(|o| o.total_idr() as f64).collect()
}

fn recommend(
    sizing: &ReserveSizing,
    sample: &SortedSample,
    policy: ReservePolicy,
    scenario: ScenarioName,
    usd_idr: f64,
) -> Recommendation {
    let name = match policy {
        ReservePolicy::Newsvendor => "newsvendor",
        ReservePolicy::Cvar99 => "cvar99",
    };
    let chosen = sizing
        .policies
        .iter()
        .find(|p| p.policy == name)
        .expect("size_reserve reports both policies");
    Recommendation {
        scenario,
        policy,
        unfloored_idr: chosen.unfloored_idr,
        reserve_idr: chosen.reserve_idr,
        reserve_usd: chosen.reserve_idr / usd_idr,
        reserve_share: chosen.reserve_share,
        floored_by_ojk: chosen.unfloored_idr < sizing.ojk_floor_idr,
        failure_probability: sample.failure_probability(chosen.reserve_idr),
        annual_opportunity_cost_idr: chosen.annual_opportunity_cost_idr,
    }
}

fn scenario_report(
    run: &ScenarioRun,
    config: &Config,
    name: ScenarioName,
    total_fiat: f64,
    thresholds: &[u64; 2],
    sizing_of: impl Fn(&SortedSample) -> ReserveSizing,
) -> ScenarioReport {
    let scenario = config.scenarios.get(name);
    let paths = run.outcomes.len() as f64;
    let sample = SortedSample::new(totals_as_f64(run));
    let summary = DistributionSummary::of_sorted(sample.sorted());
    let shares = summary.scaled(total_fiat);
    let usd = summary.scaled(config.fx.usd_idr);
    let frontier = safety_frontier(&sample, total_fiat, config.reserve.frontier_step_share);
    let safe_reserve_share_1pct = frontier
        .iter()
        .find(|p| p.failure_probability <= SAFE_FAILURE_PROBABILITY)
        .map_or(1.0, |p| p.reserve_share);
    let mut cumulative = 0.0;
    let mean_hourly_path = run
        .mean_hourly_retail_idr
        .iter()
        .zip(&run.mean_hourly_institutional_idr)
        .enumerate()
        .map(|(h, (&retail_idr, &institutional_idr))| {
            cumulative += retail_idr + institutional_idr;
            HourPoint {
                hour: h as u32 + 1,
                retail_idr,
                institutional_idr,
                cumulative_idr: cumulative,
            }
        })
        .collect();
    ScenarioReport {
        summary,
        share_of_fiat_mean: shares.mean_idr,
        share_of_fiat: ShareSummary {
            mean: shares.mean_idr,
            p50: shares.p50_idr,
            p75: shares.p75_idr,
            p90: shares.p90_idr,
            p95: shares.p95_idr,
            p99: shares.p99_idr,
            p999: shares.p999_idr,
            cvar95: shares.cvar95_idr,
            cvar99: shares.cvar99_idr,
            max: sample.sorted().last().copied().unwrap_or(0.0) / total_fiat,
        },
        expected_share_low: scenario.expected_share_low,
        expected_share_high: scenario.expected_share_high,
        usd_reference: UsdReference {
            mean_usd: usd.mean_idr,
            p50_usd: usd.p50_idr,
            p95_usd: usd.p95_idr,
            p99_usd: usd.p99_idr,
            cvar99_usd: usd.cvar99_idr,
        },
        mean_retail_idr: run
            .outcomes
            .iter()
            .map(|o| o.retail_idr as f64)
            .sum::<f64>()
            / paths,
        mean_institutional_idr: run
            .outcomes
            .iter()
            .map(|o| o.institutional_idr as f64)
            .sum::<f64>()
            / paths,
        mean_institutional_jumps: run
            .outcomes
            .iter()
            .map(|o| f64::from(o.institutional_jumps))
            .sum::<f64>()
            / paths,
        mean_hourly_path,
        reserve: sizing_of(&sample),
        frontier,
        safe_reserve_share_1pct,
        time_to_insolvency: InsolvencyTimes {
            rule_of_thumb: time_to_insolvency(
                &run.first_passage_hours[0],
                thresholds[0] as f64,
                total_fiat,
            ),
            recommended: time_to_insolvency(
                &run.first_passage_hours[1],
                thresholds[1] as f64,
                total_fiat,
            ),
        },
    }
}
