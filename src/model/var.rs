//! Market risk of the exchange's crypto book: the hybrid VaR suite and its backtest.
//!
//! The book holds `H_a` IDR of each asset. Its P&L on a historical day `t` is the full
//! revaluation of today's holdings under that day's moves, `PnL_t = Σ_a H_a (e^{r_{t,a}} − 1)`,
//! and the loss is `ℓ_t = −PnL_t` (so `ℓ_t < Σ H_a`: the book cannot lose more than it holds).
//! VaR and CVaR follow [`crate::model::stats`]: `VaR_p` is the order statistic
//! `ℓ_(⌈n p⌉)`, `CVaR_p` the mean of the `⌈n (1 − p)⌉` largest losses. All are one-day figures.
//!
//! - **HS**: the losses of the last `lookback_days` days, equally weighted.
//! - **EWMA-FHS**: the book's simple return `x_t = PnL_t / V` gets the RiskMetrics variance
//!   `σ²_{t+1} = λ σ²_t + (1 − λ) x_t²`, so `σ_t` is the forecast for day `t` made with returns up
//!   to `t − 1`, and `σ_{n+1}` (tomorrow) includes the last return `x_n`. Each return of the
//!   window is rescaled to today's volatility, `x̃_t = x_t · σ_{n+1} / σ_t`, and the HS quantile
//!   is read from `ℓ̃_t = min(−V x̃_t, V)`.
//! - **Effective sample size** of the EWMA weights `w_i ∝ λ^i` (lag `i`): Kish's
//!   `ESS = (Σ w)² / Σ w²`. For the infinite sum `Σ w = 1`, `Σ w² = (1 − λ)² / (1 − λ²)`, so
//!   `ESS = (1 + λ) / (1 − λ)` = 32.3 days at λ = 0.94. `1 / (1 − λ)` = 16.7 is not a sample
//!   size: it is one plus the weights' mean lag `λ / (1 − λ)`.
//! - **Stressed VaR** (Basel 2.5): HS over the `stressed_window_days` consecutive days (default
//!   250, a year of trading) whose VaR99 is the largest of all such windows in the history; the
//!   window is chosen by VaR99 and its CVaR99 is reported beside it (Tier 2 uses that CVaR99).
//!   One sorted copy of the window slides over the history (remove the day leaving, insert the
//!   day entering, both by binary search), so each window's order statistics are read directly.
//! - **Parametric shocks**: `loss = −Σ_a H_a s_a` for a scenario's simple returns `s_a`.
//! - **Tiers**: Tier 1 = max(HS CVaR99, FHS CVaR99); Tier 2 = max(stressed CVaR99, worst
//!   parametric loss); the gap carried for a year costs `(T2 − T1)⁺ · opportunity yield`.
//! - **Backtest** of the 99% VaR (HS and FHS), each day predicted from the preceding
//!   `lookback_days` only: exception count, Kupiec's proportion-of-failures test and
//!   Christoffersen's independence test (both χ²(1)) and their sum, conditional coverage (χ²(2)).

use serde::Serialize;
use statrs::distribution::{ChiSquared, ContinuousCDF};

use crate::model::market::{ASSETS, MarketConfig, StressScenario};
use crate::model::market::{HistorySource, MarketHistory, RegimeSummary};
use crate::model::stats::{cvar_sorted, quantile_sorted};

/// Days of history averaged (mean of squared returns) to start the EWMA variance.
pub const EWMA_SEED_DAYS: usize = 30;

/// VaR level the backtest checks.
pub const BACKTEST_LEVEL: f64 = 0.99;

/// One method's VaR and CVaR at 95% and 99%, one day, IDR.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct VarLevels {
    /// Value at risk at 95%, IDR.
    pub var95_idr: f64,
    /// Expected shortfall beyond VaR95, IDR.
    pub cvar95_idr: f64,
    /// Value at risk at 99%, IDR.
    pub var99_idr: f64,
    /// Expected shortfall beyond VaR99, IDR.
    pub cvar99_idr: f64,
}

