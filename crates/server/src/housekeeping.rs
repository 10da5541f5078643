//! The periodic purge: expired sessions are deleted from the database, and
//! rate-limit and login-throttle entries that no longer hold anything back are
//! dropped from memory. One task per server, started with the other
//! [`crate::background`] tasks.

use std::time::Instant;

use reynard_store::now_millis;
use tokio::task::JoinHandle;

use crate::state::AppState;

/// Starts the purge, every `config.purge_interval` (the first one right away).
/// The task runs until aborted.
pub fn start(state: AppState) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(state.config.purge_interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            purge(&state).await;
        }
    })
}

/// One pass of the purge.
pub async fn purge(state: &AppState) {
    match state.store.delete_sessions_expired_at(now_millis()).await {
        Ok(0) => {}
        Ok(deleted) => {
            state.metrics.sessions_purged(deleted);
            tracing::debug!(deleted, "purged expired sessions");
        }
        Err(err) => tracing::warn!(%err, "could not purge expired sessions"),
    }
    state.logins_per_ip.prune();
    state.signups_per_ip.prune();
    state.chat_messages_per_user.prune();
    state.login_throttle.prune(Instant::now());
}
