//! One participation in a call: who it is, what it may do and what it
//! publishes, and how everyone sees it.

use reynard_proto::call::{Grants, ParticipantView, TrackSource, TrackView};
use reynard_proto::{ParticipantId, Role, TrackId, UserId};

use crate::media::OfferedTrack;

/// One participation in the call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Participant {
    pub(super) id: ParticipantId,
    pub(super) user: UserId,
    pub(super) name: String,
    pub(super) role: Role,
    pub(super) grants: Grants,
    pub(super) joined_at: i64,
    /// In the order of the last publish offer.
    pub(super) tracks: Vec<OfferedTrack>,
    /// The tracks before the offer the SFU is answering: what they go back to
    /// if the SFU refuses it (its SDP was unusable).
    pub(super) before_offer: Option<Vec<OfferedTrack>>,
}

impl Participant {
    pub fn id(&self) -> &ParticipantId {
        &self.id
    }

    pub fn user(&self) -> &UserId {
        &self.user
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The workspace role its grants derive from.
    pub fn role(&self) -> Role {
        self.role
    }

    pub fn grants(&self) -> Grants {
        self.grants
    }

    /// Milliseconds since the Unix epoch.
    pub fn joined_at(&self) -> i64 {
        self.joined_at
    }

    /// What it publishes, in the order of its last offer.
    pub fn tracks(&self) -> &[OfferedTrack] {
        &self.tracks
    }

    /// The participant as every participant sees it.
    pub fn view(&self) -> ParticipantView {
        ParticipantView {
            id: self.id.clone(),
            user_id: self.user.clone(),
            name: self.name.clone(),
            tracks: self.tracks.iter().map(track_view).collect(),
            moderator: self.grants.moderate,
            joined_at: self.joined_at,
        }
    }

    /// Whether its grants allow sending `source`.
    pub(super) fn may_publish(&self, source: TrackSource) -> bool {
        if source.is_screen() { self.grants.screen } else { self.grants.publish }
    }

    pub(super) fn publishes(&self, source: TrackSource) -> bool {
        self.tracks.iter().any(|track| track.source == source)
    }
}

/// The id of the track a participant sends on transceiver `mid`: stable
/// across its offers, and unique in the call as long as participant ids hold
/// no `.`.
pub(super) fn track_id(participant: &ParticipantId, mid: &str) -> TrackId {
    TrackId::new(format!("{participant}.{mid}"))
}

fn track_view(track: &OfferedTrack) -> TrackView {
    TrackView {
        id: track.id.clone(),
        kind: track.source.kind(),
        source: track.source,
        muted: track.muted,
        // The browser sends the camera in three layers; screens in one, so
        // that text stays sharp.
        simulcast: track.source == TrackSource::Camera,
    }
}

/// The source's name on the wire.
pub(super) fn source_name(source: TrackSource) -> &'static str {
    match source {
        TrackSource::Camera => "camera",
        TrackSource::Microphone => "microphone",
        TrackSource::Screen => "screen",
        TrackSource::ScreenAudio => "screen_audio",
    }
}
