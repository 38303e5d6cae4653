//! Plain-text tables of a batch report: one function per section, each writing into a
//! `String` through [`std::fmt::Write`] and returning [`fmt::Result`].
//!
//! Labels that depend on the configuration (the rule-of-thumb share) come from
//! [`Labels`], never from constants.

use std::fmt::{self, Write};

use sentinel::batch::BatchReport;
use sentinel::config::Config;
use sentinel::config::risk::{FundDeficit, GapFunding, ReserveBasis};
use sentinel::model::liquidity::LiquidityView;
use sentinel::model::mc_error::Interval95;
use sentinel::model::solvency::{SolvencyReport, WATERFALL_ASSET_STEPS};
use sentinel::model::var::{Backtest, VarLevels};

/// Reserve shares (of total fiat) shown as columns of the safety frontier; the
/// rule-of-thumb share is added when it is not one of them.
const FRONTIER_LEVELS: [f64; 9] = [0.05, 0.10, 0.20, 0.30, 0.40, 0.50, 0.60, 0.80, 1.00];

/// Two shares closer than this are the same frontier column.
const SAME_SHARE: f64 = 1e-9;

/// What the tables need from the configuration besides the report.
#[derive(Debug, Clone, Copy)]
pub(super) struct Labels {
    /// `reserve.rule_of_thumb_share`: the industry rule of thumb, as a share of fiat.
    pub rule_of_thumb_share: f64,
}

impl Labels {
    /// The labels of `config`.
    pub fn of(config: &Config) -> Self {
        Self {
            rule_of_thumb_share: config.reserve.rule_of_thumb_share,
        }
    }

    /// The rule of thumb as people say it: `10%` for 0.10, `12.5%` for 0.125.
    fn rule_percent(self) -> String {
        let text = format!("{:.2}", self.rule_of_thumb_share * 100.0);
        let text = text.trim_end_matches('0').trim_end_matches('.');
        format!("{text}%")
    }
}

/// Rupiah in billions, e.g. `Rp 12.3 bn` (the report's one formatter, fixed to billions
/// so the columns line up).
fn bn(idr: f64) -> String {
    sentinel::report::money::idr_bn(idr)
}

fn pct(share: f64) -> String {
    format!("{:.2}%", share * 100.0)
}

/// A 95% interval of a probability, e.g. `[0.31, 0.58]%`.
fn ci_pct(ci: Interval95) -> String {
    format!("[{:.2}, {:.2}]%", ci.low * 100.0, ci.high * 100.0)
}

/// A 95% interval of an amount, e.g. `[300.1, 312.4] bn`.
fn ci_bn(ci: Interval95) -> String {
    format!("[{:.1}, {:.1}] bn", ci.low / 1e9, ci.high / 1e9)
}

/// Hours as printed, `-` when there are none.
pub(super) fn hours(h: Option<f64>) -> String {
    h.map_or_else(|| "-".to_owned(), |h| format!("{h:.0} h"))
}

/// Renders the report's tables.
pub(super) fn render(r: &BatchReport, labels: Labels) -> Result<String, fmt::Error> {
    let mut out = String::new();
    user_base(&mut out, r)?;
    weekend_window(&mut out, r)?;
    withdrawals(&mut out, r)?;
    monte_carlo_error(&mut out, r)?;
    calibration(&mut out, r)?;
    reserve_sizing(&mut out, r)?;
    safety_frontier(&mut out, r, labels)?;
    time_to_insolvency(&mut out, r, labels)?;
    liquidity(&mut out, r, labels)?;
    recommendation(&mut out, r)?;
    market_risk(&mut out, r)?;
    insurance_fund(&mut out, r)?;
    solvency(&mut out, r)?;
    reserve_layers(&mut out, r)?;
    Ok(out)
}

