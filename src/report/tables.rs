//! The report's tables as data: one [`Table`] feeds both the HTML (amounts as a treasury
//! reads them) and the CSV export (whole rupiah, units in the column names).

use crate::batch::BatchReport;
use crate::config::Config;
use crate::model::liquidity::LiquidityView;
use crate::model::mc_error::Interval95;
use crate::model::var::{Backtest, VarLevels};
use crate::report::summary::sheet_reserve;

/// What a column holds, which fixes its CSV unit suffix and its HTML form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Words.
    Text,
    /// Rupiah: CSV `<key>_idr` in whole rupiah.
    Idr,
    /// Rupiah with a 95% interval: CSV `<key>_idr`, `<key>_ci95_low_idr`, `<key>_ci95_high_idr`.
    IdrCi,
    /// A share of something (0–1): CSV `<key>_share`.
    Share,
    /// A probability with a 95% interval: CSV `<key>_probability` and its interval.
    ProbCi,
    /// Hours (blank when none): CSV `<key>_hours`.
    Hours,
    /// A plain number (ratio, p-value, count): CSV `<key>`.
    Number,
}

/// One column: its CSV key (before the unit suffix), its HTML heading and its kind.
#[derive(Debug, Clone)]
pub struct Column {
    /// CSV name before the unit suffix, snake case.
    pub key: &'static str,
    /// Heading in the HTML.
    pub heading: String,
    /// What it holds.
    pub kind: Kind,
}

/// One value.
#[derive(Debug, Clone)]
pub enum Cell {
    /// Words.
    Text(String),
    /// A number (IDR, share, hours, ratio: the column says which).
    Num(f64),
    /// A number with its 95% interval.
    Ci(f64, Interval95),
    /// Hours, or none.
    Hours(Option<f64>),
}

/// A table of the report.
#[derive(Debug, Clone)]
pub struct Table {
    /// File stem of its CSV.
    pub stem: &'static str,
    /// Title.
    pub title: String,
    /// Columns.
    pub columns: Vec<Column>,
    /// Rows, one cell per column.
    pub rows: Vec<Vec<Cell>>,
    /// Shown in the HTML (long series are CSV only).
    pub in_html: bool,
}

fn col(key: &'static str, heading: impl Into<String>, kind: Kind) -> Column {
    Column {
        key,
        heading: heading.into(),
        kind,
    }
}

fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

/// Every table of the report, in reading order.
pub fn all(r: &BatchReport, config: &Config) -> Vec<Table> {
    vec![
        scenario_summary(r, config),
        recommendation_layers(r),
        liquidity(r, config),
        time_to_insolvency(r),
        var_methods(r),
        var_backtest(r),
        insurance_fund(r),
        solvency_verdicts(r),
        solvency_waterfall(r),
        safety_frontier(r),
        withdrawal_fan(r),
        cost_curve(r),
    ]
}

fn scenario_summary(r: &BatchReport, config: &Config) -> Table {
    let rule = format!(
        "P(fail) at the {:.0}% rule",
        config.reserve.rule_of_thumb_share * 100.0
    );
    let rows = r
        .scenarios
        .iter()
        .map(|(name, s)| {
            let (m, i) = (&s.summary, &s.intervals_95);
            let t = &s.time_to_insolvency.rule_of_thumb;
            vec![
                text(name.as_str()),
                Cell::Ci(m.mean_idr, i.mean_idr),
                Cell::Ci(m.p50_idr, i.p50_idr),
                Cell::Ci(m.p95_idr, i.p95_idr),
                Cell::Ci(m.var99_idr, i.p99_idr),
                Cell::Ci(m.cvar99_idr, i.cvar99_idr),
                Cell::Num(s.share_of_fiat_mean),
                Cell::Ci(t.failure_probability, t.failure_ci95),
            ]
        })
        .collect();
    Table {
        stem: "scenario_summary",
        title: format!(
            "Weekend withdrawals per scenario ({} paths; 95% Monte Carlo intervals)",
            r.paths
        ),
        columns: vec![
            col("scenario", "scenario", Kind::Text),
            col("mean", "mean", Kind::IdrCi),
            col("median", "median", Kind::IdrCi),
            col("p95", "p95", Kind::IdrCi),
            col("var99", "VaR99 (p99)", Kind::IdrCi),
            col("cvar99", "CVaR99", Kind::IdrCi),
            col("mean_of_fiat", "mean, % of fiat", Kind::Share),
            col("rule_of_thumb_failure", rule, Kind::ProbCi),
        ],
        rows,
        in_html: true,
    }
}

