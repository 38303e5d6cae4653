//! Market history and the VaR suite against closed forms and hand-worked examples.

use sentinel::config::{Config, MarketConfig};
use sentinel::model::market::{MarketHistory, PriceCsvError, stationary_distribution};
use sentinel::model::var::{
    VarLevels, book_losses_idr, chi_square_p_value, christoffersen_independence,
    ewma_variance_forecasts, ewma_weights, kish_effective_sample_size, kupiec_pof,
    stressed_window_start, var_suite,
};

const BOOK_IDR: u64 = 100_000_000_000;

/// A history whose book (all in BTC) has the given simple returns each day.
fn history_with_book_returns(simple: &[f64]) -> MarketHistory {
    MarketHistory {
        source: sentinel::model::market::HistorySource::Csv,
        returns: simple.iter().map(|x| [x.ln_1p(), 0.0, 0.0]).collect(),
        regimes: None,
        dates: None,
    }
}

fn btc_only_market() -> MarketConfig {
    MarketConfig {
        holdings_idr: [BOOK_IDR, 0, 0],
        ..MarketConfig::default()
    }
}

/// A deterministic pseudo-random sign sequence (xorshift), no RNG crate needed.
fn signs(n: usize) -> Vec<f64> {
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    (0..n)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            if state & 1 == 0 { 1.0 } else { -1.0 }
        })
        .collect()
}

#[test]
fn stationary_distribution_matches_a_hand_solved_two_state_chain() {
    // π₀ a = π₁ b  ⇒  π = (b, a) / (a + b) = (0.3, 0.1) / 0.4.
    let pi = stationary_distribution(&[[0.9, 0.1], [0.3, 0.7]]).unwrap();
    assert!(
        (pi[0] - 0.75).abs() < 1e-12 && (pi[1] - 0.25).abs() < 1e-12,
        "{pi:?}"
    );
}

#[test]
fn stationary_distribution_matches_a_hand_solved_three_state_chain() {
    // Birth-death chain, detailed balance: π₀·½ = π₁·¼ and π₁·¼ = π₂·½ ⇒ π = (¼, ½, ¼).
    let p = [[0.5, 0.5, 0.0], [0.25, 0.5, 0.25], [0.0, 0.5, 0.5]];
    let pi = stationary_distribution(&p).unwrap();
    for (got, want) in pi.iter().zip([0.25, 0.5, 0.25]) {
        assert!((got - want).abs() < 1e-12, "{pi:?}");
    }
    assert!(stationary_distribution(&[[1.0, 0.0], [0.0, 1.0]]).is_none());
}

#[test]
fn regime_shares_come_from_the_transition_matrix() {
    let market = MarketConfig {
        days: 200_000,
        ..MarketConfig::default()
    };
    let pi = stationary_distribution(&market.transition).unwrap();
    for j in 0..3 {
        let image: f64 = (0..3).map(|i| pi[i] * market.transition[i][j]).sum();
        assert!((image - pi[j]).abs() < 1e-12);
    }
    let history = MarketHistory::synthetic(&market).unwrap();
    let summary = history.regime_summary(&market).unwrap();
    for (k, (realised, stationary)) in summary.realised_share.iter().zip(pi).enumerate() {
        assert!(
            (realised - stationary).abs() < 0.02,
            "regime {k}: realised {realised} vs stationary {stationary}"
        );
    }
}

#[test]
fn generated_returns_have_the_configured_volatility_and_correlation() {
    let mut market = MarketConfig {
        days: 60_000,
        ..MarketConfig::default()
    };
    market.stressed = market.normal.clone();
    market.crisis = market.normal.clone();
    let history = MarketHistory::synthetic(&market).unwrap();
    let n = history.days() as f64;
    let mean: [f64; 3] =
        std::array::from_fn(|a| history.returns.iter().map(|r| r[a]).sum::<f64>() / n);
    let cov = |a: usize, b: usize| {
        history
            .returns
            .iter()
            .map(|r| (r[a] - mean[a]) * (r[b] - mean[b]))
            .sum::<f64>()
            / n
    };
    for a in 0..3 {
        let sd = cov(a, a).sqrt();
        assert!(
            (sd / market.normal.vol_per_day[a] - 1.0).abs() < 0.02,
            "asset {a}: sd {sd}"
        );
        for b in 0..a {
            let rho = cov(a, b) / (cov(a, a) * cov(b, b)).sqrt();
            assert!(
                (rho - market.normal.correlation[a][b]).abs() < 0.02,
                "rho[{a}][{b}] = {rho}"
            );
        }
    }
}

