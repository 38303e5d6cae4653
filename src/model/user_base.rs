//! Who holds the fiat: per-account balances in two cohorts, retail and institutional.
//!
//! Balances are whole rupiah (`u64`), so every later conservation check is exact.
//! A user base comes from a seeded synthetic draw (log-normal per cohort, scaled to the
//! configured totals), from a CSV of accounts, or from the two cohort totals a
//! Proof-of-Reserve report gives (then the accounts inside each cohort are synthetic).
//!
//! **Institutional concentration is a target, not a draw.** A synthetic institutional cohort
//! is calibrated to a balance-weighted effective number of institutions
//! `N_eff = (Σ b)² / Σ b²` (one over the Herfindahl index): its log-normal spread `σ` is
//! solved per draw so that `N_eff` is met. A raw `σ` left the largest desks to chance (at
//! `σ = 2.6` over 5,000 accounts `N_eff` ranges from about 12 to 120 between seeds), and the
//! severe answer with them. A synthetic base also carries `draws − 1` further institutional
//! draws (same target, other streams); each simulated weekend picks one, so results integrate
//! over the unknown ranking of balances instead of hinging on one draw. A CSV keeps its exact
//! balances and has no further draws.

use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::model::params::{Allowed, ParamError, bound, check, sums_to_one};
use crate::model::rng::path_rng;

/// The synthetic user base.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UserBaseConfig {
    /// Number of accounts holding fiat.
    pub users: u32,
    /// Total customer fiat on the platform, IDR.
    pub total_fiat_idr: u64,
    /// Seed of the synthetic balance draw.
    pub seed: u64,
    /// Synthetic institutional draws the simulations integrate over (the first is the one
    /// reported); 1 = a single draw.
    pub draws: u32,
    /// Retail accounts.
    pub retail: CohortConfig,
    /// Institutional accounts (funds, OTC desks, corporate treasuries).
    pub institutional: InstitutionalCohortConfig,
}

/// The institutional cohort: its shares and its concentration target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstitutionalCohortConfig {
    /// Share of accounts in this cohort, 0..1; the cohorts sum to 1.
    pub account_share: f64,
    /// Share of total fiat held by this cohort, 0..1; the cohorts sum to 1.
    pub balance_share: f64,
    /// Balance-weighted effective number of institutions, `(Σ b)² / Σ b²`, that every
    /// synthetic draw is calibrated to.
    pub effective_count: f64,
}

/// One cohort of the user base.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CohortConfig {
    /// Share of accounts in this cohort, 0..1; the cohorts sum to 1.
    pub account_share: f64,
    /// Share of total fiat held by this cohort, 0..1; the cohorts sum to 1.
    pub balance_share: f64,
    /// Standard deviation of ln(balance) within the cohort (log-normal shape).
    pub log_sigma: f64,
}

impl UserBaseConfig {
    /// Checks every field: cohort shares in (0, 1) summing to 1, at least one account per cohort.
    pub fn validate(&self) -> Result<(), ParamError> {
        let mut table = vec![
            bound("users", f64::from(self.users), Allowed::AtLeast(2.0)),
            bound(
                "total_fiat_idr",
                self.total_fiat_idr as f64,
                Allowed::AtLeast(1.0),
            ),
        ];
        for (name, account_share, balance_share) in [
            (
                "retail",
                self.retail.account_share,
                self.retail.balance_share,
            ),
            (
                "institutional",
                self.institutional.account_share,
                self.institutional.balance_share,
            ),
        ] {
            table.extend([
                bound(
                    format!("{name}.account_share"),
                    account_share,
                    Allowed::OpenUnit,
                ),
                bound(
                    format!("{name}.balance_share"),
                    balance_share,
                    Allowed::OpenUnit,
                ),
            ]);
        }
        table.extend([
            bound(
                "retail.log_sigma",
                self.retail.log_sigma,
                Allowed::Closed(0.0, 5.0),
            ),
            bound("draws", f64::from(self.draws), Allowed::Closed(1.0, 256.0)),
        ]);
        check(&table)?;
        let (r, i) = (&self.retail, &self.institutional);
        for (field, retail, institutional) in [
            ("account_share", r.account_share, i.account_share),
            ("balance_share", r.balance_share, i.balance_share),
        ] {
            sums_to_one(
                &format!("institutional.{field}"),
                institutional.to_string(),
                retail + institutional,
                "retail and institutional shares",
            )?;
        }
        let institutions = (f64::from(self.users) * i.account_share).round();
        if institutions < 1.0 || institutions >= f64::from(self.users) {
            return Err(ParamError::new(
                "institutional.account_share",
                i.account_share,
                "a share that leaves at least one account in each cohort",
            ));
        }
        check(&[bound(
            "institutional.effective_count",
            i.effective_count,
            Allowed::Closed(1.0, institutions),
        )])
    }
}