fn recommendation_layers(r: &BatchReport) -> Table {
    let rec = &r.recommendation;
    let rows = rec
        .layers
        .iter()
        .map(|l| {
            vec![
                text(l.layer),
                text(l.instrument),
                Cell::Num(l.size_idr),
                Cell::Num(l.usable_weekend_idr),
                Cell::Hours(Some(f64::from(l.available_after_hours))),
                Cell::Num(l.yield_per_year),
                Cell::Num(l.annual_cost_idr),
            ]
        })
        .collect();
    Table {
        stem: "recommendation_layers",
        title: format!(
            "Recommendation: layers for the {} scenario, P(shortfall) target {:.1}%",
            rec.scenario,
            rec.target_shortfall_probability * 100.0
        ),
        columns: vec![
            col("layer", "layer", Kind::Text),
            col("instrument", "instrument", Kind::Text),
            col("size", "size", Kind::Idr),
            col("usable_weekend", "usable over the weekend", Kind::Idr),
            col("available_after", "usable from hour", Kind::Hours),
            col("yield_per_year", "yield / year", Kind::Share),
            col("annual_cost", "cost / year", Kind::Idr),
        ],
        rows,
        in_html: true,
    }
}

fn liquidity(r: &BatchReport, config: &Config) -> Table {
    let rule = format!("{:.0}% rule", config.reserve.rule_of_thumb_share * 100.0);
    let row = |name: &str, reserve: &str, v: &LiquidityView| {
        vec![
            text(name),
            text(reserve),
            Cell::Num(v.usable_before_reopening_idr as f64),
            Cell::Num(v.monday_money_idr as f64),
            Cell::Ci(v.shortfall.probability, v.shortfall.ci95),
            Cell::Hours(v.first_shortfall_p10_hours),
            Cell::Hours(v.first_shortfall_p50_hours),
            Cell::Num(v.gap_p99_idr),
            Cell::Num(v.coverage_ratio),
            text(v.verdict.as_str()),
        ]
    };
    let rows = r
        .scenarios
        .iter()
        .flat_map(|(name, s)| {
            [
                row(name.as_str(), "recommended", &s.liquidity.recommended),
                row(name.as_str(), &rule, &s.liquidity.rule_of_thumb),
            ]
        })
        .collect();
    Table {
        stem: "liquidity",
        title: "Liquidity: reserves tested hour by hour (layers count from the hour they can pay)"
            .to_owned(),
        columns: vec![
            col("scenario", "scenario", Kind::Text),
            col("reserve", "reserve", Kind::Text),
            col(
                "usable_before_reopening",
                "usable before reopening",
                Kind::Idr,
            ),
            col("monday_money", "Monday money", Kind::Idr),
            col("shortfall", "P(shortfall)", Kind::ProbCi),
            col("first_short_p10", "first short hour p10", Kind::Hours),
            col("first_short_p50", "first short hour p50", Kind::Hours),
            col("gap_p99", "gap p99", Kind::Idr),
            col("coverage_ratio", "coverage ratio (x)", Kind::Number),
            col("liquidity_verdict", "verdict", Kind::Text),
        ],
        rows,
        in_html: true,
    }
}

fn time_to_insolvency(r: &BatchReport) -> Table {
    let rows = r
        .scenarios
        .iter()
        .map(|(name, s)| {
            let t = &s.time_to_insolvency.rule_of_thumb;
            vec![
                text(name.as_str()),
                Cell::Num(t.reserve_idr),
                Cell::Ci(t.failure_probability, t.failure_ci95),
                Cell::Hours(t.p10_hours),
                Cell::Hours(t.p25_hours),
                Cell::Hours(t.p50_hours),
            ]
        })
        .collect();
    Table {
        stem: "time_to_insolvency",
        title: "Time to insolvency at the rule of thumb (hours after the close, given a breach)"
            .to_owned(),
        columns: vec![
            col("scenario", "scenario", Kind::Text),
            col("reserve", "reserve", Kind::Idr),
            col("failure", "P(fail)", Kind::ProbCi),
            col("first_short_p10", "p10", Kind::Hours),
            col("first_short_p25", "p25", Kind::Hours),
            col("first_short_p50", "p50", Kind::Hours),
        ],
        rows,
        in_html: true,
    }
}

