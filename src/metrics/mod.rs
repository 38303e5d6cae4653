//! Prometheus metrics of the live monitor and the HTTP endpoint that serves them.
//!
//! Naming follows Prometheus conventions: prefix `sentinel_`, base units with the unit in
//! the name (`_idr`, `_hours`, `_seconds`, `_bytes`), `_total` for counters. Labels have a
//! fixed, small set of values (cohort, kind, rejection field, regime, rule, severity,
//! quantile, reserve layer index): never an account or event id.
//!
//! Every labelled family is initialised for all its label values at start, so every
//! series a dashboard or a rule uses exists from the first scrape.

mod http;

pub use http::serve_metrics;

use prometheus::{
    Encoder, Gauge, GaugeVec, Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder,
};

use crate::batch::BatchReport;
use crate::config::MonitorConfig;
use crate::config::risk::StressScenario;
use crate::model::solvency::Verdict;
use crate::monitor::alerts::{AlertRule, Severity};
use crate::monitor::event::{CountedCohort, EventKind};
use crate::monitor::projection::Projection;
use crate::monitor::state::{ProjectionInputs, ReservePosition};

/// Reserve layers exported individually (label `layer` = "0" … "7"); beyond that they
/// are only part of the totals. Bounds the label's cardinality.
pub const MAX_EXPORTED_LAYERS: usize = 8;

/// Fields an event can be rejected for: the values of the `reason` label.
pub const REJECTION_REASONS: [&str; 8] = [
    "event_id",
    "account_id",
    "cohort",
    "amount",
    "currency",
    "occurred_at",
    "kind",
    "other",
];

const COHORTS: [&str; 2] = ["retail", "institutional"];
const KINDS: [&str; 2] = ["withdrawal", "deposit"];
const REGIMES: [&str; 3] = ["normal", "mild", "severe"];
const POLICIES: [&str; 3] = ["newsvendor", "cvar99", "rule_of_thumb"];
const SEVERITIES: [Severity; 2] = [Severity::Warning, Severity::Critical];
const VERDICTS: [Verdict; 3] = [Verdict::Solvent, Verdict::OjkBreach, Verdict::Insolvent];

/// Seconds buckets of the projection latency histogram (1 ms … 5 s).
const PROJECTION_BUCKETS_SECONDS: [f64; 14] = [
    0.001, 0.002, 0.004, 0.006, 0.008, 0.01, 0.015, 0.02, 0.03, 0.05, 0.1, 0.25, 1.0, 5.0,
];

/// Every metric the service exports.
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    events_accepted_total: IntCounterVec,
    events_duplicate_total: IntCounter,
    events_rejected_total: IntCounterVec,
    withdrawn_idr_total: prometheus::CounterVec,
    last_event_received_timestamp_seconds: Gauge,
    window_open: IntGauge,
    window_elapsed_hours: Gauge,
    window_hours_remaining: Gauge,
    window_withdrawals_idr: GaugeVec,
    window_deposits_idr: Gauge,
    reserve_layer_idr: GaugeVec,
    reserve_total_idr: Gauge,
    reserve_available_idr: Gauge,
    reserve_headroom_idr: Gauge,
    breach_probability: Gauge,
    breach_probability_threshold: GaugeVec,
    time_to_insolvency_hours: GaugeVec,
    time_to_insolvency_threshold_hours: Gauge,
    expected_shortfall_idr: Gauge,
    extra_reserve_needed_idr: Gauge,
    institutional_rate_per_day: GaugeVec,
    institutional_arrivals: IntGauge,
    regime_probability: GaugeVec,
    retail_hourly_flow_idr: Gauge,
    retail_hourly_flow_cv: Gauge,
    projection_duration_seconds: Histogram,
    projection_paths: IntGauge,
    projections_total: IntCounter,
    projection_timestamp_seconds: Gauge,
    alerts_firing: IntGaugeVec,
    store_size_bytes: IntGauge,
    store_events: IntGauge,
    store_last_fsync_timestamp_seconds: Gauge,
    policy_reserve_idr: GaugeVec,
    policy_failure_probability: GaugeVec,
    policy_annual_opportunity_cost_idr: GaugeVec,
    recommended_reserve_idr: Gauge,
    solvency_equity_after_idr: GaugeVec,
    solvency_capital_needed_idr: GaugeVec,
    solvency_capital_adequacy_ratio: GaugeVec,
    solvency_verdict: IntGaugeVec,
    critical_ratio: Gauge,
    ojk_min_equity_idr: Gauge,
    total_fiat_idr: Gauge,
    build_info: IntGaugeVec,
}

