//! The call's behaviour, checked through its effects: each test compares the
//! exact effects an input produces, in order.

use reynard_proto::TrackId;
use reynard_proto::call::{
    Grants, Layer, MediaKind, PeerRole, PublishedTrack, SubscribedTrack, TrackView, TrackViewport,
};

use super::*;
use TrackSource::{Camera, Microphone, Screen};

const T0: i64 = 1_700_000_000_000;

const OWNER: Grants = Grants { join: true, publish: true, subscribe: true, screen: true, moderate: true };
const EDITOR: Grants = Grants { join: true, publish: true, subscribe: true, screen: true, moderate: false };
const VIEWER: Grants = Grants { join: true, publish: false, subscribe: true, screen: false, moderate: false };

fn pid(id: &str) -> ParticipantId {
    ParticipantId::new(id)
}

fn tid(id: &str) -> TrackId {
    TrackId::new(id)
}

fn room() -> RoomId {
    RoomId::new("room-1")
}

fn new_call(limit: u32) -> Call {
    Call::new(CallConfig { room: room(), limit })
}

/// Participant `id` of user `u-{id}`, named `id` in capitals.
fn joining(id: &str, role: Role) -> Joining {
    Joining { participant: pid(id), user: UserId::new(format!("u-{id}")), name: id.to_uppercase(), role }
}

fn join(call: &mut Call, id: &str, role: Role) -> Vec<Effect> {
    call.join(T0, joining(id, role)).expect("joins")
}

/// A call with these participants joined in order, their join effects dropped.
fn call_with(who: &[(&str, Role)]) -> Call {
    let mut call = new_call(10);
    for (id, role) in who {
        join(&mut call, id, *role);
    }
    call
}

/// The usual cast: an owner (moderator), an editor and a viewer.
fn cast() -> Call {
    call_with(&[("own", Role::Owner), ("ed", Role::Editor), ("view", Role::Viewer)])
}

fn offer_of(tracks: &[(&str, TrackSource, bool)]) -> CallCommand {
    CallCommand::PublishOffer {
        sdp: "v=0 offer".to_owned(),
        tracks: tracks
            .iter()
            .map(|(mid, source, muted)| PublishedTrack { mid: (*mid).to_owned(), source: *source, muted: *muted })
            .collect(),
    }
}

/// An offer of unmuted tracks.
fn offer(tracks: &[(&str, TrackSource)]) -> CallCommand {
    offer_of(&tracks.iter().map(|(mid, source)| (*mid, *source, false)).collect::<Vec<_>>())
}

fn offered(participant: &str, mid: &str, source: TrackSource, muted: bool) -> OfferedTrack {
    OfferedTrack { id: tid(&format!("{participant}.{mid}")), mid: mid.to_owned(), source, muted }
}

fn send(to: &str, event: CallEvent) -> Effect {
    Effect::Send(pid(to), event)
}

fn media(action: MediaAction) -> Effect {
    Effect::Media(action)
}

fn set_muted(track: &str, muted: bool) -> Effect {
    media(MediaAction::SetMuted { track: tid(track), muted })
}

fn publish_action(participant: &str, tracks: Vec<OfferedTrack>) -> Effect {
    media(MediaAction::PublishOffer { participant: pid(participant), sdp: "v=0 offer".to_owned(), tracks })
}

/// The frame `event` to everyone in the call, in join order.
fn to_all(call: &Call, event: CallEvent) -> Vec<Effect> {
    call.participants().into_iter().map(|p| Effect::Send(p.id, event.clone())).collect()
}

/// `ParticipantUpdated` about `id`, as it is now, to everyone.
fn update_to_all(call: &Call, id: &str) -> Vec<Effect> {
    to_all(call, CallEvent::ParticipantUpdated { participant: view(call, id) })
}

fn view(call: &Call, id: &str) -> ParticipantView {
    call.participant(&pid(id)).expect("in the call").view()
}

fn track_states(call: &Call, id: &str) -> Vec<(TrackSource, bool)> {
    view(call, id).tracks.iter().map(|t| (t.source, t.muted)).collect()
}

/// `effects` is a single error frame to `to` with `code`.
#[track_caller]
fn assert_error(effects: Vec<Effect>, to: &str, code: &str) {
    match effects.as_slice() {
        [Effect::Send(p, CallEvent::Error { code: c, .. })] if p == &pid(to) && c == code => {}
        other => panic!("expected only a {code} error to {to}, got {other:#?}"),
    }
}

fn concat(parts: impl IntoIterator<Item = Vec<Effect>>) -> Vec<Effect> {
    parts.into_iter().flatten().collect()
}

