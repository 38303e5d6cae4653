//! The weekend withdrawal Monte Carlo: hour by hour over the bank-rail window.
//!
//! Two processes, one per cohort:
//! - **retail**: an aggregate hourly flow, `X_h ~ Gamma(k, μ_h / k)` with `k = 1 / cv²`, so
//!   `E[X_h] = μ_h` and `Var[X_h] = μ_h² cv²`. The hourly mean is a fraction of the retail
//!   balances at the close: `μ_h = R₀ · r_h / 24`, where the daily rate `r_h` ramps linearly
//!   from the calm rate to the panic rate starting `lead` hours after the rails close
//!   (institutions move first; retail follows).
//! - **institutional**: Poisson arrivals at `λ` per day from the first hour. Each arrival
//!   picks an institution with probability proportional to its *remaining* balance and
//!   withdraws a fraction `f ~ Beta` of that remaining balance, so no institution ever
//!   withdraws more than it holds.
//!
//! Per path a panic intensity `m ~ Gamma(1/c², c²)` (mean 1, CV `c`) scales the
//! institutional rate and the retail panic excess: scenario severity is uncertain, and
//! that uncertainty is what a live monitor later learns about.
//!
//! Amounts are whole rupiah; cumulative retail withdrawals are capped at the retail
//! balances, so in every path each cohort's withdrawals stay within its holdings.

use rand::RngExt;
use rand_distr::{Beta, Distribution, Exp1, Gamma};
use rayon::prelude::*;

use crate::config::ScenarioConfig;
use crate::model::rng::{PathRng, path_rng};
use crate::model::user_base::UserBase;

/// Paths per unit of parallel work. Fixed, so results do not depend on the thread count.
pub const PATHS_PER_CHUNK: usize = 1024;

/// Hours per day, for converting daily rates.
const HOURS_PER_DAY: f64 = 24.0;

/// Proposals of the rejection sampler before it falls back to an exact scan.
const MAX_PROPOSALS: usize = 64;

/// What one simulated weekend withdrew.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PathOutcome {
    /// Retail withdrawals over the window, IDR.
    pub retail_idr: u64,
    /// Institutional withdrawals over the window, IDR.
    pub institutional_idr: u64,
    /// Number of institutional jumps.
    pub institutional_jumps: u32,
}

impl PathOutcome {
    /// All withdrawals over the window, IDR.
    pub fn total_idr(&self) -> u64 {
        self.retail_idr + self.institutional_idr
    }
}

/// The draws of one path that are not hourly: how hard this weekend panics.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PathIntensity {
    /// Institutional arrivals per hour on this path.
    pub institutional_rate_per_hour: f64,
    /// Multiplier of the retail panic excess on this path (1 = the scenario's own level).
    pub retail_panic_multiplier: f64,
}

/// Every path of one scenario, reduced to what the reports need.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioRun {
    /// One outcome per path, in path order.
    pub outcomes: Vec<PathOutcome>,
    /// For each requested threshold, per path, the 1-based hour in which cumulative
    /// withdrawals first exceeded it; 0 if they never did.
    pub first_passage_hours: Vec<Vec<u16>>,
    /// Mean retail withdrawals in each hour of the window, IDR.
    pub mean_hourly_retail_idr: Vec<f64>,
    /// Mean institutional withdrawals in each hour of the window, IDR.
    pub mean_hourly_institutional_idr: Vec<f64>,
}

impl ScenarioRun {
    /// Weekend totals per path, IDR.
    pub fn totals_idr(&self) -> Vec<u64> {
        self.outcomes.iter().map(PathOutcome::total_idr).collect()
    }
}

/// Institutional balances prepared for balance-weighted picking.
#[derive(Debug, Clone)]
struct InstitutionalBook {
    balances_idr: Vec<u64>,
    /// `prefix[i] = Σ balances[0..=i]`.
    prefix_idr: Vec<u64>,
    total_idr: u64,
}

