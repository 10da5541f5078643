//! Command-line flags (with `REYNARD_*` environment fallbacks), validated into
//! one [`Config`] before anything starts.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::client_ip::TrustedProxies;

/// `reynard`: a self-hosted real-time collaboration server.
#[derive(Debug, Parser)]
#[command(name = "reynard", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server.
    Serve(Box<ServeArgs>),
    /// Apply database migrations and exit.
    Migrate(DatabaseArgs),
    /// Print the version and exit.
    Version,
}

/// Where the data lives.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// Directory for the SQLite database and other files (created if missing).
    #[arg(long, env = "REYNARD_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// `postgres://…` to use PostgreSQL instead of `<data-dir>/reynard.db`.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,
}

/// Flags of `reynard serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "REYNARD_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The URL people open (defaults to http://<listen>, https:// with TLS); `https://`
    /// marks cookies Secure and turns HSTS on. Its origin may send cookie requests.
    #[arg(long, env = "REYNARD_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Further origins (comma-separated, e.g. `https://team.example:8443`) whose pages
    /// may send cookie-authenticated requests and open WebSockets.
    #[arg(long, env = "REYNARD_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Vec<String>,
    /// PEM certificate chain: serve HTTPS and WSS directly (with --tls-key).
    #[arg(long, env = "REYNARD_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert (reloaded with the certificate on SIGHUP).
    #[arg(long, env = "REYNARD_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// How long a login session lasts, in days.
    #[arg(long, env = "REYNARD_SESSION_DAYS", default_value_t = 30)]
    pub session_days: u32,
    /// Chat messages one account may send per minute (bursts of as many pass).
    #[arg(long, env = "REYNARD_CHAT_MESSAGES_PER_MINUTE", default_value_t = 60)]
    pub chat_messages_per_minute: u32,
    /// Login attempts allowed per client address (IPv6: per /64) per 5 minutes.
    #[arg(long, env = "REYNARD_LOGIN_LIMIT_PER_IP", default_value_t = 30)]
    pub login_limit_per_ip: u32,
    /// Failed logins of one account before each further attempt must wait
    /// (1 s, then 2 s, 4 s… up to 30 s after the previous attempt).
    #[arg(long, env = "REYNARD_LOGIN_LIMIT_PER_ACCOUNT", default_value_t = 5)]
    pub login_limit_per_account: u32,
    /// Sign-ups allowed per client address (IPv6: per /64) per hour.
    #[arg(long, env = "REYNARD_SIGNUP_LIMIT_PER_IP", default_value_t = 20)]
    pub signup_limit_per_ip: u32,
    /// Comma-separated CIDR blocks of reverse proxies whose X-Forwarded-For
    /// (or Forwarded) header names the client; empty: the TCP peer is the client.
    #[arg(long, env = "REYNARD_TRUSTED_PROXIES", default_value = "")]
    pub trusted_proxies: String,
    /// Serve `/metrics` on this separate address (off by default).
    #[arg(long, env = "REYNARD_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,
    /// Serve `/metrics` on the main address to requests bearing this token.
    #[arg(long, env = "REYNARD_METRICS_TOKEN")]
    pub metrics_token: Option<String>,
    /// Minutes between purges of expired sessions and idle rate-limit entries.
    #[arg(long, env = "REYNARD_PURGE_INTERVAL_MINUTES", default_value_t = 10)]
    pub purge_interval_minutes: u64,
    /// Largest accepted HTTP request body, in bytes.
    #[arg(long, env = "REYNARD_MAX_BODY_BYTES", default_value_t = 16 * 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Largest WebSocket message a document client may send, in bytes.
    #[arg(long, env = "REYNARD_MAX_MESSAGE_BYTES", default_value_t = 8 * 1024 * 1024)]
    pub max_message_bytes: usize,
    /// Largest document, in bytes of its encoded state.
    #[arg(long, env = "REYNARD_MAX_DOCUMENT_BYTES", default_value_t = 64 * 1024 * 1024)]
    pub max_document_bytes: usize,
    /// Messages per second one document connection may send (bursts of 4× pass).
    #[arg(long, env = "REYNARD_WS_MESSAGES_PER_SECOND", default_value_t = 500)]
    pub ws_messages_per_second: u32,
    /// Frames queued for one document connection before it is closed as too slow.
    #[arg(long, env = "REYNARD_WS_SEND_QUEUE", default_value_t = 1024)]
    pub ws_send_queue: usize,
    /// Bytes queued for one document connection before it is closed as too slow
    /// (a single frame of any size passes an empty queue).
    #[arg(long, env = "REYNARD_WS_SEND_QUEUE_BYTES", default_value_t = 4 * 1024 * 1024)]
    pub ws_send_queue_bytes: usize,
    /// Bytes of client messages one document may hold queued before the
    /// connections sending more wait (at least --max-message-bytes).
    #[arg(long, env = "REYNARD_ROOM_QUEUE_BYTES", default_value_t = 16 * 1024 * 1024)]
    pub room_queue_bytes: usize,
    /// Document connections (WebSockets) one user may hold open at once.
    #[arg(long, env = "REYNARD_WS_CONNECTIONS_PER_USER", default_value_t = 50)]
    pub ws_connections_per_user: usize,
    /// Milliseconds a document holds its clients' cursor and presence changes,
    /// to send them merged and after the edits they point at (0: at once).
    #[arg(long, env = "REYNARD_PRESENCE_DELAY_MS", default_value_t = crate::collab::DEFAULT_PRESENCE_DELAY_MS)]
    pub presence_delay_ms: u64,
    /// Seconds a document stays in memory after its last client left.
    #[arg(long, env = "REYNARD_DOC_IDLE_SECONDS", default_value_t = 30)]
    pub doc_idle_seconds: u64,
    /// Seconds without edits after which an automatic version is recorded.
    #[arg(long, env = "REYNARD_VERSION_IDLE_SECONDS", default_value_t = 30)]
    pub version_idle_seconds: u64,
    /// Minutes of continuous editing after which an automatic version is recorded.
    #[arg(long, env = "REYNARD_VERSION_MAX_MINUTES", default_value_t = 10)]
    pub version_max_minutes: u64,
    /// Log entries of a document before it is folded into a snapshot (a large
    /// document also waits until its log weighs as much as its snapshot).
    #[arg(long, env = "REYNARD_COMPACT_AFTER", default_value_t = 2000)]
    pub compact_after: usize,
    /// SMTP server for outgoing mail: `smtp://HOST:PORT` (no TLS),
    /// `smtp://HOST:PORT?tls=required` (STARTTLS) or `smtps://HOST:PORT` (TLS);
    /// credentials as `smtps://USER:PASSWORD@HOST`. Without it, no mail is sent.
    #[arg(long, env = "REYNARD_SMTP_URL")]
    pub smtp_url: Option<String>,
    /// `redis://HOST:PORT/DB`: the fan-out between several `reynard serve`
    /// processes on one PostgreSQL database (scale-out). Without it, one
    /// process serves the database alone.
    #[arg(long, env = "REDIS_URL")]
    pub redis_url: Option<String>,
    /// The prefix of this deployment's Redis channels (deployments sharing one
    /// Redis need different prefixes).
    #[arg(long, env = "REYNARD_REDIS_PREFIX", default_value = "reynard")]
    pub redis_prefix: String,
    /// Sender of outgoing mail.
    #[arg(long, env = "REYNARD_MAIL_FROM", default_value = "Reynard <reynard@localhost>")]
    pub mail_from: String,
    /// The UDP port all call media uses (0: any free port).
    #[arg(long, env = "REYNARD_RTC_UDP_PORT", default_value_t = 7882)]
    pub rtc_udp_port: u16,
    /// The address browsers send call media (and TURN traffic) to; by default
    /// the --listen address, or this machine's outgoing address when listening
    /// on all interfaces.
    #[arg(long, env = "REYNARD_RTC_PUBLIC_IP")]
    pub rtc_public_ip: Option<std::net::IpAddr>,
    /// Participants one call may have.
    #[arg(long, env = "REYNARD_CALL_PARTICIPANT_LIMIT", default_value_t = 50)]
    pub call_participant_limit: u32,
    /// The UDP port of the built-in TURN server (0: any free port).
    #[arg(long, env = "REYNARD_TURN_PORT", default_value_t = 3478)]
    pub turn_port: u16,
    /// Run no TURN server and hand out none.
    #[arg(long, env = "REYNARD_TURN_OFF", conflicts_with = "turn_external")]
    pub turn_off: bool,
    /// Hand out credentials for external TURN servers (coturn with
    /// use-auth-secret) instead of running the built-in one: their URLs, e.g.
    /// `turn:turn.example.org:3478?transport=udp,turns:turn.example.org:443?transport=tcp`.
    #[arg(long, env = "REYNARD_TURN_EXTERNAL", value_delimiter = ',', requires = "turn_secret")]
    pub turn_external: Vec<String>,
    /// The secret shared with the external TURN servers (coturn's static-auth-secret).
    #[arg(long, env = "REYNARD_TURN_SECRET")]
    pub turn_secret: Option<String>,
}