fn user_base(out: &mut String, r: &BatchReport) -> fmt::Result {
    let u = &r.user_base;
    writeln!(out, "USER BASE")?;
    writeln!(
        out,
        "  {} accounts ({} retail, {} institutional); total fiat {} (USD {:.1} m)",
        u.accounts,
        u.retail_accounts,
        u.institutional_accounts,
        bn(u.total_fiat_idr as f64),
        u.total_fiat_idr as f64 / r.usd_idr_rate / 1e6
    )?;
    writeln!(
        out,
        "  institutional share {}, Gini {:.3}, top 1% hold {}",
        pct(u.institutional_balance_share),
        u.gini,
        pct(u.top_1pct_share)
    )?;
    writeln!(
        out,
        "  effective number of institutions (1/HHI) {:.1}; weekends drawn over {} institutional draw(s)",
        u.institutional_effective_count, u.institutional_draws
    )
}

fn weekend_window(out: &mut String, r: &BatchReport) -> fmt::Result {
    writeln!(
        out,
        "\nRAIL CLOSURE  {} -> {} ({} h)",
        r.window_opens, r.window_reopens, r.window_hours
    )
}

fn withdrawals(out: &mut String, r: &BatchReport) -> fmt::Result {
    writeln!(
        out,
        "\nWEEKEND WITHDRAWALS ({} paths per scenario)",
        r.paths
    )?;
    writeln!(
        out,
        "  {:<8} {:>14} {:>14} {:>14} {:>14} {:>14} {:>9} {:>11}",
        "scenario", "mean", "p50", "p95", "p99", "CVaR99", "mean %", "documented"
    )?;
    for (name, s) in &r.scenarios {
        let m = &s.summary;
        writeln!(
            out,
            "  {:<8} {:>14} {:>14} {:>14} {:>14} {:>14} {:>9} {:>5.0}-{:.0}%",
            name.as_str(),
            bn(m.mean_idr),
            bn(m.p50_idr),
            bn(m.p95_idr),
            bn(m.p99_idr),
            bn(m.cvar99_idr),
            pct(s.share_of_fiat_mean),
            s.expected_share_low * 100.0,
            s.expected_share_high * 100.0
        )?;
    }
    Ok(())
}

fn monte_carlo_error(out: &mut String, r: &BatchReport) -> fmt::Result {
    writeln!(
        out,
        "\nMONTE CARLO ERROR (95% intervals; more --paths narrow them)"
    )?;
    writeln!(
        out,
        "  {:<8} {:>24} {:>24} {:>24}",
        "scenario", "mean", "p99", "CVaR99"
    )?;
    for (name, s) in &r.scenarios {
        let i = &s.intervals_95;
        writeln!(
            out,
            "  {:<8} {:>24} {:>24} {:>24}",
            name.as_str(),
            ci_bn(i.mean_idr),
            ci_bn(i.p99_idr),
            ci_bn(i.cvar99_idr)
        )?;
    }
    Ok(())
}

fn calibration(out: &mut String, r: &BatchReport) -> fmt::Result {
    writeln!(
        out,
        "\nCALIBRATION (each scenario against the documented record)"
    )?;
    writeln!(
        out,
        "  {:<8} {:>8} {:>11} {:>12} {:>26} {:>16}",
        "scenario",
        "mean %",
        "documented",
        "inst. share",
        "inst. out before retail peak",
        "retail total CV"
    )?;
    for (name, s) in &r.scenarios {
        let c = &s.calibration;
        let early = match (
            c.institutional_before_retail_peak_share,
            c.retail_peak_hours,
        ) {
            (Some(share), Some(h)) => format!("{} by hour {h:.0}", pct(share)),
            _ => "- (no panic)".to_owned(),
        };
        let verdict =
            if (s.expected_share_low..=s.expected_share_high).contains(&s.share_of_fiat_mean) {
                "in range"
            } else {
                "OUT OF RANGE"
            };
        writeln!(
            out,
            "  {:<8} {:>8} {:>5.1}-{:.1}% {:>12} {:>26} {:>16}  {verdict}",
            name.as_str(),
            pct(s.share_of_fiat_mean),
            s.expected_share_low * 100.0,
            s.expected_share_high * 100.0,
            pct(c.institutional_share_of_total),
            early,
            pct(c.retail_total_cv)
        )?;
    }
    match &r.user_base_sensitivity {
        Some(band) => writeln!(
            out,
            "  user base: the recommendation on {} other user-base seed(s) ({}) is {}..{} ({:+.1}% / {:+.1}% of {})",
            band.seeds.len(),
            band.seeds
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            bn(band
                .reserve_idr
                .iter()
                .copied()
                .fold(f64::INFINITY, f64::min)),
            bn(band
                .reserve_idr
                .iter()
                .copied()
                .fold(f64::NEG_INFINITY, f64::max)),
            band.deviation_low * 100.0,
            band.deviation_high * 100.0,
            bn(band.reported_idr)
        ),
        None if r.user_base.institutional_draws == 1 => writeln!(
            out,
            "  user base: one institutional book (real accounts, or user_base.draws = 1): no user-base band"
        ),
        None => writeln!(
            out,
            "  user base: {} institutional draws integrated; add --sensitivity-seeds 4 to print the band \
             (about 0.1 s a seed)",
            r.user_base.institutional_draws
        ),
    }
}

