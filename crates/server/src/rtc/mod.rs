//! Calls: the engine thread that owns the media port, the SFU and every call's
//! signaling ([`engine`]); the call socket ([`socket`]); calls across
//! processes ([`relay`]); ICE servers with
//! time-limited TURN credentials and the built-in TURN server; finished calls'
//! summaries ([`summary`]).

pub mod attendance;
pub mod engine;
pub mod relay;
pub mod socket;
pub mod summary;

use std::net::{IpAddr, SocketAddr};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::extract::{Path, State};
use reynard_proto::call::{CallSummaryView, IceServer, IceServers};
use reynard_proto::{Role, RoomId};
use reynard_rtc::turn_credentials;

pub use self::engine::Calls;
use crate::api::rooms::room_access;
use crate::error::ApiResult;
use crate::extract::CurrentUser;
use crate::state::AppState;

/// Where TURN service comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TurnMode {
    /// No TURN: browsers reach the media port directly or not at all.
    Off,
    /// The built-in TURN server on this UDP port (0: any free port).
    BuiltIn { port: u16 },
    /// An external TURN server (coturn with `use-auth-secret`) at these URLs,
    /// sharing `secret`.
    External { urls: Vec<String>, secret: String },
}

/// The calls' settings.
#[derive(Debug, Clone)]
pub struct RtcConfig {
    /// The UDP port for all media (0: any free port).
    pub udp_port: u16,
    /// The address given to browsers for media and TURN; `None`: worked out
    /// from `--listen`.
    pub public_ip: Option<IpAddr>,
    /// Participants one call may have.
    pub participant_limit: u32,
    pub turn: TurnMode,
    /// How long TURN credentials work.
    pub credential_ttl_secs: u64,
}

impl RtcConfig {
    /// The address browsers are told about: `--rtc-public-ip`, else the
    /// listening address when it is a specific one, else the address this
    /// machine's default route leaves from.
    pub fn advertised_ip(&self, listen: IpAddr) -> IpAddr {
        if let Some(ip) = self.public_ip {
            return ip;
        }
        if !listen.is_unspecified() {
            return listen;
        }
        // Connecting a UDP socket sends nothing; it only picks the route.
        std::net::UdpSocket::bind("0.0.0.0:0")
            .and_then(|s| s.connect("192.0.2.1:9").and_then(|()| s.local_addr()))
            .map_or(IpAddr::from([127, 0, 0, 1]), |a| a.ip())
    }
}

/// What is running for calls: the engine and, when built in, the TURN server.
#[derive(Debug)]
pub struct RtcServices {
    pub calls: Calls,
    pub turn: Option<reynard_turn::TurnServer>,
    /// Where the built-in TURN server is reached.
    pub turn_addr: Option<SocketAddr>,
    /// The secret TURN credentials are signed with.
    pub turn_secret: String,
    /// Sockets of this process relayed to calls other processes serve.
    pub relay: relay::CallRelay,
}

/// The name of the stored secret the built-in TURN server checks credentials with.
const TURN_SECRET: &str = "turn_shared_secret";

/// Starts the call engine and the TURN server the configuration asks for.
pub async fn start(config: &RtcConfig, listen: IpAddr, store: &reynard_store::Store) -> anyhow::Result<RtcServices> {
    let advertised = config.advertised_ip(listen);
    let bind_ip = if listen.is_unspecified() { listen } else { advertised };
    let summaries = summary::keep_summaries(store.clone());
    let calls =
        Calls::start(SocketAddr::new(bind_ip, config.udp_port), advertised, config.participant_limit, summaries)
            .await?;
    match &config.turn {
        TurnMode::Off => Ok(RtcServices {
            calls,
            turn: None,
            turn_addr: None,
            turn_secret: String::new(),
            relay: relay::CallRelay::default(),
        }),
        TurnMode::External { secret, .. } => Ok(RtcServices {
            calls,
            turn: None,
            turn_addr: None,
            turn_secret: secret.clone(),
            relay: relay::CallRelay::default(),
        }),
        TurnMode::BuiltIn { port } => {
            let secret = store.server_secret(TURN_SECRET, random_secret).await?;
            let turn = reynard_turn::TurnServer::start(reynard_turn::TurnConfig {
                listen: SocketAddr::new(bind_ip, *port),
                relay_ip: advertised,
                realm: "reynard".to_owned(),
                secret: secret.clone().into_bytes(),
            })
            .await
            .map_err(|e| anyhow::anyhow!("cannot start the TURN server on UDP port {port} (--turn-port): {e}"))?;
            let turn_addr = SocketAddr::new(advertised, turn.local_addr().port());
            tracing::info!(%turn_addr, "calls: built-in TURN server");
            Ok(RtcServices {
                calls,
                turn: Some(turn),
                turn_addr: Some(turn_addr),
                turn_secret: secret,
                relay: relay::CallRelay::default(),
            })
        }
    }
}

