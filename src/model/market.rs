//! Daily market history of BTC, ETH and an ALT basket: a regime-switching generator and a
//! loader for real closes.
//!
//! **Generator.** A Markov chain over three regimes (normal, stressed, crisis) with the
//! configured daily transition matrix `P` picks each day's regime; the chain starts from its
//! stationary distribution `π` (`π P = π`, `Σ π = 1`), so regime shares follow from `P` and
//! are never hard-coded. Given the regime `k`, the day's log-returns are
//! `r = μ_k + σ_k ⊙ (L_k z)`, `z ~ N(0, I₃)`, where `L_k` is the Cholesky factor of the
//! regime's correlation matrix (`L_k L_kᵀ = R_k`), so `Corr(r) = R_k` and `Sd(r_a) = σ_{k,a}`.
//!
//! **Prices** are `P_t = P_0 · exp(Σ_{s ≤ t} r_s)` (log-returns add; `Π(1 + r)` would be
//! wrong for log-returns). Days are calendar days: crypto trades every day, weekends included.
//!
//! **CSV.** Real closes `date,btc,eth,alt` (ISO dates, consecutive calendar days, positive
//! prices); each bad row is refused with its line number and field.

use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use crate::model::params::{Allowed, Bound, ParamError, bound, check, sums_to_one};
use crate::model::rng::path_rng;

/// A shock per asset: simple returns in (−1, 1].
pub fn shock_bounds(field: &str, shock: [f64; ASSETS]) -> Vec<Bound> {
    shock
        .iter()
        .enumerate()
        .map(|(a, &s)| bound(format!("{field}[{a}]"), s, Allowed::SimpleReturn))
        .collect()
}

/// Number of assets in the crypto book: BTC, ETH and an ALT basket.
pub const ASSETS: usize = 3;

/// Asset names in the order of every per-asset array.
pub const ASSET_NAMES: [&str; ASSETS] = ["btc", "eth", "alt"];

/// Number of market regimes: normal, stressed, crisis.
pub const REGIMES: usize = 3;

/// The four stress scenarios of the balance sheet and the insurance fund.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StressScenario {
    /// A baseline weekend.
    Normal,
    /// A 20–30% crypto drawdown with mild withdrawal stress.
    Mild,
    /// A loss of confidence (FTX-style).
    Severe,
    /// A LUNA-style collapse: the ALT basket near zero, severe withdrawals.
    Luna,
}

impl StressScenario {
    /// All four, mildest first.
    pub const ALL: [StressScenario; 4] = [Self::Normal, Self::Mild, Self::Severe, Self::Luna];

    /// Lower-case name as used in JSON and tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Normal => "normal",
            Self::Mild => "mild",
            Self::Severe => "severe",
            Self::Luna => "luna",
        }
    }

    /// A stable number per scenario for its random streams (distinct from the withdrawal streams).
    pub fn stream_id(self) -> u64 {
        match self {
            Self::Normal => 101,
            Self::Mild => 102,
            Self::Severe => 103,
            Self::Luna => 104,
        }
    }
}

impl std::fmt::Display for StressScenario {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// One market regime's daily log-return law.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegimeConfig {
    /// Mean daily log-return per asset, per day.
    pub drift_per_day: [f64; ASSETS],
    /// Standard deviation of the daily log-return per asset, per day.
    pub vol_per_day: [f64; ASSETS],
    /// Correlation matrix of the daily log-returns (symmetric, unit diagonal, positive definite).
    pub correlation: [[f64; ASSETS]; ASSETS],
}

