//! One participant's media state in the SFU: its publisher and subscriber
//! connections (`str0m::Rtc` each), the tracks it publishes, and the tracks it
//! receives with their negotiation state and simulcast layer.

use std::collections::HashMap;
use std::time::Instant;

use reynard_proto::call::{Layer, MediaKind, TrackSource};
use reynard_proto::{ParticipantId, RoomId, TrackId};
use str0m::Rtc;
use str0m::change::SdpPendingOffer;
use str0m::media::{Mid, Rid};

/// One `str0m` connection and when it next needs the clock.
#[derive(Debug)]
pub(super) struct Conn {
    pub rtc: Rtc,
    pub timeout: Instant,
    /// Has input or writes that may have produced output.
    pub dirty: bool,
    /// Since when ICE has been disconnected, if it is.
    pub disconnected_since: Option<Instant>,
    pub connected: bool,
}

impl Conn {
    pub fn new(rtc: Rtc, now: Instant) -> Conn {
        Conn { rtc, timeout: now, dirty: true, disconnected_since: None, connected: false }
    }
}

/// A track this participant publishes.
#[derive(Debug)]
pub(super) struct Published {
    pub id: TrackId,
    pub kind: MediaKind,
    pub source: TrackSource,
    pub muted: bool,
    /// Simulcast layers seen lately: when each last arrived and its measured
    /// bitrate (bits per second over the last second).
    pub layers: HashMap<Layer, LayerRate>,
    pub last_keyframe_request: HashMap<Option<Rid>, Instant>,
}

/// The recent arrival rate of one layer.
#[derive(Debug, Clone, Copy)]
pub(super) struct LayerRate {
    pub last_seen: Instant,
    pub window_start: Instant,
    pub window_bytes: u64,
    pub bitrate: u64,
}

impl LayerRate {
    pub fn new(now: Instant) -> LayerRate {
        LayerRate { last_seen: now, window_start: now, window_bytes: 0, bitrate: 0 }
    }

    pub fn add(&mut self, now: Instant, bytes: usize) {
        self.last_seen = now;
        self.window_bytes += bytes as u64;
        let elapsed = now.saturating_duration_since(self.window_start);
        if elapsed.as_millis() >= 1000 {
            self.bitrate = self.window_bytes * 8 * 1000 / elapsed.as_millis().max(1) as u64;
            self.window_start = now;
            self.window_bytes = 0;
        }
    }
}

/// Where a received track is in the subscriber connection's negotiation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum OutState {
    /// Needs an m-line in the next offer.
    ToOpen,
    /// Offered, answer pending.
    Negotiating(Mid),
    Open(Mid),
    /// Its m-line is to be stopped in the next offer.
    ToStop(Mid),
    /// Stop offered, answer pending.
    Stopping(Mid),
}

impl OutState {
    pub fn mid(self) -> Option<Mid> {
        match self {
            OutState::ToOpen => None,
            OutState::Negotiating(m) | OutState::Open(m) | OutState::ToStop(m) | OutState::Stopping(m) => Some(m),
        }
    }
}

/// A track this participant receives.
#[derive(Debug)]
pub(super) struct OutTrack {
    pub track: TrackId,
    pub publisher: ParticipantId,
    pub publisher_mid: Mid,
    pub kind: MediaKind,
    pub source: TrackSource,
    pub state: OutState,
    /// The layer the allocator wants (simulcast video only); `None` pauses it.
    pub target: Option<Layer>,
    /// The layer forwarded now.
    pub current: Option<Layer>,
    /// Added to the publisher's RTP time so a layer switch keeps time running on.
    pub time_offset: u64,
    pub last_time: Option<u64>,
}

/// A participant of a call.
#[derive(Debug)]
pub(super) struct Participant {
    pub room: RoomId,
    pub publisher: Conn,
    pub subscriber: Option<Conn>,
    pub published: HashMap<Mid, Published>,
    pub out: Vec<OutTrack>,
    /// The subscriber offer waiting for its answer.
    pub pending: Option<SdpPendingOffer>,
    /// The data channel that brings the subscriber connection up was offered.
    pub channel_offered: bool,
    pub ice_restart: bool,
    /// Tile sizes the participant reported, by track.
    pub viewport: HashMap<TrackId, (u32, u32)>,
    /// The estimated downlink towards the participant (bits per second).
    pub downlink: u64,
    /// The most the participant said it takes per video stream (`b=AS`/`b=TIAS`
    /// in its subscriber answer: a data-saving browser, a metered link).
    pub stream_cap: Option<u64>,
    pub next_allocation: Instant,
}

impl Participant {
    /// The connection a role names.
    pub fn conn_mut(&mut self, publisher: bool) -> Option<&mut Conn> {
        if publisher { Some(&mut self.publisher) } else { self.subscriber.as_mut() }
    }

    /// Whether an offer for the subscriber connection is due.
    pub fn wants_offer(&self) -> bool {
        self.subscriber.is_some()
            && self.pending.is_none()
            && (!self.channel_offered
                || self.ice_restart
                || self.out.iter().any(|o| matches!(o.state, OutState::ToOpen | OutState::ToStop(_))))
    }
}