impl VarLevels {
    /// The levels of a loss sample (any order); zeros for an empty sample.
    pub fn of_losses(losses: &[f64]) -> Self {
        if losses.is_empty() {
            return Self {
                var95_idr: 0.0,
                cvar95_idr: 0.0,
                var99_idr: 0.0,
                cvar99_idr: 0.0,
            };
        }
        let mut sorted = losses.to_vec();
        sorted.sort_by(f64::total_cmp);
        Self {
            var95_idr: quantile_sorted(&sorted, 0.95),
            cvar95_idr: cvar_sorted(&sorted, 0.95),
            var99_idr: quantile_sorted(&sorted, 0.99),
            cvar99_idr: cvar_sorted(&sorted, 0.99),
        }
    }
}

/// The EWMA-filtered historical simulation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FilteredVar {
    /// VaR and CVaR of the rescaled losses, IDR.
    #[serde(flatten)]
    pub levels: VarLevels,
    /// RiskMetrics decay factor.
    pub lambda: f64,
    /// Tomorrow's EWMA volatility of the book's daily return, per day.
    pub current_vol_per_day: f64,
    /// Mean EWMA volatility over the window, per day.
    pub window_mean_vol_per_day: f64,
    /// Kish effective sample size `(Σw)²/Σw²` of the EWMA weights over the window, days.
    pub effective_sample_size_days: f64,
    /// The same for infinitely many days, `(1 + λ)/(1 − λ)`, days.
    pub effective_sample_size_limit_days: f64,
}

/// The stressed window and its VaR.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct StressedVar {
    /// VaR and CVaR over the window, IDR.
    #[serde(flatten)]
    pub levels: VarLevels,
    /// First day of the window (0-based index into the history).
    pub start_day: usize,
    /// Length of the window, days.
    pub window_days: usize,
    /// The measure the window maximises: always `"var99"` (the window's VaR99 is the largest of
    /// all windows of this length; its CVaR99 is reported, not maximised).
    pub chosen_by: &'static str,
    /// Sum of the daily losses over the window (today's holdings each day), IDR, for reference.
    pub cumulative_loss_idr: f64,
}

/// A parametric shock and its loss.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ShockLoss {
    /// Scenario.
    pub scenario: StressScenario,
    /// Simple return per asset (BTC, ETH, ALT).
    pub shock_return: [f64; ASSETS],
    /// Loss of the book, IDR.
    pub loss_idr: f64,
    /// Loss as a share of the book.
    pub loss_share: f64,
}

/// The two-tier market-risk capital.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct VarTiers {
    /// Operating minimum: max(HS CVaR99, FHS CVaR99), IDR.
    pub tier1_idr: f64,
    /// Crisis minimum: max(stressed CVaR99, worst parametric loss), IDR.
    pub tier2_idr: f64,
    /// `(tier2 − tier1)⁺`, IDR.
    pub gap_idr: f64,
    /// Holding the gap for a year at the opportunity yield, IDR per year.
    pub gap_annual_cost_idr: f64,
}

/// Backtest of one method's 99% VaR.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Backtest {
    /// Days tested.
    pub days: usize,
    /// Days whose loss exceeded the VaR predicted for them.
    pub exceptions: usize,
    /// `days × (1 − 0.99)`.
    pub expected_exceptions: f64,
    /// Kupiec's proportion-of-failures likelihood ratio (χ²(1) under a correct VaR).
    pub kupiec_lr: f64,
    /// Its p-value.
    pub kupiec_p_value: f64,
    /// Christoffersen's independence likelihood ratio (χ²(1)).
    pub christoffersen_lr: f64,
    /// Its p-value.
    pub christoffersen_p_value: f64,
    /// Conditional coverage `LR_pof + LR_ind` (χ²(2)) p-value.
    pub conditional_coverage_p_value: f64,
}

