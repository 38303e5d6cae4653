//! Snapshots of the monitor state, one file per checkpoint:
//! `<data_dir>/snapshot-<first_event, 20 digits>.bin` holds the state after the log's
//! first `first_event` events, so a restart reads it and only the segments from that
//! event on.
//!
//! **Format**: the 16-byte header `SNTLSNP\0` + version + CRC32C (as the log's), then two
//! frames `[u32 LE length][u32 LE CRC32C][protobuf]`: a small [`SnapshotMeta`] (read alone
//! to decide retention) and the [`SnapshotRecord`]. A snapshot is written
//! to a temporary name, fsynced, renamed into place and the directory fsynced, so a crash
//! leaves either the old set of snapshots or the new one, never half a file under the
//! final name. A snapshot that fails its checksum or does not decode is skipped (the open
//! falls back to an older one or to the whole log) and reported, never trusted.

use std::io;
use std::path::{Path, PathBuf};

use prost::Message;

use super::frame::{FRAME_HEADER_LEN, HEADER_LEN, checked_header, encode_frame};
use super::io::StoreIo;
use super::record::{
    RECENT_ENTRY_BYTES, ReserveRecord, SnapshotMeta, SnapshotRecord, WindowRecord,
};
use crate::monitor::dedup::{FINGERPRINT_BYTES, IdFingerprint, RecentIds};
use crate::monitor::state::StateSnapshot;

/// Why a thinned snapshot is not read: an older snapshot keeps only its leading meta
/// frame (retention needs its event time), the state is dropped to save disk.
pub const THINNED: &str = "thinned: only the retention metadata is kept";
/// Full snapshots kept (the newest, and one to fall back on); older ones are thinned.
pub const FULL_SNAPSHOTS_KEPT: usize = 2;

/// First 8 bytes of a snapshot file.
pub const SNAPSHOT_MAGIC: [u8; 8] = *b"SNTLSNP\0";
/// Version of the snapshot format written: 2 stores the dedup ids as fingerprints.
pub const SNAPSHOT_VERSION: u32 = 2;
/// Older formats still read: 1 stored the ids in full.
const READABLE_VERSIONS: [u32; 2] = [1, SNAPSHOT_VERSION];

/// The file name of the snapshot taken after `first_event` events.
pub fn snapshot_file_name(first_event: u64) -> String {
    format!("snapshot-{first_event:020}.bin")
}

/// The event count a snapshot file name stands for, if `name` is one.
pub fn parse_snapshot_file_name(name: &str) -> Option<u64> {
    let digits = name.strip_prefix("snapshot-")?.strip_suffix(".bin")?;
    (digits.len() == 20).then(|| digits.parse().ok())?
}

fn header() -> [u8; HEADER_LEN as usize] {
    checked_header(SNAPSHOT_MAGIC, SNAPSHOT_VERSION)
}

/// Whether `bytes` start with the header of a format this build reads.
fn readable_header(bytes: &[u8]) -> bool {
    let header = &bytes[..HEADER_LEN as usize];
    READABLE_VERSIONS
        .iter()
        .any(|&version| header == checked_header(SNAPSHOT_MAGIC, version))
}

/// A snapshot as read back.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedSnapshot {
    /// Events of the log it covers.
    pub first_event: u64,
    /// The state.
    pub state: StateSnapshot,
}

/// Writes the snapshot of `state` after `first_event` events into `dir` (temporary
/// file, fsync, rename, directory fsync). Returns its path.
pub fn write_snapshot(
    io: &dyn StoreIo,
    dir: &Path,
    first_event: u64,
    state: &StateSnapshot,
) -> io::Result<PathBuf> {
    let meta = SnapshotMeta {
        first_event,
        latest_event_at_unix_ms: state.latest_event_at_unix_ms(),
        settings_fingerprint: state.settings_fingerprint,
    };
    let payload = SnapshotRecord::of(first_event, state).encode_to_vec();
    if u32::try_from(payload.len()).is_err() {
        return Err(io::Error::other(format!(
            "snapshot of {} bytes exceeds the 4 GiB frame limit",
            payload.len()
        )));
    }
    let mut bytes = header().to_vec();
    encode_frame(&meta.encode_to_vec(), &mut bytes);
    encode_frame(&payload, &mut bytes);
    let name = snapshot_file_name(first_event);
    let temporary = dir.join(format!("{name}.tmp"));
    let (mut file, _) = io.open(&temporary)?;
    file.truncate(0)?;
    file.append(&bytes)?;
    file.sync()?;
    drop(file);
    let path = dir.join(name);
    io.rename(&temporary, &path)?;
    io.sync_dir(dir)?;
    Ok(path)
}

