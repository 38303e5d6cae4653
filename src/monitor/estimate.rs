//! Running estimates: the institutional arrival rate, the scenario posterior and the retail
//! flow, from the current window's tallies.
//!
//! **Institutional rate.** Under scenario `s` the per-path rate is `λ = λ_s · m` with
//! `m ~ Gamma(1/c_s², c_s²)`, i.e. `λ ~ Gamma(a_s, b_s)` with shape `a_s = 1/c_s²` and rate
//! `b_s = a_s / λ_s` (days). After `n` arrivals in `t` days the conjugate posterior is
//! `Gamma(a_s + n, b_s + t)`, and the marginal likelihood of `n` is negative binomial:
//! `p(n) = Γ(a+n) / (Γ(a) n!) · (b/(b+t))^a · (t/(b+t))^n`. The reported posterior is the
//! mixture of the three conjugate posteriors weighted by the scenario probabilities.
//!
//! **Jump sizes.** A jump is `f · b_I` with `I` picked proportionally to balance and
//! `f ~ Beta(α_s, β_s)`; its log is treated as normal with mean
//! `E_sb[ln b] + ψ(α) − ψ(α+β)` and variance `Var_sb[ln b] + ψ₁(α) − ψ₁(α+β)` (size-biased
//! moments of the actual balances; depletion of balances is ignored).
//!
//! **Retail flow.** Closed hour `h` has flow `X_h ~ Gamma(k_s, μ_{s,h}(m)/k_s)`, with the batch
//! model's schedule `μ_{s,h}(m) · r`; the panic multiplier `m` gets a 32-point and the
//! weekend's retail mood `r` an 8-point equal-probability grid of its Gamma prior (one point,
//! `r = 1`, when the scenario has no mood), and their product grid gives a grid posterior
//! per scenario and the scenario's marginal likelihood (the grid mean). The monitor learns the retail multiplier separately from the
//! institutional rate (the batch model ties them): a slightly wider, conservative posterior.
//!
//! **Regimes.** `P(s | data) ∝ π_s · p(n | s) · Π p(jump | s) · p(retail | s)`.

use rand::RngExt;
use rand_distr::Distribution;
use statrs::distribution::{ContinuousCDF, Gamma as GammaLaw};
use statrs::function::gamma::ln_gamma;

use crate::config::Config;
use crate::model::params::ParamError;
use crate::model::process::{
    HOURS_PER_DAY, PathIntensity, ScenarioName, WeekendProcess, draw_book_index,
};
use crate::model::rng::PathRng;
use crate::model::user_base::UserBase;
use crate::monitor::state::{ProjectionInputs, minor_total_to_idr_f64};

/// `(m, r)` points: panic multiplier and weekend mood.
type RetailGrid = Vec<(f64, f64)>;

/// Points of the retail panic-multiplier grid.
const RETAIL_GRID_POINTS: usize = 32;
/// Points of the retail mood grid (when the scenario has a mood).
const MOOD_GRID_POINTS: usize = 8;
/// Gamma shape standing in for a point mass when a scenario's intensity CV is 0.
const POINT_MASS_SHAPE: f64 = 1e6;
/// Floor of amounts inside logarithms, IDR.
const LOG_FLOOR_IDR: f64 = 1.0;

/// A Gamma law of an arrival rate, per day: shape `a`, rate `b` (days).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GammaPosterior {
    /// Shape `a`.
    pub shape: f64,
    /// Rate `b`, days.
    pub rate_days: f64,
}

impl GammaPosterior {
    /// The prior of a scenario: `Gamma(1/c², (1/c²)/λ)` with mean `λ` per day and CV `c`.
    pub fn from_scenario(rate_per_day: f64, intensity_cv: f64) -> Self {
        let shape = if intensity_cv > 0.0 {
            crate::model::params::gamma_shape_of_cv(intensity_cv)
        } else {
            POINT_MASS_SHAPE
        };
        Self::with_shape(rate_per_day, shape)
    }

