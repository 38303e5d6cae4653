//! The pure domain core: plain data and functions, no I/O, no async, no clocks.
//!
//! Every random result takes a seed; every amount is in the unit its name carries.

pub mod conditional;
pub mod insurance;
pub mod liquidity;
pub mod market;
pub mod mc_error;
pub mod params;
pub mod process;
pub mod rails;
pub mod reserve;
pub mod rng;
pub mod solvency;
pub mod stats;
pub mod tiers;
pub mod user_base;
pub mod var;
pub mod window;
pub mod withdrawals;
