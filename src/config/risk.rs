//! Configuration of the market-risk, insurance-fund, solvency and reserve-tier models.
//!
//! Same rules as the rest of [`crate::config`]: every field has a documented default
//! (`assumptions.md`, section "Market risk, insurance fund and solvency"), unknown fields are
//! refused, and [`validate`] names the offending field and its allowed range.
//! Per-asset arrays are ordered BTC, ETH, ALT basket.

use serde::{Deserialize, Serialize};

use super::{ConfigError, invalid, open_unit, within};

/// Number of assets in the crypto book: BTC, ETH and an ALT basket.
pub const ASSETS: usize = 3;

/// Asset names in the order of every per-asset array.
pub const ASSET_NAMES: [&str; ASSETS] = ["btc", "eth", "alt"];

/// Number of market regimes: normal, stressed, crisis.
pub const REGIMES: usize = 3;

/// Tolerance on "rows sum to one".
const ROW_SUM_TOLERANCE: f64 = 1e-9;

/// The four stress scenarios of the balance sheet and the insurance fund.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StressScenario {
    /// A baseline weekend.
    Normal,
    /// A 20–30% crypto drawdown with mild withdrawal stress.
    Mild,
    /// A loss of confidence (FTX-style).
    Severe,
    /// A LUNA-style collapse: the ALT basket near zero, severe withdrawals.
    Luna,
}

impl StressScenario {
    /// All four, mildest first.
    pub const ALL: [StressScenario; 4] = [Self::Normal, Self::Mild, Self::Severe, Self::Luna];

    /// Lower-case name as used in JSON and tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Normal => "normal",
            Self::Mild => "mild",
            Self::Severe => "severe",
            Self::Luna => "luna",
        }
    }

    /// A stable number per scenario for its random streams (distinct from the withdrawal streams).
    pub fn stream_id(self) -> u64 {
        match self {
            Self::Normal => 101,
            Self::Mild => 102,
            Self::Severe => 103,
            Self::Luna => 104,
        }
    }
}

impl std::fmt::Display for StressScenario {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// One market regime's daily log-return law.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegimeConfig {
    /// Mean daily log-return per asset, per day.
    pub drift_per_day: [f64; ASSETS],
    /// Standard deviation of the daily log-return per asset, per day.
    pub vol_per_day: [f64; ASSETS],
    /// Correlation matrix of the daily log-returns (symmetric, unit diagonal, positive definite).
    pub correlation: [[f64; ASSETS]; ASSETS],
}

/// The market history and the exchange's crypto book.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MarketConfig {
    /// Calendar days of synthetic history (crypto trades every day).
    pub days: u32,
    /// Seed of the synthetic history.
    pub seed: u64,
    /// Path of a real price CSV `date,btc,eth,alt` (daily closes); empty = synthetic history.
    pub prices_csv: String,
    /// Daily regime transition matrix, rows = today's regime (normal, stressed, crisis),
    /// columns = tomorrow's; each row sums to 1.
    pub transition: [[f64; REGIMES]; REGIMES],
    /// Return law in the normal regime.
    pub normal: RegimeConfig,
    /// Return law in the stressed regime.
    pub stressed: RegimeConfig,
    /// Return law in the crisis regime.
    pub crisis: RegimeConfig,
    /// The exchange's own crypto holdings per asset, IDR at today's marks.
    pub holdings_idr: [u64; ASSETS],
    /// Days of history behind historical simulation and filtered historical simulation.
    pub lookback_days: u32,
    /// RiskMetrics decay factor λ of the EWMA variance.
    pub ewma_lambda: f64,
    /// Length of the stressed-VaR window, days.
    pub stressed_window_days: u32,
    /// Mild parametric shock, simple return per asset over the weekend.
    pub mild_shock_return: [f64; ASSETS],
    /// Severe parametric shock, simple return per asset.
    pub severe_shock_return: [f64; ASSETS],
    /// LUNA-style parametric shock, simple return per asset.
    pub luna_shock_return: [f64; ASSETS],
}

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

/// Which fiat reserve the stressed balance sheet holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReserveBasis {
    /// The industry rule of thumb (`reserve.rule_of_thumb_share` of fiat).
    RuleOfThumb,
    /// The engine's recommended reserve.
    Recommended,
}

