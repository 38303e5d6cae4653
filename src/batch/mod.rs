//! The batch stress test (`sentinel simulate`): ties the pure model together into one
//! serialisable report. [`run`] owns the orchestration (each scenario simulated once),
//! [`report`] the report's types.

pub mod report;
pub mod run;

pub use report::BatchReport;
pub use run::{
    BatchError, BatchProgress, BatchRequest, recommendation_band, run_batch, run_batch_observed,
    run_batch_with_market,
};
