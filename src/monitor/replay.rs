//! Replaying a weekend in simulated time: the monitor's state, projection and alert rules
//! driven hour by hour by a clock inside the closure, in this process, without touching a
//! live instance. One replay gives the alert timeline of a weekend; many replays give the
//! alert policy's evidence (`sentinel backtest-alerts`): how often it pages on weekends that
//! never breach, and how many hours ahead of a breach it pages on those that do.

use rayon::prelude::*;
use serde::Serialize;

use crate::model::conditional::ConditionalModel;
use crate::monitor::alerts::{
    Alert, AlertEngine, AlertRule, AlertState, AlertThresholds, Severity,
};
use crate::monitor::calendar::MS_PER_HOUR;
use crate::monitor::event::WithdrawalEvent;
use crate::monitor::projection::Projector;
use crate::monitor::state::{MonitorState, RailsNow};
use crate::monitor::synthetic::SyntheticWeekend;

/// The hourly readings and alert transitions of one replayed weekend.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Timeline {
    /// Alert transitions in order.
    pub transitions: Vec<Alert>,
    /// Projected P(breach) at the end of each hour.
    pub breach_probability_by_hour: Vec<f64>,
    /// 1-based hour in which withdrawals first exceeded the usable reserve; `None` if never.
    pub breach_hour: Option<u32>,
}

impl Timeline {
    /// Event-time hour of the first firing of `rule` at `severity`, if any.
    pub fn first_firing(&self, rule: AlertRule, severity: Severity) -> Option<f64> {
        self.transitions
            .iter()
            .find(|a| a.rule == rule && a.severity == severity && a.state == AlertState::Firing)
            .map(|a| a.window_hour)
    }

    /// Event-time hour of the first predictive critical page (P(breach) or time to
    /// insolvency; a breach itself is not a prediction).
    pub fn first_critical_page(&self) -> Option<f64> {
        [AlertRule::BreachProbability, AlertRule::TimeToInsolvency]
            .into_iter()
            .filter_map(|rule| self.first_firing(rule, Severity::Critical))
            .reduce(f64::min)
    }
}

/// Replays `events` of the closure that opened at `opens_at_unix_ms` through `state`: at the
/// end of every hour the clock stands just before the hour ends, the state is projected and
/// the alert rules run.
pub fn replay(
    projector: &Projector,
    thresholds: AlertThresholds,
    mut state: MonitorState,
    events: &[WithdrawalEvent],
    opens_at_unix_ms: i64,
) -> Timeline {
    let hours = state.calendar().window_hours(opens_at_unix_ms);
    let mut engine = AlertEngine::new(thresholds);
    let mut timeline = Timeline {
        transitions: Vec::new(),
        breach_probability_by_hour: Vec::with_capacity(hours as usize),
        breach_hour: None,
    };
    let mut next = 0;
    for hour in 0..hours {
        let end_ms = opens_at_unix_ms + i64::from(hour + 1) * MS_PER_HOUR;
        while next < events.len() && events[next].occurred_at_unix_ms < end_ms {
            state.apply(&events[next]);
            next += 1;
        }
        let now = end_ms - 1;
        let rails = RailsNow::at(state.calendar(), now);
        let projection = projector.project(&state.inputs_at(now));
        if projection.headroom_idr < 0.0 && timeline.breach_hour.is_none() {
            timeline.breach_hour = Some(hour + 1);
        }
        timeline
            .breach_probability_by_hour
            .push(projection.simulation.breach_probability);
        let transitions = engine.on_projection(&projection, rails, now);
        timeline.transitions.extend(transitions);
    }
    timeline
}

/// What to backtest: weekends per scenario and their replay settings.
#[derive(Debug, Clone, Copy)]
pub struct BacktestPlan {
    /// Weekends per scenario.
    pub weekends: u64,
    /// Seed of the first weekend; weekend `i` uses `seed + i`.
    pub seed: u64,
    /// Typical retail event, IDR (larger = fewer events, same hourly flows).
    pub retail_event_idr: u64,
    /// Opening of the closure the weekends are dated in, Unix ms.
    pub opens_at_unix_ms: i64,
}

