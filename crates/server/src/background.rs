//! The tasks that run beside the main listener for the server's lifetime: the
//! periodic purge ([`crate::housekeeping`]) and, with `--metrics-listen`, the
//! listener that serves only `/metrics`.

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::state::AppState;

/// The running background tasks; dropping this stops them.
#[derive(Debug)]
pub struct BackgroundTasks(Vec<JoinHandle<()>>);

impl BackgroundTasks {
    /// Binds `--metrics-listen` (an error if it cannot) and starts every task.
    pub async fn start(state: &AppState) -> anyhow::Result<BackgroundTasks> {
        let mut tasks = vec![crate::housekeeping::start(state.clone())];
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

impl Drop for BackgroundTasks {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}
