//! Meeting scheduling on the server: the stored form of a meeting as a series
//! ([`stored`]), the iMIP mails about it ([`invitations`]), and the loop that
//! sends reminders ([`reminders`]) and follow-ups ([`followups`]) by the
//! [`clock`]. The scheduling rules themselves are `reynard-schedule`'s.
//!
//! Every process runs the loop; each reminder and follow-up is claimed in the
//! database before it is sent, so it goes out once across processes and
//! restarts.

pub mod clock;
pub mod followups;
pub mod invitations;
pub mod reminders;
pub mod stored;

use std::time::Duration;

use tokio::task::JoinHandle;

pub use clock::Clock;

use crate::state::AppState;

/// How the scheduling loop runs.
#[derive(Clone, Debug)]
pub struct ScheduleConfig {
    /// Where "now" comes from.
    pub clock: Clock,
    /// How often the loop looks for due reminders and ended meetings.
    pub poll: Duration,
}

impl Default for ScheduleConfig {
    fn default() -> Self {
        ScheduleConfig { clock: Clock::System, poll: Duration::from_secs(20) }
    }
}

/// Starts the loop: every `poll`, the reminders due and the follow-ups of
/// occurrences that ended.
pub fn start(state: AppState) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(state.config.schedule.poll);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            run_once(&state).await;
        }
    })
}

/// One pass of the loop (errors are logged: the next pass tries again).
pub async fn run_once(state: &AppState) {
    let now = state.config.schedule.clock.now();
    if let Err(err) = reminders::send_due(state, now).await {
        tracing::warn!(%err, "reminders pass failed");
    }
    if let Err(err) = followups::send_due(state, now).await {
        tracing::warn!(%err, "follow-ups pass failed");
    }
}
