//! The weekend withdrawal process: its one home. The batch engine
//! ([`crate::model::withdrawals`]), the live projection ([`crate::model::conditional`]) and the
//! live estimator (`monitor::estimate`) all draw from, or evaluate, the laws built here.
//!
//! A scenario's [`ScenarioConfig`] is validated once into [`ScenarioLaws`]:
//! - **retail flow** ([`RetailFlowLaw`]): hour `h` withdraws `X_h ~ Gamma(k, μ_h / k)` with
//!   `k = 1 / cv²`, so `E[X_h] = μ_h`, `Var[X_h] = μ_h² cv²`; the hourly mean is
//!   `μ_h(m) = R₀ · max(0, calm + m·(panic − calm)·progress_h) / 24` IDR, where `R₀` is the
//!   retail balance at the close and `progress_h` ramps linearly from 0 to 1 over
//!   `retail_ramp_hours`, starting `institutional_lead_hours` after the close;
//! - **institutional arrivals** ([`ArrivalProcess`]): at the path's level `λ̄ = λ · m / 24`
//!   arrivals per hour on average over the window, either homogeneous ([`PoissonArrivals`])
//!   or front-loaded around the trigger ([`FrontLoadedArrivals`]: intensity `λ̄ · g(t)`,
//!   `g(t) = (1 − w) + w · T e^{−t/τ} / (τ (1 − e^{−T/τ}))`, `∫₀ᵀ g = T`), so institutions
//!   move first and retail panic follows after the lead;
//! - **jump size** ([`JumpFractionLaw`]): each arrival takes a fraction `f ~ Beta(μ·c, (1−μ)·c)`
//!   of an institution's balance (`f = 1` when `μ = 1`);
//! - **panic intensity** ([`UnitMeanGammaLaw`]): per path `m ~ Gamma(1/c², c²)` (mean 1, CV
//!   `c`; `m = 1` when `c = 0`) scales the arrival level and the retail panic excess;
//! - **weekend mood** (a second [`UnitMeanGammaLaw`], CV `retail_weekend_cv`): per path
//!   `r`, mean 1, scales the whole retail hourly mean, `μ_h(m) · r`: weekends differ as a
//!   whole (a quiet week, a volatile one), which 65 independent hours alone would average
//!   away.
//!
//! [`WeekendProcess`] binds the laws to one user base and one window. Adding an arrival
//! process (time-varying, self-exciting) means one new type implementing [`ArrivalProcess`].

use std::sync::Arc;

use rand::RngExt;
use rand_distr::{Beta, Distribution, Exp1, Gamma};
use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Gamma as GammaLaw};
use statrs::function::gamma::{digamma, ln_gamma};

use crate::model::params::{Allowed, Bound, ParamError, bound, check, gamma_shape_of_cv};
use crate::model::rng::PathRng;
use crate::model::user_base::UserBase;

/// Hours per day, for converting daily rates.
pub const HOURS_PER_DAY: f64 = 24.0;

/// A withdrawal scenario's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScenarioName {
    /// Baseline weekend.
    Normal,
    /// Market correction.
    Mild,
    /// Loss of confidence.
    Severe,
}

impl ScenarioName {
    /// All scenarios, mildest first.
    pub const ALL: [ScenarioName; 3] = [Self::Normal, Self::Mild, Self::Severe];

    /// Lower-case name as used in config, CLI and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Normal => "normal",
            Self::Mild => "mild",
            Self::Severe => "severe",
        }
    }

    /// A stable number per scenario, used to derive its random streams.
    pub fn stream_id(self) -> u64 {
        match self {
            Self::Normal => 1,
            Self::Mild => 2,
            Self::Severe => 3,
        }
    }
}

impl std::fmt::Display for ScenarioName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

impl std::str::FromStr for ScenarioName {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|n| n.as_str() == s)
            .ok_or_else(|| format!("unknown scenario `{s}` (expected normal, mild or severe)"))
    }
}

