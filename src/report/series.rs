//! Series the report computes itself from the run's inputs (the batch report keeps counts,
//! not the day-by-day series).

use crate::model::market::{ASSETS, MarketHistory};
use crate::model::stats::quantile_select;
use crate::model::var::{BACKTEST_LEVEL, book_losses_idr};

/// Cumulative count of historical-VaR99 backtest exceptions, one entry per backtest day:
/// day `t ≥ lookback` is an exception when its book loss exceeds the 99% quantile of the
/// `lookback` losses before it (the convention of `model::var`'s backtest).
pub fn cumulative_exceptions(
    history: &MarketHistory,
    holdings_idr: &[f64; ASSETS],
    lookback: usize,
) -> Vec<u64> {
    let losses = book_losses_idr(&history.returns, holdings_idr);
    let lookback = lookback.max(1);
    let mut window = Vec::with_capacity(lookback);
    let mut count = 0;
    (lookback..losses.len())
        .map(|t| {
            window.clear();
            window.extend_from_slice(&losses[t - lookback..t]);
            if losses[t] > quantile_select(&mut window, BACKTEST_LEVEL) {
                count += 1;
            }
            count
        })
        .collect()
}

/// The named limitations of the model: the first sentence of each bullet under
/// "## Known limitations" in `assumptions.md` (compiled in, so the report and the document
/// cannot disagree).
pub fn named_limitations() -> Vec<String> {
    let doc = include_str!("../../assumptions.md");
    let Some(start) = doc.find("## Known limitations") else {
        return Vec::new();
    };
    let section = &doc[start..];
    let section = section[2..]
        .find("\n## ")
        .map_or(section, |end| &section[..end + 2]);
    let mut bullets: Vec<String> = Vec::new();
    for line in section.lines().skip(1) {
        if let Some(item) = line.strip_prefix("- ") {
            bullets.push(item.trim().to_owned());
        } else if let (Some(last), true) = (bullets.last_mut(), line.starts_with("  ")) {
            last.push(' ');
            last.push_str(line.trim());
        }
    }
    bullets.into_iter().map(|b| first_sentence(&b)).collect()
}

/// The first sentence of `text` (up to the first `. ` or `: `), ending with a full stop.
fn first_sentence(text: &str) -> String {
    let head = match (text.find(". "), text.find(": ")) {
        (Some(dot), Some(colon)) => &text[..dot.min(colon)],
        (Some(end), None) | (None, Some(end)) => &text[..end],
        (None, None) => text.trim_end_matches('.'),
    };
    format!("{head}.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limitations_are_those_of_the_assumptions_document() {
        let named = named_limitations();
        assert!(named.len() >= 5, "{named:?}");
        assert!(
            named[0].starts_with("Retail flow has no time-of-day profile"),
            "{}",
            named[0]
        );
        assert!(named.iter().all(|l| l.ends_with('.')), "{named:?}");
    }
}
