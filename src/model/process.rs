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
//! - **institutional arrivals** ([`ArrivalProcess`], today [`PoissonArrivals`]): arrivals per
//!   hour at the path's level `λ · m / 24`;
//! - **jump size** ([`JumpFractionLaw`]): each arrival takes a fraction `f ~ Beta(μ·c, (1−μ)·c)`
//!   of an institution's balance (`f = 1` when `μ = 1`);
//! - **panic intensity** ([`PanicIntensityLaw`]): per path `m ~ Gamma(1/c², c²)` (mean 1, CV
//!   `c`; `m = 1` when `c = 0`) scales the arrival level and the retail panic excess.
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
    /// Retail withdrawals per day in calm hours, as a fraction of retail balances.
    pub retail_calm_rate_per_day: f64,
    /// Retail withdrawals per day once panic is fully set in, fraction of retail balances.
    pub retail_panic_rate_per_day: f64,
    /// Hours over which the retail rate ramps linearly from calm to panic after the lead.
    pub retail_ramp_hours: f64,
    /// Coefficient of variation of one hour's aggregate retail flow (Gamma shape = 1/cv²).
    pub retail_hourly_cv: f64,
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

/// The per-path panic multiplier `m ~ Gamma(1/c², c²)`: mean 1, CV `c`; `m = 1` when `c = 0`.
#[derive(Debug, Clone)]
pub struct PanicIntensityLaw {
    cv: f64,
    gamma: Option<Gamma<f64>>,
}

impl PanicIntensityLaw {
    fn new(s: &ScenarioConfig) -> Result<Self, ParamError> {
        let gamma = if s.intensity_cv > 0.0 {
            let shape = gamma_shape_of_cv(s.intensity_cv);
            let law = Gamma::new(shape, 1.0 / shape)
                .map_err(|_| ParamError::new("intensity_cv", s.intensity_cv, "a finite CV"))?;
            Some(law)
        } else {
            None
        };
        Ok(Self {
            cv: s.intensity_cv,
            gamma,
        })
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
    pub intensity: PanicIntensityLaw,
}

impl ScenarioLaws {
    /// Validates `s` for a window of `window_hours` and builds its laws.
    pub fn new(s: &ScenarioConfig, window_hours: u32) -> Result<Self, ParamError> {
        check(&s.bounds(window_hours))?;
        Ok(Self {
            retail: RetailFlowLaw::new(s)?,
            arrivals: Arc::new(PoissonArrivals {
                rate_per_day: s.institutional_rate_per_day,
            }),
            jump_fraction: JumpFractionLaw::new(s)?,
            intensity: PanicIntensityLaw::new(s)?,
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
    institutions: InstitutionalBook,
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
            institutions: InstitutionalBook::new(&users.institutional_balances_idr),
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

    /// The institutions' balances at the close.
    pub fn institutions(&self) -> &InstitutionalBook {
        &self.institutions
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
        let arrivals = &self.laws.arrivals;
        PathIntensity {
            institutional_rate_per_hour: arrivals.level_per_hour(arrivals.mean_rate_per_day(), m),
            retail_panic_multiplier: m,
        }
    }

    /// A ledger sized for this process's institutions.
    pub fn new_ledger(&self) -> InstitutionalLedger {
        InstitutionalLedger::new(self.institutions.balances_idr.len())
    }

    /// One institutional jump when the cohort has withdrawn `withdrawn_in_path_idr` since the
    /// start of the simulation: an institution picked in proportion to what it still holds
    /// withdraws a `Beta` fraction of that, IDR (0 once the cohort is empty).
    pub fn draw_jump(
        &self,
        rng: &mut PathRng,
        ledger: &mut InstitutionalLedger,
        scale: CohortScale,
        withdrawn_in_path_idr: u64,
    ) -> u64 {
        let start_total = scale.start_balance_idr(self.institutions.total_idr);
        if start_total <= withdrawn_in_path_idr {
            return 0;
        }
        let Some(account) = self.institutions.pick_by_remaining(rng, ledger, scale) else {
            return 0;
        };
        let remaining = scale.start_balance_idr(self.institutions.balances_idr[account])
            - ledger.withdrawn_idr(account);
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

    #[test]
    fn multiplier_grid_has_mean_near_one() {
        let law = PanicIntensityLaw {
            cv: 0.35,
            gamma: None,
        };
        let grid = law.equal_probability_grid(32);
        let mean = grid.iter().sum::<f64>() / grid.len() as f64;
        assert!((mean - 1.0).abs() < 0.01, "{mean}");
    }
}