#[test]
fn joining_greets_the_newcomer_and_tells_everyone_else() {
    let mut call = new_call(10);
    let own = ParticipantView {
        id: pid("own"),
        user_id: UserId::new("u-own"),
        name: "OWN".to_owned(),
        tracks: Vec::new(),
        moderator: true,
        joined_at: T0,
    };
    assert_eq!(
        join(&mut call, "own", Role::Owner),
        vec![
            media(MediaAction::AddParticipant { participant: pid("own"), subscribe: true }),
            send(
                "own",
                CallEvent::Joined {
                    participant_id: pid("own"),
                    room_id: room(),
                    grants: OWNER,
                    participants: vec![own.clone()],
                    limit: 10,
                }
            ),
        ]
    );

    let view_ = ParticipantView {
        id: pid("view"),
        user_id: UserId::new("u-view"),
        name: "VIEW".to_owned(),
        tracks: Vec::new(),
        moderator: false,
        joined_at: T0 + 5,
    };
    assert_eq!(
        call.join(T0 + 5, joining("view", Role::Viewer)),
        Ok(vec![
            media(MediaAction::AddParticipant { participant: pid("view"), subscribe: true }),
            send(
                "view",
                CallEvent::Joined {
                    participant_id: pid("view"),
                    room_id: room(),
                    grants: VIEWER,
                    participants: vec![own.clone(), view_.clone()],
                    limit: 10,
                }
            ),
            send("own", CallEvent::ParticipantJoined { participant: view_.clone() }),
        ])
    );

    let effects = join(&mut call, "ed", Role::Editor);
    let ed = view(&call, "ed");
    assert!(matches!(&effects[1], Effect::Send(p, CallEvent::Joined { grants: EDITOR, participants, .. })
        if p == &pid("ed") && participants == &vec![own.clone(), view_.clone(), ed.clone()]));
    assert_eq!(
        effects[2..],
        [
            send("own", CallEvent::ParticipantJoined { participant: ed.clone() }),
            send("view", CallEvent::ParticipantJoined { participant: ed }),
        ]
    );
    assert_eq!(call.participant_count(), 3);
    assert!(!call.is_empty());
    let order: Vec<ParticipantId> = call.participants().into_iter().map(|p| p.id).collect();
    assert_eq!(order, [pid("own"), pid("view"), pid("ed")], "join order");
    let ed = call.participant(&pid("ed")).expect("in the call");
    assert_eq!((ed.user(), ed.name(), ed.role(), ed.grants()), (&UserId::new("u-ed"), "ED", Role::Editor, EDITOR));
}

#[test]
fn a_user_in_two_tabs_is_two_participants() {
    let mut call = new_call(10);
    let tab = |id: &str| Joining {
        participant: pid(id),
        user: UserId::new("ada"),
        name: "Ada".to_owned(),
        role: Role::Editor,
    };
    call.join(T0, tab("tab-1")).expect("first tab");
    let effects = call.join(T0, tab("tab-2")).expect("second tab");
    assert_eq!(effects.len(), 3, "add, joined, and the first tab hears of the second");
    assert_eq!(call.participant_count(), 2);
    assert!(call.participants().iter().all(|p| p.user_id == UserId::new("ada")));
}

#[test]
fn a_participant_id_already_in_the_call_is_refused() {
    let mut call = call_with(&[("a", Role::Editor)]);
    assert_eq!(call.join(T0, joining("a", Role::Editor)), Err(Refusal::AlreadyJoined));
    assert_eq!(call.participant_count(), 1);
    assert_eq!(call.summary().total_joins, 1);
}

#[test]
fn joins_beyond_the_limit_are_refused_until_someone_leaves() {
    let mut call = new_call(2);
    join(&mut call, "a", Role::Editor);
    join(&mut call, "b", Role::Viewer);
    assert_eq!(call.join(T0, joining("c", Role::Owner)), Err(Refusal::Full { limit: 2 }));
    assert_eq!(call.participant_count(), 2, "a refused join changes nothing");
    call.command(&pid("b"), CallCommand::Leave);
    assert!(call.join(T0, joining("c", Role::Owner)).is_ok());
    assert_eq!(call.join(T0, joining("d", Role::Owner)), Err(Refusal::Full { limit: 2 }));
}

#[test]
fn refusals_give_the_close_reason() {
    let full = Refusal::Full { limit: 2 };
    assert_eq!(full.code(), "call_full");
    assert_eq!(full.to_string(), "call_full: the call already has 2 participants, its limit");
    assert_eq!(Refusal::NotAllowed.code(), "not_allowed");
    assert_eq!(Refusal::NotAllowed.to_string(), "not_allowed: your role cannot join this call");
    assert_eq!(Refusal::AlreadyJoined.code(), "already_joined");
    assert!(Refusal::AlreadyJoined.to_string().starts_with("already_joined: "));
}

