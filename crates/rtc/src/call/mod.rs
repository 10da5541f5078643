//! The signaling state machine of one room's call: who is in it with which
//! grants, what each participant publishes and whether it is muted, the
//! moderators' decisions, and the participant limit.
//!
//! The server feeds it what happens — a socket opens ([`Call::join`]), a frame
//! arrives ([`Call::command`]), a socket closes, a workspace role changes, the
//! SFU reports something ([`Call::media`]) — and carries out the [`Effect`]s it
//! returns, in order: frames to queue on participants' sockets, sockets to
//! close, and [`MediaAction`]s for the SFU.
//!
//! One invariant holds between calls: every unmuted track is of a source its
//! participant's grants allow. Offers with a source that is not allowed are
//! refused, so is unmuting one, and when grants shrink (a moderator stops
//! viewers publishing, a role changes) the tracks they no longer allow are
//! muted at once and the participant is told to mute them locally
//! (`muted_by_moderator`). They stay published, muted, until the browser
//! renegotiates without them: only the browser makes offers on its publisher
//! connection.
//!
//! # Layout
//! - this file: [`Call`] and what goes in and out of it.
//! - `participant`: one participation ([`Participant`]), and how everyone
//!   sees it.
//! - `checks`: bounds on what browsers send (tracks per offer, candidate
//!   length, viewport reports), their limits re-exported here.

mod checks;
mod participant;
#[cfg(test)]
mod tests;

use std::fmt;

use reynard_proto::call::{
    CallCommand, CallEvent, LeaveReason, ParticipantView, PeerRole, PublishedTrack, TrackSource,
};
use reynard_proto::{ParticipantId, Role, RoomId, UserId};

pub use checks::{MAX_CANDIDATE_BYTES, MAX_MID_BYTES, MAX_TRACKS, MAX_VIEWPORT_SIZE, MAX_VIEWPORT_TRACKS};
pub use participant::Participant;
use participant::{source_name, track_id};

use crate::grants::grants_for;
use crate::media::{MediaAction, MediaEvent, OfferedTrack};

/// What a call is set up with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallConfig {
    pub room: RoomId,
    /// Most participants in the call at once.
    pub limit: u32,
}

/// Someone opening the call socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Joining {
    /// Made by the server, unique per socket.
    pub participant: ParticipantId,
    pub user: UserId,
    /// The display name others see.
    pub name: String,
    /// The user's workspace role now.
    pub role: Role,
}

/// Why a join was refused. Its [`Display`](fmt::Display) is the reason of the
/// socket's 1008 close, starting with [`Refusal::code`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// `limit` participants are already in.
    Full { limit: u32 },
    /// The role's grants lack `join`.
    NotAllowed,
    /// A participant with this id is already in the call (the server reused an id).
    AlreadyJoined,
}

impl Refusal {
    /// The machine-readable part of the close reason.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::Full { .. } => "call_full",
            Refusal::NotAllowed => "not_allowed",
            Refusal::AlreadyJoined => "already_joined",
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Full { limit } => {
                write!(f, "{}: the call already has {limit} participants, its limit", self.code())
            }
            Refusal::NotAllowed => write!(f, "{}: your role cannot join this call", self.code()),
            Refusal::AlreadyJoined => write!(f, "{}: this participant is already in the call", self.code()),
        }
    }
}

impl std::error::Error for Refusal {}

/// What the server must do, in the order given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Queue a frame for one participant's socket.
    Send(ParticipantId, CallEvent),
    /// Close that participant's socket (a `Left` event was queued before it).
    Close(ParticipantId, LeaveReason),
    /// Ask the SFU.
    Media(MediaAction),
}

/// What the server keeps of a call once it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CallStats {
    /// When the first participant joined (milliseconds since the Unix
    /// epoch); `None` while no one ever joined.
    pub started_at_ms: Option<i64>,
    /// Most participants in the call at once.
    pub peak_participants: u32,
    /// Joins over the call's life (a user rejoining counts again).
    pub total_joins: u32,
}

/// One room's call.
#[derive(Debug)]
pub struct Call {
    config: CallConfig,
    /// In join order.
    participants: Vec<Participant>,
    viewers_may_publish: bool,
    /// The active speakers last sent.
    speakers: Vec<ParticipantId>,
    stats: CallStats,
}

