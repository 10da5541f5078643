//! Sign-up, login, sessions (bearer and cookie), logout and rate limits.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode, header};
use reynard_server::client_ip::TrustedProxies;
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
    let nine_to_five = json!([["09:00", "17:00"]]);
    let working_hours = json!({ "mon": nine_to_five, "tue": nine_to_five, "wed": nine_to_five, "thu": nine_to_five, "fri": nine_to_five });
    let expected = json!({
        "id": json["user"]["id"], "email": "ada@example.org", "name": "Ada", "time_zone": "UTC", "email_verified": false,
        "working_hours": working_hours, "followups": true,
    });
    assert_eq!(me, expected);
}

#[tokio::test]
async fn signup_keeps_the_time_zone_the_browser_detected() {
    let server = TestServer::start().await;
    let body =
        json!({ "email": "kim@example.org", "password": "correct horse 1", "name": "Kim", "time_zone": "Asia/Seoul" });
    let (status, json) = server.call(Method::POST, "/api/v1/auth/signup", None, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{json}");
    let token = json["token"].as_str().unwrap();
    assert_eq!(server.get("/api/v1/me", token).await.1["time_zone"], "Asia/Seoul");
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
            json!({ "email": "tz@example.org", "password": "correct horse 1", "name": "X", "time_zone": "Mars/Olympus Mons" }),
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

    // Working hours (split days, a late shift to midnight) and follow-up mails.
    let hours = json!({ "mon": [["08:00", "12:00"], ["13:00", "17:00"]], "sat": [["20:00", "24:00"]] });
    let (status, me) = patch(json!({ "working_hours": hours, "followups": false })).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!((&me["working_hours"], &me["followups"]), (&hours, &json!(false)), "{me}");
    assert_eq!(me["time_zone"], "Europe/Paris", "what was not sent stays");
    let (_, again) = server.get("/api/v1/me", &ada.token).await;
    assert_eq!(again["working_hours"], hours);
    for bad in [
        json!({ "mon": [["17:00", "09:00"]] }),
        json!({ "tue": [["09:00", "13:00"], ["12:00", "17:00"]] }),
        json!({ "someday": [["09:00", "17:00"]] }),
        json!({ "wed": [["9am", "5pm"]] }),
    ] {
        let answer = patch(json!({ "working_hours": bad })).await;
        assert_error(&answer, StatusCode::BAD_REQUEST, "invalid_input");
    }
    assert_eq!(server.get("/api/v1/me", &ada.token).await.1["working_hours"], hours, "refused hours change nothing");
}

async fn login(server: &TestServer, email: impl Into<String>, password: &str) -> reqwest::Response {
    let body = json!({ "email": email.into(), "password": password });
    server.client.post(server.url("/api/v1/auth/login")).json(&body).send().await.unwrap()
}

fn retry_after(response: &reqwest::Response) -> u64 {
    response.headers()[header::RETRY_AFTER].to_str().unwrap().parse().unwrap()
}

async fn metric(server: &TestServer, name: &str) -> i64 {
    let text = server.metrics().await;
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {text}"))
}

#[tokio::test]
async fn failed_logins_slow_the_account_down_with_retry_after() {
    let server = TestServer::start_with(|config| config.login_throttle.free_failures = 3).await;
    server.signup("ada@example.org").await;
    for _ in 0..3 {
        let response = login(&server, "ada@example.org", "wrong password 1").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let response = login(&server, "ada@example.org", "wrong password 1").await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(retry_after(&response), 1, "one second after the first failure past the free ones");
    let json: serde_json::Value = response.json().await.unwrap();
    assert_eq!(json["error"]["code"], "rate_limited");
    // Even the right password waits for the delay (it would tell the guess apart).
    let right = login(&server, "ada@example.org", "correct horse 1").await;
    assert_eq!(right.status(), StatusCode::TOO_MANY_REQUESTS);
    // Other accounts are not affected.
    assert_eq!(login(&server, "bob@example.org", "wrong password 1").await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_owner_logs_in_after_an_attackers_wrong_passwords_once_the_short_delay_passed() {
    let max_delay = Duration::from_secs(2);
    let server = TestServer::start_with(|config| {
        config.login_throttle.free_failures = 5;
        config.login_throttle.base_delay = Duration::from_millis(50);
        config.login_throttle.max_delay = max_delay;
        // The attacker and the owner share 127.0.0.1 here; the per-IP limit is another test's.
        config.login_limit_per_ip = 10_000;
    })
    .await;
    server.signup("owner@example.org").await;
    // The attacker gets ten wrong passwords in, retrying as soon as allowed.
    let mut wrong = 0;
    while wrong < 10 {
        match login(&server, "owner@example.org", "guess number 1").await.status() {
            StatusCode::UNAUTHORIZED => wrong += 1,
            StatusCode::TOO_MANY_REQUESTS => tokio::time::sleep(Duration::from_millis(20)).await,
            other => panic!("unexpected {other}"),
        }
    }
    // Right after the attacker, the owner is asked to wait a moment…
    assert_eq!(login(&server, "owner@example.org", "correct horse 1").await.status(), StatusCode::TOO_MANY_REQUESTS);
    // …and gets in once the (capped) delay passed, not fifteen minutes later.
    tokio::time::sleep(max_delay).await;
    let response = login(&server, "owner@example.org", "correct horse 1").await;
    assert_eq!(response.status(), StatusCode::OK);
    // The success cleared the account's failures.
    for _ in 0..5 {
        assert_eq!(login(&server, "owner@example.org", "wrong again 1").await.status(), StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn concurrent_wrong_passwords_are_all_counted_before_verification() {
    let server = TestServer::start_with(|config| {
        config.login_throttle.free_failures = 5;
        config.login_limit_per_ip = 1000;
    })
    .await;
    server.signup("ada@example.org").await;
    let attempts = (0..30).map(|_| login(&server, "ada@example.org", "wrong password 1"));
    let statuses: Vec<StatusCode> = futures_util::future::join_all(attempts).await.iter().map(|r| r.status()).collect();
    let unauthorized = statuses.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count();
    let limited = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    assert_eq!((unauthorized, limited), (5, 25), "{statuses:?}");
}

#[tokio::test]
async fn logins_are_limited_per_ip() {
    let server = TestServer::start_with(|config| config.login_limit_per_ip = 4).await;
    let attempts = (0..12).map(|i| login(&server, format!("u{i}@example.org"), "whatever 1"));
    let statuses: Vec<StatusCode> = futures_util::future::join_all(attempts).await.iter().map(|r| r.status()).collect();
    let checked = statuses.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count();
    assert_eq!(checked, 4, "concurrent attempts cannot pass the limit together: {statuses:?}");
    let response = login(&server, "fresh@example.org", "whatever 1").await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!((1..=300).contains(&retry_after(&response)));
}

async fn signup_from(server: &TestServer, email: impl Into<String>, forwarded_for: Option<&str>) -> reqwest::Response {
    let body = json!({ "email": email.into(), "password": "correct horse 1", "name": "Someone" });
    let mut request = server.client.post(server.url("/api/v1/auth/signup")).json(&body);
    if let Some(forwarded_for) = forwarded_for {
        request = request.header("x-forwarded-for", forwarded_for);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn signups_are_limited_per_ip_with_retry_after() {
    let server = TestServer::start_with(|config| config.signup_limit_per_ip = 2).await;
    for i in 0..2 {
        assert_eq!(signup_from(&server, format!("u{i}@example.org"), None).await.status(), StatusCode::CREATED);
    }
    let response = signup_from(&server, "u2@example.org", None).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    // Two per hour: one comes back every 30 minutes.
    let wait = retry_after(&response);
    assert!((29 * 60..=30 * 60).contains(&wait), "{wait}");
    let json: serde_json::Value = response.json().await.unwrap();
    assert_eq!(json["error"]["code"], "rate_limited");
    // Invalid input is refused before it counts or costs a hash.
    let weak = json!({ "email": "u3@example.org", "password": "short", "name": "X" });
    let answer = server.call(Method::POST, "/api/v1/auth/signup", None, Some(weak)).await;
    assert_error(&answer, StatusCode::BAD_REQUEST, "weak_password");
}

#[tokio::test]
async fn forwarded_for_is_believed_only_from_trusted_proxies() {
    let direct = TestServer::start_with(|config| config.signup_limit_per_ip = 1).await;
    assert_eq!(signup_from(&direct, "a@example.org", Some("198.51.100.1")).await.status(), StatusCode::CREATED);
    // A client cannot pose as someone else: both came from 127.0.0.1.
    let spoofed = signup_from(&direct, "b@example.org", Some("198.51.100.2")).await;
    assert_eq!(spoofed.status(), StatusCode::TOO_MANY_REQUESTS);

    let proxied = TestServer::start_with(|config| {
        config.signup_limit_per_ip = 1;
        config.trusted_proxies = TrustedProxies::parse("127.0.0.1/32").unwrap();
    })
    .await;
    let signup = |email: &'static str, forwarded: &'static str| signup_from(&proxied, email, Some(forwarded));
    assert_eq!(signup("a@example.org", "198.51.100.1").await.status(), StatusCode::CREATED);
    assert_eq!(signup("b@example.org", "198.51.100.1").await.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(signup("c@example.org", "198.51.100.2").await.status(), StatusCode::CREATED);
    // A hop the client wrote left of the proxy's is not believed.
    assert_eq!(signup("d@example.org", "203.0.113.50, 198.51.100.2").await.status(), StatusCode::TOO_MANY_REQUESTS);
    // Two addresses of one IPv6 /64 share a limit; another /64 does not.
    assert_eq!(signup("e@example.org", "2001:db8:1:2::1").await.status(), StatusCode::CREATED);
    assert_eq!(signup("f@example.org", "2001:db8:1:2:ffff::9").await.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(signup("g@example.org", "2001:db8:1:3::1").await.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn concurrent_signups_never_run_more_hashes_than_the_hashers() {
    let server = TestServer::start_with(|config| {
        config.password_hashers = 2;
        config.password_hasher_wait = Duration::from_secs(120);
    })
    .await;
    let signups = (0..16).map(|i| signup_from(&server, format!("crowd{i}@example.org"), None));
    for response in futures_util::future::join_all(signups).await {
        assert_eq!(response.status(), StatusCode::CREATED);
    }
    assert_eq!(metric(&server, "reynard_password_hashes_peak").await, 2);
    assert_eq!(metric(&server, "reynard_password_hashes_running").await, 0);
}

#[tokio::test]
async fn signups_that_find_no_free_hasher_in_time_are_told_to_retry() {
    let server = TestServer::start_with(|config| {
        config.password_hashers = 1;
        config.password_hasher_wait = Duration::from_millis(1);
    })
    .await;
    let signups = (0..8).map(|i| signup_from(&server, format!("rush{i}@example.org"), None));
    let mut busy = 0;
    for response in futures_util::future::join_all(signups).await {
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(retry_after(&response), 1);
            let json: serde_json::Value = response.json().await.unwrap();
            assert_eq!(json["error"]["code"], "busy");
            busy += 1;
        } else {
            assert_eq!(response.status(), StatusCode::CREATED);
        }
    }
    assert!(busy >= 1, "eight hashes at once on one hasher with a 1 ms wait");
    assert_eq!(metric(&server, "reynard_password_hashes_refused_total").await, busy);
    assert_eq!(metric(&server, "reynard_password_hashes_peak").await, 1);
}

#[tokio::test]
async fn expired_sessions_are_purged_periodically() {
    let server = TestServer::start_with(|config| {
        config.session_ttl = Duration::from_millis(1);
        config.purge_interval = Duration::from_millis(50);
    })
    .await;
    let ada = server.signup("ada@example.org").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while metric(&server, "reynard_sessions_purged_total").await < 1 {
        assert!(Instant::now() < deadline, "the expired session was never purged");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_error(&server.get("/api/v1/me", &ada.token).await, StatusCode::UNAUTHORIZED, "unauthenticated");
}

/// Sign-up throughput and memory under a burst: `SIGNUPS` (512) sign-ups at
/// once from distinct addresses behind a trusted proxy, on the default
/// hashers (one per core) and wait (2 s). Prints sign-ups/s, how many were
/// told `busy`, the peak of concurrent hashes and the process's peak RSS.
/// `HASHERS` and `WAIT` (seconds) override the hashers and their wait.
/// `cargo test -p reynard-server --test api -- --ignored --nocapture signup_burst`
#[tokio::test(flavor = "multi_thread")]
#[ignore = "a measurement, not a check"]
async fn signup_burst() {
    let count: usize = std::env::var("SIGNUPS").ok().and_then(|n| n.parse().ok()).unwrap_or(512);
    let server = TestServer::start_with(|config| {
        config.trusted_proxies = TrustedProxies::parse("127.0.0.1/32").unwrap();
        if let Some(n) = std::env::var("HASHERS").ok().and_then(|n| n.parse().ok()) {
            config.password_hashers = n;
        }
        if let Some(n) = std::env::var("WAIT").ok().and_then(|n| n.parse().ok()) {
            config.password_hasher_wait = Duration::from_secs(n);
        }
    })
    .await;
    let hashers = std::env::var("HASHERS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(std::thread::available_parallelism().map_or(1, usize::from));
    let started = Instant::now();
    let signups = (0..count).map(|i| {
        let forwarded = format!("10.{}.{}.{}", i / 65536, (i / 256) % 256, i % 256);
        let server = &server;
        async move { signup_from(server, format!("burst{i}@example.org"), Some(&forwarded)).await.status() }
    });
    let statuses = futures_util::future::join_all(signups).await;
    let elapsed = started.elapsed();
    let created = statuses.iter().filter(|s| **s == StatusCode::CREATED).count();
    let busy = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    let peak = metric(&server, "reynard_password_hashes_peak").await;
    let rss = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(str::to_owned))
        .unwrap_or_default();
    println!(
        "{count} sign-ups at once, {hashers} hashers: {created} created, {busy} busy in {:.2} s \
         ({:.1} created/s); peak concurrent hashes {peak}; {rss}",
        elapsed.as_secs_f64(),
        created as f64 / elapsed.as_secs_f64()
    );
    assert_eq!(created + busy, count, "{statuses:?}");
    assert!(peak as usize <= hashers);
}
