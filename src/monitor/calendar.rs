//! Which closure of the rails a moment belongs to.
//!
//! Inside the years of the dated bank-rail calendar (`[calendar]`, [`RailCalendar`]) the
//! closures are the real ones: weekends, holidays and cuti bersama, each with its own length
//! (the Idul Fitri closure of 2026 lasts 185 h). Outside them the weekly window applies: the
//! rails close every week at `rails_close_weekday` `rails_close_hour_wib`:00 WIB (UTC+7, no
//! daylight saving) for `window.hours` hours; `serve` logs when it runs on that fallback.
//! Times are Unix milliseconds (UTC).

use std::sync::Arc;

use jiff::civil::{Date, DateTime};

use crate::config::ConfigError;
use crate::model::rails::RailCalendar;
use crate::model::window::{WIB_UTC_OFFSET_HOURS, WeekendWindow};

/// Milliseconds per hour.
pub const MS_PER_HOUR: i64 = 3_600_000;
/// Milliseconds per day.
pub const MS_PER_DAY: i64 = 24 * MS_PER_HOUR;
/// Milliseconds per week.
pub const MS_PER_WEEK: i64 = 7 * MS_PER_DAY;
/// 1970-01-05, the first Monday after the Unix epoch, in days since the epoch.
const FIRST_MONDAY_DAYS: i64 = 4;

/// The closure schedule: dated closures where the rail calendar covers, weekly elsewhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowCalendar {
    window: WeekendWindow,
    /// `(opens, closes)` Unix ms of every closure of the covered years, ascending.
    dated: Arc<[(i64, i64)]>,
}

impl WindowCalendar {
    /// The weekly schedule of `window` alone.
    pub fn new(window: WeekendWindow) -> Self {
        Self {
            window,
            dated: Arc::from(Vec::new()),
        }
    }

    /// The dated closures of `rails` (all those that end inside its covered years), with the
    /// weekly `window` outside them.
    pub fn with_rails(window: WeekendWindow, rails: &RailCalendar) -> Self {
        let mut dated = Vec::new();
        if let Some(first) = rails.first_covered_day() {
            let mut day = first;
            while let Ok(c) = rails.next_closure(day) {
                dated.push((wib_unix_ms(c.closes_at_wib), wib_unix_ms(c.reopens_at_wib)));
                day = c.reopens_at_wib.date();
            }
        }
        Self {
            window,
            dated: Arc::from(dated),
        }
    }

    /// When the dated calendar ends (the reopening after its last closure), Unix ms; `None`
    /// without a holiday list. After it, closures fall back to the weekly window.
    pub fn dated_until_unix_ms(&self) -> Option<i64> {
        self.dated.last().map(|&(_, reopens)| reopens)
    }

    /// Whether `at_unix_ms` lies inside the dated calendar's span.
    pub fn is_dated(&self, at_unix_ms: i64) -> bool {
        self.dated_closure(at_unix_ms).is_some()
    }

    /// The calendar of `config`: the dated closures of `[calendar]` with the weekly `[window]`
    /// outside its covered years.
    pub fn of_config(config: &crate::config::Config) -> Result<Self, ConfigError> {
        let rails = config.rail_calendar()?;
        Ok(Self::with_rails(
            WeekendWindow::from_config(&config.window),
            &rails,
        ))
    }

    /// The weekly window's length, hours (the closure length outside the dated years).
    pub fn weekly_hours(&self) -> u32 {
        self.window.hours
    }

    /// The longest closure the schedule can produce, hours.
    pub fn max_window_hours(&self) -> u32 {
        self.dated
            .iter()
            .map(|&(o, c)| hours_between(o, c))
            .fold(self.window.hours, u32::max)
    }

    /// Hours the closure that opened at `opens_at_unix_ms` lasts.
    pub fn window_hours(&self, opens_at_unix_ms: i64) -> u32 {
        hours_between(opens_at_unix_ms, self.closes_at(opens_at_unix_ms))
    }

    /// The dated closure that opened last at or before `at_unix_ms`, if the moment lies
    /// between the first dated opening and the last dated reopening.
    fn dated_closure(&self, at_unix_ms: i64) -> Option<(i64, i64)> {
        let (first, last) = (self.dated.first()?, self.dated.last()?);
        if at_unix_ms < first.0 || at_unix_ms >= last.1 {
            return None;
        }
        let i = self.dated.partition_point(|&(o, _)| o <= at_unix_ms);
        self.dated.get(i.checked_sub(1)?).copied()
    }

    /// The latest moment the rails closed at or before `at_unix_ms`, Unix ms: the dated
    /// closure's opening, or weekly `R + 7 d · ⌊(t_WIB − R) / 7 d⌋ − 7 h` with `R` the first
    /// closing after the epoch.
    pub fn opening_at_or_before(&self, at_unix_ms: i64) -> i64 {
        if let Some((opens, _)) = self.dated_closure(at_unix_ms) {
            return opens;
        }
        let offset_ms = WIB_UTC_OFFSET_HOURS * MS_PER_HOUR;
        let reference_local_ms = FIRST_MONDAY_DAYS * MS_PER_DAY
            + i64::from(self.window.rails_close_weekday.index_from_monday()) * MS_PER_DAY
            + i64::from(self.window.rails_close_hour_wib) * MS_PER_HOUR;
        let local_ms = at_unix_ms.saturating_add(offset_ms);
        let weeks = (local_ms - reference_local_ms).div_euclid(MS_PER_WEEK);
        reference_local_ms + weeks * MS_PER_WEEK - offset_ms
    }