/// Withdrawal behaviour of one scenario, as configured (validated by [`ScenarioLaws::new`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioConfig {
    /// Mean institutional withdrawal arrivals per day (Poisson rate).
    pub institutional_rate_per_day: f64,
    /// Hours by which institutional panic leads retail panic.
    pub institutional_lead_hours: f64,
    /// Share `w` of the expected institutional arrivals in the front-loaded part of the
    /// intensity (an exponential decay from the trigger); 0 = homogeneous Poisson.
    pub institutional_front_share: f64,
    /// Decay time `τ` of the front-loaded part, hours: its intensity falls by `e` every `τ`.
    pub institutional_front_decay_hours: f64,
    /// Retail withdrawals per day in calm hours, as a fraction of retail balances.
    pub retail_calm_rate_per_day: f64,
    /// Retail withdrawals per day once panic is fully set in, fraction of retail balances.
    pub retail_panic_rate_per_day: f64,
    /// Hours over which the retail rate ramps linearly from calm to panic after the lead.
    pub retail_ramp_hours: f64,
    /// Coefficient of variation of one hour's aggregate retail flow (Gamma shape = 1/cv²).
    pub retail_hourly_cv: f64,
    /// Coefficient of variation of the weekend's retail mood: a per-weekend factor (Gamma,
    /// mean 1) on every hour's retail mean; 0 disables it.
    pub retail_weekend_cv: f64,
    /// Mean fraction of its remaining balance an institution withdraws in one jump.
    pub jump_fraction_mean: f64,
    /// Concentration α+β of the Beta law of that fraction (higher = less dispersed).
    pub jump_fraction_concentration: f64,
    /// Coefficient of variation of the per-path panic intensity (Gamma, mean 1), which
    /// scales the institutional rate and the retail panic excess; 0 disables it.
    pub intensity_cv: f64,
    /// Lower end of the documented calibration range of the mean weekend total, share of fiat.
    pub expected_share_low: f64,
    /// Upper end of that range, share of fiat.
    pub expected_share_high: f64,
}

impl ScenarioConfig {
    /// The allowed range of every field; the lead and the ramp must fit in the window.
    fn bounds(&self, window_hours: u32) -> Vec<Bound> {
        let window = f64::from(window_hours);
        vec![
            bound(
                "institutional_rate_per_day",
                self.institutional_rate_per_day,
                Allowed::Closed(0.0, 1_000.0),
            ),
            bound(
                "institutional_lead_hours",
                self.institutional_lead_hours,
                Allowed::Closed(0.0, window),
            ),
            bound(
                "institutional_front_share",
                self.institutional_front_share,
                Allowed::Closed(0.0, 0.99),
            ),
            bound(
                "institutional_front_decay_hours",
                self.institutional_front_decay_hours,
                Allowed::Closed(0.1, window),
            ),
            bound(
                "retail_calm_rate_per_day",
                self.retail_calm_rate_per_day,
                Allowed::Closed(0.0, 1.0),
            ),
            bound(
                "retail_panic_rate_per_day",
                self.retail_panic_rate_per_day,
                Allowed::Closed(0.0, 1.0),
            ),
            bound(
                "retail_ramp_hours",
                self.retail_ramp_hours,
                Allowed::Closed(0.0, window),
            ),
            bound(
                "retail_hourly_cv",
                self.retail_hourly_cv,
                Allowed::Closed(0.01, 10.0),
            ),
            bound(
                "retail_weekend_cv",
                self.retail_weekend_cv,
                Allowed::Closed(0.0, 2.0),
            ),
            bound(
                "jump_fraction_mean",
                self.jump_fraction_mean,
                Allowed::UnitExcludingZero,
            ),
            bound(
                "jump_fraction_concentration",
                self.jump_fraction_concentration,
                Allowed::Closed(0.01, 1e6),
            ),
            bound(
                "intensity_cv",
                self.intensity_cv,
                Allowed::Closed(0.0, 10.0),
            ),
            bound(
                "expected_share_low",
                self.expected_share_low,
                Allowed::Closed(0.0, 1.0),
            ),
            bound(
                "expected_share_high",
                self.expected_share_high,
                Allowed::Closed(self.expected_share_low, 1.0),
            ),
        ]
    }
}

/// The hourly retail flow: a Gamma law around a mean that ramps from calm to panic.
#[derive(Debug, Clone)]
pub struct RetailFlowLaw {
    calm_rate_per_day: f64,
    panic_rate_per_day: f64,
    lead_hours: f64,
    ramp_hours: f64,
    /// Gamma shape `k = 1 / cv²`.
    shape: f64,
    /// `ln Γ(k)`, for the log density.
    ln_gamma_shape: f64,
    /// `Gamma(k, 1)`.
    unit_gamma: Gamma<f64>,
}

