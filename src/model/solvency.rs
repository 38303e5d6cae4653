//! The unified stressed balance sheet of one weekend, tested against the OJK equity floor.
//!
//! It answers: with what the exchange can put to work before the rails reopen, can it meet
//! what falls due or is lost before then, and what is left?
//!
//! **Assets** (firm resources, at pre-stress value):
//! - the fiat reserve in the payment gateway (firm capital);
//! - the insurance fund;
//! - proprietary capital outside the reserve, the fund and the crypto book;
//! - crypto that can be sold before Monday: only through the hot wallet, which OJK caps at
//!   `in_house ≤ 30%` of consumer crypto × `hot ≤ 30%` of that = 9%; the firm's sellable crypto is
//!   `min(book, hot-wallet ceiling) × (1 − conversion haircut)`. Crypto outside the hot wallet
//!   cannot become rupiah before Monday and is not counted.
//!
//! Consumer fiat is 100% segregated at the clearing institution and is never an asset here.
//!
//! **Liabilities** (falling due or lost before Monday):
//! - weekend withdrawals at p99, which the firm fronts from its own money until the
//!   segregated funds can move again (capped at all customer fiat);
//! - the fund drawdown at p99 (capped at the fund: beyond it losses are socialised to traders
//!   and are not the exchange's liability, so the fund is counted once);
//! - the market-risk loss on the crypto book (capped at the book).
//!
//! `equity_after = assets − liabilities`. Verdict: `INSOLVENT` below zero, `OJK_BREACH` below
//! the Rp 50 bn maintained-equity floor, else `SOLVENT`. Capital adequacy ratio =
//! assets / liabilities; capital needed = `(floor − equity_after)⁺`.

use serde::{Deserialize, Serialize};

use crate::model::market::StressScenario;
use crate::model::params::{Allowed, Bound, bound};
use crate::model::var::VarReport;

impl SolvencyConfig {
    /// The allowed range of every numeric field (OJK caps custody and hot-wallet shares at 0.3).
    pub fn bounds(&self) -> Vec<Bound> {
        vec![
            bound(
                "proprietary_capital_idr",
                self.proprietary_capital_idr as f64,
                Allowed::Closed(0.0, 1e16),
            ),
            bound(
                "consumer_crypto_idr",
                self.consumer_crypto_idr as f64,
                Allowed::Closed(0.0, 1e16),
            ),
            bound(
                "in_house_custody_share",
                self.in_house_custody_share,
                Allowed::Closed(0.0, 0.3),
            ),
            bound(
                "hot_wallet_share",
                self.hot_wallet_share,
                Allowed::Closed(0.0, 0.3),
            ),
            bound(
                "conversion_haircut",
                self.conversion_haircut,
                Allowed::Closed(0.0, 1.0),
            ),
        ]
    }
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

/// Hours per day, for the square-root-of-time horizon scaling.
const HOURS_PER_DAY: f64 = 24.0;

/// The firm's side of the sheet, the same in every scenario.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FirmResources {
    /// Fiat reserve in the payment gateway, IDR.
    pub fiat_reserve_idr: f64,
    /// Insurance fund, IDR.
    pub insurance_fund_idr: f64,
    /// Proprietary capital, IDR.
    pub proprietary_capital_idr: f64,
    /// The firm's crypto book, IDR.
    pub crypto_book_idr: f64,
    /// Hot-wallet ceiling: consumer crypto × in-house share × hot share, IDR.
    pub hot_wallet_ceiling_idr: f64,
    /// Conversion haircut on hot-wallet crypto, share.
    pub conversion_haircut: f64,
    /// OJK maintained-equity floor, IDR.
    pub ojk_floor_idr: f64,
}

impl FirmResources {
    /// Crypto sellable before Monday, IDR: `min(book, ceiling) × (1 − haircut)`.
    pub fn sellable_crypto_idr(&self) -> f64 {
        self.crypto_book_idr
            .min(self.hot_wallet_ceiling_idr)
            .max(0.0)
            * (1.0 - self.conversion_haircut).clamp(0.0, 1.0)
    }
}

/// What a scenario draws on the sheet, before the magnitude caps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScenarioDemand {
    /// Weekend withdrawals at p99, IDR.
    pub withdrawals_p99_idr: f64,
    /// All customer fiat, IDR (the cap on withdrawals).
    pub customer_fiat_idr: f64,
    /// Fund drawdown at p99, IDR.
    pub fund_drawdown_p99_idr: f64,
    /// Market-risk loss on the crypto book, IDR.
    pub market_loss_idr: f64,
}

/// A scenario's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Verdict {
    /// Equity after the stress stays at or above the OJK floor.
    Solvent,
    /// Equity after the stress is positive but below the OJK floor.
    OjkBreach,
    /// The stress consumes more than the firm's resources.
    Insolvent,
}

impl Verdict {
    /// As printed.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Solvent => "SOLVENT",
            Self::OjkBreach => "OJK_BREACH",
            Self::Insolvent => "INSOLVENT",
        }
    }
}

/// The asset lines, IDR.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SheetAssets {
    /// Fiat reserve, IDR.
    pub fiat_reserve_idr: f64,
    /// Insurance fund, IDR.
    pub insurance_fund_idr: f64,
    /// Proprietary capital, IDR.
    pub proprietary_capital_idr: f64,
    /// Hot-wallet crypto after the haircut, IDR.
    pub hot_wallet_crypto_idr: f64,
    /// Sum, IDR.
    pub total_idr: f64,
}