/// The market history and the exchange's crypto book.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MarketConfig {
    /// Calendar days of synthetic history (crypto trades every day).
    pub days: u32,
    /// Seed of the synthetic history.
    pub seed: u64,
    /// Path of a real price CSV `date,btc,eth,alt` (daily closes); empty = synthetic history.
    pub prices_csv: String,
    /// Daily regime transition matrix, rows = today's regime (normal, stressed, crisis),
    /// columns = tomorrow's; each row sums to 1.
    pub transition: [[f64; REGIMES]; REGIMES],
    /// Return law in the normal regime.
    pub normal: RegimeConfig,
    /// Return law in the stressed regime.
    pub stressed: RegimeConfig,
    /// Return law in the crisis regime.
    pub crisis: RegimeConfig,
    /// The exchange's own crypto holdings per asset, IDR at today's marks.
    pub holdings_idr: [u64; ASSETS],
    /// Days of history behind historical simulation and filtered historical simulation.
    pub lookback_days: u32,
    /// RiskMetrics decay factor λ of the EWMA variance.
    pub ewma_lambda: f64,
    /// Length of the stressed-VaR window, days (Basel 2.5: a 12-month period of stress). The
    /// history must hold `lookback_days + stressed_window_days` daily returns.
    pub stressed_window_days: u32,
    /// Mild parametric shock, simple return per asset over the weekend.
    pub mild_shock_return: [f64; ASSETS],
    /// Severe parametric shock, simple return per asset.
    pub severe_shock_return: [f64; ASSETS],
    /// LUNA-style parametric shock, simple return per asset.
    pub luna_shock_return: [f64; ASSETS],
}

/// The regime chain's derived laws: where it starts and how each regime correlates returns.
#[derive(Debug, Clone, Copy, PartialEq)]
struct RegimeLaws {
    /// The chain's stationary distribution (its starting law).
    stationary: [f64; REGIMES],
    /// Lower Cholesky factor of each regime's correlation matrix.
    factors: [[[f64; ASSETS]; ASSETS]; REGIMES],
}

impl MarketConfig {
    /// Checks every field: ranges, transition rows summing to 1, an irreducible chain and
    /// positive-definite correlations.
    pub fn validate(&self) -> Result<(), ParamError> {
        check(&self.bounds())?;
        for (i, row) in self.transition.iter().enumerate() {
            let sum: f64 = row.iter().sum();
            sums_to_one(
                &format!("transition[{i}]"),
                format!("{row:?}"),
                sum,
                "a row of probabilities",
            )?;
        }
        self.regime_laws().map(|_| ())
    }

    /// The allowed range of every numeric field.
    fn bounds(&self) -> Vec<Bound> {
        let lookback = f64::from(self.lookback_days);
        let mut table = vec![
            bound("lookback_days", lookback, Allowed::Closed(20.0, 10_000.0)),
            bound(
                "stressed_window_days",
                f64::from(self.stressed_window_days),
                Allowed::Closed(100.0, 10_000.0),
            ),
            bound(
                "days",
                f64::from(self.days),
                Allowed::Closed(self.required_history_days() as f64, 100_000.0),
            ),
        ];
        for (i, row) in self.transition.iter().enumerate() {
            for (j, &p) in row.iter().enumerate() {
                table.push(bound(
                    format!("transition[{i}][{j}]"),
                    p,
                    Allowed::Closed(0.0, 1.0),
                ));
            }
        }
        for (k, name) in REGIME_NAMES.into_iter().enumerate() {
            let r = self.regime(k);
            for a in 0..ASSETS {
                table.extend([
                    bound(
                        format!("{name}.drift_per_day[{a}]"),
                        r.drift_per_day[a],
                        Allowed::Closed(-0.5, 0.5),
                    ),
                    bound(
                        format!("{name}.vol_per_day[{a}]"),
                        r.vol_per_day[a],
                        Allowed::Closed(0.0, 2.0),
                    ),
                ]);
            }
        }
        for (a, &h) in self.holdings_idr.iter().enumerate() {
            table.push(bound(
                format!("holdings_idr[{a}]"),
                h as f64,
                Allowed::Closed(0.0, 1e16),
            ));
        }
        table.push(bound("ewma_lambda", self.ewma_lambda, Allowed::OpenUnit));
        for (name, shock) in [
            ("mild", self.mild_shock_return),
            ("severe", self.severe_shock_return),
            ("luna", self.luna_shock_return),
        ] {
            table.extend(shock_bounds(&format!("{name}_shock_return"), shock));
        }
        table
    }