/// Validated settings of a running server.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: String,
    /// The Redis of a scaled-out deployment, and its channel prefix.
    pub redis_url: Option<String>,
    pub redis_prefix: String,
    /// The URL people open, without a trailing slash.
    pub public_url: String,
    /// Whether `public_url` was derived from `listen` (then it follows the bound
    /// address when listening on port 0).
    pub public_url_is_default: bool,
    /// Origins other than the public URL's that are trusted (normalized, see
    /// [`crate::security::origin_of`]).
    pub allowed_origins: Vec<String>,
    pub secure_cookies: bool,
    /// Certificate and key files when the server terminates TLS itself.
    pub tls: Option<crate::tls::TlsFiles>,
    pub session_ttl: Duration,
    pub login_limit_per_ip: u32,
    pub login_window_per_ip: Duration,
    /// The per-account progressive delay after failed logins.
    pub login_throttle: reynard_auth::ThrottlePolicy,
    pub signup_limit_per_ip: u32,
    pub signup_window_per_ip: Duration,
    /// Chat messages one account may send per minute.
    pub chat_messages_per_minute: u32,
    pub trusted_proxies: TrustedProxies,
    /// Password hashes (sign-up) and verifications (login) running at once.
    pub password_hashers: usize,
    /// How long a request waits for a password hasher before 429 `busy`.
    pub password_hasher_wait: Duration,
    pub metrics_listen: Option<SocketAddr>,
    pub metrics_token: Option<String>,
    pub purge_interval: Duration,
    pub max_body_bytes: usize,
    pub collab: crate::collab::CollabConfig,
    /// Outgoing mail; `None` when no SMTP server is configured.
    pub mailer: Option<reynard_mail::Mailer>,
    /// The reminder and follow-up loop (its clock, how often it looks).
    pub schedule: crate::schedule::ScheduleConfig,
    /// How long an email verification link works.
    pub email_verification_ttl: Duration,
    /// Verification mails one account may ask for per hour.
    pub verification_mails_per_hour: u32,
    /// Calls: media port, advertised address, limits, TURN.
    pub rtc: crate::rtc::RtcConfig,
}

