//! The batch engine: whole weekends of the [`WeekendProcess`] (laws in
//! [`crate::model::process`]), hour by hour from the close, in parallel over fixed chunks.
//!
//! Institutional jumps here are attributed to accounts: each arrival picks an institution
//! with probability proportional to its *remaining* balance (exact rejection sampling) and
//! withdraws a `Beta` fraction of that remaining balance, so no institution ever withdraws
//! more than it holds. Amounts are whole rupiah; cumulative retail withdrawals are capped at
//! the retail balances, so in every path each cohort's withdrawals stay within its holdings.

use rayon::prelude::*;

use crate::model::process::{CohortScale, InstitutionalLedger, PathIntensity, WeekendProcess};
use crate::model::rng::{PathRng, path_rng};

/// Paths per unit of parallel work. Fixed, so results do not depend on the thread count.
pub const PATHS_PER_CHUNK: usize = 1024;

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

/// Every path of one scenario, reduced to what the reports need.
///
/// Keeps each path's cumulative withdrawals at the end of every hour (8 bytes per path-hour:
/// 520 B per path over 65 hours), so any reserve schedule is tested hour by hour on one
/// simulation ([`crate::model::liquidity`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioRun {
    /// One outcome per path, in path order.
    pub outcomes: Vec<PathOutcome>,
    /// Hours per path in `cumulative_idr`.
    pub hours: usize,
    /// Cumulative withdrawals at the end of each hour, IDR, path-major:
    /// `cumulative_idr[path · hours + h]` covers hours `0..=h`.
    pub cumulative_idr: Vec<u64>,
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

/// The batch engine: whole weekends of the [`WeekendProcess`], from the close.
impl WeekendProcess {
    /// Simulates one weekend. `on_hour(h, retail_idr, institutional_idr)` sees each hour's
    /// withdrawals in order.
    pub fn simulate_path(
        &self,
        rng: &mut PathRng,
        ledger: &mut InstitutionalLedger,
        mut on_hour: impl FnMut(usize, u64, u64),
    ) -> PathOutcome {
        ledger.reset();
        let intensity = self.draw_intensity(rng);
        let mut next_arrival = self.next_arrival_after(rng, 0.0, &intensity);
        let mut outcome = PathOutcome::default();
        for hour in 0..self.window_hours() {
            let retail = self.draw_retail_hour(rng, hour, &intensity, outcome.retail_idr);
            let mut institutional = 0u64;
            while next_arrival < (hour + 1) as f64 {
                institutional += self.draw_jump(
                    rng,
                    ledger,
                    CohortScale::FULL,
                    outcome.institutional_idr + institutional,
                    intensity.institutional_book,
                );
                outcome.institutional_jumps += 1;
                next_arrival = self.next_arrival_after(rng, next_arrival, &intensity);
            }
            outcome.retail_idr += retail;
            outcome.institutional_idr += institutional;
            on_hour(hour as usize, retail, institutional);
        }
        outcome
    }

    /// One hour of retail flow at the path's panic multiplier and mood, capped so cumulative
    /// retail withdrawals never exceed the retail balances, IDR.
    fn draw_retail_hour(
        &self,
        rng: &mut PathRng,
        hour: u32,
        intensity: &PathIntensity,
        withdrawn_idr: u64,
    ) -> u64 {
        let mean = self.retail_hourly_mean_idr(hour, intensity.retail_panic_multiplier)
            * intensity.retail_mood;
        if mean <= 0.0 {
            return 0;
        }
        let retail = &self.laws().retail;
        let draw = retail.draw_unit_gamma(rng) * mean / retail.shape();
        (draw.floor() as u64).min(self.retail_total_idr() - withdrawn_idr)
    }

    /// Simulates `paths` weekends in parallel. Path `i` uses stream `(seed, stream, i)`,
    /// so the result is identical for any number of threads. Each chunk writes its hourly
    /// cumulative withdrawals straight into the run's buffer (no second copy).
    pub fn run(&self, paths: usize, seed: u64, stream: u64) -> ScenarioRun {
        let hours = self.window_hours() as usize;
        let mut cumulative_idr = vec![0u64; paths * hours];
        let parts: Vec<ChunkTotals> = cumulative_idr
            .par_chunks_mut((PATHS_PER_CHUNK * hours).max(1))
            .enumerate()
            .map(|(c, buffer)| {
                let start = c * PATHS_PER_CHUNK;
                let end = (start + PATHS_PER_CHUNK).min(paths);
                self.run_chunk(start..end, seed, stream, buffer)
            })
            .collect();
        self.merge(parts, paths, cumulative_idr)
    }

    /// The paths `range`, writing their hourly cumulative withdrawals into `buffer`.
    fn run_chunk(
        &self,
        range: std::ops::Range<usize>,
        seed: u64,
        stream: u64,
        buffer: &mut [u64],
    ) -> ChunkTotals {
        let hours = self.window_hours() as usize;
        let mut part = ChunkTotals {
            outcomes: Vec::with_capacity(range.len()),
            hourly_retail_idr: vec![0.0; hours],
            hourly_institutional_idr: vec![0.0; hours],
        };
        let mut ledger = self.new_ledger();
        for (path, row) in range.zip(buffer.chunks_exact_mut(hours.max(1))) {
            let mut rng = path_rng(seed, stream, path as u64);
            let mut cumulative = 0u64;
            let outcome = self.simulate_path(&mut rng, &mut ledger, |h, r, i| {
                part.hourly_retail_idr[h] += r as f64;
                part.hourly_institutional_idr[h] += i as f64;
                cumulative += r + i;
                row[h] = cumulative;
            });
            part.outcomes.push(outcome);
        }
        part
    }

    /// Concatenates the chunks' outcomes in order and turns the hourly sums into means.
    fn merge(
        &self,
        parts: Vec<ChunkTotals>,
        paths: usize,
        cumulative_idr: Vec<u64>,
    ) -> ScenarioRun {
        let hours = self.window_hours() as usize;
        let mut run = ScenarioRun {
            outcomes: Vec::with_capacity(paths),
            hours,
            cumulative_idr,
            mean_hourly_retail_idr: vec![0.0; hours],
            mean_hourly_institutional_idr: vec![0.0; hours],
        };
        for part in parts {
            run.outcomes.extend(part.outcomes);
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

/// What one chunk of paths adds up: its outcomes and its hourly sums (IDR).
struct ChunkTotals {
    outcomes: Vec<PathOutcome>,
    hourly_retail_idr: Vec<f64>,
    hourly_institutional_idr: Vec<f64>,
}
