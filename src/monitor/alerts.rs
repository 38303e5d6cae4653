//! Alert rules with hysteresis.
//!
//! Each rule has a value, a firing threshold and a lower clearing threshold, so a value
//! hovering at the threshold does not flap:
//! - institutional lead detected: `P(mild) + P(severe) ≥ L` fires (warning); it resolves
//!   below `L · r` (`r` = `alert_clear_ratio`);
//! - breach probability: `≥ warn` fires a warning, `≥ critical` a critical alert; a level is
//!   kept until the value falls below its threshold × `r` (a change of level resolves the
//!   old alert and fires a new one);
//! - time to insolvency: the 10th percentile from now `≤ N` hours fires (critical); it
//!   resolves above `N + margin` hours or when fewer than 10% of paths breach;
//! - reserve breached: headroom < 0 fires (critical); it resolves at headroom ≥ 0;
//! - stale feed: no event for `stale_feed_minutes` while the rails are closed (warning);
//!   it resolves on the next event or when the rails reopen.
//!
//! **Window on the clock.** Every rule is about the closure the caller's clock is in
//! ([`RailsNow`]): a projection of another window (or made while the rails are open) fires
//! nothing, and when the clock leaves the closure every alert of it resolves with the
//! reason [`REASON_RAILS_REOPENED`]. A resolved alert records why it resolved.
//!
//! **Stable ids.** An alert's id is `<rule>-<severity>-<window opening, Unix ms>-<n>`, `n`
//! counting the rule's firings in that window; [`AlertEngine::snapshot`] and
//! [`AlertEngine::restore`] carry the firing alerts and the counters over a restart, so
//! an alert already firing keeps its id and is not fired again.
//!
//! On top of the thresholds, the first three rules (lead, breach probability, time to
//! insolvency) have a persistence and a hold, both in hours of event time: they fire or
//! escalate only once their value has stayed on the higher side for
//! `alert_persistence_hours` (0 = at the first projection above, the backtested default),
//! and resolve or step down only after it has stayed on the lower side for
//! `alert_resolve_hours`, so a projection that dips for one hour does not resolve an alert
//! the next hour fires again. Reserve breached and stale feed act at once.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::config::MonitorConfig;
use crate::monitor::projection::Projection;
use crate::monitor::state::RailsNow;

/// Why window alerts resolve when the clock passes the reopening.
pub const REASON_RAILS_REOPENED: &str = "rails reopened";

/// The rule an alert comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertRule {
    /// Stress scenario likely: institutions are moving first.
    InstitutionalLead,
    /// P(breach) above warn / critical.
    BreachProbability,
    /// p10 time to insolvency within N hours.
    TimeToInsolvency,
    /// Withdrawals exceed the usable reserve now.
    ReserveBreached,
    /// No events for a while inside the window.
    StaleFeed,
}

impl AlertRule {
    /// Every rule.
    pub const ALL: [AlertRule; 5] = [
        Self::InstitutionalLead,
        Self::BreachProbability,
        Self::TimeToInsolvency,
        Self::ReserveBreached,
        Self::StaleFeed,
    ];

    /// True for the rules that fire and resolve at once, without persistence or hold
    /// (a breach that happened, a feed that is silent).
    fn acts_at_once(self) -> bool {
        matches!(self, Self::ReserveBreached | Self::StaleFeed)
    }

    /// Snake-case name, used in alert ids.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InstitutionalLead => "institutional_lead",
            Self::BreachProbability => "breach_probability",
            Self::TimeToInsolvency => "time_to_insolvency",
            Self::ReserveBreached => "reserve_breached",
            Self::StaleFeed => "stale_feed",
        }
    }
}

/// How urgent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth a look.
    Warning,
    /// Page treasury.
    Critical,
}

impl Severity {
    /// Lower-case name, used in alert ids.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Warning => "warning",
            Self::Critical => "critical",
        }
    }
}

/// Firing or resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertState {
    /// Active.
    Firing,
    /// Cleared.
    Resolved,
}