impl DatabaseArgs {
    /// The database URL: the flag, or SQLite in the data directory.
    pub fn url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => reynard_store::Store::sqlite_url(&self.data_dir),
        }
    }
}

impl Config {
    /// Checks the flags and derives the settings.
    pub fn from_args(args: ServeArgs) -> anyhow::Result<Config> {
        if let Some(url) = &args.database.database_url {
            anyhow::ensure!(
                url.starts_with("postgres://") || url.starts_with("postgresql://") || url.starts_with("sqlite:"),
                "--database-url must start with postgres://, postgresql:// or sqlite: (got {url:?})"
            );
        }
        if let Some(url) = &args.redis_url {
            anyhow::ensure!(url.starts_with("redis://"), "--redis-url must start with redis:// (got {url:?})");
            anyhow::ensure!(
                args.database.database_url.as_deref().is_some_and(|u| u.starts_with("postgres")),
                "--redis-url is for several processes on one PostgreSQL database: set --database-url postgres://…"
            );
        }
        anyhow::ensure!(args.session_days >= 1, "--session-days must be at least 1");
        anyhow::ensure!(args.max_body_bytes >= 1024, "--max-body-bytes must be at least 1024");
        anyhow::ensure!(args.max_message_bytes >= 1024, "--max-message-bytes must be at least 1024");
        anyhow::ensure!(
            args.max_document_bytes >= args.max_message_bytes,
            "--max-document-bytes must be at least --max-message-bytes"
        );
        anyhow::ensure!(args.login_limit_per_ip >= 1, "--login-limit-per-ip must be at least 1");
        anyhow::ensure!(args.chat_messages_per_minute >= 1, "--chat-messages-per-minute must be at least 1");
        anyhow::ensure!(args.login_limit_per_account >= 1, "--login-limit-per-account must be at least 1");
        anyhow::ensure!(args.signup_limit_per_ip >= 1, "--signup-limit-per-ip must be at least 1");
        anyhow::ensure!(args.purge_interval_minutes >= 1, "--purge-interval-minutes must be at least 1");
        let trusted_proxies =
            TrustedProxies::parse(&args.trusted_proxies).map_err(|e| anyhow::anyhow!("--trusted-proxies: {e}"))?;
        if let Some(token) = &args.metrics_token {
            anyhow::ensure!(
                token.len() >= 16 && token.chars().all(|c| c.is_ascii_graphic()),
                "--metrics-token must be at least 16 printable ASCII characters without spaces"
            );
        }
        if let Some(metrics) = args.metrics_listen {
            anyhow::ensure!(
                metrics != args.listen || metrics.port() == 0,
                "--metrics-listen must differ from --listen"
            );
        }
        anyhow::ensure!(args.ws_send_queue >= 16, "--ws-send-queue must be at least 16");
        anyhow::ensure!(args.ws_send_queue_bytes >= 64 * 1024, "--ws-send-queue-bytes must be at least 65536");
        anyhow::ensure!(
            args.room_queue_bytes >= args.max_message_bytes && args.room_queue_bytes <= u32::MAX as usize,
            "--room-queue-bytes must be at least --max-message-bytes and at most 4294967295"
        );
        anyhow::ensure!(args.ws_connections_per_user >= 1, "--ws-connections-per-user must be at least 1");
        anyhow::ensure!(args.presence_delay_ms <= 1000, "--presence-delay-ms must be at most 1000");
        let collab = crate::collab::CollabConfig {
            limits: reynard_collab::Limits {
                max_message_bytes: args.max_message_bytes,
                max_document_bytes: args.max_document_bytes,
            },
            idle_grace: Duration::from_secs(args.doc_idle_seconds),
            send_queue: args.ws_send_queue,
            send_queue_bytes: args.ws_send_queue_bytes,
            room_queue_bytes: args.room_queue_bytes,
            max_connections_per_user: args.ws_connections_per_user,
            messages_per_second: args.ws_messages_per_second.max(1),
            version_after_idle: Duration::from_secs(args.version_idle_seconds.max(1)),
            version_max_interval: Duration::from_secs(args.version_max_minutes.max(1) * 60),
            compact_after: args.compact_after.max(1),
            presence_delay: Duration::from_millis(args.presence_delay_ms),
        };
        let tls = match (args.tls_cert, args.tls_key) {
            (Some(cert), Some(key)) => Some(crate::tls::TlsFiles { cert, key }),
            (None, None) => None,
            _ => anyhow::bail!("--tls-cert and --tls-key go together"),
        };
        let scheme = if tls.is_some() { "https" } else { "http" };
        let public_url_is_default = args.public_url.is_none();
        let public_url = args
            .public_url
            .clone()
            .unwrap_or_else(|| format!("{scheme}://{}", args.listen))
            .trim_end_matches('/')
            .to_owned();
        anyhow::ensure!(
            public_url.starts_with("http://") || public_url.starts_with("https://"),
            "--public-url must start with http:// or https:// (got {public_url:?})"
        );
        let mailer = match &args.smtp_url {
            Some(url) => Some(
                reynard_mail::Mailer::new(url, &args.mail_from)
                    .map_err(|e| anyhow::anyhow!("--smtp-url/--mail-from: {e}"))?,
            ),
            None => None,
        };
        let mut allowed_origins = Vec::new();
        for origin in args.allowed_origins.iter().map(|o| o.trim()).filter(|o| !o.is_empty()) {
            let normalized = crate::security::parse_origin(origin).ok_or_else(|| {
                anyhow::anyhow!("--allowed-origins takes origins such as https://team.example:8443 (got {origin:?})")
            })?;
            allowed_origins.push(normalized);
        }
        anyhow::ensure!(args.call_participant_limit >= 2, "--call-participant-limit must be at least 2");
        let turn_external: Vec<String> =
            args.turn_external.iter().map(|u| u.trim().to_owned()).filter(|u| !u.is_empty()).collect();
        for url in &turn_external {
            anyhow::ensure!(
                url.starts_with("turn:") || url.starts_with("turns:") || url.starts_with("stun:"),
                "--turn-external takes turn:, turns: or stun: URLs (got {url:?})"
            );
        }
        let turn = if args.turn_off {
            crate::rtc::TurnMode::Off
        } else if !turn_external.is_empty() {
            let secret = args.turn_secret.clone().unwrap_or_default();
            anyhow::ensure!(secret.len() >= 16, "--turn-secret must be at least 16 characters");
            crate::rtc::TurnMode::External { urls: turn_external, secret }
        } else {
            crate::rtc::TurnMode::BuiltIn { port: args.turn_port }
        };
        let rtc = crate::rtc::RtcConfig {
            udp_port: args.rtc_udp_port,
            public_ip: args.rtc_public_ip,
            participant_limit: args.call_participant_limit,
            turn,
            credential_ttl_secs: 12 * 3600,
        };
        Ok(Config {
            rtc,
            mailer,
            schedule: crate::schedule::ScheduleConfig::default(),
            email_verification_ttl: Duration::from_secs(48 * 3600),
            verification_mails_per_hour: 5,
            listen: args.listen,
            database_url: args.database.url(),
            redis_url: args.redis_url.clone(),
            redis_prefix: args.redis_prefix.clone(),
            data_dir: args.database.data_dir,
            secure_cookies: public_url.starts_with("https://"),
            public_url,
            public_url_is_default,
            allowed_origins,
            tls,
            session_ttl: Duration::from_secs(u64::from(args.session_days) * 24 * 3600),
            login_limit_per_ip: args.login_limit_per_ip,
            login_window_per_ip: Duration::from_secs(5 * 60),
            login_throttle: reynard_auth::ThrottlePolicy {
                free_failures: args.login_limit_per_account,
                base_delay: Duration::from_secs(1),
                max_delay: Duration::from_secs(30),
                forget_after: Duration::from_secs(15 * 60),
            },
            signup_limit_per_ip: args.signup_limit_per_ip,
            signup_window_per_ip: Duration::from_secs(3600),
            chat_messages_per_minute: args.chat_messages_per_minute,
            trusted_proxies,
            password_hashers: std::thread::available_parallelism().map_or(1, usize::from),
            password_hasher_wait: Duration::from_secs(2),
            metrics_listen: args.metrics_listen,
            metrics_token: args.metrics_token,
            purge_interval: Duration::from_secs(args.purge_interval_minutes * 60),
            max_body_bytes: args.max_body_bytes,
            collab,
        })
    }

