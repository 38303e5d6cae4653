//! Liquidity Sentinel: how much IDR must sit in the payment gateway before the bank
//! rails close so that the weekend's fiat withdrawals are paid — as distributions.
//!
//! Modules, innermost first (dependencies point inward only):
//! - [`model`]: the pure domain core — user base, weekend withdrawal Monte Carlo, order
//!   statistics, reserve sizing, frontier and time-to-insolvency. No I/O, no async.
//! - [`config`]: the one typed configuration, its defaults (= `assumptions.md`) and validation.
//! - [`cli`]: the `sentinel` command line: reads files, runs the model, prints tables and JSON.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod cli;
pub mod config;
pub mod model;
