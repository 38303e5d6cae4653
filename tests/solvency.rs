//! The unified stressed balance sheet: magnitude bounds, verdicts and the report it feeds.

use std::process::Command;

use sentinel::batch::{BatchReport, BatchRequest, run_batch};
use sentinel::config::{Config, ScenarioName, StressScenario};
use sentinel::model::solvency::{FirmResources, ScenarioDemand, Verdict, stressed_balance_sheet};
use sentinel::model::user_base::UserBase;

const BN: f64 = 1e9;

fn firm() -> FirmResources {
    FirmResources {
        fiat_reserve_idr: 79.5 * BN,
        insurance_fund_idr: 4.0 * BN,
        proprietary_capital_idr: 100.0 * BN,
        crypto_book_idr: 159.0 * BN,
        hot_wallet_ceiling_idr: 71.55 * BN,
        conversion_haircut: 0.02,
        ojk_floor_idr: 50.0 * BN,
    }
}

fn demand(withdrawals: f64, fund: f64, market: f64) -> ScenarioDemand {
    ScenarioDemand {
        withdrawals_p99_idr: withdrawals * BN,
        customer_fiat_idr: 795.0 * BN,
        fund_drawdown_p99_idr: fund * BN,
        market_loss_idr: market * BN,
    }
}

fn default_report(paths: usize, scenarios: Vec<ScenarioName>) -> (Config, BatchReport) {
    let config = Config::default();
    let users = UserBase::synthetic(&config.user_base);
    let request = BatchRequest {
        scenarios,
        paths,
        seed: 11,
    };
    let report = run_batch(&config, &users, &request).unwrap();
    (config, report)
}

#[test]
fn no_line_exceeds_the_quantity_it_is_drawn_from() {
    // Absurd demands are capped: withdrawals at all customer fiat, the fund draw at the fund,
    // the market loss at the book; hot-wallet crypto at the ceiling, after the haircut.
    let sheet = stressed_balance_sheet(&firm(), &demand(5_000.0, 400.0, 2_000.0));
    assert_eq!(sheet.liabilities.withdrawals_idr, 795.0 * BN);
    assert_eq!(sheet.liabilities.fund_drawdown_idr, 4.0 * BN);
    assert_eq!(sheet.liabilities.market_loss_idr, 159.0 * BN);
    assert!((sheet.assets.hot_wallet_crypto_idr - 71.55 * BN * 0.98).abs() < 1.0);
    let negative = stressed_balance_sheet(&firm(), &demand(-1.0, -1.0, -1.0));
    assert_eq!(negative.liabilities.total_idr, 0.0);
    assert_eq!(negative.capital_adequacy_ratio, None);
    let small_book = FirmResources {
        crypto_book_idr: 10.0 * BN,
        ..firm()
    };
    let sheet = stressed_balance_sheet(&small_book, &demand(0.0, 0.0, 0.0));
    assert!(
        (sheet.assets.hot_wallet_crypto_idr - 9.8 * BN).abs() < 1.0,
        "at most the book"
    );
}

#[test]
fn the_default_run_respects_every_magnitude_bound() {
    let (config, report) = default_report(2_000, ScenarioName::ALL.to_vec());
    let fiat = report.total_fiat_idr as f64;
    let book = config.market.book_idr();
    let hot_ceiling = 0.09 * config.solvency.consumer_crypto_idr as f64;
    let fund = report.insurance_fund.fund_idr;
    for (name, sheet) in &report.solvency.scenarios {
        let l = &sheet.liabilities;
        let deficit_p99 = report.insurance_fund.scenarios[name].deficit.p99_idr;
        assert!(
            l.withdrawals_idr <= fiat,
            "{name}: withdrawals above balances"
        );
        assert!(
            l.fund_drawdown_idr <= fund.min(deficit_p99) + 1e-6,
            "{name}: fund draw"
        );
        assert!(
            l.market_loss_idr <= book,
            "{name}: market loss above holdings"
        );
        assert!(sheet.assets.hot_wallet_crypto_idr <= hot_ceiling.min(book));
        assert!(
            sheet.assets.total_idr < fiat,
            "{name}: firm assets are not customer money"
        );
        assert!(
            sheet.equity_after_idr.abs() < fiat,
            "{name}: magnitudes stay below AUM"
        );
        let last = sheet.waterfall.last().unwrap().running_idr;
        assert!((last - sheet.equity_after_idr).abs() < 1e-3);
    }
    let normal = &report.solvency.scenarios[&StressScenario::Normal];
    assert_eq!(
        normal.verdict,
        Verdict::Solvent,
        "a normal weekend is not an insolvency"
    );
    let severe = &report.solvency.scenarios[&StressScenario::Severe];
    let luna = &report.solvency.scenarios[&StressScenario::Luna];
    assert_eq!(
        severe.liabilities.withdrawals_idr,
        luna.liabilities.withdrawals_idr
    );
    assert_eq!(
        severe.liabilities.withdrawals_idr,
        report.scenarios[&ScenarioName::Severe].summary.p99_idr
    );
}

#[test]
fn verdicts_follow_equity_against_the_ojk_floor() {
    // Assets 79.5 + 4 + 100 + 70.119 = 253.619 bn.
    let cases = [
        (100.0, Verdict::Solvent),
        (210.0, Verdict::OjkBreach),
        (260.0, Verdict::Insolvent),
    ];
    for (withdrawals, verdict) in cases {
        let sheet = stressed_balance_sheet(&firm(), &demand(withdrawals, 0.0, 0.0));
        assert_eq!(sheet.verdict, verdict, "withdrawals {withdrawals} bn");
        let expected_equity = 253.619 * BN - withdrawals * BN;
        assert!((sheet.equity_after_idr - expected_equity).abs() < 1.0);
        let needed = (50.0 * BN - expected_equity).max(0.0);
        assert!((sheet.capital_needed_idr - needed).abs() < 1.0);
        let car = sheet.capital_adequacy_ratio.unwrap();
        assert!((car - 253.619 / withdrawals).abs() < 1e-9);
    }
}

