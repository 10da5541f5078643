//! The route table: every endpoint with its handler and what the API document
//! says about it. The router (`app.rs`) and the OpenAPI document (`openapi.rs`)
//! are both built from this one list, so an endpoint cannot exist undocumented.
//!
//! A row names each of its parts: `Route::get(path, handler)` (or `post`,
//! `put`, `patch`, `delete`), then `.doc(tag, summary)`, `.auth()` when a
//! session is required, `.request::<T>()` for a JSON body, one success answer
//! (`.ok::<T>(status)`, `.ok_text(status, media)` or `.ok_empty(status)`) and
//! `.errors(statuses)`. Body types are named, not described: their schemas are
//! derived from the types (see `openapi.rs`).

use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{MethodRouter, delete, get, patch, post, put};
use reynard_proto::api::{
    AddMemberRequest, AddMemberResponse, AuthResponse, BranchView, ChangeRoleRequest, CreateBranchRequest,
    CreateVersionRequest, DiffView, DocumentPath, DocumentView, InvitationView, LoginRequest, Me, MemberView,
    MergeResponse, RestoreResponse, Session, SignupRequest, TokenRequest, UpdateMe, VerifyEmailResponse, VersionView,
    WorkspaceName, WorkspaceView,
};
use reynard_proto::call::{CallSummaryView, IceServers};
use reynard_proto::chat::{MessageText, MessageView, NewRoom, ReadMark, RoomChange, RoomView, UnreadView};
use reynard_proto::schedule::{
    BusyView, CalendarFeedView, MeetingChangeRequest, MeetingView, NewMeetingRequest, OccurrenceView, RsvpRequest,
    RsvpView, SlotRequest, SlotsView,
};
use schemars::{JsonSchema, Schema, SchemaGenerator};

use crate::api::meta::Status;
use crate::api::{
    accounts, agenda, calendar_feed, chat, documents, history, invitations, meetings, meta, rooms, verification,
    workspaces,
};
use crate::collab::socket::collab_socket;
use crate::live::socket::live_socket;
use crate::rtc::{self, socket::call_socket};
use crate::state::AppState;

/// A JSON body, known by its Rust type: the document takes the type's schema.
#[derive(Debug, Clone, Copy)]
pub struct JsonType {
    /// The type's path, for messages.
    pub name: &'static str,
    /// The type's schema: a `$ref` to its component (adding the component to
    /// the generator), or inline for types such as `Vec<T>` and `String`.
    pub schema: fn(&mut SchemaGenerator) -> Schema,
}

impl JsonType {
    /// The body type `T`.
    pub fn of<T: JsonSchema>() -> Self {
        Self { name: std::any::type_name::<T>(), schema: SchemaGenerator::subschema_for::<T> }
    }
}

/// A request or response body.
#[derive(Debug, Clone, Copy)]
pub enum Body {
    /// No body.
    Empty,
    /// JSON of this type.
    Json(JsonType),
    /// A string of this media type (not JSON).
    Text(&'static str),
}

/// What a route answers on success.
#[derive(Debug, Clone, Copy)]
pub struct Success {
    pub status: u16,
    pub body: Body,
}

/// One endpoint: how to call it and what it answers.
#[derive(Debug, Clone)]
pub struct RouteSpec {
    pub method: Method,
    /// Path with `{param}` segments (the syntax of both axum and OpenAPI).
    pub path: &'static str,
    pub tag: &'static str,
    pub summary: &'static str,
    /// Whether a session cookie or bearer token is required.
    pub auth: bool,
    /// The request body ([`Body::Empty`] when the route reads none).
    pub request: Body,
    /// The success answer; every row states one (the OpenAPI tests check).
    pub success: Option<Success>,
    /// Error statuses this route can answer besides 500.
    pub errors: &'static [u16],
}

/// A route with its handler.
#[derive(Debug)]
pub struct Route {
    pub spec: RouteSpec,
    pub handler: MethodRouter<AppState>,
}

impl Route {
    fn new(method: Method, path: &'static str, handler: MethodRouter<AppState>) -> Self {
        let spec = RouteSpec {
            method,
            path,
            tag: "",
            summary: "",
            auth: false,
            request: Body::Empty,
            success: None,
            errors: &[],
        };
        Self { spec, handler }
    }