    /// End of the window that opened at `opens_at_unix_ms`, Unix ms.
    pub fn closes_at(&self, opens_at_unix_ms: i64) -> i64 {
        match self
            .dated
            .binary_search_by_key(&opens_at_unix_ms, |&(o, _)| o)
        {
            Ok(i) => self.dated[i].1,
            Err(_) => opens_at_unix_ms + i64::from(self.window.hours) * MS_PER_HOUR,
        }
    }

    /// The opening of the window `at_unix_ms` falls in, or `None` when the rails are open.
    pub fn window_containing(&self, at_unix_ms: i64) -> Option<i64> {
        let opens = self.opening_at_or_before(at_unix_ms);
        (at_unix_ms < self.closes_at(opens)).then_some(opens)
    }

    /// The latest closure that had fully ended by `now_unix_ms`, `weeks_ago` − 1 closures
    /// further back (`weeks_ago` ≥ 1), Unix ms of its opening.
    pub fn completed_window_opening(&self, now_unix_ms: i64, weeks_ago: u32) -> i64 {
        let mut opens = self.opening_at_or_before(now_unix_ms);
        if self.closes_at(opens) > now_unix_ms {
            opens = self.opening_at_or_before(opens - 1);
        }
        for _ in 1..weeks_ago.max(1) {
            opens = self.opening_at_or_before(opens - 1);
        }
        opens
    }
}

/// Whole hours from `opens` to `closes`, Unix ms.
fn hours_between(opens_unix_ms: i64, closes_unix_ms: i64) -> u32 {
    u32::try_from((closes_unix_ms - opens_unix_ms).max(0) / MS_PER_HOUR).unwrap_or(u32::MAX)
}

/// Unix ms of a WIB civil date-time (WIB is UTC+7 all year).
fn wib_unix_ms(at: DateTime) -> i64 {
    let epoch = Date::constant(1970, 1, 1);
    let days = at.date().duration_since(epoch).as_secs() / 86_400;
    let time = at.time();
    days * MS_PER_DAY + i64::from(time.hour()) * MS_PER_HOUR + i64::from(time.minute()) * 60_000
        - WIB_UTC_OFFSET_HOURS * MS_PER_HOUR
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::WindowConfig;

    fn calendar() -> WindowCalendar {
        WindowCalendar::new(WeekendWindow::from_config(&WindowConfig::default()))
    }

    /// 2026-11-20 (a Friday) 09:00 UTC = 16:00 WIB.
    const FRIDAY_CLOSE_MS: i64 = 1_795_165_200_000;

    #[test]
    fn friday_1600_wib_opens_the_window_and_monday_0900_closes_it() {
        let c = calendar();
        assert_eq!(c.opening_at_or_before(FRIDAY_CLOSE_MS), FRIDAY_CLOSE_MS);
        assert_eq!(
            c.opening_at_or_before(FRIDAY_CLOSE_MS - 1),
            FRIDAY_CLOSE_MS - MS_PER_WEEK
        );
        let last_ms = FRIDAY_CLOSE_MS + 65 * MS_PER_HOUR - 1;
        assert_eq!(c.window_containing(last_ms), Some(FRIDAY_CLOSE_MS));
        assert_eq!(c.window_containing(last_ms + 1), None);
    }

    #[test]
    fn completed_window_is_the_last_fully_closed_one() {
        let c = calendar();
        let saturday = FRIDAY_CLOSE_MS + 20 * MS_PER_HOUR;
        assert_eq!(
            c.completed_window_opening(saturday, 1),
            FRIDAY_CLOSE_MS - MS_PER_WEEK
        );
        let tuesday = FRIDAY_CLOSE_MS + 90 * MS_PER_HOUR;
        assert_eq!(c.completed_window_opening(tuesday, 1), FRIDAY_CLOSE_MS);
        assert_eq!(
            c.completed_window_opening(tuesday, 2),
            FRIDAY_CLOSE_MS - MS_PER_WEEK
        );
    }

    /// 16:00 WIB on `date` (Y, M, D) in Unix ms.
    fn wib_16(y: i16, m: i8, d: i8) -> i64 {
        wib_unix_ms(Date::constant(y, m, d).at(16, 0, 0, 0))
    }

    #[test]
    fn the_live_calendar_follows_the_dated_closures_and_falls_back_to_weekly() {
        let c = WindowCalendar::of_config(&crate::config::Config::default()).unwrap();
        // An ordinary 2026 weekend is the weekly one.
        assert_eq!(c.opening_at_or_before(FRIDAY_CLOSE_MS + 1), FRIDAY_CLOSE_MS);
        assert_eq!(c.window_hours(FRIDAY_CLOSE_MS), 65);
        // Idul Fitri 2026: closed from Tuesday 17 March 16:00 to Wednesday 25 March 09:00 WIB.
        let lebaran = wib_16(2026, 3, 17);
        let monday_23 = wib_16(2026, 3, 23);
        assert_eq!(c.window_containing(monday_23), Some(lebaran));
        assert_eq!(c.window_hours(lebaran), 185);
        assert_eq!(c.max_window_hours(), 185);
        assert!(
            c.window_containing(wib_16(2026, 3, 25)).is_none(),
            "rails open again"
        );
        // 2027 has no list: the weekly window, and the calendar says so.
        let friday_2027 = wib_16(2027, 2, 5);
        assert!(!c.is_dated(friday_2027));
        assert_eq!(c.window_containing(friday_2027 + 1), Some(friday_2027));
        assert_eq!(c.window_hours(friday_2027), 65);
    }
}