/// A metric could not be registered (a programming error: duplicate or invalid name).
#[derive(Debug, thiserror::Error)]
#[error("cannot register metric: {0}")]
pub struct MetricsError(#[from] prometheus::Error);

impl Metrics {
    /// Registers every metric, with all label values initialised, in a fresh registry.
    pub fn new() -> Result<Self, MetricsError> {
        let r = Registry::new();
        let m = Self {
            events_accepted_total: int_counter_vec(
                &r,
                "sentinel_events_accepted_total",
                "Ledger events accepted and made durable.",
                &["cohort", "kind"],
            )?,
            events_duplicate_total: int_counter(
                &r,
                "sentinel_events_duplicate_total",
                "Events whose event_id was already accepted: acknowledged, counted once.",
            )?,
            events_rejected_total: int_counter_vec(
                &r,
                "sentinel_events_rejected_total",
                "Events rejected as invalid, by the field at fault.",
                &["reason"],
            )?,
            withdrawn_idr_total: counter_vec(
                &r,
                "sentinel_withdrawn_idr_total",
                "Accepted withdrawal amounts, all windows, IDR.",
                &["cohort"],
            )?,
            last_event_received_timestamp_seconds: gauge(
                &r,
                "sentinel_last_event_received_timestamp_seconds",
                "Wall-clock time the last event was accepted, Unix seconds.",
            )?,
            window_open: int_gauge(
                &r,
                "sentinel_window_open",
                "1 while the current bank-rail window is open (rails closed), else 0.",
            )?,
            window_elapsed_hours: gauge(
                &r,
                "sentinel_window_elapsed_hours",
                "Hours since the rails closed, at the latest event.",
            )?,
            window_hours_remaining: gauge(
                &r,
                "sentinel_window_hours_remaining",
                "Hours until the rails reopen, at the latest event.",
            )?,
            window_withdrawals_idr: gauge_vec(
                &r,
                "sentinel_window_withdrawals_idr",
                "Cumulative withdrawals in the current window, IDR.",
                &["cohort"],
            )?,
            window_deposits_idr: gauge(
                &r,
                "sentinel_window_deposits_idr",
                "Cumulative deposits in the current window, IDR.",
            )?,
            reserve_layer_idr: gauge_vec(
                &r,
                "sentinel_reserve_layer_idr",
                "Amount of each reserve layer (label: layer index), IDR.",
                &["layer", "available_after_hours"],
            )?,
            reserve_total_idr: gauge(
                &r,
                "sentinel_reserve_total_idr",
                "All reserve layers once available, IDR.",
            )?,
            reserve_available_idr: gauge(
                &r,
                "sentinel_reserve_available_idr",
                "Reserve usable now (layers already available plus deposits), IDR.",
            )?,
            reserve_headroom_idr: gauge(
                &r,
                "sentinel_reserve_headroom_idr",
                "Usable reserve minus cumulative withdrawals; negative means breached, IDR.",
            )?,
            breach_probability: gauge(
                &r,
                "sentinel_breach_probability",
                "Projected P(withdrawals exceed the usable reserve before the rails reopen).",
            )?,
            breach_probability_threshold: gauge_vec(
                &r,
                "sentinel_breach_probability_threshold",
                "Configured P(breach) alert thresholds.",
                &["severity"],
            )?,
            time_to_insolvency_hours: gauge_vec(
                &r,
                "sentinel_time_to_insolvency_hours",
                "Projected hours from now until the reserve runs out, by quantile over paths (NaN when fewer paths breach).",
                &["quantile"],
            )?,
            time_to_insolvency_threshold_hours: gauge(
                &r,
                "sentinel_time_to_insolvency_threshold_hours",
                "Configured horizon of the time-to-insolvency alert, hours.",
            )?,
            expected_shortfall_idr: gauge(
                &r,
                "sentinel_expected_shortfall_idr",
                "Projected mean peak shortfall over paths, IDR.",
            )?,
            extra_reserve_needed_idr: gauge(
                &r,
                "sentinel_extra_reserve_needed_idr",
                "Reserve to add to bring P(breach) to the configured target, IDR.",
            )?,
            institutional_rate_per_day: gauge_vec(
                &r,
                "sentinel_institutional_rate_per_day",
                "Posterior of the institutional arrival rate, arrivals per day (stat: mean, lower90, upper90).",
                &["stat"],
            )?,
            institutional_arrivals: int_gauge(
                &r,
                "sentinel_institutional_arrivals",
                "Institutional withdrawals counted in the current window.",
            )?,
            regime_probability: gauge_vec(
                &r,
                "sentinel_regime_probability",
                "Posterior probability of each scenario regime.",
                &["regime"],
            )?,
            retail_hourly_flow_idr: gauge(
                &r,
                "sentinel_retail_hourly_flow_idr",
                "Mean retail withdrawals per closed hour of the window, IDR per hour.",
            )?,
            retail_hourly_flow_cv: gauge(
                &r,
                "sentinel_retail_hourly_flow_cv",
                "Coefficient of variation of the retail hourly flow.",
            )?,
            projection_duration_seconds: histogram(
                &r,
                "sentinel_projection_duration_seconds",
                "Wall time of one projection (estimates and conditional Monte Carlo), seconds.",
            )?,
            projection_paths: int_gauge(
                &r,
                "sentinel_projection_paths",
                "Monte Carlo paths of the latest projection.",
            )?,
            projections_total: int_counter(
                &r,
                "sentinel_projections_total",
                "Projections computed.",
            )?,
            projection_timestamp_seconds: gauge(
                &r,
                "sentinel_projection_timestamp_seconds",
                "Wall-clock time of the latest projection, Unix seconds.",
            )?,
            alerts_firing: int_gauge_vec(
                &r,
                "sentinel_alerts_firing",
                "1 while the service's alert of that rule and severity fires.",
                &["rule", "severity"],
            )?,
            store_size_bytes: int_gauge(
                &r,
                "sentinel_store_size_bytes",
                "Size of the durable event store on disk, bytes.",
            )?,
            store_events: int_gauge(
                &r,
                "sentinel_store_events",
                "Events held in the durable store.",
            )?,
            store_last_fsync_timestamp_seconds: gauge(
                &r,
                "sentinel_store_last_fsync_timestamp_seconds",
                "Wall-clock time of the last durable commit, Unix seconds.",
            )?,
            policy_reserve_idr: gauge_vec(
                &r,
                "sentinel_policy_reserve_idr",
                "Batch-engine reserve of each policy for the planning scenario, IDR.",
                &["policy"],
            )?,
            policy_failure_probability: gauge_vec(
                &r,
                "sentinel_policy_failure_probability",
                "Batch-engine P(planning-scenario weekend exceeds the policy's reserve).",
                &["policy"],
            )?,
            policy_annual_opportunity_cost_idr: gauge_vec(
                &r,
                "sentinel_policy_annual_opportunity_cost_idr",
                "Yield forgone by holding the policy's reserve for a year, IDR.",
                &["policy"],
            )?,
            recommended_reserve_idr: gauge(
                &r,
                "sentinel_recommended_reserve_idr",
                "Batch-engine recommended reserve for the planning scenario, IDR.",
            )?,
            solvency_equity_after_idr: gauge_vec(
                &r,
                "sentinel_solvency_equity_after_idr",
                "Batch-engine stressed balance sheet: equity after the scenario's losses, IDR.",
                &["scenario"],
            )?,
            solvency_capital_needed_idr: gauge_vec(
                &r,
                "sentinel_solvency_capital_needed_idr",
                "Capital to add to end the scenario at the OJK equity floor, IDR.",
                &["scenario"],
            )?,
            solvency_capital_adequacy_ratio: gauge_vec(
                &r,
                "sentinel_solvency_capital_adequacy_ratio",
                "Stressed assets over stressed liabilities (NaN when nothing is owed).",
                &["scenario"],
            )?,
            solvency_verdict: int_gauge_vec(
                &r,
                "sentinel_solvency_verdict",
                "1 for the scenario's verdict (SOLVENT, OJK_BREACH, INSOLVENT), 0 for the others.",
                &["scenario", "verdict"],
            )?,
            critical_ratio: gauge(
                &r,
                "sentinel_newsvendor_critical_ratio",
                "Newsvendor critical ratio c_u / (c_o + c_u).",
            )?,
            ojk_min_equity_idr: gauge(
                &r,
                "sentinel_ojk_min_equity_idr",
                "OJK minimum maintained equity, IDR.",
            )?,
            total_fiat_idr: gauge(
                &r,
                "sentinel_customer_fiat_idr",
                "Customer fiat the model is calibrated on, IDR.",
            )?,
            build_info: int_gauge_vec(
                &r,
                "sentinel_build_info",
                "Always 1; the label carries the version.",
                &["version"],
            )?,
            registry: r,
        };
        m.initialise_label_values();
        Ok(m)
    }

    fn initialise_label_values(&self) {
        for cohort in COHORTS {
            for kind in KINDS {
                self.events_accepted_total
                    .with_label_values(&[cohort, kind]);
            }
            self.withdrawn_idr_total.with_label_values(&[cohort]);
            self.window_withdrawals_idr.with_label_values(&[cohort]);
        }
        for reason in REJECTION_REASONS {
            self.events_rejected_total.with_label_values(&[reason]);
        }
        for regime in REGIMES {
            self.regime_probability.with_label_values(&[regime]);
        }
        for stat in ["mean", "lower90", "upper90"] {
            self.institutional_rate_per_day.with_label_values(&[stat]);
        }
        for quantile in ["0.1", "0.5"] {
            self.time_to_insolvency_hours
                .with_label_values(&[quantile])
                .set(f64::NAN);
        }
        for severity in SEVERITIES {
            self.breach_probability_threshold
                .with_label_values(&[severity_label(severity)]);
        }
        for rule in AlertRule::ALL {
            for severity in SEVERITIES {
                self.alerts_firing
                    .with_label_values(&[rule.as_str(), severity_label(severity)]);
            }
        }
        for scenario in StressScenario::ALL {
            let scenario = scenario.as_str();
            self.solvency_equity_after_idr
                .with_label_values(&[scenario]);
            self.solvency_capital_needed_idr
                .with_label_values(&[scenario]);
            self.solvency_capital_adequacy_ratio
                .with_label_values(&[scenario]);
            for verdict in VERDICTS {
                self.solvency_verdict
                    .with_label_values(&[scenario, verdict.as_str()]);
            }
        }
        for policy in POLICIES {
            self.policy_reserve_idr.with_label_values(&[policy]);
            self.policy_failure_probability.with_label_values(&[policy]);
            self.policy_annual_opportunity_cost_idr
                .with_label_values(&[policy]);
        }
        self.build_info
            .with_label_values(&[env!("CARGO_PKG_VERSION")])
            .set(1);
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

    /// The configured alert thresholds, so the Prometheus rules read them instead of copies.
    pub fn set_thresholds(&self, monitor: &MonitorConfig) {
        self.breach_probability_threshold
            .with_label_values(&["warning"])
            .set(monitor.breach_warn_probability);
        self.breach_probability_threshold
            .with_label_values(&["critical"])
            .set(monitor.breach_critical_probability);
        self.time_to_insolvency_threshold_hours
            .set(monitor.tti_alert_hours);
    }

    /// The batch engine's reserve policies for the planning scenario and its stressed
    /// balance sheets.
    pub fn set_policy(&self, report: &BatchReport) {
        self.set_solvency(report);
        self.critical_ratio.set(report.critical_ratio);
        self.total_fiat_idr.set(report.total_fiat_idr as f64);
        self.recommended_reserve_idr
            .set(report.recommendation.reserve_idr);
        if let Some(planning) = report.scenarios.get(&report.recommendation.scenario) {
            self.ojk_min_equity_idr.set(planning.reserve.ojk_floor_idr);
            for policy in &planning.reserve.policies {
                self.policy_reserve_idr
                    .with_label_values(&[policy.policy])
                    .set(policy.reserve_idr);
                self.policy_failure_probability
                    .with_label_values(&[policy.policy])
                    .set(policy.failure_probability);
                self.policy_annual_opportunity_cost_idr
                    .with_label_values(&[policy.policy])
                    .set(policy.annual_opportunity_cost_idr);
            }
        }
    }

    fn set_solvency(&self, report: &BatchReport) {
        for (scenario, sheet) in &report.solvency.scenarios {
            let scenario = scenario.as_str();
            self.solvency_equity_after_idr
                .with_label_values(&[scenario])
                .set(sheet.equity_after_idr);
            self.solvency_capital_needed_idr
                .with_label_values(&[scenario])
                .set(sheet.capital_needed_idr);
            self.solvency_capital_adequacy_ratio
                .with_label_values(&[scenario])
                .set(sheet.equity_after_to_ojk_floor_ratio.unwrap_or(f64::NAN));
            for verdict in VERDICTS {
                self.solvency_verdict
                    .with_label_values(&[scenario, verdict.as_str()])
                    .set(i64::from(sheet.solvency_verdict == verdict));
            }
        }
    }

    /// One accepted event, at wall-clock `now_unix_seconds`.
    pub fn record_accepted(
        &self,
        cohort: CountedCohort,
        kind: EventKind,
        amount_idr: u64,
        now_unix_seconds: f64,
    ) {
        let cohort = cohort_label(cohort);
        let is_withdrawal = matches!(kind, EventKind::Withdrawal);
        let kind = if is_withdrawal {
            "withdrawal"
        } else {
            "deposit"
        };
        self.events_accepted_total
            .with_label_values(&[cohort, kind])
            .inc();
        if is_withdrawal {
            self.withdrawn_idr_total
                .with_label_values(&[cohort])
                .inc_by(amount_idr as f64);
        }
        self.last_event_received_timestamp_seconds
            .set(now_unix_seconds);
    }

    /// `count` events acknowledged as duplicates.
    pub fn record_duplicates(&self, count: u64) {
        self.events_duplicate_total.inc_by(count);
    }

    /// One event rejected because of `field`.
    pub fn record_rejected(&self, field: &str) {
        let reason = REJECTION_REASONS
            .iter()
            .find(|r| field.ends_with(*r))
            .copied()
            .unwrap_or("other");
        self.events_rejected_total
            .with_label_values(&[reason])
            .inc();
    }

    /// The reserve layers.
    pub fn set_reserve(&self, reserve: &ReservePosition) {
        self.reserve_layer_idr.reset();
        for (i, layer) in reserve.layers.iter().take(MAX_EXPORTED_LAYERS).enumerate() {
            self.reserve_layer_idr
                .with_label_values(&[&i.to_string(), &layer.available_after_hours.to_string()])
                .set(layer.amount_idr as f64);
        }
        self.reserve_total_idr.set(reserve.total_idr() as f64);
    }

    /// The window state a projection was computed from.
    pub fn set_window(&self, inputs: &ProjectionInputs) {
        let elapsed = inputs.elapsed_hours();
        let open = inputs.window.as_ref().is_some_and(|w| !w.closed);
        self.window_open.set(i64::from(open));
        self.window_elapsed_hours.set(elapsed);
        self.window_hours_remaining.set(if open {
            (inputs.window_hours as f64 - elapsed).max(0.0)
        } else {
            0.0
        });
        let (retail, institutional, deposits) = inputs.window.as_ref().map_or((0, 0, 0), |w| {
            (w.retail_idr, w.institutional_idr, w.deposits_idr)
        });
        self.window_withdrawals_idr
            .with_label_values(&["retail"])
            .set(retail as f64);
        self.window_withdrawals_idr
            .with_label_values(&["institutional"])
            .set(institutional as f64);
        self.window_deposits_idr.set(deposits as f64);
        let arrivals = inputs
            .window
            .as_ref()
            .map_or(0, |w| w.institutional_jumps_idr.len());
        self.institutional_arrivals.set(arrivals as i64);
        self.reserve_available_idr.set(
            inputs
                .reserve
                .usable_at_hour_idr(elapsed.floor() as u32)
                .saturating_add(deposits) as f64,
        );
    }

    /// A finished projection that took `duration_seconds`, at wall-clock `now_unix_seconds`.
    pub fn record_projection(&self, p: &Projection, duration_seconds: f64, now_unix_seconds: f64) {
        self.set_window(&p.inputs);
        self.reserve_headroom_idr.set(p.headroom_idr);
        let s = &p.simulation;
        self.breach_probability.set(s.breach_probability);
        let from_now = |h: Option<f64>| h.map_or(f64::NAN, |h| (h - p.elapsed_hours).max(0.0));
        self.time_to_insolvency_hours
            .with_label_values(&["0.1"])
            .set(from_now(s.tti_p10_hours));
        self.time_to_insolvency_hours
            .with_label_values(&["0.5"])
            .set(from_now(s.tti_p50_hours));
        self.expected_shortfall_idr.set(s.expected_shortfall_idr);
        self.extra_reserve_needed_idr.set(s.extra_reserve_idr);
        let rate = &p.institutional_rate;
        self.institutional_rate_per_day
            .with_label_values(&["mean"])
            .set(rate.mean_per_day);
        self.institutional_rate_per_day
            .with_label_values(&["lower90"])
            .set(rate.lower90_per_day);
        self.institutional_rate_per_day
            .with_label_values(&["upper90"])
            .set(rate.upper90_per_day);
        for (regime, probability) in REGIMES.iter().zip(p.regimes) {
            self.regime_probability
                .with_label_values(&[regime])
                .set(probability);
        }
        self.retail_hourly_flow_idr.set(p.retail.level_idr_per_hour);
        self.retail_hourly_flow_cv.set(p.retail.cv);
        self.projection_duration_seconds.observe(duration_seconds);
        self.projection_paths.set(i64::from(s.paths));
        self.projections_total.inc();
        self.projection_timestamp_seconds.set(now_unix_seconds);
    }

    /// Whether the service's alert of `rule` and `severity` fires.
    pub fn set_alert(&self, rule: AlertRule, severity: Severity, firing: bool) {
        self.alerts_firing
            .with_label_values(&[rule.as_str(), severity_label(severity)])
            .set(i64::from(firing));
    }

    /// The store's size, event count and last durable commit.
    pub fn set_store(&self, size_bytes: u64, events: u64, last_fsync_unix_seconds: f64) {
        self.store_size_bytes
            .set(i64::try_from(size_bytes).unwrap_or(i64::MAX));
        self.store_events
            .set(i64::try_from(events).unwrap_or(i64::MAX));
        self.store_last_fsync_timestamp_seconds
            .set(last_fsync_unix_seconds);
    }
}

fn severity_label(severity: Severity) -> &'static str {
    match severity {
        Severity::Warning => "warning",
        Severity::Critical => "critical",
    }
}

fn cohort_label(cohort: CountedCohort) -> &'static str {
    match cohort {
        CountedCohort::Retail => "retail",
        CountedCohort::Institutional => "institutional",
    }
}