fn reserve_sizing(out: &mut String, r: &BatchReport) -> fmt::Result {
    writeln!(
        out,
        "\nRESERVE SIZING (critical ratio {:.3}; range {:.3}-{:.3})",
        r.critical_ratio, r.critical_ratio_low, r.critical_ratio_high
    )?;
    writeln!(
        out,
        "  {:<8} {:<14} {:>14} {:>9} {:>10} {:>18} {:>20}",
        "scenario", "policy", "reserve", "% fiat", "P(fail)", "95% interval", "opportunity / yr"
    )?;
    for (name, s) in &r.scenarios {
        for p in &s.reserve.policies {
            writeln!(
                out,
                "  {:<8} {:<14} {:>14} {:>9} {:>10} {:>18} {:>20}",
                name.as_str(),
                p.policy,
                bn(p.reserve_idr),
                pct(p.reserve_share),
                pct(p.failure.probability),
                ci_pct(p.failure.ci95),
                bn(p.annual_opportunity_cost_idr)
            )?;
        }
    }
    Ok(())
}

/// The frontier's columns: [`FRONTIER_LEVELS`] plus the rule-of-thumb share, ascending.
fn frontier_levels(labels: Labels) -> Vec<f64> {
    let rule = labels.rule_of_thumb_share;
    let mut levels = FRONTIER_LEVELS.to_vec();
    if !levels.iter().any(|l| (l - rule).abs() < SAME_SHARE) {
        levels.push(rule);
        levels.sort_by(f64::total_cmp);
    }
    levels
}

fn safety_frontier(out: &mut String, r: &BatchReport, labels: Labels) -> fmt::Result {
    writeln!(out, "\nSAFETY FRONTIER  P(weekend withdrawals > reserve)")?;
    let levels = frontier_levels(labels);
    write!(out, "  {:<8}", "reserve")?;
    for &l in &levels {
        let is_rule = (l - labels.rule_of_thumb_share).abs() < SAME_SHARE;
        let marker = if is_rule { "*" } else { "" };
        write!(out, " {:>8}", format!("{}{marker}", pct(l)))?;
    }
    writeln!(out, " {:>12}", "1% safe at")?;
    for (name, s) in &r.scenarios {
        write!(out, "  {:<8}", name.as_str())?;
        for &l in &levels {
            let p = s
                .frontier
                .iter()
                .min_by(|a, b| {
                    (a.reserve_share - l)
                        .abs()
                        .total_cmp(&(b.reserve_share - l).abs())
                })
                .map_or(f64::NAN, |p| p.failure_probability);
            write!(out, " {:>8}", pct(p))?;
        }
        writeln!(out, " {:>12}", pct(s.safe_reserve_share_1pct))?;
    }
    writeln!(
        out,
        "  (* the {} industry rule of thumb)",
        labels.rule_percent()
    )
}

