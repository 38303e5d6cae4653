//! The solvency view: equity after the stress against the OJK floor, apart from liquidity.
//! Closed forms for the swap of withdrawals, the bridging cost, the crypto sale, the fund
//! deficit and the verdicts; monotonicity in the firm's own crypto; the report it feeds.

use std::process::Command;

use sentinel::batch::{BatchReport, BatchRequest, run_batch};
use sentinel::config::{Config, FundDeficit, GapFunding, ScenarioName, StressScenario};
use sentinel::model::solvency::{
    FirmResources, LiquidityVerdict, ScenarioDemand, Verdict, stressed_balance_sheet,
};
use sentinel::model::user_base::UserBase;

const BN: f64 = 1e9;
const RATE: f64 = 0.12;
const HOURS: f64 = 65.0;

/// Reserve 79.5, fund 4, capital 100, book 159: equity before Rp 342.5 bn.
fn firm(gap_funding: GapFunding) -> FirmResources {
    FirmResources {
        fiat_reserve_idr: 79.5 * BN,
        insurance_fund_idr: 4.0 * BN,
        insurance_fund_is_firm_equity: true,
        proprietary_capital_idr: 100.0 * BN,
        crypto_book_idr: 159.0 * BN,
        firm_hot_wallet_share: 0.3,
        conversion_haircut: 0.02,
        market_impact: 0.01,
        bridge_rate_per_year: RATE,
        fund_deficit: FundDeficit::Socialised,
        gap_funding,
        ojk_floor_idr: 50.0 * BN,
    }
}

/// Withdrawals `w` bn against the 79.5 bn reserve, fund deficit and market loss in bn.
fn demand(w: f64, fund_deficit: f64, market: f64) -> ScenarioDemand {
    ScenarioDemand {
        withdrawals_p99_idr: w * BN,
        liquidity_gap_idr: (w - 79.5).max(0.0) * BN,
        bridge_hours: HOURS,
        fund_deficit_p99_idr: fund_deficit * BN,
        market_loss_idr: market * BN,
    }
}

fn batch_report(config: &Config, paths: usize, scenarios: Vec<ScenarioName>) -> BatchReport {
    let users = UserBase::synthetic(&config.user_base);
    let request = BatchRequest {
        scenarios,
        paths,
        seed: 11,
    };
    run_batch(config, &users, &request).unwrap()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * b.abs().max(1.0)
}

#[test]
fn paying_withdrawals_from_cash_moves_equity_only_by_the_bridging_cost() {
    let before = 342.5 * BN;
    for w in [0.0, 50.0, 79.5, 120.0, 335.4, 795.0] {
        let sheet = stressed_balance_sheet(&firm(GapFunding::Borrow), &demand(w, 0.0, 0.0));
        let gap = (w - 79.5).max(0.0) * BN;
        let bridging = gap * RATE * HOURS / 8760.0;
        assert_eq!(sheet.equity_before_idr, before);
        assert!(close(sheet.equity_after_idr, before - bridging), "w = {w}");
        assert!(close(sheet.charges.bridging_cost_idr, bridging));
        assert_eq!(sheet.charges.crypto_sale_loss_idr, 0.0);
        assert_eq!(sheet.funding.claim_on_segregated_account_idr, w * BN);
        assert_eq!(sheet.funding.withdrawals_fronted_idr, w * BN);
    }
    // The same gap with ten times the withdrawals: the same equity.
    let small = ScenarioDemand {
        withdrawals_p99_idr: 100.0 * BN,
        ..demand(100.0, 0.0, 0.0)
    };
    let large = ScenarioDemand {
        withdrawals_p99_idr: 1_000.0 * BN,
        ..small
    };
    let f = firm(GapFunding::Borrow);
    assert_eq!(
        stressed_balance_sheet(&f, &small).equity_after_idr,
        stressed_balance_sheet(&f, &large).equity_after_idr
    );
}