    /// The origin of the public URL followed by `--allowed-origins`: the pages
    /// that may use the session cookie.
    pub fn trusted_origins(&self) -> Vec<String> {
        let mut origins: Vec<String> = crate::security::origin_of(&self.public_url).into_iter().collect();
        for origin in &self.allowed_origins {
            if !origins.contains(origin) {
                origins.push(origin.clone());
            }
        }
        origins
    }

    /// Fixes the public URL once the listener is bound: a default public URL
    /// of a server listening on port 0 names the port actually bound.
    pub fn bound_to(mut self, addr: SocketAddr) -> Config {
        if self.public_url_is_default && self.listen.port() == 0 {
            let scheme = if self.tls.is_some() { "https" } else { "http" };
            self.public_url = format!("{scheme}://{addr}");
            self.secure_cookies = self.tls.is_some();
        }
        self
    }

    /// Settings for tests: SQLite in `data_dir`, listening on an ephemeral port.
    /// Every test client signs up from 127.0.0.1, so sign-ups are not limited
    /// (tests of the limit set their own).
    pub fn for_tests(data_dir: PathBuf) -> Config {
        let args = ServeArgs::parse_from([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--signup-limit-per-ip",
            "100000",
            "--rtc-udp-port",
            "0",
            "--turn-port",
            "0",
        ]);
        let mut config = Config::from_args(args).expect("default flags are valid");
        config.database_url = reynard_store::Store::sqlite_url(&data_dir);
        config.data_dir = data_dir;
        config
    }
}