impl RetailFlowLaw {
    fn new(s: &ScenarioConfig) -> Result<Self, ParamError> {
        let shape = gamma_shape_of_cv(s.retail_hourly_cv);
        let unit_gamma = Gamma::new(shape, 1.0).map_err(|_| {
            ParamError::new("retail_hourly_cv", s.retail_hourly_cv, "a finite CV > 0")
        })?;
        Ok(Self {
            calm_rate_per_day: s.retail_calm_rate_per_day,
            panic_rate_per_day: s.retail_panic_rate_per_day,
            lead_hours: s.institutional_lead_hours,
            ramp_hours: s.retail_ramp_hours,
            shape,
            ln_gamma_shape: ln_gamma(shape),
            unit_gamma,
        })
    }

    /// Gamma shape `k = 1 / cv²` of an hour's flow.
    pub fn shape(&self) -> f64 {
        self.shape
    }

    /// How far panic has set in during hour `hour` (0-based), 0..=1: a linear ramp over
    /// `ramp_hours` starting `lead_hours` after the close, at the middle of the hour.
    pub fn panic_progress(&self, hour: u32) -> f64 {
        let since_lead = hour as f64 + 0.5 - self.lead_hours;
        if self.ramp_hours <= 0.0 {
            return if since_lead >= 0.0 { 1.0 } else { 0.0 };
        }
        (since_lead / self.ramp_hours).clamp(0.0, 1.0)
    }

    /// Mean flow in hour `hour` at panic multiplier `m`, IDR:
    /// `μ_h = R₀ · max(0, calm + m·(panic − calm)·progress_h) / 24`.
    pub fn hourly_mean_idr(&self, retail_total_idr: u64, hour: u32, m: f64) -> f64 {
        let excess = self.panic_rate_per_day - self.calm_rate_per_day;
        let rate_per_day =
            (self.calm_rate_per_day + m * excess * self.panic_progress(hour)).max(0.0);
        retail_total_idr as f64 * rate_per_day / HOURS_PER_DAY
    }

    /// A draw of `Gamma(k, 1)`; an hour's flow is this times `μ_h / k`.
    pub fn draw_unit_gamma(&self, rng: &mut PathRng) -> f64 {
        self.unit_gamma.sample(rng)
    }

    /// `ln p(x)` of an hour's flow `x` IDR when its mean is `mean_idr`:
    /// `(k − 1) ln x − x/θ − k ln θ − ln Γ(k)` with `θ = mean / k`.
    pub fn log_density(&self, x_idr: f64, mean_idr: f64) -> f64 {
        let k = self.shape;
        let theta = mean_idr / k;
        (k - 1.0) * x_idr.ln() - x_idr / theta - k * theta.ln() - self.ln_gamma_shape
    }
}

/// When institutional withdrawals arrive on a path.
pub trait ArrivalProcess: std::fmt::Debug + Send + Sync {
    /// Mean arrivals per day at panic multiplier 1.
    fn mean_rate_per_day(&self) -> f64;

    /// The path's arrival level, arrivals per hour, at panic multiplier `m`.
    fn level_per_hour(&self, rate_per_day: f64, m: f64) -> f64 {
        rate_per_day * m / HOURS_PER_DAY
    }

    /// The next arrival strictly after `after_hours` on a path of level `level_per_hour`;
    /// `+∞` when the level is 0.
    fn next_arrival_after(&self, rng: &mut PathRng, after_hours: f64, level_per_hour: f64) -> f64;

    /// The exposure, days, that `[from_hours, to_hours)` contributes to a conjugate
    /// Gamma–Poisson update of the level (`∫ intensity shape dt / 24`).
    fn exposure_days(&self, from_hours: f64, to_hours: f64) -> f64;
}

/// Homogeneous Poisson arrivals: inter-arrival times `Exp(level)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PoissonArrivals {
    rate_per_day: f64,
}

impl ArrivalProcess for PoissonArrivals {
    fn mean_rate_per_day(&self) -> f64 {
        self.rate_per_day
    }

    fn next_arrival_after(&self, rng: &mut PathRng, after_hours: f64, level_per_hour: f64) -> f64 {
        if level_per_hour > 0.0 {
            after_hours + rng.sample::<f64, _>(Exp1) / level_per_hour
        } else {
            f64::INFINITY
        }
    }

    fn exposure_days(&self, from_hours: f64, to_hours: f64) -> f64 {
        (to_hours - from_hours) / HOURS_PER_DAY
    }
}

