//! The derivatives insurance fund along a price path through the shock, with liquidation at the
//! maintenance margin and the cascade the forced flow sets off.
//!
//! **Population.** `traders` perpetual positions, each on one asset (BTC, ETH, ALT) and one
//! side. Leverage `L` (notional / margin) is log-normal by cohort (retail mean 15x,
//! institutional 5x), truncated at the exchange's maximum by redrawing. Notional sizes are
//! log-normal within each (cohort, asset) cell, scaled so that the cells add up to
//! `open_interest_to_aum × AUM` split by the cohort and asset shares. The population is drawn
//! once from its seed; the Monte Carlo is over the shock's path.
//!
//! **Price path.** Path `i` of a scenario draws a severity `g ~ Gamma(1/c², c²)` (mean 1, CV
//! `c`) and sets the shock's total price ratio `R_a = (1 + s_a)^g` for the scenario's simple
//! returns `s_a`. The exogenous log-price runs hourly over `shock_hours` = `T` steps as a
//! Brownian bridge from 0 to `ln R_a`: `X_t = (t/T) ln R_a + W_t − (t/T) W_T`, with `W` a
//! random walk of hourly volatility `σ_a / √24` (the scenario's regime: normal → normal,
//! mild → stressed, severe and LUNA → crisis) correlated by the regime's correlation matrix,
//! so `X_T = ln R_a` exactly and `σ = 0` gives the straight line.
//!
//! **Liquidation.** A position of notional `N` and margin fraction `f = 1/L` whose adverse move
//! from entry is `x` (`1 − p` for a long, `p − 1` for a short, `p = P/P₀`) has equity
//! `N (f − x)`. The engine liquidates it in the first step where its equity falls below the
//! maintenance margin `mm · N`, i.e. where the running maximum of `x` passes `f − mm`. The
//! liquidation order fills at the liquidation price (`x = f − mm`) unless the step's price is
//! already past the bankruptcy price (`x_t > f`): then it fills at the step's price, and the
//! fund pays the bankruptcy loss `N (x_t − f)`. A fill at the liquidation price leaves equity
//! `mm · N`; the fund takes the liquidation fee `min(fee_rate, mm) · N` from it and the rest, if
//! any, goes back to the trader.
//!
//! **Fund.** Each step the fund takes that step's fees and pays that step's bankruptcy losses,
//! `B_t = B_{t−1} + fees_t − losses_t`. A step that would take it below zero empties it and
//! the rest, `−B_t`, is socialised (auto-deleveraging or clawback from profitable traders): a
//! loss of traders, not a liability of the exchange. The fund is exhausted, and auto-deleveraging
//! happens, exactly when a step's losses exceed the balance plus that step's fees.
//!
//! **Cascade.** The forced flow of a step (notional of longs sold minus shorts bought,
//! `Q_a`) moves the asset's log-price from the next step on by `−κ_s Q_a / OI_a`, with
//! `κ_s = 0.01 / d_s` for the order-book depth `d_s` within 1% of mid as a share of the asset's
//! open interest, thinner in harsher scenarios: selling `d_s · OI_a` of notional moves the
//! price by 1%. Amplification is the final over the exogenous OI-weighted simple move.
//!
//! **Speed.** Per asset and side, positions are sorted by margin fraction with prefix sums of
//! notional and margin, so a step is three binary searches: the liquidated set is the prefix
//! with `f < max x + mm`, the gapped part of a step's new liquidations the prefix with `f < x_t`,
//! and `Σ N (x_t − f) = x_t ΣN − ΣM` comes from the prefix sums — exact, `O(T log n)` per asset
//! and path.

use std::collections::BTreeMap;

