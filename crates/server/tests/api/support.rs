//! `TestServer`: the whole server in-process on 127.0.0.1:0 over SQLite, and a
//! small JSON client for it.

use std::net::SocketAddr;
use std::sync::Arc;

use reqwest::{Method, StatusCode};
use reynard_bus::Bus;
use reynard_fanout::InProcessFanout;
use reynard_server::config::Config;
use serde_json::Value;
use tokio::sync::oneshot;

/// The `--metrics-token` of every test server (unless a test unsets it), so
/// tests can read `/metrics` with [`TestServer::metrics`].
pub const METRICS_TOKEN: &str = "metrics-token-of-the-tests";

/// A running server; stopped (gracefully) when dropped or by [`TestServer::stop`].
pub struct TestServer {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    _dir: tempfile::TempDir,
}

/// A signed-up user.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: String,
    pub email: String,
    pub token: String,
}

impl TestServer {
    pub async fn start() -> TestServer {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(tune: impl FnOnce(&mut Config)) -> TestServer {
        Self::start_with_fanout(tune, Arc::new(InProcessFanout::default())).await
    }

    /// A server on the given fan-out: several servers sharing one data directory
    /// and one fan-out behave like processes of one scaled-out deployment.
    pub async fn start_with_fanout(tune: impl FnOnce(&mut Config), fanout: Arc<dyn Bus>) -> TestServer {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut config = Config::for_tests(dir.path().to_path_buf());
        config.metrics_token = Some(METRICS_TOKEN.to_owned());
        tune(&mut config);
        let store = reynard_server::app::open_store(&config).await.expect("open store");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (tx, rx) = oneshot::channel::<()>();
        let shutdown = async move {
            let _ = rx.await;
        };
        let task = tokio::spawn(reynard_server::app::serve_with_fanout(config, store, listener, shutdown, fanout));
        TestServer { addr, client: reqwest::Client::new(), shutdown: Some(tx), task: Some(task), _dir: dir }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Sends a request with an optional bearer token and JSON body; returns the
    /// status and the body parsed as JSON (`Null` when empty).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.client.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        let text = response.text().await.expect("body");
        let json =
            if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
        (status, json)
    }

    /// The Prometheus text of `/metrics` (with [`METRICS_TOKEN`]).
    pub async fn metrics(&self) -> String {
        let response = self.client.get(self.url("/metrics")).bearer_auth(METRICS_TOKEN).send().await.expect("request");
        assert_eq!(response.status(), StatusCode::OK, "metrics need the test token");
        response.text().await.expect("body")
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn signup(&self, email: &str) -> TestUser {
        let name = email.split('@').next().unwrap_or(email);
        let body = serde_json::json!({ "email": email, "password": "correct horse 1", "name": name });
        let (status, json) = self.call(Method::POST, "/api/v1/auth/signup", None, Some(body)).await;
        assert_eq!(status, StatusCode::CREATED, "{json}");
        TestUser {
            id: json["user"]["id"].as_str().expect("id").to_owned(),
            email: email.to_owned(),
            token: json["token"].as_str().expect("token").to_owned(),
        }
    }

    /// Creates a workspace owned by `owner`; returns its id.
    pub async fn workspace(&self, owner: &TestUser, name: &str) -> String {
        let (status, json) = self.post("/api/v1/workspaces", &owner.token, serde_json::json!({ "name": name })).await;
        assert_eq!(status, StatusCode::CREATED, "{json}");
        json["id"].as_str().expect("id").to_owned()
    }

    /// Adds an existing user to a workspace with a role. Accounts are unverified
    /// (tests run without mail), so this is what people do: the owner's answer
    /// is an invitation with a link, and the member opens it.
    pub async fn add(&self, owner: &TestUser, ws: &str, member: &TestUser, role: &str) {
        let body = serde_json::json!({ "email": member.email, "role": role });
        let (status, json) = self.post(&format!("/api/v1/workspaces/{ws}/members"), &owner.token, body).await;
        assert_eq!(status, StatusCode::CREATED, "{json}");
        if json["status"] == "invited" {
            let token = invite_token(&json);
            let (status, joined) =
                self.post("/api/v1/invitations/accept", &member.token, serde_json::json!({ "token": token })).await;
            assert_eq!(status, StatusCode::OK, "{joined}");
            assert_eq!(joined["role"], role, "{joined}");
        }
    }

    /// Stops the server gracefully and waits for it.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match self.task.take() {
            Some(task) => task.await.expect("server task"),
            None => Ok(()),
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// The token at the end of an invitation's `invite_link`.
#[track_caller]
pub fn invite_token(invitation: &Value) -> String {
    let link = invitation["invite_link"].as_str().unwrap_or_else(|| panic!("no invite_link in {invitation}"));
    let (_, token) = link.rsplit_once("/invite/").unwrap_or_else(|| panic!("not an invite link: {link}"));
    token.to_owned()
}

/// Asserts an API error answer: status and `error.code`, with a message.
#[track_caller]
pub fn assert_error(answer: &(StatusCode, Value), status: StatusCode, code: &str) {
    let (got, body) = answer;
    assert_eq!(*got, status, "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
}

/// Puts the server's SQLite database (and other files) in `data`, so that
/// several servers, or one server across a restart, share them.
pub fn store_in(config: &mut Config, data: &std::path::Path) {
    config.database_url = reynard_store::Store::sqlite_url(data);
    config.data_dir = data.to_path_buf();
}