/// Institutional arrivals front-loaded around the trigger (the close): a non-homogeneous
/// Poisson process of intensity `λ̄ · g(t)` per hour, `t` hours since the close, with
/// `g(t) = (1 − w) + w · T e^{−t/τ} / (τ (1 − e^{−T/τ}))` over a window of `T` hours. The
/// shape averages 1 over the window (`∫₀ᵀ g = T`), so the documented daily rate stays the
/// window's mean; a share `w` of the expected arrivals sits in the decaying front.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrontLoadedArrivals {
    rate_per_day: f64,
    front_share: f64,
    decay_hours: f64,
    window_hours: f64,
    /// `T / (τ (1 − e^{−T/τ}))`: the front's peak relative to the mean.
    front_peak: f64,
}

/// Newton steps of the arrival-time inversion before it gives up (it converges in a few).
const MAX_NEWTON_STEPS: usize = 100;

impl FrontLoadedArrivals {
    /// The process of mean `rate_per_day` with front share `w` and decay `τ` hours over a
    /// window of `window_hours`.
    pub fn new(rate_per_day: f64, front_share: f64, decay_hours: f64, window_hours: f64) -> Self {
        let front_peak = window_hours / (decay_hours * (1.0 - (-window_hours / decay_hours).exp()));
        Self {
            rate_per_day,
            front_share,
            decay_hours,
            window_hours,
            front_peak,
        }
    }

    /// The intensity shape `g(t)` (1 = the window's mean).
    pub fn shape_at(&self, t_hours: f64) -> f64 {
        let w = self.front_share;
        (1.0 - w) + w * self.front_peak * (-t_hours / self.decay_hours).exp()
    }

    /// `G(t) = ∫₀ᵗ g = (1 − w) t + w T (1 − e^{−t/τ}) / (1 − e^{−T/τ})`, hours.
    pub fn cumulative_shape(&self, t_hours: f64) -> f64 {
        let w = self.front_share;
        let front =
            self.front_peak * self.decay_hours * (1.0 - (-t_hours / self.decay_hours).exp());
        (1.0 - w) * t_hours + w * front
    }

    /// Expected share of the window's arrivals in `[0, t_hours)`: `G(t) / T`.
    pub fn share_before(&self, t_hours: f64) -> f64 {
        self.cumulative_shape(t_hours) / self.window_hours
    }
}

impl ArrivalProcess for FrontLoadedArrivals {
    fn mean_rate_per_day(&self) -> f64 {
        self.rate_per_day
    }

    /// Inverts `λ̄ (G(t) − G(after)) = E`, `E ~ Exp(1)`, by Newton's method: `G` is concave
    /// (the intensity only falls), so steps from the left never overshoot.
    fn next_arrival_after(&self, rng: &mut PathRng, after_hours: f64, level_per_hour: f64) -> f64 {
        if level_per_hour <= 0.0 {
            return f64::INFINITY;
        }
        let target =
            self.cumulative_shape(after_hours) + rng.sample::<f64, _>(Exp1) / level_per_hour;
        let mut t = after_hours;
        for _ in 0..MAX_NEWTON_STEPS {
            let gap = target - self.cumulative_shape(t);
            if gap <= 1e-12 * target.max(1.0) {
                return t;
            }
            t += gap / self.shape_at(t);
        }
        t
    }

    fn exposure_days(&self, from_hours: f64, to_hours: f64) -> f64 {
        (self.cumulative_shape(to_hours) - self.cumulative_shape(from_hours)) / HOURS_PER_DAY
    }
}

/// The fraction of a balance one institutional jump takes: `Beta(μ·c, (1−μ)·c)`, or 1.
#[derive(Debug, Clone)]
pub struct JumpFractionLaw {
    /// `None` when the mean is 1 (a jump empties the balance).
    beta: Option<Beta<f64>>,
    alpha: f64,
    beta_param: f64,
}

impl JumpFractionLaw {
    fn new(s: &ScenarioConfig) -> Result<Self, ParamError> {
        let alpha = s.jump_fraction_mean * s.jump_fraction_concentration;
        let beta_param = (1.0 - s.jump_fraction_mean) * s.jump_fraction_concentration;
        let beta = if s.jump_fraction_mean < 1.0 {
            let law = Beta::new(alpha, beta_param).map_err(|_| {
                ParamError::new(
                    "jump_fraction_concentration",
                    s.jump_fraction_concentration,
                    "a concentration giving Beta parameters > 0",
                )
            })?;
            Some(law)
        } else {
            None
        };
        Ok(Self {
            beta,
            alpha,
            beta_param,
        })
    }

    /// One draw of the fraction, 0..=1.
    pub fn draw(&self, rng: &mut PathRng) -> f64 {
        self.beta.map_or(1.0, |b| b.sample(rng))
    }

