//! The running state of the monitor: which events were seen, the current window's
//! tallies and the reserve position. Updated on every accepted event, in log order, so
//! replaying the durable log rebuilds exactly the same state.
//!
//! Every accepted event is counted in `events_total` and, when it fell inside a window
//! (by its own time), in that window's tallies; events while the rails were open move no
//! tally. The log alone determines the tallies, so a restart rebuilds them exactly.
//!
//! Which window is *current* is decided by the caller's clock ([`MonitorState::inputs_at`]):
//! the window the clock is in while the rails are closed (empty until its first event), or
//! the latest closure, marked closed, once they have reopened. [`MonitorState::inputs`] is
//! the event-time view (the latest window any event fell in, closed once a later event was
//! seen) for replays and offline tests that have no clock.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use crate::model::liquidity::{ReserveLayer, ReservePosition};
use crate::monitor::calendar::{MS_PER_HOUR, WindowCalendar};
use crate::monitor::dedup::RecentIds;
use crate::monitor::event::{
    CountedCohort, EventKind, IDR_MINOR_PER_RUPIAH, WithdrawalEvent, classify,
};

/// Tallies of one window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowTally {
    /// When the rails closed, Unix ms.
    pub opens_at_unix_ms: i64,
    /// Latest event time seen inside the window, Unix ms.
    pub latest_at_unix_ms: i64,
    /// True once an event after the window's end was seen.
    pub closed: bool,
    /// Retail withdrawals, IDR minor units (exact: sen are summed, never dropped).
    pub retail_minor: u128,
    /// Institutional withdrawals, IDR minor units.
    pub institutional_minor: u128,
    /// Deposits, IDR minor units.
    pub deposits_minor: u128,
    /// Retail withdrawal events.
    pub retail_events: u64,
    /// Retail withdrawals per hour of the window, IDR minor units.
    pub retail_hourly_minor: Vec<u128>,
    /// Each institutional withdrawal, IDR minor units, in arrival order.
    pub institutional_jumps_minor: Vec<u64>,
}

/// Whole rupiah of an IDR minor-unit total, rounded down (the edge to the model, which
/// works in whole rupiah); saturates at `u64::MAX`.
pub fn minor_total_to_idr(total_minor: u128) -> u64 {
    u64::try_from(total_minor / IDR_MINOR_PER_RUPIAH as u128).unwrap_or(u64::MAX)
}

/// Rupiah of an IDR minor-unit total as a float, sen kept as the fraction (for gauges).
pub fn minor_total_to_idr_f64(total_minor: u128) -> f64 {
    total_minor as f64 / IDR_MINOR_PER_RUPIAH as f64
}

impl WindowTally {
    fn new(opens_at_unix_ms: i64, hours: u32) -> Self {
        Self {
            opens_at_unix_ms,
            latest_at_unix_ms: opens_at_unix_ms,
            closed: false,
            retail_minor: 0,
            institutional_minor: 0,
            deposits_minor: 0,
            retail_events: 0,
            retail_hourly_minor: vec![0; hours as usize],
            institutional_jumps_minor: Vec::new(),
        }
    }

    /// Retail withdrawals, whole rupiah (rounded down once, from the exact sum).
    pub fn retail_idr(&self) -> u64 {
        minor_total_to_idr(self.retail_minor)
    }

    /// Institutional withdrawals, whole rupiah (rounded down once).
    pub fn institutional_idr(&self) -> u64 {
        minor_total_to_idr(self.institutional_minor)
    }

    /// Deposits, whole rupiah (rounded down once).
    pub fn deposits_idr(&self) -> u64 {
        minor_total_to_idr(self.deposits_minor)
    }

    /// Retail withdrawals per hour, whole rupiah (each hour's exact sum rounded down).
    pub fn retail_hourly_idr(&self) -> Vec<u64> {
        self.retail_hourly_minor
            .iter()
            .map(|&m| minor_total_to_idr(m))
            .collect()
    }

