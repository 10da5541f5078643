//! The selective forwarding unit, sans IO, on `str0m`.
//!
//! Every participant of every call has two `str0m::Rtc` connections on the
//! server's one media port: a **publisher** one that receives what the browser
//! sends (the browser offers, the SFU answers) and a **subscriber** one that
//! sends it what others publish (the SFU offers, the browser answers). The
//! server feeds datagrams in ([`Sfu::receive`]), signaling's requests in
//! ([`Sfu::act`]), and calls [`Sfu::drive`] after each: that lets every
//! connection produce its output, forwards the media frames that arrived to
//! the subscribers of the same call, makes the offers that are due, chooses
//! simulcast layers, and hands datagrams and [`MediaEvent`]s to an
//! [`SfuOutput`].
//!
//! Media is forwarded frame by frame (str0m depacketizes and packetizes), so a
//! layer switch needs no RTP header rewriting beyond keeping the media time
//! running on; switches wait for a keyframe of the new layer, which is asked
//! for at once.

mod layers;
mod participant;
mod speakers;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use reynard_proto::call::{Layer, MediaKind, PeerRole, SubscribedTrack, TrackSource};
use reynard_proto::{ParticipantId, RoomId, TrackId};
use str0m::bwe::{Bitrate, BweKind};
use str0m::change::{SdpAnswer, SdpOffer};
use str0m::media::{Direction, KeyframeRequestKind, MediaData, MediaTime, Mid, Rid};
use str0m::net::Receive;
pub use str0m::net::{Protocol, Transmit};
use str0m::{Candidate, Event, IceConnectionState, Input, Output, Rtc};

pub use self::layers::{Wanted, allocate, layer_for_tile, nominal_bitrate};
use self::participant::{Conn, LayerRate, OutState, OutTrack, Participant, Published};
pub use self::speakers::Speakers;
use crate::media::{MediaAction, MediaEvent, OfferedTrack};

/// How long a participant may stay without ICE before it is dropped (long
/// enough to ride out a network change: the browser restarts ICE).
pub const ICE_GRACE: Duration = Duration::from_secs(30);
/// How often each subscriber's layers are chosen again.
const ALLOCATION_INTERVAL: Duration = Duration::from_millis(500);
/// How often each room's speakers are looked at.
const SPEAKER_INTERVAL: Duration = Duration::from_millis(300);
/// A layer not seen for this long is no longer sent by its publisher.
const LAYER_GONE: Duration = Duration::from_millis(1500);
/// Keyframe requests for one stream at most this often.
const KEYFRAME_INTERVAL: Duration = Duration::from_millis(500);
/// The downlink assumed for a subscriber before its estimate comes in.
const INITIAL_DOWNLINK: u64 = 2_000_000;
/// One video frame at 30 fps on the 90 kHz RTP clock.
const FRAME_90KHZ: u64 = 3000;

/// Where the SFU's datagrams and events go.
pub trait SfuOutput {
    /// Send one datagram.
    fn transmit(&mut self, transmit: &Transmit);
    /// Give an event to the signaling of `room`'s call.
    fn event(&mut self, room: &RoomId, event: MediaEvent);
}

/// How the SFU is reached.
#[derive(Debug, Clone)]
pub struct SfuConfig {
    /// Addresses browsers can reach the media port at (host candidates, UDP).
    pub udp_candidates: Vec<SocketAddr>,
    /// The same for ICE-TCP (passive), when the server accepts TCP there.
    pub tcp_candidates: Vec<SocketAddr>,
}

/// Counters for `/metrics` and call summaries.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SfuStats {
    pub participants: usize,
    /// Tracks being sent to subscribers now.
    pub forwarded_streams: usize,
    pub forwarded_video_streams: usize,
    pub forwarded_bytes: u64,
    pub received_bytes: u64,
    pub layer_switches: u64,
    /// Packets the publishers' RTCP reports say were lost towards subscribers (fraction, mean of the last reports).
    pub egress_loss: f32,
    /// Packets lost on the way in from publishers (fraction, mean of the last reports).
    pub ingress_loss: f32,
}

/// Per-room media bookkeeping.
#[derive(Debug)]
struct RoomMedia {
    members: Vec<ParticipantId>,
    speakers: Speakers,
    next_speaker_check: Instant,
    received_bytes: u64,
    loss_sum: f64,
    loss_samples: u64,
}

/// What a call's media did, for its summary when it ends.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RoomMediaStats {
    pub received_bytes: u64,
    /// Mean reported loss fraction (0..1).
    pub loss: f64,
}