    /// The prior of `process`: its arrival rate times its panic multiplier's law.
    pub fn of_process(process: &WeekendProcess) -> Self {
        let laws = process.laws();
        let shape = laws.intensity.shape().unwrap_or(POINT_MASS_SHAPE);
        Self::with_shape(laws.arrivals.mean_rate_per_day(), shape)
    }

    /// `Gamma(a, a/λ)`: shape `a`, mean `λ` per day.
    fn with_shape(rate_per_day: f64, shape: f64) -> Self {
        Self {
            shape,
            rate_days: shape / rate_per_day.max(f64::MIN_POSITIVE),
        }
    }

    /// The conjugate update after `arrivals` in `exposure_days`: `Gamma(a + n, b + t)`.
    pub fn updated(self, arrivals: u64, exposure_days: f64) -> Self {
        Self {
            shape: self.shape + arrivals as f64,
            rate_days: self.rate_days + exposure_days.max(0.0),
        }
    }

    /// Mean `a / b`, arrivals per day.
    pub fn mean_per_day(&self) -> f64 {
        self.shape / self.rate_days
    }

    /// CDF at `rate_per_day`.
    pub fn cdf(&self, rate_per_day: f64) -> f64 {
        GammaLaw::new(self.shape, self.rate_days).map_or(0.0, |g| g.cdf(rate_per_day))
    }

    /// Quantile `p`, arrivals per day.
    pub fn quantile_per_day(&self, p: f64) -> f64 {
        GammaLaw::new(self.shape, self.rate_days).map_or(0.0, |g| g.inverse_cdf(p))
    }

    /// Log marginal likelihood of `arrivals` in `exposure_days` (negative binomial).
    pub fn log_marginal(&self, arrivals: u64, exposure_days: f64) -> f64 {
        let (a, b, n, t) = (self.shape, self.rate_days, arrivals as f64, exposure_days);
        let mut log_p = ln_gamma(a + n) - ln_gamma(a) - ln_gamma(n + 1.0) + a * (b / (b + t)).ln();
        if n > 0.0 {
            log_p += n * (t / (b + t)).ln();
        }
        log_p
    }
}

/// Summary of the institutional rate posterior, arrivals per day.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct RateSummary {
    /// Posterior mean.
    pub mean_per_day: f64,
    /// 5th percentile.
    pub lower90_per_day: f64,
    /// 95th percentile.
    pub upper90_per_day: f64,
    /// Arrivals counted.
    pub arrivals: u64,
    /// Exposure, days.
    pub exposure_days: f64,
}

/// Observed retail flow over the closed hours.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct RetailFlowSummary {
    /// Mean per closed hour, IDR per hour.
    pub level_idr_per_hour: f64,
    /// Coefficient of variation across closed hours (0 with fewer than 2).
    pub cv: f64,
    /// Closed hours.
    pub closed_hours: u32,
}

/// The retail flow of the closed hours of `inputs`: mean and CV.
pub fn retail_flow_summary(inputs: &ProjectionInputs) -> RetailFlowSummary {
    let closed_hours = inputs.closed_hours();
    let flows: Vec<f64> = inputs.window.as_ref().map_or_else(Vec::new, |w| {
        w.retail_hourly_minor
            .iter()
            .take(closed_hours as usize)
            .map(|&x| minor_total_to_idr_f64(x))
            .collect()
    });
    let (mean, std) = crate::model::stats::mean_and_std(&flows);
    RetailFlowSummary {
        level_idr_per_hour: if flows.is_empty() { 0.0 } else { mean },
        cv: if flows.len() >= 2 && mean > 0.0 {
            std / mean
        } else {
            0.0
        },
        closed_hours: flows.len() as u32,
    }
}