/// One alert transition (or a firing alert's current record).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// Occurrence id, `<rule>-<severity>-<window opening, Unix ms>-<n>` (`n` counts the
    /// rule's firings in that window); the same after a restart.
    pub id: String,
    /// Opening of the closure the alert is about, Unix ms.
    pub window_opens_at_unix_ms: i64,
    /// Rule.
    pub rule: AlertRule,
    /// Severity.
    pub severity: Severity,
    /// Firing or resolved.
    pub state: AlertState,
    /// Wall clock when it started firing, Unix ms.
    pub started_at_unix_ms: i64,
    /// Wall clock when it resolved, Unix ms.
    pub resolved_at_unix_ms: Option<i64>,
    /// Hours since the close (event time) at the transition.
    pub window_hour: f64,
    /// The values that triggered it.
    pub values: BTreeMap<String, f64>,
    /// One line for humans.
    pub summary: String,
    /// Why it resolved (e.g. [`REASON_RAILS_REOPENED`]); `None` while firing.
    pub resolution_reason: Option<String>,
}

/// What survives a restart: the firing alerts and the firing counters of the current
/// window (see [`AlertEngine::snapshot`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AlertSnapshot {
    /// The alerts firing.
    pub firing: Vec<Alert>,
    /// Firings so far per (window opening Unix ms, rule).
    pub sequence: Vec<(i64, AlertRule, u64)>,
}

/// The thresholds, from [`MonitorConfig`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AlertThresholds {
    /// `lead_detected_probability`.
    pub lead_probability: f64,
    /// `lead_min_institutional_arrivals`.
    pub lead_min_arrivals: u64,
    /// `breach_warn_probability`.
    pub breach_warn: f64,
    /// `breach_critical_probability`.
    pub breach_critical: f64,
    /// `alert_clear_ratio`.
    pub clear_ratio: f64,
    /// `tti_alert_hours`.
    pub tti_hours: f64,
    /// `tti_clear_margin_hours`.
    pub tti_clear_margin_hours: f64,
    /// `stale_feed_minutes`.
    pub stale_minutes: f64,
    /// `alert_resolve_hours`.
    pub resolve_hours: f64,
    /// `alert_persistence_hours`.
    pub persistence_hours: f64,
}

impl AlertThresholds {
    /// The thresholds of `config`.
    pub fn from_config(config: &MonitorConfig) -> Self {
        Self {
            lead_probability: config.lead_detected_probability,
            lead_min_arrivals: u64::from(config.lead_min_institutional_arrivals),
            breach_warn: config.breach_warn_probability,
            breach_critical: config.breach_critical_probability,
            clear_ratio: config.alert_clear_ratio,
            tti_hours: config.tti_alert_hours,
            tti_clear_margin_hours: config.tti_clear_margin_hours,
            stale_minutes: config.stale_feed_minutes,
            resolve_hours: config.alert_resolve_hours,
            persistence_hours: config.alert_persistence_hours,
        }
    }
}

/// A rule's verdict on one evaluation.
struct Verdict {
    rule: AlertRule,
    severity: Option<Severity>,
    values: BTreeMap<String, f64>,
    summary: String,
    /// Why the rule's alert resolves when this verdict clears it.
    cleared: &'static str,
}

/// Why a threshold rule's alert resolved.
const REASON_BELOW_THRESHOLD: &str = "value back below the clearing threshold";

/// The active alerts and the rules' hysteresis state.
#[derive(Debug, Clone)]
pub struct AlertEngine {
    thresholds: AlertThresholds,
    firing: BTreeMap<AlertRule, Alert>,
    /// Per rule, the event-time hour since which the verdict has been below the firing
    /// alert's level.
    lower_since_hour: BTreeMap<AlertRule, f64>,
    /// Per rule, the event-time hour since which the verdict has been above the firing
    /// alert's level (or above nothing).
    higher_since_hour: BTreeMap<AlertRule, f64>,
    /// Firings per (window opening, rule) of the latest window that fired.
    sequence: BTreeMap<(i64, AlertRule), u64>,
}

impl AlertEngine {
    /// No alert firing.
    pub fn new(thresholds: AlertThresholds) -> Self {
        Self {
            thresholds,
            firing: BTreeMap::new(),
            lower_since_hour: BTreeMap::new(),
            higher_since_hour: BTreeMap::new(),
            sequence: BTreeMap::new(),
        }
    }

