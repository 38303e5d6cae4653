//! What the batch engine and the configuration set: thresholds, reserve policies and the
//! stressed balance sheets.

use super::labels::{LIQUIDITY_VERDICTS, VERDICTS};
use super::{Metrics, SECONDS_PER_HOUR};
use crate::batch::BatchReport;
use crate::config::MonitorConfig;

impl Metrics {
    /// The configured alert thresholds and the runbook base URL, so the Prometheus rules and
    /// the dashboard read them instead of copies.
    pub fn set_thresholds(&self, monitor: &MonitorConfig) {
        let f = &self.f;
        f.breach_probability_threshold
            .with_label_values(&["warning"])
            .set(monitor.breach_warn_probability);
        f.breach_probability_threshold
            .with_label_values(&["critical"])
            .set(monitor.breach_critical_probability);
        f.time_to_insolvency_threshold_seconds
            .set(monitor.tti_alert_hours * SECONDS_PER_HOUR);
        f.stale_feed_threshold_seconds
            .set(monitor.stale_feed_minutes * 60.0);
        f.runbook_info.reset();
        f.runbook_info
            .with_label_values(&[&monitor.runbook_base_url])
            .set(1);
    }

    /// The batch engine's reserve policies for the planning scenario and its stressed
    /// balance sheets.
    pub fn set_policy(&self, report: &BatchReport) {
        self.set_solvency(report);
        let f = &self.f;
        f.critical_ratio.set(report.critical_ratio);
        f.total_fiat_idr.set(report.total_fiat_idr as f64);
        f.recommended_reserve_idr
            .set(report.recommendation.reserve_idr);
        if let Some(planning) = report.scenarios.get(&report.recommendation.scenario) {
            f.ojk_min_equity_idr.set(report.solvency.firm.ojk_floor_idr);
            for policy in &planning.reserve.policies {
                f.policy_reserve_idr
                    .with_label_values(&[policy.policy])
                    .set(policy.reserve_idr);
                f.policy_failure_probability
                    .with_label_values(&[policy.policy])
                    .set(policy.failure.probability);
                f.policy_annual_opportunity_cost_idr
                    .with_label_values(&[policy.policy])
                    .set(policy.annual_opportunity_cost_idr);
            }
        }
    }

    fn set_solvency(&self, report: &BatchReport) {
        let f = &self.f;
        for (scenario, sheet) in &report.solvency.scenarios {
            let scenario = scenario.as_str();
            f.solvency_equity_after_idr
                .with_label_values(&[scenario])
                .set(sheet.equity_after_idr);
            f.solvency_capital_needed_idr
                .with_label_values(&[scenario])
                .set(sheet.capital_needed_idr);
            f.solvency_equity_to_ojk_floor_ratio
                .with_label_values(&[scenario])
                .set(sheet.equity_after_to_ojk_floor_ratio.unwrap_or(f64::NAN));
            for verdict in LIQUIDITY_VERDICTS {
                f.liquidity_verdict
                    .with_label_values(&[scenario, verdict.as_str()])
                    .set(i64::from(sheet.liquidity_verdict == verdict));
            }
            for verdict in VERDICTS {
                f.solvency_verdict
                    .with_label_values(&[scenario, verdict.as_str()])
                    .set(i64::from(sheet.solvency_verdict == verdict));
            }
        }
    }
}
