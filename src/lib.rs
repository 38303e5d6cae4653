//! Liquidity Sentinel: how much IDR must sit in the payment gateway before the bank
//! rails close so that the weekend's fiat withdrawals are paid — as distributions.
//!
//! Modules, innermost first (dependencies point inward only):
//! - [`model`]: the pure domain core — user base, weekend withdrawal Monte Carlo, order
//!   statistics, reserve sizing, frontier and time-to-insolvency. No I/O, no async.
//! - [`config`]: the one typed configuration, its defaults (= `assumptions.md`) and validation.
//! - [`monitor`]: the live monitor's pure logic — events and their validation, the window
//!   calendar, the running state, the estimators (conjugate Gamma–Poisson rate, regime
//!   posterior, retail flow), the conditional-Monte-Carlo projection and the alert rules
//!   with hysteresis. No networking, no async, no files, no clocks.
//! - [`store`]: the durable event log (own append-only file of CRC32C-checked protobuf
//!   records; fsynced before an event is acknowledged).
//! - [`service`]: the running monitor — sequencer thread (dedup, group commit, apply),
//!   coalesced projector on rayon, alert and projection broadcasts. Knows tokio, not prost.
//! - [`grpc`]: the `sentinel.v1.MonitorService` tonic service, health, reflection and a client.
//!   **API boundary:** the only module that knows the wire's prost types.
//! - [`metrics`]: the Prometheus metrics of the live monitor and their HTTP endpoint.
//!
//! The command line (clap, `anyhow` errors, tables) is not part of the library: it belongs
//! to the `sentinel` binary (`src/main.rs` and its `cli` module), which uses only the
//! public API above.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod batch;
pub mod config;
pub mod grpc;
pub mod metrics;
pub mod model;
pub mod monitor;
pub mod report;
pub mod service;
pub mod store;
