//! What the running monitor sets: ingestion, reserve, window, projection, alerts, store.

use super::labels::{MAX_EXPORTED_LAYERS, SCENARIOS, cohort_label, severity_label};
use super::{Metrics, SECONDS_PER_HOUR};
use crate::monitor::alerts::{AlertRule, Severity};
use crate::monitor::event::{CountedCohort, EventKind, RejectionReason};
use crate::monitor::projection::Projection;
use crate::monitor::state::{ProjectionInputs, ReservePosition, minor_total_to_idr_f64};

impl Metrics {
    /// One accepted event of `amount_idr` IDR, at wall-clock `now_unix_seconds`.
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
        self.f
            .events_accepted_total
            .with_label_values(&[cohort, kind])
            .inc();
        if is_withdrawal {
            self.f
                .withdrawn_idr_total
                .with_label_values(&[cohort])
                .inc_by(amount_idr as f64);
        }
        self.f
            .last_event_received_timestamp_seconds
            .set(now_unix_seconds);
    }

    /// `count` events acknowledged as duplicates.
    pub fn record_duplicates(&self, count: u64) {
        self.f.events_duplicate_total.inc_by(count);
    }

    /// One event rejected because of `reason`.
    pub fn record_event_rejected(&self, reason: RejectionReason) {
        self.f
            .events_rejected_total
            .with_label_values(&[reason.as_str()])
            .inc();
    }

    /// One `SetReserve` rejected because of `reason` (not an event rejection).
    pub fn record_reserve_rejected(&self, reason: RejectionReason) {
        self.f
            .reserve_rejected_total
            .with_label_values(&[reason.as_str()])
            .inc();
    }

    /// The reserve layers.
    pub fn set_reserve(&self, reserve: &ReservePosition) {
        let layers = &self.f.reserve_layer_idr;
        layers.reset();
        for (i, layer) in reserve.layers.iter().take(MAX_EXPORTED_LAYERS).enumerate() {
            layers
                .with_label_values(&[&i.to_string(), &layer.available_after_hours.to_string()])
                .set(layer.amount_idr as f64);
        }
        self.f.reserve_total_idr.set(reserve.total_idr() as f64);
    }

    /// The window state a projection was computed from.
    pub fn set_window(&self, inputs: &ProjectionInputs) {
        let f = &self.f;
        let elapsed = inputs.elapsed_hours();
        let closed = inputs.window.as_ref().is_some_and(|w| !w.closed);
        f.rails_closed.set(i64::from(closed));
        f.window_elapsed_seconds.set(elapsed * SECONDS_PER_HOUR);
        let remaining_hours = if closed {
            (inputs.window_hours as f64 - elapsed).max(0.0)
        } else {
            0.0
        };
        f.window_remaining_seconds
            .set(remaining_hours * SECONDS_PER_HOUR);
        // Rupiah with the sen as the fraction, from the exact minor-unit sums.
        let (retail, institutional, deposits) = inputs.window.as_ref().map_or((0, 0, 0), |w| {
            (w.retail_minor, w.institutional_minor, w.deposits_minor)
        });
        f.window_withdrawals_idr
            .with_label_values(&["retail"])
            .set(minor_total_to_idr_f64(retail));
        f.window_withdrawals_idr
            .with_label_values(&["institutional"])
            .set(minor_total_to_idr_f64(institutional));
        f.window_deposits_idr.set(minor_total_to_idr_f64(deposits));
        let arrivals = inputs
            .window
            .as_ref()
            .map_or(0, |w| w.institutional_jumps_minor.len());
        f.institutional_arrivals.set(arrivals as i64);
        f.reserve_available_idr.set(
            inputs.reserve.usable_at_hour_idr(elapsed.floor() as u32) as f64
                + minor_total_to_idr_f64(deposits),
        );
    }

    /// A finished projection that took `duration_seconds`, at wall-clock `now_unix_seconds`.
    pub fn record_projection(&self, p: &Projection, duration_seconds: f64, now_unix_seconds: f64) {
        self.set_window(&p.inputs);
        self.set_estimates(p);
        let f = &self.f;
        f.reserve_headroom_idr.set(p.headroom_idr);
        let s = &p.simulation;
        f.breach_probability.set(s.breach_probability);
        // Hours into the window on the model's clock, exported as seconds from now.
        let from_now = |h: Option<f64>| {
            h.map_or(f64::NAN, |h| {
                (h - p.elapsed_hours).max(0.0) * SECONDS_PER_HOUR
            })
        };
        f.time_to_insolvency_seconds
            .with_label_values(&["p10"])
            .set(from_now(s.tti_p10_hours));
        f.time_to_insolvency_seconds
            .with_label_values(&["p50"])
            .set(from_now(s.tti_p50_hours));
        f.expected_shortfall_idr.set(s.expected_shortfall_idr);
        f.extra_reserve_needed_idr.set(s.extra_reserve_idr);
        f.projection_duration_seconds.observe(duration_seconds);
        f.projection_paths.set(i64::from(s.paths));
        f.projections_total.inc();
        f.projection_timestamp_seconds.set(now_unix_seconds);
    }

    /// The posteriors of a projection: institutional rate, scenario_probabilities, retail flow.
    fn set_estimates(&self, p: &Projection) {
        let f = &self.f;
        let rate = &p.institutional_rate;
        let stats = [
            ("mean", rate.mean_per_day),
            ("lower90", rate.lower90_per_day),
            ("upper90", rate.upper90_per_day),
        ];
        for (stat, value) in stats {
            f.institutional_rate_per_day
                .with_label_values(&[stat])
                .set(value);
        }
        for (scenario, probability) in SCENARIOS.iter().zip(p.scenario_probabilities) {
            f.scenario_probability
                .with_label_values(&[scenario])
                .set(probability);
        }
        f.retail_hourly_flow_idr.set(p.retail.level_idr_per_hour);
        f.retail_hourly_flow_cv.set(p.retail.cv);
    }

    /// The end of the dated rail calendar, Unix seconds (0 without a list).
    pub fn set_calendar(&self, dated_until_unix_seconds: f64) {
        self.f
            .rail_calendar_dated_until_timestamp_seconds
            .set(dated_until_unix_seconds);
    }

    /// Whether the service's alert of `rule` and `severity` fires.
    pub fn set_alert(&self, rule: AlertRule, severity: Severity, firing: bool) {
        self.f
            .alerts_firing
            .with_label_values(&[rule.as_str(), severity_label(severity)])
            .set(i64::from(firing));
    }

    /// One failed or refused group commit.
    pub fn record_commit_failed(&self) {
        self.f.store_commit_failures_total.inc();
    }

    /// Whether the store takes writes.
    pub fn set_store_writable(&self, writable: bool) {
        self.f.store_writable.set(i64::from(writable));
    }

    /// A torn tail of `records` records and `bytes` bytes cut at start.
    pub fn record_tail_truncated(&self, records: u64, bytes: u64) {
        self.f.store_truncated_tail_records_total.inc_by(records);
        self.f.store_truncated_tail_bytes_total.inc_by(bytes);
    }

    /// The store's size, event count and last durable commit.
    pub fn set_store(&self, size_bytes: u64, events: u64, last_fsync_unix_seconds: f64) {
        let f = &self.f;
        f.store_size_bytes
            .set(i64::try_from(size_bytes).unwrap_or(i64::MAX));
        f.store_events
            .set(i64::try_from(events).unwrap_or(i64::MAX));
        f.store_last_fsync_timestamp_seconds
            .set(last_fsync_unix_seconds);
    }
}