    /// `E[ln f]`, `Var[ln f]`: `ψ(α) − ψ(α+β)` and `ψ₁(α) − ψ₁(α+β)`; (0, 0) when `f = 1`.
    pub fn log_moments(&self) -> (f64, f64) {
        if self.beta.is_none() {
            return (0.0, 0.0);
        }
        let (a, b) = (self.alpha, self.beta_param);
        (digamma(a) - digamma(a + b), trigamma(a) - trigamma(a + b))
    }
}

/// A per-path multiplier `m ~ Gamma(1/c², c²)`: mean 1, CV `c`; `m = 1` when `c = 0` (the
/// panic intensity, and the weekend's retail mood).
#[derive(Debug, Clone)]
pub struct UnitMeanGammaLaw {
    cv: f64,
    gamma: Option<Gamma<f64>>,
}

impl UnitMeanGammaLaw {
    /// The law of CV `cv`, configured as `field`.
    fn with_cv(field: &str, cv: f64) -> Result<Self, ParamError> {
        let gamma = if cv > 0.0 {
            let shape = gamma_shape_of_cv(cv);
            let law = Gamma::new(shape, 1.0 / shape)
                .map_err(|_| ParamError::new(field, cv, "a finite CV"))?;
            Some(law)
        } else {
            None
        };
        Ok(Self { cv, gamma })
    }

    /// One draw of the multiplier.
    pub fn draw(&self, rng: &mut PathRng) -> f64 {
        self.gamma.map_or(1.0, |g| g.sample(rng))
    }

    /// The Gamma shape `1/c²`, or `None` when the multiplier is fixed at 1.
    pub fn shape(&self) -> Option<f64> {
        (self.cv > 0.0).then(|| gamma_shape_of_cv(self.cv))
    }

    /// `points` equal-probability values of the law: its quantiles at `(j + ½) / points`;
    /// `[1]` when the multiplier is fixed.
    pub fn equal_probability_grid(&self, points: usize) -> Vec<f64> {
        let Some(shape) = self.shape() else {
            return vec![1.0];
        };
        let Ok(law) = GammaLaw::new(shape, shape) else {
            return vec![1.0];
        };
        (0..points)
            .map(|j| law.inverse_cdf((j as f64 + 0.5) / points as f64))
            .collect()
    }
}

/// A scenario's four laws, validated.
#[derive(Debug, Clone)]
pub struct ScenarioLaws {
    /// Hourly retail flow.
    pub retail: RetailFlowLaw,
    /// Institutional arrivals.
    pub arrivals: Arc<dyn ArrivalProcess>,
    /// Size of an institutional jump, as a fraction of a balance.
    pub jump_fraction: JumpFractionLaw,
    /// Per-path panic multiplier.
    pub intensity: UnitMeanGammaLaw,
    /// Per-path retail mood: a factor on the whole retail mean.
    pub mood: UnitMeanGammaLaw,
}

impl ScenarioLaws {
    /// Validates `s` for a window of `window_hours` and builds its laws.
    pub fn new(s: &ScenarioConfig, window_hours: u32) -> Result<Self, ParamError> {
        check(&s.bounds(window_hours))?;
        let arrivals: Arc<dyn ArrivalProcess> = if s.institutional_front_share > 0.0 {
            Arc::new(FrontLoadedArrivals::new(
                s.institutional_rate_per_day,
                s.institutional_front_share,
                s.institutional_front_decay_hours,
                f64::from(window_hours),
            ))
        } else {
            Arc::new(PoissonArrivals {
                rate_per_day: s.institutional_rate_per_day,
            })
        };
        Ok(Self {
            retail: RetailFlowLaw::new(s)?,
            arrivals,
            jump_fraction: JumpFractionLaw::new(s)?,
            intensity: UnitMeanGammaLaw::with_cv("intensity_cv", s.intensity_cv)?,
            mood: UnitMeanGammaLaw::with_cv("retail_weekend_cv", s.retail_weekend_cv)?,
        })
    }
}

/// The draws of one path that are not hourly: how hard this weekend panics.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PathIntensity {
    /// Institutional arrival level on this path, arrivals per hour.
    pub institutional_rate_per_hour: f64,
    /// Multiplier of the retail panic excess on this path (1 = the scenario's own level).
    pub retail_panic_multiplier: f64,
    /// The weekend's retail mood: a factor on every hour's retail mean (1 = typical).
    pub retail_mood: f64,
    /// Which institutional draw of the user base this weekend runs on (0 = the reported one).
    pub institutional_book: usize,
}

