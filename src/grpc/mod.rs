//! The gRPC edge: the `sentinel.v1.MonitorService` service over tonic, plus health and
//! reflection. **API boundary:** only this module knows the prost types; it converts them
//! to and from the [`crate::monitor`] types and calls the [`crate::service::Engine`].

pub mod client;
pub mod codec;
mod convert;
pub mod exposure;
pub mod flow;
pub mod gate;
mod ingest;
pub mod limits;
mod server;
mod status;
pub mod tls;
pub mod tokens;

pub use convert::request_of_event;
pub use server::{
    GrpcError, MAX_BATCH_EVENTS, MAX_MESSAGE_BYTES, MonitorApi, ServeOptions, WatchTimeouts, serve,
    serve_with,
};
pub use status::{ACCEPTED_METADATA_KEY, DUPLICATES_METADATA_KEY, FIELD_METADATA_KEY};

/// The generated protocol types, client and server (`proto/sentinel/v1/monitor.proto`).
#[allow(missing_docs, clippy::all, clippy::pedantic)]
pub mod pb {
    tonic::include_proto!("sentinel.v1");
}

/// The encoded descriptor set of `sentinel.v1`, for reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/sentinel_descriptor.bin"));