/// The SFU of one server process: every call's media.
#[derive(Debug)]
pub struct Sfu {
    config: SfuConfig,
    participants: HashMap<ParticipantId, Participant>,
    rooms: HashMap<RoomId, RoomMedia>,
    /// Which connection a remote address was last seen on.
    routes: HashMap<(SocketAddr, SocketAddr), (ParticipantId, PeerRole)>,
    events: Vec<(RoomId, MediaEvent)>,
    stats: SfuStats,
    egress_loss: HashMap<ParticipantId, f32>,
    ingress_loss: HashMap<ParticipantId, f32>,
    /// One crypto provider for every connection (aws-lc).
    crypto: std::sync::Arc<str0m::crypto::CryptoProvider>,
}

impl Sfu {
    pub fn new(config: SfuConfig) -> Sfu {
        Sfu {
            config,
            participants: HashMap::new(),
            rooms: HashMap::new(),
            routes: HashMap::new(),
            events: Vec::new(),
            stats: SfuStats::default(),
            egress_loss: HashMap::new(),
            ingress_loss: HashMap::new(),
            crypto: std::sync::Arc::new(str0m::crypto::from_feature_flags()),
        }
    }

    /// Counters as of now.
    pub fn stats(&self) -> SfuStats {
        let mut stats = self.stats;
        stats.participants = self.participants.len();
        let open = self.participants.values().flat_map(|p| &p.out).filter(|o| {
            matches!(o.state, OutState::Open(_)) && (o.kind == MediaKind::Audio || o.current.is_some() || !simulcast(o))
        });
        stats.forwarded_streams = open.clone().count();
        stats.forwarded_video_streams = open.filter(|o| o.kind == MediaKind::Video).count();
        stats.egress_loss = mean(self.egress_loss.values());
        stats.ingress_loss = mean(self.ingress_loss.values());
        stats
    }

    /// What `room`'s media did so far.
    pub fn room_stats(&self, room: &RoomId) -> RoomMediaStats {
        self.rooms.get(room).map_or_else(RoomMediaStats::default, |r| RoomMediaStats {
            received_bytes: r.received_bytes,
            loss: if r.loss_samples == 0 { 0.0 } else { r.loss_sum / r.loss_samples as f64 },
        })
    }

    /// Carries out one request of `room`'s signaling.
    pub fn act(&mut self, now: Instant, room: &RoomId, action: MediaAction) {
        match action {
            MediaAction::AddParticipant { participant, subscribe } => self.add(now, room, participant, subscribe),
            MediaAction::RemoveParticipant { participant } => self.remove(&participant),
            MediaAction::PublishOffer { participant, sdp, tracks } => self.publish(now, &participant, &sdp, tracks),
            MediaAction::SubscribeAnswer { participant, sdp } => self.subscribe_answer(&participant, &sdp),
            MediaAction::RemoteCandidate { participant, peer, candidate } => {
                let Some(p) = self.participants.get_mut(&participant) else { return };
                let Some(conn) = p.conn_mut(peer == PeerRole::Publisher) else { return };
                match Candidate::from_sdp_string(candidate.trim_start_matches("candidate:").trim()) {
                    Ok(candidate) => {
                        conn.rtc.add_remote_candidate(candidate);
                        conn.dirty = true;
                    }
                    Err(err) => tracing::debug!(%err, "a browser's ICE candidate could not be read"),
                }
            }
            MediaAction::RestartSubscriberIce { participant } => {
                if let Some(p) = self.participants.get_mut(&participant) {
                    p.ice_restart = true;
                }
            }
            MediaAction::SetMuted { track, muted } => {
                for p in self.participants.values_mut() {
                    for published in p.published.values_mut().filter(|t| t.id == track) {
                        published.muted = muted;
                    }
                }
            }
            MediaAction::Viewport { participant, tracks } => {
                if let Some(p) = self.participants.get_mut(&participant) {
                    p.viewport = tracks.into_iter().map(|t| (t.track_id, (t.width, t.height))).collect();
                    p.next_allocation = now;
                }
            }
        }
    }

    fn new_rtc(&self, now: Instant, bwe: bool) -> Rtc {
        let mut config = Rtc::builder()
            .set_crypto_provider(self.crypto.clone())
            .set_ice_lite(true)
            .clear_codecs()
            .enable_opus(true)
            .enable_vp8(true);
        config = config.set_stats_interval(Some(Duration::from_secs(2)));
        if bwe {
            config = config.enable_bwe(Some(Bitrate::bps(INITIAL_DOWNLINK)));
        }
        let mut rtc = config.build(now);
        for addr in &self.config.udp_candidates {
            match Candidate::host(*addr, "udp") {
                Ok(c) => {
                    rtc.add_local_candidate(c);
                }
                Err(err) => tracing::warn!(%err, %addr, "not a usable UDP candidate"),
            }
        }
        for addr in &self.config.tcp_candidates {
            match Candidate::builder().tcp().host(*addr).tcptype(str0m::net::TcpType::Passive).build() {
                Ok(c) => {
                    rtc.add_local_candidate(c);
                }
                Err(err) => tracing::warn!(%err, %addr, "not a usable TCP candidate"),
            }
        }
        rtc
    }

