//! `sentinel feed`: streams a simulated weekend into a running monitor at a speed factor.

use std::time::{Duration, Instant};

use anyhow::Context;

use super::{FeedArgs, load_config, runtime};
use sentinel::grpc::client::Client;
use sentinel::model::conditional::ConditionalModel;
use sentinel::model::user_base::UserBase;
use sentinel::monitor::calendar::{MS_PER_HOUR, WindowCalendar};
use sentinel::monitor::event::WithdrawalEvent;
use sentinel::monitor::synthetic::SyntheticWeekend;
use sentinel::service::now_unix_ms;

/// Events buffered between the pacer and the gRPC stream.
const PACER_BUFFER: usize = 4_096;

pub(super) fn run(args: FeedArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.speed >= 0.0 && args.speed.is_finite(),
        "--speed must be >= 0"
    );
    let config = load_config(args.config.as_deref())?;
    let users = UserBase::synthetic(&config.user_base);
    let model = ConditionalModel::new(
        config.scenarios.get(args.scenario),
        &users,
        config.window.hours,
    )
    .context("scenario parameters")?;
    let calendar = WindowCalendar::of_config(&config).context("calendar")?;
    let now = now_unix_ms();
    let opens_at_unix_ms = if args.current {
        calendar
            .window_containing(now)
            .context("--current: the rails are open now; there is no closure in progress")?
    } else {
        calendar.completed_window_opening(now, args.weeks_ago)
    };
    let weekend = SyntheticWeekend {
        seed: args.seed,
        opens_at_unix_ms,
        retail_event_idr: args.retail_event_idr,
    };
    let mut events = weekend.events(&model);
    if args.current {
        let all = events.len();
        events.retain(|e| e.occurred_at_unix_ms <= now);
        println!(
            "closure in progress: {} of {all} events have happened by now",
            events.len()
        );
    } else {
        println!("past closure: a live monitor stores and counts these events but pages nothing");
    }
    let total_idr: u64 = events.iter().map(WithdrawalEvent::amount_idr).sum();
    println!(
        "{} weekend, seed {}: {} events, Rp {:.1} bn withdrawn over {} h; speed {}x",
        args.scenario,
        args.seed,
        events.len(),
        total_idr as f64 / 1e9,
        config.window.hours,
        args.speed
    );
    runtime()?.block_on(feed(args, weekend.opens_at_unix_ms, events))
}

async fn feed(
    args: FeedArgs,
    opens_at_unix_ms: i64,
    events: Vec<WithdrawalEvent>,
) -> anyhow::Result<()> {
    let access = args.access.load()?;
    let mut client = Client::connect_with(&args.addr, &access)
        .await
        .with_context(|| format!("is `sentinel serve` running on {}?", args.addr))?;
    if let Some(reserve_idr) = args.reserve_idr {
        client
            .set_reserve_idr(reserve_idr)
            .await
            .context("SetReserve")?;
        println!("reserve set to Rp {:.1} bn", reserve_idr as f64 / 1e9);
    }
    let (sender, receiver) = tokio::sync::mpsc::channel(PACER_BUFFER);
    let speed = args.speed;
    tokio::spawn(async move {
        let started = Instant::now();
        let mut hour_printed = -1i64;
        for event in events {
            let offset_ms = (event.occurred_at_unix_ms - opens_at_unix_ms).max(0);
            if speed > 0.0 {
                let due = Duration::from_secs_f64(offset_ms as f64 / 1e3 / speed);
                tokio::time::sleep_until((started + due).into()).await;
            }
            let hour = offset_ms / MS_PER_HOUR;
            if hour > hour_printed {
                hour_printed = hour;
                println!("feeding hour {hour}");
            }
            if sender.send(event).await.is_err() {
                break;
            }
        }
    });
    let counts = client
        .ingest(tokio_stream::wrappers::ReceiverStream::new(receiver))
        .await
        .context("IngestWithdrawals")?;
    println!(
        "done: {} accepted, {} duplicates, state version {}",
        counts.accepted, counts.duplicates, counts.state_version
    );
    println!(
        "{}",
        client.projection_line().await.context("GetProjection")?
    );
    Ok(())
}