#[test]
fn synthetic_history_is_reproducible_from_its_seed() {
    let market = MarketConfig::default();
    assert_eq!(
        MarketHistory::synthetic(&market).unwrap(),
        MarketHistory::synthetic(&market).unwrap()
    );
    let other = MarketConfig {
        seed: market.seed + 1,
        ..market.clone()
    };
    assert_ne!(
        MarketHistory::synthetic(&market).unwrap().returns,
        MarketHistory::synthetic(&other).unwrap().returns
    );
}

#[test]
fn prices_are_the_exponential_of_cumulative_log_returns() {
    let history = MarketHistory::synthetic(&MarketConfig::default()).unwrap();
    let index = history.price_index();
    assert_eq!(index.len(), history.days() + 1);
    let total: f64 = history.returns.iter().map(|r| r[2]).sum();
    assert!((index[history.days()][2] / total.exp() - 1.0).abs() < 1e-9);
}

#[test]
fn a_price_csv_becomes_log_returns() {
    let csv = "date,btc,eth,alt\n2024-02-28,100,10,1\n2024-02-29,110,9,1\n2024-03-01,99,9,2\n";
    let history = MarketHistory::from_price_csv(csv).unwrap();
    assert_eq!(history.days(), 2);
    assert!((history.returns[0][0] - (1.1f64).ln()).abs() < 1e-15);
    assert!((history.returns[1][2] - (2.0f64).ln()).abs() < 1e-15);
    assert_eq!(
        history.dates,
        Some(("2024-02-28".into(), "2024-03-01".into()))
    );
}

#[test]
fn a_bad_price_csv_names_line_and_field() {
    let cases = [
        ("date,btc,eth\n", 1, "header"),
        (
            "date,btc,eth,alt\n2024-01-01,1,1,1\n2024-01-02,1,x,1\n",
            3,
            "eth",
        ),
        (
            "date,btc,eth,alt\n2024-01-01,1,1,1\n2024-01-02,1,1,-4\n",
            3,
            "alt",
        ),
        (
            "date,btc,eth,alt\n2024-01-01,1,1,1\n2024-01-03,1,1,1\n",
            3,
            "date",
        ),
        (
            "date,btc,eth,alt\n2024-01-01,1,1,1\n2023-12-31,1,1,1\n",
            3,
            "date",
        ),
        ("date,btc,eth,alt\n2024-02-30,1,1,1\n", 2, "date"),
        ("date,btc,eth,alt\n2024-01-01,1,1\n", 2, "row"),
    ];
    for (csv, line, field) in cases {
        match MarketHistory::from_price_csv(csv) {
            Err(PriceCsvError::Row {
                line: l, field: f, ..
            }) => {
                assert_eq!((l, f), (line, field), "{csv}");
            }
            other => panic!("{csv}: expected a row error, got {other:?}"),
        }
    }
    assert!(matches!(
        MarketHistory::from_price_csv("date,btc,eth,alt\n2024-01-01,1,1,1\n"),
        Err(PriceCsvError::Unusable(_))
    ));
}

#[test]
fn hs_var_of_a_fixed_series_is_its_order_statistic() {
    // Losses 1..=100 in a scrambled order.
    let losses: Vec<f64> = (0..100).map(|i| f64::from((i * 37) % 100 + 1)).collect();
    let levels = VarLevels::of_losses(&losses);
    assert_eq!(levels.var95_idr, 95.0);
    assert_eq!(levels.var99_idr, 99.0);
    assert_eq!(levels.cvar95_idr, (96.0 + 97.0 + 98.0 + 99.0 + 100.0) / 5.0);
    assert_eq!(levels.cvar99_idr, 100.0);

    // Through the suite: 400 days of book returns −k/1000, k = 1..=400 scrambled.
    let simple: Vec<f64> = (0..400)
        .map(|i| -f64::from((i * 151) % 400 + 1) / 1000.0)
        .collect();
    let report = var_suite(
        &history_with_book_returns(&simple),
        &btc_only_market(),
        0.065,
    );
    let mut last_year: Vec<f64> = simple[35..].iter().map(|x| -x * BOOK_IDR as f64).collect();
    last_year.sort_by(f64::total_cmp);
    let rank99 = (0.99f64 * 365.0).ceil() as usize; // 362nd smallest
    let rank95 = (0.95f64 * 365.0).ceil() as usize; // 347th smallest
    assert!((report.historical.var99_idr / last_year[rank99 - 1] - 1.0).abs() < 1e-12);
    assert!((report.historical.var95_idr / last_year[rank95 - 1] - 1.0).abs() < 1e-12);
}

