//! Conversions between the wire types and the monitor's types.

use prost_types::Timestamp;

use super::pb;
use crate::monitor::alerts::{Alert, AlertRule, AlertState, Severity};
use crate::monitor::event::{
    Cohort, EventKind, Field, MAX_LAYER_AVAILABLE_AFTER_HOURS, Rejection, WithdrawalEvent,
    check_amount, check_currency, minor_to_idr,
};
use crate::monitor::state::{ReserveLayer, ReservePosition, WindowTally};
use crate::service::PublishedProjection;

/// Nanoseconds per millisecond.
const NANOS_PER_MS: i32 = 1_000_000;

/// A wire event as a monitor event; rejects an unknown cohort or kind and a missing or
/// malformed timestamp (the other fields are checked by the monitor).
pub fn event_from_pb(e: pb::WithdrawalEvent) -> Result<WithdrawalEvent, Rejection> {
    let cohort = match pb::Cohort::try_from(e.cohort) {
        Ok(pb::Cohort::Unspecified) => Cohort::Unspecified,
        Ok(pb::Cohort::Retail) => Cohort::Retail,
        Ok(pb::Cohort::Institutional) => Cohort::Institutional,
        Err(_) => {
            return Err(Rejection::new(
                Field::Cohort,
                format!(
                    "unknown cohort value {} (expected 0 unspecified, 1 retail, 2 institutional)",
                    e.cohort
                ),
            ));
        }
    };
    let kind = match pb::EventKind::try_from(e.kind) {
        Ok(pb::EventKind::Withdrawal) => EventKind::Withdrawal,
        Ok(pb::EventKind::Deposit) => EventKind::Deposit,
        _ => {
            return Err(Rejection::new(
                Field::Kind,
                format!(
                    "kind {} is not set or unknown (expected 1 withdrawal or 2 deposit)",
                    e.kind
                ),
            ));
        }
    };
    let occurred_at = e
        .occurred_at
        .ok_or_else(|| Rejection::new(Field::OccurredAt, "missing"))?;
    Ok(WithdrawalEvent {
        event_id: e.event_id,
        account_id: e.account_id,
        cohort,
        amount_minor: e.amount_minor,
        currency: e.currency,
        occurred_at_unix_ms: timestamp_to_ms(&occurred_at)?,
        kind,
    })
}

/// A monitor event on the wire.
pub fn event_to_pb(e: &WithdrawalEvent) -> pb::WithdrawalEvent {
    pb::WithdrawalEvent {
        event_id: e.event_id.clone(),
        account_id: e.account_id.clone(),
        cohort: match e.cohort {
            Cohort::Unspecified => pb::Cohort::Unspecified,
            Cohort::Retail => pb::Cohort::Retail,
            Cohort::Institutional => pb::Cohort::Institutional,
        } as i32,
        amount_minor: e.amount_minor,
        currency: e.currency.clone(),
        occurred_at: Some(ms_to_timestamp(e.occurred_at_unix_ms)),
        kind: match e.kind {
            EventKind::Withdrawal => pb::EventKind::Withdrawal,
            EventKind::Deposit => pb::EventKind::Deposit,
        } as i32,
    }
}

/// Unix ms of a timestamp; rejects nanos outside `0..1e9` and overflowing seconds.
pub fn timestamp_to_ms(t: &Timestamp) -> Result<i64, Rejection> {
    if !(0..1_000_000_000).contains(&t.nanos) {
        return Err(Rejection::new(
            Field::OccurredAt,
            format!("nanos {} outside 0..1e9", t.nanos),
        ));
    }
    t.seconds
        .checked_mul(1_000)
        .and_then(|ms| ms.checked_add(i64::from(t.nanos / NANOS_PER_MS)))
        .ok_or_else(|| {
            Rejection::new(
                Field::OccurredAt,
                format!("seconds {} out of range", t.seconds),
            )
        })
}

/// The event of one `IngestWithdrawals` message (the same fields).
pub fn event_of_request(r: pb::IngestWithdrawalsRequest) -> pb::WithdrawalEvent {
    pb::WithdrawalEvent {
        event_id: r.event_id,
        account_id: r.account_id,
        cohort: r.cohort,
        amount_minor: r.amount_minor,
        currency: r.currency,
        occurred_at: r.occurred_at,
        kind: r.kind,
    }
}

