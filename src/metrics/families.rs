//! Every metric family as data: name, help, labels and kind, declared once in
//! [`FAMILIES`] and registered from it.

use prometheus::core::Collector;
use prometheus::{
    CounterVec, Gauge, GaugeVec, Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry,
};

use super::MetricsError;

/// What a family measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Only goes up; the name ends in `_total`.
    Counter,
    /// Any value.
    Gauge,
    /// Observations in buckets.
    Histogram,
}

/// One family as declared.
#[derive(Debug, Clone, Copy)]
pub struct FamilySpec {
    /// Exported name.
    pub name: &'static str,
    /// `# HELP` text.
    pub help: &'static str,
    /// Label names (empty for a single series).
    pub labels: &'static [&'static str],
    /// What it measures.
    pub kind: Kind,
    /// Histogram bucket upper bounds (empty for the other kinds).
    pub buckets: &'static [f64],
}

/// A prometheus metric type that can be built from its spec.
trait Build: Collector + Clone + Sized + 'static {
    const KIND: Kind;
    fn build(spec: &FamilySpec) -> prometheus::Result<Self>;
}

fn opts(spec: &FamilySpec) -> Opts {
    Opts::new(spec.name, spec.help)
}

macro_rules! build_single {
    ($($ty:ty => $kind:ident),*) => {$(
        impl Build for $ty {
            const KIND: Kind = Kind::$kind;
            fn build(spec: &FamilySpec) -> prometheus::Result<Self> {
                <$ty>::with_opts(opts(spec))
            }
        }
    )*};
}

macro_rules! build_vec {
    ($($ty:ty => $kind:ident),*) => {$(
        impl Build for $ty {
            const KIND: Kind = Kind::$kind;
            fn build(spec: &FamilySpec) -> prometheus::Result<Self> {
                <$ty>::new(opts(spec), spec.labels)
            }
        }
    )*};
}

build_single!(Gauge => Gauge, IntGauge => Gauge, IntCounter => Counter);
build_vec!(
    GaugeVec => Gauge,
    IntGaugeVec => Gauge,
    IntCounterVec => Counter,
    CounterVec => Counter
);

impl Build for Histogram {
    const KIND: Kind = Kind::Histogram;
    fn build(spec: &FamilySpec) -> prometheus::Result<Self> {
        let opts = HistogramOpts::new(spec.name, spec.help).buckets(spec.buckets.to_vec());
        Histogram::with_opts(opts)
    }
}

fn register<M: Build>(registry: &Registry, spec: &FamilySpec) -> Result<M, MetricsError> {
    let metric = M::build(spec)?;
    registry.register(Box::new(metric.clone()))?;
    Ok(metric)
}

/// Declares the families: the [`Families`] struct (one typed field each), the
/// [`FAMILIES`] table and their registration, from one list of
/// `field: Type = (name, help, [labels], buckets)`.
macro_rules! families {
    ($($field:ident: $ty:ty = ($name:literal, $help:literal, [$($label:literal),*], $buckets:expr);)*) => {
        /// Every family, one typed handle each.
        #[derive(Clone)]
        pub(super) struct Families {
            $(pub(super) $field: $ty,)*
        }

        /// Every family the service exports, in registration order.
        pub const FAMILIES: &[FamilySpec] = &[$(FamilySpec {
            name: $name,
            help: $help,
            labels: &[$($label),*],
            kind: <$ty as Build>::KIND,
            buckets: $buckets,
        },)*];

        /// Position of each family in [`FAMILIES`].
        #[allow(non_camel_case_types, clippy::enum_variant_names)]
        enum Index {
            $($field,)*
        }

        impl Families {
            /// Registers every family of [`FAMILIES`] in `registry`.
            pub(super) fn register(registry: &Registry) -> Result<Self, MetricsError> {
                Ok(Self { $($field: register(registry, &FAMILIES[Index::$field as usize])?,)* })
            }
        }
    };
}

/// Seconds buckets of the projection latency histogram (1 ms … 5 s).
const PROJECTION_BUCKETS_SECONDS: &[f64] = &[
    0.001, 0.002, 0.004, 0.006, 0.008, 0.01, 0.015, 0.02, 0.03, 0.05, 0.1, 0.25, 1.0, 5.0,
];