#[test]
fn selling_own_hot_wallet_crypto_costs_haircut_and_impact_and_the_rest_is_bridged() {
    // Hot wallet after a 59 bn market loss: 0.3 × (159 − 59) = 30 bn; keep 1 − 0.03 = 0.97.
    let f = firm(GapFunding::SellCryptoFirst);
    for (w, expected_sold) in [(79.5, 0.0), (99.5, 20.0 / 0.97), (335.4, 30.0)] {
        let sheet = stressed_balance_sheet(&f, &demand(w, 0.0, 59.0));
        let gap = (w - 79.5) * BN;
        let sold = expected_sold * BN;
        let bridged = gap - sold * 0.97;
        let after = 342.5 * BN - 59.0 * BN - sold * 0.03 - bridged * RATE * HOURS / 8760.0;
        assert!(close(sheet.funding.crypto_sold_idr, sold), "w = {w}");
        assert!(close(sheet.funding.bridged_idr, bridged.max(0.0)));
        assert!(close(sheet.charges.crypto_sale_loss_idr, sold * 0.03));
        assert!(close(sheet.equity_after_idr, after), "w = {w}");
    }
}

#[test]
fn adding_firm_crypto_never_lowers_equity_after_stress() {
    let books = [0.0, 10.0, 50.0, 159.0, 318.0, 1_000.0];
    for funding in [GapFunding::Borrow, GapFunding::SellCryptoFirst] {
        for w in [0.0, 137.8, 335.4, 2_000.0] {
            // A loss proportional to the book (as the VaR suite's is), and a fixed one.
            for (share, fixed) in [(0.0, 0.0), (0.3, 0.0), (0.58, 0.0), (1.0, 0.0), (0.0, 92.2)] {
                let mut last = f64::NEG_INFINITY;
                for book in books {
                    let f = FirmResources {
                        crypto_book_idr: book * BN,
                        ..firm(funding)
                    };
                    let d = demand(w, 10.0, share * book + fixed);
                    let after = stressed_balance_sheet(&f, &d).equity_after_idr;
                    assert!(
                        after >= last - 1e-3,
                        "{funding:?}, w {w}, loss {share}×book+{fixed}: book {book} bn lowers \
                         equity to {after} from {last}"
                    );
                    last = after;
                }
            }
        }
    }
}

#[test]
fn doubling_the_book_in_the_batch_never_lowers_equity_after_stress() {
    let config = Config::default();
    let mut doubled = Config::default();
    doubled.market.holdings_idr = config.market.holdings_idr.map(|h| 2 * h);
    let base = batch_report(&config, 500, vec![ScenarioName::Normal]);
    let more = batch_report(&doubled, 500, vec![ScenarioName::Normal]);
    for s in StressScenario::ALL {
        let (a, b) = (&base.solvency.scenarios[&s], &more.solvency.scenarios[&s]);
        assert!(
            b.equity_after_idr >= a.equity_after_idr,
            "{s}: {} < {}",
            b.equity_after_idr,
            a.equity_after_idr
        );
    }
}

#[test]
fn the_fund_deficit_beyond_the_fund_counts_only_when_absorbed() {
    // Deficit 10 bn against a 4 bn fund: 4 drawn, 6 beyond.
    let d = demand(0.0, 10.0, 0.0);
    let socialised = stressed_balance_sheet(&firm(GapFunding::Borrow), &d);
    assert_eq!(socialised.insurance_fund.drawn_from_fund_idr, 4.0 * BN);
    assert_eq!(socialised.insurance_fund.beyond_fund_idr, 6.0 * BN);
    assert_eq!(socialised.charges.insurance_fund_loss_idr, 4.0 * BN);
    assert_eq!(socialised.charges.fund_deficit_absorbed_idr, 0.0);
    assert_eq!(socialised.equity_after_idr, 338.5 * BN);
    let absorbing = FirmResources {
        fund_deficit: FundDeficit::Absorbed,
        ..firm(GapFunding::Borrow)
    };
    let absorbed = stressed_balance_sheet(&absorbing, &d);
    assert_eq!(absorbed.charges.fund_deficit_absorbed_idr, 6.0 * BN);
    assert_eq!(absorbed.equity_after_idr, 332.5 * BN);
    // A fund that is not firm equity is neither an asset nor the firm's loss.
    let outside = FirmResources {
        insurance_fund_is_firm_equity: false,
        ..absorbing
    };
    let sheet = stressed_balance_sheet(&outside, &d);
    assert_eq!(sheet.equity_before_idr, 338.5 * BN);
    assert_eq!(sheet.charges.insurance_fund_loss_idr, 0.0);
    assert_eq!(sheet.equity_after_idr, 332.5 * BN);
    // A deficit within the fund is never absorbed beyond it.
    let within = stressed_balance_sheet(&absorbing, &demand(0.0, 3.0, 0.0));
    assert_eq!(within.charges.fund_deficit_absorbed_idr, 0.0);
    assert_eq!(within.equity_after_idr, 339.5 * BN);
}