#[test]
fn viewers_publish_only_while_the_moderators_allow_it() {
    let mut call = cast();
    assert_error(call.command(&pid("view"), offer(&[("0", Camera)])), "view", "not_allowed");
    assert_error(call.command(&pid("view"), offer(&[("0", Screen)])), "view", "not_allowed");
    assert!(call.participant(&pid("view")).expect("in").tracks().is_empty(), "a refused offer publishes nothing");

    // Allowed: only the viewer's grants change.
    let allowed = CallCommand::AllowViewersToPublish { allowed: true };
    let viewer_may_publish = Grants { publish: true, screen: true, ..VIEWER };
    assert_eq!(
        call.command(&pid("own"), allowed.clone()),
        vec![send("view", CallEvent::Grants { grants: viewer_may_publish })]
    );
    assert!(call.viewers_may_publish());
    assert_eq!(call.command(&pid("own"), allowed), vec![], "allowing twice changes nothing");
    let late = call.join(T0, joining("late", Role::Viewer)).expect("joins");
    assert!(matches!(&late[1], Effect::Send(_, CallEvent::Joined { grants, .. }) if *grants == viewer_may_publish));

    // The viewer publishes its camera, and its microphone muted.
    let effects = call.command(&pid("view"), offer_of(&[("0", Camera, false), ("1", Microphone, true)]));
    let tracks = vec![offered("view", "0", Camera, false), offered("view", "1", Microphone, true)];
    assert_eq!(effects, concat([vec![publish_action("view", tracks)], update_to_all(&call, "view")]));

    // Disallowed: the unmuted camera is muted, the muted microphone left alone.
    let effects = call.command(&pid("own"), CallCommand::AllowViewersToPublish { allowed: false });
    assert_eq!(track_states(&call, "view"), [(Camera, true), (Microphone, true)]);
    assert_eq!(
        effects,
        concat([
            vec![
                send("view", CallEvent::Grants { grants: VIEWER }),
                set_muted("view.0", true),
                send("view", CallEvent::MutedByModerator { source: Camera }),
            ],
            update_to_all(&call, "view"),
            vec![send("late", CallEvent::Grants { grants: VIEWER })],
        ])
    );
    assert_error(call.command(&pid("view"), CallCommand::Mute { source: Camera, muted: false }), "view", "not_allowed");
    assert_error(
        call.command(&pid("view"), CallCommand::Mute { source: Microphone, muted: false }),
        "view",
        "not_allowed",
    );
    assert_error(call.command(&pid("view"), offer(&[("0", Camera)])), "view", "not_allowed");
    assert_eq!(call.command(&pid("view"), CallCommand::Mute { source: Camera, muted: true }), vec![], "already muted");
    assert_eq!(track_states(&call, "view"), [(Camera, true), (Microphone, true)]);

    // Allowed again: the tracks stay muted until the viewer unmutes them.
    let effects = call.command(&pid("own"), CallCommand::AllowViewersToPublish { allowed: true });
    assert_eq!(
        effects,
        vec![
            send("view", CallEvent::Grants { grants: viewer_may_publish }),
            send("late", CallEvent::Grants { grants: viewer_may_publish }),
        ]
    );
    let effects = call.command(&pid("view"), CallCommand::Mute { source: Camera, muted: false });
    assert_eq!(effects, concat([vec![set_muted("view.0", false)], update_to_all(&call, "view")]));
}

#[test]
fn renegotiation_adds_and_drops_tracks() {
    let mut call = cast();
    let first = call.command(&pid("ed"), offer(&[("0", Camera), ("1", Microphone)]));
    assert_eq!(
        first,
        concat([
            vec![publish_action("ed", vec![offered("ed", "0", Camera, false), offered("ed", "1", Microphone, false)])],
            update_to_all(&call, "ed"),
        ])
    );

    let second = call.command(&pid("ed"), offer(&[("0", Camera), ("1", Microphone), ("2", Screen)]));
    let three = vec![
        TrackView { id: tid("ed.0"), kind: MediaKind::Video, source: Camera, muted: false, simulcast: true },
        TrackView { id: tid("ed.1"), kind: MediaKind::Audio, source: Microphone, muted: false, simulcast: false },
        TrackView { id: tid("ed.2"), kind: MediaKind::Video, source: Screen, muted: false, simulcast: false },
    ];
    assert_eq!(view(&call, "ed").tracks, three);
    assert_eq!(
        second,
        concat([
            vec![publish_action(
                "ed",
                vec![
                    offered("ed", "0", Camera, false),
                    offered("ed", "1", Microphone, false),
                    offered("ed", "2", Screen, false)
                ]
            )],
            update_to_all(&call, "ed"),
        ])
    );
    assert_eq!(second.len(), 1 + 3, "the SFU, then all three participants, the sender included");

    let third = call.command(&pid("ed"), offer(&[("0", Camera), ("1", Microphone)]));
    assert_eq!(view(&call, "ed").tracks, three[..2]);
    assert_eq!(
        third,
        concat([
            vec![publish_action("ed", vec![offered("ed", "0", Camera, false), offered("ed", "1", Microphone, false)])],
            update_to_all(&call, "ed"),
        ])
    );
}

