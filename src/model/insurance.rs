//! The derivatives insurance fund under a price shock and the liquidation cascade it sets off.
//!
//! **Population.** `traders` perpetual positions, each on one asset (BTC, ETH, ALT) and one
//! side. Leverage `L` (notional / margin) is log-normal by cohort (retail mean 15x,
//! institutional 5x), truncated at the exchange's maximum by redrawing. Notional sizes are
//! log-normal within each (cohort, asset) cell, scaled so that the cells add up to
//! `open_interest_to_aum × AUM` split by the cohort and asset shares. The population is drawn
//! once from its seed; the Monte Carlo is over the shock.
//!
//! **Liquidation.** A price move `p = P/P₀` costs a long `N (1 − p)` and a short `N (p − 1)`.
//! A position whose loss exceeds its margin `M = N / L` — i.e. whose adverse move exceeds its
//! margin fraction `1/L` — is liquidated at the current price plus the slippage `s`; its
//! deficit `N (move + s) − M > 0` is drawn from the fund. Once the fund is empty the rest is
//! socialised (clawback from profitable traders, auto-deleveraging): a loss to traders, not a
//! liability of the exchange.
//!
//! **Cascade.** In each of `cascade_rounds` rounds the positions newly past their margin are
//! liquidated at the round's price, then their net forced flow (longs sold minus shorts bought)
//! moves the asset's log-price: `ln p ← ln p − κ · (N_long − N_short) / OI_a`, with `κ` the impact
//! coefficient and `OI_a` the asset's gross open interest. With `κ = 0` nothing moves after the
//! first round, so the cascade equals one round. Amplification is the final over the initial
//! OI-weighted price move.
//!
//! **Speed.** Per asset and side, positions are sorted by margin fraction with prefix sums of
//! notional and margin, so a round is two binary searches: the liquidated set at move `m` is the
//! prefix with `1/L < m`, and its deficit `(m + s) ΣN − ΣM` comes from the prefix sums — exact,
//! `O(rounds · log n)` per asset and path.
//!
//! **Shock.** Path `i` of a scenario draws a severity `g ~ Gamma(1/c², c²)` (mean 1, CV `c`)
//! from its own stream `(seed, scenario, i)` and applies `p_a = (1 + s_a)^g` to the scenario's
//! simple returns `s_a`, which keeps every price positive.

use std::collections::BTreeMap;

use rand::RngExt;
use rand_distr::{Distribution, Gamma, StandardNormal};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::model::market::{ASSETS, MarketConfig, StressScenario, shock_bounds};
use crate::model::params::{Allowed, Bound, ParamError, bound, check, sums_to_one};
use crate::model::rng::{PathRng, path_rng};
use crate::model::stats::{DistributionSummary, quantile_sorted};

/// The derivatives book and its insurance fund.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InsuranceFundConfig {
    /// Traders holding a perpetual position.
    pub traders: u32,
    /// Seed of the trader population.
    pub seed: u64,
    /// Monte Carlo paths (shock draws) per scenario.
    pub paths: u32,
    /// Gross open interest as a multiple of AUM (total customer fiat).
    pub open_interest_to_aum: f64,
    /// Insurance fund as a share of AUM.
    pub fund_share_of_aum: f64,
    /// Share of traders that are institutional.
    pub institutional_trader_share: f64,
    /// Share of open interest held by institutional traders.
    pub institutional_notional_share: f64,
    /// Mean retail leverage (notional / margin), before truncation.
    pub retail_leverage_mean: f64,
    /// Coefficient of variation of retail leverage (log-normal).
    pub retail_leverage_cv: f64,
    /// Largest retail leverage the exchange allows; draws above it are redrawn.
    pub retail_leverage_max: f64,
    /// Mean institutional leverage, before truncation.
    pub institutional_leverage_mean: f64,
    /// Coefficient of variation of institutional leverage.
    pub institutional_leverage_cv: f64,
    /// Largest institutional leverage.
    pub institutional_leverage_max: f64,
    /// Share of retail traders that are long.
    pub retail_long_share: f64,
    /// Share of institutional traders that are long.
    pub institutional_long_share: f64,
    /// Standard deviation of ln(notional) within a cohort.
    pub notional_log_sigma: f64,
    /// Share of open interest per asset (BTC, ETH, ALT); sums to 1.
    pub asset_share: [f64; ASSETS],
    /// Extra loss when a position is closed by the liquidation engine, share of its notional.
    pub liquidation_slippage: f64,
    /// Price impact: change in ln(price) per unit of net liquidated notional relative to the
    /// asset's open interest.
    pub impact_per_open_interest: f64,
    /// Rounds of the liquidation cascade.
    pub cascade_rounds: u32,
    /// Coefficient of variation of the shock's severity across paths (Gamma, mean 1).
    pub shock_cv: f64,
    /// Normal-weekend shock, simple return per asset (the other scenarios use the market shocks).
    pub normal_shock_return: [f64; ASSETS],
}

