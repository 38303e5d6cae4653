//! The log's byte format and its scanner.
//!
//! A log file is a 16-byte header — the magic `SNTLLOG\0`, the format version (u32 LE) and
//! the CRC32C of those 12 bytes (u32 LE) — followed by frames:
//! `[u32 LE payload length][u32 LE CRC32C of the length bytes and the payload][payload]`,
//! the payload one protobuf [`super::record::CommitRecord`]. Lengths are 1 ..=
//! [`MAX_PAYLOAD_BYTES`].
//!
//! [`scan`] walks the frames in order and classifies the first bad one (incomplete,
//! implausible length, checksum mismatch):
//! - **torn tail**: no valid frame starts anywhere after it (looked for byte by byte) and
//!   at most one record's bytes follow, so it is what a crash or a failed write leaves at
//!   the end; the store truncates it.
//! - **corruption**: a valid frame follows (or more bytes than one record, or more than
//!   the search may checksum), so damage sits *before* the tail; the store refuses to
//!   start and names the file, the byte offset and the record number.
//!
//! A frame whose checksum holds but whose payload the caller rejects (undecodable, out of
//! sequence, a duplicate event id) is corruption wherever it is. Nothing here panics on
//! any input: every length is checked against the file before it is used.

use std::io;

use super::io::LogFile;

/// First 8 bytes of a log file.
pub const MAGIC: [u8; 8] = *b"SNTLLOG\0";
/// Version of the format this code writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// Bytes of the file header.
pub const HEADER_LEN: u64 = 16;
/// Bytes of a frame header (length + checksum).
pub const FRAME_HEADER_LEN: u64 = 8;
/// Largest payload accepted, bytes (far above one group commit of 8,192 events).
pub const MAX_PAYLOAD_BYTES: u32 = 64 << 20;
/// Bytes read from the file at a time while scanning.
const READ_CHUNK: usize = 1 << 20;

/// The 16-byte file header of the log.
pub fn file_header() -> [u8; HEADER_LEN as usize] {
    checked_header(MAGIC, FORMAT_VERSION)
}

/// A 16-byte header: `magic`, `version` (u32 LE) and the CRC32C of those 12 bytes (u32 LE).
pub fn checked_header(magic: [u8; 8], version: u32) -> [u8; HEADER_LEN as usize] {
    let mut header = [0u8; HEADER_LEN as usize];
    header[..8].copy_from_slice(&magic);
    header[8..12].copy_from_slice(&version.to_le_bytes());
    let crc = crc32c::crc32c(&header[..12]);
    header[12..].copy_from_slice(&crc.to_le_bytes());
    header
}

/// Appends the frame of `payload` (1 ..= [`MAX_PAYLOAD_BYTES`] bytes) to `out`.
pub fn encode_frame(payload: &[u8], out: &mut Vec<u8>) {
    let len = u32::try_from(payload.len())
        .unwrap_or(u32::MAX)
        .to_le_bytes();
    let crc = crc32c::crc32c_append(crc32c::crc32c(&len), payload);
    out.extend_from_slice(&len);
    out.extend_from_slice(&crc.to_le_bytes());
    out.extend_from_slice(payload);
}

/// Where a bad frame is and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadFrame {
    /// Byte offset of the frame in the file.
    pub offset: u64,
    /// Record number, counting from 1 (0 for the file header).
    pub record: u64,
    /// What is wrong.
    pub reason: String,
}

/// How a scan ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanEnd {
    /// Every byte belongs to a valid frame.
    Clean,
    /// The last frame is bad and nothing valid follows (a crash or failed write).
    TornTail(BadFrame),
    /// A bad frame with valid data after it, or a valid frame the caller rejected.
    Corrupt(BadFrame),
}

/// The result of [`scan`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scan {
    /// Length of the file, bytes.
    pub file_len: u64,
    /// End of the last valid frame (or of the header; 0 without a complete header), bytes.
    pub valid_len: u64,
    /// Valid frames read.
    pub records: u64,
    /// How it ended.
    pub end: ScanEnd,
}

/// Reads `buf.len()` bytes at `offset` (fewer only at the end of the file).
fn read_full(file: &mut dyn LogFile, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
    let mut read = 0;
    while read < buf.len() {
        let n = file.read_at(offset + read as u64, &mut buf[read..])?;
        if n == 0 {
            break;
        }
        read += n;
    }
    Ok(read)
}

/// Forward-only buffered reads of a file of known length.
struct Window {
    buf: Vec<u8>,
    start: u64,
    file_len: u64,
}

