//! Calls: the JSON frames of a room's call socket
//! (`GET /api/v1/rooms/{room}/call`) and the ICE servers answer.
//!
//! Each participant has two peer connections with the server's SFU, as in
//! LiveKit, so that neither side ever has to resolve an offer collision:
//! - the **publisher** connection carries what the participant sends; the
//!   browser makes every offer (`publish_offer`), the SFU answers;
//! - the **subscriber** connection carries what the participant receives; the
//!   SFU makes every offer (`subscribe_offer`), the browser answers.
//!
//! Opening the socket joins the call: the first frame is `joined`, or the
//! socket closes with 1008 and a reason (`call_full`, `not_allowed`).

use serde::{Deserialize, Serialize};

use crate::ids::{ParticipantId, RoomId, TrackId, UserId};

/// What a track carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    Audio,
    Video,
}

/// Where a published track comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum TrackSource {
    Camera,
    Microphone,
    Screen,
    ScreenAudio,
}

impl TrackSource {
    /// The kind of media this source sends.
    pub fn kind(self) -> MediaKind {
        match self {
            TrackSource::Camera | TrackSource::Screen => MediaKind::Video,
            TrackSource::Microphone | TrackSource::ScreenAudio => MediaKind::Audio,
        }
    }

    /// Whether publishing this source needs the screen grant.
    pub fn is_screen(self) -> bool {
        matches!(self, TrackSource::Screen | TrackSource::ScreenAudio)
    }
}

/// What a participant may do in a call (LiveKit's grants), derived from the
/// workspace role: owners everything; editors join, publish, subscribe and
/// share their screen; viewers join and subscribe, and publish only while the
/// call's moderators allow it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Grants {
    pub join: bool,
    pub publish: bool,
    pub subscribe: bool,
    pub screen: bool,
    pub moderate: bool,
}

/// A published track as every participant sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct TrackView {
    pub id: TrackId,
    pub kind: MediaKind,
    pub source: TrackSource,
    pub muted: bool,
    /// Sent in several simulcast layers (video only).
    pub simulcast: bool,
}

/// A participant as every participant sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ParticipantView {
    pub id: ParticipantId,
    pub user_id: UserId,
    pub name: String,
    pub tracks: Vec<TrackView>,
    pub moderator: bool,
    /// Milliseconds since the Unix epoch.
    pub joined_at: i64,
}

/// A track the browser offers on its publisher connection: the transceiver's
/// `mid` after `setLocalDescription`, and what it carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedTrack {
    pub mid: String,
    pub source: TrackSource,
    #[serde(default)]
    pub muted: bool,
}

/// A track the SFU offers on a subscriber connection: which transceiver
/// (`mid`) carries whose track. The same ids are also the `msid` of the
/// m-line (stream id = participant id, track id = track id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscribedTrack {
    pub mid: String,
    pub track_id: TrackId,
    pub participant_id: ParticipantId,
    pub kind: MediaKind,
    pub source: TrackSource,
}

/// How large a subscriber shows a video track, so the SFU can pick the
/// simulcast layer: `0×0` means not shown (the SFU pauses it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackViewport {
    pub track_id: TrackId,
    pub width: u32,
    pub height: u32,
}

/// Which of the two peer connections a frame is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeerRole {
    Publisher,
    Subscriber,
}

/// A simulcast layer (the `rid`s the browser sends: `q` quarter, `h` half,
/// `f` full resolution).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Layer {
    Low,
    Medium,
    High,
}

impl Layer {
    /// The RTP stream id the browser gives this layer.
    pub fn rid(self) -> &'static str {
        match self {
            Layer::Low => "q",
            Layer::Medium => "h",
            Layer::High => "f",
        }
    }

    /// The layer of a RTP stream id.
    pub fn from_rid(rid: &str) -> Option<Layer> {
        match rid {
            "q" => Some(Layer::Low),
            "h" => Some(Layer::Medium),
            "f" => Some(Layer::High),
            _ => None,
        }
    }
}

/// What the browser sends on the call socket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CallCommand {
    /// An offer on the publisher connection (first publish, tracks added or
    /// removed, ICE restart), with what each sending transceiver carries.
    PublishOffer { sdp: String, tracks: Vec<PublishedTrack> },
    /// The answer to the SFU's last `subscribe_offer`.
    SubscribeAnswer { sdp: String },
    /// A trickled ICE candidate of one of the browser's connections (the
    /// `candidate` attribute line of an `RTCIceCandidate`).
    IceCandidate { peer: PeerRole, candidate: String },
    /// The browser's network changed: the SFU restarts ICE on the subscriber
    /// connection (a fresh `subscribe_offer`); the browser restarts its
    /// publisher connection itself with a new `publish_offer`.
    IceRestart,
    /// Muted or unmuted one of one's own sources.
    Mute { source: TrackSource, muted: bool },
    /// How large the browser shows each video track it receives.
    Viewport { tracks: Vec<TrackViewport> },
    /// Moderators: mute someone's source.
    MuteParticipant { participant_id: ParticipantId, source: TrackSource },
    /// Moderators: remove someone from the call.
    RemoveParticipant { participant_id: ParticipantId },
    /// Moderators: let viewers publish (or stop them).
    AllowViewersToPublish { allowed: bool },
    /// Moderators: end the call for everyone.
    EndCall,
    /// Leave the call (closing the socket does the same).
    Leave,
}