/// Random stream ids of the synthetic draw (distinct from scenario streams).
const RETAIL_STREAM: u64 = 0x5553_4552_0001;
const INSTITUTIONAL_STREAM: u64 = 0x5553_4552_0002;

/// The exchange's fiat holders.
#[derive(Debug, Clone, PartialEq)]
pub struct UserBase {
    /// Balance of each retail account, IDR.
    pub retail_balances_idr: Vec<u64>,
    /// Balance of each institutional account, IDR.
    pub institutional_balances_idr: Vec<u64>,
    /// Further synthetic draws of the institutional balances (same count, total and
    /// concentration target), IDR; empty for real accounts. Simulations pick one draw
    /// (`institutional_balances_idr` or one of these) per weekend.
    pub institutional_redraws_idr: Vec<Vec<u64>>,
}

/// A user base that could not be built.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum UserBaseError {
    /// A CSV line was malformed.
    #[error("line {line}: field `{field}`: {reason}")]
    Csv {
        /// 1-based line number in the file (the header is line 1).
        line: usize,
        /// Column name.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The data describe no fiat, or a cohort with no account.
    #[error("user base unusable: {0}")]
    Unusable(String),
}

/// How concentrated the balances are.
#[derive(Debug, Clone, Serialize)]
pub struct Concentration {
    /// Number of accounts.
    pub accounts: usize,
    /// Number of retail accounts.
    pub retail_accounts: usize,
    /// Number of institutional accounts.
    pub institutional_accounts: usize,
    /// Total fiat, IDR.
    pub total_fiat_idr: u64,
    /// Retail cohort's fiat, IDR.
    pub retail_idr: u64,
    /// Institutional cohort's fiat, IDR.
    pub institutional_idr: u64,
    /// Institutional share of total fiat.
    pub institutional_balance_share: f64,
    /// Gini coefficient of all balances: `G = 2 Σ i x_(i) / (n Σ x) − (n + 1) / n`.
    pub gini: f64,
    /// Share of fiat held by the largest 1% of accounts.
    pub top_1pct_share: f64,
    /// Balance-weighted effective number of institutions, `(Σ b)² / Σ b²`, of the reported
    /// draw.
    pub institutional_effective_count: f64,
    /// Institutional draws the simulations integrate over (1 for real accounts).
    pub institutional_draws: usize,
    /// Points of the Lorenz curve (share of fiat held by the poorest share of accounts).
    pub lorenz: Vec<LorenzPoint>,
}

/// One point of a Lorenz curve.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct LorenzPoint {
    /// Share of accounts, poorest first.
    pub population_share: f64,
    /// Share of fiat they hold.
    pub balance_share: f64,
}

