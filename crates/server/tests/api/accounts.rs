//! Sign-up, login, sessions (bearer and cookie), logout and rate limits.

use reqwest::{Method, StatusCode, header};
use serde_json::json;

use crate::support::{TestServer, assert_error};

#[tokio::test]
async fn signup_returns_the_user_a_token_and_a_session_cookie() {
    let server = TestServer::start().await;
    let body = json!({ "email": " Ada@Example.org ", "password": "correct horse 1", "name": " Ada " });
    let response = server.client.post(server.url("/api/v1/auth/signup")).json(&body).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let cookie = response.headers().get(header::SET_COOKIE).unwrap().to_str().unwrap().to_owned();
    let json: serde_json::Value = response.json().await.unwrap();
    assert_eq!(json["user"]["email"], "ada@example.org");
    assert_eq!(json["user"]["name"], "Ada");
    assert!(json["user"]["id"].as_str().is_some_and(|id| !id.is_empty()));
    let token = json["token"].as_str().unwrap();
    assert!(cookie.starts_with(&format!("reynard_session={token};")), "{cookie}");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie} lacks {attribute}");
    }
    assert!(!cookie.contains("Secure"), "plain http deployment");

    // The cookie alone authenticates.
    let session = cookie.split(';').next().unwrap();
    let me = server.client.get(server.url("/api/v1/me")).header(header::COOKIE, session).send().await.unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    let me: serde_json::Value = me.json().await.unwrap();
    let expected = json!({ "id": json["user"]["id"], "email": "ada@example.org", "name": "Ada", "time_zone": "UTC", "email_verified": false });
    assert_eq!(me, expected);
}