/// The `IngestWithdrawals` message of one event (the same fields).
pub fn request_of_event(e: pb::WithdrawalEvent) -> pb::IngestWithdrawalsRequest {
    pb::IngestWithdrawalsRequest {
        event_id: e.event_id,
        account_id: e.account_id,
        cohort: e.cohort,
        amount_minor: e.amount_minor,
        currency: e.currency,
        occurred_at: e.occurred_at,
        kind: e.kind,
    }
}

/// A timestamp of Unix ms.
pub fn ms_to_timestamp(ms: i64) -> Timestamp {
    Timestamp {
        seconds: ms.div_euclid(1_000),
        nanos: (ms.rem_euclid(1_000) as i32) * NANOS_PER_MS,
    }
}

/// A wire reserve position as the monitor's; every layer amount must be positive IDR.
pub fn reserve_from_pb(r: pb::SetReserveRequest) -> Result<ReservePosition, Rejection> {
    let layers = r
        .layers
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            check_amount(Field::LayerAmountMinor, l.amount_minor).map_err(|r| r.at(i))?;
            check_currency(Field::LayerCurrency, &l.currency).map_err(|r| r.at(i))?;
            if l.available_after_hours > MAX_LAYER_AVAILABLE_AFTER_HOURS {
                return Err(Rejection::new(
                    Field::LayerAvailableAfterHours,
                    format!(
                        "{} h is later than the limit of {MAX_LAYER_AVAILABLE_AFTER_HOURS} h after \
                         the close (two weeks, longer than any closure)",
                        l.available_after_hours
                    ),
                )
                .at(i));
            }
            Ok(ReserveLayer {
                name: l.name,
                amount_idr: minor_to_idr(l.amount_minor),
                available_after_hours: l.available_after_hours,
            })
        })
        .collect::<Result<Vec<_>, Rejection>>()?;
    if r.proprietary_capital_minor < 0 {
        return Err(Rejection::new(
            Field::ProprietaryCapitalMinor,
            format!("{} is negative", r.proprietary_capital_minor),
        ));
    }
    if r.proprietary_capital_minor > 0 {
        check_currency(
            Field::ProprietaryCapitalCurrency,
            &r.proprietary_capital_currency,
        )?;
    }
    Ok(ReservePosition {
        layers,
        proprietary_capital_idr: minor_to_idr(r.proprietary_capital_minor),
    })
}

