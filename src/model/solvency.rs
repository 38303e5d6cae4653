//! The solvency view of one weekend: the firm's equity after the stress, tested against the
//! OJK maintained-equity floor, kept apart from the liquidity question.
//!
//! **Equity before the stress** = the firm's assets at mark:
//! - the fiat reserve in the payment gateway (firm money);
//! - the insurance fund, only when it is firm equity (`insurance_fund_is_firm_equity`);
//! - proprietary capital outside the reserve, the fund and the crypto book, net of the firm's
//!   other liabilities;
//! - the firm's own crypto book at its full mark.
//!
//! Consumer fiat is 100% segregated at the clearing institution and consumer crypto is the
//! consumers': neither is ever a firm asset.
//!
//! **Weekend withdrawals are a swap, not a loss.** Paying a withdrawal from firm cash lowers
//! firm cash and raises the firm's claim on the segregated customer account by the same amount;
//! equity does not move. What the reserve cannot cover, the liquidity gap `g`, is funded by
//! selling the firm's own hot-wallet crypto (when `gap_funding = sell_crypto_first`) and by
//! bridging the rest until the rails reopen.
//!
//! **Charges against equity**:
//! - market loss `L` on the firm's own book, at most the book (the book is counted whole on the
//!   asset side, so adding crypto never lowers equity after the stress);
//! - the insurance fund's drawdown `min(D, F)` when the fund is firm equity, and the deficit
//!   beyond the fund `(D − F)⁺` when it is absorbed rather than socialised to traders;
//! - the crypto sale loss `sold × (haircut + impact)`, with
//!   `sold = min(hot_share × (book − L), g / (1 − haircut − impact))`;
//! - the bridging cost `(g − proceeds) × rate × bridge_hours / 8760`.
//!
//! `equity_after = equity_before − charges`. Solvency verdict: `INSOLVENT` below zero,
//! `OJK_BREACH` below the floor, else `SOLVENT`. Liquidity verdict: `LIQUIDITY_SHORTFALL` when
//! `g > 0`, else `LIQUIDITY_OK`. Capital needed = `(floor − equity_after)⁺`.

use serde::{Deserialize, Serialize};

pub use crate::model::liquidity::LiquidityVerdict;
use crate::model::market::StressScenario;
use crate::model::params::{Allowed, Bound, bound};
use crate::model::process::HOURS_PER_DAY;
use crate::model::var::VarReport;

/// Hours in a (365-day) year, for the bridging cost.
pub const HOURS_PER_YEAR: f64 = 8760.0;

impl SolvencyConfig {
    /// The allowed range of every numeric field (OJK caps custody and hot-wallet shares of
    /// consumer crypto at 0.3).
    pub fn bounds(&self) -> Vec<Bound> {
        let idr = |name, value: u64| bound(name, value as f64, Allowed::Closed(0.0, 1e16));
        vec![
            idr("proprietary_capital_idr", self.proprietary_capital_idr),
            idr("consumer_crypto_idr", self.consumer_crypto_idr),
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
                "firm_hot_wallet_share",
                self.firm_hot_wallet_share,
                Allowed::Closed(0.0, 1.0),
            ),
            bound(
                "conversion_haircut",
                self.conversion_haircut,
                Allowed::Closed(0.0, 0.5),
            ),
            bound(
                "market_impact",
                self.market_impact,
                Allowed::Closed(0.0, 0.5),
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

/// Who bears the derivatives deficit beyond the insurance fund.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FundDeficit {
    /// Socialised to profitable traders (auto-deleveraging, clawback): not the firm's loss.
    Socialised,
    /// Absorbed by the exchange: charged to its equity.
    Absorbed,
}

/// How the liquidity gap is funded until the rails reopen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GapFunding {
    /// All of it bridged at the emergency rate; no crypto sold.
    Borrow,
    /// The firm's own hot-wallet crypto sold first; the rest bridged.
    SellCryptoFirst,
}

/// The solvency view's parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SolvencyConfig {
    /// Fiat reserve the sheet holds: `rule_of_thumb` or `recommended`.
    pub reserve_basis: ReserveBasis,
    /// Firm capital outside the reserve, the fund and the crypto book, net of other
    /// liabilities, IDR.
    pub proprietary_capital_idr: u64,
    /// Consumer crypto on the platform, IDR (reported with its hot-wallet ceiling; never firm
    /// money).
    pub consumer_crypto_idr: u64,
    /// Share of consumer crypto the exchange may custody in house (OJK: at most 0.3).
    pub in_house_custody_share: f64,
    /// Share of the in-house consumer custody kept in the hot wallet (OJK: at most 0.3).
    pub hot_wallet_share: f64,
    /// Share of the firm's own crypto book held in its hot wallet, sellable before Monday.
    pub firm_hot_wallet_share: f64,
    /// Loss when converting hot-wallet crypto to IDR in a stressed weekend, share of its value.
    pub conversion_haircut: f64,
    /// Price impact of the firm's own weekend sale, share of the value sold.
    pub market_impact: f64,
    /// Whether the insurance fund is firm equity (an asset whose drawdown is the firm's loss).
    pub insurance_fund_is_firm_equity: bool,
    /// Who bears the derivatives deficit beyond the fund: `socialised` or `absorbed`.
    pub fund_deficit: FundDeficit,
    /// How the liquidity gap is funded: `borrow` or `sell_crypto_first`.
    pub gap_funding: GapFunding,
}