fn time_to_insolvency(out: &mut String, r: &BatchReport, labels: Labels) -> fmt::Result {
    writeln!(
        out,
        "\nTIME TO INSOLVENCY (hours after the close, given a breach)"
    )?;
    writeln!(
        out,
        "  {:<8} {:<24} {:>9} {:>18} {:>7} {:>7} {:>7}",
        "scenario", "reserve", "P(fail)", "95% interval", "p10", "p25", "p50"
    )?;
    let rule_label = format!("{} rule", labels.rule_percent());
    for (name, s) in &r.scenarios {
        let t = &s.time_to_insolvency.rule_of_thumb;
        writeln!(
            out,
            "  {:<8} {:<24} {:>9} {:>18} {:>7} {:>7} {:>7}",
            name.as_str(),
            format!("{rule_label} {}", bn(t.reserve_idr)),
            pct(t.failure_probability),
            ci_pct(t.failure_ci95),
            hours(t.p10_hours),
            hours(t.p25_hours),
            hours(t.p50_hours)
        )?;
    }
    Ok(())
}

fn liquidity(out: &mut String, r: &BatchReport, labels: Labels) -> fmt::Result {
    writeln!(
        out,
        "\nLIQUIDITY (reserve layers counted from the hour they can pay; Monday money never counts)"
    )?;
    writeln!(
        out,
        "  {:<8} {:<12} {:>13} {:>10} {:>10} {:>18} {:>6} {:>6} {:>12} {:>6}  verdict",
        "scenario",
        "reserve",
        "usable wknd",
        "Monday",
        "P(short)",
        "95% interval",
        "p10",
        "p50",
        "gap p99",
        "LCR"
    )?;
    let rule_label = format!("{} rule", labels.rule_percent());
    for (name, s) in &r.scenarios {
        liquidity_row(out, name.as_str(), "recommended", &s.liquidity.recommended)?;
        liquidity_row(out, name.as_str(), &rule_label, &s.liquidity.rule_of_thumb)?;
    }
    writeln!(
        out,
        "  P(short): P(cumulative withdrawals exceed the usable reserve at some hour); \
         p10/p50: first short hour; LCR: usable / p99 outflow"
    )
}

fn liquidity_row(out: &mut String, scenario: &str, label: &str, v: &LiquidityView) -> fmt::Result {
    writeln!(
        out,
        "  {:<8} {:<12} {:>13} {:>10} {:>10} {:>18} {:>6} {:>6} {:>12} {:>6.2}  {}",
        scenario,
        label,
        bn(v.usable_before_reopening_idr as f64),
        bn(v.monday_money_idr as f64),
        pct(v.shortfall.probability),
        ci_pct(v.shortfall.ci95),
        hours(v.first_shortfall_p10_hours),
        hours(v.first_shortfall_p50_hours),
        bn(v.gap_p99_idr),
        v.coverage_ratio,
        v.verdict.as_str()
    )
}

fn recommendation(out: &mut String, r: &BatchReport) -> fmt::Result {
    let rec = &r.recommendation;
    let v = &rec.liquidity;
    writeln!(out, "\nRECOMMENDATION")?;
    writeln!(
        out,
        "  Fund {} ({} of fiat, USD {:.1} m) before {}: layers that pay every hour of the {} \
         weekend with P(shortfall) <= {}.",
        bn(rec.reserve_idr),
        pct(rec.reserve_share),
        rec.reserve_usd / 1e6,
        r.window_opens,
        rec.scenario,
        pct(rec.target_shortfall_probability)
    )?;
    writeln!(
        out,
        "  Tested hour by hour: P(shortfall) = {} (95% interval {}, {} paths); {}.",
        pct(v.shortfall.probability),
        ci_pct(v.shortfall.ci95),
        v.shortfall.paths,
        v.verdict.as_str()
    )?;
    writeln!(
        out,
        "  References: newsvendor {}, CVaR99 {}. For a {:.0}% relative error on P(shortfall) \
         run --paths {}.",
        bn(rec.newsvendor_reference_idr),
        bn(rec.cvar99_reference_idr),
        rec.precision_relative_error * 100.0,
        rec.paths_for_precision
    )
}

fn market_risk(out: &mut String, r: &BatchReport) -> fmt::Result {
    market_history(out, r)?;
    var_levels(out, r)?;
    shocks_and_backtests(out, r)
}