impl InsuranceFundConfig {
    /// Checks every field: ranges, leverage means within their caps, asset shares summing to 1.
    pub fn validate(&self) -> Result<(), ParamError> {
        check(&self.bounds())?;
        let sum: f64 = self.asset_share.iter().sum();
        sums_to_one(
            "asset_share",
            format!("{:?}", self.asset_share),
            sum,
            "shares",
        )
    }

    /// The allowed range of every numeric field.
    // Long because it is a table: one row per field of the derivatives book, no logic.
    fn bounds(&self) -> Vec<Bound> {
        let mut table = vec![
            bound(
                "traders",
                f64::from(self.traders),
                Allowed::Closed(2.0, 1e7),
            ),
            bound("paths", f64::from(self.paths), Allowed::Closed(1.0, 1e7)),
            bound(
                "open_interest_to_aum",
                self.open_interest_to_aum,
                Allowed::Closed(0.0, 100.0),
            ),
            bound(
                "fund_share_of_aum",
                self.fund_share_of_aum,
                Allowed::Closed(0.0, 1.0),
            ),
            bound(
                "institutional_trader_share",
                self.institutional_trader_share,
                Allowed::OpenUnit,
            ),
            bound(
                "institutional_notional_share",
                self.institutional_notional_share,
                Allowed::OpenUnit,
            ),
        ];
        for (name, mean, cv, max) in [
            (
                "retail",
                self.retail_leverage_mean,
                self.retail_leverage_cv,
                self.retail_leverage_max,
            ),
            (
                "institutional",
                self.institutional_leverage_mean,
                self.institutional_leverage_cv,
                self.institutional_leverage_max,
            ),
        ] {
            table.extend([
                bound(
                    format!("{name}_leverage_max"),
                    max,
                    Allowed::Closed(1.0, 1_000.0),
                ),
                bound(
                    format!("{name}_leverage_mean"),
                    mean,
                    Allowed::Closed(1.0, max),
                ),
                bound(format!("{name}_leverage_cv"), cv, Allowed::Closed(0.0, 5.0)),
            ]);
        }
        table.extend([
            bound(
                "retail_long_share",
                self.retail_long_share,
                Allowed::Closed(0.0, 1.0),
            ),
            bound(
                "institutional_long_share",
                self.institutional_long_share,
                Allowed::Closed(0.0, 1.0),
            ),
            bound(
                "notional_log_sigma",
                self.notional_log_sigma,
                Allowed::Closed(0.0, 5.0),
            ),
        ]);
        for (a, &s) in self.asset_share.iter().enumerate() {
            table.push(bound(
                format!("asset_share[{a}]"),
                s,
                Allowed::Closed(0.0, 1.0),
            ));
        }
        table.extend([
            bound(
                "liquidation_slippage",
                self.liquidation_slippage,
                Allowed::Closed(0.0, 0.5),
            ),
            bound(
                "impact_per_open_interest",
                self.impact_per_open_interest,
                Allowed::Closed(0.0, 10.0),
            ),
            bound(
                "cascade_rounds",
                f64::from(self.cascade_rounds),
                Allowed::Closed(1.0, 100.0),
            ),
            bound("shock_cv", self.shock_cv, Allowed::Closed(0.0, 5.0)),
        ]);
        table.extend(shock_bounds(
            "normal_shock_return",
            self.normal_shock_return,
        ));
        table
    }

    /// The shock a scenario applies to the derivatives book, simple return per asset.
    pub fn shock_return(&self, market: &MarketConfig, scenario: StressScenario) -> [f64; ASSETS] {
        market
            .shock_return(scenario)
            .unwrap_or(self.normal_shock_return)
    }
}

