//! A simulated weekend as a stream of ledger events, for `sentinel feed`, demos and tests.
//!
//! The flows come from the batch engine's processes ([`ConditionalModel::simulate_flows`]):
//! each institutional jump becomes one institutional event at its arrival time; each hour's
//! retail total is split into `max(1, round(X_h / s))` equal events (`s` = the typical retail
//! withdrawal) spread evenly over the hour. Event ids are `sim-<seed>-<n>`, so replaying the
//! same weekend is idempotent.

use crate::model::conditional::{ConditionalModel, SimulatedFlow};
use crate::model::rng::path_rng;
use crate::monitor::calendar::MS_PER_HOUR;
use crate::monitor::event::{Cohort, EventKind, IDR_MINOR_PER_RUPIAH, WithdrawalEvent};

/// Random stream of simulated feeds (distinct from the batch and projection streams).
const FEED_STREAM: u64 = 0xFEED;

/// A simulated weekend to replay.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SyntheticWeekend {
    /// Seed of the weekend.
    pub seed: u64,
    /// When the rails closed, Unix ms.
    pub opens_at_unix_ms: i64,
    /// Typical retail withdrawal, IDR (≥ 1).
    pub retail_event_idr: u64,
}

impl SyntheticWeekend {
    /// The weekend's events in time order (ties keep generation order).
    pub fn events(&self, model: &ConditionalModel) -> Vec<WithdrawalEvent> {
        let mut rng = path_rng(self.seed, FEED_STREAM, 0);
        let mut events = Vec::new();
        model.simulate_flows(&mut rng, |flow| match flow {
            SimulatedFlow::InstitutionalJump {
                at_hours,
                amount_idr,
            } if amount_idr > 0 => {
                let at = self.opens_at_unix_ms + (at_hours * MS_PER_HOUR as f64) as i64;
                let n = events.len();
                events.push(self.event(n, Cohort::Institutional, amount_idr, at));
            }
            SimulatedFlow::RetailHour { hour, amount_idr } if amount_idr > 0 => {
                self.push_retail_hour(&mut events, hour, amount_idr);
            }
            _ => {}
        });
        events.sort_by_key(|e| e.occurred_at_unix_ms);
        events
    }

    fn push_retail_hour(&self, events: &mut Vec<WithdrawalEvent>, hour: u32, amount_idr: u64) {
        let size = self.retail_event_idr.max(1);
        let count = ((amount_idr as f64 / size as f64).round() as u64).max(1);
        let each = amount_idr / count;
        let hour_start = self.opens_at_unix_ms + i64::from(hour) * MS_PER_HOUR;
        for i in 0..count {
            let amount = if i + 1 == count {
                amount_idr - each * (count - 1)
            } else {
                each
            };
            let offset = ((i as f64 + 0.5) / count as f64 * MS_PER_HOUR as f64) as i64;
            let n = events.len();
            events.push(self.event(n, Cohort::Retail, amount, hour_start + offset));
        }
    }

    fn event(&self, n: usize, cohort: Cohort, amount_idr: u64, at_unix_ms: i64) -> WithdrawalEvent {
        let account = match cohort {
            Cohort::Institutional => format!("inst-{}", n % 997),
            _ => format!("retail-{}", n % 99_991),
        };
        WithdrawalEvent {
            event_id: format!("sim-{}-{n}", self.seed),
            account_id: account,
            cohort,
            amount_minor: i64::try_from(amount_idr).unwrap_or(i64::MAX / IDR_MINOR_PER_RUPIAH)
                * IDR_MINOR_PER_RUPIAH,
            currency: "IDR".into(),
            occurred_at_unix_ms: at_unix_ms,
            kind: EventKind::Withdrawal,
        }
    }
}