use rand::RngExt;
use rand_distr::{Distribution, Gamma, StandardNormal};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::model::market::{
    ASSETS, MarketConfig, RegimeConfig, StressScenario, cholesky, shock_bounds,
};
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
    /// Monte Carlo paths (shock paths) per scenario.
    pub paths: u32,
    /// Gross open interest as a multiple of AUM (total customer fiat).
    pub open_interest_to_aum: f64,
    /// Insurance fund as a share of gross open interest.
    pub fund_share_of_open_interest: f64,
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
    /// Maintenance margin, share of notional: a position is liquidated once its equity falls
    /// below `mm · N`. Below the initial margin `1/L` of the highest leverage allowed.
    pub maintenance_margin_rate: f64,
    /// Liquidation fee, share of notional: the fund takes `min(fee, mm) · N` of the equity left
    /// at the liquidation price.
    pub liquidation_fee_rate: f64,
    /// Order-book depth within 1% of mid, share of the asset's open interest, per scenario
    /// (normal, mild, severe, LUNA-style).
    pub depth_share_of_open_interest: [f64; 4],
    /// Length of the shock's price path, hours (one step per hour).
    pub shock_hours: u32,
    /// Coefficient of variation of the shock's severity across paths (Gamma, mean 1).
    pub shock_cv: f64,
    /// Normal-weekend shock, simple return per asset (the other scenarios use the market shocks).
    pub normal_shock_return: [f64; ASSETS],
}

impl InsuranceFundConfig {
    /// Checks every field: ranges, leverage means within their caps, the maintenance margin
    /// below every initial margin, asset shares summing to 1.
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
                "fund_share_of_open_interest",
                self.fund_share_of_open_interest,
                Allowed::Closed(0.0, 10.0),
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
        table.extend(self.liquidation_bounds());
        table.extend(shock_bounds(
            "normal_shock_return",
            self.normal_shock_return,
        ));
        table
    }

    /// Ranges of the liquidation engine and the shock path.
    fn liquidation_bounds(&self) -> Vec<Bound> {
        let highest_leverage = self
            .retail_leverage_max
            .max(self.institutional_leverage_max);
        let mut table = vec![
            bound(
                "maintenance_margin_rate",
                self.maintenance_margin_rate,
                Allowed::Closed(0.0, 0.999 / highest_leverage.max(1.0)),
            ),
            bound(
                "liquidation_fee_rate",
                self.liquidation_fee_rate,
                Allowed::Closed(0.0, 0.1),
            ),
            bound(
                "shock_hours",
                f64::from(self.shock_hours),
                Allowed::Closed(1.0, 24.0 * 14.0),
            ),
            bound("shock_cv", self.shock_cv, Allowed::Closed(0.0, 5.0)),
        ];
        for (i, &d) in self.depth_share_of_open_interest.iter().enumerate() {
            table.push(bound(
                format!("depth_share_of_open_interest[{i}]"),
                d,
                Allowed::Closed(1e-4, 100.0),
            ));
        }
        table
    }

    /// The shock a scenario applies to the derivatives book, simple return per asset.
    pub fn shock_return(&self, market: &MarketConfig, scenario: StressScenario) -> [f64; ASSETS] {
        market
            .shock_return(scenario)
            .unwrap_or(self.normal_shock_return)
    }

    /// Order-book depth within 1% of mid in `scenario`, share of open interest.
    pub fn depth_share(&self, scenario: StressScenario) -> f64 {
        let index = StressScenario::ALL
            .iter()
            .position(|&s| s == scenario)
            .unwrap_or(0);
        self.depth_share_of_open_interest[index]
    }

    /// The liquidation rules in `scenario`: `κ_s = 0.01 / d_s`.
    pub fn rules(&self, scenario: StressScenario) -> LiquidationRules {
        LiquidationRules {
            maintenance_margin_rate: self.maintenance_margin_rate,
            liquidation_fee_rate: self.liquidation_fee_rate,
            impact_per_open_interest: 0.01 / self.depth_share(scenario),
        }
    }
}

/// The market regime whose volatility and correlation drive a scenario's shock path, with its
/// name: normal → normal, mild → stressed, severe and LUNA-style → crisis.
pub fn scenario_regime(
    market: &MarketConfig,
    scenario: StressScenario,
) -> (&'static str, &RegimeConfig) {
    match scenario {
        StressScenario::Normal => ("normal", &market.normal),
        StressScenario::Mild => ("stressed", &market.stressed),
        StressScenario::Severe | StressScenario::Luna => ("crisis", &market.crisis),
    }
}

/// Stream id of the trader population.
const POPULATION_STREAM: u64 = 0x5452_4144;

/// Offset of the stream ids of the shock paths' hourly noise (the severity uses the scenario's).
const PATH_NOISE_STREAM: u64 = 0x5041_5448_0000;

/// Redraws of a leverage above the maximum before it is clamped.
const MAX_LEVERAGE_REDRAWS: usize = 64;

