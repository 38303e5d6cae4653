//! The bank-rail closure window: when the rails close and how many hours they stay closed.

//!
//! Hours are counted from the moment the rails close; hour `h` (0-based) covers
//! `[h, h + 1)` hours after closing. A time-to-insolvency of `h` (1-based) means the
//! reserve ran out during hour `h`, i.e. by `h` hours after the rails closed.

use serde::{Deserialize, Serialize};

use crate::model::params::{Allowed, Bound, bound};

/// WIB is UTC+7, without daylight saving.
pub const WIB_UTC_OFFSET_HOURS: i64 = 7;

/// A day of the week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Weekday {
    /// Monday.
    Monday,
    /// Tuesday.
    Tuesday,
    /// Wednesday.
    Wednesday,
    /// Thursday.
    Thursday,
    /// Friday.
    Friday,
    /// Saturday.
    Saturday,
    /// Sunday.
    Sunday,
}

impl Weekday {
    /// Every day, Monday first.
    pub const ALL: [Weekday; 7] = [
        Self::Monday,
        Self::Tuesday,
        Self::Wednesday,
        Self::Thursday,
        Self::Friday,
        Self::Saturday,
        Self::Sunday,
    ];

    /// 0 = Monday … 6 = Sunday.
    pub fn index_from_monday(self) -> u32 {
        self as u32
    }

    /// The capitalised English name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Monday => "Monday",
            Self::Tuesday => "Tuesday",
            Self::Wednesday => "Wednesday",
            Self::Thursday => "Thursday",
            Self::Friday => "Friday",
            Self::Saturday => "Saturday",
            Self::Sunday => "Sunday",
        }
    }
}

/// The bank-rail closure window, as configured (`[window]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WindowConfig {
    /// Weekday on which the rails close (`monday` … `sunday`).
    #[serde(alias = "opens_weekday")]
    pub rails_close_weekday: Weekday,
    /// Hour of day (WIB, UTC+7) at which the rails close, 0..=23.
    #[serde(alias = "opens_hour_wib")]
    pub rails_close_hour_wib: u32,
    /// Length of the closure in hours; Friday 16:00 to Monday 09:00 is 65.
    pub hours: u32,
}

impl WindowConfig {
    /// The allowed range of every field.
    pub fn bounds(&self) -> Vec<Bound> {
        vec![
            bound(
                "rails_close_hour_wib",
                f64::from(self.rails_close_hour_wib),
                Allowed::Closed(0.0, 23.0),
            ),
            bound(
                "hours",
                f64::from(self.hours),
                Allowed::Closed(1.0, 24.0 * 14.0),
            ),
        ]
    }
}

/// The weekend window a reserve must cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeekendWindow {
    /// Day the rails close.
    pub rails_close_weekday: Weekday,
    /// Hour of day, WIB, at which the rails close.
    pub rails_close_hour_wib: u32,
    /// Length of the closure, hours.
    pub hours: u32,
}

impl WeekendWindow {
    /// The window of its config section.
    pub fn from_config(c: &WindowConfig) -> Self {
        Self {
            rails_close_weekday: c.rails_close_weekday,
            rails_close_hour_wib: c.rails_close_hour_wib,
            hours: c.hours,
        }
    }

    /// "Friday 16:00 WIB"-style label of the moment `offset_hours` after the rails close.
    pub fn label_at(&self, offset_hours: u32) -> String {
        let total = self.rails_close_hour_wib + offset_hours;
        let day = (self.rails_close_weekday.index_from_monday() + total / 24) % 7;
        let name = Weekday::ALL[day as usize].name();
        format!("{name} {:02}:00 WIB", total % 24)
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
        let w = WeekendWindow::from_config(&WindowConfig {
            rails_close_weekday: Weekday::Friday,
            rails_close_hour_wib: 16,
            hours: 65,
        });
        assert_eq!(w.label_at(0), "Friday 16:00 WIB");
        assert_eq!(w.reopens_label(), "Monday 09:00 WIB");
    }
}