/// Why a participant left.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeaveReason {
    Left,
    Disconnected,
    Removed,
    CallEnded,
    AccessRemoved,
}

/// What the call socket sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CallEvent {
    /// The first frame: who this participant is, what it may do, and who else
    /// is in the call.
    Joined {
        participant_id: ParticipantId,
        room_id: RoomId,
        grants: Grants,
        participants: Vec<ParticipantView>,
        limit: u32,
    },
    ParticipantJoined {
        participant: ParticipantView,
    },
    /// Tracks published or removed, mute states changed.
    ParticipantUpdated {
        participant: ParticipantView,
    },
    ParticipantLeft {
        participant_id: ParticipantId,
        reason: LeaveReason,
    },
    /// This participant's grants changed (viewers allowed to publish or not).
    Grants {
        grants: Grants,
    },
    /// The SFU's answer to a `publish_offer`.
    PublishAnswer {
        sdp: String,
    },
    /// An offer on the subscriber connection; answer with `subscribe_answer`.
    SubscribeOffer {
        sdp: String,
        tracks: Vec<SubscribedTrack>,
    },
    /// The most recent speakers, loudest first.
    ActiveSpeakers {
        participant_ids: Vec<ParticipantId>,
    },
    /// The simulcast layer the SFU now forwards to this participant for a track.
    LayerChanged {
        track_id: TrackId,
        layer: Layer,
    },
    /// A moderator muted one of this participant's sources: mute it locally.
    MutedByModerator {
        source: TrackSource,
    },
    /// The call ended for this participant; the socket closes next.
    Left {
        reason: LeaveReason,
    },
    /// A frame was not understood or not allowed; the call goes on.
    Error {
        code: String,
        message: String,
    },
}

/// One ICE server for `RTCPeerConnection`'s `iceServers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct IceServer {
    pub urls: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}

/// `GET /api/v1/rtc/ice-servers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct IceServers {
    pub ice_servers: Vec<IceServer>,
    /// When the credentials stop working (seconds since the Unix epoch).
    pub expires_at: i64,
}

/// What a finished call was like (`GET /api/v1/rooms/{room}/calls`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct CallSummaryView {
    pub room_id: RoomId,
    /// Milliseconds since the Unix epoch.
    pub started_at: i64,
    pub ended_at: i64,
    pub duration_seconds: i64,
    /// The most participants at once.
    pub peak_participants: i64,
    /// Joins over the call's life (a rejoin counts again).
    pub total_joins: i64,
    /// Media received by the server from all publishers, averaged over the call.
    pub average_bitrate_bps: i64,
    /// Mean packet loss the receivers reported, 0 to 1.
    pub loss: f64,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn call_frames_have_the_documented_shapes() {
        let offer: CallCommand = serde_json::from_value(json!({
            "type": "publish_offer", "sdp": "v=0",
            "tracks": [{ "mid": "0", "source": "camera" }, { "mid": "1", "source": "microphone", "muted": true }]
        }))
        .unwrap();
        assert_eq!(
            offer,
            CallCommand::PublishOffer {
                sdp: "v=0".to_owned(),
                tracks: vec![
                    PublishedTrack { mid: "0".to_owned(), source: TrackSource::Camera, muted: false },
                    PublishedTrack { mid: "1".to_owned(), source: TrackSource::Microphone, muted: true },
                ],
            }
        );
        let mute: CallCommand = serde_json::from_value(
            json!({ "type": "mute_participant", "participant_id": "p1", "source": "microphone" }),
        )
        .unwrap();
        assert_eq!(
            mute,
            CallCommand::MuteParticipant { participant_id: ParticipantId::new("p1"), source: TrackSource::Microphone }
        );
        assert!(serde_json::from_value::<CallCommand>(json!({ "type": "mute", "source": "camera" })).is_err());

        let left =
            CallEvent::ParticipantLeft { participant_id: ParticipantId::new("p2"), reason: LeaveReason::Removed };
        assert_eq!(
            serde_json::to_value(left).unwrap(),
            json!({ "type": "participant_left", "participant_id": "p2", "reason": "removed" })
        );
        let servers = IceServers {
            ice_servers: vec![IceServer {
                urls: vec!["turn:127.0.0.1:3478?transport=udp".to_owned()],
                username: Some("1700000000:u1".to_owned()),
                credential: Some("c2VjcmV0".to_owned()),
            }],
            expires_at: 1_700_000_000,
        };
        assert_eq!(
            serde_json::to_value(servers).unwrap(),
            json!({ "iceServers": [{ "urls": ["turn:127.0.0.1:3478?transport=udp"], "username": "1700000000:u1", "credential": "c2VjcmV0" }], "expiresAt": 1_700_000_000 })
        );
    }

    #[test]
    fn layers_map_to_the_browsers_rids() {
        for layer in [Layer::Low, Layer::Medium, Layer::High] {
            assert_eq!(Layer::from_rid(layer.rid()), Some(layer));
        }
        assert_eq!(Layer::from_rid("x"), None);
        assert!(Layer::Low < Layer::High);
    }
}