fn register<M: prometheus::core::Collector + Clone + 'static>(
    registry: &Registry,
    metric: M,
) -> Result<M, MetricsError> {
    registry.register(Box::new(metric.clone()))?;
    Ok(metric)
}

fn gauge(r: &Registry, name: &str, help: &str) -> Result<Gauge, MetricsError> {
    register(r, Gauge::new(name, help)?)
}

fn int_gauge(r: &Registry, name: &str, help: &str) -> Result<IntGauge, MetricsError> {
    register(r, IntGauge::new(name, help)?)
}

fn int_counter(r: &Registry, name: &str, help: &str) -> Result<IntCounter, MetricsError> {
    register(r, IntCounter::new(name, help)?)
}

fn gauge_vec(
    r: &Registry,
    name: &str,
    help: &str,
    labels: &[&str],
) -> Result<GaugeVec, MetricsError> {
    register(r, GaugeVec::new(Opts::new(name, help), labels)?)
}

fn int_gauge_vec(
    r: &Registry,
    name: &str,
    help: &str,
    labels: &[&str],
) -> Result<IntGaugeVec, MetricsError> {
    register(r, IntGaugeVec::new(Opts::new(name, help), labels)?)
}

fn int_counter_vec(
    r: &Registry,
    name: &str,
    help: &str,
    labels: &[&str],
) -> Result<IntCounterVec, MetricsError> {
    register(r, IntCounterVec::new(Opts::new(name, help), labels)?)
}