/// Institutional balances prepared for balance-weighted picking, IDR.
#[derive(Debug, Clone)]
pub struct InstitutionalBook {
    balances_idr: Vec<u64>,
    /// `prefix_idr[i] = Σ balances_idr[0..=i]`.
    prefix_idr: Vec<u64>,
    total_idr: u64,
}

impl InstitutionalBook {
    /// The book of `balances_idr`.
    pub fn new(balances_idr: &[u64]) -> Self {
        let mut running = 0u64;
        let prefix_idr = balances_idr
            .iter()
            .map(|b| {
                running = running.saturating_add(*b);
                running
            })
            .collect();
        Self {
            balances_idr: balances_idr.to_vec(),
            prefix_idr,
            total_idr: running,
        }
    }

    /// Every balance, IDR.
    pub fn balances_idr(&self) -> &[u64] {
        &self.balances_idr
    }

    /// Sum of the balances, IDR.
    pub fn total_idr(&self) -> u64 {
        self.total_idr
    }

    /// Picks an institution with probability `b_i / Σ b` (its balance at the close).
    /// The book must not be empty.
    pub fn pick_by_balance(&self, rng: &mut PathRng) -> usize {
        let u = rng.random_range(0..self.total_idr);
        self.prefix_idr.partition_point(|&c| c <= u)
    }
}

/// One scenario's withdrawal process over one user base and one window.
#[derive(Debug, Clone)]
pub struct WeekendProcess {
    laws: ScenarioLaws,
    window_hours: u32,
    retail_total_idr: u64,
    /// The user base's institutional draws (one for real accounts); same count and total.
    books: Vec<InstitutionalBook>,
}

impl WeekendProcess {
    /// Validates `scenario` and binds it to `users` for a window of `window_hours`.
    pub fn new(
        scenario: &ScenarioConfig,
        users: &UserBase,
        window_hours: u32,
    ) -> Result<Self, ParamError> {
        Ok(Self::from_laws(
            ScenarioLaws::new(scenario, window_hours)?,
            users,
            window_hours,
        ))
    }

    /// Binds already validated `laws` to `users` for a window of `window_hours`.
    pub fn from_laws(laws: ScenarioLaws, users: &UserBase, window_hours: u32) -> Self {
        Self {
            laws,
            window_hours,
            retail_total_idr: users.retail_total_idr(),
            books: users
                .institutional_draws_idr()
                .map(InstitutionalBook::new)
                .collect(),
        }
    }

    /// The scenario's laws.
    pub fn laws(&self) -> &ScenarioLaws {
        &self.laws
    }

    /// Hours in the window.
    pub fn window_hours(&self) -> u32 {
        self.window_hours
    }

    /// Retail balances at the close, IDR.
    pub fn retail_total_idr(&self) -> u64 {
        self.retail_total_idr
    }

    /// The institutions' balances at the close (the reported draw; every draw has the same
    /// count and total).
    pub fn institutions(&self) -> &InstitutionalBook {
        &self.books[0]
    }

    /// Number of institutional draws a weekend can run on.
    pub fn institutional_draws(&self) -> usize {
        self.books.len()
    }

    /// Mean retail flow in hour `hour` (0-based) at panic multiplier `m`, IDR
    /// ([`RetailFlowLaw::hourly_mean_idr`] over this user base).
    pub fn retail_hourly_mean_idr(&self, hour: u32, m: f64) -> f64 {
        self.laws
            .retail
            .hourly_mean_idr(self.retail_total_idr, hour, m)
    }

    /// Draws the path's panic multiplier and its arrival level from the prior.
    pub fn draw_intensity(&self, rng: &mut PathRng) -> PathIntensity {
        let m = self.laws.intensity.draw(rng);
        let retail_mood = self.laws.mood.draw(rng);
        let arrivals = &self.laws.arrivals;
        PathIntensity {
            institutional_rate_per_hour: arrivals.level_per_hour(arrivals.mean_rate_per_day(), m),
            retail_panic_multiplier: m,
            retail_mood,
            institutional_book: self.draw_book(rng),
        }
    }

    /// A uniformly drawn institutional draw's index (no random number when there is one).
    pub fn draw_book(&self, rng: &mut PathRng) -> usize {
        draw_book_index(rng, self.books.len())
    }

    /// A ledger sized for this process's institutions.
    pub fn new_ledger(&self) -> InstitutionalLedger {
        InstitutionalLedger::new(self.institutions().balances_idr.len())
    }

