//! The bank-rail closure window: when it opens (rails close) and how many hours it lasts.
//!
//! Hours are counted from the moment the rails close; hour `h` (0-based) covers
//! `[h, h + 1)` hours after closing. A time-to-insolvency of `h` (1-based) means the
//! reserve ran out during hour `h`, i.e. by `h` hours after the rails closed.

/// WIB is UTC+7, without daylight saving.
pub const WIB_UTC_OFFSET_HOURS: i64 = 7;

/// The weekend window a reserve must cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeekendWindow {
    /// Day the rails close, 0 = Monday … 6 = Sunday.
    pub opens_weekday: u32,
    /// Hour of day, WIB, at which the rails close.
    pub opens_hour_wib: u32,
    /// Length of the closure, hours.
    pub hours: u32,
}

const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// Parses a lower-case English weekday name into 0 = Monday … 6 = Sunday.
pub fn parse_weekday(name: &str) -> Option<u32> {
    WEEKDAYS
        .iter()
        .position(|d| d.eq_ignore_ascii_case(name))
        .map(|i| i as u32)
}

impl WeekendWindow {
    /// Builds the window from its validated config section.
    pub fn from_config(c: &crate::config::WindowConfig) -> Self {
        Self {
            opens_weekday: parse_weekday(&c.opens_weekday).unwrap_or(4),
            opens_hour_wib: c.opens_hour_wib,
            hours: c.hours,
        }
    }

    /// "Friday 16:00 WIB"-style label of the moment `offset_hours` after the rails close.
    pub fn label_at(&self, offset_hours: u32) -> String {
        let total = self.opens_hour_wib + offset_hours;
        let day = (self.opens_weekday + total / 24) % 7;
        let name = WEEKDAYS[day as usize];
        let mut chars = name.chars();
        let capitalised: String = chars
            .next()
            .map(|c| c.to_ascii_uppercase())
            .into_iter()
            .chain(chars)
            .collect();
        format!("{capitalised} {:02}:00 WIB", total % 24)
    }

    /// Label of the moment the rails reopen.
    pub fn reopens_label(&self) -> String {
        self.label_at(self.hours)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_window_runs_friday_1600_to_monday_0900() {
        let w = WeekendWindow::from_config(&crate::config::WindowConfig::default());
        assert_eq!(w.label_at(0), "Friday 16:00 WIB");
        assert_eq!(w.reopens_label(), "Monday 09:00 WIB");
    }
}