    /// `GET path`, answered by `handler`.
    pub fn get<H: Handler<T, AppState>, T: 'static>(path: &'static str, handler: H) -> Self {
        Self::new(Method::GET, path, get(handler))
    }

    /// `POST path`, answered by `handler`.
    pub fn post<H: Handler<T, AppState>, T: 'static>(path: &'static str, handler: H) -> Self {
        Self::new(Method::POST, path, post(handler))
    }

    /// `PUT path`, answered by `handler`.
    pub fn put<H: Handler<T, AppState>, T: 'static>(path: &'static str, handler: H) -> Self {
        Self::new(Method::PUT, path, put(handler))
    }

    /// `PATCH path`, answered by `handler`.
    pub fn patch<H: Handler<T, AppState>, T: 'static>(path: &'static str, handler: H) -> Self {
        Self::new(Method::PATCH, path, patch(handler))
    }

    /// `DELETE path`, answered by `handler`.
    pub fn delete<H: Handler<T, AppState>, T: 'static>(path: &'static str, handler: H) -> Self {
        Self::new(Method::DELETE, path, delete(handler))
    }

    /// The OpenAPI tag (the area of the API) and a one-line summary.
    pub fn doc(mut self, tag: &'static str, summary: &'static str) -> Self {
        self.spec.tag = tag;
        self.spec.summary = summary;
        self
    }

    /// A session cookie or bearer token is required.
    pub fn auth(mut self) -> Self {
        self.spec.auth = true;
        self
    }

    /// The request body is JSON of type `T`.
    pub fn request<T: JsonSchema>(mut self) -> Self {
        self.spec.request = Body::Json(JsonType::of::<T>());
        self
    }

    /// The request body is a string of this media type.
    pub fn request_text(mut self, media: &'static str) -> Self {
        self.spec.request = Body::Text(media);
        self
    }

    /// Success is `status` with JSON of type `T` (`Vec<T>` for an array).
    pub fn ok<T: JsonSchema>(self, status: u16) -> Self {
        self.success(status, Body::Json(JsonType::of::<T>()))
    }

    /// Success is `status` with a string of this media type.
    pub fn ok_text(self, status: u16, media: &'static str) -> Self {
        self.success(status, Body::Text(media))
    }

    /// Success is `status` without a body.
    pub fn ok_empty(self, status: u16) -> Self {
        self.success(status, Body::Empty)
    }

    fn success(mut self, status: u16, body: Body) -> Self {
        self.spec.success = Some(Success { status, body });
        self
    }

    /// The error statuses the route can answer besides 500.
    pub fn errors(mut self, statuses: &'static [u16]) -> Self {
        self.spec.errors = statuses;
        self
    }
}

const AUTHED: &[u16] = &[401];
const AUTHED_BODY: &[u16] = &[400, 401, 415];
const WS_READ: &[u16] = &[401, 403, 404];
const WS_WRITE: &[u16] = &[400, 401, 403, 404, 415];
const WS_CONFLICT: &[u16] = &[400, 401, 403, 404, 409, 415];