impl UserBase {
    /// Draws the synthetic user base described by `config`.
    pub fn synthetic(config: &UserBaseConfig) -> Self {
        let institutions =
            (config.users as f64 * config.institutional.account_share).round() as usize;
        let retail = config.users as usize - institutions;
        let institutional_idr =
            (config.total_fiat_idr as f64 * config.institutional.balance_share).round() as u64;
        let retail_idr = config.total_fiat_idr - institutional_idr;
        Self::from_shape(config, retail, retail_idr, institutions, institutional_idr)
    }

    /// Builds a user base from the two cohort totals of a Proof-of-Reserve report; the
    /// accounts inside each cohort follow the configured counts and log-normal shapes.
    pub fn from_cohort_totals(
        config: &UserBaseConfig,
        retail_idr: u64,
        institutional_idr: u64,
    ) -> Result<Self, UserBaseError> {
        if retail_idr == 0 || institutional_idr == 0 {
            return Err(UserBaseError::Unusable(format!(
                "both cohort totals must be positive (retail {retail_idr} IDR, institutional {institutional_idr} IDR)"
            )));
        }
        let institutions =
            (config.users as f64 * config.institutional.account_share).round() as usize;
        let retail = config.users as usize - institutions;
        Ok(Self::from_shape(
            config,
            retail,
            retail_idr,
            institutions,
            institutional_idr,
        ))
    }

    fn from_shape(
        config: &UserBaseConfig,
        retail_accounts: usize,
        retail_idr: u64,
        institutional_accounts: usize,
        institutional_idr: u64,
    ) -> Self {
        let retail_weights = log_normal_weights(
            config.seed,
            RETAIL_STREAM,
            retail_accounts,
            config.retail.log_sigma,
        );
        let mut books = (0..u64::from(config.draws.max(1)))
            .into_par_iter()
            .map(|draw| {
                let weights = calibrated_weights(
                    config.seed,
                    draw,
                    institutional_accounts,
                    config.institutional.effective_count,
                );
                apportion(&weights, institutional_idr)
            })
            .collect::<Vec<_>>()
            .into_iter();
        Self {
            retail_balances_idr: apportion(&retail_weights, retail_idr),
            institutional_balances_idr: books.next().unwrap_or_default(),
            institutional_redraws_idr: books.collect(),
        }
    }

    /// Every institutional draw: the reported one first, then the further draws.
    pub fn institutional_draws_idr(&self) -> impl Iterator<Item = &[u64]> {
        std::iter::once(self.institutional_balances_idr.as_slice())
            .chain(self.institutional_redraws_idr.iter().map(Vec::as_slice))
    }

    /// Parses `account_id,cohort,balance_idr` (with that header). Every bad row is an
    /// error naming its line and field; duplicate account ids are refused.
    pub fn from_csv(text: &str) -> Result<Self, UserBaseError> {
        let mut lines = text.lines().enumerate();
        let header = lines.next().map(|(_, l)| l.trim()).unwrap_or("");
        if header.replace(' ', "") != "account_id,cohort,balance_idr" {
            return Err(UserBaseError::Csv {
                line: 1,
                field: "header",
                reason: format!("expected `account_id,cohort,balance_idr`, found `{header}`"),
            });
        }
        let mut seen = std::collections::HashSet::new();
        let mut base = UserBase {
            retail_balances_idr: Vec::new(),
            institutional_balances_idr: Vec::new(),
            institutional_redraws_idr: Vec::new(),
        };
        for (index, raw) in lines {
            let line = index + 1;
            if raw.trim().is_empty() {
                continue;
            }
            let fields: Vec<&str> = raw.split(',').map(str::trim).collect();
            if fields.len() != 3 {
                return Err(UserBaseError::Csv {
                    line,
                    field: "row",
                    reason: format!("expected 3 fields, found {}", fields.len()),
                });
            }
            let csv_error = |field, reason: String| UserBaseError::Csv {
                line,
                field,
                reason,
            };
            let id = fields[0];
            if id.is_empty() {
                return Err(csv_error("account_id", "empty".into()));
            }
            if !seen.insert(id.to_owned()) {
                return Err(csv_error("account_id", format!("duplicate account `{id}`")));
            }
            let balance = parse_balance_idr(fields[2]).map_err(|r| csv_error("balance_idr", r))?;
            match fields[1].to_ascii_lowercase().as_str() {
                "retail" => base.retail_balances_idr.push(balance),
                "institutional" => base.institutional_balances_idr.push(balance),
                other => {
                    return Err(csv_error(
                        "cohort",
                        format!("`{other}` is neither `retail` nor `institutional`"),
                    ));
                }
            }
        }
        if base.retail_total_idr() == 0 || base.institutional_total_idr() == 0 {
            return Err(UserBaseError::Unusable(
                "each cohort needs at least one account with a positive balance".into(),
            ));
        }
        Ok(base)
    }