#[test]
fn an_offer_the_sfu_refuses_leaves_the_tracks_as_they_were() {
    let mut call = cast();
    call.command(&pid("ed"), offer(&[("0", Camera), ("1", Microphone)]));
    call.media(MediaEvent::PublishAnswer { participant: pid("ed"), sdp: "v=0 answer".to_owned() });
    let before = view(&call, "ed").tracks;
    // A garbled offer that would drop both tracks: everyone is told, then the SFU refuses it.
    call.command(&pid("ed"), offer(&[]));
    assert!(view(&call, "ed").tracks.is_empty());
    let failed = call.media(MediaEvent::NegotiationFailed {
        participant: pid("ed"),
        peer: PeerRole::Publisher,
        message: "not an SDP offer".to_owned(),
    });
    assert_eq!(view(&call, "ed").tracks, before);
    assert_eq!(
        failed,
        concat([
            vec![send(
                "ed",
                CallEvent::Error {
                    code: "negotiation_failed".to_owned(),
                    message: "publisher connection: not an SDP offer".to_owned(),
                }
            )],
            update_to_all(&call, "ed"),
        ])
    );
    // A subscriber failure touches no track.
    let effects = call.media(MediaEvent::NegotiationFailed {
        participant: pid("ed"),
        peer: PeerRole::Subscriber,
        message: "bad answer".to_owned(),
    });
    assert_eq!(effects.len(), 1);
}

#[test]
fn an_offer_that_changes_no_track_goes_to_the_sfu_only() {
    let mut call = cast();
    call.command(&pid("ed"), offer(&[("0", Camera), ("1", Microphone)]));
    // A publisher ICE restart: the same tracks, a new offer.
    let effects = call.command(&pid("ed"), offer(&[("0", Camera), ("1", Microphone)]));
    assert_eq!(
        effects,
        vec![publish_action("ed", vec![offered("ed", "0", Camera, false), offered("ed", "1", Microphone, false)])]
    );
    // Only a mute state changes: everyone sees it.
    let effects = call.command(&pid("ed"), offer_of(&[("0", Camera, false), ("1", Microphone, true)]));
    assert_eq!(effects.len(), 1 + 3);
    assert_eq!(effects[1..], update_to_all(&call, "ed"));
    assert_eq!(track_states(&call, "ed"), [(Camera, false), (Microphone, true)]);
}

#[test]
fn track_ids_are_stable_per_participant_and_mid() {
    let mut call = cast();
    call.command(&pid("ed"), offer(&[("0", Camera), ("1", Microphone)]));
    call.command(&pid("own"), offer(&[("0", Camera)]));
    let ids = |call: &Call, who: &str| -> Vec<TrackId> { view(call, who).tracks.into_iter().map(|t| t.id).collect() };
    assert_eq!(ids(&call, "ed"), [tid("ed.0"), tid("ed.1")]);
    assert_eq!(ids(&call, "own"), [tid("own.0")], "the same mid of another participant is another track");

    call.command(&pid("ed"), offer(&[("1", Microphone), ("0", Camera), ("3", Screen)]));
    assert_eq!(ids(&call, "ed"), [tid("ed.1"), tid("ed.0"), tid("ed.3")]);
    call.command(&pid("ed"), offer(&[("3", Screen)]));
    assert_eq!(ids(&call, "ed"), [tid("ed.3")]);
}

#[test]
fn participants_mute_and_unmute_their_own_sources() {
    let mut call = cast();
    call.command(&pid("ed"), offer(&[("0", Camera), ("1", Microphone), ("2", Microphone)]));

    let effects = call.command(&pid("ed"), CallCommand::Mute { source: Microphone, muted: true });
    assert_eq!(track_states(&call, "ed"), [(Camera, false), (Microphone, true), (Microphone, true)]);
    assert_eq!(effects, concat([vec![set_muted("ed.1", true), set_muted("ed.2", true)], update_to_all(&call, "ed")]));
    assert_eq!(call.command(&pid("ed"), CallCommand::Mute { source: Microphone, muted: true }), vec![], "no change");
    assert_error(call.command(&pid("ed"), CallCommand::Mute { source: Screen, muted: true }), "ed", "not_found");

    let effects = call.command(&pid("ed"), CallCommand::Mute { source: Microphone, muted: false });
    assert_eq!(effects, concat([vec![set_muted("ed.1", false), set_muted("ed.2", false)], update_to_all(&call, "ed")]));
    assert_eq!(track_states(&call, "ed"), [(Camera, false), (Microphone, false), (Microphone, false)]);
}