    /// The engine as it was at [`AlertEngine::snapshot`] (hysteresis timers restart).
    pub fn restore(thresholds: AlertThresholds, snapshot: AlertSnapshot) -> Self {
        let mut engine = Self::new(thresholds);
        for alert in snapshot.firing {
            engine.firing.insert(alert.rule, alert);
        }
        engine.sequence = snapshot
            .sequence
            .into_iter()
            .map(|(window, rule, n)| ((window, rule), n))
            .collect();
        engine
    }

    /// What [`AlertEngine::restore`] needs.
    pub fn snapshot(&self) -> AlertSnapshot {
        AlertSnapshot {
            firing: self.firing(),
            sequence: self
                .sequence
                .iter()
                .map(|(&(window, rule), &n)| (window, rule, n))
                .collect(),
        }
    }

    /// The alerts firing now, by rule.
    pub fn firing(&self) -> Vec<Alert> {
        self.firing.values().cloned().collect()
    }

    /// Evaluates the projection rules against `rails`, where the clock stands at
    /// `now_unix_ms`; returns the transitions (resolutions first). A projection of a window
    /// other than the closure in progress fires nothing (only the clock's resolutions).
    pub fn on_projection(
        &mut self,
        p: &Projection,
        rails: RailsNow,
        now_unix_ms: i64,
    ) -> Vec<Alert> {
        let mut out = self.on_rails(rails, p.elapsed_hours, now_unix_ms);
        let projected = p.inputs.window.as_ref().map(|w| w.opens_at_unix_ms);
        let Some(window) = rails.open_window().filter(|&w| projected == Some(w)) else {
            return out;
        };
        let verdicts = [
            self.lead(p),
            self.breach_probability(p),
            self.time_to_insolvency(p),
            reserve_breached(p),
        ];
        for v in verdicts {
            out.extend(self.transition(v, window, p.elapsed_hours, now_unix_ms));
        }
        out
    }

    /// Resolves, with the reason [`REASON_RAILS_REOPENED`], every alert of a window other
    /// than the closure `rails` is in (all of them while the rails are open).
    pub fn on_rails(&mut self, rails: RailsNow, window_hour: f64, now_unix_ms: i64) -> Vec<Alert> {
        let current = rails.open_window();
        let stale: Vec<AlertRule> = self
            .firing
            .values()
            .filter(|a| Some(a.window_opens_at_unix_ms) != current)
            .map(|a| a.rule)
            .collect();
        stale
            .into_iter()
            .filter_map(|rule| {
                self.lower_since_hour.remove(&rule);
                self.higher_since_hour.remove(&rule);
                let old = self.firing.remove(&rule)?;
                Some(resolved(
                    old,
                    REASON_RAILS_REOPENED,
                    window_hour,
                    None,
                    now_unix_ms,
                ))
            })
            .collect()
    }

    /// Evaluates the stale-feed rule: `silent_minutes` since the last accepted event,
    /// `rails` where the clock stands, `window_hour` the event-time hour. Resolves the
    /// alerts of a closure the clock has left first (see [`AlertEngine::on_rails`]).
    pub fn on_clock(
        &mut self,
        silent_minutes: f64,
        rails: RailsNow,
        window_hour: f64,
        now_unix_ms: i64,
    ) -> Vec<Alert> {
        let mut out = self.on_rails(rails, window_hour, now_unix_ms);
        let Some(window) = rails.open_window() else {
            return out;
        };
        let limit = self.thresholds.stale_minutes;
        let severity = (silent_minutes >= limit).then_some(Severity::Warning);
        let verdict = Verdict {
            rule: AlertRule::StaleFeed,
            severity,
            values: values(&[
                ("silent_minutes", silent_minutes),
                ("threshold_minutes", limit),
            ]),
            summary: format!(
                "no withdrawal event for {silent_minutes:.1} min while the rails are closed"
            ),
            cleared: "events resumed",
        };
        out.extend(self.transition(verdict, window, window_hour, now_unix_ms));
        out
    }

