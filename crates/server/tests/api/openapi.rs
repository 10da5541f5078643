//! The OpenAPI document against what the server really sends: sample values of
//! the body types, and the answers of a running server, checked against the
//! schemas the document gives them. A field the document does not show, a
//! required field that is missing or a value of another type fails.

use reqwest::{Method, StatusCode};
use reynard_proto::api::{
    AddMemberResponse, AuthResponse, BranchView, ChangeSummary, DiffHunk, DiffView, DocumentView, ErrorBody,
    ErrorDetail, InvitationView, Me, MemberView, MergeResponse, RestoreResponse, Session, UserView,
    VerifyEmailResponse, VersionView, WorkspaceView,
};
use reynard_proto::chat::{MessageText, MessageView, NewRoom, RoomChange, RoomView, UnreadView};
use reynard_proto::{DocumentId, MessageId, Role, RoomId, UserId, WorkspaceId};
use reynard_server::api::meta::Status;
use schemars::JsonSchema;
use schemars::generate::Contract;
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::support::{TestServer, invite_token};

/// Checks `value` against `schema` as a strict reader of the document would:
/// every key of an object is a documented property, every required property is
/// there, scalars have the documented type, one branch of a `oneOf` fits.
/// Covers the JSON Schema the derived schemas use (`$ref`, `allOf`, `oneOf`,
/// `anyOf`, `type`, `const`, `enum`, `properties`, `required`, `items`).
fn check(value: &Value, schema: &Value, components: &Value, at: &str) -> Result<(), String> {
    let mut parts = Vec::new();
    collect_parts(schema, components, &mut parts)?;
    for part in &parts {
        if let Some(types) = part.get("type") {
            let types: Vec<&str> = match types {
                Value::String(one) => vec![one.as_str()],
                Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
                other => return Err(format!("{at}: type {other}")),
            };
            if !types.iter().any(|t| has_type(value, t)) {
                return Err(format!("{at}: {value} is not of type {types:?}"));
            }
        }
        if let Some(expected) = part.get("const").filter(|c| *c != value) {
            return Err(format!("{at}: {value} is not {expected}"));
        }
        if let Some(Value::Array(allowed)) = part.get("enum")
            && !allowed.contains(value)
        {
            return Err(format!("{at}: {value} is not one of {allowed:?}"));
        }
        for keyword in ["oneOf", "anyOf"] {
            if let Some(Value::Array(branches)) = part.get(keyword) {
                let fits = branches.iter().filter(|b| check(value, b, components, at).is_ok()).count();
                if fits == 0 || (keyword == "oneOf" && fits > 1) {
                    let why: Vec<String> =
                        branches.iter().filter_map(|b| check(value, b, components, at).err()).collect();
                    return Err(format!("{at}: {fits} branches of {keyword} fit {value} ({})", why.join("; ")));
                }
            }
        }
        if let (Some(items), Value::Array(values)) = (part.get("items"), value) {
            for (i, item) in values.iter().enumerate() {
                check(item, items, components, &format!("{at}[{i}]"))?;
            }
        }
    }
    if let Value::Object(fields) = value {
        // Strict wherever an object is described (not inside a bare `oneOf`
        // wrapper, whose branches are checked strictly on their own).
        let describes_object = parts
            .iter()
            .any(|part| part.contains_key("properties") || part.get("type").and_then(Value::as_str) == Some("object"));
        if describes_object {
            let described: Vec<&Map<String, Value>> =
                parts.iter().filter_map(|part| part.get("properties").and_then(Value::as_object)).collect();
            // A map (`additionalProperties` with a schema) takes any key whose value fits it.
            let map_values: Vec<&Value> =
                parts.iter().filter_map(|part| part.get("additionalProperties")).filter(|v| v.is_object()).collect();
            for (key, field) in fields {
                let mut schemas: Vec<&Value> = described.iter().filter_map(|props| props.get(key)).collect();
                if schemas.is_empty() {
                    schemas.clone_from(&map_values);
                }
                if schemas.is_empty() {
                    return Err(format!("{at}: the field {key} is not in the document"));
                }
                for schema in schemas {
                    check(field, schema, components, &format!("{at}.{key}"))?;
                }
            }
        }
        for part in &parts {
            for required in part.get("required").and_then(Value::as_array).into_iter().flatten() {
                let key = required.as_str().unwrap_or_default();
                if !fields.contains_key(key) {
                    return Err(format!("{at}: the required field {key} is missing"));
                }
            }
        }
    }
    Ok(())
}