/// Stream id of the trader population.
const POPULATION_STREAM: u64 = 0x5452_4144;

/// Redraws of a leverage above the maximum before it is clamped.
const MAX_LEVERAGE_REDRAWS: usize = 64;

/// One perpetual position.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Position {
    /// Asset index (0 BTC, 1 ETH, 2 ALT).
    pub asset: usize,
    /// Long (loses when the price falls) or short.
    pub long: bool,
    /// Notional, IDR.
    pub notional_idr: f64,
    /// Margin posted, IDR (`notional / leverage`).
    pub margin_idr: f64,
    /// Institutional trader.
    pub institutional: bool,
}

impl Position {
    /// Margin fraction `1 / leverage`: the adverse move that wipes the margin out.
    pub fn margin_fraction(&self) -> f64 {
        self.margin_idr / self.notional_idr
    }
}

/// The cascade's parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CascadeParams {
    /// Extra loss at liquidation, share of notional.
    pub slippage: f64,
    /// κ: change in ln(price) per unit of net liquidated notional over the asset's open interest.
    pub impact_per_open_interest: f64,
    /// Rounds of liquidation.
    pub rounds: u32,
}

/// What one shock did to the derivatives book.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CascadeOutcome {
    /// Sum of liquidated positions' deficits beyond their margin, IDR.
    pub deficit_idr: f64,
    /// Notional liquidated, IDR.
    pub liquidated_notional_idr: f64,
    /// Price ratio `P/P₀` per asset after the shock, before any liquidation.
    pub initial_price_ratio: [f64; ASSETS],
    /// Price ratio after the last round.
    pub final_price_ratio: [f64; ASSETS],
    /// Rounds in which at least one position was liquidated.
    pub active_rounds: u32,
}

/// Positions of one asset and side, sorted by margin fraction, with prefix sums.
#[derive(Debug, Clone, Default)]
struct SideBook {
    margin_fraction: Vec<f64>,
    prefix_notional_idr: Vec<f64>,
    prefix_margin_idr: Vec<f64>,
}

impl SideBook {
    fn new(mut positions: Vec<&Position>) -> Self {
        positions.sort_by(|a, b| a.margin_fraction().total_cmp(&b.margin_fraction()));
        let mut book = Self {
            margin_fraction: positions.iter().map(|p| p.margin_fraction()).collect(),
            prefix_notional_idr: vec![0.0],
            prefix_margin_idr: vec![0.0],
        };
        for p in positions {
            let n = book.prefix_notional_idr.last().copied().unwrap_or(0.0);
            let m = book.prefix_margin_idr.last().copied().unwrap_or(0.0);
            book.prefix_notional_idr.push(n + p.notional_idr);
            book.prefix_margin_idr.push(m + p.margin_idr);
        }
        book
    }

    /// Number of positions whose margin fraction is strictly below `adverse_move`.
    fn liquidated_count(&self, adverse_move: f64) -> usize {
        self.margin_fraction.partition_point(|&f| f < adverse_move)
    }

    /// Notional and margin of positions `from..to`, IDR.
    fn sums(&self, from: usize, to: usize) -> (f64, f64) {
        (
            self.prefix_notional_idr[to] - self.prefix_notional_idr[from],
            self.prefix_margin_idr[to] - self.prefix_margin_idr[from],
        )
    }
}

/// The derivatives book, arranged for the cascade.
#[derive(Debug, Clone)]
pub struct DerivativesBook {
    /// `[asset][0 = long, 1 = short]`.
    sides: [[SideBook; 2]; ASSETS],
    /// Gross open interest per asset, IDR.
    open_interest_idr: [f64; ASSETS],
}

impl DerivativesBook {
    /// Arranges `positions` (zero-notional positions are ignored).
    pub fn new(positions: &[Position]) -> Self {
        let side = |asset: usize, long: bool| {
            SideBook::new(
                positions
                    .iter()
                    .filter(|p| p.asset == asset && p.long == long && p.notional_idr > 0.0)
                    .collect(),
            )
        };
        let mut open_interest_idr = [0.0; ASSETS];
        for p in positions {
            open_interest_idr[p.asset] += p.notional_idr;
        }
        Self {
            sides: std::array::from_fn(|a| [side(a, true), side(a, false)]),
            open_interest_idr,
        }
    }