/// Reads and checks the snapshot at `path`: `Err` says why it cannot be used.
pub fn read_snapshot(io: &dyn StoreIo, path: &Path) -> Result<LoadedSnapshot, String> {
    let bytes = read_all(io, path, u64::MAX).map_err(|e| format!("unreadable: {e}"))?;
    let (meta, rest) = checked_meta(&bytes)?;
    if rest.is_empty() {
        return Err(THINNED.to_owned());
    }
    let (payload, _) = checked_frame(rest)?;
    let record = SnapshotRecord::decode(payload).map_err(|e| format!("undecodable: {e}"))?;
    if record.first_event != meta.first_event {
        return Err("meta and state disagree on the event count".to_owned());
    }
    Ok(LoadedSnapshot {
        first_event: record.first_event,
        state: record.into_state()?,
    })
}

/// Reads only the small leading frame of the snapshot at `path`.
pub fn read_snapshot_meta(io: &dyn StoreIo, path: &Path) -> Result<SnapshotMeta, String> {
    let bytes = read_all(io, path, META_READ_BYTES).map_err(|e| format!("unreadable: {e}"))?;
    checked_meta(&bytes).map(|(meta, _)| meta)
}

/// Cuts the snapshot at `path` to its header and meta frame (temporary file, fsync,
/// rename, directory fsync). `Ok(false)` if it held nothing more.
pub fn thin_snapshot(io: &dyn StoreIo, dir: &Path, path: &Path) -> io::Result<bool> {
    let bytes = read_all(io, path, META_READ_BYTES)?;
    let (_, rest) = checked_meta(&bytes).map_err(io::Error::other)?;
    let meta_end = bytes.len() - rest.len();
    let file_len = io.open_existing(path)?.size()?;
    if file_len == meta_end as u64 {
        return Ok(false);
    }
    let temporary = path.with_extension("bin.tmp");
    let (mut file, _) = io.open(&temporary)?;
    file.truncate(0)?;
    file.append(&bytes[..meta_end])?;
    file.sync()?;
    drop(file);
    io.rename(&temporary, path)?;
    io.sync_dir(dir)?;
    Ok(true)
}

/// Bytes read to find the meta frame (it is a few dozen).
const META_READ_BYTES: u64 = 4_096;

fn checked_meta(bytes: &[u8]) -> Result<(SnapshotMeta, &[u8]), String> {
    if bytes.len() < HEADER_LEN as usize || !readable_header(bytes) {
        return Err("bad or missing snapshot header".to_owned());
    }
    let (payload, rest) = checked_frame(&bytes[HEADER_LEN as usize..])?;
    let meta = SnapshotMeta::decode(payload).map_err(|e| format!("undecodable meta: {e}"))?;
    Ok((meta, rest))
}

/// The payload of the frame at the start of `bytes` and the bytes after it.
fn checked_frame(bytes: &[u8]) -> Result<(&[u8], &[u8]), String> {
    if bytes.len() < FRAME_HEADER_LEN as usize {
        return Err("truncated frame".to_owned());
    }
    let len = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
    let stored_crc = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
    let end = (FRAME_HEADER_LEN as usize)
        .checked_add(len)
        .filter(|&e| e <= bytes.len())
        .ok_or_else(|| format!("frame length {len} runs past the file"))?;
    let payload = &bytes[FRAME_HEADER_LEN as usize..end];
    if crc32c::crc32c_append(crc32c::crc32c(&bytes[..4]), payload) != stored_crc {
        return Err("checksum mismatch".to_owned());
    }
    Ok((payload, &bytes[end..]))
}

/// The first `limit` bytes of `path` (all of it with `u64::MAX`).
fn read_all(io: &dyn StoreIo, path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    let mut file = io.open_existing(path)?;
    let len = usize::try_from(file.size()?.min(limit)).map_err(io::Error::other)?;
    let mut bytes = vec![0u8; len];
    let mut read = 0;
    while read < len {
        let n = file.read_at(read as u64, &mut bytes[read..])?;
        if n == 0 {
            break;
        }
        read += n;
    }
    bytes.truncate(read);
    Ok(bytes)
}

impl SnapshotRecord {
    /// The record of `state` after `first_event` events (format 2).
    pub fn of(first_event: u64, state: &StateSnapshot) -> Self {
        let mut recent_entries = Vec::with_capacity(state.recent_ids.len() * RECENT_ENTRY_BYTES);
        for (id, at) in state.recent_ids.entries() {
            recent_entries.extend_from_slice(&id.to_bytes());
            recent_entries.extend_from_slice(&at.to_le_bytes());
        }
        Self {
            first_event,
            state_version: state.version,
            settings_fingerprint: state.settings_fingerprint,
            events_total: state.events_total,
            latest_event_at_unix_ms: state.latest_event_at_unix_ms(),
            reserve: Some(ReserveRecord::of(&state.reserve)),
            windows: state.windows.iter().map(WindowRecord::of).collect(),
            recent_ids: Vec::new(),
            recent_times_unix_ms: Vec::new(),
            recent_entries,
        }
    }

