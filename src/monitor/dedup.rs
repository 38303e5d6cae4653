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
//! Ids are remembered by their [`IdFingerprint`] (128 bits of SHA-256), not their text:
//! 24 bytes an id whatever its length, no allocation per id, and a snapshot of millions
//! of ids that loads in a fraction of a second. Two different ids share a fingerprint with
//! probability below `n² / 2¹²⁹` among `n` ids (under 10⁻²⁵ for 10⁷ ids), and SHA-256 makes
//! finding such a pair on purpose infeasible; the event log keeps every id in full.
//!
//! Pruning is decided by event times alone (never a clock), so replaying the same log
//! forgets the same ids: the live state and a replay agree exactly. One caveat is stated
//! in `assumptions.md`: if the wall clock is set back by more than the skew allowance
//! after an event was accepted, an id older than the horizon could be accepted twice.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::hash::{BuildHasherDefault, Hash, Hasher};

use sha2::{Digest, Sha256};

/// The first 16 bytes of `SHA-256("sentinel/event-id\0" ‖ id)`: what [`RecentIds`]
/// remembers of an event id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct IdFingerprint([u8; 16]);

/// Bytes of a fingerprint.
pub const FINGERPRINT_BYTES: usize = 16;

impl IdFingerprint {
    /// The fingerprint of event id `id`.
    pub fn of(id: &str) -> Self {
        let digest = Sha256::new()
            .chain_update(b"sentinel/event-id\0")
            .chain_update(id.as_bytes())
            .finalize();
        let mut bytes = [0u8; FINGERPRINT_BYTES];
        bytes.copy_from_slice(&digest[..FINGERPRINT_BYTES]);
        Self(bytes)
    }

    /// The fingerprint stored as `bytes`.
    pub fn from_bytes(bytes: [u8; FINGERPRINT_BYTES]) -> Self {
        Self(bytes)
    }

    /// Its bytes.
    pub fn to_bytes(self) -> [u8; FINGERPRINT_BYTES] {
        self.0
    }
}

impl Hash for IdFingerprint {
    /// The first 8 bytes: already uniformly distributed, so the table needs no other hash.
    fn hash<H: Hasher>(&self, state: &mut H) {
        let mut low = [0u8; 8];
        low.copy_from_slice(&self.0[..8]);
        state.write_u64(u64::from_le_bytes(low));
    }
}

/// A hasher that passes an [`IdFingerprint`]'s `u64` through (it is a hash already).
#[derive(Debug, Default, Clone, Copy)]
pub struct PassThroughHasher(u64);

impl Hasher for PassThroughHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    /// Only called for keys other than fingerprints: folds the bytes in (FNV-1a).
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0 ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

type FingerprintMap = HashMap<IdFingerprint, i64, BuildHasherDefault<PassThroughHasher>>;

/// Ids of the events seen within the horizon, each with its event time.
#[derive(Debug, Clone)]
pub struct RecentIds {
    horizon_ms: i64,
    ids: FingerprintMap,
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

impl PartialEq for RecentIds {
    /// Same horizon, same latest event time and the same ids inside the horizon (ids past
    /// the edge that no sweep has removed yet do not count).
    fn eq(&self, other: &Self) -> bool {
        self.horizon_ms == other.horizon_ms
            && self.latest_ms == other.latest_ms
            && self.entries().count() == other.entries().count()
            && self
                .entries()
                .all(|(id, at)| other.ids.get(&id) == Some(&at))
    }
}

impl Eq for RecentIds {}

impl RecentIds {
    /// An empty set forgetting ids older than `horizon_ms` before the latest event time
    /// (`i64::MAX` never forgets).
    pub fn new(horizon_ms: i64) -> Self {
        Self {
            horizon_ms: horizon_ms.max(0),
            ids: FingerprintMap::default(),
            latest_ms: None,
            next_sweep_ms: i64::MIN,
        }
    }

    /// The same ids under the horizon `horizon_ms` (the next insert sweeps to it).
    pub fn with_horizon_ms(mut self, horizon_ms: i64) -> Self {
        self.horizon_ms = horizon_ms.max(0);
        self.next_sweep_ms = i64::MIN;
        self
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
        self.ids
            .get(&IdFingerprint::of(id))
            .is_some_and(|&at| at >= self.edge_ms())
    }

    /// Whether an event `id` at `at_ms` repeats one inside the horizon as it stands once
    /// that event is seen (the edge moves with the newest event time, this one included):
    /// exactly when [`RecentIds::insert`] would refuse it.
    pub fn contains_at(&self, id: &str, at_ms: i64) -> bool {
        let (_, edge) = self.latest_and_edge_with(at_ms);
        self.ids
            .get(&IdFingerprint::of(id))
            .is_some_and(|&seen| seen >= edge)
    }

    /// The latest event time and the horizon's edge once an event at `at_ms` is seen.
    fn latest_and_edge_with(&self, at_ms: i64) -> (i64, i64) {
        let latest = self.latest_ms.map_or(at_ms, |l| l.max(at_ms));
        (latest, latest.saturating_sub(self.horizon_ms))
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
        let (latest, edge) = self.latest_and_edge_with(at_ms);
        match self.ids.entry(IdFingerprint::of(id)) {
            Entry::Occupied(seen) if *seen.get() >= edge => return false,
            Entry::Occupied(mut expired) => {
                expired.insert(at_ms);
            }
            Entry::Vacant(new) => {
                new.insert(at_ms);
            }
        }
        self.latest_ms = Some(latest);
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
    pub fn entries(&self) -> impl Iterator<Item = (IdFingerprint, i64)> + '_ {
        let edge = self.edge_ms();
        self.ids
            .iter()
            .filter(move |&(_, &at)| at >= edge)
            .map(|(&id, &at)| (id, at))
    }

    /// The set holding `entries` (as [`RecentIds::entries`] gave them) with the latest
    /// event time `latest_ms`; it answers [`RecentIds::contains`] as the original does.
    pub fn restore(
        horizon_ms: i64,
        latest_ms: Option<i64>,
        entries: impl IntoIterator<Item = (IdFingerprint, i64)>,
    ) -> Self {
        let mut ids = Self::new(horizon_ms);
        ids.ids.extend(entries); // reserves the iterator's lower size bound first
        ids.latest_ms = latest_ms;
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000;

    #[test]
    fn a_fingerprint_is_the_domain_separated_sha256_prefix() {
        // Python: hashlib.sha256(b"sentinel/event-id\0" + b"wd-000001").hexdigest()[:32]
        let expected = "ac76134d3986df9338d5abc391bd2bd8";
        let hex: String = IdFingerprint::of("wd-000001")
            .to_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(hex, expected);
        assert_ne!(IdFingerprint::of("wd-1"), IdFingerprint::of("wd-1 "));
    }

    #[test]
    fn sets_are_equal_by_the_ids_inside_the_horizon_only() {
        let mut swept = RecentIds::new(HOUR);
        let mut unswept = RecentIds::new(HOUR);
        swept.insert("old", 0);
        unswept.insert("old", 0);
        unswept.insert("new", 90 * 60_000);
        swept.insert("new", 90 * 60_000);
        let restored = RecentIds::restore(HOUR, unswept.latest_ms(), unswept.entries());
        assert_eq!(restored, unswept, "the expired id does not count");
        assert_eq!(restored.len(), 1);
        let mut other = restored.clone();
        other.insert("extra", 90 * 60_000);
        assert_ne!(other, unswept);
    }

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
        let entries: Vec<(IdFingerprint, i64)> = original.entries().collect();
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
