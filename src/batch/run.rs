//! The batch run: each scenario simulated once, then summarised into its distribution,
//! reserve sizing, frontier and time-to-insolvency; the planning scenario gives the
//! recommendation; then the market-risk suite, the insurance fund, the stressed balance sheets
//! and the reserve layers.

use std::collections::BTreeMap;

use crate::batch::report::{
    BatchReport, Histogram, HourPoint, InsolvencyTimes, Recommendation, ScenarioCalibration,
    ScenarioChartSeries, ScenarioLiquidity, ScenarioReport, SensitivityBand, ShareSummary,
    SolvencyBook, SummaryIntervals, UsdReference,
};
use crate::config::{Config, ReserveConfig};
use crate::model::insurance::{InsuranceReport, run_insurance_fund};
use crate::model::liquidity::{
    LiquidityView, ReservePosition, design_layers, shortfall_outcomes, summarise_liquidity,
    test_reserve, withdrawal_fan,
};
use crate::model::market::{HistoryTooShort, MarketHistory, StressScenario};
use crate::model::mc_error::{
    cvar_interval, mean_interval, paths_for_relative_error, quantile_interval,
};
use crate::model::params::ParamError;
use crate::model::process::{ScenarioConfig, ScenarioName, WeekendProcess};
use crate::model::reserve::{
    NewsvendorCosts, ReserveSizing, SortedSample, safety_frontier, size_reserve, time_to_insolvency,
};
use crate::model::solvency::{
    FirmResources, ReserveBasis, ScenarioDemand, market_loss_idr, stressed_balance_sheet,
};
use crate::model::stats::{DistributionSummary, mean_and_std, quantile_sorted};
use crate::model::tiers::{LayerPlan, layer_plans, position_of};
use crate::model::user_base::UserBase;
use crate::model::var::{VarReport, var_suite};
use crate::model::window::WeekendWindow;
use crate::model::withdrawals::ScenarioRun;

/// Failure probability the "safe share" of the frontier is read at.
const SAFE_FAILURE_PROBABILITY: f64 = 0.01;

/// Bins of the weekend-total histogram the board report charts.
const TOTAL_HISTOGRAM_BINS: usize = 60;

/// Told when a batch run moves to its next stage, so a long run can show progress.
pub trait BatchProgress: Sync {
    /// Stage `done` of `total` begins; `label` says what it does.
    fn stage(&self, done: u64, total: u64, label: &str);
}

/// Progress that nobody watches.
impl BatchProgress for () {
    fn stage(&self, _done: u64, _total: u64, _label: &str) {}
}

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
    /// The market history cannot carry the VaR suite (regular plus stressed history).
    #[error(transparent)]
    History(#[from] HistoryTooShort),
}

/// The pieces every scenario's summary shares.
struct RunContext<'a> {
    config: &'a Config,
    total_fiat: f64,
    costs: NewsvendorCosts,
}

impl<'a> RunContext<'a> {
    /// The context of a run of `config` over `users`.
    fn new(config: &'a Config, users: &UserBase) -> Self {
        let r = &config.reserve;
        Self {
            config,
            total_fiat: users.total_fiat_idr() as f64,
            costs: NewsvendorCosts {
                overage_per_year: r.overage_cost_per_year(),
                underage_per_year: r.underage_cost_per_year(),
            },
        }
    }