/// The liability lines, IDR.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SheetLiabilities {
    /// Weekend withdrawals p99, IDR.
    pub withdrawals_idr: f64,
    /// Insurance fund drawdown p99, IDR.
    pub fund_drawdown_idr: f64,
    /// Market-risk loss, IDR.
    pub market_loss_idr: f64,
    /// Sum, IDR.
    pub total_idr: f64,
}

/// One step of the waterfall from resources to equity after the stress.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WaterfallStep {
    /// What the step is.
    pub label: &'static str,
    /// Signed amount, IDR (+ resource, − charge).
    pub amount_idr: f64,
    /// Running total after the step, IDR.
    pub running_idr: f64,
}

/// One scenario's stressed balance sheet.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SolvencyReport {
    /// Verdict.
    pub verdict: Verdict,
    /// Assets, IDR.
    pub assets: SheetAssets,
    /// Liabilities, IDR.
    pub liabilities: SheetLiabilities,
    /// Assets − liabilities, IDR.
    pub equity_after_idr: f64,
    /// Assets / liabilities (`None` when nothing is owed).
    pub capital_adequacy_ratio: Option<f64>,
    /// Capital to add to end at the OJK floor, IDR.
    pub capital_needed_idr: f64,
    /// The waterfall.
    pub waterfall: Vec<WaterfallStep>,
}

/// The sheet of one scenario. Every line is capped by the quantity it is drawn from.
pub fn stressed_balance_sheet(firm: &FirmResources, demand: &ScenarioDemand) -> SolvencyReport {
    let assets = SheetAssets {
        fiat_reserve_idr: firm.fiat_reserve_idr.max(0.0),
        insurance_fund_idr: firm.insurance_fund_idr.max(0.0),
        proprietary_capital_idr: firm.proprietary_capital_idr.max(0.0),
        hot_wallet_crypto_idr: firm.sellable_crypto_idr(),
        total_idr: 0.0,
    };
    let assets = SheetAssets {
        total_idr: assets.fiat_reserve_idr
            + assets.insurance_fund_idr
            + assets.proprietary_capital_idr
            + assets.hot_wallet_crypto_idr,
        ..assets
    };
    let withdrawals_idr = demand
        .withdrawals_p99_idr
        .clamp(0.0, demand.customer_fiat_idr.max(0.0));
    let fund_drawdown_idr = demand
        .fund_drawdown_p99_idr
        .clamp(0.0, assets.insurance_fund_idr);
    let market_loss_idr = demand
        .market_loss_idr
        .clamp(0.0, firm.crypto_book_idr.max(0.0));
    let liabilities = SheetLiabilities {
        withdrawals_idr,
        fund_drawdown_idr,
        market_loss_idr,
        total_idr: withdrawals_idr + fund_drawdown_idr + market_loss_idr,
    };
    let equity_after_idr = assets.total_idr - liabilities.total_idr;
    let verdict = if equity_after_idr < 0.0 {
        Verdict::Insolvent
    } else if equity_after_idr < firm.ojk_floor_idr {
        Verdict::OjkBreach
    } else {
        Verdict::Solvent
    };
    let steps = [
        ("fiat reserve", assets.fiat_reserve_idr),
        ("insurance fund", assets.insurance_fund_idr),
        ("proprietary capital", assets.proprietary_capital_idr),
        (
            "hot-wallet crypto after haircut",
            assets.hot_wallet_crypto_idr,
        ),
        ("weekend withdrawals p99", -withdrawals_idr),
        ("insurance fund drawdown p99", -fund_drawdown_idr),
        ("market-risk loss", -market_loss_idr),
    ];
    let mut running = 0.0;
    let waterfall = steps
        .into_iter()
        .map(|(label, amount_idr)| {
            running += amount_idr;
            WaterfallStep {
                label,
                amount_idr,
                running_idr: running,
            }
        })
        .collect();
    SolvencyReport {
        verdict,
        assets,
        liabilities,
        equity_after_idr,
        capital_adequacy_ratio: (liabilities.total_idr > 0.0)
            .then(|| assets.total_idr / liabilities.total_idr),
        capital_needed_idr: (firm.ojk_floor_idr - equity_after_idr).max(0.0),
        waterfall,
    }
}

/// `√(hours / 24)`: the square-root-of-time factor from one day to the weekend window.
pub fn weekend_horizon_factor(window_hours: u32) -> f64 {
    (f64::from(window_hours) / HOURS_PER_DAY).sqrt()
}

/// The market-risk loss a scenario charges, IDR, capped at the book:
/// - normal: Tier 1 scaled to the window, `T1 · √(h/24)`;
/// - mild: the mild parametric shock;
/// - severe: Tier 2 with its VaR part scaled to the window, `max(stressed CVaR99 · √(h/24),
///   worst parametric shock)`;
/// - LUNA-style: the LUNA parametric shock.
pub fn market_loss_idr(scenario: StressScenario, var: &VarReport, window_hours: u32) -> f64 {
    let horizon = weekend_horizon_factor(window_hours);
    let shock = |s: StressScenario| {
        var.shocks
            .iter()
            .find(|x| x.scenario == s)
            .map_or(0.0, |x| x.loss_idr)
    };
    let loss = match scenario {
        StressScenario::Normal => var.tiers.tier1_idr * horizon,
        StressScenario::Mild => shock(StressScenario::Mild),
        StressScenario::Severe => {
            let worst_shock = var.shocks.iter().map(|x| x.loss_idr).fold(0.0, f64::max);
            (var.stressed.levels.cvar99_idr * horizon).max(worst_shock)
        }
        StressScenario::Luna => shock(StressScenario::Luna),
    };
    loss.clamp(0.0, var.history.book_idr)
}