families! {
    events_accepted_total: IntCounterVec = ("sentinel_events_accepted_total",
        "Ledger events accepted and made durable.", ["cohort", "kind"], &[]);
    events_duplicate_total: IntCounter = ("sentinel_events_duplicate_total",
        "Events whose event_id was already accepted: acknowledged, counted once.", [], &[]);
    events_rejected_total: IntCounterVec = ("sentinel_events_rejected_total",
        "Events rejected as invalid, by the field at fault.", ["reason"], &[]);
    reserve_rejected_total: IntCounterVec = ("sentinel_reserve_rejected_total",
        "SetReserve calls rejected as invalid, by the field at fault (not event rejections).",
        ["reason"], &[]);
    withdrawn_idr_total: CounterVec = ("sentinel_withdrawn_idr_total",
        "Accepted withdrawal amounts, all windows, IDR.", ["cohort"], &[]);
    last_event_received_timestamp_seconds: Gauge = (
        "sentinel_last_event_received_timestamp_seconds",
        "Wall-clock time the last event was accepted, Unix seconds.", [], &[]);
    rail_calendar_dated_until_timestamp_seconds: Gauge = (
        "sentinel_rail_calendar_dated_until_timestamp_seconds",
        "End of the dated holiday calendar (the last listed closure's reopening), Unix seconds; \
         0 without a list. After it the weekly window applies.", [], &[]);
    rails_closed: IntGauge = ("sentinel_rails_closed",
        "1 while the bank rails are closed (a weekend window is in progress), else 0.", [], &[]);
    window_elapsed_seconds: Gauge = ("sentinel_window_elapsed_seconds",
        "Time since the rails closed, at the latest event, seconds.", [], &[]);
    window_remaining_seconds: Gauge = ("sentinel_window_remaining_seconds",
        "Time until the rails reopen, at the latest event, seconds (0 while they are open).",
        [], &[]);
    window_withdrawals_idr: GaugeVec = ("sentinel_window_withdrawals_idr",
        "Cumulative withdrawals in the current window, IDR.", ["cohort"], &[]);
    window_deposits_idr: Gauge = ("sentinel_window_deposits_idr",
        "Cumulative deposits in the current window, IDR.", [], &[]);
    reserve_layer_idr: GaugeVec = ("sentinel_reserve_layer_idr",
        "Amount of each reserve layer (label: layer index), IDR.",
        ["layer", "available_after_hours"], &[]);
    reserve_total_idr: Gauge = ("sentinel_reserve_total_idr",
        "All reserve layers once available, IDR.", [], &[]);
    reserve_available_idr: Gauge = ("sentinel_reserve_available_idr",
        "Reserve usable now (layers already available plus deposits), IDR.", [], &[]);
    reserve_headroom_idr: Gauge = ("sentinel_reserve_headroom_idr",
        "Usable reserve minus cumulative withdrawals; negative means breached, IDR.", [], &[]);
    breach_probability: Gauge = ("sentinel_breach_probability",
        "Projected P(withdrawals exceed the usable reserve before the rails reopen).", [], &[]);
    breach_probability_threshold: GaugeVec = ("sentinel_breach_probability_threshold",
        "Configured P(breach) alert thresholds (monitor.breach_*_probability).", ["severity"], &[]);
    time_to_insolvency_seconds: GaugeVec = ("sentinel_time_to_insolvency_seconds",
        "Projected time from now until the reserve runs out, seconds, by percentile over \
         paths (p10, p50; NaN when fewer paths breach).",
        ["percentile"], &[]);
    time_to_insolvency_threshold_seconds: Gauge = (
        "sentinel_time_to_insolvency_threshold_seconds",
        "Configured horizon of the time-to-insolvency alert (monitor.tti_alert_hours), seconds.",
        [], &[]);
    stale_feed_threshold_seconds: Gauge = ("sentinel_stale_feed_threshold_seconds",
        "Configured silence after which the stale-feed alert fires (monitor.stale_feed_minutes), \
         seconds.", [], &[]);
    expected_shortfall_idr: Gauge = ("sentinel_expected_shortfall_idr",
        "Projected mean peak shortfall over paths, IDR.", [], &[]);
    extra_reserve_needed_idr: Gauge = ("sentinel_extra_reserve_needed_idr",
        "Reserve to add to bring P(breach) to the configured target, IDR.", [], &[]);
    institutional_rate_per_day: GaugeVec = ("sentinel_institutional_rate_per_day",
        "Posterior of the institutional arrival rate, arrivals per day (stat: mean, lower90, upper90).",
        ["stat"], &[]);
    institutional_arrivals: IntGauge = ("sentinel_institutional_arrivals",
        "Institutional withdrawals counted in the current window.", [], &[]);
    scenario_probability: GaugeVec = ("sentinel_scenario_probability",
        "Posterior probability of each withdrawal scenario.", ["scenario"], &[]);
    retail_hourly_flow_idr: Gauge = ("sentinel_retail_hourly_flow_idr",
        "Mean retail withdrawals per closed hour of the window, IDR per hour.", [], &[]);
    retail_hourly_flow_cv: Gauge = ("sentinel_retail_hourly_flow_cv",
        "Coefficient of variation of the retail hourly flow.", [], &[]);
    projection_duration_seconds: Histogram = ("sentinel_projection_duration_seconds",
        "Wall time of one projection (estimates and conditional Monte Carlo), seconds.", [],
        PROJECTION_BUCKETS_SECONDS);
    projection_paths: IntGauge = ("sentinel_projection_paths",
        "Monte Carlo paths of the latest projection.", [], &[]);
    projections_total: IntCounter = ("sentinel_projections_total",
        "Projections computed.", [], &[]);
    projection_timestamp_seconds: Gauge = ("sentinel_projection_timestamp_seconds",
        "Wall-clock time of the latest projection, Unix seconds.", [], &[]);
    alerts_firing: IntGaugeVec = ("sentinel_alerts_firing",
        "1 while the service's alert of that rule and severity fires.", ["rule", "severity"], &[]);
    store_size_bytes: IntGauge = ("sentinel_store_size_bytes",
        "Size of the event log's active segment on disk, bytes (earlier segments and snapshots not counted).", [], &[]);
    store_events: IntGauge = ("sentinel_store_events",
        "Events held in the durable store.", [], &[]);
    store_last_fsync_timestamp_seconds: Gauge = ("sentinel_store_last_fsync_timestamp_seconds",
        "Wall-clock time of the last durable commit, Unix seconds.", [], &[]);
    store_writable: IntGauge = ("sentinel_store_writable",
        "1 while the event store takes writes, 0 while commits fail (events are refused).",
        [], &[]);
    store_commit_failures_total: IntCounter = ("sentinel_store_commit_failures_total",
        "Group commits that failed or were refused because the store is not writable; \
         their events were not stored and got UNAVAILABLE.", [], &[]);
    store_truncated_tail_records_total: IntCounter = (
        "sentinel_store_truncated_tail_records_total",
        "Torn or damaged records cut from the end of the event log at start.", [], &[]);
    store_truncated_tail_bytes_total: IntCounter = ("sentinel_store_truncated_tail_bytes_total",
        "Bytes cut from the end of the event log at start (a torn tail).", [], &[]);
    policy_reserve_idr: GaugeVec = ("sentinel_policy_reserve_idr",
        "Batch-engine reserve of each policy for the planning scenario, IDR.", ["policy"], &[]);
    policy_failure_probability: GaugeVec = ("sentinel_policy_failure_probability",
        "Batch-engine P(planning-scenario weekend exceeds the policy's reserve).", ["policy"], &[]);
    policy_annual_opportunity_cost_idr: GaugeVec = ("sentinel_policy_annual_opportunity_cost_idr",
        "Yield forgone by holding the policy's reserve for a year, IDR.", ["policy"], &[]);
    recommended_reserve_idr: Gauge = ("sentinel_recommended_reserve_idr",
        "Batch-engine recommended reserve for the planning scenario, IDR.", [], &[]);
    solvency_equity_after_idr: GaugeVec = ("sentinel_solvency_equity_after_idr",
        "Batch-engine stressed balance sheet: equity after the scenario's losses, IDR.",
        ["scenario"], &[]);
    solvency_capital_needed_idr: GaugeVec = ("sentinel_solvency_capital_needed_idr",
        "Capital to add to end the scenario at the OJK equity floor, IDR.", ["scenario"], &[]);
    solvency_equity_to_ojk_floor_ratio: GaugeVec = ("sentinel_solvency_equity_to_ojk_floor_ratio",
        "Equity after the scenario's losses over the OJK equity floor (NaN without a floor).",
        ["scenario"], &[]);
    liquidity_verdict: IntGaugeVec = ("sentinel_liquidity_verdict",
        "1 for the scenario's liquidity verdict of the sheet's reserve (LIQUIDITY_OK, \
         LIQUIDITY_SHORTFALL), 0 for the other.", ["scenario", "verdict"], &[]);
    solvency_verdict: IntGaugeVec = ("sentinel_solvency_verdict",
        "1 for the scenario's verdict (SOLVENT, OJK_BREACH, INSOLVENT), 0 for the others.",
        ["scenario", "verdict"], &[]);
    critical_ratio: Gauge = ("sentinel_newsvendor_critical_ratio",
        "Newsvendor critical ratio c_u / (c_o + c_u).", [], &[]);
    ojk_min_equity_idr: Gauge = ("sentinel_ojk_min_equity_idr",
        "OJK minimum maintained equity, IDR.", [], &[]);
    total_fiat_idr: Gauge = ("sentinel_customer_fiat_idr",
        "Customer fiat the model is calibrated on, IDR.", [], &[]);
    runbook_info: IntGaugeVec = ("sentinel_runbook_info",
        "Always 1; the label carries the absolute base URL of the runbook \
         (monitor.runbook_base_url), which the alert rules put in their runbook_url.",
        ["base_url"], &[]);
    build_info: IntGaugeVec = ("sentinel_build_info",
        "Always 1; the labels carry the version and the git commit built.",
        ["version", "commit"], &[]);
}