/// `serve`'s flags alone, for [`ServeArgs::parse_from`].
#[derive(Debug, Parser)]
struct Only {
    #[command(flatten)]
    args: ServeArgs,
}

impl ServeArgs {
    /// Parses `serve` flags from an argument list (first item is the program name).
    pub fn parse_from<I, T>(args: I) -> ServeArgs
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        Only::parse_from(args).args
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_sqlite() {
        let config = Config::from_args(ServeArgs::parse_from(["serve"])).unwrap();
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
        assert!(config.database_url.starts_with("sqlite://"));
        assert!(config.database_url.contains("reynard.db"));
        assert_eq!(config.public_url, "http://127.0.0.1:8080");
        assert!(!config.secure_cookies);
        assert!(config.trusted_proxies.is_empty());
        assert_eq!((config.metrics_listen, config.metrics_token), (None, None), "metrics are private by default");
        assert!(config.password_hashers >= 1);
        assert!(config.mailer.is_none(), "no SMTP, no mail");
    }

    #[test]
    fn smtp_settings_are_checked_at_start() {
        let args = ServeArgs::parse_from(["serve", "--smtp-url", "smtps://u:p@mail.example.org:465"]);
        let mailer = Config::from_args(args).unwrap().mailer.expect("a mailer");
        assert_eq!(mailer.server(), "smtps://mail.example.org:465");
        let bad_url = ServeArgs::parse_from(["serve", "--smtp-url", "mail.example.org"]);
        assert!(Config::from_args(bad_url).is_err());
        let bad_from = ServeArgs::parse_from(["serve", "--smtp-url", "smtp://127.0.0.1:25", "--mail-from", "nobody"]);
        assert!(Config::from_args(bad_from).is_err());
    }

