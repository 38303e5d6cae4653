//! Which weekend window a moment belongs to, in event time.
//!
//! The rails close every week at `rails_close_weekday` `rails_close_hour_wib`:00 WIB (UTC+7, no daylight
//! saving) and stay closed for `hours` hours. Times are Unix milliseconds (UTC).

use crate::model::window::{WIB_UTC_OFFSET_HOURS, WeekendWindow};

/// Milliseconds per hour.
pub const MS_PER_HOUR: i64 = 3_600_000;
/// Milliseconds per day.
pub const MS_PER_DAY: i64 = 24 * MS_PER_HOUR;
/// Milliseconds per week.
pub const MS_PER_WEEK: i64 = 7 * MS_PER_DAY;
/// 1970-01-05, the first Monday after the Unix epoch, in days since the epoch.
const FIRST_MONDAY_DAYS: i64 = 4;

/// The weekly window schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowCalendar {
    window: WeekendWindow,
}

impl WindowCalendar {
    /// The schedule of `window`.
    pub fn new(window: WeekendWindow) -> Self {
        Self { window }
    }

    /// Hours the rails stay closed.
    pub fn window_hours(&self) -> u32 {
        self.window.hours
    }

    /// The latest moment the rails closed at or before `at_unix_ms`, Unix ms:
    /// `R + 7 d · ⌊(t_WIB − R) / 7 d⌋ − 7 h` with `R` the first closing after the epoch.
    pub fn opening_at_or_before(&self, at_unix_ms: i64) -> i64 {
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
        opens_at_unix_ms + i64::from(self.window.hours) * MS_PER_HOUR
    }

    /// The opening of the window `at_unix_ms` falls in, or `None` when the rails are open.
    pub fn window_containing(&self, at_unix_ms: i64) -> Option<i64> {
        let opens = self.opening_at_or_before(at_unix_ms);
        (at_unix_ms < self.closes_at(opens)).then_some(opens)
    }

    /// The latest window that had fully closed by `now_unix_ms`, `weeks_ago` − 1 weeks
    /// further back (`weeks_ago` ≥ 1), Unix ms of its opening.
    pub fn completed_window_opening(&self, now_unix_ms: i64, weeks_ago: u32) -> i64 {
        let mut opens = self.opening_at_or_before(now_unix_ms);
        if self.closes_at(opens) > now_unix_ms {
            opens -= MS_PER_WEEK;
        }
        opens - i64::from(weeks_ago.max(1) - 1) * MS_PER_WEEK
    }
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
}