/// The unified stressed balance sheet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SolvencyConfig {
    /// Fiat reserve the sheet holds: `rule_of_thumb` or `recommended`.
    pub reserve_basis: ReserveBasis,
    /// Firm capital outside the reserve, the fund and the crypto book that absorbs losses, IDR.
    pub proprietary_capital_idr: u64,
    /// Consumer crypto on the platform, IDR.
    pub consumer_crypto_idr: u64,
    /// Share of consumer crypto the exchange may custody in house (OJK: at most 0.3).
    pub in_house_custody_share: f64,
    /// Share of the in-house custody kept in the hot wallet (OJK: at most 0.3).
    pub hot_wallet_share: f64,
    /// Loss when converting hot-wallet crypto to IDR in a stressed weekend, share of its value.
    pub conversion_haircut: f64,
}

/// The three reserve layers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TiersConfig {
    /// Yield of IDR in the payment gateway and virtual accounts, fraction per year.
    pub instant_yield: f64,
    /// Yield of money-market funds and overnight repo, fraction per year.
    pub money_market_yield: f64,
    /// Yield of stablecoins held for liquidity, fraction per year.
    pub stablecoin_yield: f64,
    /// Share of the fast layer held in stablecoins; below 0.5 (they de-peg in crises).
    pub fast_stablecoin_share: f64,
    /// Hours to turn the fast layer into IDR.
    pub fast_delay_hours: f64,
    /// Yield of SBN and T-bills, fraction per year.
    pub liquid_yield: f64,
}

impl Default for MarketConfig {
    fn default() -> Self {
        Self {
            days: 1095,
            seed: 20_220_509,
            prices_csv: String::new(),
            transition: [[0.97, 0.025, 0.005], [0.10, 0.85, 0.05], [0.05, 0.15, 0.80]],
            normal: RegimeConfig {
                drift_per_day: [0.0017, 0.002, 0.0029],
                vol_per_day: [0.025, 0.032, 0.045],
                correlation: [[1.0, 0.75, 0.6], [0.75, 1.0, 0.7], [0.6, 0.7, 1.0]],
            },
            stressed: RegimeConfig {
                drift_per_day: [-0.002, -0.0025, -0.004],
                vol_per_day: [0.045, 0.058, 0.08],
                correlation: [[1.0, 0.85, 0.75], [0.85, 1.0, 0.8], [0.75, 0.8, 1.0]],
            },
            crisis: RegimeConfig {
                drift_per_day: [-0.01, -0.013, -0.02],
                vol_per_day: [0.08, 0.1, 0.15],
                correlation: [[1.0, 0.9, 0.85], [0.9, 1.0, 0.88], [0.85, 0.88, 1.0]],
            },
            holdings_idr: [79_500_000_000, 47_700_000_000, 31_800_000_000],
            lookback_days: 365,
            ewma_lambda: 0.94,
            stressed_window_days: 90,
            mild_shock_return: [-0.25, -0.32, -0.45],
            severe_shock_return: [-0.5, -0.6, -0.75],
            luna_shock_return: [-0.4, -0.48, -0.88],
        }
    }
}

impl Default for InsuranceFundConfig {
    fn default() -> Self {
        Self {
            traders: 5_000,
            seed: 20_200_312,
            paths: 500,
            open_interest_to_aum: 1.5,
            fund_share_of_aum: 0.005,
            institutional_trader_share: 0.1,
            institutional_notional_share: 0.5,
            retail_leverage_mean: 15.0,
            retail_leverage_cv: 0.6,
            retail_leverage_max: 100.0,
            institutional_leverage_mean: 5.0,
            institutional_leverage_cv: 0.5,
            institutional_leverage_max: 20.0,
            retail_long_share: 0.65,
            institutional_long_share: 0.5,
            notional_log_sigma: 1.2,
            asset_share: [0.5, 0.3, 0.2],
            liquidation_slippage: 0.005,
            impact_per_open_interest: 0.2,
            cascade_rounds: 5,
            shock_cv: 0.3,
            normal_shock_return: [-0.04, -0.05, -0.07],
        }
    }
}

impl Default for SolvencyConfig {
    fn default() -> Self {
        Self {
            reserve_basis: ReserveBasis::RuleOfThumb,
            proprietary_capital_idr: 100_000_000_000,
            consumer_crypto_idr: 795_000_000_000,
            in_house_custody_share: 0.3,
            hot_wallet_share: 0.3,
            conversion_haircut: 0.02,
        }
    }
}

impl Default for TiersConfig {
    fn default() -> Self {
        Self {
            instant_yield: 0.0,
            money_market_yield: 0.0575,
            stablecoin_yield: 0.0,
            fast_stablecoin_share: 0.2,
            fast_delay_hours: 4.0,
            liquid_yield: 0.065,
        }
    }
}

impl MarketConfig {
    /// The return law of regime `k` (0 normal, 1 stressed, 2 crisis).
    pub fn regime(&self, k: usize) -> &RegimeConfig {
        match k {
            0 => &self.normal,
            1 => &self.stressed,
            _ => &self.crisis,
        }
    }

