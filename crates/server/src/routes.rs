//! The route table: every endpoint with its handler and its documentation. The
//! router and the OpenAPI document are both built from this one list, so an
//! endpoint cannot exist undocumented.

use axum::http::Method;
use axum::routing::{MethodRouter, delete, get, patch, post, put};
use serde_json::{Value, json};

use crate::api::{accounts, chat, documents, history, invitations, meta, rooms, verification, workspaces};
use crate::collab::socket::collab_socket;
use crate::live::socket::live_socket;
use crate::state::AppState;

/// What a route answers on success.
#[derive(Debug, Clone, Copy)]
pub enum Body {
    /// No body (204).
    Empty,
    /// A JSON object of the named schema.
    Json(&'static str),
    /// A JSON array of the named schema.
    JsonArray(&'static str),
    /// A non-JSON body of this media type.
    Text(&'static str),
}

/// One endpoint: how to call it and what it answers.
#[derive(Debug, Clone)]
pub struct RouteSpec {
    pub method: Method,
    /// Path with `{param}` segments (the syntax of both axum and OpenAPI).
    pub path: &'static str,
    pub summary: &'static str,
    pub tag: &'static str,
    /// Whether a session cookie or bearer token is required.
    pub auth: bool,
    /// Schema of the JSON request body, if any.
    pub request: Option<&'static str>,
    pub success: (u16, Body),
    /// Error statuses this route can answer besides 500.
    pub errors: &'static [u16],
}

/// A route with its handler.
#[derive(Debug)]
pub struct Route {
    pub spec: RouteSpec,
    pub handler: MethodRouter<AppState>,
}

// Each call is one row of the table below; positional arguments keep the rows aligned.
#[allow(clippy::too_many_arguments)]
fn route(
    method: Method,
    path: &'static str,
    handler: MethodRouter<AppState>,
    doc: (&'static str, &'static str),
    auth: bool,
    request: Option<&'static str>,
    success: (u16, Body),
    errors: &'static [u16],
) -> Route {
    let (tag, summary) = doc;
    Route { spec: RouteSpec { method, path, summary, tag, auth, request, success, errors }, handler }
}

const AUTHED: &[u16] = &[401];
const AUTHED_BODY: &[u16] = &[400, 401, 415];
const WS_READ: &[u16] = &[401, 403, 404];
const WS_WRITE: &[u16] = &[400, 401, 403, 404, 415];
const WS_CONFLICT: &[u16] = &[400, 401, 403, 404, 409, 415];

/// Every endpoint of the server.
pub fn all() -> Vec<Route> {
    use Body::*;
    use Method as M;
    vec![
        route(
            M::GET,
            "/healthz",
            get(meta::healthz),
            ("meta", "The process is up"),
            false,
            None,
            (200, Json("Status")),
            &[],
        ),
        route(
            M::GET,
            "/readyz",
            get(meta::readyz),
            ("meta", "The database is reachable"),
            false,
            None,
            (200, Json("Status")),
            &[503],
        ),
        route(
            M::GET,
            "/metrics",
            get(meta::metrics),
            ("meta", "Prometheus metrics, with `Authorization: Bearer <--metrics-token>` (else on --metrics-listen)"),
            false,
            None,
            (200, Text("text/plain")),
            &[401, 404],
        ),
        route(
            M::GET,
            "/api/v1/openapi.json",
            get(meta::openapi),
            ("meta", "This OpenAPI document"),
            false,
            None,
            (200, Text("application/json")),
            &[],
        ),
        route(
            M::POST,
            "/api/v1/auth/signup",
            post(accounts::signup),
            ("accounts", "Create an account and sign in"),
            false,
            Some("SignupRequest"),
            (201, Json("AuthResponse")),
            &[400, 409, 415, 429],
        ),
        route(
            M::POST,
            "/api/v1/auth/login",
            post(accounts::login),
            ("accounts", "Sign in"),
            false,
            Some("LoginRequest"),
            (200, Json("AuthResponse")),
            &[400, 401, 415, 429],
        ),
        route(
            M::POST,
            "/api/v1/auth/verify-email",
            post(verification::verify_email),
            ("accounts", "Verify an email with the token of the mailed link (claims its invitations)"),
            false,
            Some("TokenRequest"),
            (200, Json("VerifyEmailResponse")),
            &[400, 415],
        ),
        route(
            M::POST,
            "/api/v1/auth/resend-verification",
            post(verification::resend_verification),
            ("accounts", "Mail a new verification link (rate-limited per account; 409 if verified or mail is off)"),
            true,
            None,
            (202, Empty),
            &[401, 409, 429],
        ),
        route(
            M::POST,
            "/api/v1/invitations/accept",
            post(invitations::accept),
            ("members", "Join a workspace with the token of an invite link (once; any signed-in account)"),
            true,
            Some("TokenRequest"),
            (200, Json("Workspace")),
            AUTHED_BODY,
        ),
        route(
            M::POST,
            "/api/v1/auth/logout",
            post(accounts::logout),
            ("accounts", "Revoke the current session"),
            true,
            None,
            (204, Empty),
            AUTHED,
        ),
        route(
            M::GET,
            "/api/v1/auth/session",
            get(accounts::session),
            ("accounts", "Who is signed in: the user, or null"),
            false,
            None,
            (200, Json("Session")),
            &[],
        ),
        route(
            M::GET,
            "/api/v1/me",
            get(accounts::me),
            ("accounts", "The signed-in user"),
            true,
            None,
            (200, Json("Me")),
            AUTHED,
        ),
        route(
            M::PATCH,
            "/api/v1/me",
            patch(accounts::update_me),
            ("accounts", "Change name or time zone"),
            true,
            Some("UpdateMe"),
            (200, Json("Me")),
            AUTHED_BODY,
        ),
        route(
            M::POST,
            "/api/v1/workspaces",
            post(workspaces::create),
            ("workspaces", "Create a workspace (you become its owner)"),
            true,
            Some("WorkspaceName"),
            (201, Json("Workspace")),
            AUTHED_BODY,
        ),
        route(
            M::GET,
            "/api/v1/workspaces",
            get(workspaces::list),
            ("workspaces", "Workspaces you belong to"),
            true,
            None,
            (200, JsonArray("Workspace")),
            AUTHED,
        ),
        route(
            M::GET,
            "/api/v1/workspaces/{ws}",
            get(workspaces::get),
            ("workspaces", "One workspace"),
            true,
            None,
            (200, Json("Workspace")),
            WS_READ,
        ),
        route(
            M::PATCH,
            "/api/v1/workspaces/{ws}",
            patch(workspaces::rename),
            ("workspaces", "Rename a workspace (owners)"),
            true,
            Some("WorkspaceName"),
            (200, Json("Workspace")),
            WS_WRITE,
        ),
        route(
            M::DELETE,
            "/api/v1/workspaces/{ws}",
            delete(workspaces::delete),
            ("workspaces", "Delete a workspace (owners)"),
            true,
            None,
            (204, Empty),
            WS_READ,
        ),
        route(
            M::GET,
            "/api/v1/workspaces/{ws}/members",
            get(workspaces::members),
            ("members", "Members and their roles"),
            true,
            None,
            (200, JsonArray("Member")),
            WS_READ,
        ),
        route(
            M::POST,
            "/api/v1/workspaces/{ws}/members",
            post(workspaces::add_member),
            ("members", "Add a member by email, or invite an unknown email (owners)"),
            true,
            Some("AddMemberRequest"),
            (201, Json("AddMemberResponse")),
            WS_CONFLICT,
        ),
        route(
            M::PATCH,
            "/api/v1/workspaces/{ws}/members/{user_id}",
            patch(workspaces::change_role),
            ("members", "Change a member's role (owners; the last owner stays)"),
            true,
            Some("ChangeRoleRequest"),
            (200, Json("Member")),
            WS_CONFLICT,
        ),
        route(
            M::DELETE,
            "/api/v1/workspaces/{ws}/members/{user_id}",
            delete(workspaces::remove_member),
            ("members", "Remove a member (owners) or leave (yourself)"),
            true,
            None,
            (204, Empty),
            &[401, 403, 404, 409],
        ),
        route(
            M::GET,
            "/api/v1/workspaces/{ws}/invitations",
            get(workspaces::invitations),
            ("members", "Pending invitations (owners)"),
            true,
            None,
            (200, JsonArray("Invitation")),
            WS_READ,
        ),
        route(
            M::DELETE,
            "/api/v1/workspaces/{ws}/invitations/{email}",
            delete(workspaces::delete_invitation),
            ("members", "Withdraw an invitation (owners)"),
            true,
            None,
            (204, Empty),
            &[400, 401, 403, 404],
        ),
        route(
            M::POST,
            "/api/v1/workspaces/{ws}/documents",
            post(documents::create),
            ("documents", "Create a document (editors, owners)"),
            true,
            Some("DocumentPath"),
            (201, Json("Document")),
            WS_CONFLICT,
        ),
        route(
            M::GET,
            "/api/v1/workspaces/{ws}/documents",
            get(documents::list),
            ("documents", "Documents of a workspace, by path"),
            true,
            None,
            (200, JsonArray("Document")),
            WS_READ,
        ),
        route(
            M::GET,
            "/api/v1/documents/{doc}",
            get(documents::get),
            ("documents", "One document"),
            true,
            None,
            (200, Json("Document")),
            WS_READ,
        ),
        route(
            M::PATCH,
            "/api/v1/documents/{doc}",
            patch(documents::rename),
            ("documents", "Rename or move a document (editors, owners)"),
            true,
            Some("DocumentPath"),
            (200, Json("Document")),
            WS_CONFLICT,
        ),
        route(
            M::DELETE,
            "/api/v1/documents/{doc}",
            delete(documents::delete),
            ("documents", "Delete a document (editors, owners)"),
            true,
            None,
            (204, Empty),
            WS_READ,
        ),
        route(
            M::GET,
            "/api/v1/documents/{doc}/content",
            get(documents::content),
            ("documents", "The document's text"),
            true,
            None,
            (200, Text("text/plain")),
            WS_READ,
        ),
        route(
            M::PUT,
            "/api/v1/documents/{doc}/content",
            put(documents::replace_content),
            ("documents", "Replace the text as one CRDT update that live clients receive (editors, owners)"),
            true,
            Some("PlainText"),
            (204, Empty),
            &[400, 401, 403, 404, 413],
        ),
        route(
            M::POST,
            "/api/v1/documents/{doc}/versions",
            post(history::create),
            ("history", "Name the current version (editors, owners)"),
            true,
            Some("CreateVersionRequest"),
            (201, Json("Version")),
            WS_WRITE,
        ),
        route(
            M::GET,
            "/api/v1/documents/{doc}/versions",
            get(history::list),
            ("history", "Versions, newest first (named and automatic)"),
            true,
            None,
            (200, JsonArray("Version")),
            WS_READ,
        ),
        route(
            M::GET,
            "/api/v1/documents/{doc}/versions/{version}/content",
            get(history::content),
            ("history", "The text of a version"),
            true,
            None,
            (200, Text("text/plain")),
            WS_READ,
        ),
        route(
            M::GET,
            "/api/v1/documents/{doc}/diff",
            get(history::diff),
            ("history", "Line diff between two versions (?from=&to=), or a version and the present (to=current)"),
            true,
            None,
            (200, Json("Diff")),
            &[400, 401, 403, 404],
        ),
        route(
            M::POST,
            "/api/v1/documents/{doc}/versions/{version}/restore",
            post(history::restore),
            ("history", "Restore a version as a new change everyone receives (editors, owners)"),
            true,
            None,
            (200, Json("RestoreResponse")),
            WS_READ,
        ),
        route(
            M::POST,
            "/api/v1/documents/{doc}/branches",
            post(history::create_branch),
            ("history", "Fork a branch at a version or now (editors, owners)"),
            true,
            Some("CreateBranchRequest"),
            (201, Json("Branch")),
            WS_CONFLICT,
        ),
        route(
            M::GET,
            "/api/v1/documents/{doc}/branches",
            get(history::branches),
            ("history", "Branches of a document, with whether they have unmerged changes"),
            true,
            None,
            (200, JsonArray("Branch")),
            WS_READ,
        ),
        route(
            M::POST,
            "/api/v1/documents/{doc}/merge",
            post(history::merge),
            ("history", "Merge a branch back into its origin (editors, owners)"),
            true,
            None,
            (200, Json("MergeResponse")),
            &[401, 403, 404, 409],
        ),
        route(
            M::GET,
            "/api/v1/workspaces/{ws}/rooms",
            get(rooms::list),
            ("rooms", "Rooms of a workspace, the default first (?archived=true: archived ones too)"),
            true,
            None,
            (200, JsonArray("RoomView")),
            WS_READ,
        ),
        route(
            M::POST,
            "/api/v1/workspaces/{ws}/rooms",
            post(rooms::create),
            ("rooms", "Create a room (owners, editors)"),
            true,
            Some("NewRoom"),
            (201, Json("RoomView")),
            WS_CONFLICT,
        ),
        route(
            M::GET,
            "/api/v1/rooms/{room}",
            get(rooms::get),
            ("rooms", "One room"),
            true,
            None,
            (200, Json("RoomView")),
            &[401, 404],
        ),
        route(
            M::PATCH,
            "/api/v1/rooms/{room}",
            patch(rooms::change),
            ("rooms", "Rename a room, archive it or bring it back (owners, editors)"),
            true,
            Some("RoomChange"),
            (200, Json("RoomView")),
            WS_CONFLICT,
        ),
        route(
            M::DELETE,
            "/api/v1/rooms/{room}",
            delete(rooms::archive),
            ("rooms", "Archive a room (owners, editors; not the default room)"),
            true,
            None,
            (204, Empty),
            &[401, 403, 404, 409],
        ),
        route(
            M::GET,
            "/api/v1/rooms/{room}/messages",
            get(chat::list),
            ("chat", "A room's messages, newest first (?before={message}&limit=1..100)"),
            true,
            None,
            (200, JsonArray("MessageView")),
            &[400, 401, 404],
        ),
        route(
            M::POST,
            "/api/v1/rooms/{room}/messages",
            post(chat::post),
            ("chat", "Send a message (every member, viewers too; per-user rate limit)"),
            true,
            Some("MessageText"),
            (201, Json("MessageView")),
            &[400, 401, 404, 409, 415, 429],
        ),
        route(
            M::PATCH,
            "/api/v1/messages/{message}",
            patch(chat::edit),
            ("chat", "Edit your message"),
            true,
            Some("MessageText"),
            (200, Json("MessageView")),
            &[400, 401, 403, 404, 409, 415],
        ),
        route(
            M::DELETE,
            "/api/v1/messages/{message}",
            delete(chat::delete),
            ("chat", "Delete your message (owners: any message)"),
            true,
            None,
            (204, Empty),
            &[401, 403, 404],
        ),
        route(
            M::POST,
            "/api/v1/rooms/{room}/read",
            post(chat::mark_read),
            ("chat", "Mark a room read up to a message"),
            true,
            Some("ReadMark"),
            (204, Empty),
            &[400, 401, 404, 415],
        ),
        route(
            M::GET,
            "/api/v1/workspaces/{ws}/unread",
            get(chat::unread),
            ("chat", "Unread messages (and mentions of you) per room"),
            true,
            None,
            (200, JsonArray("UnreadView")),
            WS_READ,
        ),
        route(
            M::GET,
            "/api/v1/workspaces/{ws}/mentions",
            get(chat::mentions),
            ("chat", "Messages that mention you, newest first (?before=&limit=)"),
            true,
            None,
            (200, JsonArray("MessageView")),
            &[400, 401, 403, 404],
        ),
        route(
            M::GET,
            "/api/v1/workspaces/{ws}/messages/search",
            get(chat::search),
            ("chat", "Full-text search of a workspace's messages (?q=&limit=)"),
            true,
            None,
            (200, JsonArray("MessageView")),
            &[400, 401, 403, 404],
        ),
        route(
            M::GET,
            "/api/v1/workspaces/{ws}/live",
            get(live_socket),
            ("chat", "The workspace's live socket: chat, typing, presence (WebSocket upgrade; JSON frames)"),
            true,
            None,
            (101, Empty),
            &[401, 403, 404, 426, 429],
        ),
        route(
            M::GET,
            "/collab/{doc}",
            get(collab_socket),
            ("documents", "y-websocket endpoint (WebSocket upgrade; ?token= or the session cookie)"),
            true,
            None,
            (101, Empty),
            &[401, 403, 404, 426],
        ),
    ]
}

/// The OpenAPI 3.1 document describing [`all`].
pub fn openapi_document() -> Value {
    let mut paths = serde_json::Map::new();
    for Route { spec, .. } in all() {
        let entry = paths.entry(spec.path).or_insert_with(|| json!({}));
        entry[spec.method.as_str().to_lowercase()] = operation(&spec);
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Reynard API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Accounts, workspaces and members of a Reynard server. Errors are {\"error\": {\"code\", \"message\"}}."
        },
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": { "type": "http", "scheme": "bearer" },
                "cookie": { "type": "apiKey", "in": "cookie", "name": crate::extract::SESSION_COOKIE }
            },
            "schemas": schemas()
        }
    })
}