    /// One institutional jump on institutional draw `book` when the cohort has withdrawn
    /// `withdrawn_in_path_idr` since the start of the simulation: an institution picked in
    /// proportion to what it still holds withdraws a `Beta` fraction of that, IDR (0 once
    /// the cohort is empty).
    pub fn draw_jump(
        &self,
        rng: &mut PathRng,
        ledger: &mut InstitutionalLedger,
        scale: CohortScale,
        withdrawn_in_path_idr: u64,
        book: usize,
    ) -> u64 {
        let book = self.books.get(book).unwrap_or(&self.books[0]);
        let start_total = scale.start_balance_idr(book.total_idr);
        if start_total <= withdrawn_in_path_idr {
            return 0;
        }
        let Some(account) = book.pick_by_remaining(rng, ledger, scale) else {
            return 0;
        };
        let remaining =
            scale.start_balance_idr(book.balances_idr[account]) - ledger.withdrawn_idr(account);
        let fraction = self.laws.jump_fraction.draw(rng);
        let amount = ((fraction * remaining as f64).round() as u64).min(remaining);
        ledger.add(account, amount);
        amount
    }

    /// The next institutional arrival after `after_hours` at the path's level.
    pub fn next_arrival_after(
        &self,
        rng: &mut PathRng,
        after_hours: f64,
        intensity: &PathIntensity,
    ) -> f64 {
        self.laws.arrivals.next_arrival_after(
            rng,
            after_hours,
            intensity.institutional_rate_per_hour,
        )
    }
}

/// A uniform index among `draws` institutional draws; no random number when there is at
/// most one (a real user base keeps its streams unchanged).
pub fn draw_book_index(rng: &mut PathRng, draws: usize) -> usize {
    match draws {
        0 | 1 => 0,
        n => rng.random_range(0..n),
    }
}

/// Proposals of the rejection sampler before it falls back to an exact scan.
const MAX_PROPOSALS: usize = 64;

/// What share of its balance at the close every institution still holds when a simulation
/// starts: `remaining_idr / total_idr` of the cohort (1 from the close). Withdrawals observed
/// before a mid-weekend start are not attributed to accounts; every balance is scaled alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CohortScale {
    /// The cohort's balance still held at the start, IDR.
    pub remaining_idr: u64,
    /// The cohort's balance at the close, IDR.
    pub total_idr: u64,
}

impl CohortScale {
    /// Nothing withdrawn yet.
    pub const FULL: CohortScale = CohortScale {
        remaining_idr: 1,
        total_idr: 1,
    };

    /// Balance `balance_idr` at the close scaled to the start, `⌊b · R / T⌋` IDR (exact).
    fn start_balance_idr(self, balance_idr: u64) -> u64 {
        if self.remaining_idr >= self.total_idr {
            return balance_idr;
        }
        (u128::from(balance_idr) * u128::from(self.remaining_idr) / u128::from(self.total_idr))
            as u64
    }
}

impl InstitutionalBook {
    /// Picks an institution with probability proportional to what it still holds,
    /// `scale(b_i) − w_i`: propose by balance at the close, accept with probability
    /// `(scale(b_i) − w_i) / b_i` (exact); an exact scan when most of the book has left.
    fn pick_by_remaining(
        &self,
        rng: &mut PathRng,
        ledger: &InstitutionalLedger,
        scale: CohortScale,
    ) -> Option<usize> {
        let remaining =
            |i: usize| scale.start_balance_idr(self.balances_idr[i]) - ledger.withdrawn_idr[i];
        for _ in 0..MAX_PROPOSALS {
            let i = self.pick_by_balance(rng);
            if rng.random_range(0..self.balances_idr[i]) < remaining(i) {
                return Some(i);
            }
        }
        let total: u64 = (0..self.balances_idr.len()).map(remaining).sum();
        if total == 0 {
            return None;
        }
        let mut u = rng.random_range(0..total);
        (0..self.balances_idr.len()).find(|&i| {
            let r = remaining(i);
            let hit = u < r;
            u = u.saturating_sub(r);
            hit
        })
    }
}

/// What each institution has withdrawn so far on the current path, IDR. Reused across
/// paths: only the accounts touched by the last path are reset.
#[derive(Debug, Clone, Default)]
pub struct InstitutionalLedger {
    withdrawn_idr: Vec<u64>,
    touched: Vec<u32>,
}