/// Hours in a day, for the hourly volatility `σ_day / √24`.
const HOURS_PER_DAY: f64 = 24.0;

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
    /// Margin fraction `1 / leverage`: the adverse move that wipes the margin out (the
    /// bankruptcy price).
    pub fn margin_fraction(&self) -> f64 {
        self.margin_idr / self.notional_idr
    }
}

/// The liquidation engine's rules.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LiquidationRules {
    /// Maintenance margin `mm`, share of notional.
    pub maintenance_margin_rate: f64,
    /// Liquidation fee, share of notional; the fund takes `min(fee, mm) · N` per fill at the
    /// liquidation price.
    pub liquidation_fee_rate: f64,
    /// κ: change in ln(price) per unit of a step's net liquidated notional over the asset's open
    /// interest, applied from the next step.
    pub impact_per_open_interest: f64,
}

/// What one shock path did to the derivatives book and the fund.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PathOutcome {
    /// Bankruptcy losses of positions filled past their bankruptcy price, IDR.
    pub bankruptcy_loss_idr: f64,
    /// Liquidation fees taken into the fund, IDR.
    pub fees_idr: f64,
    /// Losses beyond the fund, socialised (auto-deleveraging / clawback), IDR.
    pub clawback_idr: f64,
    /// The fund at the end of the path, IDR.
    pub fund_end_idr: f64,
    /// The lowest balance of the fund along the path, IDR.
    pub fund_low_idr: f64,
    /// Notional liquidated, IDR.
    pub liquidated_notional_idr: f64,
    /// Notional liquidated past its bankruptcy price (gapped), IDR.
    pub gapped_notional_idr: f64,
    /// Exogenous price ratio `P/P₀` per asset at the end of the path (before the cascade's impact).
    pub exogenous_price_ratio: [f64; ASSETS],
    /// Price ratio at the end of the path, impact included.
    pub final_price_ratio: [f64; ASSETS],
}

impl PathOutcome {
    /// Whether the fund ran dry: a step's losses took it to zero.
    pub fn exhausted(&self) -> bool {
        self.fund_low_idr <= 0.0 && self.bankruptcy_loss_idr > 0.0
    }

    /// Whether a loss was socialised (auto-deleveraging / clawback).
    pub fn auto_deleveraged(&self) -> bool {
        self.clawback_idr > 0.0
    }
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

    /// Number of positions whose margin fraction is strictly below `level`.
    fn count_below(&self, level: f64) -> usize {
        self.margin_fraction.partition_point(|&f| f < level)
    }

    /// Notional and margin of positions `from..to`, IDR.
    fn sums(&self, from: usize, to: usize) -> (f64, f64) {
        (
            self.prefix_notional_idr[to] - self.prefix_notional_idr[from],
            self.prefix_margin_idr[to] - self.prefix_margin_idr[from],
        )
    }
}

/// One side's state along a path: the running maximum adverse move and how many of its
/// positions (a prefix in margin-fraction order) are liquidated.
#[derive(Debug, Clone, Copy, Default)]
struct SideState {
    worst_move: f64,
    liquidated: usize,
}

/// What one step's liquidations on one side did, IDR.
#[derive(Debug, Clone, Copy, Default)]
struct StepFills {
    notional_idr: f64,
    gapped_notional_idr: f64,
    loss_idr: f64,
    fees_idr: f64,
}

impl SideState {
    /// Liquidates the positions of `book` whose liquidation level the adverse move `x` passes
    /// for the first time: those with `f − mm < max x`. Of them, those with `f < x` gapped past
    /// their bankruptcy price and lose `x ΣN − ΣM`; the others fill at the liquidation price
    /// and pay the fee `min(fee, mm) ΣN`.
    fn step(&mut self, book: &SideBook, x: f64, rules: &LiquidationRules) -> StepFills {
        self.worst_move = self.worst_move.max(x);
        let mm = rules.maintenance_margin_rate;
        let k = book.count_below(self.worst_move + mm).max(self.liquidated);
        if k == self.liquidated {
            return StepFills::default();
        }
        let gap = book.count_below(x).clamp(self.liquidated, k);
        let (gapped_n, gapped_m) = book.sums(self.liquidated, gap);
        let (filled_n, _) = book.sums(gap, k);
        self.liquidated = k;
        StepFills {
            notional_idr: gapped_n + filled_n,
            gapped_notional_idr: gapped_n,
            loss_idr: (x * gapped_n - gapped_m).max(0.0),
            fees_idr: rules.liquidation_fee_rate.min(mm) * filled_n,
        }
    }
}