    #[test]
    fn rejects_bad_values() {
        let bad_db = ServeArgs::parse_from(["serve", "--database-url", "mysql://x"]);
        assert!(Config::from_args(bad_db).is_err());
        let bad_url = ServeArgs::parse_from(["serve", "--public-url", "ftp://x"]);
        assert!(Config::from_args(bad_url).is_err());
        let https = ServeArgs::parse_from(["serve", "--public-url", "https://team.example/"]);
        let config = Config::from_args(https).unwrap();
        assert!(config.secure_cookies);
        assert_eq!(config.public_url, "https://team.example");
        let proxies = ServeArgs::parse_from(["serve", "--trusted-proxies", "10.0.0.0/8,::1"]);
        assert!(Config::from_args(proxies).unwrap().trusted_proxies.contains("::1".parse().unwrap()));
        let bad_proxies = ServeArgs::parse_from(["serve", "--trusted-proxies", "10.0.0.0/40"]);
        assert!(Config::from_args(bad_proxies).is_err());
        let short_token = ServeArgs::parse_from(["serve", "--metrics-token", "short"]);
        assert!(Config::from_args(short_token).is_err());
        let same_port = ServeArgs::parse_from(["serve", "--metrics-listen", "127.0.0.1:8080"]);
        assert!(Config::from_args(same_port).is_err());
    }

