//! Calls over the call socket: joining and who is told, grants by role, the
//! participant limit, negotiation with the SFU (a real SDP offer made by a
//! `str0m` peer standing in for a browser), moderator actions, access ending
//! and bad frames. Media itself flows in the browser tests (`e2e/test/call.test.js`).

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{Value, json};
use str0m::Rtc;
use str0m::media::{Direction, MediaKind};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::support::{TestServer, TestUser};

pub(crate) type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// One participation in a call.
pub(crate) struct Participant {
    pub(crate) socket: Socket,
    pub(crate) joined: Value,
}

impl Participant {
    pub(crate) async fn join(server: &TestServer, room: &str, user: &TestUser) -> Participant {
        let mut socket = connect(server, room, user).await;
        let joined = next(&mut socket).await;
        assert_eq!(joined["type"], "joined", "{joined}");
        Participant { socket, joined }
    }

    pub(crate) fn id(&self) -> &str {
        self.joined["participant_id"].as_str().unwrap()
    }

    pub(crate) async fn send(&mut self, command: Value) {
        self.socket.send(Message::Text(command.to_string().into())).await.unwrap();
    }

    pub(crate) async fn next_of(&mut self, kind: &str) -> Value {
        loop {
            let event = next(&mut self.socket).await;
            if event["type"] == kind {
                return event;
            }
        }
    }
}

async fn connect(server: &TestServer, room: &str, user: &TestUser) -> Socket {
    let url = format!("ws://{}/api/v1/rooms/{room}/call?token={}", server.addr, user.token);
    tokio_tungstenite::connect_async(url).await.expect("call socket").0
}

/// The next call event on `socket` (for other modules' tests).
pub(crate) async fn next_frame(socket: &mut Socket) -> Value {
    next(socket).await
}

async fn next(socket: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("a call event within 10 s")
            .expect("the socket is open")
            .expect("a frame");
        match message {
            Message::Text(text) => return serde_json::from_str(&text).unwrap(),
            Message::Close(frame) => panic!("closed: {frame:?}"),
            _ => {}
        }
    }
}

/// The close frame the socket ends with (skipping events before it).
async fn closed(socket: &mut Socket) -> (u16, String) {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("a close within 10 s")
            .expect("the socket is open")
            .expect("a frame");
        if let Message::Close(frame) = message {
            let frame = frame.expect("a close code");
            return (u16::from(frame.code), frame.reason.to_string());
        }
    }
}

/// A workspace with an owner, an editor and a viewer, and its default room.
struct Team {
    server: TestServer,
    owner: TestUser,
    editor: TestUser,
    viewer: TestUser,
    ws: String,
    room: String,
}

async fn team_with(tune: impl FnOnce(&mut reynard_server::config::Config)) -> Team {
    let server = TestServer::start_with(tune).await;
    let owner = server.signup("owner@example.org").await;
    let editor = server.signup("editor@example.org").await;
    let viewer = server.signup("viewer@example.org").await;
    let ws = server.workspace(&owner, "Calls").await;
    server.add(&owner, &ws, &editor, "editor").await;
    server.add(&owner, &ws, &viewer, "viewer").await;
    let (_, rooms) = server.get(&format!("/api/v1/workspaces/{ws}/rooms"), &owner.token).await;
    let room = rooms[0]["id"].as_str().unwrap().to_owned();
    Team { server, owner, editor, viewer, ws, room }
}

/// An SDP offer a browser would make to publish a camera and a microphone.
pub(crate) fn publish_offer() -> (String, Vec<Value>) {
    let mut rtc = Rtc::builder().build(Instant::now());
    let mut api = rtc.sdp_api();
    let video = api.add_media(MediaKind::Video, Direction::SendOnly, None, None, None);
    let audio = api.add_media(MediaKind::Audio, Direction::SendOnly, None, None, None);
    let (offer, _pending) = api.apply().expect("an offer");
    let tracks = vec![
        json!({ "mid": video.to_string(), "source": "camera" }),
        json!({ "mid": audio.to_string(), "source": "microphone" }),
    ];
    (offer.to_sdp_string(), tracks)
}