    /// The parametric shock of a scenario, simple return per asset (none for `normal`).
    pub fn shock_return(&self, scenario: StressScenario) -> Option<[f64; ASSETS]> {
        match scenario {
            StressScenario::Normal => None,
            StressScenario::Mild => Some(self.mild_shock_return),
            StressScenario::Severe => Some(self.severe_shock_return),
            StressScenario::Luna => Some(self.luna_shock_return),
        }
    }

    /// Total crypto book, IDR.
    pub fn book_idr(&self) -> f64 {
        self.holdings_idr.iter().map(|&h| h as f64).sum()
    }
}

impl InsuranceFundConfig {
    /// The shock a scenario applies to the derivatives book, simple return per asset.
    pub fn shock_return(&self, market: &MarketConfig, scenario: StressScenario) -> [f64; ASSETS] {
        market
            .shock_return(scenario)
            .unwrap_or(self.normal_shock_return)
    }
}

/// Checks the market, insurance-fund, solvency and tier sections.
pub fn validate(
    market: &MarketConfig,
    fund: &InsuranceFundConfig,
    solvency: &SolvencyConfig,
    tiers: &TiersConfig,
) -> Result<(), ConfigError> {
    validate_market(market)?;
    validate_fund(fund)?;
    validate_solvency(solvency)?;
    validate_tiers(tiers)
}

fn validate_market(m: &MarketConfig) -> Result<(), ConfigError> {
    within(
        "market.lookback_days",
        f64::from(m.lookback_days),
        20.0,
        10_000.0,
    )?;
    within(
        "market.stressed_window_days",
        f64::from(m.stressed_window_days),
        10.0,
        f64::from(m.lookback_days),
    )?;
    within(
        "market.days",
        f64::from(m.days),
        f64::from(m.lookback_days) + 1.0,
        100_000.0,
    )?;
    for (i, row) in m.transition.iter().enumerate() {
        for (j, &p) in row.iter().enumerate() {
            within(&format!("market.transition[{i}][{j}]"), p, 0.0, 1.0)?;
        }
        let sum: f64 = row.iter().sum();
        if (sum - 1.0).abs() > ROW_SUM_TOLERANCE {
            return Err(ConfigError::Invalid {
                field: format!("market.transition[{i}]"),
                value: format!("{row:?}"),
                allowed: format!("a row of probabilities summing to 1 (it sums to {sum})"),
            });
        }
    }
    if crate::model::market::stationary_distribution(&m.transition).is_none() {
        return Err(ConfigError::Invalid {
            field: "market.transition".into(),
            value: format!("{:?}", m.transition),
            allowed: "an irreducible chain with a unique stationary distribution".into(),
        });
    }
    for (k, name) in ["normal", "stressed", "crisis"].into_iter().enumerate() {
        validate_regime(name, m.regime(k))?;
    }
    for (a, &h) in m.holdings_idr.iter().enumerate() {
        within(&format!("market.holdings_idr[{a}]"), h as f64, 0.0, 1e16)?;
    }
    open_unit("market.ewma_lambda", m.ewma_lambda)?;
    for (name, shock) in [
        ("mild", m.mild_shock_return),
        ("severe", m.severe_shock_return),
        ("luna", m.luna_shock_return),
    ] {
        validate_shock(&format!("market.{name}_shock_return"), shock)?;
    }
    Ok(())
}

fn validate_regime(name: &str, r: &RegimeConfig) -> Result<(), ConfigError> {
    for a in 0..ASSETS {
        within(
            &format!("market.{name}.drift_per_day[{a}]"),
            r.drift_per_day[a],
            -0.5,
            0.5,
        )?;
        within(
            &format!("market.{name}.vol_per_day[{a}]"),
            r.vol_per_day[a],
            0.0,
            2.0,
        )?;
    }
    if crate::model::market::cholesky(&r.correlation).is_none() {
        return Err(ConfigError::Invalid {
            field: format!("market.{name}.correlation"),
            value: format!("{:?}", r.correlation),
            allowed: "a symmetric, positive-definite matrix with unit diagonal".into(),
        });
    }
    Ok(())
}

/// A shock is a simple return in (−1, 1].
fn validate_shock(field: &str, shock: [f64; ASSETS]) -> Result<(), ConfigError> {
    for (a, &s) in shock.iter().enumerate() {
        if !(s.is_finite() && s > -1.0 && s <= 1.0) {
            return Err(invalid(&format!("{field}[{a}]"), s, "(-1, 1]"));
        }
    }
    Ok(())
}