#[test]
fn moderators_mute_participants() {
    let mut call = cast();
    call.command(&pid("ed"), offer(&[("0", Camera), ("1", Microphone)]));
    let mute = CallCommand::MuteParticipant { participant_id: pid("ed"), source: Microphone };

    let effects = call.command(&pid("own"), mute.clone());
    assert_eq!(track_states(&call, "ed"), [(Camera, false), (Microphone, true)]);
    assert_eq!(
        effects,
        concat([
            vec![set_muted("ed.1", true), send("ed", CallEvent::MutedByModerator { source: Microphone })],
            update_to_all(&call, "ed"),
        ])
    );
    // Muting a muted source again still tells the participant (its browser may be unmuting).
    assert_eq!(call.command(&pid("own"), mute), vec![send("ed", CallEvent::MutedByModerator { source: Microphone })]);

    // An editor may publish, so it may unmute itself.
    let effects = call.command(&pid("ed"), CallCommand::Mute { source: Microphone, muted: false });
    assert_eq!(effects[0], set_muted("ed.1", false));

    let unknown = CallCommand::MuteParticipant { participant_id: pid("ghost"), source: Camera };
    assert_error(call.command(&pid("own"), unknown), "own", "not_found");
    let unpublished = CallCommand::MuteParticipant { participant_id: pid("ed"), source: Screen };
    assert_error(call.command(&pid("own"), unpublished), "own", "not_found");
}

#[test]
fn only_moderators_moderate() {
    let mut call = cast();
    call.command(&pid("ed"), offer(&[("0", Camera)]));
    let commands = [
        CallCommand::MuteParticipant { participant_id: pid("ed"), source: Camera },
        CallCommand::RemoveParticipant { participant_id: pid("own") },
        CallCommand::AllowViewersToPublish { allowed: true },
        CallCommand::EndCall,
    ];
    for sender in ["ed", "view"] {
        for command in commands.clone() {
            assert_error(call.command(&pid(sender), command), sender, "forbidden");
        }
    }
    assert_eq!(call.participant_count(), 3);
    assert!(!call.viewers_may_publish());
    assert_eq!(track_states(&call, "ed"), [(Camera, false)]);
}

#[test]
fn moderators_remove_participants() {
    let mut call = cast();
    let effects = call.command(&pid("own"), CallCommand::RemoveParticipant { participant_id: pid("ed") });
    let reason = LeaveReason::Removed;
    assert_eq!(
        effects,
        vec![
            send("ed", CallEvent::Left { reason }),
            Effect::Close(pid("ed"), reason),
            media(MediaAction::RemoveParticipant { participant: pid("ed") }),
            send("own", CallEvent::ParticipantLeft { participant_id: pid("ed"), reason }),
            send("view", CallEvent::ParticipantLeft { participant_id: pid("ed"), reason }),
        ]
    );
    assert!(call.participant(&pid("ed")).is_none());
    let again = CallCommand::RemoveParticipant { participant_id: pid("ed") };
    assert_error(call.command(&pid("own"), again), "own", "not_found");
}

#[test]
fn ending_the_call_closes_every_socket() {
    let mut call = cast();
    let effects = call.command(&pid("own"), CallCommand::EndCall);
    let reason = LeaveReason::CallEnded;
    let expected: Vec<Effect> = ["own", "ed", "view"]
        .into_iter()
        .flat_map(|who| {
            [
                send(who, CallEvent::Left { reason }),
                Effect::Close(pid(who), reason),
                media(MediaAction::RemoveParticipant { participant: pid(who) }),
            ]
        })
        .collect();
    assert_eq!(effects, expected, "no participant_left: everyone is leaving");
    assert!(call.is_empty());
    assert_eq!(call.summary().total_joins, 3, "the summary outlives the participants");
}

#[test]
fn a_dropped_socket_leaves_without_a_close() {
    let mut call = cast();
    let reason = LeaveReason::Disconnected;
    assert_eq!(
        call.socket_closed(&pid("ed")),
        vec![
            media(MediaAction::RemoveParticipant { participant: pid("ed") }),
            send("own", CallEvent::ParticipantLeft { participant_id: pid("ed"), reason }),
            send("view", CallEvent::ParticipantLeft { participant_id: pid("ed"), reason }),
        ]
    );
    assert_eq!(call.socket_closed(&pid("ed")), vec![], "leaving twice does nothing");
    assert_eq!(call.participant_count(), 2);
}

#[test]
fn leaving_says_goodbye_and_closes() {
    let mut call = cast();
    let reason = LeaveReason::Left;
    assert_eq!(
        call.command(&pid("view"), CallCommand::Leave),
        vec![
            send("view", CallEvent::Left { reason }),
            Effect::Close(pid("view"), reason),
            media(MediaAction::RemoveParticipant { participant: pid("view") }),
            send("own", CallEvent::ParticipantLeft { participant_id: pid("view"), reason }),
            send("ed", CallEvent::ParticipantLeft { participant_id: pid("view"), reason }),
        ]
    );
}

