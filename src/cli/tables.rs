//! Plain-text tables of a batch report.

use std::fmt::Write;

use crate::model::weekend::BatchReport;

/// Rupiah in billions, e.g. `Rp 12.3 bn`.
fn bn(idr: f64) -> String {
    format!("Rp {:.1} bn", idr / 1e9)
}

fn pct(share: f64) -> String {
    format!("{:.2}%", share * 100.0)
}

fn hours(h: Option<f64>) -> String {
    h.map_or_else(|| "-".to_owned(), |h| format!("{h:.0} h"))
}

/// Renders the report's tables.
pub fn render(r: &BatchReport) -> String {
    let mut out = String::new();
    let u = &r.user_base;
    let _ = writeln!(out, "USER BASE");
    let _ = writeln!(
        out,
        "  {} accounts ({} retail, {} institutional); total fiat {} (USD {:.1} m)",
        u.accounts,
        u.retail_accounts,
        u.institutional_accounts,
        bn(u.total_fiat_idr as f64),
        u.total_fiat_idr as f64 / r.usd_idr_rate / 1e6
    );
    let _ = writeln!(
        out,
        "  institutional share {}, Gini {:.3}, top 1% hold {}",
        pct(u.institutional_balance_share),
        u.gini,
        pct(u.top_1pct_share)
    );
    let _ = writeln!(
        out,
        "\nWEEKEND WINDOW  {} -> {} ({} h)",
        r.window_opens, r.window_reopens, r.window_hours
    );

    let _ = writeln!(
        out,
        "\nWEEKEND WITHDRAWALS ({} paths per scenario)",
        r.paths
    );
    let _ = writeln!(
        out,
        "  {:<8} {:>14} {:>14} {:>14} {:>14} {:>14} {:>9} {:>11}",
        "scenario", "mean", "p50", "p95", "p99", "CVaR99", "mean %", "documented"
    );
    for (name, s) in &r.scenarios {
        let m = &s.summary;
        let _ = writeln!(
            out,
            "  {:<8} {:>14} {:>14} {:>14} {:>14} {:>14} {:>9} {:>5.0}-{:.0}%",
            name,
            bn(m.mean_idr),
            bn(m.p50_idr),
            bn(m.p95_idr),
            bn(m.p99_idr),
            bn(m.cvar99_idr),
            pct(s.share_of_fiat_mean),
            s.expected_share_low * 100.0,
            s.expected_share_high * 100.0
        );
    }

    let _ = writeln!(
        out,
        "\nRESERVE SIZING (critical ratio {:.3}; range {:.3}-{:.3})",
        r.critical_ratio, r.critical_ratio_low, r.critical_ratio_high
    );
    let _ = writeln!(
        out,
        "  {:<8} {:<14} {:>14} {:>9} {:>10} {:>20}",
        "scenario", "policy", "reserve", "% fiat", "P(fail)", "opportunity / yr"
    );
    for (name, s) in &r.scenarios {
        for p in &s.reserve.policies {
            let _ = writeln!(
                out,
                "  {:<8} {:<14} {:>14} {:>9} {:>10} {:>20}",
                name,
                p.policy,
                bn(p.reserve_idr),
                pct(p.reserve_share),
                pct(p.failure_probability),
                bn(p.annual_opportunity_cost_idr)
            );
        }
    }

    let _ = writeln!(out, "\nSAFETY FRONTIER  P(weekend withdrawals > reserve)");
    let levels = [0.05, 0.10, 0.20, 0.30, 0.40, 0.50, 0.60, 0.80, 1.00];
    let _ = write!(out, "  {:<8}", "reserve");
    for l in levels {
        let marker = if (l - 0.10f64).abs() < 1e-9 { "*" } else { "" };
        let _ = write!(out, " {:>8}", format!("{}{marker}", pct(l)));
    }
    let _ = writeln!(out, " {:>12}", "1% safe at");
    for (name, s) in &r.scenarios {
        let _ = write!(out, "  {:<8}", name);
        for l in levels {
            let p = s
                .frontier
                .iter()
                .min_by(|a, b| {
                    (a.reserve_share - l)
                        .abs()
                        .total_cmp(&(b.reserve_share - l).abs())
                })
                .map_or(f64::NAN, |p| p.failure_probability);
            let _ = write!(out, " {:>8}", pct(p));
        }
        let _ = writeln!(out, " {:>12}", pct(s.safe_reserve_share_1pct));
    }
    let _ = writeln!(out, "  (* the 10% industry rule of thumb)");

    let _ = writeln!(
        out,
        "\nTIME TO INSOLVENCY (hours after the close, given a breach)"
    );
    let _ = writeln!(
        out,
        "  {:<8} {:<24} {:>9} {:>7} {:>7} {:>7}",
        "scenario", "reserve", "P(fail)", "p10", "p25", "p50"
    );
    for (name, s) in &r.scenarios {
        for (label, t) in [
            ("10% rule", &s.time_to_insolvency.rule_of_thumb),
            ("recommended", &s.time_to_insolvency.recommended),
        ] {
            let _ = writeln!(
                out,
                "  {:<8} {:<24} {:>9} {:>7} {:>7} {:>7}",
                name,
                format!("{label} {}", bn(t.reserve_idr)),
                pct(t.failure_probability),
                hours(t.p10_hours),
                hours(t.p25_hours),
                hours(t.p50_hours)
            );
        }
    }

    let rec = &r.recommendation;
    let _ = writeln!(out, "\nRECOMMENDATION");
    let _ = writeln!(
        out,
        "  Fund {} ({} of fiat, USD {:.1} m) before {} — the {:?} reserve of the {} scenario{}.",
        bn(rec.reserve_idr),
        pct(rec.reserve_share),
        rec.reserve_usd / 1e6,
        r.window_opens,
        rec.policy,
        rec.scenario,
        if rec.floored_by_ojk {
            ", raised to the OJK Rp 50 bn floor"
        } else {
            ""
        }
    );
    let _ = writeln!(
        out,
        "  P({} weekend exceeds it) = {}; forgone yield {} per year.",
        rec.scenario,
        pct(rec.failure_probability),
        bn(rec.annual_opportunity_cost_idr)
    );
    out
}
