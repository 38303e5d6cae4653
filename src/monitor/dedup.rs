//! Duplicate detection over a bounded horizon of event time.
//!
//! An event is accepted only if its time is at least `now − max_event_age` and at most
//! `now + max_clock_skew` (`event::EventLimits`). So once the latest event time seen is
//! `latest`, the clock was at least `latest − skew`, and no event older than
//! `latest − skew − max_age` (the **dedup horizon**, `horizon_ms = max_age + skew`) can be
//! accepted again: its id need not be remembered. [`RecentIds`] keeps each id with its
//! event time and forgets those older than `latest − horizon_ms`, so memory is bounded by
//! the events of one horizon, not of the whole log.
//!
//! Pruning is decided by event times alone (never a clock), so replaying the same log
//! forgets the same ids: the live state and a replay agree exactly. One caveat is stated
//! in `assumptions.md`: if the wall clock is set back by more than the skew allowance
//! after an event was accepted, an id older than the horizon could be accepted twice.

use std::collections::HashMap;

/// Ids of the events seen within the horizon, each with its event time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecentIds {
    horizon_ms: i64,
    ids: HashMap<Box<str>, i64>,
    latest_ms: Option<i64>,
    /// Event time of the next sweep: the horizon's edge is only swept when it has moved
    /// [`RecentIds::sweep_step_ms`] since the last sweep (amortised O(1) per event).
    next_sweep_ms: i64,
}

impl Default for RecentIds {
    /// An empty set that never forgets.
    fn default() -> Self {
        Self::new(i64::MAX)
    }
}

impl RecentIds {
    /// An empty set forgetting ids older than `horizon_ms` before the latest event time
    /// (`i64::MAX` never forgets).
    pub fn new(horizon_ms: i64) -> Self {
        Self {
            horizon_ms: horizon_ms.max(0),
            ids: HashMap::new(),
            latest_ms: None,
            next_sweep_ms: i64::MIN,
        }
    }

    /// The horizon, ms.
    pub fn horizon_ms(&self) -> i64 {
        self.horizon_ms
    }

    /// How far the edge moves between sweeps: 1/32 of the horizon, at least one hour, so
    /// an id is kept at most `horizon_ms × 33/32` and a sweep touches every id at most
    /// 32 times per horizon.
    fn sweep_step_ms(&self) -> i64 {
        (self.horizon_ms / 32).max(3_600_000)
    }

    /// Event times before this are outside the horizon (`i64::MIN` before any event).
    pub fn edge_ms(&self) -> i64 {
        self.latest_ms
            .map_or(i64::MIN, |l| l.saturating_sub(self.horizon_ms))
    }

    /// Whether `id` was seen at an event time inside the horizon. Ids past the edge that
    /// no sweep has removed yet count as forgotten, so the answer depends only on the
    /// events seen, never on when a sweep ran (a restored set answers like the original).
    pub fn contains(&self, id: &str) -> bool {
        self.ids.get(id).is_some_and(|&at| at >= self.edge_ms())
    }

    /// Whether an event `id` at `at_ms` repeats one inside the horizon as it stands once
    /// that event is seen (the edge moves with the newest event time, this one included):
    /// exactly when [`RecentIds::insert`] would refuse it.
    pub fn contains_at(&self, id: &str, at_ms: i64) -> bool {
        let latest = self.latest_ms.map_or(at_ms, |l| l.max(at_ms));
        let edge = latest.saturating_sub(self.horizon_ms);
        self.ids.get(id).is_some_and(|&seen| seen >= edge)
    }

    /// Ids held now (inside the horizon, plus those past it until the next sweep).
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// True when no id is remembered.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Latest event time seen, Unix ms.
    pub fn latest_ms(&self) -> Option<i64> {
        self.latest_ms
    }

    /// Remembers `id` at event time `at_ms`; false (and nothing changes) if it is
    /// remembered already. May forget ids that fell outside the horizon.
    pub fn insert(&mut self, id: &str, at_ms: i64) -> bool {
        if self.contains_at(id, at_ms) {
            return false;
        }
        self.ids.insert(id.into(), at_ms);
        self.latest_ms = Some(self.latest_ms.map_or(at_ms, |l| l.max(at_ms)));
        self.sweep_if_due();
        true
    }

    fn sweep_if_due(&mut self) {
        let edge = self.edge_ms();
        if edge < self.next_sweep_ms {
            return;
        }
        self.ids.retain(|_, &mut at| at >= edge);
        self.next_sweep_ms = edge.saturating_add(self.sweep_step_ms());
    }

    /// Every id inside the horizon with its event time, in no particular order.
    pub fn entries(&self) -> impl Iterator<Item = (&str, i64)> {
        let edge = self.edge_ms();
        self.ids
            .iter()
            .filter(move |&(_, &at)| at >= edge)
            .map(|(id, &at)| (&**id, at))
    }

    /// The set holding `entries` (as [`RecentIds::entries`] gave them) with the latest
    /// event time `latest_ms`; it answers [`RecentIds::contains`] as the original does.
    pub fn restore(
        horizon_ms: i64,
        latest_ms: Option<i64>,
        entries: impl IntoIterator<Item = (String, i64)>,
    ) -> Self {
        let mut ids = Self::new(horizon_ms);
        ids.ids = entries
            .into_iter()
            .map(|(id, at)| (id.into_boxed_str(), at))
            .collect();
        ids.latest_ms = latest_ms;
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000;

    #[test]
    fn an_id_inside_the_horizon_is_a_duplicate_and_one_outside_is_forgotten() {
        let mut ids = RecentIds::new(35 * 24 * HOUR);
        assert!(ids.insert("a", 0));
        assert!(!ids.insert("a", 0), "within the horizon");
        assert!(ids.insert("b", 35 * 24 * HOUR));
        assert!(ids.contains("a"), "exactly at the edge is kept");
        assert!(ids.insert("c", 37 * 24 * HOUR));
        assert!(!ids.contains("a"), "two days past the horizon");
        assert!(ids.contains("b") && ids.contains("c"));
        assert!(
            ids.insert("a", 37 * 24 * HOUR),
            "forgotten ids are new again"
        );
    }

    #[test]
    fn memory_is_bounded_by_the_horizon_not_the_history() {
        let horizon = 10 * HOUR;
        let mut ids = RecentIds::new(horizon);
        for i in 0..100_000_i64 {
            ids.insert(&i.to_string(), i * 60_000);
            let bound = ((horizon + ids.sweep_step_ms()) / 60_000 + 1) as usize;
            assert!(ids.len() <= bound, "{} ids at minute {i}", ids.len());
        }
        assert!(ids.len() > (horizon / 60_000) as usize);
    }

    #[test]
    fn a_restored_set_answers_and_forgets_like_the_original() {
        let mut original = RecentIds::new(5 * HOUR);
        for i in 0..600_i64 {
            original.insert(&format!("e{i}"), i * 60_000);
        }
        let entries: Vec<(String, i64)> = original
            .entries()
            .map(|(id, at)| (id.to_owned(), at))
            .collect();
        let mut restored = RecentIds::restore(5 * HOUR, original.latest_ms(), entries);
        for i in 600..1_200_i64 {
            let id = format!("e{}", i - 400);
            assert_eq!(
                original.insert(&id, i * 60_000),
                restored.insert(&id, i * 60_000),
                "{id}"
            );
        }
        for i in 0..1_200_i64 {
            let id = format!("e{i}");
            assert_eq!(original.contains(&id), restored.contains(&id), "{id}");
        }
    }
}
