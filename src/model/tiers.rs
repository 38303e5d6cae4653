//! Reserve composition: three layers by when they can pay a weekend withdrawal.
//!
//! 1. **instant** — IDR in the payment gateway and virtual accounts: usable from the close.
//! 2. **fast** — stablecoins sold OTC for IDR settled over BI-FAST (which runs 24/7): usable
//!    `fast_delay_hours` after the close, worth `(1 − fast_haircut)` of its nominal value in a
//!    stressed weekend (de-peg and spread).
//! 3. **monday** — money-market funds, overnight repo, SBN and T-bills: they settle only on
//!    business days (fund redemptions T+1 or later, repo and SBN through BI's business-day
//!    systems), so over a weekend they are *Monday money* and pay nothing before the rails
//!    reopen. The design never puts reserve here; the row shows why.
//!
//! The instant and fast sizes come from [`crate::model::liquidity::design_layers`] (least
//! carry subject to the target P(shortfall), tested hour by hour). A layer's annual cost is
//! its size times the yield it gives up against the opportunity yield, `size · (y_opp − y)`.

use serde::{Deserialize, Serialize};

use crate::model::liquidity::{FastLayerTerms, LayerDesign, ReserveLayer, ReservePosition};
use crate::model::params::{Allowed, Bound, bound};

/// The three reserve layers, as configured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TiersConfig {
    /// Yield of IDR in the payment gateway and virtual accounts, fraction per year.
    pub instant_yield: f64,
    /// Yield of the stablecoins of the fast layer, fraction per year.
    pub stablecoin_yield: f64,
    /// Hours after the close before the fast layer can pay (OTC sale + BI-FAST settlement).
    pub fast_delay_hours: f64,
    /// Share of the fast layer's nominal value lost converting it in a stressed weekend.
    pub fast_haircut: f64,
    /// Yield of Monday money (money-market funds, repo, SBN), fraction per year.
    pub monday_yield: f64,
}

impl TiersConfig {
    /// The allowed range of every field.
    pub fn bounds(&self) -> Vec<Bound> {
        let yield_range = Allowed::Closed(0.0, 1.0);
        vec![
            bound("instant_yield", self.instant_yield, yield_range),
            bound("stablecoin_yield", self.stablecoin_yield, yield_range),
            bound(
                "fast_delay_hours",
                self.fast_delay_hours,
                Allowed::Closed(0.0, 24.0 * 14.0),
            ),
            bound("fast_haircut", self.fast_haircut, Allowed::HalfOpen(1.0)),
            bound("monday_yield", self.monday_yield, yield_range),
        ]
    }

    /// The fast layer's terms at opportunity yield `opportunity_yield`: usable from hour
    /// `⌈fast_delay_hours⌉`, carry `y_opp − stablecoin_yield` per year.
    pub fn fast_terms(&self, opportunity_yield: f64) -> FastLayerTerms {
        FastLayerTerms {
            available_after_hours: self.fast_delay_hours.ceil() as u32,
            haircut: self.fast_haircut,
            carry_per_year: opportunity_yield - self.stablecoin_yield,
        }
    }
}

/// One layer of the recommended reserve.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LayerPlan {
    /// `instant`, `fast` or `monday`.
    pub layer: &'static str,
    /// What it is held in.
    pub instrument: &'static str,
    /// Nominal size, IDR.
    pub size_idr: f64,
    /// What it can pay before the rails reopen, IDR (after the haircut; 0 for Monday money).
    pub usable_weekend_idr: f64,
    /// First hour after the close in which it can pay; the window's length for Monday money.
    pub available_after_hours: u32,
    /// Yield, fraction per year.
    pub yield_per_year: f64,
    /// `size · (opportunity yield − layer yield)`, IDR per year.
    pub annual_cost_idr: f64,
}

/// The three layers of `design` for a window of `window_hours`.
pub fn layer_plans(
    config: &TiersConfig,
    design: &LayerDesign,
    window_hours: u32,
    opportunity_yield: f64,
) -> Vec<LayerPlan> {
    let plan = |layer, instrument, size_idr: f64, usable, hours, y: f64| LayerPlan {
        layer,
        instrument,
        size_idr,
        usable_weekend_idr: usable,
        available_after_hours: hours,
        yield_per_year: y,
        annual_cost_idr: size_idr * (opportunity_yield - y),
    };
    vec![
        plan(
            "instant",
            "IDR in the payment gateway / virtual accounts",
            design.instant_idr,
            design.instant_idr,
            0,
            config.instant_yield,
        ),
        plan(
            "fast",
            "stablecoins sold OTC, IDR over BI-FAST",
            design.fast_idr,
            design.fast_usable_idr,
            design.fast_available_after_hours,
            config.stablecoin_yield,
        ),
        plan(
            "monday",
            "money-market funds, repo, SBN (settle on business days only)",
            0.0,
            0.0,
            window_hours,
            config.monday_yield,
        ),
    ]
}

/// The reserve position of `plans` as the live monitor holds it: each layer's weekend-usable
/// amount (whole rupiah, rounded up) from its hour.
pub fn position_of(plans: &[LayerPlan]) -> ReservePosition {
    ReservePosition {
        layers: plans
            .iter()
            .filter(|p| p.usable_weekend_idr > 0.0)
            .map(|p| ReserveLayer {
                name: p.layer.to_owned(),
                amount_idr: p.usable_weekend_idr.ceil() as u64,
                available_after_hours: p.available_after_hours,
            })
            .collect(),
        proprietary_capital_idr: 0,
    }
}