/// The history the suite ran on.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct HistorySummary {
    /// Synthetic or CSV.
    pub source: HistorySource,
    /// Daily returns available, days.
    pub days: usize,
    /// First and last date of a CSV history.
    pub dates: Option<(String, String)>,
    /// The regime chain of a synthetic history.
    pub regimes: Option<RegimeSummary>,
    /// Holdings per asset (BTC, ETH, ALT), IDR.
    pub holdings_idr: [f64; ASSETS],
    /// Total book, IDR.
    pub book_idr: f64,
    /// Annualised volatility of the book's daily return over the whole history (√365 days).
    pub book_vol_annual: f64,
}

/// Everything the VaR suite reports.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct VarReport {
    /// The history and the book.
    pub history: HistorySummary,
    /// Days behind HS and FHS.
    pub lookback_days: usize,
    /// Historical simulation.
    pub historical: VarLevels,
    /// EWMA-filtered historical simulation.
    pub filtered: FilteredVar,
    /// Stressed VaR.
    pub stressed: StressedVar,
    /// Parametric shocks (mild, severe, LUNA-style).
    pub shocks: Vec<ShockLoss>,
    /// Two-tier capital.
    pub tiers: VarTiers,
    /// Backtest of HS VaR99.
    pub backtest_historical: Backtest,
    /// Backtest of FHS VaR99.
    pub backtest_filtered: Backtest,
}

/// Daily losses of the book, IDR: `ℓ_t = −Σ_a H_a (e^{r_{t,a}} − 1)`.
pub fn book_losses_idr(returns: &[[f64; ASSETS]], holdings_idr: &[f64; ASSETS]) -> Vec<f64> {
    returns
        .iter()
        .map(|r| {
            -(0..ASSETS)
                .map(|a| holdings_idr[a] * r[a].exp_m1())
                .sum::<f64>()
        })
        .collect()
}

/// Normalised EWMA weights of the last `n` observations, most recent first:
/// `w_i = (1 − λ) λ^i / (1 − λ^n)`, `i = 0..n`. They sum to one.
pub fn ewma_weights(lambda: f64, n: usize) -> Vec<f64> {
    let norm = 1.0 - lambda.powi(n as i32);
    (0..n)
        .map(|i| (1.0 - lambda) * lambda.powi(i as i32) / norm)
        .collect()
}

/// Kish effective sample size `(Σ w)² / Σ w²` of a set of weights.
pub fn kish_effective_sample_size(weights: &[f64]) -> f64 {
    let sum: f64 = weights.iter().sum();
    let sum_sq: f64 = weights.iter().map(|w| w * w).sum();
    if sum_sq > 0.0 {
        sum * sum / sum_sq
    } else {
        0.0
    }
}

/// EWMA variance forecasts of a return series: element `t` is `σ²_t`, the forecast for day `t`
/// from returns `0..t`; element `n` is tomorrow's. `σ²_0` is the mean of the first
/// [`EWMA_SEED_DAYS`] squared returns (zero-mean convention of RiskMetrics).
pub fn ewma_variance_forecasts(returns: &[f64], lambda: f64) -> Vec<f64> {
    let seed_days = returns.len().min(EWMA_SEED_DAYS);
    let seed = if seed_days == 0 {
        0.0
    } else {
        returns[..seed_days].iter().map(|x| x * x).sum::<f64>() / seed_days as f64
    };
    let mut out = Vec::with_capacity(returns.len() + 1);
    let mut variance = seed;
    out.push(variance);
    for &x in returns {
        variance = lambda * variance + (1.0 - lambda) * x * x;
        out.push(variance);
    }
    out
}

/// Losses of days `window` rescaled to the volatility `target_vol`: `min(−V x_t σ* / σ_t, V)`.
fn filtered_losses_idr(
    book_returns: &[f64],
    variances: &[f64],
    window: std::ops::Range<usize>,
    target_vol: f64,
    book_idr: f64,
) -> Vec<f64> {
    window
        .map(|t| {
            let vol = variances[t].sqrt();
            let ratio = if vol > 0.0 { target_vol / vol } else { 1.0 };
            (-book_idr * book_returns[t] * ratio).min(book_idr)
        })
        .collect()
}