    /// Retail cohort's fiat, IDR.
    pub fn retail_total_idr(&self) -> u64 {
        self.retail_balances_idr.iter().sum()
    }

    /// Institutional cohort's fiat, IDR.
    pub fn institutional_total_idr(&self) -> u64 {
        self.institutional_balances_idr.iter().sum()
    }

    /// All customer fiat, IDR.
    pub fn total_fiat_idr(&self) -> u64 {
        self.retail_total_idr() + self.institutional_total_idr()
    }

    /// Gini, top-1% share and Lorenz points of all balances.
    pub fn concentration(&self) -> Concentration {
        let mut all: Vec<u64> = self
            .retail_balances_idr
            .iter()
            .chain(&self.institutional_balances_idr)
            .copied()
            .collect();
        all.sort_unstable();
        let total = self.total_fiat_idr();
        Concentration {
            accounts: all.len(),
            retail_accounts: self.retail_balances_idr.len(),
            institutional_accounts: self.institutional_balances_idr.len(),
            total_fiat_idr: total,
            retail_idr: self.retail_total_idr(),
            institutional_idr: self.institutional_total_idr(),
            institutional_balance_share: self.institutional_total_idr() as f64 / total as f64,
            gini: gini(&all),
            top_1pct_share: top_share(&all, 0.01),
            institutional_effective_count: effective_count(&self.institutional_balances_idr),
            institutional_draws: 1 + self.institutional_redraws_idr.len(),
            lorenz: lorenz_points(&all),
        }
    }
}

fn parse_balance_idr(text: &str) -> Result<u64, String> {
    let value: f64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number"))?;
    if !value.is_finite() || value < 0.0 {
        return Err(format!("`{text}` must be a finite, non-negative amount"));
    }
    if value >= u64::MAX as f64 / 4.0 {
        return Err(format!("`{text}` is too large"));
    }
    Ok(value.round() as u64)
}

/// `n` seeded log-normal weights with median 1 and log-standard-deviation `sigma`:
/// `exp(σ·z)`, `z ~ N(0, 1)` (the same draws as `LogNormal(0, σ)`, with no fallible
/// constructor).
fn log_normal_weights(seed: u64, stream: u64, n: usize, sigma: f64) -> Vec<f64> {
    let mut rng = path_rng(seed, stream, 0);
    (0..n)
        .map(|_| {
            let z: f64 = StandardNormal.sample(&mut rng);
            (0.0 + sigma * z).exp()
        })
        .collect()
}

/// The balance-weighted effective number of holders, `(Σ b)² / Σ b²` (0 for no balance).
pub fn effective_count(balances_idr: &[u64]) -> f64 {
    let (sum, squares) = balances_idr.iter().fold((0.0, 0.0), |(s, q), &b| {
        let b = b as f64;
        (s + b, q + b * b)
    });
    if squares > 0.0 {
        sum * sum / squares
    } else {
        0.0
    }
}

/// Most steps of the spread calibration.
const CALIBRATION_STEPS: usize = 100;
/// Tolerance on `ln N_eff` at which the calibration stops.
const CALIBRATION_TOLERANCE: f64 = 1e-10;
/// Largest log-normal spread the calibration tries.
const MAX_LOG_SIGMA: f64 = 20.0;

