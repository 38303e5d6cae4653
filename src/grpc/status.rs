//! Engine errors as gRPC statuses. A rejected field is an INVALID_ARGUMENT whose message
//! names it and which carries the standard `google.rpc.BadRequest` details (one field
//! violation: the field's protocol path and what is wrong), readable with
//! `tonic_types::StatusExt::get_details_bad_request` or any gRPC client's rich-error API.

use tonic::metadata::{MetadataMap, MetadataValue};
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use crate::monitor::event::Rejection;
use crate::service::EngineError;

/// Metadata key naming the rejected field of an INVALID_ARGUMENT status. Kept as an output
/// for clients written before the `google.rpc.BadRequest` details; never read back.
pub const FIELD_METADATA_KEY: &str = "x-sentinel-field";

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
    let field = rejection.field.name();
    let details = ErrorDetails::with_bad_request_violation(field, rejection.detail.clone());
    let mut metadata = MetadataMap::new();
    metadata.insert(FIELD_METADATA_KEY, MetadataValue::from_static(field));
    Status::with_error_details_and_metadata(Code::InvalidArgument, message, details, metadata)
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