/// Start of the `window`-day run of consecutive days whose VaR99 (order statistic
/// `ℓ_(⌈0.99 w⌉)` of the window, as in [`quantile_sorted`]) is the largest, the earliest on ties;
/// `None` when the history is shorter than the window or the window is empty.
///
/// One sorted copy of the window slides over the history: the day leaving is removed and the day
/// entering inserted, each found by binary search, so a step costs `O(log w)` comparisons plus a
/// `memmove` of at most `w` values, instead of a sort per window.
pub fn stressed_window_start(losses_idr: &[f64], window: usize) -> Option<usize> {
    if window == 0 || losses_idr.len() < window {
        return None;
    }
    let rank = ((BACKTEST_LEVEL * window as f64).ceil() as usize).clamp(1, window);
    let mut sorted = losses_idr[..window].to_vec();
    sorted.sort_by(f64::total_cmp);
    let mut best = (0, sorted[rank - 1]);
    for start in 1..=losses_idr.len() - window {
        let leaving = losses_idr[start - 1];
        let at = sorted.partition_point(|x| x.total_cmp(&leaving).is_lt());
        sorted.remove(at);
        let entering = losses_idr[start + window - 1];
        let at = sorted.partition_point(|x| x.total_cmp(&entering).is_lt());
        sorted.insert(at, entering);
        if sorted[rank - 1] > best.1 {
            best = (start, sorted[rank - 1]);
        }
    }
    Some(best.0)
}

/// `x ln y`, with `0 ln 0 = 0`.
fn xlny(x: f64, y: f64) -> f64 {
    if x == 0.0 { 0.0 } else { x * y.ln() }
}

/// Kupiec's proportion-of-failures statistic for `exceptions` in `days` at exception
/// probability `p`: `LR = −2 ln[(1−p)^{N−x} p^x] + 2 ln[(1−x/N)^{N−x} (x/N)^x]`.
pub fn kupiec_pof(days: usize, exceptions: usize, p: f64) -> f64 {
    if days == 0 {
        return 0.0;
    }
    let (n, x) = (days as f64, exceptions as f64);
    let rate = x / n;
    let null = xlny(n - x, 1.0 - p) + xlny(x, p);
    let alt = xlny(n - x, 1.0 - rate) + xlny(x, rate);
    (-2.0 * (null - alt)).max(0.0)
}

/// Christoffersen's independence statistic of an exception series: a first-order Markov
/// chain (π₀ = P(exception | none yesterday), π₁ = P(exception | exception yesterday)) against
/// independence (one π): `LR = −2 ln[(1−π)^{n00+n10} π^{n01+n11}]
/// + 2 ln[(1−π₀)^{n00} π₀^{n01} (1−π₁)^{n10} π₁^{n11}]`.
pub fn christoffersen_independence(exceptions: &[bool]) -> f64 {
    let mut n = [[0.0f64; 2]; 2];
    for w in exceptions.windows(2) {
        n[usize::from(w[0])][usize::from(w[1])] += 1.0;
    }
    let rate = |hit: f64, miss: f64| {
        if hit + miss > 0.0 {
            hit / (hit + miss)
        } else {
            0.0
        }
    };
    let pi0 = rate(n[0][1], n[0][0]);
    let pi1 = rate(n[1][1], n[1][0]);
    let pi = rate(n[0][1] + n[1][1], n[0][0] + n[1][0]);
    let null = xlny(n[0][0] + n[1][0], 1.0 - pi) + xlny(n[0][1] + n[1][1], pi);
    let alt = xlny(n[0][0], 1.0 - pi0)
        + xlny(n[0][1], pi0)
        + xlny(n[1][0], 1.0 - pi1)
        + xlny(n[1][1], pi1);
    (-2.0 * (null - alt)).max(0.0)
}

/// `P(χ²(dof) > lr)`.
pub fn chi_square_p_value(lr: f64, dof: f64) -> f64 {
    ChiSquared::new(dof).map_or(f64::NAN, |d| d.sf(lr.max(0.0)))
}

