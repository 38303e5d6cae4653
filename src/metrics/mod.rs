//! Prometheus metrics of the live monitor and the HTTP endpoint that serves them.
//!
//! Naming follows Prometheus conventions, checked by `promtool check metrics` on a real
//! scrape (tests/metric_names.rs): prefix `sentinel_`, base units with the unit at the end
//! of the name (`_idr`, `_seconds`, `_bytes`; durations in seconds, never hours), `_total`
//! for counters, no `quantile` label outside summaries (percentiles of a gauge are a
//! `percentile` label). Labels have a fixed, small set of values (cohort, kind, rejection
//! reason, scenario, rule, severity, percentile, reserve layer index): never an account or
//! event id. Every configured alert threshold is exported (`*_threshold*`), so the rules
//! and the dashboard read it instead of copying it.
//!
//! - [`families`]: every family as data ([`FAMILIES`]: name, help, labels, kind).
//! - `labels`: the label values, all initialised at start, so every series a dashboard
//!   or a rule uses exists from the first scrape.
//! - `live`, `batch`: what the running monitor and the batch engine set.
//! - `observer`: [`Metrics`] as the engine's [`crate::service::EngineObserver`].
//!
//! Rejections: `sentinel_events_rejected_total{reason}` counts rejected withdrawal events
//! by [`crate::monitor::event::RejectionReason`]; a rejected `SetReserve` is counted apart,
//! in `sentinel_reserve_rejected_total{reason}` (`amount` or `currency`).

mod batch;
pub mod families;
mod http;
mod labels;
mod live;
mod observer;
pub mod rpc;

pub use families::{FAMILIES, FamilySpec, Kind};
pub use http::{serve_metrics, serve_metrics_tls};
pub use labels::MAX_EXPORTED_LAYERS;

use prometheus::{Encoder, Registry, TextEncoder};

use families::Families;

/// Seconds in an hour: the model works in hours, the metrics in base-unit seconds.
const SECONDS_PER_HOUR: f64 = 3600.0;

/// Every metric the service exports.
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    f: Families,
}

/// A metric could not be registered (a programming error: duplicate or invalid name).
#[derive(Debug, thiserror::Error)]
#[error("cannot register metric: {0}")]
pub struct MetricsError(#[from] prometheus::Error);

impl Metrics {
    /// Registers every metric, with all label values initialised, in a fresh registry.
    pub fn new() -> Result<Self, MetricsError> {
        let registry = Registry::new();
        let f = Families::register(&registry)?;
        labels::initialise(&f);
        register_process_metrics(&registry)?;
        Ok(Self { registry, f })
    }

    /// The registry, for tests and for encoding.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Every series in the Prometheus text exposition format.
    pub fn encode(&self) -> String {
        let mut buffer = Vec::with_capacity(16 * 1024);
        let families = self.registry.gather();
        if TextEncoder::new().encode(&families, &mut buffer).is_err() {
            return String::new();
        }
        String::from_utf8(buffer).unwrap_or_default()
    }
}

/// The standard `process_*` metrics of this process (CPU seconds, resident memory, open
/// file descriptors, start time), where the platform provides them (Linux).
#[cfg(target_os = "linux")]
fn register_process_metrics(registry: &Registry) -> Result<(), MetricsError> {
    let collector = prometheus::process_collector::ProcessCollector::for_self();
    Ok(registry.register(Box::new(collector))?)
}

#[cfg(not(target_os = "linux"))]
fn register_process_metrics(_registry: &Registry) -> Result<(), MetricsError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::event::RejectionReason;

    #[test]
    fn every_family_is_exported_from_the_first_scrape() {
        let metrics = Metrics::new().unwrap();
        let text = metrics.encode();
        for name in [
            "sentinel_events_accepted_total",
            "sentinel_events_rejected_total",
            "sentinel_reserve_rejected_total",
            "sentinel_alerts_firing",
            "sentinel_scenario_probability",
            "sentinel_time_to_insolvency_seconds",
            "sentinel_projection_duration_seconds_bucket",
        ] {
            assert!(text.contains(name), "{name} missing");
        }
    }

    #[test]
    fn the_registry_holds_exactly_the_declared_families() {
        let metrics = Metrics::new().unwrap();
        metrics.set_reserve(&crate::monitor::state::ReservePosition::immediate(1));
        let gathered: Vec<_> = metrics
            .registry()
            .gather()
            .into_iter()
            .filter(|f| !f.name().starts_with("process_"))
            .collect();
        assert_eq!(gathered.len(), FAMILIES.len());
        for spec in FAMILIES {
            let family = gathered.iter().find(|f| f.name() == spec.name);
            let family = family.unwrap_or_else(|| panic!("{} not registered", spec.name));
            assert_eq!(family.help(), spec.help);
            assert_eq!(spec.kind == Kind::Counter, spec.name.ends_with("_total"));
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn process_metrics_and_the_build_are_exported() {
        let text = Metrics::new().unwrap().encode();
        assert!(text.contains("process_resident_memory_bytes "), "{text}");
        assert!(text.contains("process_cpu_seconds_total "), "{text}");
        let build = format!(
            "sentinel_build_info{{commit=\"{}\",version=\"{}\"}} 1",
            env!("SENTINEL_GIT_COMMIT"),
            env!("CARGO_PKG_VERSION")
        );
        assert!(text.contains(&build), "{build} missing");
        assert_ne!(env!("SENTINEL_GIT_COMMIT"), "", "an empty commit label");
    }

    #[test]
    fn rejections_are_counted_by_typed_reason() {
        let metrics = Metrics::new().unwrap();
        metrics.record_event_rejected(RejectionReason::Amount);
        metrics.record_reserve_rejected(RejectionReason::Currency);
        let text = metrics.encode();
        assert!(text.contains("sentinel_events_rejected_total{reason=\"amount\"} 1"));
        assert!(text.contains("sentinel_events_rejected_total{reason=\"currency\"} 0"));
        assert!(text.contains("sentinel_reserve_rejected_total{reason=\"currency\"} 1"));
    }
}