    /// Gross open interest per asset, IDR.
    pub fn open_interest_idr(&self) -> [f64; ASSETS] {
        self.open_interest_idr
    }

    /// Runs the cascade from the price ratios `initial_price_ratio` (`P/P₀` per asset).
    pub fn cascade(
        &self,
        initial_price_ratio: [f64; ASSETS],
        params: CascadeParams,
    ) -> CascadeOutcome {
        let mut outcome = CascadeOutcome {
            deficit_idr: 0.0,
            liquidated_notional_idr: 0.0,
            initial_price_ratio,
            final_price_ratio: initial_price_ratio,
            active_rounds: 0,
        };
        let mut active = vec![false; params.rounds as usize];
        for (asset, [long, short]) in self.sides.iter().enumerate() {
            let mut price = outcome.initial_price_ratio[asset];
            let (mut k_long, mut k_short) = (0, 0);
            for was_active in active.iter_mut() {
                let (long_n, long_deficit, k) =
                    liquidate(long, k_long, 1.0 - price, params.slippage);
                k_long = k;
                let (short_n, short_deficit, k) =
                    liquidate(short, k_short, price - 1.0, params.slippage);
                k_short = k;
                if long_n + short_n > 0.0 {
                    *was_active = true;
                }
                outcome.deficit_idr += long_deficit + short_deficit;
                outcome.liquidated_notional_idr += long_n + short_n;
                let oi = self.open_interest_idr[asset];
                if oi > 0.0 {
                    price *= (-params.impact_per_open_interest * (long_n - short_n) / oi).exp();
                }
            }
            outcome.final_price_ratio[asset] = price;
        }
        outcome.active_rounds = active.iter().filter(|&&a| a).count() as u32;
        outcome
    }
}

/// Liquidates the positions of `book` past `adverse_move` that were not liquidated yet
/// (`already` of them): returns their notional, their deficit `(move + s) ΣN − ΣM` and the new
/// liquidated count.
fn liquidate(
    book: &SideBook,
    already: usize,
    adverse_move: f64,
    slippage: f64,
) -> (f64, f64, usize) {
    let k = book.liquidated_count(adverse_move).max(already);
    let (notional, margin) = book.sums(already, k);
    let deficit = if k > already {
        ((adverse_move + slippage) * notional - margin).max(0.0)
    } else {
        0.0
    };
    (notional, deficit, k)
}

/// A trader before sizing: cohort, side, asset, leverage and relative size.
struct TraderDraw {
    institutional: bool,
    long: bool,
    asset: usize,
    leverage: f64,
    size_weight: f64,
}

/// The synthetic trader population, reproducible from `config.seed`. The first
/// `institutional_trader_share` of traders are institutional. Each (cohort, asset) cell holds
/// exactly `OI · cohort share · asset share` of notional, `OI = open_interest_to_aum · AUM`.
pub fn synthetic_population(config: &InsuranceFundConfig, aum_idr: f64) -> Vec<Position> {
    let n = config.traders as usize;
    let institutions = ((n as f64 * config.institutional_trader_share).round() as usize)
        .clamp(usize::from(n > 1), n.saturating_sub(1));
    let mut rng = path_rng(config.seed, POPULATION_STREAM, 0);
    let draws: Vec<TraderDraw> = (0..n)
        .map(|i| draw_trader(config, i < institutions, &mut rng))
        .collect();
    let open_interest_idr = config.open_interest_to_aum * aum_idr;
    let mut cell_weight = [[0.0; ASSETS]; 2];
    for d in &draws {
        cell_weight[usize::from(d.institutional)][d.asset] += d.size_weight;
    }
    draws
        .iter()
        .map(|d| {
            let cohort_share = if d.institutional {
                config.institutional_notional_share
            } else {
                1.0 - config.institutional_notional_share
            };
            let cell_idr = open_interest_idr * cohort_share * config.asset_share[d.asset];
            let notional_idr =
                cell_idr * d.size_weight / cell_weight[usize::from(d.institutional)][d.asset];
            Position {
                asset: d.asset,
                long: d.long,
                notional_idr,
                margin_idr: notional_idr / d.leverage,
                institutional: d.institutional,
            }
        })
        .collect()
}