/// What the estimator knows about one scenario before any data.
#[derive(Debug, Clone)]
struct ScenarioPrior {
    log_prior: f64,
    rate: GammaPosterior,
    jump_log_mean: f64,
    jump_log_var: f64,
    /// `(m, r)`: panic multiplier and weekend mood, equally likely a priori.
    retail_grid: RetailGrid,
    process: WeekendProcess,
}

/// Turns the window's tallies into posteriors. Built once per configuration.
#[derive(Debug, Clone)]
pub struct Estimator {
    scenarios: Vec<ScenarioPrior>,
}

/// The posterior after the data of one snapshot.
#[derive(Debug, Clone)]
pub struct Posterior {
    /// P(normal), P(mild), P(severe).
    pub scenario_probabilities: [f64; 3],
    /// Conjugate rate posterior per scenario.
    pub rates: [GammaPosterior; 3],
    /// Retail multiplier grid and its cumulative posterior weights, per scenario.
    retail: Vec<(RetailGrid, Vec<f64>)>,
    rate_draws: Vec<Option<rand_distr::Gamma<f64>>>,
    arrivals: u64,
    /// Exposure of the normal scenario's (homogeneous) arrival clock, days; the stress
    /// scenarios' front-loaded clocks weigh the early hours more.
    exposure_days: f64,
    /// Institutional draws of the user base a path may run on.
    institutional_draws: usize,
}

/// Path parameters drawn from the posterior.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PathDraw {
    /// Index of the scenario (0 normal, 1 mild, 2 severe).
    pub scenario: usize,
    /// The path's intensity.
    pub intensity: PathIntensity,
}

impl Estimator {
    /// Priors from `config` (scenarios, scenario priors) and the user base's balances.
    pub fn new(config: &Config, users: &UserBase) -> Result<Self, ParamError> {
        let m = &config.monitor;
        let priors = [
            m.scenario_prior_normal,
            m.scenario_prior_mild,
            m.scenario_prior_severe,
        ];
        let (sb_mean, sb_var) = size_biased_log_moments(&users.institutional_balances_idr);
        let scenarios = ScenarioName::ALL
            .iter()
            .zip(priors)
            .map(|(&name, prior)| {
                let process =
                    WeekendProcess::new(config.scenarios.get(name), users, config.window.hours)
                        .map_err(|e| e.within_section(&format!("scenarios.{name}")))?;
                let (f_mean, f_var) = process.laws().jump_fraction.log_moments();
                Ok(ScenarioPrior {
                    log_prior: prior.ln(),
                    rate: GammaPosterior::of_process(&process),
                    jump_log_mean: sb_mean + f_mean,
                    jump_log_var: (sb_var + f_var).max(1e-6),
                    retail_grid: retail_grid(&process),
                    process,
                })
            })
            .collect::<Result<_, ParamError>>()?;
        Ok(Self { scenarios })
    }

    /// The posterior given the snapshot `inputs`.
    pub fn posterior(&self, inputs: &ProjectionInputs) -> Posterior {
        let elapsed_hours = inputs.elapsed_hours();
        let exposures: [f64; 3] = std::array::from_fn(|i| {
            let arrivals = &self.scenarios[i].process.laws().arrivals;
            arrivals.exposure_days(0.0, elapsed_hours)
        });
        // The model works in whole rupiah: each jump and each hour's exact sum rounded down.
        let (arrivals, jumps, mut hourly): (u64, Vec<u64>, Vec<u64>) = match &inputs.window {
            Some(w) => (
                w.institutional_jumps_minor.len() as u64,
                w.institutional_jumps_idr(),
                w.retail_hourly_idr(),
            ),
            None => (0, Vec::new(), Vec::new()),
        };
        hourly.truncate(inputs.closed_hours() as usize);
        let (jumps, hourly) = (jumps.as_slice(), hourly.as_slice());
        let mut log_posts = [0.0; 3];
        let mut retail = Vec::with_capacity(3);
        for (i, s) in self.scenarios.iter().enumerate() {
            let (grid_log_lik, retail_log_marginal) = s.retail_log_likelihoods(hourly);
            log_posts[i] = s.log_prior
                + s.rate.log_marginal(arrivals, exposures[i])
                + s.jumps_log_likelihood(jumps)
                + retail_log_marginal;
            retail.push((s.retail_grid.clone(), cumulative_weights(&grid_log_lik)));
        }
        let scenario_probabilities = normalise_log(&log_posts);
        let rates: [GammaPosterior; 3] =
            std::array::from_fn(|i| self.scenarios[i].rate.updated(arrivals, exposures[i]));
        let rate_draws = rates
            .iter()
            .map(|r| rand_distr::Gamma::new(r.shape, 1.0 / r.rate_days).ok())
            .collect();
        Posterior {
            scenario_probabilities,
            rates,
            retail,
            rate_draws,
            arrivals,
            exposure_days: exposures[0],
            institutional_draws: self.scenarios[0].process.institutional_draws(),
        }
    }
}