impl Call {
    /// A call no one is in; viewers may not publish.
    pub fn new(config: CallConfig) -> Call {
        Call {
            config,
            participants: Vec::new(),
            viewers_may_publish: false,
            speakers: Vec::new(),
            stats: CallStats::default(),
        }
    }

    /// Someone opened the call socket. `now_ms`: milliseconds since the Unix
    /// epoch (for `joined_at`).
    pub fn join(&mut self, now_ms: i64, joining: Joining) -> Result<Vec<Effect>, Refusal> {
        let grants = grants_for(joining.role, self.viewers_may_publish);
        if !grants.join {
            return Err(Refusal::NotAllowed);
        }
        if self.index_of(&joining.participant).is_some() {
            return Err(Refusal::AlreadyJoined);
        }
        let limit = self.config.limit;
        if self.participants.len() >= usize::try_from(limit).unwrap_or(usize::MAX) {
            return Err(Refusal::Full { limit });
        }
        let participant = Participant {
            id: joining.participant,
            user: joining.user,
            name: joining.name,
            role: joining.role,
            grants,
            joined_at: now_ms,
            tracks: Vec::new(),
            before_offer: None,
        };
        let id = participant.id.clone();
        let view = participant.view();
        self.participants.push(participant);

        self.stats.started_at_ms.get_or_insert(now_ms);
        let count = u32::try_from(self.participants.len()).unwrap_or(u32::MAX);
        self.stats.peak_participants = self.stats.peak_participants.max(count);
        self.stats.total_joins = self.stats.total_joins.saturating_add(1);

        let mut effects = vec![
            Effect::Media(MediaAction::AddParticipant { participant: id.clone(), subscribe: grants.subscribe }),
            Effect::Send(
                id.clone(),
                CallEvent::Joined {
                    participant_id: id.clone(),
                    room_id: self.config.room.clone(),
                    grants,
                    participants: self.participants(),
                    limit,
                },
            ),
        ];
        self.send_to_all_but(&id, &CallEvent::ParticipantJoined { participant: view }, &mut effects);
        Ok(effects)
    }

    /// A frame from a participant's socket. Frames from participants no longer
    /// in the call do nothing.
    pub fn command(&mut self, from: &ParticipantId, command: CallCommand) -> Vec<Effect> {
        let Some(index) = self.index_of(from) else {
            return Vec::new();
        };
        let participant = from.clone();
        match command {
            CallCommand::PublishOffer { sdp, tracks } => self.publish_offer(index, sdp, tracks),
            CallCommand::SubscribeAnswer { sdp } => {
                vec![Effect::Media(MediaAction::SubscribeAnswer { participant, sdp })]
            }
            CallCommand::IceCandidate { peer, candidate } => match checks::candidate(&candidate) {
                Ok(()) => vec![Effect::Media(MediaAction::RemoteCandidate { participant, peer, candidate })],
                Err(message) => vec![error(from, "invalid_candidate", message)],
            },
            CallCommand::IceRestart => vec![Effect::Media(MediaAction::RestartSubscriberIce { participant })],
            CallCommand::Mute { source, muted } => self.mute_own(index, source, muted),
            CallCommand::Viewport { tracks } => match checks::viewport(tracks) {
                Ok(tracks) => vec![Effect::Media(MediaAction::Viewport { participant, tracks })],
                Err(message) => vec![error(from, "invalid_viewport", message)],
            },
            CallCommand::MuteParticipant { participant_id, source } => {
                self.as_moderator(index, |call| call.mute_participant(from, &participant_id, source))
            }
            CallCommand::RemoveParticipant { participant_id } => {
                self.as_moderator(index, |call| match call.index_of(&participant_id) {
                    Some(target) => call.leave(target, LeaveReason::Removed, true),
                    None => vec![unknown_participant(from, &participant_id)],
                })
            }
            CallCommand::AllowViewersToPublish { allowed } => self.as_moderator(index, |call| {
                call.viewers_may_publish = allowed;
                let mut effects = Vec::new();
                for index in 0..call.participants.len() {
                    call.regrant(index, &mut effects);
                }
                effects
            }),
            CallCommand::EndCall => self.as_moderator(index, Call::end),
            CallCommand::Leave => self.leave(index, LeaveReason::Left, true),
        }
    }