#[test]
fn solvency_verdicts_switch_at_the_floor_and_at_zero() {
    // Absorbed deficit D: charges are D, equity after 342.5 − D bn.
    let f = FirmResources {
        fund_deficit: FundDeficit::Absorbed,
        ..firm(GapFunding::Borrow)
    };
    let cases = [
        (0.0, 342.5 * BN, Verdict::Solvent),
        (292.5 * BN, 50.0 * BN, Verdict::Solvent),
        (292.5 * BN + 1.0, 50.0 * BN - 1.0, Verdict::OjkBreach),
        (342.5 * BN, 0.0, Verdict::OjkBreach),
        (342.5 * BN + 1.0, -1.0, Verdict::Insolvent),
    ];
    for (deficit, equity, verdict) in cases {
        let d = ScenarioDemand {
            fund_deficit_p99_idr: deficit,
            ..demand(0.0, 0.0, 0.0)
        };
        let sheet = stressed_balance_sheet(&f, &d);
        assert_eq!(sheet.equity_after_idr, equity);
        assert_eq!(sheet.solvency_verdict, verdict, "equity {equity}");
        assert_eq!(sheet.liquidity_verdict, LiquidityVerdict::LiquidityOk);
        assert_eq!(sheet.capital_needed_idr, (50.0 * BN - equity).max(0.0));
        assert_eq!(
            sheet.equity_after_to_ojk_floor_ratio,
            Some(equity / (50.0 * BN))
        );
        assert_eq!(
            sheet.equity_after_to_equity_before_ratio,
            Some(equity / (342.5 * BN))
        );
    }
    let no_floor = FirmResources {
        ojk_floor_idr: 0.0,
        ..f
    };
    let sheet = stressed_balance_sheet(&no_floor, &demand(0.0, 0.0, 0.0));
    assert_eq!(sheet.equity_after_to_ojk_floor_ratio, None);
    assert_eq!(sheet.solvency_verdict, Verdict::Solvent);
}

#[test]
fn the_liquidity_verdict_is_the_gap_alone() {
    let f = firm(GapFunding::Borrow);
    let ok = stressed_balance_sheet(&f, &demand(79.5, 0.0, 159.0));
    assert_eq!(ok.liquidity_verdict, LiquidityVerdict::LiquidityOk);
    let short = stressed_balance_sheet(&f, &demand(80.0, 0.0, 0.0));
    assert_eq!(
        short.liquidity_verdict,
        LiquidityVerdict::LiquidityShortfall
    );
    assert_eq!(short.solvency_verdict, Verdict::Solvent);
}

#[test]
fn no_line_exceeds_the_quantity_it_is_drawn_from() {
    // The market loss at most the book, the sale at most the hot wallet after the loss.
    let f = firm(GapFunding::SellCryptoFirst);
    let sheet = stressed_balance_sheet(&f, &demand(5_000.0, 400.0, 2_000.0));
    assert_eq!(sheet.charges.market_loss_idr, 159.0 * BN);
    assert_eq!(sheet.funding.crypto_sold_idr, 0.0);
    let sheet = stressed_balance_sheet(&f, &demand(5_000.0, 0.0, 0.0));
    assert!(close(sheet.funding.crypto_sold_idr, 0.3 * 159.0 * BN));
    let negative = stressed_balance_sheet(&f, &demand(-1.0, -1.0, -1.0));
    assert_eq!(negative.charges.total_idr, 0.0);
    assert_eq!(negative.equity_after_idr, negative.equity_before_idr);
}

#[test]
fn the_consumer_hot_wallet_ceiling_is_not_applied_to_the_firm_book() {
    let config = Config::default();
    let mut no_consumer_crypto = Config::default();
    no_consumer_crypto.solvency.consumer_crypto_idr = 0;
    let a = batch_report(&config, 300, vec![ScenarioName::Normal]);
    let b = batch_report(&no_consumer_crypto, 300, vec![ScenarioName::Normal]);
    assert_eq!(a.solvency.scenarios, b.solvency.scenarios);
    assert!(a.solvency.consumer_hot_wallet_ceiling_idr > 0.0);
    assert_eq!(b.solvency.consumer_hot_wallet_ceiling_idr, 0.0);
}