impl ScenarioPrior {
    /// Σ log N(ln x; mean, var) over the jumps (log-normal density of each size).
    fn jumps_log_likelihood(&self, jumps_idr: &[u64]) -> f64 {
        let var = self.jump_log_var;
        jumps_idr
            .iter()
            .map(|&x| {
                let z = (x as f64).max(LOG_FLOOR_IDR).ln();
                -0.5 * ((z - self.jump_log_mean).powi(2) / var
                    + (2.0 * std::f64::consts::PI * var).ln())
                    - z
            })
            .sum()
    }

    /// Log likelihood of the closed hours' retail flows at each grid multiplier, and the
    /// log marginal (log of the grid mean of the likelihoods).
    fn retail_log_likelihoods(&self, hourly_idr: &[u64]) -> (Vec<f64>, f64) {
        let retail = &self.process.laws().retail;
        let grid_log_lik: Vec<f64> = self
            .retail_grid
            .iter()
            .map(|&(m, r)| {
                hourly_idr
                    .iter()
                    .enumerate()
                    .map(|(h, &x)| {
                        let x = (x as f64).max(LOG_FLOOR_IDR);
                        let mean = (self.process.retail_hourly_mean_idr(h as u32, m) * r)
                            .max(LOG_FLOOR_IDR);
                        retail.log_density(x, mean)
                    })
                    .sum()
            })
            .collect();
        let marginal = log_sum_exp(&grid_log_lik) - (grid_log_lik.len() as f64).ln();
        (grid_log_lik, marginal)
    }
}

impl Posterior {
    /// The mixture `Σ_s P(s) Gamma(a_s + n, b_s + t)`: mean and 90% interval (bisection on
    /// the mixture CDF).
    pub fn rate_summary(&self) -> RateSummary {
        let mean_per_day = self
            .scenario_probabilities
            .iter()
            .zip(&self.rates)
            .map(|(p, r)| p * r.mean_per_day())
            .sum();
        RateSummary {
            mean_per_day,
            lower90_per_day: self.rate_quantile(0.05),
            upper90_per_day: self.rate_quantile(0.95),
            arrivals: self.arrivals,
            exposure_days: self.exposure_days,
        }
    }

    /// Quantile `p` of the mixture rate posterior, per day.
    pub fn rate_quantile(&self, p: f64) -> f64 {
        let cdf = |x: f64| -> f64 {
            self.scenario_probabilities
                .iter()
                .zip(&self.rates)
                .map(|(w, r)| w * r.cdf(x))
                .sum()
        };
        let mut high = self
            .rates
            .iter()
            .map(|r| r.quantile_per_day(0.9999))
            .fold(0.0, f64::max)
            .max(1e-9);
        let mut low = 0.0;
        for _ in 0..80 {
            let mid = 0.5 * (low + high);
            if cdf(mid) < p {
                low = mid;
            } else {
                high = mid;
            }
        }
        0.5 * (low + high)
    }

