//! HTTPS and WSS served by the binary itself: the API over HTTPS, a
//! y-websocket sync over WSS, and the certificate reloaded by a real SIGHUP.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use futures_util::SinkExt;
use reynard_collab::protocol::{encode_sync_step1, encode_update};
use reynard_server::tls::TlsFiles;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use serde_json::json;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_tungstenite::tungstenite::Message;
use yrs::updates::encoder::Encode;
use yrs::{ReadTxn, Text, Transact};

use crate::support::TestServer;

/// Writes a fresh self-signed certificate for 127.0.0.1; returns its PEM.
fn write_cert(files: &TlsFiles) -> String {
    let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
    std::fs::write(&files.cert, cert.cert.pem()).unwrap();
    std::fs::write(&files.key, cert.signing_key.serialize_pem()).unwrap();
    cert.cert.pem()
}

fn files_in(dir: &Path) -> TlsFiles {
    TlsFiles { cert: dir.join("cert.pem"), key: dir.join("key.pem") }
}

/// A TLS connection to `port` that trusts only `root_pem`.
async fn tls_connect(port: u16, root_pem: &str) -> std::io::Result<TlsStream<tokio::net::TcpStream>> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from_pem_slice(root_pem.as_bytes()).unwrap()).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
    let name = ServerName::try_from("127.0.0.1").unwrap();
    TlsConnector::from(Arc::new(config)).connect(name, tcp).await
}

#[tokio::test]
async fn https_and_wss_are_served_with_the_given_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let files = files_in(dir.path());
    let root = write_cert(&files);
    let server = TestServer::start_with(|config| config.tls = Some(files.clone())).await;
    let port = server.addr.port();
    let new_client = || {
        reqwest::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(root.as_bytes()).unwrap())
            .build()
            .unwrap()
    };
    let client = new_client();
    let base = format!("https://127.0.0.1:{port}");

    let response = client.get(format!("{base}/healthz")).send().await.expect("an HTTPS answer");
    assert_eq!(response.status(), 200);
    assert!(response.headers().contains_key("strict-transport-security"), "HSTS on an https server");
    let signup = json!({ "email": "ada@example.org", "password": "correct horse 1", "name": "Ada" });
    let response = client.post(format!("{base}/api/v1/auth/signup")).json(&signup).send().await.unwrap();
    assert_eq!(response.status(), 201);
    let cookie = response.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.contains("; Secure"), "cookies of an https server are Secure: {cookie}");
    let token = response.json::<serde_json::Value>().await.unwrap()["token"].as_str().unwrap().to_owned();
    let post =
        |path: String, body: serde_json::Value| client.post(format!("{base}{path}")).bearer_auth(&token).json(&body);
    let ws = post("/api/v1/workspaces".into(), json!({ "name": "Team" })).send().await.unwrap();
    let ws = ws.json::<serde_json::Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    let doc = post(format!("/api/v1/workspaces/{ws}/documents"), json!({ "path": "a.txt" })).send().await.unwrap();
    let doc = doc.json::<serde_json::Value>().await.unwrap()["id"].as_str().unwrap().to_owned();

    // A y-websocket client over WSS writes; the HTTPS API reads it back.
    let tls = tls_connect(port, &root).await.expect("TLS handshake");
    let url = format!("wss://127.0.0.1:{port}/collab/{doc}?token={token}");
    let (mut socket, _) = tokio_tungstenite::client_async(url, tls).await.expect("WSS upgrade");
    let ydoc = yrs::Doc::new();
    let sv = ydoc.transact().state_vector().encode_v1();
    socket.send(Message::Binary(encode_sync_step1(&sv).into())).await.unwrap();
    let update = {
        let text = ydoc.get_or_insert_text("monaco");
        let mut txn = ydoc.transact_mut();
        text.insert(&mut txn, 0, "over TLS");
        txn.encode_update_v1()
    };
    socket.send(Message::Binary(encode_update(&update).into())).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let content = client
            .get(format!("{base}/api/v1/documents/{doc}/content"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if content == "over TLS" {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the WSS update did not arrive: {content:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    socket.close(None).await.ok();

    // A client that never handshakes does not hold up the next connection.
    let _silent = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let fresh = new_client();
    let response = tokio::time::timeout(Duration::from_secs(5), fresh.get(format!("{base}/healthz")).send()).await;
    assert_eq!(response.expect("served while another client stalls").unwrap().status(), 200);
}

/// Kills the child on drop, whatever the test's outcome.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn hangup(child: &Child) {
    let status = Command::new("kill").arg("-HUP").arg(child.0.id().to_string()).status().expect("kill");
    assert!(status.success());
}

/// Waits until a handshake trusting only `root` succeeds (or panics after 10 s).
async fn until_served(port: u16, root: &str, what: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while let Err(err) = tls_connect(port, root).await {
        assert!(tokio::time::Instant::now() < deadline, "{what}: {err}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn the_binary_reloads_its_certificate_on_sighup() {
    let dir = tempfile::tempdir().unwrap();
    let files = files_in(dir.path());
    let first = write_cert(&files);
    let mut child = Child(
        Command::new(env!("CARGO_BIN_EXE_reynard"))
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(dir.path().join("data"))
            .arg("--tls-cert")
            .arg(&files.cert)
            .arg("--tls-key")
            .arg(&files.key)
            .env("REYNARD_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the reynard binary starts"),
    );
    let stdout = BufReader::new(child.0.stdout.take().unwrap());
    let port = tokio::task::spawn_blocking(move || {
        for line in stdout.lines() {
            let line = line.unwrap();
            if let Some(rest) = line.strip_prefix("Open https://127.0.0.1:") {
                return rest.split(' ').next().unwrap().parse::<u16>().unwrap();
            }
        }
        panic!("the server never said where it listens");
    })
    .await
    .unwrap();
    until_served(port, &first, "the first certificate").await;

    let second = write_cert(&files);
    assert!(tls_connect(port, &second).await.is_err(), "the new certificate is not served before SIGHUP");
    hangup(&child);
    until_served(port, &second, "the certificate after SIGHUP").await;
    assert!(tls_connect(port, &first).await.is_err(), "the old certificate is gone");

    // A broken file on reload: the server keeps serving the last good certificate.
    std::fs::write(&files.cert, "-----BEGIN CERTIFICATE-----\nbroken\n").unwrap();
    hangup(&child);
    tokio::time::sleep(Duration::from_millis(300)).await;
    tls_connect(port, &second).await.expect("still served after a bad reload");
    assert!(child.0.try_wait().unwrap().is_none(), "the server is still running");
}