    fn add(&mut self, now: Instant, room: &RoomId, id: ParticipantId, subscribe: bool) {
        let publisher = Conn::new(self.new_rtc(now, false), now);
        let subscriber = subscribe.then(|| Conn::new(self.new_rtc(now, true), now));
        let mut participant = Participant {
            room: room.clone(),
            publisher,
            subscriber,
            published: HashMap::new(),
            out: Vec::new(),
            pending: None,
            channel_offered: false,
            ice_restart: false,
            viewport: HashMap::new(),
            downlink: INITIAL_DOWNLINK,
            stream_cap: None,
            next_allocation: now,
        };
        let media = self.rooms.entry(room.clone()).or_insert_with(|| RoomMedia {
            members: Vec::new(),
            speakers: Speakers::default(),
            next_speaker_check: now,
            received_bytes: 0,
            loss_sum: 0.0,
            loss_samples: 0,
        });
        if participant.subscriber.is_some() {
            for other in &media.members {
                let Some(other_p) = self.participants.get(other) else { continue };
                for (mid, published) in &other_p.published {
                    participant.out.push(out_track(other, *mid, published));
                }
            }
        }
        media.members.push(id.clone());
        self.participants.insert(id, participant);
    }

    fn remove(&mut self, id: &ParticipantId) {
        let Some(mut gone) = self.participants.remove(id) else { return };
        gone.publisher.rtc.disconnect();
        if let Some(sub) = gone.subscriber.as_mut() {
            sub.rtc.disconnect();
        }
        self.routes.retain(|_, (p, _)| p != id);
        self.egress_loss.remove(id);
        self.ingress_loss.remove(id);
        if let Some(media) = self.rooms.get_mut(&gone.room) {
            media.members.retain(|m| m != id);
            media.speakers.forget(id);
            if media.members.is_empty() {
                self.rooms.remove(&gone.room);
            }
        }
        for p in self.participants.values_mut() {
            stop_tracks_of(p, |o| o.publisher == *id);
        }
    }

    fn publish(&mut self, now: Instant, id: &ParticipantId, sdp: &str, tracks: Vec<OfferedTrack>) {
        let Some(p) = self.participants.get_mut(id) else { return };
        let room = p.room.clone();
        let offer = match SdpOffer::from_sdp_string(sdp) {
            Ok(offer) => offer,
            Err(err) => {
                self.events.push((room, failed(id, PeerRole::Publisher, format!("not an SDP offer: {err}"))));
                return;
            }
        };
        let answer = match p.publisher.rtc.sdp_api().accept_offer(offer) {
            Ok(answer) => answer,
            Err(err) => {
                self.events.push((room, failed(id, PeerRole::Publisher, format!("the offer was refused: {err}"))));
                return;
            }
        };
        p.publisher.dirty = true;
        // The tracks published now are exactly the offered ones.
        let offered: HashMap<Mid, OfferedTrack> = tracks.into_iter().map(|t| (Mid::from(t.mid.as_str()), t)).collect();
        let removed: Vec<TrackId> =
            p.published.iter().filter(|(mid, _)| !offered.contains_key(mid)).map(|(_, t)| t.id.clone()).collect();
        p.published.retain(|mid, _| offered.contains_key(mid));
        let mut added = Vec::new();
        for (mid, track) in offered {
            match p.published.get_mut(&mid) {
                Some(existing) if existing.id == track.id => existing.muted = track.muted,
                _ => {
                    let published = Published {
                        id: track.id,
                        kind: track.source.kind(),
                        source: track.source,
                        muted: track.muted,
                        layers: HashMap::new(),
                        last_keyframe_request: HashMap::new(),
                    };
                    added.push((mid, published.id.clone(), published.kind, published.source));
                    p.published.insert(mid, published);
                }
            }
        }
        self.events
            .push((room.clone(), MediaEvent::PublishAnswer { participant: id.clone(), sdp: answer.to_sdp_string() }));
        let members = self.rooms.get(&room).map(|r| r.members.clone()).unwrap_or_default();
        for member in members.iter().filter(|m| *m != id) {
            let Some(other) = self.participants.get_mut(member) else { continue };
            if other.subscriber.is_none() {
                continue;
            }
            stop_tracks_of(other, |o| removed.contains(&o.track));
            for (mid, track, kind, source) in &added {
                other.out.retain(|o| o.track != *track || !matches!(o.state, OutState::ToOpen));
                other.out.push(OutTrack {
                    track: track.clone(),
                    publisher: id.clone(),
                    publisher_mid: *mid,
                    kind: *kind,
                    source: *source,
                    state: OutState::ToOpen,
                    target: None,
                    current: None,
                    time_offset: 0,
                    last_time: None,
                });
                other.next_allocation = now;
            }
        }
    }