#[test]
fn the_default_run_respects_every_magnitude_bound() {
    let config = Config::default();
    let report = batch_report(&config, 2_000, ScenarioName::ALL.to_vec());
    let book = config.market.book_idr();
    let fund = report.insurance_fund.fund_idr;
    let reserve = report.solvency.firm.fiat_reserve_idr;
    for (name, sheet) in &report.solvency.scenarios {
        let c = &sheet.charges;
        assert!(
            c.market_loss_idr <= book,
            "{name}: market loss above the book"
        );
        assert!(c.insurance_fund_loss_idr <= fund, "{name}: fund loss");
        assert!(sheet.funding.crypto_sold_idr <= 0.3 * (book - c.market_loss_idr) + 1e-3);
        assert!(sheet.equity_after_idr <= sheet.equity_before_idr);
        let withdrawals = sheet.funding.withdrawals_fronted_idr;
        assert!(close(
            sheet.funding.liquidity_gap_idr,
            (withdrawals - reserve).max(0.0)
        ));
        assert!(close(
            sheet.waterfall[3].running_idr,
            sheet.equity_before_idr
        ));
        let last = sheet.waterfall.last().unwrap().running_idr;
        assert!((last - sheet.equity_after_idr).abs() < 1e-3);
    }
    let normal = &report.solvency.scenarios[&StressScenario::Normal];
    assert_eq!(normal.solvency_verdict, Verdict::Solvent);
    let severe = &report.solvency.scenarios[&StressScenario::Severe];
    let luna = &report.solvency.scenarios[&StressScenario::Luna];
    assert_eq!(
        severe.funding.withdrawals_fronted_idr,
        report.scenarios[&ScenarioName::Severe].summary.p99_idr
    );
    assert_eq!(
        severe.funding.withdrawals_fronted_idr,
        luna.funding.withdrawals_fronted_idr
    );
    assert_eq!(
        severe.liquidity_verdict,
        LiquidityVerdict::LiquidityShortfall,
        "a severe run outruns a 10% reserve"
    );
}

#[test]
fn new_solvency_fields_parse_and_are_range_checked() {
    let config = Config::from_toml_str(
        "[solvency]\nfund_deficit = \"absorbed\"\ngap_funding = \"borrow\"\n\
         insurance_fund_is_firm_equity = false\nfirm_hot_wallet_share = 0.5\n",
    )
    .unwrap();
    assert_eq!(config.solvency.fund_deficit, FundDeficit::Absorbed);
    assert_eq!(config.solvency.gap_funding, GapFunding::Borrow);
    let err = Config::from_toml_str("[solvency]\nmarket_impact = 0.6\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("solvency.market_impact"), "{err}");
}

#[test]
fn solvency_needs_all_scenarios_even_when_one_is_reported() {
    let config = Config::default();
    let only_mild = batch_report(&config, 1_000, vec![ScenarioName::Mild]);
    let all = batch_report(&config, 1_000, ScenarioName::ALL.to_vec());
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
    let report = batch_report(&Config::default(), 2_000, ScenarioName::ALL.to_vec());
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
        "STRESSED BALANCE SHEET: SOLVENCY VIEW",
        "solvency verdict",
        "liquidity verdict",
        "RESERVE LAYERS",
    ] {
        assert!(stdout.contains(title), "missing {title}");
    }
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    for name in ["normal", "mild", "severe", "luna"] {
        let s = &report["solvency"]["scenarios"][name];
        for key in ["solvency_verdict", "liquidity_verdict"] {
            assert!(s[key].is_string(), "solvency.{name}.{key}");
        }
        for key in [
            "equity_before_idr",
            "equity_after_idr",
            "equity_after_to_ojk_floor_ratio",
            "equity_after_to_equity_before_ratio",
            "capital_needed_idr",
        ] {
            assert!(s[key].is_number(), "solvency.{name}.{key}");
        }
        assert!(
            s["capital_adequacy_ratio"].is_null(),
            "the old name is gone"
        );
        for key in ["liquidity_gap_idr", "crypto_sold_idr", "bridged_idr"] {
            assert!(
                s["funding"][key].is_number(),
                "solvency.{name}.funding.{key}"
            );
        }
        for key in [
            "market_loss_idr",
            "bridging_cost_idr",
            "crypto_sale_loss_idr",
        ] {
            assert!(
                s["charges"][key].is_number(),
                "solvency.{name}.charges.{key}"
            );
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
    let report = batch_report(&Config::default(), 1_000, vec![ScenarioName::Normal]);
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
        let charged = report.solvency.scenarios[&scenario].charges.market_loss_idr;
        assert!(
            (charged - loss.min(var.history.book_idr)).abs() < 1e-3,
            "{scenario}"
        );
    }
}