fn operation(spec: &RouteSpec) -> Value {
    let mut op = json!({
        "summary": spec.summary,
        "tags": [spec.tag],
        "operationId": format!("{}_{}", spec.method.as_str().to_lowercase(),
            spec.path.trim_start_matches('/').replace(['/', '.'], "_").replace(['{', '}'], "")),
    });
    let params: Vec<Value> = spec
        .path
        .split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
        .collect();
    if !params.is_empty() {
        op["parameters"] = Value::Array(params);
    }
    if spec.auth {
        op["security"] = json!([{ "bearer": [] }, { "cookie": [] }]);
    }
    if spec.request == Some("PlainText") {
        op["requestBody"] =
            json!({ "required": true, "content": { "text/plain": { "schema": { "type": "string" } } } });
    } else if let Some(schema) = spec.request {
        op["requestBody"] = json!({
            "required": true,
            "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } }
        });
    }
    let mut responses = serde_json::Map::new();
    let (status, body) = spec.success;
    let success = match body {
        Body::Empty if status == 101 => json!({ "description": "Switching to the WebSocket protocol" }),
        Body::Empty => json!({ "description": "Done" }),
        Body::Json(schema) => json!({ "description": "OK", "content": { "application/json": {
            "schema": { "$ref": format!("#/components/schemas/{schema}") } } } }),
        Body::JsonArray(schema) => json!({ "description": "OK", "content": { "application/json": {
            "schema": { "type": "array", "items": { "$ref": format!("#/components/schemas/{schema}") } } } } }),
        Body::Text(media) => json!({ "description": "OK", "content": { media: { "schema": { "type": "string" } } } }),
    };
    responses.insert(status.to_string(), success);
    for status in spec.errors.iter().chain(&[500]) {
        responses.insert(
            status.to_string(),
            json!({ "description": error_description(*status), "content": { "application/json": {
                "schema": { "$ref": "#/components/schemas/Error" } } } }),
        );
    }
    op["responses"] = Value::Object(responses);
    op
}