    /// The stationary law of the chain and the Cholesky factor of every regime.
    fn regime_laws(&self) -> Result<RegimeLaws, ParamError> {
        let stationary = stationary_distribution(&self.transition).ok_or_else(|| {
            ParamError::new(
                "transition",
                format!("{:?}", self.transition),
                "an irreducible chain with a unique stationary distribution",
            )
        })?;
        let mut factors = [[[0.0; ASSETS]; ASSETS]; REGIMES];
        for (k, name) in REGIME_NAMES.into_iter().enumerate() {
            let correlation = &self.regime(k).correlation;
            factors[k] = cholesky(correlation).ok_or_else(|| {
                ParamError::new(
                    format!("{name}.correlation"),
                    format!("{correlation:?}"),
                    "a symmetric, positive-definite matrix with unit diagonal",
                )
            })?;
        }
        Ok(RegimeLaws {
            stationary,
            factors,
        })
    }

    /// The return law of regime `k` (0 normal, 1 stressed, 2 crisis).
    pub fn regime(&self, k: usize) -> &RegimeConfig {
        match k {
            0 => &self.normal,
            1 => &self.stressed,
            _ => &self.crisis,
        }
    }

    /// The parametric shock of a scenario, simple return per asset (none for `normal`).
    pub fn shock_return(&self, scenario: StressScenario) -> Option<[f64; ASSETS]> {
        match scenario {
            StressScenario::Normal => None,
            StressScenario::Mild => Some(self.mild_shock_return),
            StressScenario::Severe => Some(self.severe_shock_return),
            StressScenario::Luna => Some(self.luna_shock_return),
        }
    }

    /// Daily returns the VaR suite needs: the regular history (`lookback_days`) plus a stressed
    /// period (`stressed_window_days`), `lookback_days + stressed_window_days`.
    pub fn required_history_days(&self) -> usize {
        self.lookback_days as usize + self.stressed_window_days as usize
    }

    /// Refuses a history of `days` daily returns shorter than [`Self::required_history_days`].
    pub fn check_history_days(&self, days: usize) -> Result<(), HistoryTooShort> {
        let needed = self.required_history_days();
        if days >= needed {
            return Ok(());
        }
        Err(HistoryTooShort {
            days,
            needed,
            lookback_days: self.lookback_days,
            stressed_window_days: self.stressed_window_days,
        })
    }

    /// Total crypto book, IDR.
    pub fn book_idr(&self) -> f64 {
        self.holdings_idr.iter().map(|&h| h as f64).sum()
    }
}

/// Stream id of the synthetic market history.
const MARKET_STREAM: u64 = 0x4D41_524B;

/// Smallest number of price rows a CSV must have (two returns).
pub const MIN_PRICE_ROWS: usize = 3;

/// Regime names, in the order of the transition matrix.
pub const REGIME_NAMES: [&str; REGIMES] = ["normal", "stressed", "crisis"];

/// Why a price CSV was refused.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PriceCsvError {
    /// A row was malformed.
    #[error("line {line}: field `{field}`: {reason}")]
    Row {
        /// 1-based line number (the header is line 1).
        line: usize,
        /// The offending column.
        field: &'static str,
        /// What was wrong.
        reason: String,
    },
    /// The file as a whole cannot be used.
    #[error("price CSV unusable: {0}")]
    Unusable(String),
}

/// A market history too short for the VaR suite: it needs the regular history and, beside it,
/// a stressed period.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "market history too short: {days} daily returns, the VaR suite needs {needed} \
     (market.lookback_days = {lookback_days} plus market.stressed_window_days = \
     {stressed_window_days}); {} days short",
    needed - days
)]
pub struct HistoryTooShort {
    /// Daily returns in the history.
    pub days: usize,
    /// Daily returns needed, `lookback_days + stressed_window_days`.
    pub needed: usize,
    /// The regular history behind HS and FHS, days.
    pub lookback_days: u32,
    /// The stressed window, days.
    pub stressed_window_days: u32,
}