impl InstitutionalLedger {
    /// An empty ledger for `institutions` accounts.
    pub fn new(institutions: usize) -> Self {
        Self {
            withdrawn_idr: vec![0; institutions],
            touched: Vec::new(),
        }
    }

    /// Forgets every withdrawal (start of a new path).
    pub fn reset(&mut self) {
        for &i in &self.touched {
            self.withdrawn_idr[i as usize] = 0;
        }
        self.touched.clear();
    }

    /// Records `amount_idr` withdrawn by institution `account`.
    pub fn add(&mut self, account: usize, amount_idr: u64) {
        if self.withdrawn_idr[account] == 0 && amount_idr > 0 {
            self.touched.push(account as u32);
        }
        self.withdrawn_idr[account] += amount_idr;
    }

    /// What institution `account` has withdrawn so far, IDR.
    pub fn withdrawn_idr(&self, account: usize) -> u64 {
        self.withdrawn_idr[account]
    }
}

/// The trigamma function `ψ₁(x) = Σ_k 1/(x+k)²`, by recurrence to x ≥ 6 and the
/// asymptotic series `1/x + 1/(2x²) + 1/(6x³) − 1/(30x⁵) + 1/(42x⁷) − 1/(30x⁹)`.
pub fn trigamma(mut x: f64) -> f64 {
    let mut acc = 0.0;
    while x < 6.0 {
        acc += 1.0 / (x * x);
        x += 1.0;
    }
    let inv = 1.0 / x;
    let inv2 = inv * inv;
    acc + inv
        + inv2 / 2.0
        + inv * inv2 * (1.0 / 6.0 - inv2 * (1.0 / 30.0 - inv2 * (1.0 / 42.0 - inv2 / 30.0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trigamma_matches_known_values() {
        assert!((trigamma(1.0) - std::f64::consts::PI.powi(2) / 6.0).abs() < 1e-9);
        assert!((trigamma(0.5) - std::f64::consts::PI.powi(2) / 2.0).abs() < 1e-9);
    }

    fn front_loaded() -> FrontLoadedArrivals {
        FrontLoadedArrivals::new(6.0, 0.6, 4.0, 65.0)
    }

    #[test]
    fn the_front_loaded_intensity_integrates_to_the_documented_daily_rate() {
        let p = front_loaded();
        assert!((p.cumulative_shape(65.0) - 65.0).abs() < 1e-9);
        // Midpoint rule over the window, per hour: the mean of g is 1.
        let steps = 650_000;
        let dt = 65.0 / steps as f64;
        let integral: f64 = (0..steps)
            .map(|i| p.shape_at((i as f64 + 0.5) * dt) * dt)
            .sum();
        assert!((integral / 65.0 - 1.0).abs() < 1e-6, "{integral}");
        assert!((p.exposure_days(0.0, 65.0) * 6.0 - 6.0 * 65.0 / 24.0).abs() < 1e-9);
        // Closed form of the share in the first 6 hours: (1−w)·6/T + w(1−e^{−6/τ})/(1−e^{−T/τ}).
        let expected =
            0.4 * 6.0 / 65.0 + 0.6 * (1.0 - (-1.5f64).exp()) / (1.0 - (-65.0f64 / 4.0).exp());
        assert!((p.share_before(6.0) - expected).abs() < 1e-12);
    }

    #[test]
    fn front_loaded_arrival_times_follow_the_intensity() {
        let p = front_loaded();
        let level = 6.0 / HOURS_PER_DAY;
        let mut rng = crate::model::rng::path_rng(1, 2, 3);
        let (mut early, mut total) = (0usize, 0usize);
        for _ in 0..20_000 {
            let mut t = p.next_arrival_after(&mut rng, 0.0, level);
            while t < 65.0 {
                total += 1;
                early += usize::from(t < 6.0);
                t = p.next_arrival_after(&mut rng, t, level);
            }
        }
        let mean_count = total as f64 / 20_000.0;
        assert!(
            (mean_count / (6.0 * 65.0 / 24.0) - 1.0).abs() < 0.01,
            "{mean_count}"
        );
        let share = early as f64 / total as f64;
        assert!((share - p.share_before(6.0)).abs() < 0.01, "{share}");
    }

    #[test]
    fn multiplier_grid_has_mean_near_one() {
        let law = UnitMeanGammaLaw {
            cv: 0.35,
            gamma: None,
        };
        let grid = law.equal_probability_grid(32);
        let mean = grid.iter().sum::<f64>() / grid.len() as f64;
        assert!((mean - 1.0).abs() < 0.01, "{mean}");
    }
}
