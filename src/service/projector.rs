//! The projector task: recomputes the projection whenever the state version moves or the
//! rails close or reopen (on the wall clock), on rayon, coalesced (at most one in flight;
//! the latest state wins). It projects the closure the clock is in.

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::{oneshot, watch};

use super::emit::ProjectionPublished;
use super::engine::Inner;
use super::{PublishedProjection, lock};
use crate::monitor::projection::Projection;
use crate::monitor::state::RailsNow;

/// Recomputes the projection whenever the state version moves; coalesced.
pub(super) async fn run_projector(inner: Arc<Inner>, mut shutdown: watch::Receiver<bool>) {
    let mut versions = inner.version.subscribe();
    let mut rails = inner.rails.subscribe();
    loop {
        versions.mark_unchanged();
        rails.mark_unchanged();
        let inputs = lock(&inner.state).inputs_at(inner.clock.now_unix_ms());
        let worker = Arc::clone(&inner);
        let (reply, answer) = oneshot::channel();
        rayon::spawn(move || {
            let started = Instant::now();
            let projection = worker.projector.project(&inputs);
            let _ = reply.send((projection, started.elapsed().as_secs_f64() * 1e3));
        });
        let Ok((projection, compute_ms)) = answer.await else {
            break;
        };
        publish(&inner, projection, compute_ms);
        tokio::select! {
            changed = versions.changed() => if changed.is_err() { break },
            changed = rails.changed() => if changed.is_err() { break },
            _ = shutdown.wait_for(|stop| *stop) => break,
        }
    }
}

/// Evaluates the projection alert rules, publishes the projection, then emits the alert
/// transitions; all under the alert lock so subscribers see them in order.
fn publish(inner: &Inner, projection: Projection, compute_ms: f64) {
    let now = inner.clock.now_unix_ms();
    let rails = RailsNow::at(lock(&inner.state).calendar(), now);
    let published = Arc::new(PublishedProjection {
        projection,
        computed_at_unix_ms: now,
        compute_ms,
    });
    let mut hub = lock(&inner.alerts);
    let transitions = hub.evaluate_projection(&published.projection, rails, now);
    ProjectionPublished { published }.emit(
        inner.observer.as_ref(),
        &inner.latest,
        &inner.projections,
    );
    hub.emit(inner.observer.as_ref(), transitions);
}