#[test]
fn consumer_fiat_is_never_an_asset() {
    let small = stressed_balance_sheet(&firm(), &demand(30.0, 1.0, 10.0));
    let large = stressed_balance_sheet(
        &firm(),
        &ScenarioDemand {
            customer_fiat_idr: 50_000.0 * BN,
            ..demand(30.0, 1.0, 10.0)
        },
    );
    assert_eq!(small.assets, large.assets);
    assert_eq!(small.equity_after_idr, large.equity_after_idr);
}

#[test]
fn solvency_needs_all_scenarios_even_when_one_is_reported() {
    let (_, only_mild) = default_report(1_000, vec![ScenarioName::Mild]);
    let (_, all) = default_report(1_000, ScenarioName::ALL.to_vec());
    assert_eq!(only_mild.scenarios.len(), 1);
    for s in StressScenario::ALL {
        assert_eq!(
            only_mild.solvency.scenarios[&s], all.solvency.scenarios[&s],
            "{s}: the sheet must not depend on which scenarios are printed"
        );
    }
    assert_eq!(only_mild.recommendation.layers, all.recommendation.layers);
}

#[test]
fn reserve_layers_sum_to_the_recommendation_and_monday_money_never_counts() {
    let (_, report) = default_report(2_000, ScenarioName::ALL.to_vec());
    let rec = &report.recommendation;
    let layers = &rec.layers;
    assert_eq!(layers.len(), 3);
    assert!(layers.iter().all(|l| l.size_idr >= 0.0));
    let total: f64 = layers.iter().map(|l| l.size_idr).sum();
    assert!((total - rec.reserve_idr).abs() < 1e-3);
    assert_eq!(layers[0].available_after_hours, 0);
    assert!(layers[0].available_after_hours < layers[1].available_after_hours);
    assert_eq!(layers[2].available_after_hours, report.window_hours);
    assert_eq!(layers[2].usable_weekend_idr, 0.0);
    assert_eq!(rec.liquidity.monday_money_idr, 0);
}

#[test]
fn simulate_reports_the_new_sections_in_tables_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("report.json");
    let out = Command::new(env!("CARGO_BIN_EXE_sentinel"))
        .args(["simulate", "--paths", "1000", "--seed", "3", "--json"])
        .arg(&json)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    for title in [
        "MARKET RISK",
        "INSURANCE FUND",
        "STRESSED BALANCE SHEET",
        "RESERVE LAYERS",
    ] {
        assert!(stdout.contains(title), "missing {title}");
    }
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    for name in ["normal", "mild", "severe", "luna"] {
        let s = &report["solvency"]["scenarios"][name];
        assert!(s["verdict"].is_string(), "solvency.{name}.verdict");
        for key in [
            "equity_after_idr",
            "capital_adequacy_ratio",
            "capital_needed_idr",
        ] {
            assert!(s[key].is_number(), "solvency.{name}.{key}");
        }
        assert!(s["waterfall"].as_array().unwrap().len() >= 5);
        assert!(report["insurance_fund"]["scenarios"][name]["exhaustion_probability"].is_number());
    }
    assert!(report["var"]["historical"]["cvar99_idr"].is_number());
    assert!(report["var"]["filtered"]["effective_sample_size_days"].is_number());
    assert!(report["var"]["tiers"]["tier2_idr"].is_number());
    assert!(report["var"]["backtest_historical"]["kupiec_p_value"].is_number());
    assert_eq!(
        report["recommendation"]["layers"].as_array().unwrap().len(),
        3
    );
}

#[test]
fn a_bad_price_csv_exits_2_naming_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("prices.csv");
    std::fs::write(
        &csv,
        "date,btc,eth,alt\n2024-01-01,1,1,1\n2024-01-02,1,oops,1\n",
    )
    .unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!("[market]\nprices_csv = {:?}\n", csv.display().to_string()),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_sentinel"))
        .args(["simulate", "--paths", "100", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("line 3") && stderr.contains("eth"),
        "{stderr}"
    );
}

#[test]
fn market_loss_follows_the_documented_scenario_mapping() {
    let (_, report) = default_report(1_000, vec![ScenarioName::Normal]);
    let var = &report.var;
    let horizon = (65.0f64 / 24.0).sqrt();
    let shock = |s: StressScenario| {
        var.shocks
            .iter()
            .find(|x| x.scenario == s)
            .unwrap()
            .loss_idr
    };
    let worst_shock = var.shocks.iter().map(|x| x.loss_idr).fold(0.0, f64::max);
    let expected = [
        (StressScenario::Normal, var.tiers.tier1_idr * horizon),
        (StressScenario::Mild, shock(StressScenario::Mild)),
        (
            StressScenario::Severe,
            (var.stressed.levels.cvar99_idr * horizon).max(worst_shock),
        ),
        (StressScenario::Luna, shock(StressScenario::Luna)),
    ];
    for (scenario, loss) in expected {
        let charged = report.solvency.scenarios[&scenario]
            .liabilities
            .market_loss_idr;
        assert!(
            (charged - loss.min(var.history.book_idr)).abs() < 1e-3,
            "{scenario}"
        );
    }
}