/// Where a history came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HistorySource {
    /// The regime-switching generator.
    Synthetic,
    /// A price CSV.
    Csv,
}

/// Daily log-returns of the three assets, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct MarketHistory {
    /// Where it came from.
    pub source: HistorySource,
    /// `returns[t][a]`: log-return of asset `a` on day `t`, per day.
    pub returns: Vec<[f64; ASSETS]>,
    /// Regime of each day (synthetic histories only).
    pub regimes: Option<Vec<u8>>,
    /// First and last date of a CSV history.
    pub dates: Option<(String, String)>,
}

/// The regime chain as reported.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RegimeSummary {
    /// Stationary distribution of the transition matrix (normal, stressed, crisis).
    pub stationary_share: [f64; REGIMES],
    /// Share of days spent in each regime in the generated history.
    pub realised_share: [f64; REGIMES],
    /// Expected length of a spell in each regime, `1 / (1 − P_kk)`, days.
    pub expected_spell_days: [f64; REGIMES],
}

/// The stationary distribution `π` of a row-stochastic matrix: `π P = π`, `Σ π = 1`.
///
/// Solved exactly as the linear system `(Pᵀ − I) π = 0` with the last equation replaced by
/// `Σ π = 1`, by Gaussian elimination with partial pivoting. `None` when the system is
/// singular (no unique stationary distribution, e.g. a reducible chain).
pub fn stationary_distribution<const N: usize>(p: &[[f64; N]; N]) -> Option<[f64; N]> {
    let mut a = [[0.0; N]; N];
    let mut b = [0.0; N];
    for (i, row) in a.iter_mut().enumerate() {
        for (j, cell) in row.iter_mut().enumerate() {
            *cell = p[j][i] - if i == j { 1.0 } else { 0.0 };
        }
    }
    a[N - 1] = [1.0; N];
    b[N - 1] = 1.0;
    for col in 0..N {
        let pivot = (col..N).max_by(|&x, &y| a[x][col].abs().total_cmp(&a[y][col].abs()))?;
        if a[pivot][col].abs() < 1e-12 {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        for row in 0..N {
            if row != col {
                let pivot_row = a[col];
                let factor = a[row][col] / pivot_row[col];
                for (x, p) in a[row][col..].iter_mut().zip(&pivot_row[col..]) {
                    *x -= factor * p;
                }
                b[row] -= factor * b[col];
            }
        }
    }
    let mut pi = [0.0; N];
    for i in 0..N {
        pi[i] = b[i] / a[i][i];
        if !(pi[i].is_finite() && pi[i] >= -1e-12) {
            return None;
        }
        pi[i] = pi[i].max(0.0);
    }
    Some(pi)
}

/// Lower-triangular Cholesky factor `L` of a correlation matrix (`L Lᵀ = R`); `None` unless
/// `R` is symmetric, has a unit diagonal and is positive definite.
pub fn cholesky(r: &[[f64; ASSETS]; ASSETS]) -> Option<[[f64; ASSETS]; ASSETS]> {
    let well_formed = r.iter().enumerate().all(|(i, row)| {
        row.iter().all(|x| x.is_finite())
            && (row[i] - 1.0).abs() <= 1e-9
            && row
                .iter()
                .enumerate()
                .all(|(j, &x)| x.abs() <= 1.0 && (x - r[j][i]).abs() <= 1e-9)
    });
    if !well_formed {
        return None;
    }
    let mut l = [[0.0; ASSETS]; ASSETS];
    for i in 0..ASSETS {
        for j in 0..=i {
            let s: f64 = (0..j).map(|k| l[i][k] * l[j][k]).sum();
            if i == j {
                let d = r[i][i] - s;
                if d <= 1e-12 {
                    return None;
                }
                l[i][i] = d.sqrt();
            } else {
                l[i][j] = (r[i][j] - s) / l[j][j];
            }
        }
    }
    Some(l)
}

impl MarketHistory {
    /// The synthetic history of `config.days` calendar days, reproducible from `config.seed`;
    /// refused when the chain has no unique stationary law or a correlation is not positive
    /// definite.
    pub fn synthetic(config: &MarketConfig) -> Result<Self, ParamError> {
        let days = config.days as usize;
        let RegimeLaws {
            stationary: pi,
            factors,
        } = config.regime_laws()?;
        let mut rng = path_rng(config.seed, MARKET_STREAM, 0);
        let mut regime = draw_index(&pi, rand::RngExt::random::<f64>(&mut rng));
        let mut returns = Vec::with_capacity(days);
        let mut regimes = Vec::with_capacity(days);
        for day in 0..days {
            if day > 0 {
                let u = rand::RngExt::random::<f64>(&mut rng);
                regime = draw_index(&config.transition[regime], u);
            }
            let law = config.regime(regime);
            let z: [f64; ASSETS] = std::array::from_fn(|_| StandardNormal.sample(&mut rng));
            let l = &factors[regime];
            let r = std::array::from_fn(|a| {
                let correlated: f64 = (0..=a).map(|k| l[a][k] * z[k]).sum();
                law.drift_per_day[a] + law.vol_per_day[a] * correlated
            });
            returns.push(r);
            regimes.push(regime as u8);
        }
        Ok(Self {
            source: HistorySource::Synthetic,
            returns,
            regimes: Some(regimes),
            dates: None,
        })
    }

    /// Parses daily closes `date,btc,eth,alt` into log-returns `ln(P_t / P_{t−1})`.
    pub fn from_price_csv(text: &str) -> Result<Self, PriceCsvError> {
        let mut lines = text.lines().enumerate();
        let header = lines.next().map(|(_, l)| l.trim()).unwrap_or("");
        let columns: Vec<String> = header
            .split(',')
            .map(|c| c.trim().to_ascii_lowercase())
            .collect();
        if columns != ["date", "btc", "eth", "alt"] {
            return Err(PriceCsvError::Row {
                line: 1,
                field: "header",
                reason: format!("expected `date,btc,eth,alt`, got `{header}`"),
            });
        }
        let mut rows: Vec<(i64, [f64; ASSETS])> = Vec::new();
        let mut first_date = String::new();
        let mut last_date = String::new();
        for (index, raw) in lines {
            let line = index + 1;
            if raw.trim().is_empty() {
                continue;
            }
            let fields: Vec<&str> = raw.split(',').map(str::trim).collect();
            if fields.len() != 4 {
                return Err(PriceCsvError::Row {
                    line,
                    field: "row",
                    reason: format!("expected 4 fields, got {}", fields.len()),
                });
            }
            let day = parse_iso_date(fields[0]).ok_or_else(|| PriceCsvError::Row {
                line,
                field: "date",
                reason: format!("`{}` is not a date YYYY-MM-DD", fields[0]),
            })?;
            if rows
                .last()
                .is_some_and(|&(previous, _)| day != previous + 1)
            {
                return Err(PriceCsvError::Row {
                    line,
                    field: "date",
                    reason: format!(
                        "`{}` does not follow `{last_date}` by one calendar day \
                         (crypto trades every day; rows must be consecutive and ascending)",
                        fields[0]
                    ),
                });
            }
            let mut prices = [0.0; ASSETS];
            for (a, name) in ["btc", "eth", "alt"].into_iter().enumerate() {
                prices[a] = parse_price(fields[a + 1]).map_err(|reason| PriceCsvError::Row {
                    line,
                    field: name,
                    reason,
                })?;
            }
            if rows.is_empty() {
                first_date = fields[0].to_owned();
            }
            last_date = fields[0].to_owned();
            rows.push((day, prices));
        }
        if rows.len() < MIN_PRICE_ROWS {
            return Err(PriceCsvError::Unusable(format!(
                "{} price rows; at least {MIN_PRICE_ROWS} are needed",
                rows.len()
            )));
        }
        let returns = rows
            .windows(2)
            .map(|w| std::array::from_fn(|a| (w[1].1[a] / w[0].1[a]).ln()))
            .collect();
        Ok(Self {
            source: HistorySource::Csv,
            returns,
            regimes: None,
            dates: Some((first_date, last_date)),
        })
    }

    /// Number of daily returns.
    pub fn days(&self) -> usize {
        self.returns.len()
    }

    /// Price paths `P_t = exp(Σ_{s ≤ t} r_s)` per asset, starting from 1 on the day before the
    /// first return; `t` runs over `0..=days`.
    pub fn price_index(&self) -> Vec<[f64; ASSETS]> {
        let mut level = [0.0; ASSETS];
        let mut out = Vec::with_capacity(self.returns.len() + 1);
        out.push([1.0; ASSETS]);
        for r in &self.returns {
            for a in 0..ASSETS {
                level[a] += r[a];
            }
            out.push(level.map(f64::exp));
        }
        out
    }

    /// The regime chain of a synthetic history, `None` for a CSV history.
    pub fn regime_summary(&self, config: &MarketConfig) -> Option<RegimeSummary> {
        let regimes = self.regimes.as_ref()?;
        let stationary_share = stationary_distribution(&config.transition)?;
        let mut counts = [0usize; REGIMES];
        for &k in regimes {
            counts[k as usize] += 1;
        }
        let n = regimes.len().max(1) as f64;
        Some(RegimeSummary {
            stationary_share,
            realised_share: counts.map(|c| c as f64 / n),
            expected_spell_days: std::array::from_fn(|k| {
                1.0 / (1.0 - config.transition[k][k]).max(f64::MIN_POSITIVE)
            }),
        })
    }
}

/// Index `k` with `Σ_{j<k} w_j ≤ u < Σ_{j≤k} w_j` (the last index if rounding leaves `u` above).
fn draw_index(weights: &[f64], u: f64) -> usize {
    let mut cumulative = 0.0;
    for (k, &w) in weights.iter().enumerate() {
        cumulative += w;
        if u < cumulative {
            return k;
        }
    }
    weights.len() - 1
}

fn parse_price(text: &str) -> Result<f64, String> {
    let price: f64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number"))?;
    if price.is_finite() && price > 0.0 {
        Ok(price)
    } else {
        Err(format!("`{text}` is not a positive price"))
    }
}

/// Days since 1970-01-01 of an ISO date `YYYY-MM-DD` (proleptic Gregorian), if valid.
pub fn parse_iso_date(text: &str) -> Option<i64> {
    let mut parts = text.split('-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let (y, m, d): (i64, u32, u32) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days_in_month = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if d == 0 || d > days_in_month {
        return None;
    }
    // Days from civil (H. Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates_count_calendar_days() {
        assert_eq!(parse_iso_date("1970-01-01"), Some(0));
        assert_eq!(
            parse_iso_date("2024-03-01").unwrap() - parse_iso_date("2024-02-28").unwrap(),
            2
        );
        assert_eq!(parse_iso_date("2023-02-29"), None);
        assert_eq!(parse_iso_date("2023-13-01"), None);
    }

    #[test]
    fn cholesky_reproduces_the_correlation() {
        let r = [[1.0, 0.75, 0.6], [0.75, 1.0, 0.7], [0.6, 0.7, 1.0]];
        let l = cholesky(&r).unwrap();
        for i in 0..3 {
            for j in 0..3 {
                let v: f64 = (0..3).map(|k| l[i][k] * l[j][k]).sum();
                assert!((v - r[i][j]).abs() < 1e-12);
            }
        }
        assert!(cholesky(&[[1.0, 0.99, -0.99], [0.99, 1.0, 0.99], [-0.99, 0.99, 1.0]]).is_none());
    }
}