    #[test]
    fn presence_delay_defaults_to_30_ms_and_is_bounded() {
        let delay = |args: &[&str]| {
            let args = ServeArgs::parse_from(["serve"].iter().chain(args));
            Config::from_args(args).map(|config| config.collab.presence_delay)
        };
        assert_eq!(delay(&[]).unwrap(), Duration::from_millis(30));
        assert_eq!(delay(&["--presence-delay-ms", "0"]).unwrap(), Duration::ZERO);
        assert_eq!(delay(&["--presence-delay-ms", "1000"]).unwrap(), Duration::from_secs(1));
        let err = delay(&["--presence-delay-ms", "1001"]).unwrap_err();
        assert!(err.to_string().contains("--presence-delay-ms"), "{err}");
    }

    #[test]
    fn trusted_origins_come_from_the_public_url_and_the_allowed_list() {
        let args = ServeArgs::parse_from([
            "serve",
            "--public-url",
            "https://Team.Example:443/app/",
            "--allowed-origins",
            "http://localhost:5173/, https://team.example",
        ]);
        let config = Config::from_args(args).unwrap();
        assert_eq!(config.trusted_origins(), ["https://team.example", "http://localhost:5173"]);
        for bad in ["https://team.example/app", "*", "null", "team.example"] {
            let args = ServeArgs::parse_from(["serve", "--allowed-origins", bad]);
            assert!(Config::from_args(args).is_err(), "{bad}");
        }
    }

    #[test]
    fn tls_needs_both_files_and_makes_the_default_url_https() {
        let args = ServeArgs::parse_from(["serve", "--tls-cert", "c.pem", "--tls-key", "k.pem"]);
        let config = Config::from_args(args).unwrap();
        assert_eq!(config.public_url, "https://127.0.0.1:8080");
        assert!(config.secure_cookies);
        let only_cert = Only::try_parse_from(["serve", "--tls-cert", "c.pem"]);
        assert!(only_cert.is_err(), "--tls-cert without --tls-key is refused");
    }

    #[test]
    fn a_default_public_url_follows_the_bound_port() {
        let config = Config::from_args(ServeArgs::parse_from(["serve", "--listen", "127.0.0.1:0"])).unwrap();
        let bound = config.bound_to("127.0.0.1:40123".parse().unwrap());
        assert_eq!(bound.public_url, "http://127.0.0.1:40123");
        let args = ServeArgs::parse_from(["serve", "--listen", "127.0.0.1:0", "--public-url", "https://t.example"]);
        let explicit = Config::from_args(args).unwrap().bound_to("127.0.0.1:40123".parse().unwrap());
        assert_eq!(explicit.public_url, "https://t.example");
    }
}