/// The `p`-quantile (order statistic `⌈n p⌉`, as in [`quantile_sorted`]) of an unsorted,
/// non-empty buffer, which it reorders.
fn quantile_unsorted(buffer: &mut [f64], p: f64) -> f64 {
    let n = buffer.len();
    let rank = ((p * n as f64).ceil() as usize).clamp(1, n);
    *buffer.select_nth_unstable_by(rank - 1, f64::total_cmp).1
}

/// Backtests a VaR99 predicted for each day `t ≥ lookback` from the losses of the preceding
/// `lookback` days as produced by `window_losses(t, buffer)`.
fn backtest(
    losses_idr: &[f64],
    lookback: usize,
    mut window_losses: impl FnMut(usize, &mut Vec<f64>),
) -> Backtest {
    let mut buffer = Vec::with_capacity(lookback);
    let exceptions: Vec<bool> = (lookback..losses_idr.len())
        .map(|t| {
            buffer.clear();
            window_losses(t, &mut buffer);
            losses_idr[t] > quantile_unsorted(&mut buffer, BACKTEST_LEVEL)
        })
        .collect();
    summarise_exceptions(&exceptions)
}

/// Kupiec, Christoffersen and conditional coverage of an exception series at 99%.
pub fn summarise_exceptions(exceptions: &[bool]) -> Backtest {
    let days = exceptions.len();
    let count = exceptions.iter().filter(|&&e| e).count();
    let p = 1.0 - BACKTEST_LEVEL;
    let kupiec_lr = kupiec_pof(days, count, p);
    let christoffersen_lr = christoffersen_independence(exceptions);
    Backtest {
        days,
        exceptions: count,
        expected_exceptions: days as f64 * p,
        kupiec_lr,
        kupiec_p_value: chi_square_p_value(kupiec_lr, 1.0),
        christoffersen_lr,
        christoffersen_p_value: chi_square_p_value(christoffersen_lr, 1.0),
        conditional_coverage_p_value: chi_square_p_value(kupiec_lr + christoffersen_lr, 2.0),
    }
}

/// Loss of the book under a parametric shock, IDR: `−Σ_a H_a s_a`.
pub fn shock_loss_idr(holdings_idr: &[f64; ASSETS], shock_return: &[f64; ASSETS]) -> f64 {
    -(0..ASSETS)
        .map(|a| holdings_idr[a] * shock_return[a])
        .sum::<f64>()
}

/// The book's daily series over the history: losses in IDR (positive = loss) and simple
/// book returns `−loss / book` (0 when the book is empty).
struct BookSeries {
    holdings_idr: [f64; ASSETS],
    book_idr: f64,
    losses_idr: Vec<f64>,
    book_returns: Vec<f64>,
}

impl BookSeries {
    fn new(history: &MarketHistory, config: &MarketConfig) -> Self {
        let holdings_idr = config.holdings_idr.map(|h| h as f64);
        let book_idr: f64 = holdings_idr.iter().sum();
        let losses_idr = book_losses_idr(&history.returns, &holdings_idr);
        let book_returns = if book_idr > 0.0 {
            losses_idr.iter().map(|l| -l / book_idr).collect()
        } else {
            vec![0.0; losses_idr.len()]
        };
        Self {
            holdings_idr,
            book_idr,
            losses_idr,
            book_returns,
        }
    }
}

/// Filtered historical simulation over the `recent` days, rescaled to today's EWMA vol.
fn filtered_var(
    series: &BookSeries,
    variances: &[f64],
    recent: std::ops::Range<usize>,
    lambda: f64,
) -> FilteredVar {
    let lookback = recent.len();
    let current_vol = variances[series.losses_idr.len()].sqrt();
    let filtered_sample = filtered_losses_idr(
        &series.book_returns,
        variances,
        recent.clone(),
        current_vol,
        series.book_idr,
    );
    let weights = ewma_weights(lambda, lookback);
    FilteredVar {
        levels: VarLevels::of_losses(&filtered_sample),
        lambda,
        current_vol_per_day: current_vol,
        window_mean_vol_per_day: variances[recent].iter().map(|v| v.sqrt()).sum::<f64>()
            / lookback.max(1) as f64,
        effective_sample_size_days: kish_effective_sample_size(&weights),
        effective_sample_size_limit_days: (1.0 + lambda) / (1.0 - lambda),
    }
}