    fn lead(&self, p: &Projection) -> Verdict {
        let stress = p.scenario_probabilities[1] + p.scenario_probabilities[2];
        let t = self.thresholds;
        let active = self.firing.contains_key(&AlertRule::InstitutionalLead);
        let institutions_moving = p.institutional_rate.arrivals >= t.lead_min_arrivals;
        let on = institutions_moving
            && (stress >= t.lead_probability
                || (active && stress >= t.lead_probability * t.clear_ratio));
        Verdict {
            rule: AlertRule::InstitutionalLead,
            severity: on.then_some(Severity::Warning),
            values: values(&[
                ("stress_probability", stress),
                ("p_mild", p.scenario_probabilities[1]),
                ("p_severe", p.scenario_probabilities[2]),
                (
                    "institutional_rate_per_day",
                    p.institutional_rate.mean_per_day,
                ),
                (
                    "institutional_arrivals",
                    p.institutional_rate.arrivals as f64,
                ),
                ("threshold", t.lead_probability),
            ]),
            summary: format!(
                "institutional lead detected: P(stress scenario) = {:.0}% (severe {:.0}%), {} institutional withdrawals",
                stress * 100.0,
                p.scenario_probabilities[2] * 100.0,
                p.institutional_rate.arrivals
            ),
            cleared: REASON_BELOW_THRESHOLD,
        }
    }

    fn breach_probability(&self, p: &Projection) -> Verdict {
        let value = p.simulation.breach_probability;
        let t = self.thresholds;
        let current = self
            .firing
            .get(&AlertRule::BreachProbability)
            .map(|a| a.severity);
        let holds = |threshold: f64, level: Severity| {
            value >= threshold || (current >= Some(level) && value >= threshold * t.clear_ratio)
        };
        let severity = if holds(t.breach_critical, Severity::Critical) {
            Some(Severity::Critical)
        } else if holds(t.breach_warn, Severity::Warning) {
            Some(Severity::Warning)
        } else {
            None
        };
        Verdict {
            rule: AlertRule::BreachProbability,
            severity,
            values: values(&[
                ("breach_probability", value),
                ("warn_threshold", t.breach_warn),
                ("critical_threshold", t.breach_critical),
                ("extra_reserve_idr", p.simulation.extra_reserve_idr),
            ]),
            summary: format!(
                "P(reserve breached before the rails reopen) = {:.1}%; add Rp {:.1} bn to bring it to {:.1}%",
                value * 100.0,
                p.simulation.extra_reserve_idr / IDR_PER_BILLION,
                p.simulation.target_breach_probability * 100.0
            ),
            cleared: REASON_BELOW_THRESHOLD,
        }
    }

    fn time_to_insolvency(&self, p: &Projection) -> Verdict {
        let t = self.thresholds;
        let active = self.firing.contains_key(&AlertRule::TimeToInsolvency);
        let p10 = p.simulation.tti_p10_from_now_hours;
        let limit = if active {
            t.tti_hours + t.tti_clear_margin_hours
        } else {
            t.tti_hours
        };
        let on = p10.is_some_and(|h| h <= limit);
        Verdict {
            rule: AlertRule::TimeToInsolvency,
            severity: on.then_some(Severity::Critical),
            values: values(&[
                ("tti_p10_from_now_hours", p10.unwrap_or(f64::INFINITY)),
                ("threshold_hours", t.tti_hours),
            ]),
            summary: format!(
                "10% chance the reserve runs out within {:.1} h",
                p10.unwrap_or(f64::INFINITY)
            ),
            cleared: "time to insolvency back beyond the horizon",
        }
    }

    /// Whether a step down of `rule` (resolve or lower severity) waits: true until the
    /// verdict has been lower for `alert_resolve_hours` of event time.
    fn holds(&mut self, rule: AlertRule, window_hour: f64) -> bool {
        let hold = if rule.acts_at_once() {
            0.0
        } else {
            self.thresholds.resolve_hours
        };
        let since = *self.lower_since_hour.entry(rule).or_insert(window_hour);
        window_hour - since < hold
    }

