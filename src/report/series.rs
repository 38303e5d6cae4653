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

/// The named limitations of the model, in the words of the first sentence of each bullet
/// under "## Known limitations" in `assumptions.md` (a test keeps the two equal).
pub const NAMED_LIMITATIONS: [&str; 6] = [
    "Retail flow has no time-of-day profile.",
    "Institutional arrivals are Poisson given the path's intensity.",
    "Deposits during the window are ignored in the batch engine (conservative).",
    "The insurance fund's engine checks once an hour.",
    "The cascade moves each asset on its own liquidations only; cross-asset contagion and \
     the other venues' liquidations are not modelled.",
    "Market-risk VaR is scaled to the weekend by the square root of time, which understates \
     the tail when volatility clusters inside the weekend.",
];

/// The first sentence of each bullet under "## Known limitations" in the markdown `doc`
/// (up to the first `. ` or `: `, ending with a full stop); bullets may wrap onto indented
/// lines.
pub fn limitations_in(doc: &str) -> Vec<String> {
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
    bullets.iter().map(|b| first_sentence(b)).collect()
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
    fn the_first_sentence_ends_at_a_full_stop_or_a_colon() {
        let doc = "## Known limitations\n\n- One thing. More.\n- Two: detail\n  wrapped.\n\n## Next\n- no";
        assert_eq!(limitations_in(doc), ["One thing.", "Two."]);
    }
}