/// The derivatives book, arranged for the liquidation engine.
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

    /// Runs the liquidation engine along the exogenous log-price path `exogenous_log[t][a]`
    /// (`ln P/P₀`, `t = 0..=T`, `exogenous_log[0] = 0`) with a fund of `fund_idr`. Step `t`'s price
    /// is `exp(X_t + I_t)`, `I_t` the impact of the forced flow of steps `1..t`.
    pub fn run_path(
        &self,
        exogenous_log: &[[f64; ASSETS]],
        rules: LiquidationRules,
        fund_idr: f64,
    ) -> PathOutcome {
        let last = exogenous_log.last().copied().unwrap_or([0.0; ASSETS]);
        let mut out = PathOutcome {
            bankruptcy_loss_idr: 0.0,
            fees_idr: 0.0,
            clawback_idr: 0.0,
            fund_end_idr: fund_idr,
            fund_low_idr: fund_idr,
            liquidated_notional_idr: 0.0,
            gapped_notional_idr: 0.0,
            exogenous_price_ratio: last.map(f64::exp),
            final_price_ratio: last.map(f64::exp),
        };
        let mut states = [[SideState::default(); 2]; ASSETS];
        let mut impact = [0.0; ASSETS];
        for point in exogenous_log.iter().skip(1) {
            let (mut fees, mut losses) = (0.0, 0.0);
            for a in 0..ASSETS {
                let price = (point[a] + impact[a]).exp();
                out.final_price_ratio[a] = price;
                let [long_book, short_book] = &self.sides[a];
                let long = states[a][0].step(long_book, 1.0 - price, &rules);
                let short = states[a][1].step(short_book, price - 1.0, &rules);
                for fills in [long, short] {
                    fees += fills.fees_idr;
                    losses += fills.loss_idr;
                    out.liquidated_notional_idr += fills.notional_idr;
                    out.gapped_notional_idr += fills.gapped_notional_idr;
                }
                if self.open_interest_idr[a] > 0.0 {
                    impact[a] -= rules.impact_per_open_interest
                        * (long.notional_idr - short.notional_idr)
                        / self.open_interest_idr[a];
                }
            }
            out.fees_idr += fees;
            out.bankruptcy_loss_idr += losses;
            let balance = out.fund_end_idr + fees - losses;
            out.clawback_idr += (-balance).max(0.0);
            out.fund_end_idr = balance.max(0.0);
            out.fund_low_idr = out.fund_low_idr.min(out.fund_end_idr);
        }
        out
    }
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
    /// Daily volatility of the shock path per asset (the scenario's market regime).
    pub vol_per_day: [f64; ASSETS],
    /// Order-book depth within 1% of mid, share of open interest.
    pub depth_share_of_open_interest: f64,
    /// Distribution of the fund's drawdown, the start balance minus the lowest balance along
    /// the path, `F − min_t B_t`, IDR (between 0 and the fund).
    pub drawdown: DistributionSummary,
    /// Median drawdown as a share of the fund.
    pub drawdown_p50_share_of_fund: f64,
    /// 99th-percentile drawdown as a share of the fund.
    pub drawdown_p99_share_of_fund: f64,
    /// Distribution of the bankruptcy losses net of the fees, `(losses − fees)⁺`, IDR: what the
    /// path asks of the fund.
    pub deficit: DistributionSummary,
    /// Mean bankruptcy losses (before fees), IDR.
    pub mean_bankruptcy_loss_idr: f64,
    /// Mean liquidation fees into the fund, IDR.
    pub mean_fees_idr: f64,
    /// P(the fund runs dry on the path).
    pub exhaustion_probability: f64,
    /// P(auto-deleveraging / clawback): some loss is socialised. It differs from the exhaustion
    /// probability only when a step's losses empty the fund to the rupiah.
    pub adl_probability: f64,
    /// Mean socialised loss, IDR (borne by traders, not the exchange).
    pub expected_clawback_idr: f64,
    /// 99th percentile of the socialised loss, IDR.
    pub clawback_p99_idr: f64,
    /// Mean liquidated notional as a share of open interest.
    pub mean_liquidated_share: f64,
    /// Share of the liquidated notional that gapped past its bankruptcy price (all paths).
    pub gapped_share_of_liquidated: f64,
    /// Mean final over exogenous OI-weighted price move.
    pub amplification_mean: f64,
    /// 99th percentile of that ratio.
    pub amplification_p99: f64,
}

