//! The tasks that run beside the main listener for the server's lifetime: the
//! periodic purge ([`crate::housekeeping`]), the sweep that closes document
//! connections of expired sessions, the meeting reminders and follow-ups
//! ([`crate::schedule`]), and, with `--metrics-listen`, the listener
//! that serves only `/metrics`.

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::state::AppState;

/// The running background tasks; dropping this stops them.
#[derive(Debug)]
pub struct BackgroundTasks(Vec<JoinHandle<()>>);

impl BackgroundTasks {
    /// Binds `--metrics-listen` (an error if it cannot) and starts every task.
    pub async fn start(state: &AppState) -> anyhow::Result<BackgroundTasks> {
        let mut tasks = vec![
            crate::housekeeping::start(state.clone()),
            close_expired_connections(state.clone()),
            crate::schedule::start(state.clone()),
            crate::control::listen(state.clone()),
            crate::rtc::relay::listen(state.clone()),
        ];
        if let Some(addr) = state.config.metrics_listen {
            let listener = TcpListener::bind(addr)
                .await
                .map_err(|e| anyhow::anyhow!("cannot listen for metrics on {addr}: {e}"))?;
            tracing::info!(addr = %listener.local_addr()?, "serving /metrics");
            let router = crate::api::meta::metrics_only(state.clone());
            tasks.push(tokio::spawn(async move {
                if let Err(err) = axum::serve(listener, router).await {
                    tracing::error!(%err, "the metrics listener stopped");
                }
            }));
        }
        Ok(BackgroundTasks(tasks))
    }
}

/// Closes live connections whose session has expired, within a second of
/// the expiry (one sweep of the registry a second, instead of a timer in every
/// connection).
fn close_expired_connections(state: AppState) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let now = reynard_store::now_millis();
            let closed =
                state.connections.close_expired(now, crate::ws::close_code::POLICY, crate::ws::SESSION_EXPIRED);
            if closed > 0 {
                tracing::debug!(closed, "closed connections of expired sessions");
            }
            state.live.tick(std::time::Instant::now());
        }
    })
}

impl Drop for BackgroundTasks {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}