/// Every endpoint of the server.
// One row per endpoint and one line per part of it, which rustfmt would join
// for the short rows.
#[rustfmt::skip]
pub fn all() -> Vec<Route> {
    vec![
        Route::get("/healthz", meta::healthz)
            .doc("meta", "The process is up")
            .ok::<Status>(200),
        Route::get("/readyz", meta::readyz)
            .doc("meta", "The database is reachable")
            .ok::<Status>(200)
            .errors(&[503]),
        Route::get("/metrics", meta::metrics)
            .doc("meta", "Prometheus metrics, with `Authorization: Bearer <--metrics-token>` (else on --metrics-listen)")
            .ok_text(200, "text/plain")
            .errors(&[401, 404]),
        Route::get("/api/v1/openapi.json", meta::openapi)
            .doc("meta", "This OpenAPI document")
            .ok_text(200, "application/json"),
        Route::post("/api/v1/auth/signup", accounts::signup)
            .doc("accounts", "Create an account and sign in")
            .request::<SignupRequest>()
            .ok::<AuthResponse>(201)
            .errors(&[400, 409, 415, 429]),
        Route::post("/api/v1/auth/login", accounts::login)
            .doc("accounts", "Sign in")
            .request::<LoginRequest>()
            .ok::<AuthResponse>(200)
            .errors(&[400, 401, 415, 429]),
        Route::post("/api/v1/auth/verify-email", verification::verify_email)
            .doc("accounts", "Verify an email with the token of the mailed link (claims its invitations)")
            .request::<TokenRequest>()
            .ok::<VerifyEmailResponse>(200)
            .errors(&[400, 415]),
        Route::post("/api/v1/auth/resend-verification", verification::resend_verification)
            .doc("accounts", "Mail a new verification link (rate-limited per account; 409 if verified or mail is off)")
            .auth()
            .ok_empty(202)
            .errors(&[401, 409, 429]),
        Route::post("/api/v1/invitations/accept", invitations::accept)
            .doc("members", "Join a workspace with the token of an invite link (once; any signed-in account)")
            .auth()
            .request::<TokenRequest>()
            .ok::<WorkspaceView>(200)
            .errors(AUTHED_BODY),
        Route::post("/api/v1/auth/logout", accounts::logout)
            .doc("accounts", "Revoke the current session")
            .auth()
            .ok_empty(204)
            .errors(AUTHED),
        Route::get("/api/v1/auth/session", accounts::session)
            .doc("accounts", "Who is signed in: the user, or null")
            .ok::<Session>(200),
        Route::get("/api/v1/me", accounts::me)
            .doc("accounts", "The signed-in user")
            .auth()
            .ok::<Me>(200)
            .errors(AUTHED),
        Route::patch("/api/v1/me", accounts::update_me)
            .doc("accounts", "Change name or time zone")
            .auth()
            .request::<UpdateMe>()
            .ok::<Me>(200)
            .errors(AUTHED_BODY),
        Route::post("/api/v1/workspaces", workspaces::create)
            .doc("workspaces", "Create a workspace (you become its owner)")
            .auth()
            .request::<WorkspaceName>()
            .ok::<WorkspaceView>(201)
            .errors(AUTHED_BODY),
        Route::get("/api/v1/workspaces", workspaces::list)
            .doc("workspaces", "Workspaces you belong to")
            .auth()
            .ok::<Vec<WorkspaceView>>(200)
            .errors(AUTHED),
        Route::get("/api/v1/workspaces/{ws}", workspaces::get)
            .doc("workspaces", "One workspace")
            .auth()
            .ok::<WorkspaceView>(200)
            .errors(WS_READ),
        Route::patch("/api/v1/workspaces/{ws}", workspaces::rename)
            .doc("workspaces", "Rename a workspace (owners)")
            .auth()
            .request::<WorkspaceName>()
            .ok::<WorkspaceView>(200)
            .errors(WS_WRITE),
        Route::delete("/api/v1/workspaces/{ws}", workspaces::delete)
            .doc("workspaces", "Delete a workspace (owners)")
            .auth()
            .ok_empty(204)
            .errors(WS_READ),
        Route::get("/api/v1/workspaces/{ws}/members", workspaces::members)
            .doc("members", "Members and their roles")
            .auth()
            .ok::<Vec<MemberView>>(200)
            .errors(WS_READ),
        Route::post("/api/v1/workspaces/{ws}/members", workspaces::add_member)
            .doc("members", "Add a member by email, or invite an unknown email (owners)")
            .auth()
            .request::<AddMemberRequest>()
            .ok::<AddMemberResponse>(201)
            .errors(WS_CONFLICT),
        Route::patch("/api/v1/workspaces/{ws}/members/{user_id}", workspaces::change_role)
            .doc("members", "Change a member's role (owners; the last owner stays)")
            .auth()
            .request::<ChangeRoleRequest>()
            .ok::<MemberView>(200)
            .errors(WS_CONFLICT),
        Route::delete("/api/v1/workspaces/{ws}/members/{user_id}", workspaces::remove_member)
            .doc("members", "Remove a member (owners) or leave (yourself)")
            .auth()
            .ok_empty(204)
            .errors(&[401, 403, 404, 409]),
        Route::get("/api/v1/workspaces/{ws}/invitations", workspaces::invitations)
            .doc("members", "Pending invitations (owners)")
            .auth()
            .ok::<Vec<InvitationView>>(200)
            .errors(WS_READ),
        Route::delete("/api/v1/workspaces/{ws}/invitations/{email}", workspaces::delete_invitation)
            .doc("members", "Withdraw an invitation (owners)")
            .auth()
            .ok_empty(204)
            .errors(&[400, 401, 403, 404]),
        Route::post("/api/v1/workspaces/{ws}/documents", documents::create)
            .doc("documents", "Create a document (editors, owners)")
            .auth()
            .request::<DocumentPath>()
            .ok::<DocumentView>(201)
            .errors(WS_CONFLICT),
        Route::get("/api/v1/workspaces/{ws}/documents", documents::list)
            .doc("documents", "Documents of a workspace, by path")
            .auth()
            .ok::<Vec<DocumentView>>(200)
            .errors(WS_READ),
        Route::get("/api/v1/documents/{doc}", documents::get)
            .doc("documents", "One document")
            .auth()
            .ok::<DocumentView>(200)
            .errors(WS_READ),
        Route::patch("/api/v1/documents/{doc}", documents::rename)
            .doc("documents", "Rename or move a document (editors, owners)")
            .auth()
            .request::<DocumentPath>()
            .ok::<DocumentView>(200)
            .errors(WS_CONFLICT),
        Route::delete("/api/v1/documents/{doc}", documents::delete)
            .doc("documents", "Delete a document (editors, owners)")
            .auth()
            .ok_empty(204)
            .errors(WS_READ),
        Route::get("/api/v1/documents/{doc}/content", documents::content)
            .doc("documents", "The document's text")
            .auth()
            .ok_text(200, "text/plain")
            .errors(WS_READ),
        Route::put("/api/v1/documents/{doc}/content", documents::replace_content)
            .doc("documents", "Replace the text as one CRDT update that live clients receive (editors, owners)")
            .auth()
            .request_text("text/plain")
            .ok_empty(204)
            .errors(&[400, 401, 403, 404, 413]),
        Route::post("/api/v1/documents/{doc}/versions", history::create)
            .doc("history", "Name the current version (editors, owners)")
            .auth()
            .request::<CreateVersionRequest>()
            .ok::<VersionView>(201)
            .errors(WS_WRITE),
        Route::get("/api/v1/documents/{doc}/versions", history::list)
            .doc("history", "Versions, newest first (named and automatic)")
            .auth()
            .ok::<Vec<VersionView>>(200)
            .errors(WS_READ),
        Route::get("/api/v1/documents/{doc}/versions/{version}/content", history::content)
            .doc("history", "The text of a version")
            .auth()
            .ok_text(200, "text/plain")
            .errors(WS_READ),
        Route::get("/api/v1/documents/{doc}/diff", history::diff)
            .doc("history", "Line diff between two versions (?from=&to=), or a version and the present (to=current)")
            .auth()
            .ok::<DiffView>(200)
            .errors(&[400, 401, 403, 404]),
        Route::post("/api/v1/documents/{doc}/versions/{version}/restore", history::restore)
            .doc("history", "Restore a version as a new change everyone receives (editors, owners)")
            .auth()
            .ok::<RestoreResponse>(200)
            .errors(WS_READ),
        Route::post("/api/v1/documents/{doc}/branches", history::create_branch)
            .doc("history", "Fork a branch at a version or now (editors, owners)")
            .auth()
            .request::<CreateBranchRequest>()
            .ok::<BranchView>(201)
            .errors(WS_CONFLICT),
        Route::get("/api/v1/documents/{doc}/branches", history::branches)
            .doc("history", "Branches of a document, with whether they have unmerged changes")
            .auth()
            .ok::<Vec<BranchView>>(200)
            .errors(WS_READ),
        Route::post("/api/v1/documents/{doc}/merge", history::merge)
            .doc("history", "Merge a branch back into its origin (editors, owners)")
            .auth()
            .ok::<MergeResponse>(200)
            .errors(&[401, 403, 404, 409]),
        Route::get("/api/v1/workspaces/{ws}/rooms", rooms::list)
            .doc("rooms", "Rooms of a workspace, the default first (?archived=true: archived ones too)")
            .auth()
            .ok::<Vec<RoomView>>(200)
            .errors(WS_READ),
        Route::post("/api/v1/workspaces/{ws}/rooms", rooms::create)
            .doc("rooms", "Create a room (owners, editors)")
            .auth()
            .request::<NewRoom>()
            .ok::<RoomView>(201)
            .errors(WS_CONFLICT),
        Route::get("/api/v1/rooms/{room}", rooms::get)
            .doc("rooms", "One room")
            .auth()
            .ok::<RoomView>(200)
            .errors(&[401, 404]),
        Route::patch("/api/v1/rooms/{room}", rooms::change)
            .doc("rooms", "Rename a room, archive it or bring it back (owners, editors)")
            .auth()
            .request::<RoomChange>()
            .ok::<RoomView>(200)
            .errors(WS_CONFLICT),
        Route::delete("/api/v1/rooms/{room}", rooms::archive)
            .doc("rooms", "Archive a room (owners, editors; not the default room)")
            .auth()
            .ok_empty(204)
            .errors(&[401, 403, 404, 409]),
        Route::get("/api/v1/rooms/{room}/messages", chat::list)
            .doc("chat", "A room's messages, newest first (?before={message}&limit=1..100)")
            .auth()
            .ok::<Vec<MessageView>>(200)
            .errors(&[400, 401, 404]),
        Route::post("/api/v1/rooms/{room}/messages", chat::post)
            .doc("chat", "Send a message (every member, viewers too; per-account rate limit)")
            .auth()
            .request::<MessageText>()
            .ok::<MessageView>(201)
            .errors(&[400, 401, 404, 409, 415, 429]),
        Route::patch("/api/v1/messages/{message}", chat::edit)
            .doc("chat", "Edit your message")
            .auth()
            .request::<MessageText>()
            .ok::<MessageView>(200)
            .errors(&[400, 401, 403, 404, 409, 415]),
        Route::delete("/api/v1/messages/{message}", chat::delete)
            .doc("chat", "Delete your message (owners: any message)")
            .auth()
            .ok_empty(204)
            .errors(&[401, 403, 404]),
        Route::post("/api/v1/rooms/{room}/read", chat::mark_read)
            .doc("chat", "Mark a room read up to a message")
            .auth()
            .request::<ReadMark>()
            .ok_empty(204)
            .errors(&[400, 401, 404, 415]),
        Route::get("/api/v1/workspaces/{ws}/unread", chat::unread)
            .doc("chat", "Unread messages (and mentions of you) per room")
            .auth()
            .ok::<Vec<UnreadView>>(200)
            .errors(WS_READ),
        Route::get("/api/v1/workspaces/{ws}/mentions", chat::mentions)
            .doc("chat", "Messages that mention you, newest first (?before=&limit=)")
            .auth()
            .ok::<Vec<MessageView>>(200)
            .errors(&[400, 401, 403, 404]),
        Route::get("/api/v1/workspaces/{ws}/messages/search", chat::search)
            .doc("chat", "Full-text search of a workspace's messages (?q=&limit=)")
            .auth()
            .ok::<Vec<MessageView>>(200)
            .errors(&[400, 401, 403, 404]),
        Route::get("/api/v1/workspaces/{ws}/live", live_socket)
            .doc("chat", "The workspace's live socket: chat, typing, presence (WebSocket upgrade; JSON text frames)")
            .auth()
            .ok_empty(101)
            .errors(&[401, 403, 404, 426, 429]),
        Route::get("/api/v1/rooms/{room}/call", call_socket)
            .doc("calls", "Join the room's call (WebSocket upgrade; JSON text frames: signaling with the SFU)")
            .auth()
            .ok_empty(101)
            .errors(&[401, 404, 426, 429]),
        Route::get("/api/v1/rooms/{room}/calls", rtc::call_history)
            .doc("calls", "The room's last calls, newest first: duration, participants, bitrate, loss")
            .auth()
            .ok::<Vec<CallSummaryView>>(200)
            .errors(&[401, 404]),
        Route::get("/api/v1/rtc/ice-servers", rtc::ice_servers)
            .doc("calls", "STUN/TURN servers for RTCPeerConnection, with time-limited TURN credentials")
            .auth()
            .ok::<IceServers>(200)
            .errors(&[401]),
        Route::post("/api/v1/workspaces/{ws}/meetings", meetings::create)
            .doc("meetings", "Schedule a meeting (with a room of its own); the answer lists conflicts")
            .auth()
            .request::<NewMeetingRequest>()
            .ok::<MeetingView>(201)
            .errors(WS_WRITE),
        Route::get("/api/v1/meetings/{meeting}", meetings::get)
            .doc("meetings", "A meeting (members of its workspace and its attendees)")
            .auth()
            .ok::<MeetingView>(200)
            .errors(&[401, 404]),
        Route::patch("/api/v1/meetings/{meeting}", meetings::update)
            .doc("meetings", "Change the whole series, one occurrence or this and the following ones (organizer or owner); attendees get the update")
            .auth()
            .request::<MeetingChangeRequest>()
            .ok::<MeetingView>(200)
            .errors(&[400, 401, 403, 404, 409, 415]),
        Route::delete("/api/v1/meetings/{meeting}", meetings::cancel)
            .doc("meetings", "Cancel the meeting, or one occurrence with ?occurrence=YYYY-MM-DDTHH:MM; attendees get a cancellation")
            .auth()
            .ok_empty(204)
            .errors(&[400, 401, 403, 404, 409]),
        Route::post("/api/v1/meetings/{meeting}/rsvp", meetings::rsvp)
            .doc("meetings", "Answer an invitation: accepted, declined or tentative")
            .auth()
            .request::<RsvpRequest>()
            .ok::<MeetingView>(200)
            .errors(&[400, 401, 403, 404, 409, 415]),
        Route::get("/api/v1/rsvp/{token}", meetings::rsvp_link)
            .doc("meetings", "The invitation of a signed RSVP link from an invitation mail (no sign-in)")
            .ok::<RsvpView>(200)
            .errors(&[404]),
        Route::post("/api/v1/rsvp/{token}", meetings::rsvp_by_link)
            .doc("meetings", "Answer through a signed RSVP link (no sign-in)")
            .request::<RsvpRequest>()
            .ok::<RsvpView>(200)
            .errors(&[400, 404, 409, 415]),
        Route::get("/api/v1/me/calendar-feed", calendar_feed::get)
            .doc("meetings", "The secret address of your iCalendar feed, for calendar apps to subscribe to")
            .auth()
            .ok::<CalendarFeedView>(200)
            .errors(&[401]),
        Route::post("/api/v1/me/calendar-feed/rotate", calendar_feed::rotate)
            .doc("meetings", "A new feed address; the old one stops working")
            .auth()
            .ok::<CalendarFeedView>(200)
            .errors(&[401]),
        Route::get("/ics/{file}", calendar_feed::serve)
            .doc("meetings", "A calendar feed (`{secret}.ics`): your meetings as iCalendar (no sign-in: the secret is the credential)")
            .ok_text(200, "text/calendar")
            .errors(&[404]),
        Route::get("/api/v1/me/agenda", agenda::agenda)
            .doc("meetings", "Your occurrences in ?from=&to= (RFC 3339), expanded, in your zone")
            .auth()
            .ok::<Vec<OccurrenceView>>(200)
            .errors(&[400, 401]),
        Route::get("/api/v1/me/freebusy", agenda::freebusy)
            .doc("meetings", "Your busy time in ?from=&to= (RFC 3339), merged")
            .auth()
            .ok::<Vec<BusyView>>(200)
            .errors(&[400, 401]),
        Route::post("/api/v1/scheduling/slots", agenda::slots)
            .doc("meetings", "Times that suit you and the attendees: inside everyone's working hours, outside their meetings, fairest first")
            .auth()
            .request::<SlotRequest>()
            .ok::<SlotsView>(200)
            .errors(&[400, 401, 415]),
        Route::get("/collab/{doc}", collab_socket)
            .doc("documents", "y-websocket endpoint (WebSocket upgrade; ?token= or the session cookie)")
            .auth()
            .ok_empty(101)
            .errors(&[401, 403, 404, 426]),
    ]
}