    /// Each institutional withdrawal, whole rupiah (rounded down).
    pub fn institutional_jumps_idr(&self) -> Vec<u64> {
        self.institutional_jumps_minor
            .iter()
            .map(|&m| minor_total_to_idr(u128::from(m)))
            .collect()
    }
}

/// Hours from the close to the latest event of `window`, `0..=window_hours`: the whole
/// window once closed, 0 without a window.
fn elapsed_hours(window: Option<&WindowTally>, window_hours: u32) -> f64 {
    let hours = f64::from(window_hours);
    match window {
        None => 0.0,
        Some(w) if w.closed => hours,
        Some(w) => {
            let ms = (w.latest_at_unix_ms - w.opens_at_unix_ms) as f64;
            (ms / MS_PER_HOUR as f64).clamp(0.0, hours)
        }
    }
}

/// What applying an event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// First time seen: counted.
    Accepted,
    /// Its `event_id` was seen before: ignored.
    Duplicate,
}

/// Everything a projection is computed from (a snapshot of the state).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectionInputs {
    /// State version (number of changes ever applied).
    pub version: u64,
    /// Events accepted ever.
    pub events_total: u64,
    /// Window length, hours.
    pub window_hours: u32,
    /// The current window, if any event fell in one.
    pub window: Option<WindowTally>,
    /// The reserve.
    pub reserve: ReservePosition,
}

impl ProjectionInputs {
    /// Hours since the close at the latest event, `0..=window_hours` (the whole window once
    /// closed, 0 before any event).
    pub fn elapsed_hours(&self) -> f64 {
        elapsed_hours(self.window.as_ref(), self.window_hours)
    }

    /// Hours fully elapsed, whose retail flow is final.
    pub fn closed_hours(&self) -> u32 {
        (self.elapsed_hours().floor() as u32).min(self.window_hours)
    }

    /// Reserve left now: usable reserve + deposits − withdrawals, IDR minor units, exact
    /// (negative = breached).
    pub fn headroom_minor(&self) -> i128 {
        let hour = (self.elapsed_hours().floor() as u32).min(self.window_hours.saturating_sub(1));
        let usable =
            i128::from(self.reserve.usable_at_hour_idr(hour)) * i128::from(IDR_MINOR_PER_RUPIAH);
        let signed = |m: u128| i128::try_from(m).unwrap_or(i128::MAX);
        match &self.window {
            None => usable,
            Some(w) => {
                usable + signed(w.deposits_minor)
                    - signed(w.retail_minor)
                    - signed(w.institutional_minor)
            }
        }
    }

    /// [`Self::headroom_minor`] in whole rupiah, rounded down (a shortfall of 1 sen is
    /// −Rp 1, never 0).
    pub fn headroom_idr(&self) -> i128 {
        self.headroom_minor()
            .div_euclid(i128::from(IDR_MINOR_PER_RUPIAH))
    }
}

/// The monitor's state.
#[derive(Debug, Clone)]
pub struct MonitorState {
    calendar: WindowCalendar,
    institutional_min_idr: u64,
    /// Ids accepted within the dedup horizon (see [`crate::monitor::dedup`]).
    seen: RecentIds,
    events_total: u64,
    version: u64,
    /// Tallies of the latest [`KEPT_WINDOWS`] windows any event fell in, by opening (Unix ms).
    windows: BTreeMap<i64, WindowTally>,
    reserve: ReservePosition,
}

/// Windows whose tallies are kept (the oldest are dropped first; deterministic in the log).
pub const KEPT_WINDOWS: usize = 8;

/// Where the rails stand at one moment of the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RailsNow {
    /// Opening of the latest closure at or before the moment, Unix ms.
    pub window_opens_at_unix_ms: i64,
    /// True while that closure lasts (the rails are closed).
    pub closed: bool,
}

impl RailsNow {
    /// The rails at `now_unix_ms` on `calendar`.
    pub fn at(calendar: &WindowCalendar, now_unix_ms: i64) -> Self {
        let opens = calendar.opening_at_or_before(now_unix_ms);
        Self {
            window_opens_at_unix_ms: opens,
            closed: now_unix_ms < calendar.closes_at(opens),
        }
    }