fn counter_vec(
    r: &Registry,
    name: &str,
    help: &str,
    labels: &[&str],
) -> Result<prometheus::CounterVec, MetricsError> {
    register(
        r,
        prometheus::CounterVec::new(Opts::new(name, help), labels)?,
    )
}

fn histogram(r: &Registry, name: &str, help: &str) -> Result<Histogram, MetricsError> {
    let opts = HistogramOpts::new(name, help).buckets(PROJECTION_BUCKETS_SECONDS.to_vec());
    register(r, Histogram::with_opts(opts)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_family_is_exported_from_the_first_scrape() {
        let metrics = Metrics::new().unwrap();
        let text = metrics.encode();
        for name in [
            "sentinel_events_accepted_total",
            "sentinel_events_rejected_total",
            "sentinel_alerts_firing",
            "sentinel_regime_probability",
            "sentinel_time_to_insolvency_hours",
            "sentinel_projection_duration_seconds_bucket",
        ] {
            assert!(text.contains(name), "{name} missing");
        }
    }

    #[test]
    fn rejection_fields_map_to_bounded_reasons() {
        let metrics = Metrics::new().unwrap();
        metrics.record_rejected("events[3].amount");
        metrics.record_rejected("something_new");
        let text = metrics.encode();
        assert!(text.contains("sentinel_events_rejected_total{reason=\"amount\"} 1"));
        assert!(text.contains("sentinel_events_rejected_total{reason=\"other\"} 1"));
    }
}
