//! Health, readiness, metrics, the OpenAPI document, unknown routes, body limits
//! and graceful shutdown.

use reqwest::{Method, StatusCode, header};

use crate::support::{METRICS_TOKEN, TestServer, assert_error};

#[tokio::test]
async fn health_and_readiness() {
    let server = TestServer::start().await;
    assert_eq!(
        server.call(Method::GET, "/healthz", None, None).await,
        (StatusCode::OK, serde_json::json!({ "status": "ok" }))
    );
    assert_eq!(server.call(Method::GET, "/readyz", None, None).await.0, StatusCode::OK);
}

#[tokio::test]
async fn metrics_count_requests_latencies_and_connections() {
    let server = TestServer::start().await;
    server.call(Method::GET, "/healthz", None, None).await;
    server.call(Method::GET, "/api/v1/me", None, None).await;
    let response = server.client.get(server.url("/metrics")).bearer_auth(METRICS_TOKEN).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/plain"));
    let text = response.text().await.unwrap();
    assert!(text.contains(r#"reynard_http_requests_total{method="GET",route="/healthz",status="200"} 1"#), "{text}");
    assert!(text.contains(r#"reynard_http_requests_total{method="GET",route="/api/v1/me",status="401"} 1"#), "{text}");
    assert!(text.contains(r#"reynard_http_request_duration_seconds_count{route="/healthz"} 1"#), "{text}");
    let open: i64 = text
        .lines()
        .find_map(|l| l.strip_prefix("reynard_open_connections "))
        .and_then(|v| v.parse().ok())
        .expect("open connections gauge");
    assert!(open >= 1, "the client's keep-alive connection is open: {open}");
}

#[tokio::test]
async fn metrics_are_not_public_on_the_main_listener() {
    let server = TestServer::start_with(|config| config.metrics_token = None).await;
    let answer = server.call(Method::GET, "/metrics", None, None).await;
    assert_error(&answer, StatusCode::NOT_FOUND, "no_route");
    assert_error(&server.get("/metrics", "anything").await, StatusCode::NOT_FOUND, "no_route");

    let guarded = TestServer::start().await;
    assert_error(&guarded.call(Method::GET, "/metrics", None, None).await, StatusCode::UNAUTHORIZED, "unauthenticated");
    let user = guarded.signup("ada@example.org").await;
    assert_error(&guarded.get("/metrics", &user.token).await, StatusCode::UNAUTHORIZED, "unauthenticated");
    assert_error(
        &guarded.get("/metrics", "metrics-token-of-the-testz").await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    );
    assert_eq!(guarded.get("/metrics", METRICS_TOKEN).await.0, StatusCode::OK);
}

#[tokio::test]
async fn metrics_listen_serves_metrics_on_their_own_address() {
    // An address that was free a moment ago (the server binds it itself).
    let metrics_addr = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let server = TestServer::start_with(|config| {
        config.metrics_listen = Some(metrics_addr);
        config.metrics_token = None;
    })
    .await;
    server.call(Method::GET, "/healthz", None, None).await;
    let response = server.client.get(format!("http://{metrics_addr}/metrics")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/plain"));
    let text = response.text().await.unwrap();
    assert!(text.contains(r#"reynard_http_requests_total{method="GET",route="/healthz",status="200"} 1"#), "{text}");
    assert!(text.contains("reynard_document_rooms 0"), "{text}");
    // Only metrics there; and still not on the main listener.
    let other = server.client.get(format!("http://{metrics_addr}/api/v1/me")).send().await.unwrap();
    assert_eq!(other.status(), StatusCode::NOT_FOUND);
    assert_error(&server.call(Method::GET, "/metrics", None, None).await, StatusCode::NOT_FOUND, "no_route");
    // It stops with the server.
    server.stop().await.unwrap();
    assert!(tokio::net::TcpStream::connect(metrics_addr).await.is_err(), "metrics listener closed");
}

#[tokio::test]
async fn openapi_covers_every_route() {
    let server = TestServer::start().await;
    let (status, doc) = server.call(Method::GET, "/api/v1/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let mut documented = 0;
    for route in reynard_server::routes::all() {
        let op = &doc["paths"][route.spec.path][route.spec.method.as_str().to_lowercase()];
        assert!(op["responses"].is_object(), "{} {} undocumented", route.spec.method, route.spec.path);
        documented += 1;
    }
    let operations: usize = doc["paths"].as_object().unwrap().values().map(|p| p.as_object().unwrap().len()).sum();
    assert_eq!(operations, documented, "the document lists exactly the served routes");
}

#[tokio::test]
async fn unknown_routes_methods_and_oversized_bodies_get_json_errors() {
    let server = TestServer::start_with(|config| config.max_body_bytes = 2048).await;
    assert_error(&server.call(Method::GET, "/api/v1/nope", None, None).await, StatusCode::NOT_FOUND, "no_route");
    assert_error(
        &server.call(Method::PUT, "/api/v1/me", None, None).await,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    );
    let big = format!("{{\"email\":\"{}\",\"password\":\"x\",\"name\":\"x\"}}", "a".repeat(4096));
    let response = server
        .client
        .post(server.url("/api/v1/auth/signup"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(body["error"]["code"].is_string(), "{body}");
    // The server is still fine.
    assert_eq!(server.call(Method::GET, "/healthz", None, None).await.0, StatusCode::OK);
}

#[tokio::test]
async fn graceful_shutdown_finishes_and_frees_the_port() {
    let server = TestServer::start().await;
    let addr = server.addr;
    assert_eq!(server.call(Method::GET, "/healthz", None, None).await.0, StatusCode::OK);
    let stopped = tokio::time::timeout(std::time::Duration::from_secs(10), server.stop()).await;
    stopped.expect("shutdown completes").expect("clean exit");
    assert!(tokio::net::TcpStream::connect(addr).await.is_err(), "no longer listening");
}

#[tokio::test]
async fn client_pages_are_served_for_deep_links_and_server_paths_stay_json() {
    let server = TestServer::start().await;
    for path in ["/", "/login", "/w/some-workspace/d/some-doc"] {
        let response = server.client.get(server.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let kind = response.headers()[header::CONTENT_TYPE].to_str().unwrap().to_owned();
        assert!(kind.starts_with("text/html"), "{path}: {kind}");
        assert!(response.text().await.unwrap().contains("<html"), "{path}");
    }
    let missing = server.client.get(server.url("/assets/missing-abc.js")).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_error(&server.call(Method::GET, "/api/v1/nope", None, None).await, StatusCode::NOT_FOUND, "no_route");
    assert_error(&server.call(Method::GET, "/collab", None, None).await, StatusCode::NOT_FOUND, "no_route");
}