/// Where the price history comes from, in words.
fn history_source(r: &BatchReport) -> String {
    let h = &r.var.history;
    match (&h.dates, &h.regimes) {
        (Some((first, last)), _) => format!("price CSV {first} to {last}"),
        (None, Some(g)) => format!(
            "synthetic regimes, stationary normal/stressed/crisis {}/{}/{} (realised {}/{}/{})",
            pct(g.stationary_share[0]),
            pct(g.stationary_share[1]),
            pct(g.stationary_share[2]),
            pct(g.realised_share[0]),
            pct(g.realised_share[1]),
            pct(g.realised_share[2])
        ),
        (None, None) => "history".to_owned(),
    }
}

fn market_history(out: &mut String, r: &BatchReport) -> fmt::Result {
    let h = &r.var.history;
    writeln!(
        out,
        "\nMARKET RISK OF THE CRYPTO BOOK ({} = BTC {} / ETH {} / ALT {}; one day)",
        bn(h.book_idr),
        bn(h.holdings_idr[0]),
        bn(h.holdings_idr[1]),
        bn(h.holdings_idr[2])
    )?;
    writeln!(
        out,
        "  {} days of {}; book volatility {} a year",
        h.days,
        history_source(r),
        pct(h.book_vol_annual)
    )
}

fn var_levels(out: &mut String, r: &BatchReport) -> fmt::Result {
    let v = &r.var;
    writeln!(
        out,
        "  {:<34} {:>14} {:>14} {:>14} {:>14}",
        "method", "VaR95", "CVaR95", "VaR99", "CVaR99"
    )?;
    let rows: [(String, VarLevels); 3] = [
        (
            format!("historical, last {} days", v.lookback_days),
            v.historical,
        ),
        (
            format!("EWMA-filtered HS, lambda {}", v.filtered.lambda),
            v.filtered.levels,
        ),
        (
            format!(
                "stressed {} d max VaR99 (day {})",
                v.stressed.window_days, v.stressed.start_day
            ),
            v.stressed.levels,
        ),
    ];
    for (label, l) in rows {
        writeln!(
            out,
            "  {:<34} {:>14} {:>14} {:>14} {:>14}",
            label,
            bn(l.var95_idr),
            bn(l.cvar95_idr),
            bn(l.var99_idr),
            bn(l.cvar99_idr)
        )?;
    }
    writeln!(
        out,
        "  EWMA volatility today {} a day (window mean {}); effective sample size {:.1} days \
         (Kish, (1+l)/(1-l) = {:.1})",
        pct(v.filtered.current_vol_per_day),
        pct(v.filtered.window_mean_vol_per_day),
        v.filtered.effective_sample_size_days,
        v.filtered.effective_sample_size_limit_days
    )
}

fn shocks_and_backtests(out: &mut String, r: &BatchReport) -> fmt::Result {
    let v = &r.var;
    for s in &v.shocks {
        writeln!(
            out,
            "  shock {:<8} BTC {:>7} ETH {:>7} ALT {:>7}  loss {} ({} of the book)",
            s.scenario.as_str(),
            pct(s.shock_return[0]),
            pct(s.shock_return[1]),
            pct(s.shock_return[2]),
            bn(s.loss_idr),
            pct(s.loss_share)
        )?;
    }
    let t = &v.tiers;
    writeln!(
        out,
        "  Tier 1 {} | Tier 2 {} | gap {} costs {} a year",
        bn(t.tier1_idr),
        bn(t.tier2_idr),
        bn(t.gap_idr),
        bn(t.gap_annual_cost_idr)
    )?;
    backtest(out, "historical", &v.backtest_historical)?;
    backtest(out, "filtered", &v.backtest_filtered)
}

fn backtest(out: &mut String, label: &str, b: &Backtest) -> fmt::Result {
    writeln!(
        out,
        "  backtest VaR99 {label:<10} {} exceptions in {} days (expected {:.1}); \
         Kupiec p = {:.3}, Christoffersen p = {:.3}, joint p = {:.3}",
        b.exceptions,
        b.days,
        b.expected_exceptions,
        b.kupiec_p_value,
        b.christoffersen_p_value,
        b.conditional_coverage_p_value
    )
}