/// `ln N_eff(σ)` and its derivative for weights `exp(σ y_i)`: with `S₁ = Σ e^{σy}` and
/// `S₂ = Σ e^{2σy}`, `ln N_eff = 2 ln S₁ − ln S₂` and
/// `d/dσ = 2 Σ y e^{σy} / S₁ − 2 Σ y e^{2σy} / S₂` (≤ 0: more spread, fewer holders).
fn log_effective_count(y: &[f64], sigma: f64) -> (f64, f64) {
    let (mut s1, mut d1, mut s2, mut d2) = (0.0, 0.0, 0.0, 0.0);
    for &x in y {
        let w = (sigma * x).exp();
        s1 += w;
        d1 += x * w;
        s2 += w * w;
        d2 += x * w * w;
    }
    (2.0 * s1.ln() - s2.ln(), 2.0 * d1 / s1 - 2.0 * d2 / s2)
}

/// `n` log-normal weights `exp(σ z_i)` of institutional draw `draw` (`z ~ N(0, 1)` from stream
/// `(seed, INSTITUTIONAL_STREAM, draw)`), with `σ` solved so that `(Σ w)² / Σ w² = target`
/// (it falls from `n` at `σ = 0` as `σ` grows): Newton steps on `ln N_eff`, kept inside a
/// shrinking bracket (bisection when a step would leave it).
fn calibrated_weights(seed: u64, draw: u64, n: usize, target: f64) -> Vec<f64> {
    let mut rng = path_rng(seed, INSTITUTIONAL_STREAM, draw);
    let z: Vec<f64> = (0..n).map(|_| StandardNormal.sample(&mut rng)).collect();
    let z_max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let y: Vec<f64> = z.iter().map(|&x| x - z_max).collect();
    let goal = target.ln();
    let (mut low, mut high) = (0.0, MAX_LOG_SIGMA);
    let mut sigma = 1.0;
    for _ in 0..CALIBRATION_STEPS {
        let (value, slope) = log_effective_count(&y, sigma);
        let gap = value - goal;
        if gap.abs() <= CALIBRATION_TOLERANCE {
            break;
        }
        if gap > 0.0 {
            low = sigma;
        } else {
            high = sigma;
        }
        let newton = sigma - gap / slope;
        sigma = if slope < 0.0 && newton > low && newton < high {
            newton
        } else {
            0.5 * (low + high)
        };
    }
    y.iter().map(|&x| (sigma * x).exp()).collect()
}

/// Splits `total` whole units in proportion to `weights` (largest-remainder rounding),
/// so the parts sum to exactly `total`.
pub fn apportion(weights: &[f64], total: u64) -> Vec<u64> {
    if weights.is_empty() {
        return Vec::new();
    }
    let weight_sum: f64 = weights.iter().sum();
    let exact: Vec<f64> = weights
        .iter()
        .map(|w| w / weight_sum * total as f64)
        .collect();
    let mut parts: Vec<u64> = exact.iter().map(|x| x.floor() as u64).collect();
    let assigned: u64 = parts.iter().sum();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| (exact[b] - exact[b].floor()).total_cmp(&(exact[a] - exact[a].floor())));
    let mut missing = total.saturating_sub(assigned);
    for &i in order.iter().cycle() {
        if missing == 0 {
            break;
        }
        parts[i] += 1;
        missing -= 1;
    }
    parts
}

/// Gini coefficient of ascending-sorted amounts.
pub fn gini(sorted: &[u64]) -> f64 {
    let n = sorted.len() as f64;
    let total: f64 = sorted.iter().map(|&x| x as f64).sum();
    if total == 0.0 {
        return 0.0;
    }
    let weighted: f64 = sorted
        .iter()
        .enumerate()
        .map(|(i, &x)| (i as f64 + 1.0) * x as f64)
        .sum();
    2.0 * weighted / (n * total) - (n + 1.0) / n
}