/// The firm's side of the sheet and the terms of the weekend, the same in every scenario.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FirmResources {
    /// Fiat reserve in the payment gateway, IDR.
    pub fiat_reserve_idr: f64,
    /// Insurance fund, IDR.
    pub insurance_fund_idr: f64,
    /// Whether the fund is firm equity (counted as an asset, its drawdown a loss).
    pub insurance_fund_is_firm_equity: bool,
    /// Proprietary capital, net of the firm's other liabilities, IDR.
    pub proprietary_capital_idr: f64,
    /// The firm's own crypto book at mark, IDR.
    pub crypto_book_idr: f64,
    /// Share of the firm's own book in its hot wallet.
    pub firm_hot_wallet_share: f64,
    /// Conversion haircut on crypto sold before Monday, share of value.
    pub conversion_haircut: f64,
    /// Market impact of the firm's weekend sale, share of value.
    pub market_impact: f64,
    /// Annual rate of the emergency funding that bridges the gap until the rails reopen.
    pub bridge_rate_per_year: f64,
    /// Who bears the derivatives deficit beyond the fund.
    pub fund_deficit: FundDeficit,
    /// How the liquidity gap is funded.
    pub gap_funding: GapFunding,
    /// OJK maintained-equity floor, IDR.
    pub ojk_floor_idr: f64,
}

impl FirmResources {
    /// Share of the value sold lost in a weekend sale: `min(haircut + impact, 1)`.
    pub fn sale_loss_share(&self) -> f64 {
        (self.conversion_haircut.max(0.0) + self.market_impact.max(0.0)).min(1.0)
    }

    /// The firm's own hot-wallet crypto after a market loss `market_loss_idr`, IDR:
    /// `hot_share × (book − L)`.
    pub fn hot_wallet_crypto_after_idr(&self, market_loss_idr: f64) -> f64 {
        self.firm_hot_wallet_share.clamp(0.0, 1.0)
            * (self.crypto_book_idr.max(0.0) - market_loss_idr).max(0.0)
    }
}

/// What a scenario draws on the sheet.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScenarioDemand {
    /// Weekend withdrawals at p99 the firm fronts from its cash, IDR (a swap, no equity effect).
    pub withdrawals_p99_idr: f64,
    /// What the reserve cannot cover before the rails reopen, IDR.
    pub liquidity_gap_idr: f64,
    /// Hours the gap must be bridged, until the rails reopen.
    pub bridge_hours: f64,
    /// p99 of the derivatives book's bankruptcy losses net of liquidation fees, `(losses − fees)⁺`,
    /// before the fund, IDR.
    pub fund_deficit_p99_idr: f64,
    /// Market-risk loss on the firm's own crypto book, IDR.
    pub market_loss_idr: f64,
}

