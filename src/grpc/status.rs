//! Engine errors as gRPC statuses. A rejected field is an INVALID_ARGUMENT whose message
//! names it and which carries the standard `google.rpc.BadRequest` details (one field
//! violation: the field's protocol path and what is wrong), readable with
//! `tonic_types::StatusExt::get_details_bad_request` or any gRPC client's rich-error API.

use tonic::metadata::{MetadataMap, MetadataValue};
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use super::ingest::StreamSummary;
use crate::monitor::event::Rejection;
use crate::service::EngineError;

/// Metadata key naming the rejected field of an INVALID_ARGUMENT status. Kept as an output
/// for clients written before the `google.rpc.BadRequest` details; never read back.
pub const FIELD_METADATA_KEY: &str = "x-sentinel-field";

/// Trailer metadata of a failed ingest stream: events of the stream accepted (new and
/// durable) before it ended. Also in the status message.
pub const ACCEPTED_METADATA_KEY: &str = "x-sentinel-accepted";

/// Trailer metadata of a failed ingest stream: events of the stream acknowledged as
/// duplicates of stored events (durable too) before it ended.
pub const DUPLICATES_METADATA_KEY: &str = "x-sentinel-duplicates";

/// `status` of an ingest stream that ended early, stating how many of its events were
/// made durable (in the message and in [`ACCEPTED_METADATA_KEY`] /
/// [`DUPLICATES_METADATA_KEY`]); the code and details are kept.
pub(super) fn stream_ended(status: Status, summary: &StreamSummary) -> Status {
    let message = format!(
        "{} ({} events accepted before it, all durable; {} duplicates)",
        status.message(),
        summary.accepted,
        summary.duplicates
    );
    let mut metadata = status.metadata().clone();
    metadata.insert(ACCEPTED_METADATA_KEY, MetadataValue::from(summary.accepted));
    metadata.insert(
        DUPLICATES_METADATA_KEY,
        MetadataValue::from(summary.duplicates),
    );
    Status::with_details_and_metadata(
        status.code(),
        message,
        status.details().to_vec().into(),
        metadata,
    )
}

/// A status from reading the client's stream, per gRPC convention: tonic's "message too
/// large" (OUT_OF_RANGE) becomes RESOURCE_EXHAUSTED; anything else is kept (undecodable
/// protobuf is already INVALID_ARGUMENT, see `codec`).
pub(super) fn wire_status(status: Status) -> Status {
    if status.code() == Code::OutOfRange {
        return Status::resource_exhausted(status.message().to_owned());
    }
    status
}

/// RESOURCE_EXHAUSTED for a batch of `events` events, above `limit`.
pub(super) fn batch_too_large(events: usize, limit: usize) -> Status {
    Status::resource_exhausted(format!(
        "field `events`: {events} events in one message; the limit is {limit}"
    ))
}

/// A rejected event (or reserve position), kept typed until it becomes a status.
#[derive(Debug, Clone)]
pub(super) struct Invalid {
    /// Position of the event in its batch or stream.
    pub index: usize,
    /// Its id as given.
    pub event_id: String,
    /// The field at fault and why.
    pub rejection: Rejection,
}

impl Invalid {
    /// The INVALID_ARGUMENT status, its message followed by `suffix`.
    pub(super) fn status(&self, suffix: &str) -> Status {
        let message = format!(
            "event {} (event_id {:?}): {}{suffix}",
            self.index, self.event_id, self.rejection
        );
        invalid_argument(message, &self.rejection)
    }
}

/// INVALID_ARGUMENT with `message`, the BadRequest details of `rejection` and the legacy
/// field header.
fn invalid_argument(message: String, rejection: &Rejection) -> Status {
    let field = rejection.path();
    let details = ErrorDetails::with_bad_request_violation(&field, rejection.detail.clone());
    let mut metadata = MetadataMap::new();
    if let Ok(value) = MetadataValue::try_from(field.as_str()) {
        metadata.insert(FIELD_METADATA_KEY, value);
    }
    Status::with_error_details_and_metadata(Code::InvalidArgument, message, details, metadata)
}

/// INVALID_ARGUMENT for a rejected `SetReserve` position: names the field with the
/// layer's index (`layers[2].available_after_hours`).
pub(super) fn invalid_reserve(rejection: &Rejection) -> Status {
    invalid_argument(format!("reserve position: {rejection}"), rejection)
}

/// The status of an engine error.
pub(super) fn to_status(error: EngineError) -> Status {
    match error {
        EngineError::Invalid {
            index,
            event_id,
            rejection,
        } => Invalid {
            index,
            event_id,
            rejection,
        }
        .status(""),
        EngineError::Store(e) => Status::unavailable(format!("event store: {e}")),
        EngineError::AlertLedger(e) => Status::unavailable(e.to_string()),
        error @ EngineError::Commit(_) => Status::unavailable(format!(
            "{error}; retryable: send the batch again (an event_id stored twice counts once)"
        )),
        EngineError::Stopped => Status::unavailable("the monitor is shutting down"),
        EngineError::Config(e) => Status::internal(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::event::Field;

    #[test]
    fn a_failed_commit_is_unavailable_and_says_nothing_was_stored() {
        let status = to_status(EngineError::Commit("No space left on device".into()));
        assert_eq!(status.code(), Code::Unavailable);
        let message = status.message();
        assert!(
            message.contains("nothing of this batch was stored"),
            "{message}"
        );
        assert!(message.contains("No space left on device"), "{message}");
        assert!(message.contains("retryable"), "{message}");
    }

    #[test]
    fn a_rejection_carries_bad_request_details_and_the_message() {
        let invalid = Invalid {
            index: 3,
            event_id: "e-3".into(),
            rejection: Rejection::new(Field::AmountMinor, "0 is not positive"),
        };
        let status = invalid.status(" (2 events accepted before it)");
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(
            status.message(),
            "event 3 (event_id \"e-3\"): field `amount_minor`: 0 is not positive \
             (2 events accepted before it)"
        );
        let bad_request = status.get_details_bad_request().unwrap();
        assert_eq!(bad_request.field_violations.len(), 1);
        assert_eq!(bad_request.field_violations[0].field, "amount_minor");
        assert_eq!(
            bad_request.field_violations[0].description,
            "0 is not positive"
        );
    }
}