fn random_secret() -> String {
    use base64::Engine as _;
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::STANDARD_NO_PAD.encode(bytes)
}

fn now_unix() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// The calls' part of `/metrics` (Prometheus text format).
pub fn metrics(stats: &reynard_rtc::sfu::SfuStats) -> String {
    let rows: [(&str, &str, &str, String); 8] = [
        (
            "reynard_call_participants",
            "gauge",
            "Participants in calls on this process.",
            stats.participants.to_string(),
        ),
        (
            "reynard_call_forwarded_streams",
            "gauge",
            "Tracks the SFU sends to subscribers now.",
            stats.forwarded_streams.to_string(),
        ),
        (
            "reynard_call_forwarded_video_streams",
            "gauge",
            "Video tracks the SFU sends to subscribers now.",
            stats.forwarded_video_streams.to_string(),
        ),
        (
            "reynard_call_sent_bytes_total",
            "counter",
            "Bytes the SFU sent to subscribers.",
            stats.forwarded_bytes.to_string(),
        ),
        (
            "reynard_call_received_bytes_total",
            "counter",
            "Bytes the media port received.",
            stats.received_bytes.to_string(),
        ),
        ("reynard_call_layer_switches_total", "counter", "Simulcast layer switches.", stats.layer_switches.to_string()),
        (
            "reynard_call_egress_loss_ratio",
            "gauge",
            "Mean packet loss subscribers report (0-1).",
            stats.egress_loss.to_string(),
        ),
        (
            "reynard_call_ingress_loss_ratio",
            "gauge",
            "Mean packet loss on the way in from publishers (0-1).",
            stats.ingress_loss.to_string(),
        ),
    ];
    let mut text = String::new();
    for (name, kind, help, value) in rows {
        text.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}\n"));
    }
    text
}

/// `GET /api/v1/rtc/ice-servers`: where browsers find STUN and TURN, with
/// credentials for the signed-in user that expire.
pub async fn ice_servers(State(state): State<AppState>, user: CurrentUser) -> ApiResult<Json<IceServers>> {
    let config = &state.config.rtc;
    let now = now_unix();
    let expires_at = now + config.credential_ttl_secs;
    let mut servers = Vec::new();
    let urls = match (&config.turn, state.rtc.turn_addr) {
        (TurnMode::BuiltIn { .. }, Some(addr)) => {
            vec![format!("stun:{addr}"), format!("turn:{addr}?transport=udp")]
        }
        (TurnMode::External { urls, .. }, _) => urls.clone(),
        _ => Vec::new(),
    };
    if !urls.is_empty() {
        let credentials = turn_credentials::mint(
            state.rtc.turn_secret.as_bytes(),
            user.user.id.as_str(),
            now,
            config.credential_ttl_secs,
        );
        servers.push(IceServer {
            urls,
            username: Some(credentials.username),
            credential: Some(credentials.credential),
        });
    }
    let expires_at = i64::try_from(expires_at).unwrap_or(i64::MAX);
    Ok(Json(IceServers { ice_servers: servers, expires_at }))
}

/// `GET /api/v1/rooms/{room}/calls`: the room's last calls, newest first.
pub async fn call_history(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(room): Path<RoomId>,
) -> ApiResult<Json<Vec<CallSummaryView>>> {
    room_access(&state, &room, &user.user.id, Role::can_join_calls, "see calls").await?;
    Ok(Json(state.store.call_summaries(&room, 50).await?))
}
