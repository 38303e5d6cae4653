//! The bounded label values of every labelled family, all initialised at start.

use super::families::Families;
use crate::config::risk::StressScenario;
use crate::model::liquidity::LiquidityVerdict;
use crate::model::solvency::Verdict;
use crate::monitor::alerts::{AlertRule, Severity};
use crate::monitor::event::{CountedCohort, RejectionReason};

/// Reserve layers exported individually (label `layer` = "0" … "7"); beyond that they
/// are only part of the totals. Bounds the label's cardinality.
pub const MAX_EXPORTED_LAYERS: usize = 8;

pub(super) const COHORTS: [&str; 2] = ["retail", "institutional"];
const KINDS: [&str; 2] = ["withdrawal", "deposit"];
pub(super) const SCENARIOS: [&str; 3] = ["normal", "mild", "severe"];
const POLICIES: [&str; 3] = ["newsvendor", "cvar99", "rule_of_thumb"];
const RATE_STATS: [&str; 3] = ["mean", "lower90", "upper90"];
/// Percentiles of the time to insolvency over paths (a gauge: no `quantile` label).
const TTI_PERCENTILES: [&str; 2] = ["p10", "p50"];
const SEVERITIES: [Severity; 2] = [Severity::Warning, Severity::Critical];
pub(super) const VERDICTS: [Verdict; 3] =
    [Verdict::Solvent, Verdict::OjkBreach, Verdict::Insolvent];
pub(super) const LIQUIDITY_VERDICTS: [LiquidityVerdict; 2] = [
    LiquidityVerdict::LiquidityOk,
    LiquidityVerdict::LiquidityShortfall,
];
/// The fields a reserve position can be rejected for.
const RESERVE_REJECTION_REASONS: [RejectionReason; 2] =
    [RejectionReason::Amount, RejectionReason::Currency];

/// The `severity` label value.
pub(super) fn severity_label(severity: Severity) -> &'static str {
    match severity {
        Severity::Warning => "warning",
        Severity::Critical => "critical",
    }
}

/// The `cohort` label value.
pub(super) fn cohort_label(cohort: CountedCohort) -> &'static str {
    match cohort {
        CountedCohort::Retail => "retail",
        CountedCohort::Institutional => "institutional",
    }
}

/// Creates every series of every labelled family (at 0, or NaN where 0 would mislead).
pub(super) fn initialise(f: &Families) {
    initialise_ingest(f);
    initialise_projection(f);
    initialise_batch(f);
    f.build_info
        .with_label_values(&[env!("CARGO_PKG_VERSION"), env!("SENTINEL_GIT_COMMIT")])
        .set(1);
    // The default runbook until the configured one is set (`Metrics::set_thresholds`).
    f.runbook_info
        .with_label_values(&[&crate::config::MonitorConfig::default().runbook_base_url])
        .set(1);
}

fn initialise_ingest(f: &Families) {
    for cohort in COHORTS {
        for kind in KINDS {
            f.events_accepted_total.with_label_values(&[cohort, kind]);
        }
        f.withdrawn_idr_total.with_label_values(&[cohort]);
        f.window_withdrawals_idr.with_label_values(&[cohort]);
    }
    for reason in RejectionReason::ALL {
        f.events_rejected_total
            .with_label_values(&[reason.as_str()]);
    }
    for reason in RESERVE_REJECTION_REASONS {
        f.reserve_rejected_total
            .with_label_values(&[reason.as_str()]);
    }
}

fn initialise_projection(f: &Families) {
    for scenario in SCENARIOS {
        f.scenario_probability.with_label_values(&[scenario]);
    }
    for stat in RATE_STATS {
        f.institutional_rate_per_day.with_label_values(&[stat]);
    }
    for percentile in TTI_PERCENTILES {
        f.time_to_insolvency_seconds
            .with_label_values(&[percentile])
            .set(f64::NAN);
    }
    for severity in SEVERITIES {
        f.breach_probability_threshold
            .with_label_values(&[severity_label(severity)]);
        for rule in AlertRule::ALL {
            f.alerts_firing
                .with_label_values(&[rule.as_str(), severity_label(severity)]);
        }
    }
}

fn initialise_batch(f: &Families) {
    for scenario in StressScenario::ALL {
        let scenario = scenario.as_str();
        f.solvency_equity_after_idr.with_label_values(&[scenario]);
        f.solvency_capital_needed_idr.with_label_values(&[scenario]);
        f.solvency_equity_to_ojk_floor_ratio
            .with_label_values(&[scenario]);
        for verdict in LIQUIDITY_VERDICTS {
            f.liquidity_verdict
                .with_label_values(&[scenario, verdict.as_str()]);
        }
        for verdict in VERDICTS {
            f.solvency_verdict
                .with_label_values(&[scenario, verdict.as_str()]);
        }
    }
    for policy in POLICIES {
        f.policy_reserve_idr.with_label_values(&[policy]);
        f.policy_failure_probability.with_label_values(&[policy]);
        f.policy_annual_opportunity_cost_idr
            .with_label_values(&[policy]);
    }
}