    /// The participant's socket closed (network gone, tab closed): it leaves
    /// with `Disconnected`, without a `Left` frame or a close.
    pub fn socket_closed(&mut self, who: &ParticipantId) -> Vec<Effect> {
        match self.index_of(who) {
            Some(index) => self.leave(index, LeaveReason::Disconnected, false),
            None => Vec::new(),
        }
    }

    /// A user's workspace role changed (`None`: no longer a member). Each of
    /// their participants gets the new grants at once (a `Grants` frame;
    /// tracks of sources no longer allowed are muted as a moderator would),
    /// or leaves with `AccessRemoved` when the new role cannot join.
    pub fn role_changed(&mut self, user: &UserId, role: Option<Role>) -> Vec<Effect> {
        let theirs: Vec<ParticipantId> =
            self.participants.iter().filter(|p| &p.user == user).map(|p| p.id.clone()).collect();
        let mut effects = Vec::new();
        for id in theirs {
            let Some(index) = self.index_of(&id) else { continue };
            match role {
                Some(role) if grants_for(role, self.viewers_may_publish).join => {
                    self.participants[index].role = role;
                    self.regrant(index, &mut effects);
                }
                _ => effects.extend(self.leave(index, LeaveReason::AccessRemoved, true)),
            }
        }
        effects
    }

    /// Something the SFU reports. Reports about participants no longer in the
    /// call do nothing.
    pub fn media(&mut self, event: MediaEvent) -> Vec<Effect> {
        match event {
            MediaEvent::PublishAnswer { participant, sdp } => {
                if let Some(index) = self.index_of(&participant) {
                    self.participants[index].before_offer = None;
                }
                self.send_if_in(participant, CallEvent::PublishAnswer { sdp })
            }
            MediaEvent::SubscribeOffer { participant, sdp, tracks } => {
                self.send_if_in(participant, CallEvent::SubscribeOffer { sdp, tracks })
            }
            MediaEvent::NegotiationFailed { participant, peer, message } => {
                let connection = match peer {
                    PeerRole::Publisher => "publisher",
                    PeerRole::Subscriber => "subscriber",
                };
                let message = format!("{connection} connection: {message}");
                let mut effects = self.send_if_in(
                    participant.clone(),
                    CallEvent::Error { code: "negotiation_failed".to_owned(), message },
                );
                // The SFU kept what it had: so do the tracks everyone sees.
                if peer == PeerRole::Publisher
                    && let Some(index) = self.index_of(&participant)
                    && let Some(before) = self.participants[index].before_offer.take()
                    && before != self.participants[index].tracks
                {
                    self.participants[index].tracks = before;
                    self.send_update(index, &mut effects);
                }
                effects
            }
            MediaEvent::LayerChanged { participant, track, layer } => {
                self.send_if_in(participant, CallEvent::LayerChanged { track_id: track, layer })
            }
            MediaEvent::ActiveSpeakers { participants } => {
                let speakers: Vec<ParticipantId> =
                    participants.into_iter().filter(|id| self.index_of(id).is_some()).collect();
                if speakers == self.speakers {
                    return Vec::new();
                }
                self.speakers = speakers.clone();
                let mut effects = Vec::new();
                self.send_to_all(&CallEvent::ActiveSpeakers { participant_ids: speakers }, &mut effects);
                effects
            }
            MediaEvent::ConnectionLost { participant } => match self.index_of(&participant) {
                Some(index) => self.leave(index, LeaveReason::Disconnected, true),
                None => Vec::new(),
            },
        }
    }

    pub fn participant_count(&self) -> usize {
        self.participants.len()
    }

    /// Whether no one is in the call (the server may drop it).
    pub fn is_empty(&self) -> bool {
        self.participants.is_empty()
    }

    /// Everyone in the call as they see each other, in join order.
    pub fn participants(&self) -> Vec<ParticipantView> {
        self.participants.iter().map(Participant::view).collect()
    }