/// A scenario's solvency verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Verdict {
    /// Equity after the stress stays at or above the OJK floor.
    Solvent,
    /// Equity after the stress is at or above zero but below the OJK floor.
    OjkBreach,
    /// Equity after the stress is negative.
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

    /// `INSOLVENT` below zero, `OJK_BREACH` below `floor_idr`, else `SOLVENT`.
    pub fn of(equity_after_idr: f64, floor_idr: f64) -> Self {
        if equity_after_idr < 0.0 {
            Self::Insolvent
        } else if equity_after_idr < floor_idr {
            Self::OjkBreach
        } else {
            Self::Solvent
        }
    }
}

/// The firm's assets before the stress, at mark, IDR.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct AssetsBefore {
    /// Fiat reserve, IDR.
    pub fiat_reserve_idr: f64,
    /// Insurance fund when it is firm equity, else 0, IDR.
    pub insurance_fund_idr: f64,
    /// Proprietary capital, IDR.
    pub proprietary_capital_idr: f64,
    /// The firm's own crypto book at its full mark, IDR.
    pub crypto_book_idr: f64,
    /// Sum = equity before the stress, IDR.
    pub total_idr: f64,
}

/// How the weekend's withdrawals are paid, IDR. None of it moves equity by itself.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct WeekendFunding {
    /// Withdrawals fronted from firm cash at p99, IDR.
    pub withdrawals_fronted_idr: f64,
    /// The firm's claim on the segregated customer account they create (equal), IDR.
    pub claim_on_segregated_account_idr: f64,
    /// What the reserve cannot cover, IDR.
    pub liquidity_gap_idr: f64,
    /// Firm hot-wallet crypto sold, at the stressed mark, IDR.
    pub crypto_sold_idr: f64,
    /// Rupiah the sale raises, `sold × (1 − haircut − impact)`, IDR.
    pub sale_proceeds_idr: f64,
    /// Gap bridged with emergency funding, `gap − proceeds`, IDR.
    pub bridged_idr: f64,
    /// Hours the bridge runs.
    pub bridge_hours: f64,
}

/// The insurance fund against the derivatives deficit, IDR.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FundOutcome {
    /// Liquidated positions' deficits before the fund at p99, `D`, IDR.
    pub deficit_p99_idr: f64,
    /// Drawn from the fund, `min(D, F)`, IDR.
    pub drawn_from_fund_idr: f64,
    /// Beyond the fund, `(D − F)⁺`, IDR.
    pub beyond_fund_idr: f64,
    /// Who bears what is beyond the fund.
    pub beyond_fund_borne_by: FundDeficit,
}

/// What the stress charges against equity, IDR (each ≥ 0).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct EquityCharges {
    /// Market loss on the firm's own book, at most the book, IDR.
    pub market_loss_idr: f64,
    /// Fund drawdown when the fund is firm equity, IDR.
    pub insurance_fund_loss_idr: f64,
    /// Deficit beyond the fund when absorbed, IDR.
    pub fund_deficit_absorbed_idr: f64,
    /// `sold × (haircut + impact)`, IDR.
    pub crypto_sale_loss_idr: f64,
    /// `bridged × rate × bridge_hours / 8760`, IDR.
    pub bridging_cost_idr: f64,
    /// Sum, IDR.
    pub total_idr: f64,
}

/// One step of the waterfall from equity before to equity after the stress.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WaterfallStep {
    /// What the step is.
    pub label: &'static str,
    /// Signed amount, IDR (+ asset, − charge, 0 for a swap).
    pub amount_idr: f64,
    /// Running total after the step, IDR.
    pub running_idr: f64,
}