    /// The current closure's opening while the rails are closed, `None` while open.
    pub fn open_window(&self) -> Option<i64> {
        self.closed.then_some(self.window_opens_at_unix_ms)
    }
}

impl MonitorState {
    /// An empty state on `calendar`, classifying unspecified events at
    /// `institutional_min_idr`, with `reserve` until one is set.
    pub fn new(
        calendar: WindowCalendar,
        institutional_min_idr: u64,
        reserve: ReservePosition,
    ) -> Self {
        Self {
            calendar,
            institutional_min_idr,
            seen: RecentIds::new(i64::MAX),
            events_total: 0,
            version: 0,
            windows: BTreeMap::new(),
            reserve,
        }
    }

    /// The same state remembering event ids only `horizon_ms` of event time back from the
    /// latest event (max event age + clock skew; see [`crate::monitor::dedup`]). Without
    /// it every id is remembered.
    pub fn with_dedup_horizon_ms(mut self, horizon_ms: i64) -> Self {
        self.seen = RecentIds::new(horizon_ms);
        self
    }

    /// A checksum of the settings the tallies depend on (calendar, classification
    /// threshold, dedup horizon): a snapshot taken under other settings is not reused.
    pub fn settings_fingerprint(&self) -> u32 {
        let settings = format!(
            "{:?}|{}|{}",
            self.calendar,
            self.institutional_min_idr,
            self.seen.horizon_ms()
        );
        crc32c::crc32c(settings.as_bytes())
    }

    /// Event ids remembered for duplicate detection now.
    pub fn remembered_ids(&self) -> usize {
        self.seen.len()
    }

    /// State version: the number of changes applied (events accepted + reserve changes).
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Resumes the version counter of a recovered log (never moves it backwards).
    pub fn resume_version(&mut self, version: u64) {
        self.version = self.version.max(version);
    }

    /// Whether an event `event_id` at `occurred_at_unix_ms` repeats one accepted within
    /// the dedup horizon (what [`MonitorState::apply`] would call a duplicate).
    pub fn has_seen(&self, event_id: &str, occurred_at_unix_ms: i64) -> bool {
        self.seen.contains_at(event_id, occurred_at_unix_ms)
    }

    /// Applies a validated event; a repeated `event_id` changes nothing.
    pub fn apply(&mut self, event: &WithdrawalEvent) -> Applied {
        if !self.seen.insert(&event.event_id, event.occurred_at_unix_ms) {
            return Applied::Duplicate;
        }
        self.count(event);
        Applied::Accepted
    }

    /// Counts the events of a log the store has replayed and deduplicated, and adopts the
    /// id set it built over them (`ids`: the ids this state held, then every event of
    /// `events` inserted in order), so the ids are not hashed a second time.
    pub fn resume_from_log(&mut self, events: &[WithdrawalEvent], ids: RecentIds) {
        for event in events {
            self.count(event);
        }
        self.seen = ids;
    }

    /// Counts an event already found new.
    fn count(&mut self, event: &WithdrawalEvent) {
        self.events_total += 1;
        self.version += 1;
        let at = event.occurred_at_unix_ms;
        if let Some(opens) = self.calendar.window_containing(at) {
            let hours = self.calendar.window_hours(opens);
            let window = self
                .windows
                .entry(opens)
                .or_insert_with(|| WindowTally::new(opens, hours));
            add_to_window(window, event, self.institutional_min_idr);
            while self.windows.len() > KEPT_WINDOWS {
                self.windows.pop_first();
            }
        }
    }

    /// Replaces the reserve position.
    pub fn set_reserve(&mut self, reserve: ReservePosition) {
        self.reserve = reserve;
        self.version += 1;
    }

    /// The current reserve position.
    pub fn reserve(&self) -> &ReservePosition {
        &self.reserve
    }