#[tokio::test]
async fn signup_rejects_bad_input_with_clear_errors() {
    let server = TestServer::start().await;
    server.signup("taken@example.org").await;
    let signup = |body: serde_json::Value| server.call(Method::POST, "/api/v1/auth/signup", None, Some(body));
    let cases = [
        (
            json!({ "email": "TAKEN@example.org", "password": "correct horse 1", "name": "X" }),
            StatusCode::CONFLICT,
            "conflict",
        ),
        (
            json!({ "email": "not-an-email", "password": "correct horse 1", "name": "X" }),
            StatusCode::BAD_REQUEST,
            "invalid_input",
        ),
        (
            json!({ "email": "a@example.org", "password": "short1", "name": "X" }),
            StatusCode::BAD_REQUEST,
            "weak_password",
        ),
        (
            json!({ "email": "a@example.org", "password": "onlyletters", "name": "X" }),
            StatusCode::BAD_REQUEST,
            "weak_password",
        ),
        (
            json!({ "email": "a@example.org", "password": "correct horse 1", "name": "  " }),
            StatusCode::BAD_REQUEST,
            "invalid_input",
        ),
        (json!({ "email": "a@example.org", "password": "correct horse 1" }), StatusCode::BAD_REQUEST, "invalid_body"),
        (json!({ "email": 5, "password": "correct horse 1", "name": "X" }), StatusCode::BAD_REQUEST, "invalid_body"),
    ];
    for (body, status, code) in cases {
        let answer = signup(body.clone()).await;
        assert_error(&answer, status, code);
    }

    // Malformed JSON and a missing content type.
    let url = server.url("/api/v1/auth/signup");
    let raw = server
        .client
        .post(&url)
        .header(header::CONTENT_TYPE, "application/json")
        .body("{\"email\":")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = raw.json().await.unwrap();
    assert_eq!(body["error"]["code"], "malformed_json");
    let untyped = server.client.post(&url).body("{}").send().await.unwrap();
    assert_eq!(untyped.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[tokio::test]
async fn login_logout_and_tokens() {
    let server = TestServer::start().await;
    let ada = server.signup("ada@example.org").await;
    let login = |email: &str, password: &str| {
        server.call(Method::POST, "/api/v1/auth/login", None, Some(json!({ "email": email, "password": password })))
    };
    let (status, json) = login("ADA@example.org", "correct horse 1").await;
    assert_eq!(status, StatusCode::OK, "{json}");
    assert_eq!(json["user"]["id"], ada.id.as_str());
    let token = json["token"].as_str().unwrap().to_owned();
    assert_ne!(token, ada.token, "each login is its own session");

    assert_error(&login("ada@example.org", "wrong password 1").await, StatusCode::UNAUTHORIZED, "invalid_credentials");
    assert_error(
        &login("nobody@example.org", "correct horse 1").await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    );

    // Bearer token works; garbage and missing tokens do not.
    assert_eq!(server.get("/api/v1/me", &token).await.0, StatusCode::OK);
    assert_error(&server.get("/api/v1/me", "rnd_garbage").await, StatusCode::UNAUTHORIZED, "unauthenticated");
    assert_error(
        &server.call(Method::GET, "/api/v1/me", None, None).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    );
    let basic =
        server.client.get(server.url("/api/v1/me")).header(header::AUTHORIZATION, "Basic abc").send().await.unwrap();
    assert_eq!(basic.status(), StatusCode::UNAUTHORIZED);

    // Logout revokes only that session and clears the cookie.
    let response = server.client.post(server.url("/api/v1/auth/logout")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let cleared = response.headers().get(header::SET_COOKIE).unwrap().to_str().unwrap();
    assert!(cleared.starts_with("reynard_session=;") && cleared.contains("Max-Age=0"), "{cleared}");
    assert_error(&server.get("/api/v1/me", &token).await, StatusCode::UNAUTHORIZED, "unauthenticated");
    assert_eq!(server.get("/api/v1/me", &ada.token).await.0, StatusCode::OK, "other sessions stay");
    assert_error(
        &server.call(Method::POST, "/api/v1/auth/logout", Some(&token), None).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    );
}

#[tokio::test]
async fn profile_updates() {
    let server = TestServer::start().await;
    let ada = server.signup("ada@example.org").await;
    let patch = |body| server.call(Method::PATCH, "/api/v1/me", Some(&ada.token), Some(body));
    let (status, me) = patch(json!({ "time_zone": "Europe/Paris", "name": "Ada L." })).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!((me["time_zone"].as_str(), me["name"].as_str()), (Some("Europe/Paris"), Some("Ada L.")));
    assert_error(&patch(json!({ "time_zone": "Mars/Olympus Mons" })).await, StatusCode::BAD_REQUEST, "invalid_input");
    assert_error(&patch(json!({ "name": "" })).await, StatusCode::BAD_REQUEST, "invalid_input");
    assert_eq!(server.get("/api/v1/me", &ada.token).await.1["time_zone"], "Europe/Paris");
}

#[tokio::test]
async fn failed_logins_are_limited_per_account_with_retry_after() {
    let server = TestServer::start_with(|config| config.login_limit_per_account = 3).await;
    server.signup("ada@example.org").await;
    let body = json!({ "email": "ada@example.org", "password": "wrong password 1" });
    for _ in 0..3 {
        let answer = server.call(Method::POST, "/api/v1/auth/login", None, Some(body.clone())).await;
        assert_error(&answer, StatusCode::UNAUTHORIZED, "invalid_credentials");
    }
    let response = server.client.post(server.url("/api/v1/auth/login")).json(&body).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = response.headers()[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
    assert!((1..=15 * 60).contains(&retry_after), "{retry_after}");
    let json: serde_json::Value = response.json().await.unwrap();
    assert_eq!(json["error"]["code"], "rate_limited");
    // Even the right password is refused while the account is limited.
    let right = json!({ "email": "ada@example.org", "password": "correct horse 1" });
    let answer = server.call(Method::POST, "/api/v1/auth/login", None, Some(right)).await;
    assert_error(&answer, StatusCode::TOO_MANY_REQUESTS, "rate_limited");
}

#[tokio::test]
async fn logins_are_limited_per_ip() {
    let server = TestServer::start_with(|config| config.login_limit_per_ip = 4).await;
    for i in 0..4 {
        let body = json!({ "email": format!("u{i}@example.org"), "password": "whatever 1" });
        let answer = server.call(Method::POST, "/api/v1/auth/login", None, Some(body)).await;
        assert_error(&answer, StatusCode::UNAUTHORIZED, "invalid_credentials");
    }
    let body = json!({ "email": "fresh@example.org", "password": "whatever 1" });
    let answer = server.call(Method::POST, "/api/v1/auth/login", None, Some(body)).await;
    assert_error(&answer, StatusCode::TOO_MANY_REQUESTS, "rate_limited");
}
