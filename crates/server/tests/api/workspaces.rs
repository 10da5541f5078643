//! Workspaces, members, roles, invitations and the last-owner rule.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{TestServer, assert_error, invite_token};

#[tokio::test]
async fn create_list_get_rename_delete() {
    let server = TestServer::start().await;
    let ada = server.signup("ada@example.org").await;
    let (status, created) = server.post("/api/v1/workspaces", &ada.token, json!({ "name": " Compilers " })).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!((created["name"].as_str(), created["role"].as_str()), (Some("Compilers"), Some("owner")));
    let ws = created["id"].as_str().unwrap().to_owned();
    server.workspace(&ada, "Algebra").await;

    let (status, list) = server.get("/api/v1/workspaces", &ada.token).await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<_> = list.as_array().unwrap().iter().map(|w| w["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Algebra", "Compilers"]);
    assert_eq!(server.get(&format!("/api/v1/workspaces/{ws}"), &ada.token).await.1, created);

    let path = format!("/api/v1/workspaces/{ws}");
    let (status, renamed) =
        server.call(Method::PATCH, &path, Some(&ada.token), Some(json!({ "name": "Parsers" }))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(renamed, json!({ "id": ws, "name": "Parsers", "role": "owner" }));
    let empty = server.call(Method::PATCH, &path, Some(&ada.token), Some(json!({ "name": "" }))).await;
    assert_error(&empty, StatusCode::BAD_REQUEST, "invalid_input");
    let missing_name = server.post("/api/v1/workspaces", &ada.token, json!({})).await;
    assert_error(&missing_name, StatusCode::BAD_REQUEST, "invalid_body");

    assert_eq!(server.call(Method::DELETE, &path, Some(&ada.token), None).await.0, StatusCode::NO_CONTENT);
    assert_error(&server.get(&path, &ada.token).await, StatusCode::NOT_FOUND, "not_found");
    assert_error(&server.call(Method::DELETE, &path, Some(&ada.token), None).await, StatusCode::NOT_FOUND, "not_found");
    assert_eq!(server.get("/api/v1/workspaces", &ada.token).await.1.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn members_roles_and_leaving() {
    let server = TestServer::start().await;
    let ada = server.signup("ada@example.org").await;
    let bob = server.signup("bob@example.org").await;
    let ws = server.workspace(&ada, "Team").await;
    let members = format!("/api/v1/workspaces/{ws}/members");

    // Bob's email is not verified (no mail here): he joins through the invite link.
    // A verified account is added at once (see `mail.rs`).
    server.add(&ada, &ws, &bob, "viewer").await;
    let again = server.post(&members, &ada.token, json!({ "email": "bob@example.org", "role": "editor" })).await;
    assert_error(&again, StatusCode::CONFLICT, "conflict");
    let bad_role = server.post(&members, &ada.token, json!({ "email": "c@example.org", "role": "admin" })).await;
    assert_error(&bad_role, StatusCode::BAD_REQUEST, "invalid_body");
    let bad_email = server.post(&members, &ada.token, json!({ "email": "nope", "role": "viewer" })).await;
    assert_error(&bad_email, StatusCode::BAD_REQUEST, "invalid_input");

    let (_, list) = server.get(&members, &bob.token).await;
    assert_eq!(
        list,
        json!([
            { "user_id": ada.id, "email": "ada@example.org", "name": "ada", "role": "owner" },
            { "user_id": bob.id, "email": "bob@example.org", "name": "bob", "role": "viewer" },
        ])
    );
    assert_eq!(server.get("/api/v1/workspaces", &bob.token).await.1[0]["role"], "viewer");

    let bob_path = format!("{members}/{}", bob.id);
    let (status, changed) =
        server.call(Method::PATCH, &bob_path, Some(&ada.token), Some(json!({ "role": "editor" }))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(changed["role"], "editor");
    let nobody = format!("{members}/no-such-user");
    let missing = server.call(Method::PATCH, &nobody, Some(&ada.token), Some(json!({ "role": "editor" }))).await;
    assert_error(&missing, StatusCode::NOT_FOUND, "not_found");

    // The last owner can neither be demoted nor leave.
    let ada_path = format!("{members}/{}", ada.id);
    let demote = server.call(Method::PATCH, &ada_path, Some(&ada.token), Some(json!({ "role": "editor" }))).await;
    assert_error(&demote, StatusCode::CONFLICT, "last_owner");
    assert_error(
        &server.call(Method::DELETE, &ada_path, Some(&ada.token), None).await,
        StatusCode::CONFLICT,
        "last_owner",
    );

    // With a second owner, the first may step down, and members may leave.
    server.call(Method::PATCH, &bob_path, Some(&ada.token), Some(json!({ "role": "owner" }))).await;
    assert_eq!(server.call(Method::DELETE, &ada_path, Some(&ada.token), None).await.0, StatusCode::NO_CONTENT);
    assert_error(&server.get(&members, &ada.token).await, StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(server.get(&members, &bob.token).await.1.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn an_invite_link_lets_whoever_opens_it_join_once() {
    let server = TestServer::start().await;
    let ada = server.signup("ada@example.org").await;
    let ws = server.workspace(&ada, "Team").await;
    let members = format!("/api/v1/workspaces/{ws}/members");
    let (status, invited) =
        server.post(&members, &ada.token, json!({ "email": "New@Example.org", "role": "editor" })).await;
    assert_eq!(status, StatusCode::CREATED);
    let link = invited["invite_link"].as_str().expect("an invite link").to_owned();
    assert!(link.starts_with(&server.url("/invite/inv_")), "{link}");
    assert_eq!(
        invited,
        json!({ "status": "invited", "email": "new@example.org", "role": "editor", "invite_link": link })
    );
    let again = server.post(&members, &ada.token, json!({ "email": "new@example.org", "role": "viewer" })).await;
    assert_error(&again, StatusCode::CONFLICT, "conflict");
    let invitations = format!("/api/v1/workspaces/{ws}/invitations");
    assert_eq!(
        server.get(&invitations, &ada.token).await.1,
        json!([{ "email": "new@example.org", "role": "editor", "invite_link": link }]),
        "the owner sees the same link again"
    );

    // Signing up with the invited email claims nothing: the email is not proven.
    let newcomer = server.signup("new@example.org").await;
    assert_eq!(server.get("/api/v1/workspaces", &newcomer.token).await.1, json!([]));

    // The link is the proof: the person it was given to joins under any email.
    let token = invite_token(&invited);
    let server = &server;
    let accept = |token: String, user_token: Option<String>| async move {
        server
            .call(Method::POST, "/api/v1/invitations/accept", user_token.as_deref(), Some(json!({ "token": token })))
            .await
    };
    assert_error(&accept(token.clone(), None).await, StatusCode::UNAUTHORIZED, "unauthenticated");
    let alias = server.signup("alias@example.org").await;
    let (status, joined) = accept(token.clone(), Some(alias.token.clone())).await;
    assert_eq!(status, StatusCode::OK, "{joined}");
    assert_eq!(joined, json!({ "id": ws, "name": "Team", "role": "editor" }));
    assert_eq!(server.get(&invitations, &ada.token).await.1, json!([]));
    // Once only.
    assert_error(&accept(token.clone(), Some(newcomer.token.clone())).await, StatusCode::BAD_REQUEST, "invalid_token");
    assert_eq!(server.get("/api/v1/workspaces", &newcomer.token).await.1, json!([]));
    for forged in ["", "inv_", "inv_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "v1.x.1.AAAA", &"i".repeat(5000)] {
        assert_error(
            &accept(forged.to_owned(), Some(newcomer.token.clone())).await,
            StatusCode::BAD_REQUEST,
            "invalid_token",
        );
    }

    // Withdrawing an invitation kills its link.
    let (_, later) = server.post(&members, &ada.token, json!({ "email": "later@example.org", "role": "viewer" })).await;
    let path = format!("{invitations}/later@example.org");
    assert_eq!(server.call(Method::DELETE, &path, Some(&ada.token), None).await.0, StatusCode::NO_CONTENT);
    assert_error(&server.call(Method::DELETE, &path, Some(&ada.token), None).await, StatusCode::NOT_FOUND, "not_found");
    let late = accept(invite_token(&later), Some(newcomer.token.clone())).await;
    assert_error(&late, StatusCode::BAD_REQUEST, "invalid_token");
    assert_eq!(server.get(&members, &ada.token).await.1.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn an_unverified_account_gets_no_access_by_being_named() {
    let server = TestServer::start().await;
    let ada = server.signup("ada@example.org").await;
    // Someone signed up first with an address that is not theirs.
    let squatter = server.signup("bob@example.org").await;
    let ws = server.workspace(&ada, "Team").await;
    let members = format!("/api/v1/workspaces/{ws}/members");
    let (status, answer) =
        server.post(&members, &ada.token, json!({ "email": "bob@example.org", "role": "editor" })).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(answer["status"], "invited", "an unverified account is not added: {answer}");
    assert_error(
        &server.get(&format!("/api/v1/workspaces/{ws}"), &squatter.token).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_eq!(server.get("/api/v1/workspaces", &squatter.token).await.1, json!([]));
    assert_eq!(server.get(&members, &ada.token).await.1.as_array().unwrap().len(), 1);
}
