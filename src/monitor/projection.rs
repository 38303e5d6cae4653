//! The projection: estimates plus a conditional Monte Carlo of the rest of the window.
//!
//! Each path draws its scenario, institutional rate and retail multiplier from the
//! [`Posterior`](crate::monitor::estimate::Posterior) (parameter uncertainty included),
//! then simulates the remaining hours from the current cumulative withdrawals against the
//! reserve usable hour by hour (layers as they become available, plus deposits so far).
//! Path `i` of the projection of state version `v` uses stream `(seed, v, i)`, so a
//! projection is a pure function of its inputs.
//!
//! Outputs: `P(breach) = #{paths short at some hour} / N`; the time to insolvency is the
//! first hour short (paths never short count as +∞ in its quantiles); the expected
//! shortfall is the mean over paths of the peak shortfall; the extra reserve is the
//! `1 − target` quantile of the peak shortfall (adding it from the close leaves at most a
//! `target` share of paths short).

use rayon::prelude::*;
use serde::Serialize;

use crate::config::Config;
use crate::model::conditional::{ConditionalModel, ConditionalStart};
use crate::model::liquidity::{ReserveSchedule, ShortfallOutcome};
use crate::model::params::ParamError;
use crate::model::process::ScenarioName;
use crate::model::rng::path_rng;
use crate::model::user_base::UserBase;
use crate::monitor::estimate::{
    Estimator, Posterior, RateSummary, RetailFlowSummary, retail_flow_summary,
};
use crate::monitor::state::ProjectionInputs;

/// Paths per unit of parallel work (fixed, so results do not depend on the thread count).
const PATHS_PER_CHUNK: usize = 512;

/// The Monte Carlo part of a projection.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SimulationSummary {
    /// Paths simulated.
    pub paths: u32,
    /// P(withdrawals exceed the usable reserve before the rails reopen).
    pub breach_probability: f64,
    /// 10th percentile of the breach hour (1-based, after the close); `None` if < 10% breach.
    pub tti_p10_hours: Option<f64>,
    /// Median breach hour; `None` if fewer than half breach.
    pub tti_p50_hours: Option<f64>,
    /// `tti_p10_hours` minus the hours elapsed, ≥ 0.
    pub tti_p10_from_now_hours: Option<f64>,
    /// Mean peak shortfall, IDR.
    pub expected_shortfall_idr: f64,
    /// Reserve to add from the close to bring P(breach) to the target, IDR.
    pub extra_reserve_idr: f64,
    /// The target P(breach).
    pub target_breach_probability: f64,
}

/// A whole projection.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Projection {
    /// What it was computed from.
    pub inputs: ProjectionInputs,
    /// Hours since the close at the latest event.
    pub elapsed_hours: f64,
    /// Reserve left now, IDR (negative = breached).
    pub headroom_idr: f64,
    /// Institutional rate posterior.
    pub institutional_rate: RateSummary,
    /// P(normal), P(mild), P(severe).
    pub scenario_probabilities: [f64; 3],
    /// Retail flow.
    pub retail: RetailFlowSummary,
    /// The Monte Carlo.
    pub simulation: SimulationSummary,
}

/// Computes projections for one configuration and user base.
#[derive(Debug, Clone)]
pub struct Projector {
    estimator: Estimator,
    models: Vec<ConditionalModel>,
    paths: usize,
    seed: u64,
    target_breach_probability: f64,
}

impl Projector {
    /// Prepares the scenarios of `config` over `users` for the weekly window.
    pub fn new(config: &Config, users: &UserBase) -> Result<Self, ParamError> {
        Self::with_horizon(config, users, config.window.hours)
    }

    /// Prepares the scenarios for closures of up to `max_hours` (each projection runs to its
    /// own closure's end).
    pub fn with_horizon(
        config: &Config,
        users: &UserBase,
        max_hours: u32,
    ) -> Result<Self, ParamError> {
        let hours = max_hours.max(config.window.hours);
        let models = ScenarioName::ALL
            .iter()
            .map(|&n| {
                ConditionalModel::new(config.scenarios.get(n), users, hours)
                    .map_err(|e| e.within_section(&format!("scenarios.{n}")))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            estimator: Estimator::new(config, users)?,
            models,
            paths: config.monitor.paths as usize,
            seed: config.monitor.seed,
            target_breach_probability: config.monitor.target_breach_probability,
        })
    }

    /// The estimator.
    pub fn estimator(&self) -> &Estimator {
        &self.estimator
    }

    /// The projection of `inputs` (parallel on the current rayon pool).
    pub fn project(&self, inputs: &ProjectionInputs) -> Projection {
        let posterior = self.estimator.posterior(inputs);
        let outcomes = self.simulate(inputs, &posterior);
        let elapsed_hours = inputs.elapsed_hours();
        Projection {
            inputs: inputs.clone(),
            elapsed_hours,
            headroom_idr: inputs.headroom_idr() as f64,
            institutional_rate: posterior.rate_summary(),
            scenario_probabilities: posterior.scenario_probabilities,
            retail: retail_flow_summary(inputs),
            simulation: summarise(&outcomes, elapsed_hours, self.target_breach_probability),
        }
    }