#[test]
fn book_losses_are_full_revaluation_and_bounded_by_the_book() {
    let losses = book_losses_idr(&[[-50.0, 0.1, 0.0]], &[100.0, 10.0, 5.0]);
    let expected = -(100.0 * (-50f64).exp_m1() + 10.0 * 0.1f64.exp_m1());
    assert!((losses[0] - expected).abs() < 1e-12);
    assert!(losses[0] < 115.0);
}

#[test]
fn ewma_weights_sum_to_one_and_their_kish_size_is_one_plus_lambda_over_one_minus_lambda() {
    for lambda in [0.5, 0.9, 0.94, 0.97] {
        for n in [10, 365, 2_000] {
            let w = ewma_weights(lambda, n);
            assert!(
                (w.iter().sum::<f64>() - 1.0).abs() < 1e-12,
                "λ {lambda}, n {n}"
            );
            assert!(w.windows(2).all(|p| p[0] >= p[1]), "weights decay with age");
        }
    }
    let ess = kish_effective_sample_size(&ewma_weights(0.94, 365));
    assert!((ess - 1.94 / 0.06).abs() < 1e-6, "ESS {ess}");
    assert!(
        (ess - 1.0 / 0.06).abs() > 15.0,
        "not the 16.7-day mean-age figure"
    );
    assert_eq!(kish_effective_sample_size(&[0.25; 4]), 4.0);
}

#[test]
fn ewma_forecast_for_tomorrow_includes_todays_return() {
    let returns = [0.01, -0.02, 0.03, 0.10];
    let v = ewma_variance_forecasts(&returns, 0.94);
    assert_eq!(v.len(), returns.len() + 1);
    let expected = 0.94 * v[3] + 0.06 * 0.10 * 0.10;
    assert!((v[4] - expected).abs() < 1e-18);
    assert!(
        v[4] > v[3],
        "a large last return raises tomorrow's volatility"
    );
}

#[test]
fn fhs_on_a_constant_volatility_series_equals_hs() {
    let simple: Vec<f64> = signs(800).into_iter().map(|s| 0.02 * s).collect();
    let report = var_suite(
        &history_with_book_returns(&simple),
        &btc_only_market(),
        0.065,
    );
    let (hs, fhs) = (report.historical, report.filtered.levels);
    for (a, b) in [
        (hs.var95_idr, fhs.var95_idr),
        (hs.cvar95_idr, fhs.cvar95_idr),
        (hs.var99_idr, fhs.var99_idr),
        (hs.cvar99_idr, fhs.cvar99_idr),
    ] {
        assert!((a / b - 1.0).abs() < 1e-9, "HS {a} vs FHS {b}");
    }
    assert!((report.filtered.current_vol_per_day - 0.02).abs() < 1e-12);
}

#[test]
fn fhs_rises_after_a_volatility_spike() {
    let mut simple: Vec<f64> = signs(800).into_iter().map(|s| 0.01 * s).collect();
    for (i, x) in simple.iter_mut().rev().take(10).enumerate() {
        *x = if i % 2 == 0 { -0.08 } else { 0.08 };
    }
    let report = var_suite(
        &history_with_book_returns(&simple),
        &btc_only_market(),
        0.065,
    );
    assert!(report.filtered.levels.var99_idr > report.historical.var99_idr);
}

/// VaR99 of a window by sorting it: the order statistic `⌈0.99 w⌉`.
fn var99_by_sorting(window: &[f64]) -> f64 {
    let mut v = window.to_vec();
    v.sort_by(f64::total_cmp);
    v[(0.99 * v.len() as f64).ceil() as usize - 1]
}