    fn subscribe_answer(&mut self, id: &ParticipantId, sdp: &str) {
        let Some(p) = self.participants.get_mut(id) else { return };
        let room = p.room.clone();
        let (Some(sub), Some(pending)) = (p.subscriber.as_mut(), p.pending.take()) else {
            self.events.push((room, failed(id, PeerRole::Subscriber, "no offer is waiting for an answer".to_owned())));
            return;
        };
        let answer = match SdpAnswer::from_sdp_string(sdp) {
            Ok(answer) => answer,
            Err(err) => {
                p.pending = Some(pending);
                self.events.push((room, failed(id, PeerRole::Subscriber, format!("not an SDP answer: {err}"))));
                return;
            }
        };
        if let Err(err) = sub.rtc.sdp_api().accept_answer(pending, answer) {
            // The offer is spent: offer what it held again.
            for o in &mut p.out {
                o.state = match o.state {
                    OutState::Negotiating(_) => OutState::ToOpen,
                    OutState::Stopping(m) => OutState::ToStop(m),
                    other => other,
                };
            }
            self.events.push((room, failed(id, PeerRole::Subscriber, format!("the answer was refused: {err}"))));
            return;
        }
        sub.dirty = true;
        p.stream_cap = declared_stream_cap(sdp);
        p.next_allocation = Instant::now();
        for o in &mut p.out {
            if let OutState::Negotiating(m) = o.state {
                o.state = OutState::Open(m);
            }
        }
        p.out.retain(|o| !matches!(o.state, OutState::Stopping(_)));
    }

    /// Hands a datagram that arrived on the media port to the connection it
    /// belongs to. False when none does.
    pub fn receive(
        &mut self,
        now: Instant,
        proto: Protocol,
        source: SocketAddr,
        destination: SocketAddr,
        data: &[u8],
    ) -> bool {
        let Ok(contents) = data.try_into() else { return false };
        let input = Input::Receive(now, Receive { proto, source, destination, contents });
        let route = self.routes.get(&(source, destination)).cloned();
        let found = route
            .filter(|(id, role)| {
                self.participants
                    .get_mut(id)
                    .and_then(|p| p.conn_mut(*role == PeerRole::Publisher))
                    .is_some_and(|c| c.rtc.accepts(&input))
            })
            .or_else(|| {
                self.participants.iter_mut().find_map(|(id, p)| {
                    if p.publisher.rtc.accepts(&input) {
                        Some((id.clone(), PeerRole::Publisher))
                    } else if p.subscriber.as_ref().is_some_and(|s| s.rtc.accepts(&input)) {
                        Some((id.clone(), PeerRole::Subscriber))
                    } else {
                        None
                    }
                })
            });
        let Some((id, role)) = found else { return false };
        self.routes.insert((source, destination), (id.clone(), role));
        let Some(p) = self.participants.get_mut(&id) else { return false };
        if role == PeerRole::Publisher
            && let Some(media) = self.rooms.get_mut(&p.room)
        {
            media.received_bytes += data.len() as u64;
        }
        self.stats.received_bytes += data.len() as u64;
        let Some(conn) = p.conn_mut(role == PeerRole::Publisher) else { return false };
        if let Err(err) = conn.rtc.handle_input(input) {
            tracing::debug!(%err, participant = %id, "a media datagram was refused");
        }
        conn.dirty = true;
        true
    }

    /// Runs everything that is due at `now`, sending what comes out to `out`.
    /// Returns when to call again at the latest.
    pub fn drive(&mut self, now: Instant, out: &mut impl SfuOutput) -> Instant {
        // Connections whose clock ran out.
        for p in self.participants.values_mut() {
            for conn in std::iter::once(&mut p.publisher).chain(p.subscriber.as_mut()) {
                if conn.timeout <= now {
                    if let Err(err) = conn.rtc.handle_input(Input::Timeout(now)) {
                        tracing::debug!(%err, "a media connection failed on its timer");
                    }
                    conn.dirty = true;
                }
            }
        }
        self.negotiate();
        // Poll until no connection has anything new: forwarding media makes
        // subscriber connections dirty again.
        let mut frames: Vec<(ParticipantId, MediaData)> = Vec::new();
        let mut keyframe_requests: Vec<(TrackId, Option<Layer>)> = Vec::new();
        loop {
            let mut any = false;
            let ids: Vec<ParticipantId> = self
                .participants
                .iter()
                .filter(|(_, p)| p.publisher.dirty || p.subscriber.as_ref().is_some_and(|s| s.dirty))
                .map(|(id, _)| id.clone())
                .collect();
            for id in ids {
                any = true;
                self.poll_participant(now, &id, out, &mut frames, &mut keyframe_requests);
            }
            for (publisher, data) in frames.drain(..) {
                self.forward(now, &publisher, &data);
            }
            for (track, layer) in keyframe_requests.drain(..) {
                self.request_keyframe(now, &track, layer);
            }
            if !any {
                break;
            }
        }
        self.allocate_layers(now);
        self.check_speakers(now);
        self.drop_lost(now);
        for (room, event) in self.events.drain(..) {
            out.event(&room, event);
        }
        let mut next = now + Duration::from_millis(100);
        for p in self.participants.values() {
            next = next.min(p.publisher.timeout).min(p.next_allocation);
            if let Some(s) = &p.subscriber {
                next = next.min(s.timeout);
            }
        }
        next.max(now)
    }