    pub fn participant(&self, id: &ParticipantId) -> Option<&Participant> {
        self.participants.iter().find(|p| &p.id == id)
    }

    pub fn config(&self) -> &CallConfig {
        &self.config
    }

    /// Whether the moderators let viewers publish.
    pub fn viewers_may_publish(&self) -> bool {
        self.viewers_may_publish
    }

    /// What the server keeps of the call when it ends.
    pub fn summary(&self) -> CallStats {
        self.stats
    }

    fn index_of(&self, id: &ParticipantId) -> Option<usize> {
        self.participants.iter().position(|p| &p.id == id)
    }

    /// A publish offer: checked, then the participant's tracks become exactly
    /// the offered ones.
    fn publish_offer(&mut self, index: usize, sdp: String, offered: Vec<PublishedTrack>) -> Vec<Effect> {
        let participant = &self.participants[index];
        if let Err(message) = checks::offer(&offered) {
            return vec![error(&participant.id, "invalid_offer", message)];
        }
        if let Some(track) = offered.iter().find(|track| !participant.may_publish(track.source)) {
            let message = format!("your grants do not allow publishing {}", source_name(track.source));
            return vec![error(&participant.id, "not_allowed", message)];
        }
        let tracks: Vec<OfferedTrack> = offered
            .into_iter()
            .map(|track| OfferedTrack {
                id: track_id(&participant.id, &track.mid),
                mid: track.mid,
                source: track.source,
                muted: track.muted,
            })
            .collect();
        let id = participant.id.clone();
        let changed = participant.tracks != tracks;
        let before = std::mem::replace(&mut self.participants[index].tracks, tracks.clone());
        self.participants[index].before_offer = Some(before);
        let mut effects = vec![Effect::Media(MediaAction::PublishOffer { participant: id, sdp, tracks })];
        if changed {
            self.send_update(index, &mut effects);
        }
        effects
    }

    /// The participant mutes or unmutes its own tracks of `source`.
    fn mute_own(&mut self, index: usize, source: TrackSource, muted: bool) -> Vec<Effect> {
        let participant = &self.participants[index];
        if !participant.publishes(source) {
            let message = format!("you publish no {} track", source_name(source));
            return vec![error(&participant.id, "not_found", message)];
        }
        if !muted && !participant.may_publish(source) {
            let message = format!("your grants do not allow publishing {}", source_name(source));
            return vec![error(&participant.id, "not_allowed", message)];
        }
        let mut effects = Vec::new();
        if self.set_muted(index, |track| track.source == source, muted, &mut effects) {
            self.send_update(index, &mut effects);
        }
        effects
    }

    /// Runs a moderator command, or answers `forbidden`.
    fn as_moderator(&mut self, index: usize, run: impl FnOnce(&mut Call) -> Vec<Effect>) -> Vec<Effect> {
        let participant = &self.participants[index];
        if !participant.grants.moderate {
            return vec![error(&participant.id, "forbidden", "only moderators may do this")];
        }
        run(self)
    }

    /// A moderator mutes `target`'s tracks of `source`.
    fn mute_participant(&mut self, from: &ParticipantId, target: &ParticipantId, source: TrackSource) -> Vec<Effect> {
        let Some(index) = self.index_of(target) else {
            return vec![unknown_participant(from, target)];
        };
        if !self.participants[index].publishes(source) {
            let message = format!("{target} publishes no {} track", source_name(source));
            return vec![error(from, "not_found", message)];
        }
        let mut effects = Vec::new();
        let changed = self.set_muted(index, |track| track.source == source, true, &mut effects);
        effects.push(Effect::Send(target.clone(), CallEvent::MutedByModerator { source }));
        if changed {
            self.send_update(index, &mut effects);
        }
        effects
    }