    /// P(mild) + P(severe): how likely this is a stress weekend.
    pub fn stress_probability(&self) -> f64 {
        self.scenario_probabilities[1] + self.scenario_probabilities[2]
    }

    /// Draws a scenario, an institutional rate from its conjugate posterior and a retail
    /// panic multiplier from its grid posterior.
    pub fn draw(&self, rng: &mut PathRng) -> PathDraw {
        let u: f64 = rng.random();
        let scenario = if u < self.scenario_probabilities[0] {
            0
        } else if u < self.scenario_probabilities[0] + self.scenario_probabilities[1] {
            1
        } else {
            2
        };
        let rate_per_day = self.rate_draws[scenario]
            .as_ref()
            .map_or(self.rates[scenario].mean_per_day(), |g| g.sample(rng));
        let (grid, cumulative) = &self.retail[scenario];
        let v: f64 = rng.random();
        let institutional_book = draw_book_index(rng, self.institutional_draws);
        let j = cumulative
            .partition_point(|&c| c < v)
            .min(grid.len().saturating_sub(1));
        PathDraw {
            scenario,
            intensity: PathIntensity {
                institutional_rate_per_hour: rate_per_day / HOURS_PER_DAY,
                retail_panic_multiplier: grid.get(j).map_or(1.0, |&(m, _)| m),
                retail_mood: grid.get(j).map_or(1.0, |&(_, r)| r),
                institutional_book,
            },
        }
    }
}

/// The equal-probability product grid of the panic multiplier and the weekend mood of
/// `process`'s scenario.
fn retail_grid(process: &WeekendProcess) -> Vec<(f64, f64)> {
    let laws = process.laws();
    let moods = laws.mood.equal_probability_grid(MOOD_GRID_POINTS);
    laws.intensity
        .equal_probability_grid(RETAIL_GRID_POINTS)
        .into_iter()
        .flat_map(|m| moods.iter().map(move |&r| (m, r)))
        .collect()
}

/// Mean and variance of `ln b` when account `i` is picked with probability `b_i / Σ b`.
fn size_biased_log_moments(balances_idr: &[u64]) -> (f64, f64) {
    let total: f64 = balances_idr.iter().map(|&b| b as f64).sum();
    if total <= 0.0 {
        return (0.0, 0.0);
    }
    let logs = balances_idr
        .iter()
        .filter(|&&b| b > 0)
        .map(|&b| (b as f64 / total, (b as f64).ln()));
    let (mean, second) = logs.fold((0.0, 0.0), |(m, s), (w, l)| (m + w * l, s + w * l * l));
    (mean, (second - mean * mean).max(0.0))
}

/// `ln Σ exp(x_i)`, stable.
fn log_sum_exp(xs: &[f64]) -> f64 {
    let max = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !max.is_finite() {
        return max;
    }
    max + xs.iter().map(|x| (x - max).exp()).sum::<f64>().ln()
}

/// Probabilities from log weights (uniform when all are −∞ or not finite).
fn normalise_log(log_weights: &[f64; 3]) -> [f64; 3] {
    let total = log_sum_exp(log_weights);
    if !total.is_finite() {
        return [1.0 / 3.0; 3];
    }
    std::array::from_fn(|i| (log_weights[i] - total).exp())
}

/// Cumulative normalised weights from log weights (uniform if degenerate).
fn cumulative_weights(log_weights: &[f64]) -> Vec<f64> {
    let total = log_sum_exp(log_weights);
    let n = log_weights.len().max(1) as f64;
    let mut running = 0.0;
    log_weights
        .iter()
        .map(|w| {
            running += if total.is_finite() {
                (w - total).exp()
            } else {
                1.0 / n
            };
            running
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negative_binomial_marginal_sums_to_one() {
        let prior = GammaPosterior::from_scenario(2.0, 0.5);
        let total: f64 = (0..400).map(|n| prior.log_marginal(n, 1.5).exp()).sum();
        assert!((total - 1.0).abs() < 1e-9, "{total}");
    }
}