fn idr(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// An exact minor-unit total on the wire (saturating at `i64::MAX`, Rp 92 quadrillion).
fn minor(value: u128) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// A published projection on the wire.
pub fn projection_to_pb(p: &PublishedProjection) -> pb::Projection {
    let proj = &p.projection;
    let inputs = &proj.inputs;
    let w = inputs.window.as_ref();
    let s = &proj.simulation;
    pb::Projection {
        state_version: inputs.version,
        computed_at: Some(ms_to_timestamp(p.computed_at_unix_ms)),
        window: Some(pb::WindowState {
            opens_at: w.map(|w| ms_to_timestamp(w.opens_at_unix_ms)),
            window_hours: inputs.window_hours,
            elapsed_hours: proj.elapsed_hours,
            current_hour: (proj.elapsed_hours.floor() as u32)
                .min(inputs.window_hours.saturating_sub(1)),
            closed: w.is_some_and(|w| w.closed),
            last_event_at: w.map(|w| ms_to_timestamp(w.latest_at_unix_ms)),
        }),
        flows: Some(pb::Flows {
            retail_withdrawn_idr: idr(w.map_or(0, WindowTally::retail_idr)),
            institutional_withdrawn_idr: idr(w.map_or(0, WindowTally::institutional_idr)),
            deposits_idr: idr(w.map_or(0, WindowTally::deposits_idr)),
            reserve_headroom_idr: proj.headroom_idr as i64,
            retail_withdrawn_minor: minor(w.map_or(0, |w| w.retail_minor)),
            institutional_withdrawn_minor: minor(w.map_or(0, |w| w.institutional_minor)),
            deposits_minor: minor(w.map_or(0, |w| w.deposits_minor)),
            reserve_headroom_minor: inputs
                .headroom_minor()
                .clamp(i128::from(i64::MIN), i128::from(i64::MAX))
                as i64,
            total_reserve_idr: idr(inputs.reserve.total_idr()),
            retail_events: w.map_or(0, |w| w.retail_events),
            institutional_events: w.map_or(0, |w| w.institutional_jumps_minor.len() as u64),
            events_total: inputs.events_total,
        }),
        institutional_rate: Some(pb::RatePosterior {
            mean_per_day: proj.institutional_rate.mean_per_day,
            lower90_per_day: proj.institutional_rate.lower90_per_day,
            upper90_per_day: proj.institutional_rate.upper90_per_day,
            arrivals: proj.institutional_rate.arrivals,
            exposure_days: proj.institutional_rate.exposure_days,
        }),
        scenario_probabilities: Some(pb::ScenarioProbabilities {
            normal: proj.scenario_probabilities[0],
            mild: proj.scenario_probabilities[1],
            severe: proj.scenario_probabilities[2],
        }),
        retail: Some(pb::RetailFlow {
            level_idr_per_hour: proj.retail.level_idr_per_hour,
            cv: proj.retail.cv,
            closed_hours: proj.retail.closed_hours,
        }),
        simulation: Some(pb::Simulation {
            paths: s.paths,
            breach_probability: s.breach_probability,
            tti_p10_hours: s.tti_p10_hours,
            tti_p50_hours: s.tti_p50_hours,
            tti_p10_from_now_hours: s.tti_p10_from_now_hours,
            expected_shortfall_idr: s.expected_shortfall_idr,
            extra_reserve_idr: s.extra_reserve_idr,
            target_breach_probability: s.target_breach_probability,
            compute_ms: p.compute_ms,
        }),
    }
}

/// The wire rule of a rule.
pub fn rule_to_pb(rule: AlertRule) -> pb::AlertRule {
    match rule {
        AlertRule::InstitutionalLead => pb::AlertRule::InstitutionalLead,
        AlertRule::BreachProbability => pb::AlertRule::BreachProbability,
        AlertRule::TimeToInsolvency => pb::AlertRule::TimeToInsolvency,
        AlertRule::ReserveBreached => pb::AlertRule::ReserveBreached,
        AlertRule::StaleFeed => pb::AlertRule::StaleFeed,
    }
}

/// The wire severity of a severity.
pub fn severity_to_pb(severity: Severity) -> pb::Severity {
    match severity {
        Severity::Warning => pb::Severity::Warning,
        Severity::Critical => pb::Severity::Critical,
    }
}

/// An alert on the wire.
pub fn alert_to_pb(a: &Alert) -> pb::Alert {
    pb::Alert {
        id: a.id.clone(),
        rule: rule_to_pb(a.rule) as i32,
        severity: severity_to_pb(a.severity) as i32,
        state: match a.state {
            AlertState::Firing => pb::AlertState::Firing,
            AlertState::Resolved => pb::AlertState::Resolved,
        } as i32,
        started_at: Some(ms_to_timestamp(a.started_at_unix_ms)),
        resolved_at: a.resolved_at_unix_ms.map(ms_to_timestamp),
        window_hour: a.window_hour,
        values: a.values.iter().map(|(k, v)| (k.clone(), *v)).collect(),
        summary: a.summary.clone(),
        resolution_reason: a.resolution_reason.clone().unwrap_or_default(),
        window_opens_at: Some(ms_to_timestamp(a.window_opens_at_unix_ms)),
    }
}

/// Whether `filter` lets `alert` through (empty rules = all; unspecified severity = all).
pub fn filter_matches(filter: &pb::WatchAlertsRequest, alert: &Alert) -> bool {
    let rule = rule_to_pb(alert.rule) as i32;
    let rule_ok = filter.rules.is_empty() || filter.rules.contains(&rule);
    let severity_ok = severity_to_pb(alert.severity) as i32 >= filter.min_severity;
    rule_ok && severity_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip_in_milliseconds() {
        for ms in [0, 1, 999, 1_795_165_200_123, -1] {
            assert_eq!(timestamp_to_ms(&ms_to_timestamp(ms)), Ok(ms));
        }
    }
}
