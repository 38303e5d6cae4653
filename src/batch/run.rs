//! The batch run: each scenario simulated once, then summarised into its distribution,
//! reserve sizing, frontier and time-to-insolvency; the planning scenario gives the
//! recommendation; then the market-risk suite, the insurance fund, the stressed balance sheets
//! and the reserve layers.

use std::collections::BTreeMap;

use crate::batch::report::{
    BatchReport, HourPoint, InsolvencyTimes, Recommendation, ScenarioReport, ShareSummary,
    SolvencyBook, UsdReference,
};
use crate::config::{Config, ReserveConfig};
use crate::model::insurance::{InsuranceReport, run_insurance_fund};
use crate::model::market::{MarketHistory, StressScenario};
use crate::model::params::ParamError;
use crate::model::process::{ScenarioName, WeekendProcess};
use crate::model::reserve::{
    NewsvendorCosts, ReservePolicy, ReserveSizing, SortedSample, safety_frontier, size_reserve,
    time_to_insolvency,
};
use crate::model::solvency::{
    FirmResources, ReserveBasis, ScenarioDemand, market_loss_idr, stressed_balance_sheet,
    weekend_horizon_factor,
};
use crate::model::stats::{DistributionSummary, quantile_sorted};
use crate::model::tiers::{LayerTargets, ReserveTiers, reserve_layers};
use crate::model::user_base::UserBase;
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

/// Why a batch run could not start.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    /// A parameter set did not validate; the field carries its section path.
    #[error("invalid config: {0}")]
    Params(#[from] ParamError),
}

/// The pieces every scenario's summary shares.
struct RunContext<'a> {
    config: &'a Config,
    total_fiat: f64,
    costs: NewsvendorCosts,
}

impl RunContext<'_> {
    /// Newsvendor, CVaR99, cost curve and policies of `sample`.
    fn sizing(&self, sample: &SortedSample) -> ReserveSizing {
        let r = &self.config.reserve;
        size_reserve(
            sample,
            self.costs,
            self.total_fiat,
            r.ojk_min_equity_idr as f64,
            r.rule_of_thumb_share,
            r.frontier_step_share,
        )
    }
}

/// Runs the batch stress test with the synthetic market history of `config.market`.
/// Pure: same inputs, same report, whatever the thread count.
pub fn run_batch(
    config: &Config,
    users: &UserBase,
    request: &BatchRequest,
) -> Result<BatchReport, BatchError> {
    let history =
        MarketHistory::synthetic(&config.market).map_err(|e| e.within_section("market"))?;
    run_batch_with_market(config, users, request, &history)
}

/// Runs the batch stress test with the VaR suite on `history` (synthetic or a price CSV).
/// Each scenario is simulated once; the planning scenario's run serves both the
/// recommendation and its own report.
pub fn run_batch_with_market(
    config: &Config,
    users: &UserBase,
    request: &BatchRequest,
    history: &MarketHistory,
) -> Result<BatchReport, BatchError> {
    let window = WeekendWindow::from_config(&config.window);
    let r = &config.reserve;
    let ctx = RunContext {
        config,
        total_fiat: users.total_fiat_idr() as f64,
        costs: NewsvendorCosts {
            overage_per_year: r.overage_cost_per_year(),
            underage_per_year: r.underage_cost_per_year(),
        },
    };
    let run_of = |name: ScenarioName| -> Result<ScenarioRun, BatchError> {
        let process = WeekendProcess::new(config.scenarios.get(name), users, window.hours)
            .map_err(|e| e.within_section(&format!("scenarios.{name}")))?;
        Ok(process.run(request.paths, request.seed, name.stream_id()))
    };

    let planning = r.planning_scenario;
    let mut planning_run = Some(run_of(planning)?);
    let planning_sample = SortedSample::new(planning_run.as_ref().map_or_else(Vec::new, totals));
    let recommendation = recommend(&ctx, &planning_sample, planning);
    let thresholds = [
        (r.rule_of_thumb_share * ctx.total_fiat).floor() as u64,
        recommendation.reserve_idr.floor() as u64,
    ];

    let mut scenarios = BTreeMap::new();
    let mut withdrawals_p99_idr = BTreeMap::new();
    for name in ScenarioName::ALL {
        let run = match planning_run.take_if(|_| name == planning) {
            Some(run) => run,
            None => run_of(name)?,
        };
        let sample = SortedSample::new(totals(&run));
        withdrawals_p99_idr.insert(name, quantile_sorted(sample.sorted(), 0.99));
        if request.scenarios.contains(&name) {
            let report = scenario_report(&ctx, &run, &sample, name, &thresholds);
            scenarios.insert(name, report);
        }
    }

    let targets = LayerTargets {
        normal_withdrawals_p99_idr: withdrawals_p99_idr
            .get(&ScenarioName::Normal)
            .copied()
            .unwrap_or(0.0),
        tier1_weekend_idr: 0.0,
        planning_p95_idr: quantile_sorted(planning_sample.sorted(), 0.95),
        recommended_reserve_idr: recommendation.reserve_idr,
        window_hours: window.hours,
        opportunity_yield: r.overage_cost_per_year(),
    };
    let fiat_reserve_idr = match config.solvency.reserve_basis {
        ReserveBasis::RuleOfThumb => r.rule_of_thumb_share * ctx.total_fiat,
        ReserveBasis::Recommended => recommendation.reserve_idr,
    };
    let risk = risk_sections(
        config,
        history,
        &withdrawals_p99_idr,
        fiat_reserve_idr,
        ctx.total_fiat,
        targets,
    );
    Ok(assemble(
        &ctx,
        request,
        users,
        window,
        scenarios,
        recommendation,
        risk,
    ))
}