    /// Whether a step up of `rule` (fire or escalate) waits: true until the verdict has
    /// been higher for `alert_persistence_hours` of event time.
    fn persists(&mut self, rule: AlertRule, window_hour: f64) -> bool {
        let persistence = if rule.acts_at_once() {
            0.0
        } else {
            self.thresholds.persistence_hours
        };
        let since = *self.higher_since_hour.entry(rule).or_insert(window_hour);
        window_hour - since < persistence
    }

    /// Applies verdict `v` about the closure that opened at `window` (Unix ms).
    fn transition(
        &mut self,
        v: Verdict,
        window: i64,
        window_hour: f64,
        now_unix_ms: i64,
    ) -> Vec<Alert> {
        let current = self.firing.get(&v.rule).map(|a| a.severity);
        if current == v.severity {
            self.lower_since_hour.remove(&v.rule);
            self.higher_since_hour.remove(&v.rule);
            return Vec::new();
        }
        if v.severity < current {
            self.higher_since_hour.remove(&v.rule);
            if self.holds(v.rule, window_hour) {
                return Vec::new();
            }
        } else {
            self.lower_since_hour.remove(&v.rule);
            if self.persists(v.rule, window_hour) {
                return Vec::new();
            }
        }
        self.lower_since_hour.remove(&v.rule);
        self.higher_since_hour.remove(&v.rule);
        let mut out = Vec::new();
        if let Some(old) = self.firing.remove(&v.rule) {
            let reason = match v.severity {
                Some(Severity::Critical) => "escalated to critical",
                Some(Severity::Warning) => "stepped down to warning",
                None => v.cleared,
            };
            out.push(resolved(
                old,
                reason,
                window_hour,
                Some(&v.values),
                now_unix_ms,
            ));
        }
        if let Some(severity) = v.severity {
            let n = self.next_firing(window, v.rule);
            let alert = Alert {
                id: format!("{}-{}-{window}-{n}", v.rule.as_str(), severity.as_str()),
                window_opens_at_unix_ms: window,
                rule: v.rule,
                severity,
                state: AlertState::Firing,
                started_at_unix_ms: now_unix_ms,
                resolved_at_unix_ms: None,
                window_hour,
                values: v.values,
                summary: v.summary,
                resolution_reason: None,
            };
            self.firing.insert(v.rule, alert.clone());
            out.push(alert);
        }
        out
    }

    /// The number of `rule`'s next firing in `window` (1-based); counters of earlier
    /// windows are dropped.
    fn next_firing(&mut self, window: i64, rule: AlertRule) -> u64 {
        self.sequence.retain(|&(w, _), _| w >= window);
        let n = self.sequence.entry((window, rule)).or_insert(0);
        *n += 1;
        *n
    }
}

/// `old` resolved at `now_unix_ms` for `reason`, with the latest `values` if given.
fn resolved(
    mut old: Alert,
    reason: &str,
    window_hour: f64,
    values: Option<&BTreeMap<String, f64>>,
    now_unix_ms: i64,
) -> Alert {
    old.state = AlertState::Resolved;
    old.resolved_at_unix_ms = Some(now_unix_ms);
    old.window_hour = window_hour;
    if let Some(values) = values {
        old.values = values.clone();
    }
    old.resolution_reason = Some(reason.to_owned());
    old
}

fn reserve_breached(p: &Projection) -> Verdict {
    let headroom = p.headroom_idr;
    Verdict {
        rule: AlertRule::ReserveBreached,
        severity: (headroom < 0.0).then_some(Severity::Critical),
        values: values(&[("headroom_idr", headroom)]),
        summary: format!(
            "reserve breached: withdrawals exceed the usable reserve by Rp {:.1} bn",
            -headroom / IDR_PER_BILLION
        ),
        cleared: "headroom back at or above zero",
    }
}

/// Rupiah per billion rupiah, for summaries.
const IDR_PER_BILLION: f64 = 1e9;