#[tokio::test]
async fn joining_tells_everyone_and_grants_follow_the_role() {
    let t = team_with(|_| {}).await;
    let mut owner = Participant::join(&t.server, &t.room, &t.owner).await;
    assert_eq!(owner.joined["room_id"], t.room.as_str());
    assert_eq!(
        owner.joined["grants"],
        json!({ "join": true, "publish": true, "subscribe": true, "screen": true, "moderate": true })
    );
    assert_eq!(owner.joined["participants"].as_array().unwrap().len(), 1);
    assert_eq!(owner.joined["limit"], 50);

    let viewer = Participant::join(&t.server, &t.room, &t.viewer).await;
    assert_eq!(viewer.joined["grants"]["publish"], false, "{}", viewer.joined);
    assert_eq!(viewer.joined["grants"]["subscribe"], true);
    assert_eq!(viewer.joined["grants"]["moderate"], false);
    let names: Vec<&str> =
        viewer.joined["participants"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names.len(), 2, "{names:?}");
    let joined = owner.next_of("participant_joined").await;
    assert_eq!(joined["participant"]["id"], viewer.id());
    assert_eq!(joined["participant"]["user_id"], t.viewer.id.as_str());

    // A viewer may not publish a camera until moderators allow it.
    let (sdp, tracks) = publish_offer();
    let mut viewer = viewer;
    viewer.send(json!({ "type": "publish_offer", "sdp": sdp, "tracks": tracks })).await;
    let refused = viewer.next_of("error").await;
    assert_eq!(refused["code"], "not_allowed", "{refused}");
    owner.send(json!({ "type": "allow_viewers_to_publish", "allowed": true })).await;
    let grants = viewer.next_of("grants").await;
    assert_eq!(grants["grants"]["publish"], true, "{grants}");

    // The call's history gets this call once everyone left.
    drop(viewer);
    let left = owner.next_of("participant_left").await;
    assert_eq!(left["reason"], "disconnected");
    owner.send(json!({ "type": "leave" })).await;
    let (code, _) = closed(&mut owner.socket).await;
    assert_eq!(code, 1000);
    let path = format!("/api/v1/rooms/{}/calls", t.room);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, calls) = t.server.get(&path, &t.editor.token).await;
        assert_eq!(status, StatusCode::OK, "{calls}");
        if let Some(call) = calls.as_array().unwrap().first() {
            assert_eq!(call["peak_participants"], 2, "{call}");
            assert_eq!(call["total_joins"], 2, "{call}");
            break;
        }
        assert!(Instant::now() < deadline, "no call summary was kept");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn the_sfu_answers_publishers_and_offers_their_tracks_to_the_others() {
    let t = team_with(|_| {}).await;
    let mut owner = Participant::join(&t.server, &t.room, &t.owner).await;
    let mut editor = Participant::join(&t.server, &t.room, &t.editor).await;
    // Everyone's subscriber connection is offered at once (its data channel
    // brings ICE and DTLS up before there is media).
    let first = editor.next_of("subscribe_offer").await;
    assert!(first["sdp"].as_str().unwrap().contains("m=application"), "{first}");
    editor.send(json!({ "type": "subscribe_answer", "sdp": answer_to(first["sdp"].as_str().unwrap()) })).await;

    let (sdp, tracks) = publish_offer();
    owner.send(json!({ "type": "publish_offer", "sdp": sdp, "tracks": tracks })).await;
    let answer = owner.next_of("publish_answer").await;
    let answer_sdp = answer["sdp"].as_str().unwrap();
    assert!(answer_sdp.contains("a=recvonly"), "{answer_sdp}");
    assert!(answer_sdp.contains("a=candidate:"), "the answer names the media port: {answer_sdp}");
    let updated = editor.next_of("participant_updated").await;
    let sources: Vec<&str> =
        updated["participant"]["tracks"].as_array().unwrap().iter().map(|t| t["source"].as_str().unwrap()).collect();
    assert_eq!(sources.len(), 2, "{updated}");
    assert!(sources.contains(&"camera") && sources.contains(&"microphone"), "{updated}");

    // The editor is offered both tracks, with whose they are.
    let offer = editor.next_of("subscribe_offer").await;
    let offered = offer["tracks"].as_array().unwrap();
    assert_eq!(offered.len(), 2, "{offer}");
    assert!(offered.iter().all(|t| t["participant_id"] == owner.id()), "{offer}");
    let sdp = offer["sdp"].as_str().unwrap();
    assert!(sdp.contains("m=video") && sdp.contains("m=audio") && sdp.contains("a=sendonly"), "{sdp}");
    assert!(sdp.contains(&format!("a=msid:{}", owner.id())), "the stream id is the publisher: {sdp}");

    // A garbled offer is answered with an error; the call goes on.
    owner.send(json!({ "type": "publish_offer", "sdp": "v=0 nonsense", "tracks": [] })).await;
    let failed = owner.next_of("error").await;
    assert_eq!(failed["code"], "negotiation_failed", "{failed}");
    // …and the tracks everyone sees are as they were.
    loop {
        let update = editor.next_of("participant_updated").await;
        if update["participant"]["tracks"].as_array().unwrap().len() == 2 {
            break;
        }
    }
    owner.send(json!({ "type": "no_such_command" })).await;
    let unknown = owner.next_of("error").await;
    assert_eq!(unknown["code"], "invalid_command", "{unknown}");
    owner.send(json!({ "type": "mute", "source": "camera", "muted": true })).await;
    let muted = editor.next_of("participant_updated").await;
    let camera = muted["participant"]["tracks"].as_array().unwrap().iter().find(|t| t["source"] == "camera").cloned();
    assert_eq!(camera.unwrap()["muted"], true, "{muted}");
}