/// One scenario's solvency view.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SolvencyReport {
    /// `SOLVENT`, `OJK_BREACH` or `INSOLVENT`, from equity after against the floor and zero.
    pub solvency_verdict: Verdict,
    /// `LIQUIDITY_OK` or `LIQUIDITY_SHORTFALL`, from the liquidity gap.
    pub liquidity_verdict: LiquidityVerdict,
    /// The firm's assets before the stress.
    pub assets_before: AssetsBefore,
    /// Equity before the stress = total assets before, IDR.
    pub equity_before_idr: f64,
    /// How the withdrawals are paid.
    pub funding: WeekendFunding,
    /// The insurance fund against the derivatives deficit.
    pub insurance_fund: FundOutcome,
    /// The charges against equity.
    pub charges: EquityCharges,
    /// `equity_before − charges`, IDR.
    pub equity_after_idr: f64,
    /// `equity_after / OJK floor` (≥ 1 is at or above the floor; `None` when the floor is 0).
    pub equity_after_to_ojk_floor_ratio: Option<f64>,
    /// `equity_after / equity_before` (`None` when equity before is not positive).
    pub equity_after_to_equity_before_ratio: Option<f64>,
    /// Capital to add to end at the OJK floor, `(floor − equity_after)⁺`, IDR.
    pub capital_needed_idr: f64,
    /// The waterfall from equity before to equity after.
    pub waterfall: Vec<WaterfallStep>,
}

/// The firm's assets before the stress: reserve, fund (if firm equity), capital, book.
pub fn assets_before(firm: &FirmResources) -> AssetsBefore {
    let fiat_reserve_idr = firm.fiat_reserve_idr.max(0.0);
    let insurance_fund_idr = if firm.insurance_fund_is_firm_equity {
        firm.insurance_fund_idr.max(0.0)
    } else {
        0.0
    };
    let proprietary_capital_idr = firm.proprietary_capital_idr.max(0.0);
    let crypto_book_idr = firm.crypto_book_idr.max(0.0);
    AssetsBefore {
        fiat_reserve_idr,
        insurance_fund_idr,
        proprietary_capital_idr,
        crypto_book_idr,
        total_idr: fiat_reserve_idr
            + insurance_fund_idr
            + proprietary_capital_idr
            + crypto_book_idr,
    }
}

/// How the gap is funded after a market loss `market_loss_idr`: under `sell_crypto_first`
/// `sold = min(hot_share × (book − L), g / (1 − s))` with `s` the sale-loss share,
/// proceeds `sold × (1 − s)`; the rest of the gap is bridged.
pub fn weekend_funding(
    firm: &FirmResources,
    demand: &ScenarioDemand,
    market_loss_idr: f64,
) -> WeekendFunding {
    let gap = demand.liquidity_gap_idr.max(0.0);
    let keep = 1.0 - firm.sale_loss_share();
    let crypto_sold_idr = match firm.gap_funding {
        GapFunding::SellCryptoFirst if keep > 0.0 => firm
            .hot_wallet_crypto_after_idr(market_loss_idr)
            .min(gap / keep),
        _ => 0.0,
    };
    let sale_proceeds_idr = crypto_sold_idr * keep;
    let withdrawals = demand.withdrawals_p99_idr.max(0.0);
    WeekendFunding {
        withdrawals_fronted_idr: withdrawals,
        claim_on_segregated_account_idr: withdrawals,
        liquidity_gap_idr: gap,
        crypto_sold_idr,
        sale_proceeds_idr,
        bridged_idr: (gap - sale_proceeds_idr).max(0.0),
        bridge_hours: demand.bridge_hours.max(0.0),
    }
}

/// The fund against the deficit `D`: `min(D, F)` drawn, `(D − F)⁺` beyond.
pub fn fund_outcome(firm: &FirmResources, deficit_p99_idr: f64) -> FundOutcome {
    let deficit = deficit_p99_idr.max(0.0);
    let fund = firm.insurance_fund_idr.max(0.0);
    FundOutcome {
        deficit_p99_idr: deficit,
        drawn_from_fund_idr: deficit.min(fund),
        beyond_fund_idr: (deficit - fund).max(0.0),
        beyond_fund_borne_by: firm.fund_deficit,
    }
}