fn error_description(status: u16) -> &'static str {
    match status {
        400 => "Malformed JSON or invalid field",
        401 => "Not signed in, or wrong credentials",
        403 => "Not a member, or the role does not allow it",
        404 => "No such resource",
        409 => "Conflicts with the current state",
        413 => "Too large",
        415 => "Body is not JSON",
        426 => "Not a WebSocket upgrade",
        429 => "Too many attempts, or busy (see Retry-After)",
        503 => "Not ready",
        _ => "Internal error",
    }
}

fn schemas() -> Value {
    let string = json!({ "type": "string" });
    let role = json!({ "type": "string", "enum": ["owner", "editor", "viewer"] });
    let object =
        |props: Value, required: &[&str]| json!({ "type": "object", "properties": props, "required": required });
    let mut all = json!({
        "Error": object(json!({ "error": object(json!({ "code": string, "message": string }), &["code", "message"]) }), &["error"]),
        "Status": object(json!({ "status": string }), &["status"]),
        "SignupRequest": object(json!({ "email": string, "password": { "type": "string", "minLength": 8 }, "name": string, "cookie_only": { "type": "boolean" } }), &["email", "password", "name"]),
        "LoginRequest": object(json!({ "email": string, "password": string, "cookie_only": { "type": "boolean" } }), &["email", "password"]),
        "User": object(json!({ "id": string, "email": string, "name": string }), &["id", "email", "name"]),
        "AuthResponse": object(json!({ "user": { "$ref": "#/components/schemas/User" }, "token": string }), &["user"]),
        "Session": object(json!({ "user": { "oneOf": [{ "$ref": "#/components/schemas/Me" }, { "type": "null" }] } }), &["user"]),
        "Me": object(json!({ "id": string, "email": string, "name": string, "time_zone": string, "email_verified": { "type": "boolean" } }), &["id", "email", "name", "time_zone", "email_verified"]),
        "TokenRequest": object(json!({ "token": string }), &["token"]),
        "VerifyEmailResponse": object(json!({ "email": string, "email_verified": { "type": "boolean" },
            "joined": { "type": "array", "items": string } }), &["email", "email_verified", "joined"]),
        "UpdateMe": object(json!({ "name": string, "time_zone": string }), &[]),
        "WorkspaceName": object(json!({ "name": string }), &["name"]),
        "Workspace": object(json!({ "id": string, "name": string, "role": role }), &["id", "name", "role"]),
        "Member": object(json!({ "user_id": string, "email": string, "name": string, "role": role }), &["user_id", "email", "name", "role"]),
        "AddMemberRequest": object(json!({ "email": string, "role": role }), &["email", "role"]),
        "AddMemberResponse": {
            "description": "status \"added\" with the member's fields, or \"invited\" with the invitation's",
            "type": "object",
            "properties": {
                "status": { "type": "string", "enum": ["added", "invited"] },
                "user_id": string, "email": string, "name": string, "role": role, "invite_link": string
            },
            "required": ["status", "email", "role"]
        },
        "Invitation": object(json!({ "email": string, "role": role, "invite_link": string }), &["email", "role", "invite_link"]),
        "ChangeRoleRequest": object(json!({ "role": role }), &["role"]),
        "PlainText": { "type": "string" },
        "CreateVersionRequest": object(json!({ "name": string }), &[]),
        "Version": object(json!({ "id": string, "kind": { "type": "string", "enum": ["named", "auto", "restore", "merge"] },
            "name": { "type": ["string", "null"] }, "created_at": { "type": "integer" },
            "author_ids": { "type": "array", "items": string }, "seq": { "type": "integer" },
            "summary": object(json!({ "added": { "type": "integer" }, "removed": { "type": "integer" } }), &["added", "removed"]) }),
            &["id", "kind", "name", "created_at", "author_ids", "summary", "seq"]),
        "Diff": object(json!({ "hunks": { "type": "array", "items": object(json!({
            "old_start": { "type": "integer" }, "old_lines": { "type": "integer" },
            "new_start": { "type": "integer" }, "new_lines": { "type": "integer" },
            "lines": { "type": "array", "items": string } }), &["old_start", "old_lines", "new_start", "new_lines", "lines"]) } }), &["hunks"]),
        "RestoreResponse": object(json!({ "version": { "$ref": "#/components/schemas/Version" } }), &["version"]),
        "CreateBranchRequest": object(json!({ "name": string, "from_version": string }), &["name"]),
        "Branch": object(json!({ "id": string, "path": string, "branch_of": string,
            "forked_at": { "type": ["string", "null"] }, "unmerged": { "type": "boolean" } }),
            &["id", "path", "branch_of", "forked_at", "unmerged"]),
        "MergeResponse": object(json!({ "merged_updates": { "type": "integer" } }), &["merged_updates"]),
        "DocumentPath": object(json!({ "path": string }), &["path"]),
        "Document": object(json!({ "id": string, "workspace_id": string, "path": string, "language": string,
            "created_at": { "type": "integer" }, "updated_at": { "type": "integer" } }),
            &["id", "workspace_id", "path", "language", "created_at", "updated_at"]),
    });
    if let (Some(all), Value::Object(chat)) = (all.as_object_mut(), chat_schemas()) {
        all.extend(chat);
    }
    all
}