#[test]
fn a_lost_media_connection_drops_the_participant_and_closes_its_socket() {
    let mut call = cast();
    let reason = LeaveReason::Disconnected;
    assert_eq!(
        call.media(MediaEvent::ConnectionLost { participant: pid("ed") }),
        vec![
            send("ed", CallEvent::Left { reason }),
            Effect::Close(pid("ed"), reason),
            media(MediaAction::RemoveParticipant { participant: pid("ed") }),
            send("own", CallEvent::ParticipantLeft { participant_id: pid("ed"), reason }),
            send("view", CallEvent::ParticipantLeft { participant_id: pid("ed"), reason }),
        ]
    );
    assert_eq!(call.media(MediaEvent::ConnectionLost { participant: pid("ed") }), vec![]);
}

#[test]
fn negotiation_frames_are_forwarded_to_the_sfu() {
    let mut call = cast();
    assert_eq!(
        call.command(&pid("ed"), CallCommand::SubscribeAnswer { sdp: "v=0 answer".to_owned() }),
        vec![media(MediaAction::SubscribeAnswer { participant: pid("ed"), sdp: "v=0 answer".to_owned() })]
    );
    let candidate = "candidate:1 1 udp 2122260223 192.0.2.1 54400 typ host".to_owned();
    assert_eq!(
        call.command(&pid("ed"), CallCommand::IceCandidate { peer: PeerRole::Publisher, candidate: candidate.clone() }),
        vec![media(MediaAction::RemoteCandidate { participant: pid("ed"), peer: PeerRole::Publisher, candidate })]
    );
    assert_eq!(
        call.command(&pid("view"), CallCommand::IceRestart),
        vec![media(MediaAction::RestartSubscriberIce { participant: pid("view") })]
    );
    let tracks = vec![TrackViewport { track_id: tid("ed.0"), width: 640, height: 360 }];
    assert_eq!(
        call.command(&pid("view"), CallCommand::Viewport { tracks: tracks.clone() }),
        vec![media(MediaAction::Viewport { participant: pid("view"), tracks })]
    );
}

#[test]
fn an_editor_made_viewer_loses_publishing_at_once() {
    let mut call = cast();
    call.command(&pid("ed"), offer_of(&[("0", Camera, false), ("1", Microphone, false), ("2", Screen, false)]));

    let effects = call.role_changed(&UserId::new("u-ed"), Some(Role::Viewer));
    assert_eq!(track_states(&call, "ed"), [(Camera, true), (Microphone, true), (Screen, true)]);
    assert_eq!(
        effects,
        concat([
            vec![
                send("ed", CallEvent::Grants { grants: VIEWER }),
                set_muted("ed.0", true),
                set_muted("ed.1", true),
                set_muted("ed.2", true),
                send("ed", CallEvent::MutedByModerator { source: Camera }),
                send("ed", CallEvent::MutedByModerator { source: Microphone }),
                send("ed", CallEvent::MutedByModerator { source: Screen }),
            ],
            update_to_all(&call, "ed"),
        ])
    );
    assert_eq!(call.participant(&pid("ed")).expect("still in").role(), Role::Viewer);
    assert_error(call.command(&pid("ed"), CallCommand::Mute { source: Camera, muted: false }), "ed", "not_allowed");
    assert_error(call.command(&pid("ed"), offer(&[("0", Camera)])), "ed", "not_allowed");
    // Renegotiating without the tracks it may no longer send unpublishes them.
    let effects = call.command(&pid("ed"), offer(&[]));
    assert_eq!(effects[0], publish_action("ed", vec![]));
    assert!(view(&call, "ed").tracks.is_empty());

    assert_eq!(call.role_changed(&UserId::new("u-ed"), Some(Role::Viewer)), vec![], "the same role changes nothing");
}

#[test]
fn an_owner_made_editor_stops_moderating() {
    let mut call = cast();
    let effects = call.role_changed(&UserId::new("u-own"), Some(Role::Editor));
    assert!(!view(&call, "own").moderator);
    assert_eq!(effects, concat([vec![send("own", CallEvent::Grants { grants: EDITOR })], update_to_all(&call, "own")]));
    assert_error(call.command(&pid("own"), CallCommand::EndCall), "own", "forbidden");
}