    fn poll_participant(
        &mut self,
        now: Instant,
        id: &ParticipantId,
        out: &mut impl SfuOutput,
        frames: &mut Vec<(ParticipantId, MediaData)>,
        keyframe_requests: &mut Vec<(TrackId, Option<Layer>)>,
    ) {
        let Some(p) = self.participants.get_mut(id) else { return };
        let room = p.room.clone();
        let Participant { publisher: publisher_conn, subscriber, published, out: out_tracks, downlink, .. } = p;
        for publisher in [true, false] {
            let conn = if publisher {
                &mut *publisher_conn
            } else if let Some(s) = subscriber.as_mut() {
                s
            } else {
                continue;
            };
            if !conn.dirty {
                continue;
            }
            conn.dirty = false;
            loop {
                if !conn.rtc.is_alive() {
                    conn.timeout = now + Duration::from_secs(1);
                    break;
                }
                let output = match conn.rtc.poll_output() {
                    Ok(output) => output,
                    Err(err) => {
                        tracing::debug!(%err, participant = %id, "a media connection failed");
                        conn.rtc.disconnect();
                        break;
                    }
                };
                match output {
                    Output::Timeout(t) => {
                        conn.timeout = t;
                        break;
                    }
                    Output::Transmit(transmit) => {
                        if !publisher {
                            self.stats.forwarded_bytes += transmit.contents.len() as u64;
                        }
                        out.transmit(&transmit);
                    }
                    Output::Event(event) => match event {
                        Event::IceConnectionStateChange(state) => match state {
                            IceConnectionState::Disconnected => {
                                conn.disconnected_since.get_or_insert(now);
                            }
                            IceConnectionState::Connected | IceConnectionState::Completed => {
                                conn.disconnected_since = None;
                                conn.connected = true;
                            }
                            _ => {}
                        },
                        Event::MediaData(data) if publisher => {
                            if let Some(published) = published.get_mut(&data.mid) {
                                if let Some(layer) = data.rid.as_ref().and_then(|r| Layer::from_rid(r)) {
                                    published
                                        .layers
                                        .entry(layer)
                                        .or_insert_with(|| LayerRate::new(now))
                                        .add(now, data.data.len());
                                }
                                if published.kind == MediaKind::Audio
                                    && let Some(level) = data.ext_vals.audio_level
                                    && let Some(media) = self.rooms.get_mut(&room)
                                {
                                    media.speakers.heard(now, id, level);
                                }
                                if !published.muted {
                                    frames.push((id.clone(), data));
                                }
                            }
                        }
                        Event::KeyframeRequest(request) if !publisher => {
                            if let Some(o) = out_tracks.iter().find(|o| o.state.mid() == Some(request.mid)) {
                                keyframe_requests.push((o.track.clone(), o.current.or(o.target)));
                            }
                        }
                        Event::EgressBitrateEstimate(BweKind::Twcc(estimate)) if !publisher => {
                            *downlink = estimate.as_u64();
                        }
                        Event::MediaEgressStats(stats) => {
                            if let Some(loss) = stats.loss {
                                self.egress_loss.insert(id.clone(), loss);
                                if let Some(media) = self.rooms.get_mut(&room) {
                                    media.loss_sum += f64::from(loss);
                                    media.loss_samples += 1;
                                }
                            }
                        }
                        Event::PeerStats(stats) if publisher => {
                            if let Some(loss) = stats.ingress_loss_fraction {
                                self.ingress_loss.insert(id.clone(), loss);
                            }
                        }
                        _ => {}
                    },
                }
            }
        }
    }