/// The schema objects that apply to a value: `schema` itself, what its `$ref`
/// points to and the members of its `allOf`, recursively.
fn collect_parts<'a>(
    schema: &'a Value,
    components: &'a Value,
    parts: &mut Vec<&'a Map<String, Value>>,
) -> Result<(), String> {
    let Value::Object(map) = schema else {
        return if schema == &Value::Bool(true) { Ok(()) } else { Err(format!("schema {schema}")) };
    };
    parts.push(map);
    if let Some(target) = map.get("$ref") {
        let name = target
            .as_str()
            .and_then(|t| t.strip_prefix("#/components/schemas/"))
            .ok_or_else(|| format!("$ref {target}"))?;
        let component = components.get(name).ok_or_else(|| format!("dangling $ref {target}"))?;
        collect_parts(component, components, parts)?;
    }
    for member in map.get("allOf").and_then(Value::as_array).into_iter().flatten() {
        collect_parts(member, components, parts)?;
    }
    Ok(())
}

fn has_type(value: &Value, name: &str) -> bool {
    match name {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        _ => false,
    }
}

/// Checks a serialized sample of `T` against the schema of `T`: the document's
/// component where the document has one, else the one a route would add.
fn assert_shown<T: Serialize + JsonSchema>(sample: &T, document: &Value) {
    let mut generator = reynard_server::openapi::generator(Contract::Serialize);
    let schema = generator.subschema_for::<T>().to_value();
    let mut components = generator.take_definitions(true);
    for (name, documented) in document["components"]["schemas"].as_object().unwrap() {
        components.insert(name.clone(), documented.clone());
    }
    let value = serde_json::to_value(sample).unwrap();
    let at = std::any::type_name::<T>();
    if let Err(why) = check(&value, &schema, &Value::Object(components), at) {
        panic!("{at} is not what the document says: {why}\nvalue: {value}\nschema: {schema}");
    }
}

fn version() -> VersionView {
    VersionView {
        id: "v1".into(),
        kind: "named".into(),
        name: None,
        created_at: 1,
        author_ids: vec![UserId::new("u1")],
        summary: ChangeSummary { added: 2, removed: 1 },
        seq: 3,
    }
}

#[test]
fn every_answer_type_shows_all_its_fields() {
    let doc = reynard_server::openapi::document();
    let user = UserId::new("u1");
    let ws = WorkspaceId::new("w1");
    let me = Me {
        id: user.clone(),
        email: "a@x.org".into(),
        name: "A".into(),
        time_zone: "UTC".into(),
        email_verified: false,
        working_hours: [("mon".to_owned(), vec![("09:00".to_owned(), "17:00".to_owned())])].into_iter().collect(),
        followups: true,
    };
    let member = MemberView { user_id: user.clone(), email: "a@x.org".into(), name: "A".into(), role: Role::Owner };
    let invitation = InvitationView { email: "b@x.org".into(), role: Role::Viewer, invite_link: "http://h/i/t".into() };
    let user_view = UserView { id: user.clone(), email: "a@x.org".into(), name: "A".into() };

    assert_shown(&Status { status: "ok" }, &doc);
    assert_shown(&AuthResponse { user: user_view.clone(), token: Some("t".into()) }, &doc);
    assert_shown(&AuthResponse { user: user_view, token: None }, &doc);
    assert_shown(&me, &doc);
    assert_shown(&Session { user: Some(me.clone()) }, &doc);
    assert_shown(&Session { user: None }, &doc);
    assert_shown(
        &VerifyEmailResponse { email: "a@x.org".into(), email_verified: true, joined: vec![ws.clone()] },
        &doc,
    );
    assert_shown(&vec![WorkspaceView { id: ws.clone(), name: "W".into(), role: Role::Editor }], &doc);
    assert_shown(&vec![member.clone()], &doc);
    assert_shown(&AddMemberResponse::Added(member), &doc);
    assert_shown(&AddMemberResponse::Invited(invitation.clone()), &doc);
    assert_shown(&vec![invitation], &doc);
    let doc_id = DocumentId::new("d1");
    assert_shown(
        &DocumentView {
            id: doc_id.clone(),
            workspace_id: ws.clone(),
            path: "a.md".into(),
            language: "markdown".into(),
            created_at: 1,
            updated_at: 2,
        },
        &doc,
    );
    assert_shown(&vec![version(), VersionView { name: Some("release".into()), ..version() }], &doc);
    assert_shown(
        &DiffView {
            hunks: vec![DiffHunk { old_start: 1, old_lines: 1, new_start: 1, new_lines: 1, lines: vec!["-a".into()] }],
            coarse: false,
        },
        &doc,
    );
    assert_shown(&RestoreResponse { version: version() }, &doc);
    assert_shown(
        &BranchView {
            id: DocumentId::new("d2"),
            path: "a.md".into(),
            branch_of: doc_id,
            forked_at: None,
            unmerged: true,
        },
        &doc,
    );
    assert_shown(&MergeResponse { merged_updates: 2 }, &doc);
    assert_shown(&ErrorBody { error: ErrorDetail { code: "not_found".into(), message: "no".into() } }, &doc);

    // Chat: rows for its routes only need to name these types.
    let room = RoomId::new("r1");
    assert_shown(
        &RoomView {
            id: room.clone(),
            workspace_id: ws,
            name: "general".into(),
            is_default: true,
            archived: false,
            created_at: 1,
        },
        &doc,
    );
    assert_shown(&NewRoom { name: "general".into() }, &doc);
    assert_shown(&RoomChange { name: Some("g".into()), archived: Some(true) }, &doc);
    assert_shown(
        &MessageView {
            id: MessageId::new("m1"),
            room_id: room.clone(),
            author_id: user.clone(),
            author_name: "A".into(),
            text: "hi @A".into(),
            mentions: vec![user],
            created_at: 1,
            edited_at: Some(2),
        },
        &doc,
    );
    assert_shown(&MessageText { text: "hi".into() }, &doc);
    assert_shown(&UnreadView { room_id: room, unread: 3, mentions: 1 }, &doc);
}