#[test]
fn a_user_removed_from_the_workspace_leaves_from_every_tab() {
    let mut call = new_call(10);
    let tab = |id: &str| Joining {
        participant: pid(id),
        user: UserId::new("ada"),
        name: "Ada".to_owned(),
        role: Role::Editor,
    };
    call.join(T0, tab("tab-1")).expect("joins");
    join(&mut call, "bob", Role::Viewer);
    call.join(T0, tab("tab-2")).expect("joins");

    let reason = LeaveReason::AccessRemoved;
    assert_eq!(
        call.role_changed(&UserId::new("ada"), None),
        vec![
            send("tab-1", CallEvent::Left { reason }),
            Effect::Close(pid("tab-1"), reason),
            media(MediaAction::RemoveParticipant { participant: pid("tab-1") }),
            send("bob", CallEvent::ParticipantLeft { participant_id: pid("tab-1"), reason }),
            send("tab-2", CallEvent::ParticipantLeft { participant_id: pid("tab-1"), reason }),
            send("tab-2", CallEvent::Left { reason }),
            Effect::Close(pid("tab-2"), reason),
            media(MediaAction::RemoveParticipant { participant: pid("tab-2") }),
            send("bob", CallEvent::ParticipantLeft { participant_id: pid("tab-2"), reason }),
        ]
    );
    assert_eq!(call.participant_count(), 1);
    assert_eq!(call.role_changed(&UserId::new("nobody"), None), vec![]);
}

#[test]
fn active_speakers_are_sent_only_when_they_change() {
    let mut call = cast();
    let speakers = |ids: &[&str]| MediaEvent::ActiveSpeakers { participants: ids.iter().map(|id| pid(id)).collect() };
    let frame = |ids: &[&str]| CallEvent::ActiveSpeakers { participant_ids: ids.iter().map(|id| pid(id)).collect() };

    assert_eq!(call.media(speakers(&[])), vec![], "no one spoke yet");
    assert_eq!(call.media(speakers(&["ed", "own"])), to_all(&call, frame(&["ed", "own"])));
    assert_eq!(call.media(speakers(&["ed", "own"])), vec![]);
    assert_eq!(call.media(speakers(&["own", "ed"])), to_all(&call, frame(&["own", "ed"])), "the order is news");
    // A speaker who already left is not named.
    call.socket_closed(&pid("ed"));
    assert_eq!(call.media(speakers(&["own", "ed"])), to_all(&call, frame(&["own"])));
    assert_eq!(call.media(speakers(&["own"])), vec![]);
}

#[test]
fn sfu_reports_reach_their_participant() {
    let mut call = cast();
    assert_eq!(
        call.media(MediaEvent::PublishAnswer { participant: pid("ed"), sdp: "v=0 answer".to_owned() }),
        vec![send("ed", CallEvent::PublishAnswer { sdp: "v=0 answer".to_owned() })]
    );
    let tracks = vec![SubscribedTrack {
        mid: "0".to_owned(),
        track_id: tid("ed.0"),
        participant_id: pid("ed"),
        kind: MediaKind::Video,
        source: Camera,
    }];
    assert_eq!(
        call.media(MediaEvent::SubscribeOffer {
            participant: pid("view"),
            sdp: "v=0 offer".to_owned(),
            tracks: tracks.clone()
        }),
        vec![send("view", CallEvent::SubscribeOffer { sdp: "v=0 offer".to_owned(), tracks })]
    );
    assert_eq!(
        call.media(MediaEvent::LayerChanged { participant: pid("view"), track: tid("ed.0"), layer: Layer::Low }),
        vec![send("view", CallEvent::LayerChanged { track_id: tid("ed.0"), layer: Layer::Low })]
    );
    assert_eq!(
        call.media(MediaEvent::NegotiationFailed {
            participant: pid("ed"),
            peer: PeerRole::Publisher,
            message: "no fingerprint".to_owned()
        }),
        vec![send(
            "ed",
            CallEvent::Error {
                code: "negotiation_failed".to_owned(),
                message: "publisher connection: no fingerprint".to_owned()
            }
        )]
    );

    let ghost = pid("ghost");
    let unknown = [
        MediaEvent::PublishAnswer { participant: ghost.clone(), sdp: String::new() },
        MediaEvent::SubscribeOffer { participant: ghost.clone(), sdp: String::new(), tracks: Vec::new() },
        MediaEvent::LayerChanged { participant: ghost.clone(), track: tid("ed.0"), layer: Layer::High },
        MediaEvent::NegotiationFailed {
            participant: ghost.clone(),
            peer: PeerRole::Subscriber,
            message: String::new(),
        },
        MediaEvent::ConnectionLost { participant: ghost },
    ];
    for event in unknown {
        assert_eq!(call.media(event.clone()), vec![], "{event:?}");
    }
    assert_eq!(call.participant_count(), 3);
}