fn validate_fund(f: &InsuranceFundConfig) -> Result<(), ConfigError> {
    within(
        "insurance_fund.traders",
        f64::from(f.traders),
        2.0,
        10_000_000.0,
    )?;
    within(
        "insurance_fund.paths",
        f64::from(f.paths),
        1.0,
        10_000_000.0,
    )?;
    within(
        "insurance_fund.open_interest_to_aum",
        f.open_interest_to_aum,
        0.0,
        100.0,
    )?;
    within(
        "insurance_fund.fund_share_of_aum",
        f.fund_share_of_aum,
        0.0,
        1.0,
    )?;
    open_unit(
        "insurance_fund.institutional_trader_share",
        f.institutional_trader_share,
    )?;
    open_unit(
        "insurance_fund.institutional_notional_share",
        f.institutional_notional_share,
    )?;
    for (name, mean, cv, max) in [
        (
            "retail",
            f.retail_leverage_mean,
            f.retail_leverage_cv,
            f.retail_leverage_max,
        ),
        (
            "institutional",
            f.institutional_leverage_mean,
            f.institutional_leverage_cv,
            f.institutional_leverage_max,
        ),
    ] {
        within(
            &format!("insurance_fund.{name}_leverage_max"),
            max,
            1.0,
            1_000.0,
        )?;
        within(
            &format!("insurance_fund.{name}_leverage_mean"),
            mean,
            1.0,
            max,
        )?;
        within(&format!("insurance_fund.{name}_leverage_cv"), cv, 0.0, 5.0)?;
    }
    within(
        "insurance_fund.retail_long_share",
        f.retail_long_share,
        0.0,
        1.0,
    )?;
    within(
        "insurance_fund.institutional_long_share",
        f.institutional_long_share,
        0.0,
        1.0,
    )?;
    within(
        "insurance_fund.notional_log_sigma",
        f.notional_log_sigma,
        0.0,
        5.0,
    )?;
    for (a, &s) in f.asset_share.iter().enumerate() {
        within(&format!("insurance_fund.asset_share[{a}]"), s, 0.0, 1.0)?;
    }
    let sum: f64 = f.asset_share.iter().sum();
    if (sum - 1.0).abs() > ROW_SUM_TOLERANCE {
        return Err(ConfigError::Invalid {
            field: "insurance_fund.asset_share".into(),
            value: format!("{:?}", f.asset_share),
            allowed: format!("shares summing to 1 (they sum to {sum})"),
        });
    }
    within(
        "insurance_fund.liquidation_slippage",
        f.liquidation_slippage,
        0.0,
        0.5,
    )?;
    within(
        "insurance_fund.impact_per_open_interest",
        f.impact_per_open_interest,
        0.0,
        10.0,
    )?;
    within(
        "insurance_fund.cascade_rounds",
        f64::from(f.cascade_rounds),
        1.0,
        100.0,
    )?;
    within("insurance_fund.shock_cv", f.shock_cv, 0.0, 5.0)?;
    validate_shock("insurance_fund.normal_shock_return", f.normal_shock_return)
}

fn validate_solvency(s: &SolvencyConfig) -> Result<(), ConfigError> {
    within(
        "solvency.proprietary_capital_idr",
        s.proprietary_capital_idr as f64,
        0.0,
        1e16,
    )?;
    within(
        "solvency.consumer_crypto_idr",
        s.consumer_crypto_idr as f64,
        0.0,
        1e16,
    )?;
    within(
        "solvency.in_house_custody_share",
        s.in_house_custody_share,
        0.0,
        0.3,
    )?;
    within("solvency.hot_wallet_share", s.hot_wallet_share, 0.0, 0.3)?;
    within(
        "solvency.conversion_haircut",
        s.conversion_haircut,
        0.0,
        1.0,
    )
}

fn validate_tiers(t: &TiersConfig) -> Result<(), ConfigError> {
    within("tiers.instant_yield", t.instant_yield, 0.0, 1.0)?;
    within("tiers.money_market_yield", t.money_market_yield, 0.0, 1.0)?;
    within("tiers.stablecoin_yield", t.stablecoin_yield, 0.0, 1.0)?;
    if !(t.fast_stablecoin_share.is_finite()
        && t.fast_stablecoin_share >= 0.0
        && t.fast_stablecoin_share < 0.5)
    {
        return Err(invalid(
            "tiers.fast_stablecoin_share",
            t.fast_stablecoin_share,
            "[0, 0.5): stablecoins stay a minority of the fast layer",
        ));
    }
    within("tiers.fast_delay_hours", t.fast_delay_hours, 0.0, 72.0)?;
    within("tiers.liquid_yield", t.liquid_yield, 0.0, 1.0)
}