#[test]
fn the_stressed_window_maximises_var99_over_every_window() {
    let market = Config::default().market;
    assert_eq!(market.stressed_window_days, 250);
    let history = MarketHistory::synthetic(&market).unwrap();
    let holdings = market.holdings_idr.map(|h| h as f64);
    let losses = book_losses_idr(&history.returns, &holdings);
    let w = 250;
    let all: Vec<f64> = (0..=losses.len() - w)
        .map(|s| var99_by_sorting(&losses[s..s + w]))
        .collect();
    let best = all.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let first_best = all.iter().position(|&v| v == best).unwrap();
    let report = var_suite(&history, &market, 0.065);
    let s = report.stressed;
    assert_eq!((s.window_days, s.chosen_by), (250, "var99"));
    assert_eq!(
        s.start_day, first_best,
        "the earliest window with the largest VaR99"
    );
    assert_eq!(s.levels.var99_idr, best);
    assert_eq!(
        s.levels,
        VarLevels::of_losses(&losses[first_best..first_best + w])
    );
    // With 250 days VaR99 is the 248th smallest loss, the third largest: not the worst day.
    let mut window = losses[first_best..first_best + w].to_vec();
    window.sort_by(f64::total_cmp);
    assert_eq!(s.levels.var99_idr, window[247]);
    assert!(s.levels.var99_idr < window[249]);
    assert!(report.tiers.tier2_idr >= s.levels.cvar99_idr);
    assert!(report.tiers.tier1_idr >= report.historical.cvar99_idr);
}

#[test]
fn the_var99_window_differs_from_the_largest_summed_loss_window() {
    // Days 0..250 lose 1 every day (sum 250, VaR99 1); from day 300 one quiet year holds three
    // losses of 50 among gains (sum below 250, VaR99 50). The summed-loss rule would pick the
    // first year; VaR99 picks a window holding all three spikes.
    let mut losses = vec![1.0; 250];
    losses.extend(vec![-0.5; 50]);
    let mut quiet = vec![-0.5; 250];
    for i in [10, 100, 200] {
        quiet[i] = 50.0;
    }
    losses.extend(quiet);
    let start = stressed_window_start(&losses, 250).unwrap();
    assert!(
        var99_by_sorting(&losses[start..start + 250]) == 50.0,
        "start {start}"
    );
    // The earliest window holding all three spikes starts 49 days before the last of them.
    assert_eq!(start, 300 + 200 - 249);
    assert_eq!(stressed_window_start(&losses, 601), None);
}