    /// The calendar.
    pub fn calendar(&self) -> &WindowCalendar {
        &self.calendar
    }

    /// The tallies of the window that opened at `opens_at_unix_ms`, if any event fell in it.
    pub fn window_tally(&self, opens_at_unix_ms: i64) -> Option<&WindowTally> {
        self.windows.get(&opens_at_unix_ms)
    }

    /// Event time of the latest event applied, Unix ms; `None` before the first.
    pub fn latest_event_at_unix_ms(&self) -> Option<i64> {
        self.seen.latest_ms()
    }

    /// The live snapshot at wall clock `now_unix_ms`: while the rails are closed, the
    /// closure the clock is in (empty until its first event); once they have reopened, the
    /// latest closure marked closed (`None` if no event fell in it).
    pub fn inputs_at(&self, now_unix_ms: i64) -> ProjectionInputs {
        let rails = RailsNow::at(&self.calendar, now_unix_ms);
        let opens = rails.window_opens_at_unix_ms;
        let window = match self.windows.get(&opens) {
            Some(w) => Some(WindowTally {
                closed: !rails.closed,
                ..w.clone()
            }),
            None if rails.closed => {
                Some(WindowTally::new(opens, self.calendar.window_hours(opens)))
            }
            None => None,
        };
        self.projection_inputs(window)
    }

    /// The event-time snapshot, without a clock: the latest window any event fell in,
    /// closed once an event at or after its end was seen.
    pub fn inputs(&self) -> ProjectionInputs {
        let window = self
            .windows
            .last_key_value()
            .map(|(&opens, w)| WindowTally {
                closed: self
                    .latest_event_at_unix_ms()
                    .is_some_and(|at| at >= self.calendar.closes_at(opens)),
                ..w.clone()
            });
        self.projection_inputs(window)
    }

    fn projection_inputs(&self, window: Option<WindowTally>) -> ProjectionInputs {
        ProjectionInputs {
            version: self.version,
            events_total: self.events_total,
            window_hours: window.as_ref().map_or(self.calendar.weekly_hours(), |w| {
                self.calendar.window_hours(w.opens_at_unix_ms)
            }),
            window,
            reserve: self.reserve.clone(),
        }
    }
}

/// Everything a [`MonitorState`] holds beyond its settings, as plain data: what a store
/// snapshot keeps so a restart reads it plus the log's tail instead of the whole log.
#[derive(Debug, Clone, PartialEq)]
pub struct StateSnapshot {
    /// Events accepted ever.
    pub events_total: u64,
    /// State version.
    pub version: u64,
    /// The reserve.
    pub reserve: ReservePosition,
    /// Tallies of the kept windows, oldest first.
    pub windows: Vec<WindowTally>,
    /// Ids remembered for duplicate detection (as fingerprints), with their event times.
    pub recent_ids: RecentIds,
    /// [`MonitorState::settings_fingerprint`] of the state it was taken from.
    pub settings_fingerprint: u32,
}

impl StateSnapshot {
    /// Latest event time seen, Unix ms (the id set's).
    pub fn latest_event_at_unix_ms(&self) -> Option<i64> {
        self.recent_ids.latest_ms()
    }
}

impl MonitorState {
    /// The state as plain data.
    pub fn snapshot(&self) -> StateSnapshot {
        StateSnapshot {
            events_total: self.events_total,
            version: self.version,
            reserve: self.reserve.clone(),
            windows: self.windows.values().cloned().collect(),
            recent_ids: self.seen.clone(),
            settings_fingerprint: self.settings_fingerprint(),
        }
    }

    /// Replaces everything but the settings with `snapshot` (taken under the same
    /// settings: check [`StateSnapshot::settings_fingerprint`] first).
    pub fn restore(&mut self, snapshot: StateSnapshot) {
        self.events_total = snapshot.events_total;
        self.version = snapshot.version;
        self.reserve = snapshot.reserve;
        self.windows = snapshot
            .windows
            .into_iter()
            .map(|w| (w.opens_at_unix_ms, w))
            .collect();
        self.seen = snapshot.recent_ids.with_horizon_ms(self.seen.horizon_ms());
    }