    /// Every path's outcome, in path order.
    pub fn simulate(
        &self,
        inputs: &ProjectionInputs,
        posterior: &Posterior,
    ) -> Vec<ShortfallOutcome> {
        let (start, schedule) = start_and_schedule(inputs);
        let chunks = self.paths.div_ceil(PATHS_PER_CHUNK);
        let parts: Vec<Vec<ShortfallOutcome>> = (0..chunks)
            .into_par_iter()
            .map(|c| {
                let range = c * PATHS_PER_CHUNK..((c + 1) * PATHS_PER_CHUNK).min(self.paths);
                let mut ledger = self.models[0].process().new_ledger();
                range
                    .map(|path| {
                        let mut rng = path_rng(self.seed, inputs.version, path as u64);
                        let draw = posterior.draw(&mut rng);
                        self.models[draw.scenario].simulate_from(
                            &mut rng,
                            &start,
                            draw.intensity,
                            &schedule,
                            &mut ledger,
                        )
                    })
                    .collect()
            })
            .collect();
        parts.into_iter().flatten().collect()
    }
}

/// The start of the paths and the usable reserve per hour (layers + deposits), from `inputs`.
pub fn start_and_schedule(inputs: &ProjectionInputs) -> (ConditionalStart, ReserveSchedule) {
    let (retail, institutional, deposits) = inputs.window.as_ref().map_or((0, 0, 0), |w| {
        (w.retail_idr(), w.institutional_idr(), w.deposits_idr())
    });
    let start = ConditionalStart {
        elapsed_hours: inputs.elapsed_hours(),
        retail_withdrawn_idr: retail,
        institutional_withdrawn_idr: institutional,
    };
    let schedule = ReserveSchedule {
        usable_idr_by_hour: (0..inputs.window_hours)
            .map(|h| inputs.reserve.usable_at_hour_idr(h) as f64 + deposits as f64)
            .collect(),
    };
    (start, schedule)
}

/// P(breach), time-to-insolvency quantiles, expected shortfall and extra reserve.
pub fn summarise(
    outcomes: &[ShortfallOutcome],
    elapsed_hours: f64,
    target: f64,
) -> SimulationSummary {
    let n = outcomes.len();
    let mut hours: Vec<u16> = outcomes
        .iter()
        .map(|o| {
            if o.breach_hour == 0 {
                u16::MAX
            } else {
                o.breach_hour
            }
        })
        .collect();
    hours.sort_unstable();
    let quantile_hour = |p: f64| -> Option<f64> {
        let index = ((p * n as f64).ceil() as usize).clamp(1, n.max(1)) - 1;
        hours
            .get(index)
            .filter(|&&h| h != u16::MAX)
            .map(|&h| f64::from(h))
    };
    let mut shortfalls: Vec<f64> = outcomes.iter().map(|o| o.peak_shortfall_idr).collect();
    shortfalls.sort_unstable_by(f64::total_cmp);
    let allowed_short = (target * n as f64).floor() as usize;
    let extra_reserve_idr = n
        .checked_sub(allowed_short + 1)
        .and_then(|k| shortfalls.get(k).copied())
        .unwrap_or(0.0);
    let breaches = outcomes.iter().filter(|o| o.breach_hour > 0).count();
    let tti_p10_hours = quantile_hour(0.10);
    SimulationSummary {
        paths: n as u32,
        breach_probability: if n == 0 {
            0.0
        } else {
            breaches as f64 / n as f64
        },
        tti_p10_hours,
        tti_p50_hours: quantile_hour(0.50),
        tti_p10_from_now_hours: tti_p10_hours.map(|h| (h - elapsed_hours).max(0.0)),
        expected_shortfall_idr: if n == 0 {
            0.0
        } else {
            shortfalls.iter().sum::<f64>() / n as f64
        },
        extra_reserve_idr,
        target_breach_probability: target,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(breach_hour: u16, peak_shortfall_idr: f64) -> ShortfallOutcome {
        ShortfallOutcome {
            breach_hour,
            peak_shortfall_idr,
            total_withdrawn_idr: 0,
        }
    }

    #[test]
    fn extra_reserve_brings_breach_share_to_target() {
        let outcomes: Vec<_> = (0..100)
            .map(|i| {
                if i < 20 {
                    outcome(10 + i as u16, (i + 1) as f64)
                } else {
                    outcome(0, 0.0)
                }
            })
            .collect();
        let s = summarise(&outcomes, 4.0, 0.05);
        assert_eq!(s.breach_probability, 0.2);
        assert_eq!(s.tti_p10_hours, Some(19.0));
        assert_eq!(s.tti_p10_from_now_hours, Some(15.0));
        assert_eq!(s.tti_p50_hours, None);
        let still_short = outcomes
            .iter()
            .filter(|o| o.peak_shortfall_idr > s.extra_reserve_idr)
            .count();
        assert!(still_short <= 5, "{still_short}");
        assert_eq!(s.extra_reserve_idr, 15.0);
    }
}
