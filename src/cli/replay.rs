//! `sentinel replay` (one simulated weekend through the monitor's rules in simulated time,
//! printing the alert timeline) and `sentinel backtest-alerts` (thousands of weekends per
//! scenario: false pages, detection and lead time per critical threshold).

use std::fmt::{self, Write as _};

use anyhow::Context;
use sentinel::config::{Config, ScenarioName};
use sentinel::model::conditional::ConditionalModel;
use sentinel::model::user_base::UserBase;
use sentinel::model::window::WeekendWindow;
use sentinel::monitor::alerts::{AlertState, AlertThresholds};
use sentinel::monitor::calendar::WindowCalendar;
use sentinel::monitor::projection::Projector;
use sentinel::monitor::replay::{
    BacktestPlan, PolicyRow, Timeline, evaluate_configured, evaluate_policy, replay, replay_many,
};
use sentinel::monitor::state::{MonitorState, ReservePosition};
use sentinel::monitor::synthetic::SyntheticWeekend;

use super::progress::Progress;
use super::tables::hours;
use super::{BacktestArgs, ReplayArgs, load_config};

/// The closure the replays are dated in: 2026-11-20 16:00 WIB (any closure would do; the
/// clock of a replay is simulated).
const REPLAY_OPENS_MS: i64 = 1_795_165_200_000;

/// Critical P(breach) thresholds and persistences the backtest tabulates.
const THRESHOLDS: [f64; 4] = [0.10, 0.25, 0.50, 0.75];
const PERSISTENCE_HOURS: [u32; 3] = [0, 1, 2];

/// Everything a replay needs from the configuration.
struct Rig {
    projector: Projector,
    thresholds: AlertThresholds,
    state: MonitorState,
    users: UserBase,
}

fn rig(config: &Config, projection_paths: Option<u32>) -> anyhow::Result<Rig> {
    let mut config = config.clone();
    if let Some(paths) = projection_paths {
        config.monitor.paths = paths;
    }
    config.validate().context("--projection-paths")?;
    let users = UserBase::synthetic(&config.user_base);
    let calendar = WindowCalendar::new(WeekendWindow::from_config(&config.window));
    let state = MonitorState::new(
        calendar,
        config.monitor.unspecified_institutional_min_idr,
        ReservePosition::immediate(config.monitor.initial_reserve_idr),
    );
    Ok(Rig {
        projector: Projector::new(&config, &users).context("scenario parameters")?,
        thresholds: AlertThresholds::from_config(&config.monitor),
        state,
        users,
    })
}

fn model(
    config: &Config,
    users: &UserBase,
    name: ScenarioName,
) -> anyhow::Result<ConditionalModel> {
    ConditionalModel::new(config.scenarios.get(name), users, config.window.hours)
        .context("scenario parameters")
}

pub(super) fn run_replay(args: ReplayArgs) -> anyhow::Result<()> {
    let config = load_config(args.config.as_deref())?;
    let rig = rig(&config, args.projection_paths)?;
    let weekend = SyntheticWeekend {
        seed: args.seed,
        opens_at_unix_ms: REPLAY_OPENS_MS,
        retail_event_idr: args.retail_event_idr,
    };
    let events = weekend.events(&model(&config, &rig.users, args.scenario)?);
    let timeline = replay(
        &rig.projector,
        rig.thresholds,
        rig.state,
        &events,
        REPLAY_OPENS_MS,
    );
    print!("{}", render_timeline(args.scenario, args.seed, &timeline)?);
    Ok(())
}

fn render_timeline(scenario: ScenarioName, seed: u64, t: &Timeline) -> Result<String, fmt::Error> {
    let mut out = format!(
        "REPLAY {scenario} weekend, seed {seed} (simulated time; no live instance touched)\n"
    );
    for a in &t.transitions {
        let state = if a.state == AlertState::Firing {
            "FIRING  "
        } else {
            "RESOLVED"
        };
        writeln!(
            out,
            "  h{:>5.1}  {state} {:<8} {:<20} {}",
            a.window_hour,
            a.severity.as_str(),
            a.rule.as_str(),
            a.resolution_reason.as_deref().unwrap_or(&a.summary)
        )?;
    }
    match t.breach_hour {
        Some(h) => writeln!(out, "  reserve breached in hour {h}")?,
        None => writeln!(out, "  the reserve held all weekend")?,
    };
    Ok(out)
}

pub(super) fn run_backtest(args: BacktestArgs) -> anyhow::Result<()> {
    let config = load_config(args.config.as_deref())?;
    let rig = rig(&config, Some(args.projection_paths))?;
    let plan = BacktestPlan {
        weekends: args.weekends,
        seed: args.seed,
        retail_event_idr: args.retail_event_idr,
        opens_at_unix_ms: REPLAY_OPENS_MS,
    };
    let mut report = format!(
        "ALERT BACKTEST: {} weekends per scenario, seed {}, reserve Rp {:.1} bn from the close, \
         {} projection paths\n",
        args.weekends,
        args.seed,
        config.monitor.initial_reserve_idr as f64 / 1e9,
        args.projection_paths
    );
    let progress = Progress::new(args.quiet);
    let scenarios = ScenarioName::ALL.len() as u64;
    progress.count_to(args.weekends.saturating_mul(scenarios));
    for name in ScenarioName::ALL {
        progress.message(format!("replaying the {name} weekends"));
        let model = model(&config, &rig.users, name)?;
        let step = || progress.step();
        let timelines = replay_many(
            &rig.projector,
            rig.thresholds,
            &model,
            &rig.state,
            plan,
            &step,
        );
        report.push_str(&render_scenario(name, &timelines, &config)?);
    }
    progress.finish();
    print!("{report}");
    if let Some(path) = &args.out {
        std::fs::write(path, &report)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

fn render_scenario(
    name: ScenarioName,
    timelines: &[Timeline],
    config: &Config,
) -> Result<String, fmt::Error> {
    let configured = evaluate_configured(timelines);
    let mut out = format!(
        "\n{name}: {} of {} weekends breach; configured rules: critical page on {:.1}% of calm \
         weekends, {:.1}% of breaching ones paged ahead (median lead {})\n",
        configured.breaching_weekends,
        timelines.len(),
        configured.false_page_rate * 100.0,
        configured.detection_rate * 100.0,
        hours(configured.median_lead_hours)
    );
    writeln!(
        out,
        "  critical P(breach) >= | held h | false pages (calm) | detected (breaching) | median lead"
    )?;
    for threshold in THRESHOLDS {
        for persistence in PERSISTENCE_HOURS {
            let row = evaluate_policy(timelines, threshold, persistence);
            let marker = if (threshold - config.monitor.breach_critical_probability).abs() < 1e-9
                && f64::from(persistence) == config.monitor.alert_persistence_hours
            {
                " (configured)"
            } else {
                ""
            };
            writeln!(out, "{}{marker}", render_row(&row))?;
        }
    }
    Ok(out)
}

fn render_row(r: &PolicyRow) -> String {
    format!(
        "  {:>20.2} | {:>6} | {:>17.1}% | {:>19.1}% | {}",
        r.threshold,
        r.persistence_hours,
        r.false_page_rate * 100.0,
        r.detection_rate * 100.0,
        hours(r.median_lead_hours)
    )
}