impl Window {
    /// Bytes `offset .. offset + len`, or `None` when they run past the end of the file.
    fn get(&mut self, file: &mut dyn LogFile, offset: u64, len: u64) -> io::Result<Option<&[u8]>> {
        let Some(end) = offset.checked_add(len).filter(|&e| e <= self.file_len) else {
            return Ok(None);
        };
        let buffered_end = self.start + self.buf.len() as u64;
        if offset < self.start || end > buffered_end {
            let want = (len as usize).max(READ_CHUNK);
            let want = want.min((self.file_len - offset) as usize);
            self.buf.resize(want, 0);
            let got = read_full(file, offset, &mut self.buf)?;
            self.buf.truncate(got);
            self.start = offset;
            if (got as u64) < len {
                return Ok(None);
            }
        }
        let from = (offset - self.start) as usize;
        Ok(Some(&self.buf[from..from + len as usize]))
    }
}

/// Checks the frame at the start of `bytes`: its total length when valid.
fn valid_frame_at(bytes: &[u8]) -> Result<u64, String> {
    let Some(header) = bytes.get(..FRAME_HEADER_LEN as usize) else {
        return Err("incomplete frame header".to_owned());
    };
    let (len_bytes, crc_bytes) = header.split_at(4);
    let mut len = [0u8; 4];
    len.copy_from_slice(len_bytes);
    let mut crc = [0u8; 4];
    crc.copy_from_slice(crc_bytes);
    let payload_len = u32::from_le_bytes(len);
    if payload_len == 0 || payload_len > MAX_PAYLOAD_BYTES {
        return Err(format!("implausible record length {payload_len}"));
    }
    let total = FRAME_HEADER_LEN + u64::from(payload_len);
    let Some(payload) = bytes.get(FRAME_HEADER_LEN as usize..total as usize) else {
        return Err(format!(
            "record of {payload_len} bytes runs past the end of the file"
        ));
    };
    if crc32c::crc32c_append(crc32c::crc32c(&len), payload) != u32::from_le_bytes(crc) {
        return Err("checksum mismatch".to_owned());
    }
    Ok(total)
}

/// Bytes the search for a valid frame after a bad one may checksum in all; past it the
/// bad frame counts as corruption (refusing is safe: nothing is cut, salvage remains).
const SEARCH_BUDGET_BYTES: u64 = 1 << 30;

/// Whether any valid frame starts in `rest` after its first byte — or whether that
/// cannot be ruled out within [`SEARCH_BUDGET_BYTES`].
fn valid_frame_after(rest: &[u8]) -> bool {
    let mut budget = SEARCH_BUDGET_BYTES;
    for p in 1..rest.len() {
        let candidate = &rest[p..];
        let Some(len) = candidate.get(..4) else {
            return false;
        };
        let len = u64::from(u32::from_le_bytes([len[0], len[1], len[2], len[3]]));
        if len == 0 || len > u64::from(MAX_PAYLOAD_BYTES) {
            continue;
        }
        if FRAME_HEADER_LEN + len > candidate.len() as u64 {
            continue;
        }
        let Some(left) = budget.checked_sub(len) else {
            return true;
        };
        budget = left;
        if valid_frame_at(candidate).is_ok() {
            return true;
        }
    }
    false
}

/// Checks the header; `Ok(None)` for a file holding only a prefix of a header (a crash
/// while creating it), `Err` for a file that is not a log of this version.
fn check_header(file: &mut dyn LogFile, file_len: u64) -> io::Result<Result<Option<()>, String>> {
    let expected = file_header();
    let mut header = [0u8; HEADER_LEN as usize];
    let got = read_full(file, 0, &mut header)?;
    if (got as u64) < HEADER_LEN && got as u64 == file_len {
        return Ok(if header[..got] == expected[..got] {
            Ok(None)
        } else {
            Err("not a sentinel event log (bad header)".to_owned())
        });
    }
    if header[..8] != MAGIC {
        return Ok(Err("not a sentinel event log (bad magic)".to_owned()));
    }
    if header != expected {
        let mut version = [0u8; 4];
        version.copy_from_slice(&header[8..12]);
        return Ok(Err(format!(
            "unsupported log format version {} or damaged header (this build reads {FORMAT_VERSION})",
            u32::from_le_bytes(version)
        )));
    }
    Ok(Ok(Some(())))
}

/// What [`scan`] gives each valid frame: its byte offset and payload; `Err` rejects it.
pub type Visit<'a> = dyn FnMut(u64, &[u8]) -> Result<(), String> + 'a;

