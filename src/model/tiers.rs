//! Reserve composition: three layers by liquidity.
//!
//! The layers are cumulative targets, each topping up the one before:
//! 1. **instant** — IDR in the payment gateway and virtual accounts, zero delay, sized for an
//!    ordinary weekend: normal-weekend withdrawals at p99 plus Tier 1 market-risk capital at the
//!    weekend horizon (`T1 · √(h/24)`);
//! 2. **fast** — money-market funds and overnight repo with stablecoins as a minority (they
//!    de-peg in the crises this layer exists for), a few hours' delay, topping up to the planning
//!    scenario's p95 weekend;
//! 3. **liquid** — SBN and T-bills, available only when the rails reopen, topping up to the
//!    recommended reserve (the planning scenario's CVaR99 by default, OJK floor applied).
//!
//! A layer's annual cost is its size times the yield it gives up against the opportunity
//! yield, `size · (y_opp − y_layer)`; negative when the layer out-earns the benchmark.

use serde::{Deserialize, Serialize};

use crate::model::params::{Allowed, Bound, bound};

impl TiersConfig {
    /// The allowed range of every field; stablecoins stay a minority of the fast layer.
    pub fn bounds(&self) -> Vec<Bound> {
        let yield_range = Allowed::Closed(0.0, 1.0);
        vec![
            bound("instant_yield", self.instant_yield, yield_range),
            bound("money_market_yield", self.money_market_yield, yield_range),
            bound("stablecoin_yield", self.stablecoin_yield, yield_range),
            bound(
                "fast_stablecoin_share",
                self.fast_stablecoin_share,
                Allowed::HalfOpen(0.5),
            ),
            bound(
                "fast_delay_hours",
                self.fast_delay_hours,
                Allowed::Closed(0.0, 72.0),
            ),
            bound("liquid_yield", self.liquid_yield, yield_range),
        ]
    }
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

/// What sizes the layers, IDR.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LayerTargets {
    /// Normal-weekend withdrawals p99, IDR.
    pub normal_withdrawals_p99_idr: f64,
    /// Tier 1 market-risk capital scaled to the weekend window, IDR.
    pub tier1_weekend_idr: f64,
    /// Planning-scenario weekend withdrawals p95, IDR.
    pub planning_p95_idr: f64,
    /// The recommended reserve, IDR.
    pub recommended_reserve_idr: f64,
    /// Hours until the rails reopen.
    pub window_hours: u32,
    /// Opportunity yield, fraction per year.
    pub opportunity_yield: f64,
}

/// One recommended layer of the reserve: its size, instrument, delay and cost.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LayerPlan {
    /// `instant`, `fast` or `liquid`.
    pub layer: &'static str,
    /// What it is held in.
    pub instrument: String,
    /// What sizes it.
    pub sized_by: &'static str,
    /// Size, IDR.
    pub size_idr: f64,
    /// This layer and those before it, IDR.
    pub cumulative_idr: f64,
    /// Yield, fraction per year.
    pub yield_per_year: f64,
    /// Hours to turn it into IDR in the payment gateway.
    pub delay_hours: f64,
    /// `size · (opportunity yield − layer yield)`, IDR per year.
    pub annual_cost_idr: f64,
}

/// The three layers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReserveTiers {
    /// Instant, fast, liquid.
    pub layers: Vec<LayerPlan>,
    /// Sum of the layers, IDR.
    pub total_idr: f64,
    /// Sum of the annual costs, IDR per year.
    pub total_annual_cost_idr: f64,
}

/// Sizes the three layers.
pub fn reserve_layers(config: &TiersConfig, targets: &LayerTargets) -> ReserveTiers {
    let instant = (targets.normal_withdrawals_p99_idr + targets.tier1_weekend_idr).max(0.0);
    let fast_top = instant.max(targets.planning_p95_idr);
    let liquid_top = fast_top.max(targets.recommended_reserve_idr);
    let stablecoin = config.fast_stablecoin_share;
    let fast_yield =
        (1.0 - stablecoin) * config.money_market_yield + stablecoin * config.stablecoin_yield;
    let layer =
        |layer, instrument: String, sized_by, size_idr: f64, cumulative_idr, y, delay| LayerPlan {
            layer,
            instrument,
            sized_by,
            size_idr,
            cumulative_idr,
            yield_per_year: y,
            delay_hours: delay,
            annual_cost_idr: size_idr * (targets.opportunity_yield - y),
        };
    let layers = vec![
        layer(
            "instant",
            "IDR in the payment gateway / virtual accounts".to_owned(),
            "normal weekend p99 + Tier 1 (weekend horizon)",
            instant,
            instant,
            config.instant_yield,
            0.0,
        ),
        layer(
            "fast",
            format!(
                "money market and overnight repo {:.0}%, stablecoins {:.0}%",
                (1.0 - stablecoin) * 100.0,
                stablecoin * 100.0
            ),
            "planning scenario p95",
            fast_top - instant,
            fast_top,
            fast_yield,
            config.fast_delay_hours,
        ),
        layer(
            "liquid",
            "SBN / T-bills".to_owned(),
            "recommended reserve (p99 / CVaR99)",
            liquid_top - fast_top,
            liquid_top,
            config.liquid_yield,
            f64::from(targets.window_hours),
        ),
    ];
    ReserveTiers {
        total_idr: liquid_top,
        total_annual_cost_idr: layers.iter().map(|l| l.annual_cost_idr).sum(),
        layers,
    }
}