/// What a browser would answer to the SFU's subscriber offer.
fn answer_to(offer: &str) -> String {
    let mut rtc = Rtc::builder().build(Instant::now());
    let offer = str0m::change::SdpOffer::from_sdp_string(offer).expect("an SDP offer");
    rtc.sdp_api().accept_offer(offer).expect("an acceptable offer").to_sdp_string()
}

#[tokio::test]
async fn a_full_call_refuses_with_a_reason() {
    let t = team_with(|config| config.rtc.participant_limit = 2).await;
    let _owner = Participant::join(&t.server, &t.room, &t.owner).await;
    let editor = Participant::join(&t.server, &t.room, &t.editor).await;
    let mut third = connect(&t.server, &t.room, &t.viewer).await;
    let (code, reason) = closed(&mut third).await;
    assert_eq!(code, u16::from(CloseCode::Policy));
    assert!(reason.starts_with("call_full"), "{reason}");
    // Once someone leaves, there is room again.
    drop(editor);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut again = connect(&t.server, &t.room, &t.viewer).await;
        match tokio::time::timeout(Duration::from_secs(10), again.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => {
                let joined: Value = serde_json::from_str(&text).unwrap();
                assert_eq!(joined["type"], "joined");
                break;
            }
            other => assert!(Instant::now() < deadline, "still refused: {other:?}"),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn moderators_remove_and_end_and_others_may_not() {
    let t = team_with(|_| {}).await;
    let mut owner = Participant::join(&t.server, &t.room, &t.owner).await;
    let mut editor = Participant::join(&t.server, &t.room, &t.editor).await;
    let mut viewer = Participant::join(&t.server, &t.room, &t.viewer).await;
    editor.send(json!({ "type": "remove_participant", "participant_id": owner.id() })).await;
    assert_eq!(editor.next_of("error").await["code"], "forbidden");

    owner.send(json!({ "type": "remove_participant", "participant_id": editor.id() })).await;
    assert_eq!(editor.next_of("left").await["reason"], "removed");
    let (code, _) = closed(&mut editor.socket).await;
    assert_eq!(code, 1000);
    let left = viewer.next_of("participant_left").await;
    assert_eq!(left["reason"], "removed");

    owner.send(json!({ "type": "end_call" })).await;
    assert_eq!(viewer.next_of("left").await["reason"], "call_ended");
    assert_eq!(owner.next_of("left").await["reason"], "call_ended");
}

#[tokio::test]
async fn removal_from_the_workspace_ends_the_call_at_once() {
    let t = team_with(|_| {}).await;
    let mut owner = Participant::join(&t.server, &t.room, &t.owner).await;
    let mut editor = Participant::join(&t.server, &t.room, &t.editor).await;
    let (status, body) = t
        .server
        .call(
            reqwest::Method::DELETE,
            &format!("/api/v1/workspaces/{}/members/{}", t.ws, t.editor.id),
            Some(&t.owner.token),
            None,
        )
        .await;
    assert!(status.is_success(), "{status} {body}");
    let (code, reason) = closed(&mut editor.socket).await;
    assert_eq!(code, u16::from(CloseCode::Policy), "{reason}");
    let left = owner.next_of("participant_left").await;
    assert_eq!(left["participant_id"], editor.id());
    // And the removed user cannot come back.
    let url = format!("ws://{}/api/v1/rooms/{}/call?token={}", t.server.addr, t.room, t.editor.token);
    assert!(tokio_tungstenite::connect_async(url).await.is_err());
}

#[tokio::test]
async fn ice_servers_carry_time_limited_turn_credentials() {
    let t = team_with(|_| {}).await;
    let (status, servers) = t.server.get("/api/v1/rtc/ice-servers", &t.viewer.token).await;
    assert_eq!(status, StatusCode::OK, "{servers}");
    let server = &servers["iceServers"][0];
    let urls: Vec<&str> = server["urls"].as_array().unwrap().iter().map(|u| u.as_str().unwrap()).collect();
    assert!(urls.iter().any(|u| u.starts_with("turn:127.0.0.1:") && u.ends_with("?transport=udp")), "{urls:?}");
    let username = server["username"].as_str().unwrap();
    let (expiry, user) = username.split_once(':').unwrap();
    assert_eq!(user, t.viewer.id.as_str());
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let expiry: u64 = expiry.parse().unwrap();
    assert!(expiry > now + 3600 && expiry <= now + 24 * 3600, "{expiry} vs {now}");
    assert_eq!(servers["expiresAt"].as_u64(), Some(expiry));
    use base64::Engine as _;
    let credential = base64::engine::general_purpose::STANDARD.decode(server["credential"].as_str().unwrap()).unwrap();
    assert_eq!(credential.len(), 20, "an HMAC-SHA1");
}

/// The next `call` frame of a workspace live socket.
async fn next_call_frame(socket: &mut Socket) -> Value {
    loop {
        let event = next(socket).await;
        if event["type"] == "call" {
            return event;
        }
    }
}

#[tokio::test]
async fn who_is_in_a_call_shows_on_the_workspaces_live_socket() {
    let t = team_with(|_| {}).await;
    let live_url =
        |user: &TestUser| format!("ws://{}/api/v1/workspaces/{}/live?token={}", t.server.addr, t.ws, user.token);
    let mut viewer_tab = tokio_tungstenite::connect_async(live_url(&t.viewer)).await.unwrap().0;
    assert_eq!(next(&mut viewer_tab).await["type"], "welcome");

    let owner = Participant::join(&t.server, &t.room, &t.owner).await;
    let roster = next_call_frame(&mut viewer_tab).await;
    assert_eq!(roster["room_id"], t.room.as_str());
    assert_eq!(roster["participants"], json!([{ "user_id": t.owner.id.as_str(), "name": "owner" }]), "{roster}");

    // A tab that opens mid-call hears of it at once.
    let mut late_tab = tokio_tungstenite::connect_async(live_url(&t.editor)).await.unwrap().0;
    assert_eq!(next(&mut late_tab).await["type"], "welcome");
    let roster = next_call_frame(&mut late_tab).await;
    assert_eq!(roster["participants"].as_array().unwrap().len(), 1, "{roster}");

    // The call is over: an empty roster.
    drop(owner);
    let over = next_call_frame(&mut viewer_tab).await;
    assert_eq!(over["participants"], json!([]), "{over}");
}

/// Reads one RFC 4571 frame (a 16-bit length, then the packet).
async fn read_frame(stream: &mut tokio::net::TcpStream) -> std::io::Result<Vec<u8>> {
    use tokio::io::AsyncReadExt;
    let mut len = [0u8; 2];
    stream.read_exact(&mut len).await?;
    let mut packet = vec![0u8; usize::from(u16::from_be_bytes(len))];
    stream.read_exact(&mut packet).await?;
    Ok(packet)
}

#[tokio::test]
async fn media_connects_over_ice_tcp_when_udp_is_not_used() {
    use str0m::net::{Protocol, Receive, TcpType};
    use str0m::{Candidate, Event, Input, Output};
    use tokio::io::AsyncWriteExt;

    let t = team_with(|_| {}).await;
    let mut owner = Participant::join(&t.server, &t.room, &t.owner).await;
    let offer = owner.next_of("subscribe_offer").await;
    let offer_sdp = offer["sdp"].as_str().unwrap();
    // Only the TCP candidate, as a browser behind a UDP-blocking firewall would get through to.
    let tcp_line =
        offer_sdp.lines().find(|l| l.starts_with("a=candidate:") && l.contains(" tcp ")).expect("a TCP candidate");
    assert!(tcp_line.contains("tcptype passive"), "{tcp_line}");
    let fields: Vec<&str> = tcp_line.split_whitespace().collect();
    let server: std::net::SocketAddr = format!("{}:{}", fields[4], fields[5]).parse().unwrap();
    let tcp_only: String = offer_sdp
        .split("\r\n")
        .filter(|l| !(l.starts_with("a=candidate:") && l.contains(" udp ")))
        .collect::<Vec<_>>()
        .join("\r\n");

    let mut browser = Rtc::builder().build(Instant::now());
    let answer = browser
        .sdp_api()
        .accept_offer(str0m::change::SdpOffer::from_sdp_string(&tcp_only).unwrap())
        .expect("an acceptable offer");
    let mut stream = tokio::net::TcpStream::connect(server).await.expect("the media port takes TCP");
    let local = std::net::SocketAddr::new(stream.local_addr().unwrap().ip(), 9);
    browser
        .add_local_candidate(Candidate::builder().tcp().host(local).tcptype(TcpType::Active).build().unwrap())
        .expect("a local TCP candidate");
    owner.send(json!({ "type": "subscribe_answer", "sdp": answer.to_sdp_string() })).await;

    let deadline = Instant::now() + Duration::from_secs(15);
    // The data channel opening means ICE, DTLS and SCTP all went over the TCP connection.
    let (mut ice, mut channel) = (None, false);
    while !channel {
        assert!(Instant::now() < deadline, "no ICE-TCP connection (ICE: {ice:?})");
        let wake = loop {
            match browser.poll_output().expect("the browser side runs") {
                Output::Timeout(at) => break at,
                Output::Transmit(transmit) => {
                    assert_eq!(transmit.proto, Protocol::Tcp, "only TCP is used");
                    let mut framed = (transmit.contents.len() as u16).to_be_bytes().to_vec();
                    framed.extend_from_slice(&transmit.contents);
                    stream.write_all(&framed).await.unwrap();
                }
                Output::Event(Event::IceConnectionStateChange(state)) => ice = Some(state),
                Output::Event(Event::ChannelOpen(..)) => channel = true,
                Output::Event(_) => {}
            }
        };
        let wait = wake.saturating_duration_since(Instant::now()).min(Duration::from_millis(50));
        match tokio::time::timeout(wait, read_frame(&mut stream)).await {
            Ok(Ok(packet)) => {
                let contents = packet.as_slice().try_into().expect("a datagram str0m reads");
                let input = Input::Receive(
                    Instant::now(),
                    Receive { proto: Protocol::Tcp, source: server, destination: local, contents },
                );
                browser.handle_input(input).expect("the browser side takes the packet");
            }
            Ok(Err(err)) => panic!("the media port closed the TCP connection: {err}"),
            Err(_) => browser.handle_input(Input::Timeout(Instant::now())).unwrap(),
        }
    }
    assert!(
        matches!(ice, Some(str0m::IceConnectionState::Connected | str0m::IceConnectionState::Completed)),
        "{ice:?}"
    );
}