/// Reads every frame of `file` in order, giving each to `visit`; stops at the first bad
/// frame or rejected payload. Never modifies the file.
pub fn scan(file: &mut dyn LogFile, visit: &mut Visit<'_>) -> io::Result<Scan> {
    let file_len = file.size()?;
    let mut result = Scan {
        file_len,
        valid_len: 0,
        records: 0,
        end: ScanEnd::Clean,
    };
    match check_header(file, file_len)? {
        Ok(Some(())) => result.valid_len = HEADER_LEN,
        Ok(None) if file_len == 0 => return Ok(result),
        Ok(None) => {
            result.end = ScanEnd::TornTail(BadFrame {
                offset: 0,
                record: 0,
                reason: "incomplete file header".to_owned(),
            });
            return Ok(result);
        }
        Err(reason) => {
            result.end = ScanEnd::Corrupt(BadFrame {
                offset: 0,
                record: 0,
                reason,
            });
            return Ok(result);
        }
    }
    let mut window = Window {
        buf: Vec::new(),
        start: 0,
        file_len,
    };
    let mut offset = HEADER_LEN;
    while offset < file_len {
        let record = result.records + 1;
        let bad = match frame_at(file, &mut window, offset)? {
            Ok(payload_len) => {
                let payload = window
                    .get(file, offset + FRAME_HEADER_LEN, payload_len)?
                    .unwrap_or_default();
                if let Err(reason) = visit(offset, payload) {
                    let bad = BadFrame {
                        offset,
                        record,
                        reason,
                    };
                    result.end = ScanEnd::Corrupt(bad);
                    return Ok(result);
                }
                offset += FRAME_HEADER_LEN + payload_len;
                result.valid_len = offset;
                result.records = record;
                continue;
            }
            Err(reason) => BadFrame {
                offset,
                record,
                reason,
            },
        };
        result.end = classify_bad(file, offset, file_len, bad)?;
        return Ok(result);
    }
    Ok(result)
}

/// Whether the bad frame `bad` at `offset` is a torn tail or corruption (see the module
/// doc).
fn classify_bad(
    file: &mut dyn LogFile,
    offset: u64,
    file_len: u64,
    bad: BadFrame,
) -> io::Result<ScanEnd> {
    let remaining = file_len - offset;
    if remaining > FRAME_HEADER_LEN + u64::from(MAX_PAYLOAD_BYTES) {
        // A torn tail is at most one commit's frame; more bytes than that is damage.
        let reason = format!(
            "{} ({remaining} bytes follow, more than one record can hold)",
            bad.reason
        );
        return Ok(ScanEnd::Corrupt(BadFrame { reason, ..bad }));
    }
    let mut rest = vec![0u8; remaining as usize];
    let got = read_full(file, offset, &mut rest)?;
    rest.truncate(got);
    Ok(if valid_frame_after(&rest) {
        ScanEnd::Corrupt(bad)
    } else {
        ScanEnd::TornTail(bad)
    })
}

/// The payload length of the valid frame at `offset`, or what is wrong with it.
fn frame_at(
    file: &mut dyn LogFile,
    window: &mut Window,
    offset: u64,
) -> io::Result<Result<u64, String>> {
    let Some(header) = window.get(file, offset, FRAME_HEADER_LEN)? else {
        return Ok(Err("incomplete frame header".to_owned()));
    };
    let mut len = [0u8; 4];
    len.copy_from_slice(&header[..4]);
    let payload_len = u64::from(u32::from_le_bytes(len));
    let total = FRAME_HEADER_LEN + payload_len;
    let available = (window.file_len - offset).min(total.max(FRAME_HEADER_LEN));
    let Some(bytes) = window.get(file, offset, available)? else {
        return Ok(Err("read past the end of the file".to_owned()));
    };
    Ok(valid_frame_at(bytes).map(|t| t - FRAME_HEADER_LEN))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_round_trips_and_any_flipped_bit_is_detected() {
        let mut bytes = Vec::new();
        encode_frame(b"hello protobuf", &mut bytes);
        assert_eq!(valid_frame_at(&bytes), Ok(bytes.len() as u64));
        for bit in 0..bytes.len() * 8 {
            let mut flipped = bytes.clone();
            flipped[bit / 8] ^= 1 << (bit % 8);
            assert!(valid_frame_at(&flipped).is_err(), "bit {bit} undetected");
        }
        assert!(valid_frame_at(&bytes[..bytes.len() - 1]).is_err());
    }

    #[test]
    fn a_valid_frame_is_found_after_garbage_and_plausible_lengths_stay_cheap() {
        let mut rest = vec![0xFFu8, 0x01, 0x00];
        encode_frame(b"record", &mut rest);
        assert!(valid_frame_after(&rest));
        assert!(!valid_frame_after(&rest[..rest.len() - 1]));
        let ones = vec![0x01u8; 4 << 20];
        assert!(
            !valid_frame_after(&ones),
            "16 MiB lengths never fit in 4 MiB"
        );
    }
}
