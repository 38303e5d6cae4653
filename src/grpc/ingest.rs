//! Reading an ingest stream without ever stopping mid-window: a reader task drains the
//! client's messages into a bounded buffer while the handler waits for a commit, and hands
//! the handler everything buffered at once (many events per engine call). Only when the
//! buffer is full does it stop reading; the client is then held back by the HTTP/2
//! window, which [`super::flow`] sizes so that h2 never runs out of its small-frame
//! budget. The task ends with the stream, and is aborted when the handler goes away.

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_stream::StreamExt;
use tonic::{Status, Streaming};

use super::pb;

/// What an ingest stream did so far (both streaming RPCs answer with these fields).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) struct StreamSummary {
    /// Events read from the stream.
    pub received: u64,
    /// Events accepted for the first time (durable).
    pub accepted: u64,
    /// Events acknowledged as duplicates of stored events.
    pub duplicates: u64,
    /// Monitor state version after the last accepted event.
    pub state_version: u64,
}

impl From<StreamSummary> for pb::IngestWithdrawalsResponse {
    fn from(s: StreamSummary) -> Self {
        Self {
            received: s.received,
            accepted: s.accepted,
            duplicates: s.duplicates,
            state_version: s.state_version,
        }
    }
}

impl From<StreamSummary> for pb::IngestWithdrawalBatchesResponse {
    fn from(s: StreamSummary) -> Self {
        Self {
            received: s.received,
            accepted: s.accepted,
            duplicates: s.duplicates,
            state_version: s.state_version,
        }
    }
}

/// What the reader hands the handler.
pub(super) enum Chunk {
    /// The events read since the previous chunk, in stream order.
    Events(Vec<pb::WithdrawalEvent>),
    /// The stream failed (or a message was refused); nothing is read after it.
    End(Status),
}

/// The handler's side of a reader task.
pub(super) struct Reader {
    chunks: mpsc::Receiver<Chunk>,
    task: JoinHandle<()>,
}

impl Reader {
    /// Starts reading `inbound`, each message unpacked into its events by `unpack` (which
    /// may refuse a message with a status), buffering up to `max_buffered` events.
    pub(super) fn spawn<T: Send + 'static>(
        inbound: Streaming<T>,
        max_buffered: usize,
        unpack: fn(T) -> Result<Vec<pb::WithdrawalEvent>, Status>,
    ) -> Self {
        let (sender, chunks) = mpsc::channel(1);
        let task = tokio::spawn(read(inbound, sender, max_buffered.max(1), unpack));
        Self { chunks, task }
    }

    /// The next chunk; `None` once the stream ended cleanly and everything was handed over.
    pub(super) async fn next(&mut self) -> Option<Chunk> {
        self.chunks.recv().await
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The reader loop: read while there is room, hand over whenever the handler is ready.
async fn read<T>(
    mut inbound: Streaming<T>,
    sender: mpsc::Sender<Chunk>,
    max_buffered: usize,
    unpack: fn(T) -> Result<Vec<pb::WithdrawalEvent>, Status>,
) {
    let mut pending: Vec<pb::WithdrawalEvent> = Vec::new();
    let mut end: Option<Status> = None;
    let mut done = false;
    while !(done && pending.is_empty()) {
        tokio::select! {
            biased;
            permit = sender.reserve(), if !pending.is_empty() => {
                let Ok(permit) = permit else { return };
                permit.send(Chunk::Events(std::mem::take(&mut pending)));
            }
            item = inbound.next(), if !done && pending.len() < max_buffered => {
                match item.map(|r| r.and_then(unpack)) {
                    None => done = true,
                    Some(Ok(events)) => pending.extend(events),
                    Some(Err(status)) => {
                        end = Some(status);
                        done = true;
                    }
                }
            }
        }
    }
    if let Some(status) = end {
        let _ = sender.send(Chunk::End(status)).await;
    }
}
