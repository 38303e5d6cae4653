//! The bank-rail calendar (issue 10, part 1): closures computed from the shipped holiday list,
//! a missing year refused, and `simulate --window-start` sizing the reserve for a closure.

use std::process::Command;

use jiff::civil::date;
use sentinel::config::{Config, ConfigError, HolidayKind};
use sentinel::model::rails::{CalendarError, RailCalendar};

fn calendar() -> RailCalendar {
    let config = Config::default();
    RailCalendar::new(&config.calendar, config.window.rails_close_hour_wib).unwrap()
}

#[test]
fn an_ordinary_weekend_is_friday_1600_to_monday_0900() {
    let c = calendar().next_closure(date(2026, 2, 2)).unwrap();
    assert_eq!(c.closes_at_wib, date(2026, 2, 6).at(16, 0, 0, 0));
    assert_eq!(c.reopens_at_wib, date(2026, 2, 9).at(9, 0, 0, 0));
    assert_eq!(c.hours, 65);
    assert!(c.holidays.is_empty());
}

#[test]
fn the_idul_fitri_closure_of_2026_runs_from_tuesday_to_the_next_wednesday() {
    // Nyepi (18-19 March) runs into Idul Fitri and its cuti bersama (20-24 March): the last
    // business day is Tuesday 17 March, the next Wednesday 25 March: 7 days 17 hours.
    let c = calendar().next_closure(date(2026, 3, 16)).unwrap();
    assert_eq!(c.closes_at_wib, date(2026, 3, 17).at(16, 0, 0, 0));
    assert_eq!(c.reopens_at_wib, date(2026, 3, 25).at(9, 0, 0, 0));
    assert_eq!(c.hours, 7 * 24 + 17);
    assert_eq!(c.holidays.len(), 7);
}

#[test]
fn christmas_2026_closes_on_wednesday_evening() {
    let c = calendar().next_closure(date(2026, 12, 21)).unwrap();
    assert_eq!(c.closes_at_wib, date(2026, 12, 23).at(16, 0, 0, 0));
    assert_eq!(c.reopens_at_wib, date(2026, 12, 28).at(9, 0, 0, 0));
    assert_eq!(c.hours, 4 * 24 + 17);
}

#[test]
fn a_year_without_a_holiday_list_is_an_error_not_a_weekend() {
    assert_eq!(
        calendar().next_closure(date(2027, 1, 4)),
        Err(CalendarError::YearNotCovered(2027))
    );
    // The last closure of 2026 reaches into 2027 (New Year's Day): refused too.
    assert!(calendar().closures(date(2026, 12, 28), 3).is_err());
}

#[test]
fn the_shipped_2026_list_is_the_skb_one() {
    let config = Config::default();
    let count = |kind| {
        config
            .calendar
            .holidays
            .iter()
            .filter(|h| h.kind == kind && h.date.year() == 2026)
            .count()
    };
    assert_eq!(count(HolidayKind::National), 17);
    assert_eq!(count(HolidayKind::CutiBersama), 8);
}

#[test]
fn a_holiday_outside_the_covered_years_or_listed_twice_is_refused() {
    let outside = "[calendar]\ncovered_years = [2026]\nholidays = [{ date = \"2027-01-01\", \
                   name = \"x\", kind = \"national\" }]\n";
    let twice = "[calendar]\ncovered_years = [2026]\nholidays = [\
                 { date = \"2026-01-01\", name = \"x\", kind = \"national\" }, \
                 { date = \"2026-01-01\", name = \"y\", kind = \"national\" }]\n";
    for (toml, field) in [
        (outside, "calendar.holidays[0].date"),
        (twice, "calendar.holidays[1].date"),
    ] {
        match Config::from_toml_str(toml) {
            Err(ConfigError::Invalid { field: f, .. }) => assert_eq!(f, field),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }
}

fn sentinel() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sentinel"))
}

#[test]
fn simulate_sizes_the_reserve_for_the_lebaran_closure() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("report.json");
    let out = sentinel()
        .args([
            "simulate",
            "--paths",
            "500",
            "--window-start",
            "2026-03-16",
            "--json",
        ])
        .arg(&json)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report["window_hours"], 185);
    assert_eq!(
        report["scenarios"]["severe"]["withdrawal_fan"]
            .as_array()
            .unwrap()
            .len(),
        185
    );
}

#[test]
fn the_calendar_command_lists_closures_and_refuses_a_missing_year() {
    let out = sentinel()
        .args(["calendar", "--from", "2026-03-16", "--count", "2"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("185 h") && stdout.contains("Idul Fitri"),
        "{stdout}"
    );
    let out = sentinel()
        .args(["calendar", "--from", "2027-02-01"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("2027"));
    // Close to the end of the list: the closures it can date, then why it stops.
    let out = sentinel()
        .args(["calendar", "--from", "2026-12-14", "--count", "5"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains("Wed 2026-12-23 16:00 -> Mon 2026-12-28 09:00"),
        "{stdout}"
    );
    assert!(
        stdout.contains("no further closure") && stdout.contains("2027"),
        "{stdout}"
    );
}

/// `hour`:00 WIB on a 2026 date, Unix ms.
fn wib_ms(month: i8, day: i8, hour: i8) -> i64 {
    let days = date(2026, month, day)
        .duration_since(date(1970, 1, 1))
        .as_secs()
        / 86_400;
    (days * 24 + i64::from(hour) - 7) * 3_600_000
}

#[test]
fn the_live_monitor_watches_the_lebaran_closure_for_its_whole_length() {
    use sentinel::model::user_base::UserBase;
    use sentinel::service::{Engine, NoObserver, WallClock};
    use std::sync::Arc;

    #[derive(Debug)]
    struct Fixed(i64);
    impl WallClock for Fixed {
        fn now_unix_ms(&self) -> i64 {
            self.0
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.monitor.data_dir = dir.path().display().to_string();
    let users = UserBase::synthetic(&config.user_base);
    // Monday 23 March 2026, 12:00 WIB: a cuti bersama day inside the Idul Fitri closure.
    let clock = Arc::new(Fixed(wib_ms(3, 23, 12)));
    let engine = Engine::open_with_clock(config, &users, Arc::new(NoObserver), clock).unwrap();
    let inputs = engine.inputs();
    let window = inputs
        .window
        .expect("the rails are closed: a closure is current");
    assert_eq!(window.opens_at_unix_ms, wib_ms(3, 17, 16));
    assert!(!window.closed);
    assert_eq!(inputs.window_hours, 185);
    assert_eq!(window.retail_hourly_minor.len(), 185);
}