#[test]
fn commands_after_leaving_are_ignored() {
    let mut call = cast();
    call.command(&pid("own"), CallCommand::Leave);
    let commands = [
        offer(&[("0", Camera)]),
        CallCommand::SubscribeAnswer { sdp: "v=0".to_owned() },
        CallCommand::IceCandidate { peer: PeerRole::Subscriber, candidate: "candidate:1".to_owned() },
        CallCommand::IceRestart,
        CallCommand::Mute { source: Camera, muted: true },
        CallCommand::Viewport { tracks: Vec::new() },
        CallCommand::MuteParticipant { participant_id: pid("ed"), source: Camera },
        CallCommand::RemoveParticipant { participant_id: pid("ed") },
        CallCommand::AllowViewersToPublish { allowed: true },
        CallCommand::EndCall,
        CallCommand::Leave,
    ];
    for command in commands {
        assert_eq!(call.command(&pid("own"), command.clone()), vec![], "{command:?}");
    }
    assert_eq!(call.socket_closed(&pid("own")), vec![]);
    assert_eq!(call.role_changed(&UserId::new("u-own"), None), vec![]);
    assert_eq!(call.participant_count(), 2);
    assert!(!call.viewers_may_publish());
}

#[test]
fn candidates_are_bounded() {
    let mut call = cast();
    let candidate = |len: usize| CallCommand::IceCandidate { peer: PeerRole::Subscriber, candidate: "a".repeat(len) };
    assert!(matches!(
        call.command(&pid("ed"), candidate(MAX_CANDIDATE_BYTES)).as_slice(),
        [Effect::Media(MediaAction::RemoteCandidate { .. })]
    ));
    assert_error(call.command(&pid("ed"), candidate(MAX_CANDIDATE_BYTES + 1)), "ed", "invalid_candidate");
    assert_eq!(MAX_CANDIDATE_BYTES, 1024);
}

#[test]
fn viewports_are_bounded_and_clamped() {
    let mut call = cast();
    let viewport = |n: usize, size: u32| CallCommand::Viewport {
        tracks: (0..n)
            .map(|i| TrackViewport { track_id: tid(&format!("ed.{i}")), width: size, height: size / 2 })
            .collect(),
    };
    assert_eq!(
        call.command(&pid("view"), viewport(1, 10_000)),
        vec![media(MediaAction::Viewport {
            participant: pid("view"),
            tracks: vec![TrackViewport { track_id: tid("ed.0"), width: 8192, height: 5000 }],
        })]
    );
    assert_eq!(call.command(&pid("view"), viewport(MAX_VIEWPORT_TRACKS, 0)).len(), 1);
    assert_error(call.command(&pid("view"), viewport(MAX_VIEWPORT_TRACKS + 1, 0)), "view", "invalid_viewport");
    assert_eq!((MAX_VIEWPORT_TRACKS, MAX_VIEWPORT_SIZE), (64, 8192));
}

#[test]
fn offers_are_bounded() {
    let mut call = cast();
    call.command(&pid("ed"), offer(&[("0", Camera)]));
    let before = view(&call, "ed");

    let mids: Vec<String> = (0..=MAX_TRACKS).map(|i| i.to_string()).collect();
    let many = |n: usize| offer(&mids[..n].iter().map(|mid| (mid.as_str(), Microphone)).collect::<Vec<_>>());
    let long_mid = "m".repeat(MAX_MID_BYTES + 1);
    let invalid = [
        many(MAX_TRACKS + 1),
        offer(&[("", Camera)]),
        offer(&[("0", Camera), ("0", Microphone)]),
        offer(&[("a b", Camera)]),
        offer(&[(long_mid.as_str(), Camera)]),
    ];
    for command in invalid {
        assert_error(call.command(&pid("ed"), command.clone()), "ed", "invalid_offer");
        assert_eq!(view(&call, "ed"), before, "{command:?} changed nothing");
    }
    // Malformed and forbidden at once: the shape is checked first.
    assert_error(call.command(&pid("view"), offer(&[("", Camera)])), "view", "invalid_offer");

    let effects = call.command(&pid("ed"), many(MAX_TRACKS));
    assert!(
        matches!(&effects[0], Effect::Media(MediaAction::PublishOffer { tracks, .. }) if tracks.len() == MAX_TRACKS)
    );
    let longest = "m".repeat(MAX_MID_BYTES);
    assert!(matches!(call.command(&pid("ed"), offer(&[(longest.as_str(), Camera)]))[0], Effect::Media(_)));
    assert_eq!(MAX_TRACKS, 16);
}

#[test]
fn the_summary_counts_joins_and_the_peak() {
    let mut call = new_call(10);
    assert_eq!(call.summary(), CallStats { started_at_ms: None, peak_participants: 0, total_joins: 0 });
    call.join(T0, joining("a", Role::Editor)).expect("joins");
    call.join(T0 + 10, joining("b", Role::Editor)).expect("joins");
    call.socket_closed(&pid("b"));
    call.join(T0 + 20, joining("c", Role::Editor)).expect("joins");
    call.join(T0 + 30, joining("d", Role::Editor)).expect("joins");
    call.socket_closed(&pid("a"));
    assert!(call.join(T0 + 40, joining("d", Role::Editor)).is_err(), "refused joins do not count");
    assert_eq!(call.summary(), CallStats { started_at_ms: Some(T0), peak_participants: 3, total_joins: 4 });
}