fn draw_trader(config: &InsuranceFundConfig, institutional: bool, rng: &mut PathRng) -> TraderDraw {
    let (mean, cv, max, long_share) = if institutional {
        (
            config.institutional_leverage_mean,
            config.institutional_leverage_cv,
            config.institutional_leverage_max,
            config.institutional_long_share,
        )
    } else {
        (
            config.retail_leverage_mean,
            config.retail_leverage_cv,
            config.retail_leverage_max,
            config.retail_long_share,
        )
    };
    let leverage = draw_leverage(rng, mean, cv, max);
    let long = rng.random::<f64>() < long_share;
    let asset = draw_asset(&config.asset_share, rng.random::<f64>());
    let z: f64 = StandardNormal.sample(rng);
    TraderDraw {
        institutional,
        long,
        asset,
        leverage,
        size_weight: (config.notional_log_sigma * z).exp(),
    }
}

/// Log-normal leverage with the given mean and CV, redrawn while outside `[1, max]`.
fn draw_leverage(rng: &mut PathRng, mean: f64, cv: f64, max: f64) -> f64 {
    let s2 = (1.0 + cv * cv).ln();
    let mu = mean.ln() - s2 / 2.0;
    let mut leverage = mean;
    for _ in 0..MAX_LEVERAGE_REDRAWS {
        let z: f64 = StandardNormal.sample(rng);
        leverage = (mu + s2.sqrt() * z).exp();
        if (1.0..=max).contains(&leverage) {
            return leverage;
        }
    }
    leverage.clamp(1.0, max)
}

fn draw_asset(shares: &[f64; ASSETS], u: f64) -> usize {
    let mut cumulative = 0.0;
    for (a, &s) in shares.iter().enumerate() {
        cumulative += s;
        if u < cumulative {
            return a;
        }
    }
    ASSETS - 1
}

/// One scenario's insurance-fund results.
#[derive(Debug, Clone, Serialize)]
pub struct FundScenarioReport {
    /// Median shock, simple return per asset.
    pub shock_return: [f64; ASSETS],
    /// Distribution of the fund drawdown `min(fund, deficit)`, IDR (never negative).
    pub drawdown: DistributionSummary,
    /// Distribution of liquidated positions' deficits before the fund, IDR.
    pub deficit: DistributionSummary,
    /// P(deficit ≥ fund > 0 or deficit > 0 = fund): the fund runs dry.
    pub exhaustion_probability: f64,
    /// Mean socialised loss `(deficit − fund)⁺`, IDR (borne by traders, not the exchange).
    pub expected_clawback_idr: f64,
    /// 99th percentile of the socialised loss, IDR.
    pub clawback_p99_idr: f64,
    /// Mean liquidated notional as a share of open interest.
    pub mean_liquidated_share: f64,
    /// Mean final over initial OI-weighted price move.
    pub amplification_mean: f64,
    /// 99th percentile of that ratio.
    pub amplification_p99: f64,
    /// Mean number of rounds with liquidations.
    pub mean_active_rounds: f64,
}

/// The insurance fund under every scenario.
#[derive(Debug, Clone, Serialize)]
pub struct InsuranceReport {
    /// The fund, IDR.
    pub fund_idr: f64,
    /// Gross open interest, IDR.
    pub open_interest_idr: f64,
    /// Traders.
    pub traders: usize,
    /// Monte Carlo paths per scenario.
    pub paths: usize,
    /// Impact coefficient κ.
    pub impact_per_open_interest: f64,
    /// Cascade rounds.
    pub cascade_rounds: u32,
    /// Per scenario.
    pub scenarios: BTreeMap<StressScenario, FundScenarioReport>,
}

/// The price ratio of path `path` of a scenario: `(1 + s_a)^g`, `g ~ Gamma(1/c², c²)`.
pub fn shocked_price_ratio(
    shock_return: &[f64; ASSETS],
    shock_cv: f64,
    seed: u64,
    scenario: StressScenario,
    path: usize,
) -> [f64; ASSETS] {
    let mut rng = path_rng(seed, scenario.stream_id(), path as u64);
    let severity = if shock_cv > 0.0 {
        let shape = crate::model::params::gamma_shape_of_cv(shock_cv);
        Gamma::new(shape, 1.0 / shape).map_or(1.0, |g| g.sample(&mut rng))
    } else {
        1.0
    };
    shock_return.map(|s| (1.0 + s).powf(severity))
}

