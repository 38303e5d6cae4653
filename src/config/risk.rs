//! Configuration of the market-risk, insurance-fund, solvency and reserve-tier models.
//!
//! The types and their range checks live with the models (`model::market`, `insurance`,
//! `solvency`, `tiers`); here are their documented defaults (`assumptions.md`, section
//! "Market risk, insurance fund and solvency") and [`validate`], which names the offending
//! field with its section. Per-asset arrays are ordered BTC, ETH, ALT basket.

use super::{ConfigError, in_section};
pub use crate::model::insurance::InsuranceFundConfig;
pub use crate::model::market::{
    ASSET_NAMES, ASSETS, MarketConfig, REGIMES, RegimeConfig, StressScenario,
};
use crate::model::params::check;
pub use crate::model::solvency::{FundDeficit, GapFunding, ReserveBasis, SolvencyConfig};
pub use crate::model::tiers::TiersConfig;

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
            stressed_window_days: 250,
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
            fund_share_of_open_interest: 0.05,
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
            maintenance_margin_rate: 0.005,
            liquidation_fee_rate: 0.005,
            depth_share_of_open_interest: [0.1, 0.05, 0.03, 0.02],
            shock_hours: 24,
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
            firm_hot_wallet_share: 0.3,
            conversion_haircut: 0.02,
            market_impact: 0.01,
            insurance_fund_is_firm_equity: true,
            fund_deficit: FundDeficit::Socialised,
            gap_funding: GapFunding::SellCryptoFirst,
        }
    }
}

impl Default for TiersConfig {
    fn default() -> Self {
        Self {
            instant_yield: 0.0,
            stablecoin_yield: 0.0,
            fast_delay_hours: 4.0,
            fast_haircut: 0.03,
            monday_yield: 0.065,
        }
    }
}

/// Checks the market, insurance-fund, solvency and tier sections.
pub fn validate(
    market: &MarketConfig,
    fund: &InsuranceFundConfig,
    solvency: &SolvencyConfig,
    tiers: &TiersConfig,
) -> Result<(), ConfigError> {
    market.validate().map_err(in_section("market"))?;
    fund.validate().map_err(in_section("insurance_fund"))?;
    check(&solvency.bounds()).map_err(in_section("solvency"))?;
    check(&tiers.bounds()).map_err(in_section("tiers"))
}
