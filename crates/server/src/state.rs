//! Shared state of the running server, handed to every handler.

use std::net::IpAddr;
use std::sync::Arc;

use reynard_auth::{LoginThrottle, RateLimiter, SigningKey};
use reynard_store::Store;

use crate::collab::hub::DocHub;
use crate::config::Config;
use crate::metrics::Metrics;
use crate::password_hashers::PasswordHashers;

/// Everything handlers need. Cheap to clone (one `Arc`).
#[derive(Debug, Clone)]
pub struct AppState(Arc<Inner>);

/// The contents of [`AppState`].
#[derive(Debug)]
pub struct Inner {
    pub config: Config,
    pub store: Store,
    pub metrics: Arc<Metrics>,
    /// Open documents and their live connections.
    pub collab: Arc<DocHub>,
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
}

impl AppState {
    /// Builds the state of a server.
    pub fn new(
        config: Config,
        store: Store,
        metrics: Arc<Metrics>,
        fanout: Arc<dyn reynard_collab::fanout::Fanout>,
        signing_key: SigningKey,
    ) -> AppState {
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
            collab: DocHub::new(store.clone(), config.collab.clone(), fanout),
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