    /// Recomputes a participant's grants from its role and the moderators'
    /// permission. When they changed: a `Grants` frame, then every unmuted
    /// track they no longer allow is muted (with `muted_by_moderator` per
    /// source), and everyone sees the participant anew if its view changed.
    fn regrant(&mut self, index: usize, effects: &mut Vec<Effect>) {
        let participant = &mut self.participants[index];
        let grants = grants_for(participant.role, self.viewers_may_publish);
        if grants == participant.grants {
            return;
        }
        let before = participant.view();
        participant.grants = grants;
        let id = participant.id.clone();
        effects.push(Effect::Send(id.clone(), CallEvent::Grants { grants }));

        let mut revoked: Vec<TrackSource> = Vec::new();
        for track in &participant.tracks {
            if !track.muted && !participant.may_publish(track.source) && !revoked.contains(&track.source) {
                revoked.push(track.source);
            }
        }
        self.set_muted(index, |track| revoked.contains(&track.source), true, effects);
        for source in revoked {
            effects.push(Effect::Send(id.clone(), CallEvent::MutedByModerator { source }));
        }
        if self.participants[index].view() != before {
            self.send_update(index, effects);
        }
    }

    /// Sets the mute state of the participant's tracks that `which` picks,
    /// asking the SFU for each that changes; returns whether any did.
    fn set_muted(
        &mut self,
        index: usize,
        which: impl Fn(&OfferedTrack) -> bool,
        muted: bool,
        effects: &mut Vec<Effect>,
    ) -> bool {
        let mut changed = false;
        for track in self.participants[index].tracks.iter_mut().filter(|track| which(track)) {
            if track.muted != muted {
                track.muted = muted;
                changed = true;
                effects.push(Effect::Media(MediaAction::SetMuted { track: track.id.clone(), muted }));
            }
        }
        changed
    }

    /// The participant at `index` leaves: told so and its socket closed
    /// (unless `close` is false: the socket is gone), the SFU drops it, and
    /// everyone remaining hears why.
    fn leave(&mut self, index: usize, reason: LeaveReason, close: bool) -> Vec<Effect> {
        let participant = self.participants.remove(index);
        let id = participant.id;
        let mut effects = Vec::new();
        if close {
            effects.push(Effect::Send(id.clone(), CallEvent::Left { reason }));
            effects.push(Effect::Close(id.clone(), reason));
        }
        effects.push(Effect::Media(MediaAction::RemoveParticipant { participant: id.clone() }));
        self.send_to_all(&CallEvent::ParticipantLeft { participant_id: id, reason }, &mut effects);
        effects
    }

    /// Everyone leaves with `CallEnded`. No one hears of the others leaving:
    /// every socket is closing.
    fn end(&mut self) -> Vec<Effect> {
        let reason = LeaveReason::CallEnded;
        let mut effects = Vec::new();
        for participant in std::mem::take(&mut self.participants) {
            let id = participant.id;
            effects.push(Effect::Send(id.clone(), CallEvent::Left { reason }));
            effects.push(Effect::Close(id.clone(), reason));
            effects.push(Effect::Media(MediaAction::RemoveParticipant { participant: id }));
        }
        effects
    }

    /// Everyone, the participant itself included, sees the participant at `index` anew.
    fn send_update(&self, index: usize, effects: &mut Vec<Effect>) {
        let event = CallEvent::ParticipantUpdated { participant: self.participants[index].view() };
        self.send_to_all(&event, effects);
    }

    fn send_to_all(&self, event: &CallEvent, effects: &mut Vec<Effect>) {
        effects.extend(self.participants.iter().map(|p| Effect::Send(p.id.clone(), event.clone())));
    }

    fn send_to_all_but(&self, except: &ParticipantId, event: &CallEvent, effects: &mut Vec<Effect>) {
        effects.extend(
            self.participants.iter().filter(|p| &p.id != except).map(|p| Effect::Send(p.id.clone(), event.clone())),
        );
    }

    /// One frame for `participant`, if it is still in the call.
    fn send_if_in(&self, participant: ParticipantId, event: CallEvent) -> Vec<Effect> {
        match self.index_of(&participant) {
            Some(_) => vec![Effect::Send(participant, event)],
            None => Vec::new(),
        }
    }
}

fn error(to: &ParticipantId, code: &str, message: impl Into<String>) -> Effect {
    Effect::Send(to.clone(), CallEvent::Error { code: code.to_owned(), message: message.into() })
}

fn unknown_participant(to: &ParticipantId, unknown: &ParticipantId) -> Effect {
    error(to, "not_found", format!("{unknown} is not in the call"))
}