fn var_methods(r: &BatchReport) -> Table {
    let v = &r.var;
    let row = |label: String, l: VarLevels| {
        vec![
            text(label),
            Cell::Num(l.var95_idr),
            Cell::Num(l.cvar95_idr),
            Cell::Num(l.var99_idr),
            Cell::Num(l.cvar99_idr),
        ]
    };
    Table {
        stem: "var",
        title: format!(
            "Market risk of the crypto book ({}), one day",
            crate::report::money::idr(v.history.book_idr)
        ),
        columns: vec![
            col("method", "method", Kind::Text),
            col("var95", "VaR95", Kind::Idr),
            col("cvar95", "CVaR95", Kind::Idr),
            col("var99", "VaR99", Kind::Idr),
            col("cvar99", "CVaR99", Kind::Idr),
        ],
        rows: vec![
            row(
                format!("historical, last {} days", v.lookback_days),
                v.historical,
            ),
            row(
                format!("EWMA-filtered HS, lambda {}", v.filtered.lambda),
                v.filtered.levels,
            ),
            row(
                format!("stressed {}-day window", v.stressed.window_days),
                v.stressed.levels,
            ),
        ],
        in_html: true,
    }
}

fn var_backtest(r: &BatchReport) -> Table {
    let row = |label: &str, b: &Backtest| {
        vec![
            text(label),
            Cell::Num(b.days as f64),
            Cell::Num(b.exceptions as f64),
            Cell::Num(b.expected_exceptions),
            Cell::Num(b.kupiec_p_value),
            Cell::Num(b.christoffersen_p_value),
            Cell::Num(b.conditional_coverage_p_value),
        ]
    };
    Table {
        stem: "var_backtest",
        title: "VaR99 backtest".to_owned(),
        columns: vec![
            col("method", "method", Kind::Text),
            col("days", "days", Kind::Number),
            col("exceptions", "exceptions", Kind::Number),
            col("expected_exceptions", "expected", Kind::Number),
            col("kupiec_p_value", "Kupiec p", Kind::Number),
            col("christoffersen_p_value", "Christoffersen p", Kind::Number),
            col("conditional_coverage_p_value", "joint p", Kind::Number),
        ],
        rows: vec![
            row("historical", &r.var.backtest_historical),
            row("EWMA-filtered", &r.var.backtest_filtered),
        ],
        in_html: true,
    }
}

fn insurance_fund(r: &BatchReport) -> Table {
    let f = &r.insurance_fund;
    let rows = f
        .scenarios
        .iter()
        .map(|(name, s)| {
            vec![
                text(name.as_str()),
                Cell::Num(s.drawdown.p50_idr),
                Cell::Num(s.drawdown.p99_idr),
                Cell::Num(s.drawdown_p99_share_of_fund),
                Cell::Num(s.exhaustion_probability),
                Cell::Num(s.adl_probability),
                Cell::Num(s.deficit.p99_idr),
                Cell::Num(s.expected_clawback_idr),
            ]
        })
        .collect();
    Table {
        stem: "insurance_fund",
        title: format!(
            "Insurance fund of {} under the liquidation cascade ({} paths)",
            crate::report::money::idr(f.fund_idr),
            f.paths
        ),
        columns: vec![
            col("scenario", "scenario", Kind::Text),
            col("drawdown_p50", "drawdown median", Kind::Idr),
            col("drawdown_p99", "drawdown p99", Kind::Idr),
            col("drawdown_p99_of_fund", "p99 / fund", Kind::Share),
            col("exhaustion_probability", "P(fund empty)", Kind::Number),
            col("adl_probability", "P(ADL)", Kind::Number),
            col("deficit_p99", "deficit p99", Kind::Idr),
            col("expected_clawback", "E[clawback]", Kind::Idr),
        ],
        rows,
        in_html: true,
    }
}

fn solvency_verdicts(r: &BatchReport) -> Table {
    let book = &r.solvency;
    let rows = book
        .scenarios
        .iter()
        .map(|(name, s)| {
            vec![
                text(name.as_str()),
                Cell::Num(s.equity_before_idr),
                Cell::Num(s.equity_after_idr),
                Cell::Num(book.firm.ojk_floor_idr),
                Cell::Num(s.equity_after_to_ojk_floor_ratio.unwrap_or(f64::NAN)),
                Cell::Num(s.capital_needed_idr),
                Cell::Num(s.funding.liquidity_gap_idr),
                text(s.liquidity_verdict.as_str()),
                text(s.solvency_verdict.as_str()),
            ]
        })
        .collect();
    Table {
        stem: "solvency",
        title: format!(
            "Stressed balance sheet: both verdicts per stress scenario, reserve at {}",
            sheet_reserve(&r.solvency)
        ),
        columns: vec![
            col("scenario", "scenario", Kind::Text),
            col("equity_before", "equity before", Kind::Idr),
            col("equity_after", "equity after", Kind::Idr),
            col("ojk_floor", "OJK floor", Kind::Idr),
            col(
                "equity_after_to_ojk_floor_ratio",
                "equity after / floor (x)",
                Kind::Number,
            ),
            col("capital_needed", "capital needed", Kind::Idr),
            col("liquidity_gap", "liquidity gap", Kind::Idr),
            col("liquidity_verdict", "liquidity verdict", Kind::Text),
            col("solvency_verdict", "solvency verdict", Kind::Text),
        ],
        rows,
        in_html: true,
    }
}

