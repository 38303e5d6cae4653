//! The Indonesian bank-rail calendar (WIB): which days the large-value rails settle, and
//! therefore which closures a reserve must cover.
//!
//! RTGS and SKN settle on business days only: Monday to Friday that are neither a national
//! holiday nor a *cuti bersama* day of the year's joint ministerial decree (SKB). BI-FAST runs
//! 24 hours a day, every day, but caps each transfer at Rp 250 m, so it cannot fund a reserve.
//! A **closure** starts at the rails' close (`window.rails_close_hour_wib`) on a business day
//! whose next day is not a business day, and ends at the reopening hour
//! (`calendar.reopen_hour_wib`) of the next business day: a weekend is 65 h, the Idul Fitri
//! closure of 2026 is 185 h. Dates outside the years whose holiday list is shipped are an
//! error, never a silent 65 h.

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::{Date, DateTime, Weekday as CivilWeekday};
use serde::{Deserialize, Serialize};

use crate::model::params::{Allowed, ParamError, bound, check};
use crate::model::window::Weekday;

/// Why a day is not a business day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HolidayKind {
    /// A national public holiday (libur nasional).
    National,
    /// A collective leave day of the SKB (cuti bersama): banks and BI's rails are closed.
    CutiBersama,
}

/// One dated holiday of the shipped list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Holiday {
    /// The day, `YYYY-MM-DD`.
    pub date: Date,
    /// What it is, e.g. `Idul Fitri 1447 H`.
    pub name: String,
    /// National holiday or cuti bersama.
    pub kind: HolidayKind,
}

/// The rail calendar, as configured (`[calendar]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CalendarConfig {
    /// Years whose holiday list below is complete (the official SKB list).
    pub covered_years: Vec<i16>,
    /// Hour of day, WIB, at which the rails reopen on a business day, 0..=23.
    pub reopen_hour_wib: u32,
    /// Every national holiday and cuti bersama day of the covered years.
    pub holidays: Vec<Holiday>,
}

/// A date the calendar cannot answer for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// The year's holiday list is not shipped.
    #[error(
        "no holiday list for {0}: add the year's national holidays and cuti bersama to \
         [calendar] and list it in calendar.covered_years"
    )]
    YearNotCovered(i16),
    /// Date arithmetic left jiff's range.
    #[error("date out of range")]
    OutOfRange,
}

/// One closure of the rails.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Closure {
    /// When the rails close, WIB.
    pub closes_at_wib: DateTime,
    /// When they reopen, WIB.
    pub reopens_at_wib: DateTime,
    /// Length, hours.
    pub hours: u32,
    /// The holidays inside it.
    pub holidays: Vec<String>,
}

impl Closure {
    /// The weekday the rails close on.
    pub fn closing_weekday(&self) -> Weekday {
        Weekday::ALL[self.closes_at_wib.weekday().to_monday_zero_offset() as usize]
    }
}

/// The validated calendar.
#[derive(Debug, Clone, PartialEq)]
pub struct RailCalendar {
    holidays: BTreeMap<Date, String>,
    covered_years: BTreeSet<i16>,
    close_hour_wib: u32,
    reopen_hour_wib: u32,
}

impl RailCalendar {
    /// Validates `config` with the rails closing at `close_hour_wib`: hours in range, every
    /// holiday inside a covered year, no date listed twice.
    pub fn new(config: &CalendarConfig, close_hour_wib: u32) -> Result<Self, ParamError> {
        check(&[bound(
            "reopen_hour_wib",
            f64::from(config.reopen_hour_wib),
            Allowed::Closed(0.0, 23.0),
        )])?;
        let covered_years: BTreeSet<i16> = config.covered_years.iter().copied().collect();
        let mut holidays = BTreeMap::new();
        for (i, h) in config.holidays.iter().enumerate() {
            if !covered_years.contains(&h.date.year()) {
                return Err(ParamError::new(
                    format!("holidays[{i}].date"),
                    h.date,
                    "a date in one of calendar.covered_years",
                ));
            }
            if holidays.insert(h.date, h.name.clone()).is_some() {
                return Err(ParamError::new(
                    format!("holidays[{i}].date"),
                    h.date,
                    "a date listed once",
                ));
            }
        }
        Ok(Self {
            holidays,
            covered_years,
            close_hour_wib,
            reopen_hour_wib: config.reopen_hour_wib,
        })
    }

    /// 1 January of the first covered year, if any year is covered.
    pub fn first_covered_day(&self) -> Option<Date> {
        let year = *self.covered_years.first()?;
        Date::new(year, 1, 1).ok()
    }

    /// Whether RTGS and SKN settle on `day`: Monday to Friday and not a holiday.
    pub fn is_business_day(&self, day: Date) -> Result<bool, CalendarError> {
        if !self.covered_years.contains(&day.year()) {
            return Err(CalendarError::YearNotCovered(day.year()));
        }
        let weekend = matches!(day.weekday(), CivilWeekday::Saturday | CivilWeekday::Sunday);
        Ok(!weekend && !self.holidays.contains_key(&day))
    }

    /// The first closure that starts on or after `from`.
    pub fn next_closure(&self, from: Date) -> Result<Closure, CalendarError> {
        let mut day = from;
        loop {
            let next = day.tomorrow().map_err(|_| CalendarError::OutOfRange)?;
            if self.is_business_day(day)? && !self.is_business_day(next)? {
                return self.closure_after(day);
            }
            day = next;
        }
    }

    /// The `count` closures starting on or after `from`, in order.
    pub fn closures(&self, from: Date, count: usize) -> Result<Vec<Closure>, CalendarError> {
        let mut out: Vec<Closure> = Vec::with_capacity(count);
        let mut day = from;
        while out.len() < count {
            let closure = self.next_closure(day)?;
            day = closure.reopens_at_wib.date();
            out.push(closure);
        }
        Ok(out)
    }

    /// The closure that starts at the close of business day `last`.
    fn closure_after(&self, last: Date) -> Result<Closure, CalendarError> {
        let mut day = last.tomorrow().map_err(|_| CalendarError::OutOfRange)?;
        let mut holidays = Vec::new();
        while !self.is_business_day(day)? {
            if let Some(name) = self.holidays.get(&day) {
                holidays.push(format!("{day} {name}"));
            }
            day = day.tomorrow().map_err(|_| CalendarError::OutOfRange)?;
        }
        let closes_at_wib = last.at(self.close_hour_wib as i8, 0, 0, 0);
        let reopens_at_wib = day.at(self.reopen_hour_wib as i8, 0, 0, 0);
        let hours = closes_at_wib.duration_until(reopens_at_wib).as_secs() / 3_600;
        Ok(Closure {
            closes_at_wib,
            reopens_at_wib,
            hours: u32::try_from(hours).map_err(|_| CalendarError::OutOfRange)?,
            holidays,
        })
    }
}