    /// The state, or why the record is not one. Its id set never forgets until the
    /// reader sets its horizon ([`RecentIds::with_horizon_ms`]).
    pub fn into_state(self) -> Result<StateSnapshot, String> {
        let recent_ids = self.recent_id_set()?;
        let reserve = self.reserve.ok_or("no reserve position")?.into_reserve();
        Ok(StateSnapshot {
            events_total: self.events_total,
            version: self.state_version,
            reserve,
            windows: self
                .windows
                .into_iter()
                .map(WindowRecord::into_tally)
                .collect::<Result<_, _>>()?,
            recent_ids,
            settings_fingerprint: self.settings_fingerprint,
        })
    }

    /// The dedup ids of either format.
    fn recent_id_set(&self) -> Result<RecentIds, String> {
        if self.recent_ids.len() != self.recent_times_unix_ms.len() {
            return Err("recent ids and their times differ in number".to_owned());
        }
        if !self.recent_entries.len().is_multiple_of(RECENT_ENTRY_BYTES) {
            return Err(format!(
                "recent entries of {} bytes are not whole {RECENT_ENTRY_BYTES}-byte entries",
                self.recent_entries.len()
            ));
        }
        let format_1 = self
            .recent_ids
            .iter()
            .zip(&self.recent_times_unix_ms)
            .map(|(id, &at)| (IdFingerprint::of(id), at));
        let format_2 = self
            .recent_entries
            .chunks_exact(RECENT_ENTRY_BYTES)
            .map(decode_entry);
        let latest = self.latest_event_at_unix_ms;
        Ok(RecentIds::restore(
            i64::MAX,
            latest,
            format_1.chain(format_2),
        ))
    }
}

/// One [`RECENT_ENTRY_BYTES`]-byte entry: fingerprint, then event time (i64 LE).
fn decode_entry(entry: &[u8]) -> (IdFingerprint, i64) {
    let mut id = [0u8; FINGERPRINT_BYTES];
    id.copy_from_slice(&entry[..FINGERPRINT_BYTES]);
    let mut at = [0u8; 8];
    at.copy_from_slice(&entry[FINGERPRINT_BYTES..]);
    (IdFingerprint::from_bytes(id), i64::from_le_bytes(at))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::state::ReservePosition;
    use crate::store::io::FsIo;

    const DAY_MS: i64 = 86_400_000;

    fn state_with_ids(ids: &[(&str, i64)]) -> StateSnapshot {
        let mut recent_ids = RecentIds::new(i64::MAX);
        for &(id, at) in ids {
            assert!(recent_ids.insert(id, at));
        }
        StateSnapshot {
            events_total: ids.len() as u64,
            version: ids.len() as u64,
            reserve: ReservePosition::immediate(7),
            windows: Vec::new(),
            recent_ids,
            settings_fingerprint: 9,
        }
    }

    #[test]
    fn a_snapshot_reads_back_the_state_it_was_written_from() {
        let dir = tempfile::tempdir().unwrap();
        let state = state_with_ids(&[("a", 1), ("b", DAY_MS), ("c", 2 * DAY_MS)]);
        let path = write_snapshot(&FsIo, dir.path(), 3, &state).unwrap();
        let loaded = read_snapshot(&FsIo, &path).unwrap();
        assert_eq!(loaded.first_event, 3);
        assert_eq!(loaded.state, state);
        assert_eq!(loaded.state.latest_event_at_unix_ms(), Some(2 * DAY_MS));
    }

    #[test]
    fn a_format_1_snapshot_with_ids_in_full_is_still_read() {
        let state = state_with_ids(&[("wd-1", 10), ("wd-2", 20)]);
        let mut record = SnapshotRecord::of(2, &state);
        record.recent_entries.clear();
        record.recent_ids = vec!["wd-1".into(), "wd-2".into()];
        record.recent_times_unix_ms = vec![10, 20];
        let meta = SnapshotMeta {
            first_event: 2,
            latest_event_at_unix_ms: Some(20),
            settings_fingerprint: 9,
        };
        let mut bytes = checked_header(SNAPSHOT_MAGIC, 1).to_vec();
        encode_frame(&meta.encode_to_vec(), &mut bytes);
        encode_frame(&record.encode_to_vec(), &mut bytes);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(snapshot_file_name(2));
        std::fs::write(&path, bytes).unwrap();
        let loaded = read_snapshot(&FsIo, &path).unwrap();
        assert_eq!(loaded.state, state);
        assert!(loaded.state.recent_ids.contains("wd-2"));
    }

    #[test]
    fn an_unknown_format_or_a_ragged_id_table_is_refused() {
        let state = state_with_ids(&[("a", 1)]);
        let dir = tempfile::tempdir().unwrap();
        let path = write_snapshot(&FsIo, dir.path(), 1, &state).unwrap();
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[..HEADER_LEN as usize].copy_from_slice(&checked_header(SNAPSHOT_MAGIC, 3));
        std::fs::write(&path, &bytes).unwrap();
        assert!(read_snapshot(&FsIo, &path).unwrap_err().contains("header"));
        let mut record = SnapshotRecord::of(1, &state);
        record.recent_entries.pop();
        assert!(record.into_state().unwrap_err().contains("24-byte entries"));
    }
}