#[test]
fn a_price_csv_too_short_for_the_stressed_window_is_refused_naming_the_shortfall() {
    let market = MarketConfig::default();
    assert_eq!(market.required_history_days(), 365 + 250);
    assert!(market.check_history_days(615).is_ok());
    let err = market.check_history_days(600).unwrap_err().to_string();
    for part in [
        "600 daily returns",
        "needs 615",
        "market.lookback_days = 365",
        "market.stressed_window_days = 250",
        "15 days short",
    ] {
        assert!(err.contains(part), "{part}: {err}");
    }
    let err = Config::from_toml_str("[market]\ndays = 600\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("market.days"), "{err}");
    let err = Config::from_toml_str("[market]\nstressed_window_days = 60\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("market.stressed_window_days"), "{err}");
}

#[test]
fn kupiec_statistic_on_a_worked_example() {
    // N = 250 days, x = 5 exceptions, p = 1%:
    // LR = −2[245 ln 0.99 + 5 ln 0.01] + 2[245 ln 0.98 + 5 ln 0.02]
    //    = −2(−2.46233 − 23.02585) + 2(−4.94966 − 19.56012) = 1.95681; p = 0.1619.
    let lr = kupiec_pof(250, 5, 0.01);
    assert!((lr - 1.956_81).abs() < 1e-4, "{lr}");
    assert!((chi_square_p_value(lr, 1.0) - 0.161_85).abs() < 1e-4);
    assert_eq!(kupiec_pof(500, 5, 0.01), 0.0, "exactly the expected count");
    // Zero exceptions in 250 days: LR = −2 · 250 ln 0.99 = 5.0252.
    assert!((kupiec_pof(250, 0, 0.01) - 5.025_17).abs() < 1e-4);
    assert!((chi_square_p_value(3.841_459, 1.0) - 0.05).abs() < 1e-6);
}

#[test]
fn christoffersen_flags_clustered_exceptions_only() {
    let mut spread = vec![false; 500];
    let mut clustered = vec![false; 500];
    for k in 0..5 {
        spread[50 + 100 * k] = true;
        clustered[200 + k] = true;
    }
    assert!(christoffersen_independence(&spread) < 0.2);
    let lr = christoffersen_independence(&clustered);
    assert!(chi_square_p_value(lr, 1.0) < 0.001, "LR {lr}");
}

#[test]
fn default_suite_is_sane() {
    let config = Config::default();
    let report = var_suite(
        &MarketHistory::synthetic(&config.market).unwrap(),
        &config.market,
        0.065,
    );
    let book = config.market.book_idr();
    for l in [
        report.historical,
        report.filtered.levels,
        report.stressed.levels,
    ] {
        assert!(0.0 < l.var95_idr && l.var95_idr <= l.var99_idr && l.var99_idr <= l.cvar99_idr);
        assert!(l.cvar99_idr < book, "a one-day loss cannot exceed the book");
    }
    assert!((report.filtered.effective_sample_size_days - 32.333).abs() < 0.01);
    let b = report.backtest_historical;
    assert_eq!(
        b.days,
        config.market.days as usize - config.market.lookback_days as usize
    );
    assert!(b.exceptions < b.days / 20);
    assert!((0.0..=1.0).contains(&b.kupiec_p_value));
    assert!((0.0..=1.0).contains(&b.christoffersen_p_value));
}

#[test]
fn a_short_history_degrades_without_panicking() {
    let simple = [
        -0.01, 0.02, -0.03, 0.01, 0.0, -0.02, 0.04, -0.05, 0.01, 0.02,
    ];
    let report = var_suite(
        &history_with_book_returns(&simple),
        &btc_only_market(),
        0.065,
    );
    assert_eq!(report.lookback_days, 10);
    assert_eq!(report.stressed.window_days, 10);
    assert_eq!(report.backtest_historical.days, 0);
    assert!((report.historical.var99_idr - 0.05 * BOOK_IDR as f64).abs() < 1.0);
}

#[test]
fn bad_market_config_is_refused_naming_the_field() {
    let text = "[market]\ntransition = [[0.9, 0.2, 0.0], [0.1, 0.85, 0.05], [0.05, 0.15, 0.8]]\n";
    let err = Config::from_toml_str(text).unwrap_err().to_string();
    assert!(err.contains("market.transition[0]"), "{err}");
    let text = "[market.crisis]\ndrift_per_day = [-0.01, -0.013, -0.02]\nvol_per_day = [0.08, 0.1, 0.15]\ncorrelation = [[1.0, 0.99, -0.99], [0.99, 1.0, 0.99], [-0.99, 0.99, 1.0]]\n";
    let err = Config::from_toml_str(text).unwrap_err().to_string();
    assert!(err.contains("market.crisis.correlation"), "{err}");
    let err = Config::from_toml_str("[solvency]\nhot_wallet_share = 0.5\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("solvency.hot_wallet_share"), "{err}");
    let err = Config::from_toml_str("[tiers]\nfast_haircut = 1.0\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("tiers.fast_haircut"), "{err}");
    assert!(Config::from_toml_str(&Config::default_toml()).is_ok());
}

#[test]
fn simulate_refuses_a_price_csv_shorter_than_lookback_plus_stressed_window() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("prices.csv");
    // 501 closes = 500 daily returns, 115 short of 365 + 250.
    let mut text = String::from("date,btc,eth,alt\n");
    let start = sentinel::model::market::parse_iso_date("2022-01-01").unwrap();
    for d in 0..501 {
        let (y, m, day) = civil_from_days(start + d);
        let p = 100.0 + f64::from(d as u32 % 7);
        text.push_str(&format!("{y:04}-{m:02}-{day:02},{p},{p},{p}\n"));
    }
    std::fs::write(&csv, text).unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!("[market]\nprices_csv = {:?}\n", csv.display().to_string()),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sentinel"))
        .args(["simulate", "--paths", "100", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("500 daily returns") && stderr.contains("115 days short"),
        "{stderr}"
    );
}

/// Calendar date of a day count since 1970-01-01 (H. Hinnant's civil_from_days).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}
