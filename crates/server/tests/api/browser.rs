//! What a browser meets: the `Origin` rule for cookie requests and WebSocket
//! upgrades (other sites cannot act with a visitor's session), bearer tokens
//! unaffected, and the security headers on every kind of answer.

use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::collab::setup_with;
use crate::support::{TestServer, assert_error};

const FOREIGN: &str = "http://evil.example";

/// Sends a request with the given extra headers; returns the status, the
/// headers and the JSON body (`Null` when empty).
async fn send(
    server: &TestServer,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> (StatusCode, HeaderMap, Value) {
    let mut request = server.client.request(method, server.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("request");
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.expect("body");
    let json = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
    (status, headers, json)
}

/// The `name=value` of the session cookie a sign-up or login answer sets.
fn session_cookie(headers: &HeaderMap) -> String {
    let set_cookie = headers.get("set-cookie").and_then(|v| v.to_str().ok()).expect("a session cookie");
    set_cookie.split(';').next().unwrap().to_owned()
}

fn own_origin(server: &TestServer) -> String {
    format!("http://{}", server.addr)
}

#[tokio::test]
async fn other_sites_cannot_change_anything_with_the_session_cookie() {
    let server = TestServer::start().await;
    let own = own_origin(&server);
    let signup = json!({ "email": "ada@example.org", "password": "correct horse 1", "name": "Ada" });
    let (status, headers, body) =
        send(&server, Method::POST, "/api/v1/auth/signup", &[("origin", own.as_str())], Some(signup)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let cookie = session_cookie(&headers);
    let token = body["token"].as_str().unwrap().to_owned();
    let bearer = format!("Bearer {token}");
    let create = || Some(json!({ "name": "Compilers" }));

    // A page of another site posting with the visitor's cookie.
    let (status, _, body) =
        send(&server, Method::POST, "/api/v1/workspaces", &[("cookie", &cookie), ("origin", FOREIGN)], create()).await;
    assert_error(&(status, body), StatusCode::FORBIDDEN, "forbidden_origin");
    let (status, _, body) = send(
        &server,
        Method::POST,
        "/api/v1/workspaces",
        &[("cookie", &cookie), ("sec-fetch-site", "cross-site")],
        create(),
    )
    .await;
    assert_error(&(status, body), StatusCode::FORBIDDEN, "forbidden_origin");
    let (status, _, body) =
        send(&server, Method::POST, "/api/v1/workspaces", &[("cookie", &cookie), ("origin", "null")], create()).await;
    assert_error(&(status, body), StatusCode::FORBIDDEN, "forbidden_origin");
    let (status, _, body) =
        send(&server, Method::POST, "/api/v1/auth/logout", &[("cookie", &cookie), ("origin", FOREIGN)], None).await;
    assert_error(&(status, body), StatusCode::FORBIDDEN, "forbidden_origin");
    let (status, _, list) = send(&server, Method::GET, "/api/v1/workspaces", &[("cookie", &cookie)], None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list, json!([]), "nothing was created by the refused requests");

    // The app's own pages, and reads from anywhere (CORS keeps their answers from other sites).
    let (status, _, body) =
        send(&server, Method::POST, "/api/v1/workspaces", &[("cookie", &cookie), ("origin", &own)], create()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, _, body) = send(
        &server,
        Method::POST,
        "/api/v1/workspaces",
        &[("cookie", &cookie), ("sec-fetch-site", "same-origin")],
        create(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, _, _) =
        send(&server, Method::GET, "/api/v1/workspaces", &[("cookie", &cookie), ("origin", FOREIGN)], None).await;
    assert_eq!(status, StatusCode::OK);

    // A bearer token is not sent by browsers on their own: no Origin rule.
    let (status, _, body) =
        send(&server, Method::POST, "/api/v1/workspaces", &[("authorization", &bearer), ("origin", FOREIGN)], create())
            .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // Scripts without any browser header (curl, Node) keep working.
    let (status, _, body) = send(&server, Method::POST, "/api/v1/workspaces", &[("cookie", &cookie)], create()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

#[tokio::test]
async fn the_session_answer_says_who_the_cookie_belongs_to() {
    let server = TestServer::start().await;
    let (status, _, body) = send(&server, Method::GET, "/api/v1/auth/session", &[], None).await;
    assert_eq!((status, body), (StatusCode::OK, json!({ "user": null })));
    let user = server.signup("ada@example.org").await;
    let cookie = format!("reynard_session={}", user.token);
    let (status, _, body) = send(&server, Method::GET, "/api/v1/auth/session", &[("cookie", &cookie)], None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["user"]["email"], "ada@example.org", "{body}");
    let (_, _, body) =
        send(&server, Method::GET, "/api/v1/auth/session", &[("cookie", "reynard_session=rnd_expired")], None).await;
    assert_eq!(body, json!({ "user": null }));
}

#[tokio::test]
async fn the_web_app_signs_in_with_the_cookie_only() {
    let server = TestServer::start().await;
    let own = own_origin(&server);
    let signup =
        json!({ "email": "ada@example.org", "password": "correct horse 1", "name": "Ada", "cookie_only": true });
    let (status, headers, body) =
        send(&server, Method::POST, "/api/v1/auth/signup", &[("origin", own.as_str())], Some(signup)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(body.get("token").is_none(), "no token for page scripts to read: {body}");
    assert_eq!(body["user"]["email"], "ada@example.org");
    let cookie = session_cookie(&headers);
    let (status, _, me) = send(&server, Method::GET, "/api/v1/me", &[("cookie", &cookie)], None).await;
    assert_eq!(status, StatusCode::OK, "{me}");

    let login = json!({ "email": "ada@example.org", "password": "correct horse 1", "cookie_only": true });
    let (status, headers, body) =
        send(&server, Method::POST, "/api/v1/auth/login", &[("origin", own.as_str())], Some(login)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.get("token").is_none(), "{body}");
    assert!(headers.contains_key("set-cookie"));
    // Scripts that do not ask for the cookie only still get their token.
    let login = json!({ "email": "ada@example.org", "password": "correct horse 1" });
    let (_, _, body) = send(&server, Method::POST, "/api/v1/auth/login", &[], Some(login)).await;
    assert!(body["token"].as_str().is_some_and(|t| t.starts_with("rnd_")), "{body}");
}

#[tokio::test]
async fn other_sites_cannot_sign_a_visitor_in_or_up() {
    let server = TestServer::start().await;
    server.signup("mallory@example.org").await;
    let login = json!({ "email": "mallory@example.org", "password": "correct horse 1" });
    let (status, headers, body) =
        send(&server, Method::POST, "/api/v1/auth/login", &[("origin", FOREIGN)], Some(login.clone())).await;
    assert!(headers.get("set-cookie").is_none(), "a refused login sets no cookie");
    assert_error(&(status, body), StatusCode::FORBIDDEN, "forbidden_origin");
    let signup = json!({ "email": "eve@example.org", "password": "correct horse 1", "name": "Eve" });
    let (status, _, body) =
        send(&server, Method::POST, "/api/v1/auth/signup", &[("origin", FOREIGN)], Some(signup)).await;
    assert_error(&(status, body), StatusCode::FORBIDDEN, "forbidden_origin");

    let own = own_origin(&server);
    let (status, headers, body) =
        send(&server, Method::POST, "/api/v1/auth/login", &[("origin", &own)], Some(login)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(headers.get("set-cookie").is_some());
}

#[tokio::test]
async fn allowed_origins_and_the_public_url_are_trusted() {
    let server = TestServer::start_with(|config| {
        config.public_url = "https://team.example".to_owned();
        config.public_url_is_default = false;
        config.allowed_origins = vec!["http://localhost:5173".to_owned()];
    })
    .await;
    let user = server.signup("ada@example.org").await;
    let cookie = format!("reynard_session={}", user.token);
    for (origin, expected) in [
        ("https://team.example", StatusCode::CREATED),
        ("http://localhost:5173", StatusCode::CREATED),
        ("https://team.example:8443", StatusCode::FORBIDDEN),
        ("http://team.example", StatusCode::FORBIDDEN),
        (own_origin(&server).as_str(), StatusCode::FORBIDDEN),
    ] {
        let (status, _, body) = send(
            &server,
            Method::POST,
            "/api/v1/workspaces",
            &[("cookie", &cookie), ("origin", origin)],
            Some(json!({ "name": "Team" })),
        )
        .await;
        assert_eq!(status, expected, "{origin}: {body}");
    }
}

#[tokio::test]
async fn websocket_upgrades_from_other_sites_are_refused() {
    let s = setup_with(|_| {}).await;
    let own = own_origin(&s.server);
    let cookie = format!("reynard_session={}", s.editor.token);
    let (_, doc) = s.server.get(&format!("/api/v1/documents/{}", s.doc), &s.owner.token).await;
    let ws = doc["workspace_id"].as_str().unwrap().to_owned();
    // The document socket and the workspace's live socket follow the same rule.
    for url in [
        format!("ws://{}/collab/{}", s.server.addr, s.doc),
        format!("ws://{}/api/v1/workspaces/{ws}/live", s.server.addr),
    ] {
        upgrades_from_other_sites_are_refused(url, &cookie, &own, &s.editor.token).await;
    }
}

async fn upgrades_from_other_sites_are_refused(url: String, cookie: &str, own: &str, token: &str) {
    let (cookie, own) = (cookie.to_owned(), own.to_owned());
    let connect = |headers: Vec<(&'static str, String)>, url: String| async move {
        let mut request = url.into_client_request().unwrap();
        for (name, value) in headers {
            request.headers_mut().insert(name, HeaderValue::from_str(&value).unwrap());
        }
        tokio_tungstenite::connect_async(request).await
    };

    // Cross-site WebSocket hijacking: the cookie goes with the upgrade, the Origin tells.
    let refused = connect(vec![("cookie", cookie.clone()), ("origin", FOREIGN.to_owned())], url.clone()).await;
    let Err(tokio_tungstenite::tungstenite::Error::Http(response)) = refused else {
        panic!("{url}: a foreign Origin must be refused before the upgrade: {refused:?}");
    };
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let body: Value = serde_json::from_slice(response.body().as_deref().unwrap_or_default()).unwrap();
    assert_eq!(body["error"]["code"], "forbidden_origin", "{body}");
    let with_token = format!("{url}?token={token}");
    let refused = connect(vec![("origin", FOREIGN.to_owned())], with_token.clone()).await;
    assert!(
        matches!(&refused, Err(tokio_tungstenite::tungstenite::Error::Http(r)) if r.status() == StatusCode::FORBIDDEN),
        "{refused:?}"
    );

    // The app's own page with the cookie alone, and stock clients (no Origin) with ?token=.
    let (mut socket, _) = connect(vec![("cookie", cookie), ("origin", own)], url).await.expect("same-origin upgrade");
    socket.close(None).await.ok();
    let (mut socket, _) = connect(vec![], with_token).await.expect("a stock client with ?token=");
    socket.close(None).await.ok();
}

fn assert_security_headers(what: &str, headers: &HeaderMap, hsts: bool) {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let csp = header("content-security-policy");
    for directive in [
        "default-src 'self'",
        "script-src 'self';",
        "worker-src 'self' blob:",
        "frame-ancestors 'none'",
        "object-src 'none'",
        "base-uri 'none'",
        "connect-src 'self'",
    ] {
        assert!(csp.contains(directive), "{what}: CSP {csp:?} lacks {directive:?}");
    }
    assert!(!csp.contains("unsafe-eval") && !csp.contains("script-src 'self' 'unsafe-inline'"), "{what}: {csp}");
    assert_eq!(header("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(header("referrer-policy"), "same-origin", "{what}");
    assert_eq!(header("x-frame-options"), "DENY", "{what}");
    assert_eq!(headers.contains_key("strict-transport-security"), hsts, "{what}: HSTS");
}

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let server = TestServer::start().await;
    let user = server.signup("ada@example.org").await;
    let bearer = format!("Bearer {}", user.token);
    let cookie = format!("reynard_session={}", user.token);
    type Case<'a> = (&'a str, Method, &'a str, Vec<(&'a str, &'a str)>, StatusCode);
    let cases: Vec<Case> = vec![
        ("an API answer", Method::GET, "/api/v1/me", vec![("authorization", &bearer)], StatusCode::OK),
        ("a 401", Method::GET, "/api/v1/me", vec![], StatusCode::UNAUTHORIZED),
        ("an unknown API path", Method::GET, "/api/v1/nothing-here", vec![], StatusCode::NOT_FOUND),
        (
            "a wrong method",
            Method::DELETE,
            "/api/v1/me",
            vec![("authorization", &bearer)],
            StatusCode::METHOD_NOT_ALLOWED,
        ),
        (
            "a refused origin",
            Method::POST,
            "/api/v1/auth/logout",
            vec![("cookie", &cookie), ("origin", FOREIGN)],
            StatusCode::FORBIDDEN,
        ),
        ("the client's page", Method::GET, "/w/some/page", vec![], StatusCode::OK),
        ("a missing static file", Method::GET, "/assets/missing.js", vec![], StatusCode::NOT_FOUND),
        ("health", Method::GET, "/healthz", vec![], StatusCode::OK),
    ];
    for (what, method, path, headers, expected) in cases {
        let (status, headers, body) = send(&server, method, path, &headers, None).await;
        assert_eq!(status, expected, "{what}: {body}");
        assert_security_headers(what, &headers, false);
    }

    let https = TestServer::start_with(|config| {
        config.public_url = "https://team.example".to_owned();
        config.public_url_is_default = false;
    })
    .await;
    let (_, headers, _) = send(&https, Method::GET, "/healthz", &[], None).await;
    assert_security_headers("an https deployment", &headers, true);
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("connect-src 'self' wss://team.example;"), "{csp}");
}
