//! Email verification and invitation mails against a real SMTP server
//! (aiosmtpd, see `smtp_sink`): what arrives, and what its links do.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::smtp_sink::SmtpSink;
use crate::support::{TestServer, assert_error, invite_token};

async fn server_mailing_to(sink: &SmtpSink, tune: impl FnOnce(&mut reynard_server::config::Config)) -> TestServer {
    let url = sink.url();
    TestServer::start_with(move |config| {
        config.mailer = Some(reynard_mail::Mailer::new(&url, "Reynard <reynard@localhost>").expect("mailer"));
        tune(config);
    })
    .await
}

fn token_of(link: &str, path: &str) -> String {
    link.rsplit_once(path).unwrap_or_else(|| panic!("{link} is not a {path} link")).1.to_owned()
}

#[tokio::test]
async fn signup_mails_a_link_that_verifies_the_email_and_claims_invitations() {
    let Some(sink) = SmtpSink::start() else { return };
    let server = server_mailing_to(&sink, |_| {}).await;
    let ada = server.signup("ada@example.org").await;
    let ws = server.workspace(&ada, "Compilers").await;

    // The invitation is mailed with the link the owner sees.
    let members = format!("/api/v1/workspaces/{ws}/members");
    let (status, invited) =
        server.post(&members, &ada.token, json!({ "email": "new@example.org", "role": "editor" })).await;
    assert_eq!(status, StatusCode::CREATED, "{invited}");
    assert_eq!(invited["status"], "invited");
    let invitation = sink.wait_for("new@example.org", "invited you to Compilers").await;
    assert_eq!(invitation.link("/invite/"), invited["invite_link"].as_str().unwrap());

    // Signing up with the invited email claims nothing yet...
    let newcomer = server.signup("new@example.org").await;
    let (_, me) = server.get("/api/v1/me", &newcomer.token).await;
    assert_eq!(me["email_verified"], false, "{me}");
    assert_eq!(server.get("/api/v1/workspaces", &newcomer.token).await.1, json!([]));
    assert_error(
        &server.get(&format!("/api/v1/workspaces/{ws}"), &newcomer.token).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );

    // ...until the link of the mail that arrived is followed.
    let mail = sink.wait_for("new@example.org", "Confirm your email").await;
    let link = mail.link("/verify-email/");
    assert!(link.starts_with(&server.url("/verify-email/")), "links use the public URL: {link}");
    let token = token_of(&link, "/verify-email/");
    let (status, verified) =
        server.call(Method::POST, "/api/v1/auth/verify-email", None, Some(json!({ "token": token }))).await;
    assert_eq!(status, StatusCode::OK, "{verified}");
    assert_eq!(verified, json!({ "email": "new@example.org", "email_verified": true, "joined": [ws] }));
    assert_eq!(server.get("/api/v1/me", &newcomer.token).await.1["email_verified"], true);
    let (_, list) = server.get("/api/v1/workspaces", &newcomer.token).await;
    assert_eq!(list, json!([{ "id": ws, "name": "Compilers", "role": "editor" }]));
    assert_eq!(server.get(&format!("/api/v1/workspaces/{ws}/invitations"), &ada.token).await.1, json!([]));

    // Following the link again is harmless.
    let again = server.call(Method::POST, "/api/v1/auth/verify-email", None, Some(json!({ "token": token }))).await;
    assert_eq!(again.0, StatusCode::OK);
    assert_eq!(again.1["joined"], json!([]));

    // A verified account is added at once when named.
    let other = server.workspace(&ada, "Other").await;
    let (_, added) = server
        .post(
            &format!("/api/v1/workspaces/{other}/members"),
            &ada.token,
            json!({ "email": "new@example.org", "role": "viewer" }),
        )
        .await;
    assert_eq!(added["status"], "added", "{added}");
    assert_eq!(added["user_id"], newcomer.id);
}