    /// Sends one frame a publisher sent to every subscriber of its call that
    /// receives that track at that layer.
    fn forward(&mut self, now: Instant, publisher: &ParticipantId, data: &MediaData) {
        // Runs for every frame: the room's member list is borrowed out and put
        // back rather than cloned.
        let Some(members) = self
            .participants
            .get(publisher)
            .and_then(|p| self.rooms.get_mut(&p.room))
            .map(|media| std::mem::take(&mut media.members))
        else {
            return;
        };
        let layer = data.rid.as_ref().and_then(|r| Layer::from_rid(r));
        let mut switched = Vec::new();
        let mut wanted_keyframes = Vec::new();
        for member in members.iter().filter(|m| *m != publisher) {
            let Some(p) = self.participants.get_mut(member) else { continue };
            let Some(sub) = p.subscriber.as_mut() else { continue };
            let Some(o) = p.out.iter_mut().find(|o| o.publisher == *publisher && o.publisher_mid == data.mid) else {
                continue;
            };
            let OutState::Open(mid) = o.state else { continue };
            if layer.is_some() {
                if o.target.is_none() {
                    continue;
                }
                if o.current != layer {
                    if o.target != layer {
                        continue;
                    }
                    if !data.is_keyframe() {
                        wanted_keyframes.push((o.track.clone(), o.target));
                        continue;
                    }
                    // Switch: keep the media time running on from the last frame sent.
                    let incoming = data.time.numer();
                    o.time_offset = o.last_time.map_or(0, |last| last.wrapping_add(FRAME_90KHZ).wrapping_sub(incoming));
                    o.current = layer;
                    switched.push((member.clone(), o.track.clone(), layer));
                }
            }
            let Some(writer) = sub.rtc.writer(mid) else { continue };
            let Some(pt) = writer.match_params(data.params) else { continue };
            let time = data.time.numer().wrapping_add(o.time_offset);
            o.last_time = Some(time);
            let mut writer = writer;
            if let Some(level) = data.ext_vals.audio_level {
                writer = writer.audio_level(level, data.ext_vals.voice_activity.unwrap_or(false));
            }
            if let Err(err) =
                writer.write(pt, data.network_time, MediaTime::new(time, data.time.frequency()), data.data.clone())
            {
                tracing::debug!(%err, subscriber = %member, "a frame could not be forwarded");
            }
            sub.dirty = true;
        }
        let Some(room) = self.participants.get(publisher).map(|p| &p.room) else { return };
        if let Some(media) = self.rooms.get_mut(room) {
            media.members = members;
        }
        for (member, track, layer) in switched {
            if let Some(layer) = layer {
                self.stats.layer_switches += 1;
                self.events.push((room.clone(), MediaEvent::LayerChanged { participant: member, track, layer }));
            }
        }
        for (track, layer) in wanted_keyframes {
            self.request_keyframe(now, &track, layer);
        }
    }

    /// Asks the publisher of `track` for a keyframe of `layer` (throttled).
    fn request_keyframe(&mut self, now: Instant, track: &TrackId, layer: Option<Layer>) {
        for p in self.participants.values_mut() {
            let Some(mid) = p.published.iter().find(|(_, t)| t.id == *track).map(|(mid, _)| *mid) else { continue };
            let rid = layer.map(|l| Rid::from(l.rid()));
            let Some(published) = p.published.get_mut(&mid) else { return };
            let simulcast = !published.layers.is_empty();
            let key = if simulcast { rid } else { None };
            if published
                .last_keyframe_request
                .get(&key)
                .is_some_and(|t| now.saturating_duration_since(*t) < KEYFRAME_INTERVAL)
            {
                return;
            }
            published.last_keyframe_request.insert(key, now);
            if let Some(mut writer) = p.publisher.rtc.writer(mid) {
                if let Err(err) = writer.request_keyframe(key, KeyframeRequestKind::Pli) {
                    tracing::debug!(%err, "a keyframe request could not be sent");
                }
                p.publisher.dirty = true;
            }
            return;
        }
    }

    /// Makes the subscriber offers that are due.
    fn negotiate(&mut self) {
        let due: Vec<ParticipantId> =
            self.participants.iter().filter(|(_, p)| p.wants_offer()).map(|(id, _)| id.clone()).collect();
        for id in due {
            let Some(p) = self.participants.get_mut(&id) else { continue };
            let room = p.room.clone();
            let Some(sub) = p.subscriber.as_mut() else { continue };
            let mut api = sub.rtc.sdp_api();
            if !p.channel_offered {
                api.add_channel("reynard".to_owned());
            }
            if p.ice_restart {
                api.ice_restart(true);
            }
            for o in &mut p.out {
                match o.state {
                    OutState::ToOpen => {
                        let direction = Direction::SendOnly;
                        let kind = match o.kind {
                            MediaKind::Audio => str0m::media::MediaKind::Audio,
                            MediaKind::Video => str0m::media::MediaKind::Video,
                        };
                        let mid = api.add_media(
                            kind,
                            direction,
                            Some(o.publisher.to_string()),
                            Some(o.track.to_string()),
                            None,
                        );
                        o.state = OutState::Negotiating(mid);
                    }
                    OutState::ToStop(mid) => {
                        api.stop_media(mid);
                        o.state = OutState::Stopping(mid);
                    }
                    _ => {}
                }
            }
            let Some((offer, pending)) = api.apply() else {
                p.channel_offered = true;
                p.ice_restart = false;
                continue;
            };
            p.pending = Some(pending);
            p.channel_offered = true;
            p.ice_restart = false;
            sub.dirty = true;
            let tracks = p
                .out
                .iter()
                .filter_map(|o| match o.state {
                    OutState::Negotiating(mid) | OutState::Open(mid) => Some(SubscribedTrack {
                        mid: mid.to_string(),
                        track_id: o.track.clone(),
                        participant_id: o.publisher.clone(),
                        kind: o.kind,
                        source: o.source,
                    }),
                    _ => None,
                })
                .collect();
            self.events
                .push((room, MediaEvent::SubscribeOffer { participant: id, sdp: offer.to_sdp_string(), tracks }));
        }
    }