fn insurance_fund(out: &mut String, r: &BatchReport) -> fmt::Result {
    let f = &r.insurance_fund;
    writeln!(
        out,
        "\nINSURANCE FUND {} = {} of open interest {} ({} traders, {} paths of {} h; \
         maintenance margin {}, liquidation fee {})",
        bn(f.fund_idr),
        pct(f.fund_share_of_open_interest),
        bn(f.open_interest_idr),
        f.traders,
        f.paths,
        f.shock_hours,
        pct(f.maintenance_margin_rate),
        pct(f.liquidation_fee_rate)
    )?;
    writeln!(
        out,
        "  {:<8} {:>7} {:>6} {:>12} {:>12} {:>12} {:>8} {:>8} {:>8} {:>13} {:>12} {:>8} {:>7} {:>6}",
        "scenario",
        "BTC",
        "depth",
        "draw p50",
        "draw p99",
        "draw std",
        "p99/fund",
        "P(empty)",
        "P(ADL)",
        "E[clawback]",
        "E[fees]",
        "liq. OI",
        "gapped",
        "ampl."
    )?;
    for (name, s) in &f.scenarios {
        writeln!(
            out,
            "  {:<8} {:>7} {:>6} {:>12} {:>12} {:>12} {:>8} {:>8} {:>8} {:>13} {:>12} {:>8} {:>7} {:>6.2}",
            name.as_str(),
            pct(s.shock_return[0]),
            pct(s.depth_share_of_open_interest),
            bn(s.drawdown.p50_idr),
            bn(s.drawdown.p99_idr),
            bn(s.drawdown.std_idr),
            pct(s.drawdown_p99_share_of_fund),
            pct(s.exhaustion_probability),
            pct(s.adl_probability),
            bn(s.expected_clawback_idr),
            bn(s.mean_fees_idr),
            pct(s.mean_liquidated_share),
            pct(s.gapped_share_of_liquidated),
            s.amplification_mean
        )?;
    }
    writeln!(
        out,
        "  (liquidation at the maintenance margin along an hourly path: the fund pays only gaps past \
         the bankruptcy price and takes the fees;\n   depth = order book within 1% of mid as a share \
         of OI; draw = fund at the start minus its lowest balance; clawback (ADL) is socialised to \
         profitable traders, not a liability of the exchange)"
    )
}

/// The solvency view as a waterfall: one row per step, one column per stress scenario, then the
/// ratios, the liquidity figures and the two verdicts.
fn solvency(out: &mut String, r: &BatchReport) -> fmt::Result {
    solvency_header(out, r)?;
    let sheets: Vec<&SolvencyReport> = r.solvency.scenarios.values().collect();
    let steps = sheets.first().map_or(0, |s| s.waterfall.len());
    for i in 0..steps {
        if i == WATERFALL_ASSET_STEPS {
            solvency_row(out, "= equity before", &sheets, |s| bn(s.equity_before_idr))?;
        }
        let label = sheets[0].waterfall[i].label;
        solvency_row(out, label, &sheets, |s| bn(s.waterfall[i].amount_idr))?;
    }
    solvency_row(out, "= equity after", &sheets, |s| bn(s.equity_after_idr))?;
    solvency_row(out, "equity after / OJK floor", &sheets, |s| {
        ratio(s.equity_after_to_ojk_floor_ratio)
    })?;
    solvency_row(out, "capital needed to the floor", &sheets, |s| {
        bn(s.capital_needed_idr)
    })?;
    solvency_row(out, "fund deficit beyond the fund p99", &sheets, |s| {
        bn(s.insurance_fund.beyond_fund_idr)
    })?;
    solvency_row(out, "withdrawals p99", &sheets, |s| {
        bn(s.funding.withdrawals_fronted_idr)
    })?;
    solvency_row(out, "liquidity gap beyond the reserve", &sheets, |s| {
        bn(s.funding.liquidity_gap_idr)
    })?;
    solvency_row(out, "own crypto sold / gap bridged", &sheets, |s| {
        format!(
            "{:.1} / {:.1} bn",
            s.funding.crypto_sold_idr / 1e9,
            s.funding.bridged_idr / 1e9
        )
    })?;
    solvency_row(out, "liquidity verdict", &sheets, |s| {
        s.liquidity_verdict.as_str().to_owned()
    })?;
    solvency_row(out, "solvency verdict", &sheets, |s| {
        s.solvency_verdict.as_str().to_owned()
    })?;
    writeln!(
        out,
        "  (withdrawals paid from firm cash swap cash for a claim on the segregated customer \
         account: equity moves only by the cost of funding the gap; luna reuses the severe \
         withdrawal distribution)"
    )
}