fn chat_schemas() -> Value {
    let string = json!({ "type": "string" });
    let object =
        |props: Value, required: &[&str]| json!({ "type": "object", "properties": props, "required": required });
    json!({
        "NewRoom": object(json!({ "name": string }), &["name"]),
        "RoomChange": object(json!({ "name": string, "archived": { "type": "boolean" } }), &[]),
        "RoomView": object(json!({ "id": string, "workspace_id": string, "name": string, "is_default": { "type": "boolean" },
            "archived": { "type": "boolean" }, "created_at": { "type": "integer" } }),
            &["id", "workspace_id", "name", "is_default", "archived", "created_at"]),
        "MessageText": object(json!({ "text": string }), &["text"]),
        "MessageView": object(json!({ "id": string, "room_id": string, "author_id": string, "author_name": string, "text": string,
            "mentions": { "type": "array", "items": string }, "created_at": { "type": "integer" },
            "edited_at": { "type": ["integer", "null"] } }),
            &["id", "room_id", "author_id", "author_name", "text", "mentions", "created_at", "edited_at"]),
        "ReadMark": object(json!({ "message_id": string }), &["message_id"]),
        "UnreadView": object(json!({ "room_id": string, "unread": { "type": "integer" }, "mentions": { "type": "integer" } }),
            &["room_id", "unread", "mentions"]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_documented_with_known_schemas() {
        let doc = openapi_document();
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        for Route { spec, .. } in all() {
            let op = &doc["paths"][spec.path][spec.method.as_str().to_lowercase()];
            assert!(op.is_object(), "{} {} missing", spec.method, spec.path);
            for name in spec.request.into_iter().chain(match spec.success.1 {
                Body::Json(s) | Body::JsonArray(s) => Some(s),
                Body::Empty | Body::Text(_) => None,
            }) {
                assert!(schemas.contains_key(name), "schema {name} of {} {} undefined", spec.method, spec.path);
            }
        }
        let refs = doc.to_string();
        for (i, _) in refs.match_indices("#/components/schemas/") {
            let name: String = refs[i + 21..].chars().take_while(|c| c.is_alphanumeric()).collect();
            assert!(schemas.contains_key(&name), "dangling $ref {name}");
        }
    }
}