    /// Chooses again the layer each subscriber gets of each simulcast track,
    /// for those whose turn it is.
    fn allocate_layers(&mut self, now: Instant) {
        let due: Vec<ParticipantId> =
            self.participants.iter().filter(|(_, p)| p.next_allocation <= now).map(|(id, _)| id.clone()).collect();
        let mut keyframes = Vec::new();
        for id in due {
            let Some(p) = self.participants.get(&id) else { continue };
            let recent: Vec<ParticipantId> =
                self.rooms.get(&p.room).map(|r| r.speakers.recent().to_vec()).unwrap_or_default();
            let video_publishers = self
                .rooms
                .get(&p.room)
                .map(|r| {
                    r.members
                        .iter()
                        .filter(|m| {
                            self.participants
                                .get(*m)
                                .is_some_and(|o| o.published.values().any(|t| t.kind == MediaKind::Video))
                        })
                        .count()
                })
                .unwrap_or(0);
            let large = video_publishers > layers::LARGE_ROOM;
            let mut indices = Vec::new();
            let mut wanted = Vec::new();
            let mut fixed_rate = 0u64;
            for (i, o) in p.out.iter().enumerate() {
                if o.kind != MediaKind::Video {
                    continue;
                }
                let Some(publisher) = self.participants.get(&o.publisher) else { continue };
                let Some(published) = publisher.published.get(&o.publisher_mid) else { continue };
                if published.layers.is_empty() {
                    // Not simulcast: forwarded as it is.
                    fixed_rate += 500_000;
                    continue;
                }
                let available: Vec<(Layer, u64)> = published
                    .layers
                    .iter()
                    .filter(|(_, rate)| now.saturating_duration_since(rate.last_seen) < LAYER_GONE)
                    .map(|(layer, rate)| {
                        (*layer, if rate.bitrate > 0 { rate.bitrate } else { nominal_bitrate(*layer) })
                    })
                    .collect();
                let speaker_rank = recent.iter().position(|s| *s == o.publisher);
                let may_go_high = !large || speaker_rank.is_some_and(|r| r < layers::HIGH_LAYER_SPEAKERS);
                let tile_height = p.viewport.get(&o.track).map(|(_, h)| *h);
                indices.push(i);
                wanted.push(Wanted { tile_height, available, may_go_high, stream_cap: p.stream_cap });
            }
            let budget = p.downlink.saturating_sub(fixed_rate);
            let chosen = allocate(&wanted, budget);
            let desired: u64 = wanted
                .iter()
                .zip(&chosen)
                .map(|(w, c)| c.map_or(0, |_| w.available.iter().map(|(_, r)| *r).max().unwrap_or(0)))
                .sum::<u64>()
                + fixed_rate;
            let current: u64 = wanted
                .iter()
                .zip(&chosen)
                .map(|(w, c)| c.and_then(|c| w.available.iter().find(|(l, _)| *l == c).map(|(_, r)| *r)).unwrap_or(0))
                .sum::<u64>()
                + fixed_rate;
            let Some(p) = self.participants.get_mut(&id) else { continue };
            for (i, layer) in indices.into_iter().zip(chosen) {
                let o = &mut p.out[i];
                if o.target != layer {
                    o.target = layer;
                    if layer.is_some() && o.current != layer {
                        keyframes.push((o.track.clone(), layer));
                    }
                    if layer.is_none() {
                        o.current = None;
                    }
                }
            }
            if let Some(sub) = p.subscriber.as_mut() {
                // Probe towards what the tiles could use, above what is sent now.
                sub.rtc.bwe().set_desired_bitrate(Bitrate::bps(desired.max(current).max(300_000)));
            }
            p.next_allocation = now + ALLOCATION_INTERVAL;
        }
        for (track, layer) in keyframes {
            self.request_keyframe(now, &track, layer);
        }
    }

