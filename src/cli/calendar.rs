//! `sentinel calendar`: the coming bank-rail closures and their lengths, from the dated
//! holiday list; and the closure `simulate --window-start` sizes the reserve for.

use anyhow::Context;
use jiff::civil::Date;
use sentinel::config::Config;
use sentinel::model::rails::{Closure, RailCalendar};

use super::{CalendarArgs, load_config};

pub(super) fn run(args: CalendarArgs) -> anyhow::Result<()> {
    let config = load_config(args.config.as_deref())?;
    let calendar = rail_calendar(&config)?;
    let (closures, end) = closures_until_the_list_ends(&calendar, args.from, args.count);
    if let (true, Some(error)) = (closures.is_empty(), &end) {
        return Err(anyhow::anyhow!("closures from {}: {error}", args.from));
    }
    println!(
        "BANK-RAIL CLOSURES from {} (WIB; RTGS and SKN shut, BI-FAST capped at Rp 250 m per transfer)",
        args.from
    );
    for c in &closures {
        println!("{}", describe(c));
    }
    if let Some(error) = end {
        println!("  (no further closure: {error})");
    }
    Ok(())
}

/// Up to `count` closures from `from`, and why the list stopped early (a year without a
/// holiday list), if it did.
fn closures_until_the_list_ends(
    calendar: &RailCalendar,
    from: Date,
    count: usize,
) -> (Vec<Closure>, Option<sentinel::model::rails::CalendarError>) {
    let mut closures: Vec<Closure> = Vec::with_capacity(count);
    let mut day = from;
    while closures.len() < count {
        match calendar.next_closure(day) {
            Ok(closure) => {
                day = closure.reopens_at_wib.date();
                closures.push(closure);
            }
            Err(error) => return (closures, Some(error)),
        }
    }
    (closures, None)
}

/// The validated calendar of `config`.
pub(super) fn rail_calendar(config: &Config) -> anyhow::Result<RailCalendar> {
    Ok(config.rail_calendar()?)
}

/// One closure as a line: when, how long, which holidays.
pub(super) fn describe(c: &Closure) -> String {
    let holidays = if c.holidays.is_empty() {
        "weekend".to_owned()
    } else {
        c.holidays.join("; ")
    };
    format!(
        "  {} -> {}  {:>4} h  {}",
        c.closes_at_wib.strftime("%a %Y-%m-%d %H:%M"),
        c.reopens_at_wib.strftime("%a %Y-%m-%d %H:%M"),
        c.hours,
        holidays
    )
}

/// Sets `config.window` to the closure starting on or after `from`, which it returns.
pub(super) fn apply_window_start(config: &mut Config, from: Date) -> anyhow::Result<Closure> {
    let closure = rail_calendar(config)?
        .next_closure(from)
        .with_context(|| format!("--window-start {from}"))?;
    config.window.rails_close_weekday = closure.closing_weekday();
    config.window.hours = closure.hours;
    Ok(closure)
}
