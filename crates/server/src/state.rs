//! Shared state of the running server, handed to every handler.

use std::net::IpAddr;
use std::sync::Arc;

use reynard_auth::{LoginThrottle, RateLimiter, SigningKey};
use reynard_store::Store;

use reynard_bus::{Bus, ProcessId};

use crate::collab::hub::DocHub;
use crate::config::Config;
use crate::live::LiveHub;
use crate::metrics::Metrics;
use crate::password_hashers::PasswordHashers;
use crate::ws::connections::Connections;

/// Everything handlers need. Cheap to clone (one `Arc`).
#[derive(Debug, Clone)]
pub struct AppState(Arc<Inner>);

/// The contents of [`AppState`].
#[derive(Debug)]
pub struct Inner {
    pub config: Config,
    pub store: Store,
    pub metrics: Arc<Metrics>,
    /// This process on the bus (random per process).
    pub process: ProcessId,
    /// Carries the live services' events to this process's and other processes' subscribers.
    pub bus: Arc<dyn Bus>,
    /// When the other processes of the deployment were last heard.
    pub liveness: Arc<crate::liveness::Liveness>,
    /// Every live connection of this process (documents and workspace sockets).
    pub connections: Arc<Connections>,
    /// Open documents and their live connections.
    pub collab: Arc<DocHub>,
    /// The workspaces' live tabs: chat, typing, presence.
    pub live: Arc<LiveHub>,
    /// Chat messages sent, per account id.
    pub chat_messages_per_user: RateLimiter<String>,
    /// Login attempts per client address (`client_ip::rate_key`).
    pub logins_per_ip: RateLimiter<IpAddr>,
    /// The progressive delay after failed logins, per account email.
    pub login_throttle: LoginThrottle<String>,
    /// Sign-ups per client address (`client_ip::rate_key`).
    pub signups_per_ip: RateLimiter<IpAddr>,
    /// Where every password hash and verification runs.
    pub password_hashers: PasswordHashers,
    /// Verification mails asked for, per account id.
    pub verification_mails_per_user: RateLimiter<String>,
    /// Signs verification and invitation links (stored in the database).
    pub signing_key: SigningKey,
    /// Calls: the engine (media port, SFU, signaling) and TURN.
    pub rtc: crate::rtc::RtcServices,
}

impl AppState {
    /// Builds the state of a server.
    pub fn new(
        config: Config,
        store: Store,
        metrics: Arc<Metrics>,
        bus: Arc<dyn Bus>,
        signing_key: SigningKey,
        rtc: crate::rtc::RtcServices,
    ) -> AppState {
        let process = ProcessId(random_u64());
        let connections = Connections::new(config.collab.max_connections_per_user);
        let liveness = Arc::new(crate::liveness::Liveness::default());
        AppState(Arc::new(Inner {
            logins_per_ip: RateLimiter::new(config.login_limit_per_ip, config.login_window_per_ip),
            login_throttle: LoginThrottle::new(config.login_throttle),
            signups_per_ip: RateLimiter::new(config.signup_limit_per_ip, config.signup_window_per_ip),
            password_hashers: PasswordHashers::new(
                config.password_hashers,
                config.password_hasher_wait,
                metrics.clone(),
            ),
            verification_mails_per_user: RateLimiter::new(
                config.verification_mails_per_hour,
                std::time::Duration::from_secs(3600),
            ),
            signing_key,
            rtc,
            live: LiveHub::new(bus.clone(), process),
            chat_messages_per_user: RateLimiter::new(
                config.chat_messages_per_minute,
                std::time::Duration::from_secs(60),
            ),
            collab: DocHub::new(
                store.clone(),
                config.collab.clone(),
                bus.clone(),
                process,
                connections.clone(),
                liveness.clone(),
            ),
            liveness,
            process,
            bus,
            connections,
            config,
            store,
            metrics,
        }))
    }
}

impl std::ops::Deref for AppState {
    type Target = Inner;

    fn deref(&self) -> &Inner {
        &self.0
    }
}

/// A random 64-bit number (from the standard library's randomly seeded hasher).
fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos()));
    hasher.finish()
}