/// Share held by the largest `fraction` of ascending-sorted amounts.
pub fn top_share(sorted: &[u64], fraction: f64) -> f64 {
    let k = ((sorted.len() as f64 * fraction).ceil() as usize).max(1);
    let total: u64 = sorted.iter().sum();
    let top: u64 = sorted[sorted.len() - k..].iter().sum();
    top as f64 / total as f64
}

fn lorenz_points(sorted: &[u64]) -> Vec<LorenzPoint> {
    let total: f64 = sorted.iter().map(|&x| x as f64).sum();
    let mut cumulative = Vec::with_capacity(sorted.len() + 1);
    let mut running = 0u64;
    cumulative.push(0u64);
    for &x in sorted {
        running += x;
        cumulative.push(running);
    }
    [
        0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0,
    ]
    .into_iter()
    .map(|p| {
        let k = (p * sorted.len() as f64).round() as usize;
        LorenzPoint {
            population_share: p,
            balance_share: cumulative[k] as f64 / total,
        }
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_base_hits_its_totals_exactly() {
        let config = UserBaseConfig::default();
        let base = UserBase::synthetic(&config);
        assert_eq!(base.total_fiat_idr(), config.total_fiat_idr);
        assert_eq!(base.institutional_balances_idr.len(), 5_000);
        assert_eq!(base.retail_balances_idr.len(), 95_000);
        let share = base.institutional_total_idr() as f64 / base.total_fiat_idr() as f64;
        assert!((share - 0.65).abs() < 1e-9, "institutional share {share}");
    }

    #[test]
    fn every_institutional_draw_meets_the_concentration_target_and_the_total() {
        let config = UserBaseConfig::default();
        let base = UserBase::synthetic(&config);
        let draws: Vec<&[u64]> = base.institutional_draws_idr().collect();
        assert_eq!(draws.len(), config.draws as usize);
        let total = base.institutional_total_idr();
        for draw in &draws {
            assert_eq!(draw.iter().sum::<u64>(), total);
            assert_eq!(draw.len(), 5_000);
            // Rounding to whole rupiah moves N_eff by far less than 1e-6 of it.
            let n_eff = effective_count(draw);
            assert!(
                (n_eff / config.institutional.effective_count - 1.0).abs() < 1e-6,
                "{n_eff}"
            );
        }
        assert_ne!(draws[0], draws[1], "the draws differ in who holds what");
    }

    #[test]
    fn effective_count_of_known_books() {
        assert_eq!(effective_count(&[7, 7, 7, 7]), 4.0);
        assert_eq!(effective_count(&[0, 0, 9]), 1.0);
        // (1 + 3)² / (1 + 9) = 1.6.
        assert!((effective_count(&[1, 3]) - 1.6).abs() < 1e-12);
    }

    #[test]
    fn real_accounts_keep_their_balances_and_have_no_further_draws() {
        let base =
            UserBase::from_csv("account_id,cohort,balance_idr\na,retail,10\nb,institutional,30\n")
                .unwrap();
        assert_eq!(base.institutional_balances_idr, vec![30]);
        assert!(base.institutional_redraws_idr.is_empty());
    }

    #[test]
    fn gini_of_known_series() {
        assert_eq!(gini(&[5, 5, 5, 5]), 0.0);
        // One holder of everything among n: G = (n - 1) / n.
        assert!((gini(&[0, 0, 0, 10]) - 0.75).abs() < 1e-12);
    }

    #[test]
    fn apportion_preserves_the_total() {
        let parts = apportion(&[1.0, 1.0, 1.0], 100);
        assert_eq!(parts.iter().sum::<u64>(), 100);
        assert!(parts.iter().all(|&p| p == 33 || p == 34));
    }
}