fn values(pairs: &[(&str, f64)]) -> BTreeMap<String, f64> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::model::user_base::UserBase;
    use crate::model::window::WeekendWindow;
    use crate::monitor::calendar::{MS_PER_HOUR, WindowCalendar};
    use crate::monitor::projection::Projector;
    use crate::monitor::state::{MonitorState, ReservePosition};

    /// 2026-11-20 16:00 WIB, a window opening.
    const OPENS_MS: i64 = 1_795_165_200_000;

    fn calendar() -> WindowCalendar {
        WindowCalendar::new(WeekendWindow::from_config(&Config::default().window))
    }

    /// The rails `hours` after [`OPENS_MS`].
    fn rails(hours: i64) -> RailsNow {
        RailsNow::at(&calendar(), OPENS_MS + hours * MS_PER_HOUR)
    }

    /// The rails an hour into the closure.
    fn closed() -> RailsNow {
        rails(1)
    }

    fn projection_with(breach_probability: f64, elapsed_hours: f64) -> Projection {
        let mut config = Config::default();
        config.monitor.paths = 100;
        config.user_base.users = 1_000;
        let users = UserBase::synthetic(&config.user_base);
        let state = MonitorState::new(calendar(), 1, ReservePosition::immediate(u64::MAX / 4));
        let inputs = state.inputs_at(OPENS_MS + MS_PER_HOUR);
        let mut p = Projector::new(&config, &users).unwrap().project(&inputs);
        p.simulation.breach_probability = breach_probability;
        p.elapsed_hours = elapsed_hours;
        p
    }

    #[test]
    fn persistence_fires_only_after_the_value_held_for_the_configured_hours() {
        let mut t = AlertThresholds::from_config(&MonitorConfig::default());
        t.persistence_hours = 2.0;
        let mut engine = AlertEngine::new(t);
        let mut at = |p: f64, hour: f64| {
            engine.on_projection(&projection_with(p, hour), closed(), hour as i64)
        };
        assert!(at(0.9, 1.0).is_empty(), "above since hour 1");
        assert!(at(0.9, 2.5).is_empty(), "held 1.5 h of 2");
        assert!(at(0.01, 2.9).is_empty(), "a dip below restarts the count");
        assert!(at(0.9, 3.0).is_empty());
        assert!(at(0.9, 4.9).is_empty(), "held 1.9 h of 2");
        let fired = at(0.9, 5.0);
        assert_eq!(fired.len(), 1, "held 2 h: fires");
        assert_eq!(fired[0].severity, Severity::Critical);
        assert_eq!(fired[0].window_hour, 5.0);
    }

    #[test]
    fn persistence_does_not_delay_a_reserve_breach() {
        let mut t = AlertThresholds::from_config(&MonitorConfig::default());
        t.persistence_hours = 5.0;
        let mut engine = AlertEngine::new(t);
        let mut p = projection_with(0.0, 1.0);
        p.headroom_idr = -1.0;
        let fired = engine.on_projection(&p, closed(), 1);
        assert!(
            fired
                .iter()
                .any(|a| a.rule == AlertRule::ReserveBreached && a.state == AlertState::Firing),
            "{fired:?}"
        );
    }

    #[test]
    fn breach_alert_fires_escalates_and_resolves_with_hysteresis() {
        let t = AlertThresholds::from_config(&MonitorConfig::default());
        let mut engine = AlertEngine::new(t);
        assert!(
            engine
                .on_projection(&projection_with(0.01, 0.0), closed(), 0)
                .is_empty()
        );
        let fired = engine.on_projection(&projection_with(0.06, 1.0), closed(), 1);
        assert_eq!(fired.len(), 1);
        assert_eq!(fired[0].severity, Severity::Warning);
        let held = engine.on_projection(&projection_with(0.045, 2.0), closed(), 2);
        assert!(held.is_empty(), "held by the clear ratio");
        let escalated = engine.on_projection(&projection_with(0.60, 3.0), closed(), 3);
        assert_eq!(escalated.len(), 2);
        assert_eq!(escalated[0].state, AlertState::Resolved);
        assert_eq!(escalated[1].severity, Severity::Critical);
        let dip = engine.on_projection(&projection_with(0.01, 4.0), closed(), 4);
        assert!(
            dip.is_empty(),
            "a dip shorter than alert_resolve_hours resolves nothing"
        );
        assert!(
            engine
                .on_projection(&projection_with(0.60, 4.5), closed(), 5)
                .is_empty()
        );
        assert!(
            engine
                .on_projection(&projection_with(0.01, 5.0), closed(), 6)
                .is_empty()
        );
        let resolved = engine.on_projection(&projection_with(0.01, 6.0), closed(), 7);
        assert_eq!(resolved.len(), 1);
        assert_eq!(resolved[0].state, AlertState::Resolved);
        assert!(engine.firing().is_empty());
    }

    #[test]
    fn lead_needs_a_stress_posterior_and_an_institution_moving() {
        let mut engine = AlertEngine::new(AlertThresholds::from_config(&MonitorConfig::default()));
        let mut retail_only = projection_with(0.0, 8.0);
        retail_only.scenario_probabilities = [0.0, 0.3, 0.7];
        retail_only.institutional_rate.arrivals = 0;
        let leads = |alerts: &[Alert]| {
            alerts
                .iter()
                .any(|a| a.rule == AlertRule::InstitutionalLead)
        };
        assert!(
            !leads(&engine.on_projection(&retail_only, closed(), 1)),
            "no institution has moved"
        );
        let mut moving = retail_only.clone();
        moving.institutional_rate.arrivals = 1;
        assert!(leads(&engine.on_projection(&moving, closed(), 2)));
        let mut calm = moving.clone();
        calm.scenario_probabilities = [0.9, 0.05, 0.05];
        calm.elapsed_hours = 8.5;
        let mut fresh = AlertEngine::new(AlertThresholds::from_config(&MonitorConfig::default()));
        assert!(
            !leads(&fresh.on_projection(&calm, closed(), 3)),
            "arrivals in a normal scenario are no lead"
        );
    }

    #[test]
    fn stale_feed_fires_only_while_the_rails_are_closed() {
        let mut engine = AlertEngine::new(AlertThresholds::from_config(&MonitorConfig::default()));
        assert!(engine.on_clock(60.0, rails(-24), 3.0, 0).is_empty());
        assert_eq!(engine.on_clock(60.0, closed(), 3.0, 0).len(), 1);
        let resolved = engine.on_clock(0.0, closed(), 3.0, 0);
        assert_eq!(resolved[0].state, AlertState::Resolved);
        assert_eq!(
            resolved[0].resolution_reason.as_deref(),
            Some("events resumed")
        );
    }

    #[test]
    fn the_clock_passing_the_reopening_resolves_every_alert_and_open_rails_fire_nothing() {
        let mut engine = AlertEngine::new(AlertThresholds::from_config(&MonitorConfig::default()));
        let fired = engine.on_projection(&projection_with(0.60, 3.0), closed(), 1);
        assert_eq!(
            fired[0].id,
            format!("breach_probability-critical-{OPENS_MS}-1")
        );
        assert_eq!(
            engine.on_clock(60.0, closed(), 3.0, 2).len(),
            1,
            "stale feed"
        );
        let reopened = rails(65);
        assert!(!reopened.closed);
        let resolved = engine.on_clock(60.0, reopened, 3.0, 3);
        assert_eq!(resolved.len(), 2);
        assert!(resolved.iter().all(|a| a.state == AlertState::Resolved
            && a.resolution_reason.as_deref() == Some(REASON_RAILS_REOPENED)));
        assert!(engine.firing().is_empty());
        assert!(
            engine
                .on_projection(&projection_with(0.9, 3.0), reopened, 4)
                .is_empty()
        );
        let thursday = rails(6 * 24);
        assert!(
            engine
                .on_projection(&projection_with(0.9, 3.0), thursday, 5)
                .is_empty()
        );
    }

    #[test]
    fn a_restored_engine_keeps_ids_and_does_not_fire_again() {
        let t = AlertThresholds::from_config(&MonitorConfig::default());
        let mut engine = AlertEngine::new(t);
        engine.on_projection(&projection_with(0.06, 1.0), closed(), 1);
        engine.on_projection(&projection_with(0.60, 2.0), closed(), 2);
        let before = engine.firing();
        assert_eq!(
            before[0].id,
            format!("breach_probability-critical-{OPENS_MS}-2")
        );
        let mut restored = AlertEngine::restore(t, engine.snapshot());
        assert_eq!(restored.firing(), before);
        assert!(
            restored
                .on_projection(&projection_with(0.60, 2.5), closed(), 3)
                .is_empty()
        );
    }
}