/// The charges against equity of a scenario (see the module documentation).
pub fn equity_charges(
    firm: &FirmResources,
    market_loss_idr: f64,
    funding: &WeekendFunding,
    fund: &FundOutcome,
) -> EquityCharges {
    let insurance_fund_loss_idr = if firm.insurance_fund_is_firm_equity {
        fund.drawn_from_fund_idr
    } else {
        0.0
    };
    let fund_deficit_absorbed_idr = match firm.fund_deficit {
        FundDeficit::Absorbed => fund.beyond_fund_idr,
        FundDeficit::Socialised => 0.0,
    };
    let crypto_sale_loss_idr = funding.crypto_sold_idr * firm.sale_loss_share();
    let bridging_cost_idr =
        funding.bridged_idr * firm.bridge_rate_per_year.max(0.0) * funding.bridge_hours
            / HOURS_PER_YEAR;
    EquityCharges {
        market_loss_idr,
        insurance_fund_loss_idr,
        fund_deficit_absorbed_idr,
        crypto_sale_loss_idr,
        bridging_cost_idr,
        total_idr: market_loss_idr
            + insurance_fund_loss_idr
            + fund_deficit_absorbed_idr
            + crypto_sale_loss_idr
            + bridging_cost_idr,
    }
}

/// The solvency view of one scenario.
pub fn stressed_balance_sheet(firm: &FirmResources, demand: &ScenarioDemand) -> SolvencyReport {
    let assets_before = assets_before(firm);
    let market_loss_idr = demand
        .market_loss_idr
        .clamp(0.0, assets_before.crypto_book_idr);
    let funding = weekend_funding(firm, demand, market_loss_idr);
    let insurance_fund = fund_outcome(firm, demand.fund_deficit_p99_idr);
    let charges = equity_charges(firm, market_loss_idr, &funding, &insurance_fund);
    let equity_before_idr = assets_before.total_idr;
    let equity_after_idr = equity_before_idr - charges.total_idr;
    let floor = firm.ojk_floor_idr;
    SolvencyReport {
        solvency_verdict: Verdict::of(equity_after_idr, floor),
        liquidity_verdict: LiquidityVerdict::of_gap(funding.liquidity_gap_idr),
        waterfall: waterfall(&assets_before, &charges),
        assets_before,
        equity_before_idr,
        funding,
        insurance_fund,
        charges,
        equity_after_idr,
        equity_after_to_ojk_floor_ratio: (floor > 0.0).then(|| equity_after_idr / floor),
        equity_after_to_equity_before_ratio: (equity_before_idr > 0.0)
            .then(|| equity_after_idr / equity_before_idr),
        capital_needed_idr: (floor - equity_after_idr).max(0.0),
    }
}

/// A charge as a waterfall amount: `−x`, and `0` (not `−0`) when nothing is charged.
fn charge(x: f64) -> f64 {
    if x > 0.0 { -x } else { 0.0 }
}

/// The first steps of the waterfall are the assets before the stress; their running total is
/// equity before.
pub const WATERFALL_ASSET_STEPS: usize = 4;

/// Labelled steps from zero through equity before (after [`WATERFALL_ASSET_STEPS`] steps) to
/// equity after; the withdrawals appear as a zero step (a swap of cash for a claim on the
/// segregated account).
fn waterfall(assets: &AssetsBefore, charges: &EquityCharges) -> Vec<WaterfallStep> {
    let asset_steps: [(&'static str, f64); WATERFALL_ASSET_STEPS] = [
        ("fiat reserve", assets.fiat_reserve_idr),
        ("insurance fund (firm equity)", assets.insurance_fund_idr),
        ("proprietary capital", assets.proprietary_capital_idr),
        ("own crypto book at mark", assets.crypto_book_idr),
    ];
    let charge_steps = [
        ("withdrawals fronted (cash -> segregated claim)", 0.0),
        ("market loss on own crypto", charge(charges.market_loss_idr)),
        (
            "insurance fund drawdown",
            charge(charges.insurance_fund_loss_idr),
        ),
        (
            "fund deficit absorbed",
            charge(charges.fund_deficit_absorbed_idr),
        ),
        (
            "crypto sale loss (haircut + impact)",
            charge(charges.crypto_sale_loss_idr),
        ),
        (
            "bridging cost until the rails reopen",
            charge(charges.bridging_cost_idr),
        ),
    ];
    let mut running = 0.0;
    asset_steps
        .into_iter()
        .chain(charge_steps)
        .map(|(label, amount_idr)| {
            running += amount_idr;
            WaterfallStep {
                label,
                amount_idr,
                running_idr: running,
            }
        })
        .collect()
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