#[test]
fn the_checker_finds_an_undocumented_field() {
    let doc = reynard_server::openapi::document();
    let components = &doc["components"]["schemas"];
    let schema = json!({ "$ref": "#/components/schemas/MergeResponse" });
    assert!(check(&json!({ "merged_updates": 1 }), &schema, components, "m").is_ok());
    let extra = check(&json!({ "merged_updates": 1, "conflicts": 0 }), &schema, components, "m");
    assert!(extra.unwrap_err().contains("conflicts"));
    let missing = check(&json!({}), &schema, components, "m");
    assert!(missing.unwrap_err().contains("merged_updates"));
    let wrong = check(&json!({ "merged_updates": "1" }), &schema, components, "m");
    assert!(wrong.is_err());
    // An object without documented properties has none.
    let bare = check(&json!({ "a": 1 }), &json!({ "type": "object" }), components, "m");
    assert!(bare.unwrap_err().contains("the field a"));
}

/// A running server, its document, and every JSON answer checked against it.
struct Documented {
    server: TestServer,
    doc: Value,
}

impl Documented {
    /// Calls `method path` (`template` is the route's path in the table) and
    /// checks the answer against the document's schema for its status.
    async fn call(
        &self,
        method: Method,
        template: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Value {
        let (status, answer) = self.server.call(method.clone(), path, token, body).await;
        let at = format!("{method} {path} → {status}");
        let response = &self.doc["paths"][template][method.as_str().to_lowercase()]["responses"][status.as_str()];
        assert!(response.is_object(), "{at}: the document does not list this answer: {answer}");
        let schema = &response["content"]["application/json"]["schema"];
        if schema.is_null() {
            assert!(answer.is_null(), "{at}: a body the document does not show: {answer}");
        } else if let Err(why) = check(&answer, schema, &self.doc["components"]["schemas"], &at) {
            panic!("{why}\nanswer: {answer}");
        }
        answer
    }
}

#[tokio::test]
async fn answers_of_a_running_server_match_the_document() {
    let server = TestServer::start().await;
    let (status, doc) = server.call(Method::GET, "/api/v1/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let api = Documented { server, doc };
    let (get, post, patch) = (Method::GET, Method::POST, Method::PATCH);

    api.call(get.clone(), "/healthz", "/healthz", None, None).await;
    api.call(get.clone(), "/readyz", "/readyz", None, None).await;
    let signup = json!({ "email": "owner@example.org", "password": "correct horse 1", "name": "Owner" });
    let owner = api.call(post.clone(), "/api/v1/auth/signup", "/api/v1/auth/signup", None, Some(signup)).await;
    let token = owner["token"].as_str().unwrap().to_owned();
    let token = Some(token.as_str());
    let login = json!({ "email": "owner@example.org", "password": "correct horse 1", "cookie_only": true });
    api.call(post.clone(), "/api/v1/auth/login", "/api/v1/auth/login", None, Some(login)).await;
    let bad = json!({ "email": "owner@example.org", "password": "wrong password" });
    api.call(post.clone(), "/api/v1/auth/login", "/api/v1/auth/login", None, Some(bad)).await;
    api.call(get.clone(), "/api/v1/auth/session", "/api/v1/auth/session", None, None).await;
    api.call(get.clone(), "/api/v1/auth/session", "/api/v1/auth/session", token, None).await;
    api.call(get.clone(), "/api/v1/me", "/api/v1/me", None, None).await;
    api.call(patch.clone(), "/api/v1/me", "/api/v1/me", token, Some(json!({ "name": "O" }))).await;
    let verify = json!({ "token": "not-a-token" });
    api.call(post.clone(), "/api/v1/auth/verify-email", "/api/v1/auth/verify-email", None, Some(verify)).await;

    let workspaces = "/api/v1/workspaces";
    let ws = api.call(post.clone(), workspaces, workspaces, token, Some(json!({ "name": "Team" }))).await;
    let ws = ws["id"].as_str().unwrap();
    api.call(get.clone(), workspaces, workspaces, token, None).await;
    let one = format!("{workspaces}/{ws}");
    api.call(get.clone(), "/api/v1/workspaces/{ws}", &one, token, None).await;
    api.call(patch.clone(), "/api/v1/workspaces/{ws}", &one, token, Some(json!({ "name": "Team 2" }))).await;
    api.call(get.clone(), "/api/v1/workspaces/{ws}", &format!("{workspaces}/nope"), token, None).await;

    let members = format!("{one}/members");
    let invite = json!({ "email": "guest@example.org", "role": "editor" });
    let invited = api.call(post.clone(), "/api/v1/workspaces/{ws}/members", &members, token, Some(invite)).await;
    api.call(get.clone(), "/api/v1/workspaces/{ws}/members", &members, token, None).await;
    api.call(get.clone(), "/api/v1/workspaces/{ws}/invitations", &format!("{one}/invitations"), token, None).await;
    let signup = json!({ "email": "guest@example.org", "password": "correct horse 2", "name": "Guest" });
    let guest = api.call(post.clone(), "/api/v1/auth/signup", "/api/v1/auth/signup", None, Some(signup)).await;
    let accept = json!({ "token": invite_token(&invited) });
    let accept_path = "/api/v1/invitations/accept";
    api.call(post.clone(), accept_path, accept_path, guest["token"].as_str(), Some(accept)).await;

    let documents = format!("{one}/documents");
    let created = api
        .call(post.clone(), "/api/v1/workspaces/{ws}/documents", &documents, token, Some(json!({ "path": "a.md" })))
        .await;
    api.call(get.clone(), "/api/v1/workspaces/{ws}/documents", &documents, token, None).await;
    let doc = format!("/api/v1/documents/{}", created["id"].as_str().unwrap());
    api.call(get.clone(), "/api/v1/documents/{doc}", &doc, token, None).await;
    api.call(patch.clone(), "/api/v1/documents/{doc}", &doc, token, Some(json!({ "path": "b.md" }))).await;

    let versions = format!("{doc}/versions");
    let named = json!({ "name": "first" });
    let version = api.call(post.clone(), "/api/v1/documents/{doc}/versions", &versions, token, Some(named)).await;
    let version = version["id"].as_str().unwrap();
    api.call(get.clone(), "/api/v1/documents/{doc}/versions", &versions, token, None).await;
    let diff = format!("{doc}/diff?from={version}&to=current");
    api.call(get.clone(), "/api/v1/documents/{doc}/diff", &diff, token, None).await;
    let restore = format!("{versions}/{version}/restore");
    api.call(post.clone(), "/api/v1/documents/{doc}/versions/{version}/restore", &restore, token, None).await;
    let branches = format!("{doc}/branches");
    let branch = api
        .call(post.clone(), "/api/v1/documents/{doc}/branches", &branches, token, Some(json!({ "name": "try" })))
        .await;
    api.call(get.clone(), "/api/v1/documents/{doc}/branches", &branches, token, None).await;
    let merge = format!("/api/v1/documents/{}/merge", branch["id"].as_str().unwrap());
    api.call(post.clone(), "/api/v1/documents/{doc}/merge", &merge, token, None).await;
}
