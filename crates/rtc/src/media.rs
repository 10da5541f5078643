//! The boundary between the signaling state machine ([`crate::call`]) and the
//! SFU ([`crate::sfu`]): what signaling asks the media plane to do, and what
//! the media plane reports back. Both sides are pure; the server carries these
//! values between them.

use reynard_proto::ParticipantId;
use reynard_proto::TrackId;
use reynard_proto::call::{Layer, PeerRole, SubscribedTrack, TrackSource, TrackViewport};

/// A track a publisher offered, with the id signaling gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferedTrack {
    pub id: TrackId,
    /// The transceiver's mid in the publisher's offer.
    pub mid: String,
    pub source: TrackSource,
    pub muted: bool,
}

/// What signaling asks the SFU to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaAction {
    /// A participant joined: make its two peer connections.
    AddParticipant { participant: ParticipantId, subscribe: bool },
    /// A participant left: close its connections and stop forwarding its tracks.
    RemoveParticipant { participant: ParticipantId },
    /// Answer an offer on a participant's publisher connection. `tracks` is
    /// every track the offer sends (tracks not in it are no longer published).
    PublishOffer { participant: ParticipantId, sdp: String, tracks: Vec<OfferedTrack> },
    /// The participant's answer to the SFU's last subscriber offer.
    SubscribeAnswer { participant: ParticipantId, sdp: String },
    /// A candidate the browser trickled for one of its connections.
    RemoteCandidate { participant: ParticipantId, peer: PeerRole, candidate: String },
    /// Restart ICE on the participant's subscriber connection (a new offer follows).
    RestartSubscriberIce { participant: ParticipantId },
    /// A track was muted or unmuted: a muted track is not forwarded.
    SetMuted { track: TrackId, muted: bool },
    /// How large the participant shows each video track it receives.
    Viewport { participant: ParticipantId, tracks: Vec<TrackViewport> },
}

impl MediaAction {
    /// The participant the action is about, if one.
    pub fn participant(&self) -> Option<&ParticipantId> {
        match self {
            MediaAction::AddParticipant { participant, .. }
            | MediaAction::RemoveParticipant { participant }
            | MediaAction::PublishOffer { participant, .. }
            | MediaAction::SubscribeAnswer { participant, .. }
            | MediaAction::RemoteCandidate { participant, .. }
            | MediaAction::RestartSubscriberIce { participant }
            | MediaAction::Viewport { participant, .. } => Some(participant),
            MediaAction::SetMuted { .. } => None,
        }
    }
}

/// What the SFU reports to signaling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaEvent {
    /// The answer to a participant's publisher offer.
    PublishAnswer { participant: ParticipantId, sdp: String },
    /// A participant's offer or answer could not be used (bad SDP); its call goes on.
    NegotiationFailed { participant: ParticipantId, peer: PeerRole, message: String },
    /// A new offer for a participant's subscriber connection (tracks came or
    /// went, or ICE restarted): `tracks` lists every track it receives.
    SubscribeOffer { participant: ParticipantId, sdp: String, tracks: Vec<SubscribedTrack> },
    /// The most recent speakers changed, loudest first.
    ActiveSpeakers { participants: Vec<ParticipantId> },
    /// The layer forwarded to a subscriber for a track changed.
    LayerChanged { participant: ParticipantId, track: TrackId, layer: Layer },
    /// A participant's media connections failed for good (no ICE for the
    /// grace period): it is dropped from the call.
    ConnectionLost { participant: ParticipantId },
}
