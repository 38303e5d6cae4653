//! The pure domain core: plain data and functions, no I/O, no async, no clocks.
//!
//! Every random result takes a seed; every amount is in the unit its name carries.

pub mod reserve;
pub mod rng;
pub mod stats;
pub mod user_base;
pub mod weekend;
pub mod window;
pub mod withdrawals;