/// The insurance-fund Monte Carlo over `scenarios`; AUM is total customer fiat, IDR.
/// Paths run in parallel; path `i` uses its own stream, so results do not depend on threads.
pub fn run_insurance_fund(
    config: &InsuranceFundConfig,
    market: &MarketConfig,
    aum_idr: f64,
    scenarios: &[StressScenario],
) -> InsuranceReport {
    let positions = synthetic_population(config, aum_idr);
    let book = DerivativesBook::new(&positions);
    let fund_idr = config.fund_share_of_aum * aum_idr;
    let params = CascadeParams {
        slippage: config.liquidation_slippage,
        impact_per_open_interest: config.impact_per_open_interest,
        rounds: config.cascade_rounds,
    };
    let report_of = |scenario: StressScenario| {
        let shock = config.shock_return(market, scenario);
        let outcomes: Vec<CascadeOutcome> = (0..config.paths as usize)
            .into_par_iter()
            .map(|path| {
                let ratio =
                    shocked_price_ratio(&shock, config.shock_cv, config.seed, scenario, path);
                book.cascade(ratio, params)
            })
            .collect();
        summarise(&outcomes, &book, fund_idr, shock)
    };
    InsuranceReport {
        fund_idr,
        open_interest_idr: book.open_interest_idr.iter().sum(),
        traders: positions.len(),
        paths: config.paths as usize,
        impact_per_open_interest: config.impact_per_open_interest,
        cascade_rounds: config.cascade_rounds,
        scenarios: scenarios.iter().map(|&s| (s, report_of(s))).collect(),
    }
}

/// OI-weighted simple price move of a set of price ratios.
fn weighted_move(ratio: &[f64; ASSETS], open_interest: &[f64; ASSETS]) -> f64 {
    let total: f64 = open_interest.iter().sum();
    if total <= 0.0 {
        return 0.0;
    }
    (0..ASSETS)
        .map(|a| open_interest[a] * (ratio[a] - 1.0))
        .sum::<f64>()
        / total
}

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(f64::total_cmp);
    v
}

fn summarise(
    outcomes: &[CascadeOutcome],
    book: &DerivativesBook,
    fund_idr: f64,
    shock_return: [f64; ASSETS],
) -> FundScenarioReport {
    let n = outcomes.len().max(1) as f64;
    let oi = book.open_interest_idr;
    let oi_total: f64 = oi.iter().sum();
    let deficits = sorted(outcomes.iter().map(|o| o.deficit_idr).collect());
    let drawdowns = sorted(deficits.iter().map(|d| d.min(fund_idr)).collect());
    let clawbacks = sorted(deficits.iter().map(|d| (d - fund_idr).max(0.0)).collect());
    let amplification = sorted(
        outcomes
            .iter()
            .map(|o| {
                let initial = weighted_move(&o.initial_price_ratio, &oi);
                let last = weighted_move(&o.final_price_ratio, &oi);
                if initial.abs() > 0.0 {
                    last / initial
                } else {
                    1.0
                }
            })
            .collect(),
    );
    let exhausted = deficits
        .iter()
        .filter(|&&d| d > 0.0 && d >= fund_idr)
        .count() as f64;
    let summary = |v: &[f64]| {
        if v.is_empty() {
            DistributionSummary::of_sorted(&[0.0])
        } else {
            DistributionSummary::of_sorted(v)
        }
    };
    let p99 = |v: &[f64]| {
        if v.is_empty() {
            0.0
        } else {
            quantile_sorted(v, 0.99)
        }
    };
    FundScenarioReport {
        shock_return,
        drawdown: summary(&drawdowns),
        deficit: summary(&deficits),
        exhaustion_probability: exhausted / n,
        expected_clawback_idr: clawbacks.iter().sum::<f64>() / n,
        clawback_p99_idr: p99(&clawbacks),
        mean_liquidated_share: if oi_total > 0.0 {
            outcomes
                .iter()
                .map(|o| o.liquidated_notional_idr)
                .sum::<f64>()
                / n
                / oi_total
        } else {
            0.0
        },
        amplification_mean: amplification.iter().sum::<f64>() / n,
        amplification_p99: p99(&amplification),
        mean_active_rounds: outcomes
            .iter()
            .map(|o| f64::from(o.active_rounds))
            .sum::<f64>()
            / n,
    }
}