    fn check_speakers(&mut self, now: Instant) {
        for (room, media) in &mut self.rooms {
            if media.next_speaker_check > now {
                continue;
            }
            media.next_speaker_check = now + SPEAKER_INTERVAL;
            if let Some(participants) = media.speakers.changed(now) {
                self.events.push((room.clone(), MediaEvent::ActiveSpeakers { participants }));
            }
        }
    }

    /// Participants without ICE for longer than the grace period, or whose
    /// connections are dead, are reported lost (signaling removes them).
    fn drop_lost(&mut self, now: Instant) {
        let lost: Vec<(ParticipantId, RoomId)> = self
            .participants
            .iter()
            .filter(|(_, p)| {
                let gone =
                    |c: &Conn| c.disconnected_since.is_some_and(|t| now.saturating_duration_since(t) > ICE_GRACE);
                gone(&p.publisher) || p.subscriber.as_ref().is_some_and(gone)
            })
            .map(|(id, p)| (id.clone(), p.room.clone()))
            .collect();
        for (id, room) in lost {
            if let Some(p) = self.participants.get_mut(&id) {
                // Reported once: the grace clock starts over until signaling removes it.
                p.publisher.disconnected_since = None;
                if let Some(s) = p.subscriber.as_mut() {
                    s.disconnected_since = None;
                }
            }
            self.events.push((room, MediaEvent::ConnectionLost { participant: id }));
        }
    }
}

fn out_track(publisher: &ParticipantId, mid: Mid, published: &Published) -> OutTrack {
    OutTrack {
        track: published.id.clone(),
        publisher: publisher.clone(),
        publisher_mid: mid,
        kind: published.kind,
        source: published.source,
        state: OutState::ToOpen,
        target: None,
        current: None,
        time_offset: 0,
        last_time: None,
    }
}

/// Marks the received tracks `which` selects for removal.
fn stop_tracks_of(p: &mut Participant, which: impl Fn(&OutTrack) -> bool) {
    p.out.retain(|o| !(which(o) && o.state == OutState::ToOpen));
    for o in p.out.iter_mut().filter(|o| which(o)) {
        o.state = match o.state {
            OutState::Open(m) | OutState::Negotiating(m) => OutState::ToStop(m),
            other => other,
        };
        o.target = None;
    }
}

/// The most a receiver takes per video stream, as its SDP declares it
/// (RFC 3556 `b=AS` in kbps, RFC 3890 `b=TIAS` in bps, per media section):
/// the smallest over its video sections in use (port not 0). `None` when it
/// declares none.
pub fn declared_stream_cap(sdp: &str) -> Option<u64> {
    let mut in_video = false;
    let mut cap = None::<u64>;
    for line in sdp.lines().map(str::trim) {
        if let Some(media) = line.strip_prefix("m=") {
            let mut words = media.split_whitespace();
            in_video = words.next() == Some("video") && words.next().is_some_and(|port| port != "0");
            continue;
        }
        if !in_video {
            continue;
        }
        let bps = if let Some(kbps) = line.strip_prefix("b=AS:") {
            kbps.trim().parse::<u64>().ok().map(|k| k.saturating_mul(1000))
        } else if let Some(bps) = line.strip_prefix("b=TIAS:") {
            bps.trim().parse::<u64>().ok()
        } else {
            None
        };
        if let Some(bps) = bps {
            cap = Some(cap.map_or(bps, |c: u64| c.min(bps)));
        }
    }
    cap
}

fn simulcast(o: &OutTrack) -> bool {
    o.kind == MediaKind::Video && o.source == TrackSource::Camera
}

fn failed(participant: &ParticipantId, peer: PeerRole, message: String) -> MediaEvent {
    MediaEvent::NegotiationFailed { participant: participant.clone(), peer, message }
}

fn mean<'a>(values: impl Iterator<Item = &'a f32>) -> f32 {
    let (sum, n) = values.fold((0.0f32, 0u32), |(s, n), v| (s + v, n + 1));
    if n == 0 { 0.0 } else { sum / n as f32 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receivers_declare_a_cap_per_video_stream() {
        let sdp = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\nb=AS:64\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\nb=AS:200\r\n\
                   m=video 9 UDP/TLS/RTP/SAVPF 96\r\nb=TIAS:150000\r\nm=video 0 UDP/TLS/RTP/SAVPF 96\r\nb=AS:10\r\n";
        // The smallest of the video sections in use; a stopped section (port 0) does not count.
        assert_eq!(declared_stream_cap(sdp), Some(150_000));
        assert_eq!(declared_stream_cap("v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n"), None);
        assert_eq!(declared_stream_cap("m=video 9 x\r\nb=AS:lots\r\n"), None);
    }
}
