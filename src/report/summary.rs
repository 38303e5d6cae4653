//! The board summary in plain words: what to fund, what it costs, how often the rule of
//! thumb fails, both verdicts, and the model's named limitations.

use super::ReportData;
use super::money::{idr, idr_usd, pct};
use super::series::NAMED_LIMITATIONS;
use crate::batch::report::SolvencyBook;
use crate::model::solvency::ReserveBasis;

/// The board summary: paragraphs of plain text and the named limitations.
#[derive(Debug, Clone)]
pub struct BoardSummary {
    /// Plain sentences, one paragraph each.
    pub paragraphs: Vec<String>,
    /// The model's named limitations.
    pub limitations: Vec<String>,
}

/// The board summary of `data`.
pub fn board_summary(data: &ReportData) -> BoardSummary {
    BoardSummary {
        paragraphs: vec![
            funding(data),
            cost(data),
            rule_of_thumb(data),
            verdicts(data),
        ],
        limitations: NAMED_LIMITATIONS.iter().map(|l| (*l).to_owned()).collect(),
    }
}

/// What to fund before the rails close, in layers, and how it tests hour by hour.
fn funding(data: &ReportData) -> String {
    let r = data.report;
    let rec = &r.recommendation;
    let layers: Vec<String> = rec
        .layers
        .iter()
        .filter(|l| l.size_idr > 0.0 && l.available_after_hours < r.window_hours)
        .map(|l| {
            format!(
                "{} {} from hour {}",
                idr(l.size_idr),
                l.layer,
                l.available_after_hours
            )
        })
        .collect();
    let v = &rec.liquidity;
    format!(
        "Fund {} before the rails close ({}): {}. Tested hour by hour on the {} weekend, these \
         layers run short with probability {} (95% interval {} to {}) against a target of {}: {}.",
        idr_usd(rec.reserve_idr, r.usd_idr_rate),
        r.window_opens,
        layers.join(", "),
        rec.scenario,
        pct(v.shortfall.probability),
        pct(v.shortfall.ci95.low),
        pct(v.shortfall.ci95.high),
        pct(rec.target_shortfall_probability),
        v.verdict.as_str()
    )
}

/// The annual cost of the layers.
fn cost(data: &ReportData) -> String {
    let r = data.report;
    let rec = &r.recommendation;
    format!(
        "Holding it costs {} a year against the opportunity yield ({} of customer fiat of {}).",
        idr_usd(rec.annual_cost_idr, r.usd_idr_rate),
        pct(rec.reserve_share),
        idr(r.total_fiat_idr as f64)
    )
}

/// How often the industry rule of thumb runs short, per scenario.
fn rule_of_thumb(data: &ReportData) -> String {
    let r = data.report;
    let share = data.config.reserve.rule_of_thumb_share;
    let per_scenario: Vec<String> = r
        .scenarios
        .iter()
        .map(|(name, s)| {
            let p = &s.liquidity.rule_of_thumb.shortfall;
            format!("{} of {name} weekends", pct(p.probability))
        })
        .collect();
    format!(
        "The industry rule of thumb, {} of fiat ({}), runs short in {}.",
        pct(share),
        idr(share * r.total_fiat_idr as f64),
        per_scenario.join(", ")
    )
}

/// The solvency and liquidity verdicts of the stressed balance sheets, naming the reserve
/// they hold (the rule of thumb by default, so they can differ from the recommendation's
/// liquidity verdict).
fn verdicts(data: &ReportData) -> String {
    let book = &data.report.solvency;
    let each: Vec<String> = book
        .scenarios
        .iter()
        .map(|(name, s)| {
            format!(
                "{}: {} and {}",
                name.as_str(),
                s.solvency_verdict.as_str(),
                s.liquidity_verdict.as_str()
            )
        })
        .collect();
    let reserve = match book.reserve_basis {
        ReserveBasis::RuleOfThumb => format!(
            "the {} rule of thumb ({}) rather than the recommendation",
            pct(data.config.reserve.rule_of_thumb_share),
            idr(book.firm.fiat_reserve_idr)
        ),
        ReserveBasis::Recommended => sheet_reserve(book),
    };
    format!(
        "With the reserve at {reserve}, the stressed balance sheets give, against the OJK \
         equity floor of {}: {}.",
        idr(book.firm.ojk_floor_idr),
        each.join("; ")
    )
}

/// The reserve the stressed balance sheets hold, for titles: "the rule of thumb
/// (Rp 79.5 bn)" or "the recommendation (Rp 326.8 bn)".
pub(super) fn sheet_reserve(book: &SolvencyBook) -> String {
    let basis = match book.reserve_basis {
        ReserveBasis::RuleOfThumb => "the rule of thumb",
        ReserveBasis::Recommended => "the recommendation",
    };
    format!("{basis} ({})", idr(book.firm.fiat_reserve_idr))
}