/// Puts the sections together with the run's header fields.
fn assemble(
    ctx: &RunContext,
    request: &BatchRequest,
    users: &UserBase,
    window: WeekendWindow,
    scenarios: BTreeMap<ScenarioName, ScenarioReport>,
    recommendation: Recommendation,
    risk: RiskSections,
) -> BatchReport {
    let r = &ctx.config.reserve;
    let (critical_ratio_low, critical_ratio_high) = critical_ratio_range(r);
    BatchReport {
        seed: request.seed,
        paths: request.paths,
        window_hours: window.hours,
        window_opens: window.label_at(0),
        window_reopens: window.reopens_label(),
        total_fiat_idr: users.total_fiat_idr(),
        usd_idr_rate: ctx.config.fx.usd_idr,
        critical_ratio: ctx.costs.critical_ratio(),
        critical_ratio_low,
        critical_ratio_high,
        user_base: users.concentration(),
        scenarios,
        recommendation,
        var: risk.var,
        insurance_fund: risk.insurance_fund,
        solvency: risk.solvency,
        tiers: risk.tiers,
    }
}

/// The lowest and highest critical ratios over the configured cost ranges: (highest yield,
/// lowest emergency cost) and (lowest yield, highest emergency cost).
fn critical_ratio_range(r: &ReserveConfig) -> (f64, f64) {
    let low = NewsvendorCosts {
        overage_per_year: r.opportunity_yield_high,
        underage_per_year: r.emergency_cost_low,
    };
    let high = NewsvendorCosts {
        overage_per_year: r.opportunity_yield_low,
        underage_per_year: r.emergency_cost_high,
    };
    (low.critical_ratio(), high.critical_ratio())
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

/// The firm's resources and weekend terms under `config.solvency`, the same in every scenario.
/// The gap is bridged at `reserve.emergency_cost_high`: the top of the emergency-funding range,
/// as a stress view should.
fn firm_resources(
    config: &Config,
    var: &VarReport,
    insurance: &InsuranceReport,
    fiat_reserve_idr: f64,
) -> FirmResources {
    let s = &config.solvency;
    FirmResources {
        fiat_reserve_idr,
        insurance_fund_idr: insurance.fund_idr,
        insurance_fund_is_firm_equity: s.insurance_fund_is_firm_equity,
        proprietary_capital_idr: s.proprietary_capital_idr as f64,
        crypto_book_idr: var.history.book_idr,
        firm_hot_wallet_share: s.firm_hot_wallet_share,
        conversion_haircut: s.conversion_haircut,
        market_impact: s.market_impact,
        bridge_rate_per_year: config.reserve.emergency_cost_high,
        fund_deficit: s.fund_deficit,
        gap_funding: s.gap_funding,
        ojk_floor_idr: config.reserve.ojk_min_equity_idr as f64,
    }
}

/// The solvency view of every stress scenario. The liquidity gap is the p99 of the scenario's
/// weekend withdrawals beyond the reserve available from the close, `(W99 − reserve)⁺`, bridged
/// for the whole window.
fn solvency_book(
    config: &Config,
    var: &VarReport,
    insurance: &InsuranceReport,
    withdrawals_p99_idr: &BTreeMap<ScenarioName, f64>,
    fiat_reserve_idr: f64,
    window_hours: u32,
) -> SolvencyBook {
    let firm = firm_resources(config, var, insurance, fiat_reserve_idr);
    let scenarios = StressScenario::ALL
        .into_iter()
        .map(|scenario| {
            let withdrawals = withdrawals_p99_idr
                .get(&withdrawal_scenario_of(scenario))
                .copied()
                .unwrap_or(0.0);
            let demand = ScenarioDemand {
                withdrawals_p99_idr: withdrawals,
                liquidity_gap_idr: (withdrawals - fiat_reserve_idr).max(0.0),
                bridge_hours: f64::from(window_hours),
                fund_deficit_p99_idr: insurance
                    .scenarios
                    .get(&scenario)
                    .map_or(0.0, |f| f.deficit.p99_idr),
                market_loss_idr: market_loss_idr(scenario, var, window_hours),
            };
            (scenario, stressed_balance_sheet(&firm, &demand))
        })
        .collect();
    let s = &config.solvency;
    SolvencyBook {
        reserve_basis: s.reserve_basis,
        firm,
        consumer_hot_wallet_ceiling_idr: s.consumer_crypto_idr as f64
            * s.in_house_custody_share
            * s.hot_wallet_share,
        withdrawal_scenario: StressScenario::ALL
            .into_iter()
            .map(|x| (x, withdrawal_scenario_of(x)))
            .collect(),
        scenarios,
    }
}

/// Weekend totals per path, IDR.
fn totals(run: &ScenarioRun) -> Vec<f64> {
    run.outcomes.iter().map(|o| o.total_idr() as f64).collect()
}

/// The recommendation: the configured policy's reserve for the planning scenario.
fn recommend(ctx: &RunContext, sample: &SortedSample, scenario: ScenarioName) -> Recommendation {
    let r = &ctx.config.reserve;
    let sizing = ctx.sizing(sample);
    let name = match r.recommended_policy {
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
        policy: r.recommended_policy,
        unfloored_idr: chosen.unfloored_idr,
        reserve_idr: chosen.reserve_idr,
        reserve_usd: chosen.reserve_idr / ctx.config.fx.usd_idr,
        reserve_share: chosen.reserve_share,
        floored_by_ojk: chosen.unfloored_idr < sizing.ojk_floor_idr,
        failure_probability: sample.failure_probability(chosen.reserve_idr),
        annual_opportunity_cost_idr: chosen.annual_opportunity_cost_idr,
    }
}

/// One scenario's section of the report from its run and its sorted totals.
fn scenario_report(
    ctx: &RunContext,
    run: &ScenarioRun,
    sample: &SortedSample,
    name: ScenarioName,
    thresholds: &[u64; 2],
) -> ScenarioReport {
    let scenario = ctx.config.scenarios.get(name);
    let total_fiat = ctx.total_fiat;
    let summary = DistributionSummary::of_sorted(sample.sorted());
    let frontier = safety_frontier(sample, total_fiat, ctx.config.reserve.frontier_step_share);
    let safe_reserve_share_1pct = frontier
        .iter()
        .find(|p| p.failure_probability <= SAFE_FAILURE_PROBABILITY)
        .map_or(1.0, |p| p.reserve_share);
    let insolvency_at =
        |t: u64| time_to_insolvency(&run.first_passage_hours(t), t as f64, total_fiat);
    let (mean_retail_idr, mean_institutional_idr, mean_institutional_jumps) = cohort_means(run);
    let share_of_fiat = share_summary(&summary, sample, total_fiat);
    ScenarioReport {
        share_of_fiat_mean: share_of_fiat.mean,
        share_of_fiat,
        usd_reference: usd_reference(&summary, ctx.config.fx.usd_idr),
        summary,
        expected_share_low: scenario.expected_share_low,
        expected_share_high: scenario.expected_share_high,
        mean_retail_idr,
        mean_institutional_idr,
        mean_institutional_jumps,
        mean_hourly_path: mean_hourly_path(run),
        reserve: ctx.sizing(sample),
        frontier,
        safe_reserve_share_1pct,
        time_to_insolvency: InsolvencyTimes {
            rule_of_thumb: insolvency_at(thresholds[0]),
            recommended: insolvency_at(thresholds[1]),
        },
    }
}

/// The distribution as shares of total fiat.
fn share_summary(
    summary: &DistributionSummary,
    sample: &SortedSample,
    total_fiat: f64,
) -> ShareSummary {
    let shares = summary.scaled(total_fiat);
    ShareSummary {
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
    }
}

/// The distribution in USD at `usd_idr` IDR per USD.
fn usd_reference(summary: &DistributionSummary, usd_idr: f64) -> UsdReference {
    let usd = summary.scaled(usd_idr);
    UsdReference {
        mean_usd: usd.mean_idr,
        p50_usd: usd.p50_idr,
        p95_usd: usd.p95_idr,
        p99_usd: usd.p99_idr,
        cvar99_usd: usd.cvar99_idr,
    }
}

/// Mean retail IDR, mean institutional IDR and mean number of jumps per path.
fn cohort_means(run: &ScenarioRun) -> (f64, f64, f64) {
    let paths = run.outcomes.len() as f64;
    let mean = |f: fn(&crate::model::withdrawals::PathOutcome) -> f64| {
        run.outcomes.iter().map(f).sum::<f64>() / paths
    };
    (
        mean(|o| o.retail_idr as f64),
        mean(|o| o.institutional_idr as f64),
        mean(|o| f64::from(o.institutional_jumps)),
    )
}

/// The mean hourly path with its running cumulative total.
fn mean_hourly_path(run: &ScenarioRun) -> Vec<HourPoint> {
    let mut cumulative = 0.0;
    run.mean_hourly_retail_idr
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
        .collect()
}