/// Replays `plan.weekends` synthetic weekends of `model` in parallel, calling
/// `weekend_done` once after each weekend (in any order; for a progress bar).
pub fn replay_many(
    projector: &Projector,
    thresholds: AlertThresholds,
    model: &ConditionalModel,
    fresh_state: &MonitorState,
    plan: BacktestPlan,
    weekend_done: &(dyn Fn() + Sync),
) -> Vec<Timeline> {
    (0..plan.weekends)
        .into_par_iter()
        .map(|i| {
            let weekend = SyntheticWeekend {
                seed: plan.seed + i,
                opens_at_unix_ms: plan.opens_at_unix_ms,
                retail_event_idr: plan.retail_event_idr,
            };
            let events = weekend.events(model);
            let timeline = replay(
                projector,
                thresholds,
                fresh_state.clone(),
                &events,
                plan.opens_at_unix_ms,
            );
            weekend_done();
            timeline
        })
        .collect()
}

/// The evidence for one critical P(breach) threshold and persistence.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PolicyRow {
    /// Critical threshold on P(breach).
    pub threshold: f64,
    /// Hours the value must stay at or above it before the page.
    pub persistence_hours: u32,
    /// Weekends that never breach.
    pub calm_weekends: usize,
    /// Share of them paged at least once (false pages).
    pub false_page_rate: f64,
    /// Weekends that breach.
    pub breaching_weekends: usize,
    /// Share of them paged before the breach.
    pub detection_rate: f64,
    /// Median hours between the page and the breach, over the detected ones.
    pub median_lead_hours: Option<f64>,
}

/// Evaluates a critical rule "P(breach) ≥ `threshold`, held for `persistence_hours` hours"
/// (the hourly projections at the end of `persistence_hours + 1` hours in a row) on
/// recorded timelines (first-firing times do not depend on the hysteresis, which only
/// delays resolution).
pub fn evaluate_policy(
    timelines: &[Timeline],
    threshold: f64,
    persistence_hours: u32,
) -> PolicyRow {
    let page_hour = |t: &Timeline| -> Option<f64> {
        let mut run = 0;
        t.breach_probability_by_hour
            .iter()
            .enumerate()
            .find_map(|(h, &p)| {
                run = if p >= threshold { run + 1 } else { 0 };
                (run > persistence_hours).then_some(f64::from(h as u32 + 1))
            })
    };
    PolicyRow {
        threshold,
        persistence_hours,
        ..evaluate(timelines, page_hour)
    }
}

/// The configured rules as they actually ran: the first predictive critical page
/// ([`Timeline::first_critical_page`]); `threshold` is NaN.
pub fn evaluate_configured(timelines: &[Timeline]) -> PolicyRow {
    evaluate(timelines, Timeline::first_critical_page)
}

/// False-page rate, detection rate and median lead of the page hours `page_hour` gives.
fn evaluate(timelines: &[Timeline], page_hour: impl Fn(&Timeline) -> Option<f64>) -> PolicyRow {
    let (breaching, calm): (Vec<&Timeline>, Vec<&Timeline>) =
        timelines.iter().partition(|t| t.breach_hour.is_some());
    let false_pages = calm.iter().filter(|t| page_hour(t).is_some()).count();
    let mut leads: Vec<f64> = breaching
        .iter()
        .filter_map(|t| {
            let (page, breach) = (page_hour(t)?, f64::from(t.breach_hour?));
            (page < breach).then_some(breach - page)
        })
        .collect();
    leads.sort_by(f64::total_cmp);
    let share = |k: usize, n: usize| if n == 0 { 0.0 } else { k as f64 / n as f64 };
    PolicyRow {
        threshold: f64::NAN,
        persistence_hours: 0,
        calm_weekends: calm.len(),
        false_page_rate: share(false_pages, calm.len()),
        breaching_weekends: breaching.len(),
        detection_rate: share(leads.len(), breaching.len()),
        median_lead_hours: (!leads.is_empty()).then(|| leads[(leads.len() - 1) / 2]),
    }
}
