//! The live monitor's pure logic: events and their validation, the window calendar, the
//! running state of the current weekend, the estimators, the projection and the alert
//! rules. No networking, no async runtime, no files, no clocks: callers pass "now".
//!
//! Data flow: a validated [`event::WithdrawalEvent`] is applied to the
//! [`state::MonitorState`]; a [`state::ProjectionInputs`] snapshot of it goes to the
//! [`projection::Projector`], which computes the [`estimate`]s and runs the conditional
//! Monte Carlo; the [`alerts::AlertEngine`] turns projections into alert transitions.

pub mod alerts;
pub mod calendar;
pub mod dedup;
pub mod estimate;
pub mod event;
pub mod projection;
pub mod replay;
pub mod state;
pub mod synthetic;