/// VaR over the `window_days` consecutive days whose VaR99 is the largest (the whole history
/// when it is shorter than the window).
fn stressed_var(losses_idr: &[f64], window_days: usize) -> StressedVar {
    let window = window_days.min(losses_idr.len());
    let start_day = stressed_window_start(losses_idr, window).unwrap_or(0);
    let days = &losses_idr[start_day..start_day + window];
    StressedVar {
        levels: VarLevels::of_losses(days),
        start_day,
        window_days: window,
        chosen_by: "var99",
        cumulative_loss_idr: days.iter().sum(),
    }
}

/// The loss of every configured parametric shock.
fn shock_losses(config: &MarketConfig, series: &BookSeries) -> Vec<ShockLoss> {
    StressScenario::ALL
        .into_iter()
        .filter_map(|s| config.shock_return(s).map(|shock| (s, shock)))
        .map(|(scenario, shock_return)| {
            let loss_idr = shock_loss_idr(&series.holdings_idr, &shock_return);
            ShockLoss {
                scenario,
                shock_return,
                loss_idr,
                loss_share: if series.book_idr > 0.0 {
                    loss_idr / series.book_idr
                } else {
                    0.0
                },
            }
        })
        .collect()
}

/// Backtests of historical and filtered VaR99 over a rolling `lookback`.
fn backtests(series: &BookSeries, variances: &[f64], lookback: usize) -> (Backtest, Backtest) {
    let losses = &series.losses_idr;
    let lookback = lookback.max(1);
    let historical = backtest(losses, lookback, |t, buf| {
        buf.extend_from_slice(&losses[t - lookback..t]);
    });
    let filtered = backtest(losses, lookback, |t, buf| {
        let target = variances[t].sqrt();
        buf.extend(filtered_losses_idr(
            &series.book_returns,
            variances,
            t - lookback..t,
            target,
            series.book_idr,
        ));
    });
    (historical, filtered)
}

/// Runs the whole suite on `history` for the book in `config`. `opportunity_yield` prices the
/// tier gap, fraction per year.
pub fn var_suite(
    history: &MarketHistory,
    config: &MarketConfig,
    opportunity_yield: f64,
) -> VarReport {
    let series = BookSeries::new(history, config);
    let n = series.losses_idr.len();
    let lookback = (config.lookback_days as usize).min(n);
    let recent = n - lookback..n;
    let historical = VarLevels::of_losses(&series.losses_idr[recent.clone()]);
    let variances = ewma_variance_forecasts(&series.book_returns, config.ewma_lambda);
    let filtered = filtered_var(&series, &variances, recent, config.ewma_lambda);
    let stressed = stressed_var(&series.losses_idr, config.stressed_window_days as usize);
    let shocks = shock_losses(config, &series);
    let worst_shock = shocks.iter().map(|s| s.loss_idr).fold(0.0, f64::max);
    let tier1_idr = historical.cvar99_idr.max(filtered.levels.cvar99_idr);
    let tier2_idr = stressed.levels.cvar99_idr.max(worst_shock);
    let gap_idr = (tier2_idr - tier1_idr).max(0.0);
    let (backtest_historical, backtest_filtered) = backtests(&series, &variances, lookback);
    let (_, std) = crate::model::stats::mean_and_std(&series.book_returns);
    VarReport {
        history: HistorySummary {
            source: history.source,
            days: n,
            dates: history.dates.clone(),
            regimes: history.regime_summary(config),
            holdings_idr: series.holdings_idr,
            book_idr: series.book_idr,
            book_vol_annual: std * 365f64.sqrt(),
        },
        lookback_days: lookback,
        historical,
        filtered,
        stressed,
        shocks,
        tiers: VarTiers {
            tier1_idr,
            tier2_idr,
            gap_idr,
            gap_annual_cost_idr: gap_idr * opportunity_yield,
        },
        backtest_historical,
        backtest_filtered,
    }
}
