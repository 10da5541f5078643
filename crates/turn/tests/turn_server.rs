//! The built-in TURN server against the `turn` crate's own client, over real
//! UDP sockets on 127.0.0.1: allocation with minted credentials, relaying both
//! ways, refusals (expired, forged, malformed), and closing.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reynard_rtc::turn_credentials::mint;
use reynard_turn::{TurnConfig, TurnError, TurnServer};
use tokio::net::UdpSocket;
use tokio::time::timeout;
use turn::client::{Client, ClientConfig};
use webrtc_util::Conn;

const LOCALHOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
const SECRET: &[u8] = b"the shared secret";
const REALM: &str = "reynard.test";
/// Bounds every network step, so that a broken relay fails instead of hanging.
const STEP: Duration = Duration::from_secs(10);

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

fn config(listen: SocketAddr) -> TurnConfig {
    TurnConfig { listen, relay_ip: LOCALHOST, realm: REALM.to_owned(), secret: SECRET.to_vec() }
}

async fn start() -> TurnServer {
    TurnServer::start(config(SocketAddr::new(LOCALHOST, 0))).await.unwrap()
}

/// A `turn` client of `server` on its own UDP socket, listening.
async fn client(server: &TurnServer, username: &str, password: &str) -> Client {
    let socket = UdpSocket::bind((LOCALHOST, 0)).await.unwrap();
    let client = Client::new(ClientConfig {
        stun_serv_addr: server.local_addr().to_string(),
        turn_serv_addr: server.local_addr().to_string(),
        username: username.to_owned(),
        password: password.to_owned(),
        realm: String::new(),
        software: String::new(),
        rto_in_ms: 0,
        conn: Arc::new(socket),
        vnet: None,
    })
    .await
    .unwrap();
    client.listen().await.unwrap();
    client
}

/// Allocating with these credentials fails.
async fn assert_refused(server: &TurnServer, username: &str, password: &str) {
    let client = client(server, username, password).await;
    let result = timeout(STEP, client.allocate()).await.expect("the server answers");
    let Err(err) = result else { panic!("{username:?} got an allocation") };
    // `turn` answers 400 Bad Request both when the auth handler refuses and
    // when MESSAGE-INTEGRITY does not match the key.
    assert!(err.to_string().contains("error 400"), "{username:?} refused with {err}");
    client.close().await.unwrap();
}

#[tokio::test]
async fn minted_credentials_allocate_and_relay_both_ways() {
    let server = start().await;
    let creds = mint(SECRET, "user:42", now(), 600);
    let client = client(&server, &creds.username, &creds.credential).await;

    let relay = timeout(STEP, client.allocate()).await.unwrap().unwrap();
    let relayed = relay.local_addr().unwrap();
    assert_eq!(relayed.ip(), LOCALHOST);
    assert_ne!(relayed.port(), server.local_addr().port());

    // Sending to the peer first creates the permission for it on the server.
    let peer = UdpSocket::bind((LOCALHOST, 0)).await.unwrap();
    let peer_addr = peer.local_addr().unwrap();
    timeout(STEP, relay.send_to(b"hello peer", peer_addr)).await.unwrap().unwrap();
    let mut buf = [0u8; 1500];
    let (n, from) = timeout(STEP, peer.recv_from(&mut buf)).await.unwrap().unwrap();
    assert_eq!(&buf[..n], b"hello peer");
    assert_eq!(from, relayed, "the peer sees the relayed address, not the client");

    // The peer answers the relayed address; the server forwards to the client.
    peer.send_to(b"hello client", relayed).await.unwrap();
    let (n, from) = timeout(STEP, relay.recv_from(&mut buf)).await.unwrap().unwrap();
    assert_eq!(&buf[..n], b"hello client");
    assert_eq!(from, peer_addr);

    relay.close().await.unwrap();
    client.close().await.unwrap();
    server.close().await.unwrap();
}

#[tokio::test]
async fn expired_credentials_are_refused() {
    let server = start().await;
    let creds = mint(SECRET, "alice", now() - 3_600, 60);
    assert_refused(&server, &creds.username, &creds.credential).await;
    server.close().await.unwrap();
}

#[tokio::test]
async fn credentials_forged_with_another_secret_are_refused() {
    let server = start().await;
    let forged = mint(b"not the shared secret", "alice", now(), 600);
    assert_refused(&server, &forged.username, &forged.credential).await;
    // A genuine username with another user's genuine password: also refused.
    let alice = mint(SECRET, "alice", now(), 600);
    let bob = mint(SECRET, "bob", now(), 600);
    assert_refused(&server, &alice.username, &bob.credential).await;
    server.close().await.unwrap();
}

#[tokio::test]
async fn malformed_usernames_are_refused() {
    let server = start().await;
    // Signed with the right secret, but with an empty user id.
    let no_user = mint(SECRET, "", now(), 600);
    assert_eq!(no_user.username, format!("{}:", no_user.expires_at));
    assert_refused(&server, &no_user.username, &no_user.credential).await;
    // No expiry at all, or not a number.
    assert_refused(&server, "alice", &no_user.credential).await;
    assert_refused(&server, "soon:alice", &no_user.credential).await;
    server.close().await.unwrap();
}

#[tokio::test]
async fn close_frees_the_listening_and_relay_ports() {
    let server = start().await;
    let addr = server.local_addr();
    let creds = mint(SECRET, "alice", now(), 600);
    let client = client(&server, &creds.username, &creds.credential).await;
    let relay = timeout(STEP, client.allocate()).await.unwrap().unwrap();
    let relayed = relay.local_addr().unwrap();

    timeout(STEP, server.close()).await.unwrap().unwrap();
    std::net::UdpSocket::bind(addr).expect("the listening port is free");
    std::net::UdpSocket::bind(relayed).expect("the relay port is free");
    // And a server starts again on the same port.
    let again = TurnServer::start(config(addr)).await.unwrap();
    assert_eq!(again.local_addr(), addr);
    again.close().await.unwrap();
    client.close().await.unwrap();
}

#[tokio::test]
async fn start_reports_a_busy_port_and_a_bad_config() {
    let busy = std::net::UdpSocket::bind((LOCALHOST, 0)).unwrap();
    let addr = busy.local_addr().unwrap();
    let err = TurnServer::start(config(addr)).await.unwrap_err();
    assert!(matches!(err, TurnError::Bind { addr: a, .. } if a == addr), "{err}");

    let any = SocketAddr::new(LOCALHOST, 0);
    let no_secret = TurnConfig { secret: Vec::new(), ..config(any) };
    assert!(matches!(TurnServer::start(no_secret).await, Err(TurnError::Config(_))));
    let unspecified = TurnConfig { relay_ip: IpAddr::V4(Ipv4Addr::UNSPECIFIED), ..config(any) };
    assert!(matches!(TurnServer::start(unspecified).await, Err(TurnError::Config(_))));
}