/// One row of the solvency table: `label`, then `cell` of each scenario's sheet.
fn solvency_row(
    out: &mut String,
    label: &str,
    sheets: &[&SolvencyReport],
    cell: impl Fn(&SolvencyReport) -> String,
) -> fmt::Result {
    write!(out, "  {label:<46}")?;
    for s in sheets {
        write!(out, " {:>20}", cell(s))?;
    }
    writeln!(out)
}

fn ratio(x: Option<f64>) -> String {
    x.map_or_else(|| "-".to_owned(), |x| format!("{x:.2}"))
}

fn solvency_header(out: &mut String, r: &BatchReport) -> fmt::Result {
    let b = &r.solvency;
    let firm = &b.firm;
    writeln!(
        out,
        "\nSTRESSED BALANCE SHEET: SOLVENCY VIEW (reserve: {}; OJK equity floor {}; consumer \
         hot-wallet ceiling {}, consumer assets, not counted)",
        match b.reserve_basis {
            ReserveBasis::RuleOfThumb => "rule of thumb",
            ReserveBasis::Recommended => "recommended",
        },
        bn(firm.ojk_floor_idr),
        bn(b.consumer_hot_wallet_ceiling_idr),
    )?;
    let funding = match firm.gap_funding {
        GapFunding::Borrow => "all bridged".to_owned(),
        GapFunding::SellCryptoFirst => format!(
            "own hot-wallet crypto ({} of the book) sold first at a {} haircut + {} impact, \
             the rest bridged",
            pct(firm.firm_hot_wallet_share),
            pct(firm.conversion_haircut),
            pct(firm.market_impact)
        ),
    };
    let deficit = match firm.fund_deficit {
        FundDeficit::Socialised => "socialised to traders",
        FundDeficit::Absorbed => "absorbed by the exchange",
    };
    writeln!(
        out,
        "  gap: {funding} at {} a year until the rails reopen; fund deficit beyond the fund {deficit}",
        pct(firm.bridge_rate_per_year)
    )?;
    write!(out, "  {:<46}", "step")?;
    for name in b.scenarios.keys() {
        write!(out, " {:>20}", name.as_str())?;
    }
    writeln!(out)
}

fn reserve_layers(out: &mut String, r: &BatchReport) -> fmt::Result {
    let rec = &r.recommendation;
    writeln!(out, "\nRESERVE LAYERS (total {})", bn(rec.reserve_idr))?;
    writeln!(
        out,
        "  {:<8} {:>12} {:>13} {:>9} {:>7} {:>12}  instrument",
        "layer", "size", "usable wknd", "from", "yield", "cost / yr"
    )?;
    for l in &rec.layers {
        writeln!(
            out,
            "  {:<8} {:>12} {:>13} {:>9} {:>7} {:>12}  {}",
            l.layer,
            bn(l.size_idr),
            bn(l.usable_weekend_idr),
            format!("hour {}", l.available_after_hours),
            pct(l.yield_per_year),
            bn(l.annual_cost_idr),
            l.instrument
        )?;
    }
    writeln!(
        out,
        "  total cost against the opportunity yield: {} a year; Monday money settles only when \
         the rails reopen",
        bn(rec.annual_cost_idr)
    )
}

#[cfg(test)]
mod tests {
    use super::Labels;

    #[test]
    fn the_rule_of_thumb_is_said_as_people_say_it() {
        let percent = |share| {
            Labels {
                rule_of_thumb_share: share,
            }
            .rule_percent()
        };
        assert_eq!(percent(0.10), "10%");
        assert_eq!(percent(0.15), "15%");
        assert_eq!(percent(0.125), "12.5%");
        assert_eq!(percent(0.07), "7%");
    }
}