    /// Newsvendor, CVaR99, cost curve and policies of `sample`.
    fn sizing(&self, sample: &SortedSample) -> ReserveSizing {
        let r = &self.config.reserve;
        size_reserve(
            sample,
            self.costs,
            self.total_fiat,
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
    run_batch_observed(config, users, request, history, &())
}

/// [`run_batch_with_market`], telling `progress` as each scenario and the risk sections
/// begin (`ScenarioName::ALL.len() + 1` stages).
pub fn run_batch_observed(
    config: &Config,
    users: &UserBase,
    request: &BatchRequest,
    history: &MarketHistory,
    progress: &dyn BatchProgress,
) -> Result<BatchReport, BatchError> {
    config.market.check_history_days(history.days())?;
    let stages = ScenarioName::ALL.len() as u64 + 1;
    let window = WeekendWindow::from_config(&config.window);
    let r = &config.reserve;
    let ctx = RunContext::new(config, users);
    let mut stage = 0;
    let mut run_of = |name: ScenarioName| {
        progress.stage(stage, stages, &format!("simulating the {name} weekend"));
        stage += 1;
        simulate_scenario(config, users, request, name)
    };

    let planning = r.planning_scenario;
    let first_run = run_of(planning)?;
    let layers = design_recommended_layers(&ctx, &first_run);
    let recommended = position_of(&layers);
    let rule_idr = r.rule_of_thumb_share * ctx.total_fiat;
    let rule = ReservePosition::immediate(rule_idr.floor() as u64);
    let mut out = ScenarioOutputs::default();
    // The planning scenario first, so its run is freed before the next one is made.
    let check = |name, run, out: &mut ScenarioOutputs| {
        check_scenario(&ctx, request, name, &run, (&recommended, &rule), out)
    };
    let (planning_sizing, planning_view) = check(planning, first_run, &mut out);
    for name in ScenarioName::ALL.into_iter().filter(|&n| n != planning) {
        check(name, run_of(name)?, &mut out);
    }
    let recommendation = recommend(&ctx, planning, layers, planning_view, planning_sizing);
    let (fiat_reserve_idr, sheet_view): (f64, fn(&ScenarioLiquidity) -> &LiquidityView) =
        match config.solvency.reserve_basis {
            ReserveBasis::RuleOfThumb => (rule_idr, |v| &v.rule_of_thumb),
            ReserveBasis::Recommended => (recommendation.reserve_idr, |v| &v.recommended),
        };
    let demand = SheetInputs {
        withdrawals_p99_idr: out.withdrawals_p99_idr,
        liquidity: out
            .liquidity
            .iter()
            .map(|(&name, v)| (name, sheet_view(v).clone()))
            .collect(),
        fiat_reserve_idr,
        window_hours: window.hours,
    };
    progress.stage(
        stages - 1,
        stages,
        "market risk, insurance fund, balance sheets",
    );
    let risk = risk_sections(config, history, &demand, ctx.total_fiat)?;
    Ok(assemble(
        &ctx,
        request,
        users,
        window,
        out.scenarios,
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
        user_base_sensitivity: None,
    }
}

/// Every path of scenario `name` over `users`, with the request's paths and seed.
fn simulate_scenario(
    config: &Config,
    users: &UserBase,
    request: &BatchRequest,
    name: ScenarioName,
) -> Result<ScenarioRun, BatchError> {
    let process = WeekendProcess::new(config.scenarios.get(name), users, config.window.hours)
        .map_err(|e| e.within_section(&format!("scenarios.{name}")))?;
    Ok(process.run(request.paths, request.seed, name.stream_id()))
}

/// The planning scenario's recommended reserve re-designed on each user base of
/// `alternatives` (`(seed, users)`), against `reported_idr`.
pub fn recommendation_band(
    config: &Config,
    request: &BatchRequest,
    reported_idr: f64,
    alternatives: &[(u64, UserBase)],
) -> Result<SensitivityBand, BatchError> {
    let planning = config.reserve.planning_scenario;
    let reserve_idr = alternatives
        .iter()
        .map(|(_, users)| {
            let ctx = RunContext::new(config, users);
            let run = simulate_scenario(config, users, request, planning)?;
            let layers = design_recommended_layers(&ctx, &run);
            Ok(layers.iter().map(|l| l.size_idr).sum::<f64>())
        })
        .collect::<Result<Vec<f64>, BatchError>>()?;
    let deviation = |x: &f64| x / reported_idr - 1.0;
    Ok(SensitivityBand {
        reported_idr,
        seeds: alternatives.iter().map(|(seed, _)| *seed).collect(),
        deviation_low: reserve_idr
            .iter()
            .map(deviation)
            .reduce(f64::min)
            .unwrap_or(0.0),
        deviation_high: reserve_idr
            .iter()
            .map(deviation)
            .reduce(f64::max)
            .unwrap_or(0.0),
        reserve_idr,
    })
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
}

/// What the balance sheets take from the withdrawal runs.
struct SheetInputs {
    /// p99 weekend withdrawals per scenario, IDR.
    withdrawals_p99_idr: BTreeMap<ScenarioName, f64>,
    /// The sheet's reserve tested hour by hour per scenario.
    liquidity: BTreeMap<ScenarioName, LiquidityView>,
    /// The fiat reserve the sheet holds, IDR.
    fiat_reserve_idr: f64,
    /// Hours the rails are closed.
    window_hours: u32,
}

/// Runs the VaR suite and the insurance fund, then builds the balance sheets.
fn risk_sections(
    config: &Config,
    history: &MarketHistory,
    demand: &SheetInputs,
    total_fiat: f64,
) -> Result<RiskSections, BatchError> {
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
    )?;
    let solvency = solvency_book(config, &var, &insurance_fund, demand);
    Ok(RiskSections {
        var,
        insurance_fund,
        solvency,
    })
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
/// The stressed balance sheets. The liquidity gap of a scenario is the p99 peak shortfall of
/// the sheet's reserve tested hour by hour; it is bridged from the first short hour (p10,
/// the early end) until the rails reopen.
fn solvency_book(
    config: &Config,
    var: &VarReport,
    insurance: &InsuranceReport,
    inputs: &SheetInputs,
) -> SolvencyBook {
    let firm = firm_resources(config, var, insurance, inputs.fiat_reserve_idr);
    let window_hours = inputs.window_hours;
    let scenarios = StressScenario::ALL
        .into_iter()
        .map(|scenario| {
            let withdrawal_scenario = withdrawal_scenario_of(scenario);
            let withdrawals = inputs
                .withdrawals_p99_idr
                .get(&withdrawal_scenario)
                .copied()
                .unwrap_or(0.0);
            let (gap_idr, first_short_hour) = inputs
                .liquidity
                .get(&withdrawal_scenario)
                .map_or((0.0, None), |v| {
                    (v.gap_p99_idr, v.first_shortfall_p10_hours)
                });
            let bridge_hours =
                first_short_hour.map_or(0.0, |h| (f64::from(window_hours) - (h - 1.0)).max(0.0));
            let demand = ScenarioDemand {
                withdrawals_p99_idr: withdrawals,
                liquidity_gap_idr: gap_idr,
                bridge_hours,
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

/// The cheapest instant + fast layers meeting the target P(shortfall) on the planning
/// scenario's paths `run`.
fn design_recommended_layers(ctx: &RunContext, run: &ScenarioRun) -> Vec<LayerPlan> {
    let r = &ctx.config.reserve;
    let opportunity = r.overage_cost_per_year();
    let tiers = &ctx.config.tiers;
    let design = design_layers(
        run,
        tiers.fast_terms(opportunity),
        opportunity - tiers.instant_yield,
        r.target_shortfall_probability,
        r.frontier_step_share * ctx.total_fiat,
    );
    layer_plans(tiers, &design, run.hours as u32, opportunity)
}

/// The recommendation: `layers` with their hour-by-hour test `liquidity` on the planning
/// scenario and that scenario's economic references `sizing` (both from its one pass).
fn recommend(
    ctx: &RunContext,
    scenario: ScenarioName,
    layers: Vec<LayerPlan>,
    liquidity: LiquidityView,
    sizing: ReserveSizing,
) -> Recommendation {
    let r = &ctx.config.reserve;
    let reserve_idr: f64 = layers.iter().map(|l| l.size_idr).sum();
    Recommendation {
        scenario,
        target_shortfall_probability: r.target_shortfall_probability,
        reserve_idr,
        reserve_usd: reserve_idr / ctx.config.fx.usd_idr,
        reserve_share: reserve_idr / ctx.total_fiat,
        annual_cost_idr: layers.iter().map(|l| l.annual_cost_idr).sum(),
        layers,
        liquidity,
        newsvendor_reference_idr: sizing.newsvendor_idr,
        cvar99_reference_idr: sizing.cvar99_idr,
        paths_for_precision: paths_for_relative_error(
            r.target_shortfall_probability,
            r.precision_relative_error,
        ),
        precision_relative_error: r.precision_relative_error,
    }
}

/// What the pass over the scenarios collects.
#[derive(Default)]
struct ScenarioOutputs {
    /// The reports of the requested scenarios.
    scenarios: BTreeMap<ScenarioName, ScenarioReport>,
    /// p99 weekend withdrawals of every scenario, IDR.
    withdrawals_p99_idr: BTreeMap<ScenarioName, f64>,
    /// The recommended layers and the rule of thumb tested hour by hour, every scenario.
    liquidity: BTreeMap<ScenarioName, ScenarioLiquidity>,
}

/// One scenario's single pass: its distribution, the hour-by-hour tests of the recommended
/// layers and of the rule of thumb (`reserves`), and its report when requested. Returns the
/// scenario's reserve sizing and the recommended layers' test (the recommendation's, for the
/// planning scenario).
fn check_scenario(
    ctx: &RunContext,
    request: &BatchRequest,
    name: ScenarioName,
    run: &ScenarioRun,
    (recommended, rule): (&ReservePosition, &ReservePosition),
    out: &mut ScenarioOutputs,
) -> (ReserveSizing, LiquidityView) {
    let target = ctx.config.reserve.target_shortfall_probability;
    let sample = SortedSample::new(totals(run));
    out.withdrawals_p99_idr
        .insert(name, quantile_sorted(sample.sorted(), 0.99));
    let rule_outcomes = shortfall_outcomes(run, rule);
    let views = ScenarioLiquidity {
        recommended: test_reserve(run, recommended, target),
        rule_of_thumb: summarise_liquidity(run, rule, &rule_outcomes, target),
    };
    let sizing = ctx.sizing(&sample);
    let result = (sizing.clone(), views.recommended.clone());
    if request.scenarios.contains(&name) {
        let checks = ScenarioChecks {
            sizing,
            rule_breach_hours: rule_outcomes.iter().map(|o| o.breach_hour).collect(),
            rule_idr: rule.total_idr() as f64,
            liquidity: views.clone(),
            recommended,
        };
        out.scenarios
            .insert(name, scenario_report(ctx, run, &sample, name, checks));
    }
    out.liquidity.insert(name, views);
    result
}

/// What a scenario's report takes from the run's liquidity pass.
struct ScenarioChecks<'a> {
    /// Newsvendor, CVaR99, cost curve and policies.
    sizing: ReserveSizing,
    /// Per path, the first hour short of the rule of thumb (0 = never).
    rule_breach_hours: Vec<u16>,
    /// The rule of thumb, IDR.
    rule_idr: f64,
    /// The recommended layers and the rule of thumb, tested hour by hour.
    liquidity: ScenarioLiquidity,
    /// The recommended layers.
    recommended: &'a ReservePosition,
}

/// One scenario's section of the report from its run and its sorted totals.
fn scenario_report(
    ctx: &RunContext,
    run: &ScenarioRun,
    sample: &SortedSample,
    name: ScenarioName,
    checks: ScenarioChecks,
) -> ScenarioReport {
    let scenario = ctx.config.scenarios.get(name);
    let total_fiat = ctx.total_fiat;
    let summary = DistributionSummary::of_sorted(sample.sorted());
    let frontier = safety_frontier(sample, total_fiat, ctx.config.reserve.frontier_step_share);
    let safe_reserve_share_1pct = frontier
        .iter()
        .find(|p| p.failure_probability <= SAFE_FAILURE_PROBABILITY)
        .map_or(1.0, |p| p.reserve_share);
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
        reserve: checks.sizing,
        frontier,
        safe_reserve_share_1pct,
        time_to_insolvency: InsolvencyTimes {
            rule_of_thumb: time_to_insolvency(
                &checks.rule_breach_hours,
                checks.rule_idr,
                total_fiat,
            ),
        },
        intervals_95: intervals(run, sample),
        liquidity: checks.liquidity,
        withdrawal_fan: withdrawal_fan(run, &checks.recommended.schedule(run.hours as u32, 0)),
        calibration: calibration(run, scenario, mean_institutional_idr, mean_retail_idr),
        chart_series: ScenarioChartSeries {
            weekend_total: Histogram::of_sorted(sample.sorted(), TOTAL_HISTOGRAM_BINS),
            rule_breach_hour_paths: breach_hour_counts(&checks.rule_breach_hours, run.hours),
        },
    }
}

/// Paths per first short hour (index `h − 1`) of `breach_hours` (0 = never short, not
/// counted) over a window of `hours`.
fn breach_hour_counts(breach_hours: &[u16], hours: usize) -> Vec<u64> {
    let mut counts = vec![0; hours];
    for &h in breach_hours.iter().filter(|&&h| h > 0) {
        counts[(usize::from(h) - 1).min(hours.saturating_sub(1))] += 1;
    }
    counts
}

/// The scenario's calibration figures from its run: the institutional share, the share of
/// institutional money out before retail panic peaks (lead + ramp hours after the close),
/// and the spread of the retail total.
fn calibration(
    run: &ScenarioRun,
    scenario: &ScenarioConfig,
    mean_institutional_idr: f64,
    mean_retail_idr: f64,
) -> ScenarioCalibration {
    let has_panic = scenario.retail_panic_rate_per_day > scenario.retail_calm_rate_per_day;
    let peak_hours = has_panic.then(|| {
        (scenario.institutional_lead_hours + scenario.retail_ramp_hours).min(run.hours as f64)
    });
    let institutional_total: f64 = run.mean_hourly_institutional_idr.iter().sum();
    let before_peak = peak_hours.map(|peak| {
        let hours = peak.ceil() as usize;
        let early: f64 = run.mean_hourly_institutional_idr[..hours.min(run.hours)]
            .iter()
            .sum();
        if institutional_total > 0.0 {
            early / institutional_total
        } else {
            0.0
        }
    });
    let retail: Vec<f64> = run.outcomes.iter().map(|o| o.retail_idr as f64).collect();
    let (_, retail_sd) = mean_and_std(&retail);
    let total = mean_institutional_idr + mean_retail_idr;
    ScenarioCalibration {
        institutional_share_of_total: if total > 0.0 {
            mean_institutional_idr / total
        } else {
            0.0
        },
        retail_peak_hours: peak_hours,
        institutional_before_retail_peak_share: before_peak,
        retail_total_cv: if mean_retail_idr > 0.0 {
            retail_sd / mean_retail_idr
        } else {
            0.0
        },
    }
}

/// Monte Carlo 95% intervals of the distribution's figures.
fn intervals(run: &ScenarioRun, sample: &SortedSample) -> SummaryIntervals {
    let sorted = sample.sorted();
    SummaryIntervals {
        mean_idr: mean_interval(&totals(run)),
        p50_idr: quantile_interval(sorted, 0.50),
        p95_idr: quantile_interval(sorted, 0.95),
        p99_idr: quantile_interval(sorted, 0.99),
        p999_idr: quantile_interval(sorted, 0.999),
        cvar95_idr: cvar_interval(sorted, 0.95),
        cvar99_idr: cvar_interval(sorted, 0.99),
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