#[tokio::test]
async fn expired_and_forged_verification_links_are_refused() {
    let Some(sink) = SmtpSink::start() else { return };
    let server = server_mailing_to(&sink, |config| config.email_verification_ttl = Duration::ZERO).await;
    let bob = server.signup("bob@example.org").await;
    let token = token_of(&sink.wait_for("bob@example.org", "Confirm").await.link("/verify-email/"), "/verify-email/");
    let server = &server;
    let verify = |token: String| async move {
        server.call(Method::POST, "/api/v1/auth/verify-email", None, Some(json!({ "token": token }))).await
    };
    assert_error(&verify(token.clone()).await, StatusCode::BAD_REQUEST, "expired_token");

    // A later expiry with the old signature, another account, garbage.
    let (head, tag) = token.rsplit_once('.').unwrap();
    let (prefix, _expiry) = head.rsplit_once('.').unwrap();
    assert_error(&verify(format!("{prefix}.99999999999999.{tag}")).await, StatusCode::BAD_REQUEST, "invalid_token");
    let eve = server.signup("eve@example.org").await;
    assert_error(&verify(token.replace(&bob.id, &eve.id)).await, StatusCode::BAD_REQUEST, "invalid_token");
    for garbage in ["", "v1", "v1.x.1.AAAA", "inv_abc", &"x".repeat(10_000)] {
        assert_error(&verify(garbage.to_owned()).await, StatusCode::BAD_REQUEST, "invalid_token");
    }
    assert_eq!(server.get("/api/v1/me", &bob.token).await.1["email_verified"], false);
    assert_eq!(server.get("/api/v1/me", &eve.token).await.1["email_verified"], false);
}

#[tokio::test]
async fn a_new_link_is_mailed_on_request_within_a_limit() {
    let Some(sink) = SmtpSink::start() else { return };
    let server = server_mailing_to(&sink, |config| config.verification_mails_per_hour = 2).await;
    let carol = server.signup("carol@example.org").await;
    sink.wait_for("carol@example.org", "Confirm").await;
    let resend = || server.call(Method::POST, "/api/v1/auth/resend-verification", Some(&carol.token), None);
    assert_eq!(resend().await.0, StatusCode::ACCEPTED);
    assert_eq!(resend().await.0, StatusCode::ACCEPTED);
    assert_error(&resend().await, StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while sink.messages().iter().filter(|m| m.to.contains("carol@example.org")).count() < 3 {
        assert!(std::time::Instant::now() < deadline, "three verification mails expected: {:?}", sink.messages());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Every mailed link works until it expires; once verified, there is nothing to resend.
    let link = sink.messages().into_iter().find(|m| m.to.contains("carol@")).unwrap().link("/verify-email/");
    let token = token_of(&link, "/verify-email/");
    let verified = server.call(Method::POST, "/api/v1/auth/verify-email", None, Some(json!({ "token": token }))).await;
    assert_eq!(verified.0, StatusCode::OK, "{}", verified.1);
    let other = server.signup("dan@example.org").await;
    let done = server.call(Method::POST, "/api/v1/auth/resend-verification", Some(&carol.token), None).await;
    assert_error(&done, StatusCode::CONFLICT, "already_verified");
    assert_eq!(
        server.call(Method::POST, "/api/v1/auth/resend-verification", Some(&other.token), None).await.0,
        StatusCode::ACCEPTED,
        "the limit is per account"
    );
}

#[tokio::test]
async fn without_smtp_nothing_is_mailed_and_resending_says_why() {
    let server = TestServer::start().await;
    let ada = server.signup("ada@example.org").await;
    let answer = server.call(Method::POST, "/api/v1/auth/resend-verification", Some(&ada.token), None).await;
    assert_error(&answer, StatusCode::CONFLICT, "mail_disabled");
    // The invitation still has a link to hand over.
    let ws = server.workspace(&ada, "Team").await;
    let (_, invited) = server
        .post(
            &format!("/api/v1/workspaces/{ws}/members"),
            &ada.token,
            json!({ "email": "x@example.org", "role": "viewer" }),
        )
        .await;
    assert!(invite_token(&invited).starts_with("inv_"), "{invited}");
}