fn solvency_waterfall(r: &BatchReport) -> Table {
    let rows = r
        .solvency
        .scenarios
        .iter()
        .flat_map(|(name, s)| {
            s.waterfall.iter().map(move |w| {
                vec![
                    text(name.as_str()),
                    text(w.label),
                    Cell::Num(w.amount_idr),
                    Cell::Num(w.running_idr),
                ]
            })
        })
        .collect();
    Table {
        stem: "solvency_waterfall",
        title: format!(
            "Solvency waterfall steps, reserve at {}",
            sheet_reserve(&r.solvency)
        ),
        columns: vec![
            col("scenario", "scenario", Kind::Text),
            col("step", "step", Kind::Text),
            col("amount", "amount", Kind::Idr),
            col("running", "running total", Kind::Idr),
        ],
        rows,
        in_html: false,
    }
}

fn safety_frontier(r: &BatchReport) -> Table {
    let fiat = r.total_fiat_idr as f64;
    let rows = r
        .scenarios
        .iter()
        .flat_map(|(name, s)| {
            s.frontier.iter().map(move |p| {
                vec![
                    text(name.as_str()),
                    Cell::Num(p.reserve_share),
                    Cell::Num(p.reserve_share * fiat),
                    Cell::Ci(p.failure_probability, p.failure_ci95),
                ]
            })
        })
        .collect();
    Table {
        stem: "safety_frontier",
        title: "Safety frontier".to_owned(),
        columns: vec![
            col("scenario", "scenario", Kind::Text),
            col("reserve_of_fiat", "reserve, % of fiat", Kind::Share),
            col("reserve", "reserve", Kind::Idr),
            col("failure", "P(withdrawals > reserve)", Kind::ProbCi),
        ],
        rows,
        in_html: false,
    }
}

fn withdrawal_fan(r: &BatchReport) -> Table {
    let rows = r
        .scenarios
        .iter()
        .flat_map(|(name, s)| {
            s.withdrawal_fan.iter().map(move |p| {
                vec![
                    text(name.as_str()),
                    Cell::Hours(Some(f64::from(p.hour))),
                    Cell::Num(p.p5_idr),
                    Cell::Num(p.p50_idr),
                    Cell::Num(p.p95_idr),
                    Cell::Num(p.usable_reserve_idr),
                ]
            })
        })
        .collect();
    Table {
        stem: "withdrawal_fan",
        title: "Cumulative withdrawals hour by hour".to_owned(),
        columns: vec![
            col("scenario", "scenario", Kind::Text),
            col("hour", "hour", Kind::Hours),
            col("cumulative_p5", "p5", Kind::Idr),
            col("cumulative_p50", "median", Kind::Idr),
            col("cumulative_p95", "p95", Kind::Idr),
            col("usable_reserve", "usable reserve", Kind::Idr),
        ],
        rows,
        in_html: false,
    }
}

fn cost_curve(r: &BatchReport) -> Table {
    let rows = r
        .scenarios
        .iter()
        .flat_map(|(name, s)| {
            s.reserve.cost_curve.iter().map(move |p| {
                vec![
                    text(name.as_str()),
                    Cell::Num(p.reserve_share),
                    Cell::Num(p.reserve_idr),
                    Cell::Num(p.expected_annual_cost_idr),
                ]
            })
        })
        .collect();
    Table {
        stem: "reserve_cost_curve",
        title: "Reserve cost curve".to_owned(),
        columns: vec![
            col("scenario", "scenario", Kind::Text),
            col("reserve_of_fiat", "reserve, % of fiat", Kind::Share),
            col("reserve", "reserve", Kind::Idr),
            col("expected_annual_cost", "expected cost / year", Kind::Idr),
        ],
        rows,
        in_html: false,
    }
}