    /// Opening of the latest window (with events) that a later event has closed, Unix ms:
    /// when it changes, a window's tallies are final and a snapshot is worth taking.
    pub fn latest_closed_window(&self) -> Option<i64> {
        let latest = self.seen.latest_ms()?;
        self.windows
            .keys()
            .rev()
            .copied()
            .find(|&opens| self.calendar.closes_at(opens) <= latest)
    }
}

/// Adds `event` to the tallies of `w`, classifying unspecified cohorts at
/// `institutional_min_idr`.
fn add_to_window(w: &mut WindowTally, event: &WithdrawalEvent, institutional_min_idr: u64) {
    let amount_minor = u64::try_from(event.amount_minor).unwrap_or(0);
    let amount = u128::from(amount_minor);
    w.latest_at_unix_ms = w.latest_at_unix_ms.max(event.occurred_at_unix_ms);
    if event.kind == EventKind::Deposit {
        w.deposits_minor = w.deposits_minor.saturating_add(amount);
        return;
    }
    match classify(event.cohort, event.amount_idr(), institutional_min_idr) {
        CountedCohort::Institutional => {
            w.institutional_minor = w.institutional_minor.saturating_add(amount);
            w.institutional_jumps_minor.push(amount_minor);
        }
        CountedCohort::Retail => {
            w.retail_minor = w.retail_minor.saturating_add(amount);
            w.retail_events += 1;
            let hour = (event.occurred_at_unix_ms - w.opens_at_unix_ms) / MS_PER_HOUR;
            if let Some(slot) = usize::try_from(hour)
                .ok()
                .and_then(|h| w.retail_hourly_minor.get_mut(h))
            {
                *slot = slot.saturating_add(amount);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::WindowConfig;
    use crate::model::window::WeekendWindow;
    use crate::monitor::event::Cohort;

    const OPENS_MS: i64 = 1_795_165_200_000;

    fn state() -> MonitorState {
        let calendar = WindowCalendar::new(WeekendWindow::from_config(&WindowConfig::default()));
        MonitorState::new(calendar, 1_000, ReservePosition::immediate(10_000))
    }

    fn event(id: &str, hours: f64, amount_idr: i64, cohort: Cohort) -> WithdrawalEvent {
        WithdrawalEvent {
            event_id: id.into(),
            account_id: "a".into(),
            cohort,
            amount_minor: amount_idr * 100,
            currency: "IDR".into(),
            occurred_at_unix_ms: OPENS_MS + (hours * MS_PER_HOUR as f64) as i64,
            kind: EventKind::Withdrawal,
        }
    }

    #[test]
    fn duplicates_count_once_and_old_windows_do_not_move_the_tally() {
        let mut s = state();
        assert_eq!(
            s.apply(&event("a", 1.5, 100, Cohort::Retail)),
            Applied::Accepted
        );
        assert_eq!(
            s.apply(&event("a", 1.5, 100, Cohort::Retail)),
            Applied::Duplicate
        );
        s.apply(&event("b", 2.2, 5_000, Cohort::Unspecified));
        s.apply(&event("old", -200.0, 7, Cohort::Retail));
        let inputs = s.inputs();
        let w = inputs.window.as_ref().unwrap();
        assert_eq!((w.retail_idr(), w.institutional_idr()), (100, 5_000));
        assert_eq!(w.retail_hourly_minor[1], 100 * 100);
        assert_eq!(inputs.events_total, 3);
        assert_eq!(inputs.headroom_idr(), 10_000 - 5_100);
        assert!((inputs.elapsed_hours() - 2.2).abs() < 1e-6);
        s.apply(&event("after", 70.0, 7, Cohort::Retail));
        assert_eq!(s.inputs().elapsed_hours(), 65.0);
    }

    #[test]
    fn the_clock_decides_the_current_window_and_past_events_count_for_their_own() {
        let mut s = state();
        s.apply(&event("w", 3.0, 100, Cohort::Retail));
        let thursday = OPENS_MS + 6 * 24 * MS_PER_HOUR;
        let open_rails = s.inputs_at(thursday);
        assert!(open_rails.window.as_ref().unwrap().closed, "rails reopened");
        let next_friday = OPENS_MS + 7 * 24 * MS_PER_HOUR + MS_PER_HOUR;
        let next = s.inputs_at(next_friday);
        let w = next.window.as_ref().unwrap();
        assert_eq!(
            (w.opens_at_unix_ms, w.retail_idr(), w.closed),
            (OPENS_MS + 7 * 24 * MS_PER_HOUR, 0, false)
        );
        s.apply(&event("late", 4.0, 50, Cohort::Retail));
        assert_eq!(
            s.inputs_at(next_friday).window,
            next.window,
            "a past window's event moves not the current one"
        );
        assert_eq!(s.window_tally(OPENS_MS).unwrap().retail_idr(), 150);
        let during = s.inputs_at(OPENS_MS + 10 * MS_PER_HOUR);
        assert!(!during.window.as_ref().unwrap().closed);
        assert_eq!(during.headroom_idr(), 10_000 - 150);
    }

    #[test]
    fn a_snapshot_plus_the_tail_is_the_state_of_the_whole_log() {
        let horizon_ms = 9 * 24 * MS_PER_HOUR;
        let fresh = || state().with_dedup_horizon_ms(horizon_ms);
        let events: Vec<WithdrawalEvent> = (0..3_000_i64)
            .map(|i| {
                let cohort = [Cohort::Retail, Cohort::Unspecified][(i % 7 == 0) as usize];
                let id = format!("e{}", i - (i % 5 == 4) as i64 * 3);
                event(&id, (i as f64) * 0.9 - 30.0, 40 + i % 1_300, cohort)
            })
            .collect();
        let mut whole = fresh();
        let applied: Vec<Applied> = events.iter().map(|e| whole.apply(e)).collect();
        assert!(applied.contains(&Applied::Duplicate) && whole.remembered_ids() < 2_000);
        for cut in [0, 1, 777, 1_500, 2_999, 3_000] {
            let mut head = fresh();
            events[..cut].iter().for_each(|e| {
                head.apply(e);
            });
            let mut resumed = fresh();
            resumed.restore(head.snapshot());
            for (event, expected) in events[cut..].iter().zip(&applied[cut..]) {
                assert_eq!(
                    resumed.apply(event),
                    *expected,
                    "cut {cut}, {}",
                    event.event_id
                );
            }
            assert_eq!(resumed.snapshot(), whole.snapshot(), "cut {cut}");
            assert_eq!(resumed.inputs(), whole.inputs(), "cut {cut}");
        }
    }

    fn event_minor(id: &str, amount_minor: i64) -> WithdrawalEvent {
        WithdrawalEvent {
            amount_minor,
            ..event(id, 1.5, 0, Cohort::Retail)
        }
    }

    #[test]
    fn sen_are_summed_exactly_and_never_dropped() {
        let mut s = state();
        s.apply(&event_minor("a", 150));
        s.apply(&event_minor("b", 150));
        let inputs = s.inputs();
        let w = inputs.window.as_ref().unwrap();
        assert_eq!(w.retail_minor, 300, "Rp 1.50 + Rp 1.50 = Rp 3.00");
        assert_eq!(w.retail_idr(), 3);
        assert_eq!(inputs.headroom_minor(), 10_000 * 100 - 300);
        for sen in 1..=99 {
            let mut s = state();
            s.apply(&event_minor("sen", sen));
            let inputs = s.inputs();
            assert_eq!(inputs.window.as_ref().unwrap().retail_minor, sen as u128);
            assert_eq!(inputs.headroom_minor(), 10_000 * 100 - i128::from(sen));
            assert_eq!(inputs.headroom_idr(), 9_999, "{sen} sen are not zero");
        }
    }
}