/// The insurance fund under every scenario.
#[derive(Debug, Clone, Serialize)]
pub struct InsuranceReport {
    /// The fund, IDR.
    pub fund_idr: f64,
    /// The fund as a share of open interest.
    pub fund_share_of_open_interest: f64,
    /// Gross open interest, IDR.
    pub open_interest_idr: f64,
    /// Traders.
    pub traders: usize,
    /// Monte Carlo paths per scenario.
    pub paths: usize,
    /// Hourly steps of the shock path.
    pub shock_hours: u32,
    /// Maintenance margin, share of notional.
    pub maintenance_margin_rate: f64,
    /// Liquidation fee, share of notional.
    pub liquidation_fee_rate: f64,
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

/// The exogenous hourly log-price path from 0 to `ln total_ratio` over `hours` steps: the
/// Brownian bridge `X_t = (t/T) ln R + W_t − (t/T) W_T`, `W` a random walk whose steps are
/// `σ_h ⊙ (L z)`, `z ~ N(0, I₃)`, `L` the Cholesky factor of the correlation. `hours + 1` points.
pub fn bridge_log_path(
    total_ratio: [f64; ASSETS],
    vol_per_hour: [f64; ASSETS],
    factor: &[[f64; ASSETS]; ASSETS],
    hours: usize,
    rng: &mut PathRng,
) -> Vec<[f64; ASSETS]> {
    let mut walk = Vec::with_capacity(hours + 1);
    let mut w = [0.0; ASSETS];
    walk.push(w);
    for _ in 0..hours {
        let z: [f64; ASSETS] = std::array::from_fn(|_| StandardNormal.sample(&mut *rng));
        for a in 0..ASSETS {
            let correlated: f64 = (0..=a).map(|k| factor[a][k] * z[k]).sum();
            w[a] += vol_per_hour[a] * correlated;
        }
        walk.push(w);
    }
    let end = w;
    let total_log = total_ratio.map(f64::ln);
    let t_max = hours.max(1) as f64;
    walk.iter()
        .enumerate()
        .map(|(t, w)| {
            let share = t as f64 / t_max;
            std::array::from_fn(|a| share * total_log[a] + w[a] - share * end[a])
        })
        .collect()
}

/// The insurance-fund Monte Carlo over `scenarios`; AUM is total customer fiat, IDR. Paths run
/// in parallel; path `i` uses its own streams, so results do not depend on threads. Refused when
/// a scenario's regime correlation is not a correlation matrix (the error names the market field).
pub fn run_insurance_fund(
    config: &InsuranceFundConfig,
    market: &MarketConfig,
    aum_idr: f64,
    scenarios: &[StressScenario],
) -> Result<InsuranceReport, ParamError> {
    let positions = synthetic_population(config, aum_idr);
    let book = DerivativesBook::new(&positions);
    let open_interest_idr: f64 = book.open_interest_idr.iter().sum();
    let fund_idr = config.fund_share_of_open_interest * open_interest_idr;
    let mut reports = BTreeMap::new();
    for &scenario in scenarios {
        let report = scenario_report(config, market, &book, fund_idr, scenario)?;
        reports.insert(scenario, report);
    }
    Ok(InsuranceReport {
        fund_idr,
        fund_share_of_open_interest: config.fund_share_of_open_interest,
        open_interest_idr,
        traders: positions.len(),
        paths: config.paths as usize,
        shock_hours: config.shock_hours,
        maintenance_margin_rate: config.maintenance_margin_rate,
        liquidation_fee_rate: config.liquidation_fee_rate,
        scenarios: reports,
    })
}

/// The paths of one scenario, summarised.
fn scenario_report(
    config: &InsuranceFundConfig,
    market: &MarketConfig,
    book: &DerivativesBook,
    fund_idr: f64,
    scenario: StressScenario,
) -> Result<FundScenarioReport, ParamError> {
    let (regime_name, regime) = scenario_regime(market, scenario);
    let factor = cholesky(&regime.correlation).ok_or_else(|| {
        ParamError::new(
            format!("market.{regime_name}.correlation"),
            format!("{:?}", regime.correlation),
            "a symmetric, positive-definite matrix with unit diagonal",
        )
    })?;
    let shock = config.shock_return(market, scenario);
    let vol_per_hour = regime.vol_per_day.map(|v| v / HOURS_PER_DAY.sqrt());
    let rules = config.rules(scenario);
    let outcomes: Vec<PathOutcome> = (0..config.paths as usize)
        .into_par_iter()
        .map(|path| {
            let ratio = shocked_price_ratio(&shock, config.shock_cv, config.seed, scenario, path);
            let stream = PATH_NOISE_STREAM + scenario.stream_id();
            let mut rng = path_rng(config.seed, stream, path as u64);
            let hours = config.shock_hours as usize;
            let exogenous = bridge_log_path(ratio, vol_per_hour, &factor, hours, &mut rng);
            book.run_path(&exogenous, rules, fund_idr)
        })
        .collect();
    let mut report = summarise(&outcomes, book, fund_idr, shock);
    report.vol_per_day = regime.vol_per_day;
    report.depth_share_of_open_interest = config.depth_share(scenario);
    Ok(report)
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

fn summary_of(v: &[f64]) -> DistributionSummary {
    if v.is_empty() {
        DistributionSummary::of_sorted(&[0.0])
    } else {
        DistributionSummary::of_sorted(v)
    }
}

fn p99_of(v: &[f64]) -> f64 {
    if v.is_empty() {
        0.0
    } else {
        quantile_sorted(v, 0.99)
    }
}

fn mean_of(outcomes: &[PathOutcome], value: impl Fn(&PathOutcome) -> f64) -> f64 {
    outcomes.iter().map(value).sum::<f64>() / outcomes.len().max(1) as f64
}

fn summarise(
    outcomes: &[PathOutcome],
    book: &DerivativesBook,
    fund_idr: f64,
    shock_return: [f64; ASSETS],
) -> FundScenarioReport {
    let oi = book.open_interest_idr;
    let oi_total: f64 = oi.iter().sum();
    let drawdowns = sorted(outcomes.iter().map(|o| fund_idr - o.fund_low_idr).collect());
    let deficits = sorted(
        outcomes
            .iter()
            .map(|o| (o.bankruptcy_loss_idr - o.fees_idr).max(0.0))
            .collect(),
    );
    let clawbacks = sorted(outcomes.iter().map(|o| o.clawback_idr).collect());
    let amplification = sorted(
        outcomes
            .iter()
            .map(|o| {
                let exogenous = weighted_move(&o.exogenous_price_ratio, &oi);
                let last = weighted_move(&o.final_price_ratio, &oi);
                if exogenous.abs() > 0.0 {
                    last / exogenous
                } else {
                    1.0
                }
            })
            .collect(),
    );
    let drawdown = summary_of(&drawdowns);
    let share_of_fund = |x: f64| if fund_idr > 0.0 { x / fund_idr } else { 0.0 };
    let exhausted = mean_of(outcomes, |o| f64::from(u8::from(o.exhausted())));
    let deleveraged = mean_of(outcomes, |o| f64::from(u8::from(o.auto_deleveraged())));
    let liquidated = mean_of(outcomes, |o| o.liquidated_notional_idr);
    FundScenarioReport {
        shock_return,
        vol_per_day: [0.0; ASSETS],
        depth_share_of_open_interest: 0.0,
        drawdown_p50_share_of_fund: share_of_fund(drawdown.p50_idr),
        drawdown_p99_share_of_fund: share_of_fund(drawdown.p99_idr),
        drawdown,
        deficit: summary_of(&deficits),
        mean_bankruptcy_loss_idr: mean_of(outcomes, |o| o.bankruptcy_loss_idr),
        mean_fees_idr: mean_of(outcomes, |o| o.fees_idr),
        exhaustion_probability: exhausted,
        adl_probability: deleveraged,
        expected_clawback_idr: mean_of(outcomes, |o| o.clawback_idr),
        clawback_p99_idr: p99_of(&clawbacks),
        mean_liquidated_share: if oi_total > 0.0 {
            liquidated / oi_total
        } else {
            0.0
        },
        gapped_share_of_liquidated: if liquidated > 0.0 {
            mean_of(outcomes, |o| o.gapped_notional_idr) / liquidated
        } else {
            0.0
        },
        amplification_mean: amplification.iter().sum::<f64>() / amplification.len().max(1) as f64,
        amplification_p99: p99_of(&amplification),
    }
}