impl InstitutionalBook {
    fn new(balances_idr: &[u64]) -> Self {
        let mut running = 0u64;
        let prefix_idr = balances_idr
            .iter()
            .map(|b| {
                running += b;
                running
            })
            .collect();
        Self {
            balances_idr: balances_idr.to_vec(),
            prefix_idr,
            total_idr: running,
        }
    }

    /// Picks an institution with probability proportional to its remaining balance:
    /// propose by initial balance, accept with probability remaining / initial (exact).
    /// Falls back to an exact scan when most of the book has already left.
    fn pick(
        &self,
        rng: &mut PathRng,
        ledger: &InstitutionalLedger,
        remaining_total_idr: u64,
    ) -> usize {
        for _ in 0..MAX_PROPOSALS {
            let u = rng.random_range(0..self.total_idr);
            let i = self.prefix_idr.partition_point(|&c| c <= u);
            let balance = self.balances_idr[i];
            if rng.random_range(0..balance) < balance - ledger.withdrawn_idr[i] {
                return i;
            }
        }
        let mut u = rng.random_range(0..remaining_total_idr);
        for (i, (&balance, &withdrawn)) in self
            .balances_idr
            .iter()
            .zip(&ledger.withdrawn_idr)
            .enumerate()
        {
            let remaining = balance - withdrawn;
            if u < remaining {
                return i;
            }
            u -= remaining;
        }
        unreachable!("u < remaining_total_idr = Σ remaining balances")
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

/// A scenario's withdrawal process over a user base, ready to simulate.
#[derive(Debug, Clone)]
pub struct WithdrawalModel {
    scenario: ScenarioConfig,
    window_hours: u32,
    retail_total_idr: u64,
    institutions: InstitutionalBook,
    /// `Gamma(k, 1)`; an hour's retail flow is this times `μ_h / k`.
    retail_unit_gamma: Gamma<f64>,
    retail_shape: f64,
    jump_fraction: Option<Beta<f64>>,
    intensity: Option<Gamma<f64>>,
}

impl WithdrawalModel {
    /// Prepares `scenario` (already validated) over `users` for a window of `window_hours`.
    pub fn new(scenario: &ScenarioConfig, users: &UserBase, window_hours: u32) -> Self {
        let retail_shape = 1.0 / (scenario.retail_hourly_cv * scenario.retail_hourly_cv);
        let jump_fraction = (scenario.jump_fraction_mean < 1.0).then(|| {
            let a = scenario.jump_fraction_mean * scenario.jump_fraction_concentration;
            let b = (1.0 - scenario.jump_fraction_mean) * scenario.jump_fraction_concentration;
            Beta::new(a, b).expect("validated Beta parameters")
        });
        let intensity = (scenario.intensity_cv > 0.0).then(|| {
            let shape = 1.0 / (scenario.intensity_cv * scenario.intensity_cv);
            Gamma::new(shape, 1.0 / shape).expect("validated intensity CV")
        });
        Self {
            scenario: scenario.clone(),
            window_hours,
            retail_total_idr: users.retail_total_idr(),
            institutions: InstitutionalBook::new(&users.institutional_balances_idr),
            retail_unit_gamma: Gamma::new(retail_shape, 1.0).expect("validated retail CV"),
            retail_shape,
            jump_fraction,
            intensity,
        }
    }

    /// Hours in the window.
    pub fn window_hours(&self) -> u32 {
        self.window_hours
    }

    /// How far retail panic has set in during hour `hour` (0-based), 0..=1:
    /// a linear ramp over `retail_ramp_hours` starting `institutional_lead_hours` after
    /// the close, evaluated at the middle of the hour.
    pub fn retail_panic_progress(&self, hour: u32) -> f64 {
        let since_lead = hour as f64 + 0.5 - self.scenario.institutional_lead_hours;
        if self.scenario.retail_ramp_hours <= 0.0 {
            return if since_lead >= 0.0 { 1.0 } else { 0.0 };
        }
        (since_lead / self.scenario.retail_ramp_hours).clamp(0.0, 1.0)
    }

    /// Mean retail flow in hour `hour` given the path's panic multiplier, IDR:
    /// `μ_h = R₀ · max(0, calm + m·(panic − calm)·progress_h) / 24`.
    pub fn retail_hourly_mean_idr(&self, hour: u32, panic_multiplier: f64) -> f64 {
        let s = &self.scenario;
        let excess = s.retail_panic_rate_per_day - s.retail_calm_rate_per_day;
        let rate_per_day = (s.retail_calm_rate_per_day
            + panic_multiplier * excess * self.retail_panic_progress(hour))
        .max(0.0);
        self.retail_total_idr as f64 * rate_per_day / HOURS_PER_DAY
    }

    /// Draws the path's panic intensity.
    pub fn draw_intensity(&self, rng: &mut PathRng) -> PathIntensity {
        let m = self.intensity.map_or(1.0, |g| g.sample(rng));
        PathIntensity {
            institutional_rate_per_hour: self.scenario.institutional_rate_per_day * m
                / HOURS_PER_DAY,
            retail_panic_multiplier: m,
        }
    }

    /// Simulates one weekend. `on_hour(h, retail_idr, institutional_idr)` sees each hour's
    /// withdrawals, `thresholds_idr` are reserves whose first-passage hour is written to
    /// `first_passage_hours` (same length; 0 = never exceeded).
    pub fn simulate_path(
        &self,
        rng: &mut PathRng,
        thresholds_idr: &[u64],
        first_passage_hours: &mut [u16],
        ledger: &mut InstitutionalLedger,
        mut on_hour: impl FnMut(usize, u64, u64),
    ) -> PathOutcome {
        ledger.reset();
        first_passage_hours.fill(0);
        let intensity = self.draw_intensity(rng);
        let rate = intensity.institutional_rate_per_hour;
        let mut next_arrival = if rate > 0.0 {
            rng.sample::<f64, _>(Exp1) / rate
        } else {
            f64::INFINITY
        };
        let mut outcome = PathOutcome::default();
        for hour in 0..self.window_hours {
            let retail = self.draw_retail_hour(
                rng,
                hour,
                intensity.retail_panic_multiplier,
                outcome.retail_idr,
            );
            let mut institutional = 0u64;
            while next_arrival < (hour + 1) as f64 {
                institutional +=
                    self.draw_jump(rng, ledger, outcome.institutional_idr + institutional);
                outcome.institutional_jumps += 1;
                next_arrival += rng.sample::<f64, _>(Exp1) / rate;
            }
            outcome.retail_idr += retail;
            outcome.institutional_idr += institutional;
            on_hour(hour as usize, retail, institutional);
            let cumulative = outcome.total_idr();
            for (threshold, passage) in thresholds_idr.iter().zip(first_passage_hours.iter_mut()) {
                if *passage == 0 && cumulative > *threshold {
                    *passage = (hour + 1) as u16;
                }
            }
        }
        outcome
    }

    /// One hour of retail flow, capped so cumulative retail withdrawals never exceed
    /// the retail balances, IDR.
    fn draw_retail_hour(
        &self,
        rng: &mut PathRng,
        hour: u32,
        panic_multiplier: f64,
        withdrawn_idr: u64,
    ) -> u64 {
        let mean = self.retail_hourly_mean_idr(hour, panic_multiplier);
        if mean <= 0.0 {
            return 0;
        }
        let draw = self.retail_unit_gamma.sample(rng) * mean / self.retail_shape;
        (draw.floor() as u64).min(self.retail_total_idr - withdrawn_idr)
    }

    /// One institutional jump: a Beta fraction of a balance-weighted institution's
    /// remaining balance, IDR.
    fn draw_jump(
        &self,
        rng: &mut PathRng,
        ledger: &mut InstitutionalLedger,
        withdrawn_total_idr: u64,
    ) -> u64 {
        let remaining_total = self.institutions.total_idr - withdrawn_total_idr;
        if remaining_total == 0 {
            return 0;
        }
        let account = self.institutions.pick(rng, ledger, remaining_total);
        let remaining = self.institutions.balances_idr[account] - ledger.withdrawn_idr(account);
        let fraction = self.jump_fraction.map_or(1.0, |b| b.sample(rng));
        let amount = ((fraction * remaining as f64).round() as u64).min(remaining);
        ledger.add(account, amount);
        amount
    }

    /// A ledger sized for this model's institutions.
    pub fn new_ledger(&self) -> InstitutionalLedger {
        InstitutionalLedger::new(self.institutions.balances_idr.len())
    }

    /// Simulates `paths` weekends in parallel. Path `i` uses stream `(seed, stream, i)`,
    /// so the result is identical for any number of threads.
    pub fn run(&self, paths: usize, seed: u64, stream: u64, thresholds_idr: &[u64]) -> ScenarioRun {
        let chunks = paths.div_ceil(PATHS_PER_CHUNK);
        let parts: Vec<ChunkResult> = (0..chunks)
            .into_par_iter()
            .map(|c| {
                let start = c * PATHS_PER_CHUNK;
                let end = (start + PATHS_PER_CHUNK).min(paths);
                self.run_chunk(start..end, seed, stream, thresholds_idr)
            })
            .collect();
        self.merge(parts, paths, thresholds_idr.len())
    }

    fn run_chunk(
        &self,
        range: std::ops::Range<usize>,
        seed: u64,
        stream: u64,
        thresholds_idr: &[u64],
    ) -> ChunkResult {
        let hours = self.window_hours as usize;
        let mut part = ChunkResult {
            outcomes: Vec::with_capacity(range.len()),
            first_passage_hours: vec![Vec::with_capacity(range.len()); thresholds_idr.len()],
            hourly_retail_idr: vec![0.0; hours],
            hourly_institutional_idr: vec![0.0; hours],
        };
        let mut passage = vec![0u16; thresholds_idr.len()];
        let mut ledger = self.new_ledger();
        for path in range {
            let mut rng = path_rng(seed, stream, path as u64);
            let outcome = self.simulate_path(
                &mut rng,
                thresholds_idr,
                &mut passage,
                &mut ledger,
                |h, r, i| {
                    part.hourly_retail_idr[h] += r as f64;
                    part.hourly_institutional_idr[h] += i as f64;
                },
            );
            part.outcomes.push(outcome);
            for (column, &hour) in part.first_passage_hours.iter_mut().zip(&passage) {
                column.push(hour);
            }
        }
        part
    }

    fn merge(&self, parts: Vec<ChunkResult>, paths: usize, thresholds: usize) -> ScenarioRun {
        let hours = self.window_hours as usize;
        let mut run = ScenarioRun {
            outcomes: Vec::with_capacity(paths),
            first_passage_hours: vec![Vec::with_capacity(paths); thresholds],
            mean_hourly_retail_idr: vec![0.0; hours],
            mean_hourly_institutional_idr: vec![0.0; hours],
        };
        for part in parts {
            run.outcomes.extend(part.outcomes);
            for (all, chunk) in run
                .first_passage_hours
                .iter_mut()
                .zip(part.first_passage_hours)
            {
                all.extend(chunk);
            }
            for h in 0..hours {
                run.mean_hourly_retail_idr[h] += part.hourly_retail_idr[h];
                run.mean_hourly_institutional_idr[h] += part.hourly_institutional_idr[h];
            }
        }
        let n = paths.max(1) as f64;
        run.mean_hourly_retail_idr.iter_mut().for_each(|x| *x /= n);
        run.mean_hourly_institutional_idr
            .iter_mut()
            .for_each(|x| *x /= n);
        run
    }
}

struct ChunkResult {
    outcomes: Vec<PathOutcome>,
    first_passage_hours: Vec<Vec<u16>>,
    hourly_retail_idr: Vec<f64>,
    hourly_institutional_idr: Vec<f64>,
}
