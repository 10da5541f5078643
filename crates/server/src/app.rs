//! Building the router and running the server until a shutdown signal.

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use reynard_bus::Bus;
use reynard_fanout::{InProcessFanout, RedisFanout};
use reynard_proto::chat::LiveEvent;
use reynard_store::Store;
use tokio::net::TcpListener;

use crate::config::Config;
use crate::error::ApiError;
use crate::lease::DatabaseLease;
use crate::metrics::{Metrics, track_requests};
use crate::net::{PeerAddr, TunedListener};
use crate::routes;
use crate::security::{self, BrowserPolicy};
use crate::state::AppState;
use crate::tls::{CertStore, TlsListener};

/// How long a start waits for Redis before serving anyway (it keeps retrying).
const REDIS_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// The HTTP application: every route of [`routes::all`], JSON errors for unknown
/// paths and methods, metrics on every request.
pub fn app(state: AppState) -> Router {
    let mut router = Router::new();
    for route in routes::all() {
        router = router.route(route.spec.path, route.handler);
    }
    router
        .fallback(crate::web::serve)
        .method_not_allowed_fallback(|| async {
            ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "method not allowed on this endpoint")
                .into_response()
        })
        .layer(DefaultBodyLimit::max(state.config.max_body_bytes))
        .layer(axum::middleware::from_fn_with_state(Arc::new(BrowserPolicy::new(&state.config)), security::enforce))
        .layer(axum::middleware::from_fn_with_state(state.metrics.clone(), track_requests))
        .with_state(state)
}

/// Opens the database named by `config` and applies pending migrations.
pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    if config.database_url.starts_with("sqlite:") {
        std::fs::create_dir_all(&config.data_dir)
            .map_err(|e| anyhow::anyhow!("cannot create data directory {}: {e}", config.data_dir.display()))?;
    }
    Ok(Store::open(&config.database_url).await?)
}

/// Serves on `listener` until `shutdown` completes, then finishes in-flight
/// requests and closes the database. With `config.tls`, serves HTTPS and WSS
/// and reloads the certificate on SIGHUP.
pub async fn serve(
    config: Config,
    store: Store,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    if let Some(url) = config.redis_url.clone() {
        // Scale-out: the processes of the database hear each other over Redis.
        let fanout =
            RedisFanout::connect(&url, &config.redis_prefix).map_err(|e| anyhow::anyhow!("--redis-url {url}: {e}"))?;
        if !fanout.wait_connected(REDIS_WAIT).await {
            tracing::warn!(%url, "Redis is not reachable yet; serving, and retrying in the background");
        }
        tracing::info!(prefix = %config.redis_prefix, "fan-out over Redis: other processes may share this database");
        let served = serve_until(config, store.clone(), listener, shutdown, Arc::new(fanout)).await;
        store.close().await;
        return served;
    }
    // The in-process fan-out reaches no other process: serve the database alone.
    let lease = Arc::new(DatabaseLease::acquire(&store).await?);
    // Alone on the database: call connections still open there were left so by
    // a process that stopped without closing them (follow-ups count them).
    let closed = store.close_open_attendance(reynard_store::now_millis()).await?;
    if closed > 0 {
        tracing::info!(closed, "closed call attendance left open by the last run");
    }
    let keeper = lease.clone();
    let shutdown = async move {
        tokio::select! {
            () = shutdown => {}
            () = keeper.keep() => {}
        }
    };
    let served = serve_until(config, store.clone(), listener, shutdown, Arc::new(InProcessFanout::default())).await;
    lease.release().await;
    store.close().await;
    served
}

/// [`serve`] with an explicit fan-out (several servers in one test process
/// share one). The fan-out is trusted to reach every server of the database, so
/// no lease is taken.
pub async fn serve_with_fanout(
    config: Config,
    store: Store,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
    fanout: Arc<dyn Bus>,
) -> anyhow::Result<()> {
    let served = serve_until(config, store.clone(), listener, shutdown, fanout).await;
    store.close().await;
    served
}

/// Serves until `shutdown` completes and in-flight requests have finished.
async fn serve_until(
    config: Config,
    store: Store,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
    fanout: Arc<dyn Bus>,
) -> anyhow::Result<()> {
    let config = config.bound_to(listener.local_addr()?);
    let certificates = match &config.tls {
        Some(files) => Some(CertStore::load(files.clone())?),
        None => None,
    };
    match &config.mailer {
        Some(mailer) => {
            tracing::info!(
                smtp = mailer.server(),
                "mail is on: verification, invitation and meeting mails (invitations, reminders, follow-ups) are sent"
            )
        }
        None => tracing::info!(
            "mail is off (no --smtp-url): owners share invite links themselves; meetings send no invitations, \
             reminders or follow-ups by mail"
        ),
    }
    let signing_key = crate::mail::signing_key(&store).await?;
    let metrics = Arc::new(Metrics::default());
    let rtc = crate::rtc::start(&config.rtc, config.listen.ip(), &store).await?;
    let state = AppState::new(config, store, metrics.clone(), fanout, signing_key, rtc);
    // Who is in each call shows in the workspace's presence.
    let live = state.live.clone();
    state.rtc.calls.on_roster(Arc::new(move |ws, room, members| {
        live.publish(ws, &LiveEvent::Call { room_id: room.clone(), participants: members.to_vec() });
    }));
    let background = crate::background::BackgroundTasks::start(&state).await?;
    let hub = state.collab.clone();
    let listener = TunedListener::new(listener, metrics);
    // On shutdown, live documents close their connections (going away) and
    // write their snapshots before the server waits for connections to end.
    let shutdown = async move {
        shutdown.await;
        hub.shutdown().await;
    };
    let service = app(state).into_make_service_with_connect_info::<PeerAddr>();
    match certificates {
        Some(certificates) => {
            crate::tls::reload_on_sighup(certificates.clone())?;
            let listener = TlsListener::new(listener, certificates.server_config()?)?;
            axum::serve(listener, service).with_graceful_shutdown(shutdown).await?;
        }
        None => axum::serve(listener, service).with_graceful_shutdown(shutdown).await?,
    }
    drop(background);
    Ok(())
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(%err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::error!(%err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutting down");
}
