//! The OpenAPI 3.1 document of the API (`GET /api/v1/openapi.json`), rendered
//! from the route table ([`routes::all`]).
//!
//! Component schemas are derived from the body types (`schemars::JsonSchema`,
//! whose JSON Schema 2020-12 is the schema dialect of OpenAPI 3.1), never
//! written by hand. Request bodies are described as the server deserializes
//! them and answers as it serializes them: an `Option` field may be left out of
//! a request, and is always present (possibly `null`) in an answer.

use reynard_proto::api::ErrorBody;
use schemars::SchemaGenerator;
use schemars::generate::{Contract, SchemaSettings};
use serde_json::{Map, Value, json};

use crate::routes::{self, Body, JsonType, Route, RouteSpec, Success};

/// A generator of component schemas (under `#/components/schemas/`) for one
/// direction: [`Contract::Deserialize`] for requests, [`Contract::Serialize`]
/// for answers.
pub fn generator(contract: Contract) -> SchemaGenerator {
    SchemaSettings::draft2020_12()
        .with(|settings| {
            settings.definitions_path = "/components/schemas".into();
            settings.meta_schema = None;
            settings.contract = contract;
        })
        .into_generator()
}

/// The OpenAPI document describing every route of [`routes::all`].
pub fn document() -> Value {
    let mut schemas = Schemas::new();
    let mut paths = Map::new();
    for Route { spec, .. } in routes::all() {
        let operation = operation(&spec, &mut schemas);
        let entry = paths.entry(spec.path).or_insert_with(|| json!({}));
        entry[spec.method.as_str().to_lowercase()] = operation;
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
            "schemas": schemas.into_components()
        }
    })
}

/// The schemas the document refers to, collected while its operations are
/// rendered.
struct Schemas {
    requests: SchemaGenerator,
    answers: SchemaGenerator,
}

impl Schemas {
    fn new() -> Self {
        Self { requests: generator(Contract::Deserialize), answers: generator(Contract::Serialize) }
    }

    /// The schema of a request body (a `$ref` for a named type).
    fn request(&mut self, body: JsonType) -> Value {
        (body.schema)(&mut self.requests).to_value()
    }

    /// The schema of an answer body (a `$ref` for a named type).
    fn answer(&mut self, body: JsonType) -> Value {
        (body.schema)(&mut self.answers).to_value()
    }

    /// Every schema referred to, by name. A type met both in requests and in
    /// answers (or two types of one name) must have one schema.
    fn into_components(mut self) -> Map<String, Value> {
        let mut components = self.requests.take_definitions(true);
        for (name, schema) in self.answers.take_definitions(true) {
            if let Some(as_request) = components.get(&name) {
                assert_eq!(
                    as_request, &schema,
                    "the schema {name} differs between requests and answers: a type whose serialized and \
                     deserialized forms differ cannot be both a request and an answer body, and two body types \
                     need distinct names"
                );
            }
            components.insert(name, schema);
        }
        domain_rules(&mut components);
        components
    }
}

/// Rules that the types do not carry because a domain crate enforces them.
fn domain_rules(components: &mut Map<String, Value>) {
    components["SignupRequest"]["properties"]["password"]["minLength"] =
        json!(reynard_auth::password::MIN_PASSWORD_CHARS);
}

fn operation(spec: &RouteSpec, schemas: &mut Schemas) -> Value {
    let method = spec.method.as_str().to_lowercase();
    let mut op = json!({
        "summary": spec.summary,
        "tags": [spec.tag],
        "operationId": format!("{method}_{}",
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
    match spec.request {
        Body::Empty => {}
        Body::Json(body) => {
            op["requestBody"] =
                json!({ "required": true, "content": { "application/json": { "schema": schemas.request(body) } } });
        }
        Body::Text(media) => {
            op["requestBody"] = json!({ "required": true, "content": { media: { "schema": { "type": "string" } } } });
        }
    }
    let Some(Success { status, body }) = spec.success else {
        panic!("{} {} states no success answer (.ok, .ok_text or .ok_empty)", spec.method, spec.path);
    };
    let success = match body {
        Body::Empty if status == 101 => json!({ "description": "Switching to the WebSocket protocol" }),
        Body::Empty => json!({ "description": "Done" }),
        Body::Json(body) => {
            json!({ "description": "OK", "content": { "application/json": { "schema": schemas.answer(body) } } })
        }
        Body::Text(media) => json!({ "description": "OK", "content": { media: { "schema": { "type": "string" } } } }),
    };
    let mut responses = Map::new();
    responses.insert(status.to_string(), success);
    let error = schemas.answer(JsonType::of::<ErrorBody>());
    for status in spec.errors.iter().chain(&[500]) {
        responses.insert(
            status.to_string(),
            json!({ "description": error_description(*status), "content": { "application/json": {
                "schema": error.clone() } } }),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `$ref` under `value`.
    fn refs<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(target)) = map.get("$ref") {
                    out.push(target);
                }
                map.values().for_each(|v| refs(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }

    #[test]
    fn every_route_is_documented_with_known_schemas() {
        let doc = document();
        for Route { spec, .. } in routes::all() {
            let at = format!("{} {}", spec.method, spec.path);
            let op = &doc["paths"][spec.path][spec.method.as_str().to_lowercase()];
            assert!(op.is_object(), "{at} missing");
            assert!(!spec.tag.is_empty() && !spec.summary.is_empty(), "{at} has no .doc(tag, summary)");
            let content = |body: Body, at_body: &Value| match body {
                Body::Empty => assert!(at_body["content"].is_null(), "{at}: a body it does not have"),
                Body::Json(_) => assert!(at_body["content"]["application/json"]["schema"].is_object(), "{at}"),
                Body::Text(media) => assert_eq!(at_body["content"][media]["schema"]["type"], "string", "{at}"),
            };
            match spec.request {
                Body::Empty => assert!(op["requestBody"].is_null(), "{at}: a request body it does not read"),
                body => content(body, &op["requestBody"]),
            }
            let success = spec.success.expect("every route states its success answer");
            content(success.body, &op["responses"][success.status.to_string()]);
            for status in spec.errors.iter().chain(&[500]) {
                let schema = &op["responses"][status.to_string()]["content"]["application/json"]["schema"];
                assert_eq!(schema["$ref"], "#/components/schemas/ErrorBody", "{at} {status}");
            }
            assert_eq!(op["security"].is_array(), spec.auth, "{at}");
        }

        let schemas = doc["components"]["schemas"].as_object().unwrap();
        let mut targets = Vec::new();
        refs(&doc, &mut targets);
        for target in &targets {
            let name = target.strip_prefix("#/components/schemas/").unwrap_or_else(|| panic!("$ref {target}"));
            assert!(schemas.contains_key(name), "dangling $ref {target}");
        }
        for (name, schema) in schemas {
            assert!(schema.is_object(), "{name} is {schema}");
            assert!(targets.contains(&format!("#/components/schemas/{name}").as_str()), "{name} is never used");
        }
    }

    #[test]
    fn schemas_are_those_of_the_types() {
        let doc = document();
        let schemas = &doc["components"]["schemas"];
        // Fields as the types declare them, with serde's renaming and tags.
        assert_eq!(schemas["WorkspaceView"]["required"], json!(["id", "name", "role"]));
        assert_eq!(schemas["WorkspaceView"]["properties"]["role"]["$ref"], "#/components/schemas/Role");
        let roles: Vec<_> = schemas["Role"]["oneOf"].as_array().unwrap().iter().map(|r| r["const"].clone()).collect();
        assert_eq!(roles, [json!("owner"), json!("editor"), json!("viewer")]);
        assert_eq!(schemas["UserId"]["type"], "string", "ids are strings on the wire");
        let tags: Vec<_> = schemas["AddMemberResponse"]["oneOf"]
            .as_array()
            .unwrap()
            .iter()
            .map(|variant| variant["properties"]["status"]["const"].clone())
            .collect();
        assert_eq!(tags, [json!("added"), json!("invited")]);
        // Answers as serialized: an `Option` is always there, maybe null; a
        // skipped `None` may be absent.
        assert_eq!(schemas["VersionView"]["properties"]["name"]["type"], json!(["string", "null"]));
        assert!(schemas["VersionView"]["required"].as_array().unwrap().contains(&json!("name")));
        assert!(schemas["Session"]["required"].as_array().unwrap().contains(&json!("user")));
        assert!(!schemas["AuthResponse"]["required"].as_array().unwrap().contains(&json!("token")));
        assert!(schemas["DiffView"]["required"].as_array().unwrap().contains(&json!("coarse")));
        // Requests as deserialized: `Option` and `#[serde(default)]` fields may be left out.
        assert!(schemas["UpdateMe"]["required"].is_null(), "{}", schemas["UpdateMe"]);
        assert_eq!(schemas["SignupRequest"]["required"], json!(["email", "password", "name"]));
        assert_eq!(schemas["CreateBranchRequest"]["required"], json!(["name"]));
        // The error body.
        assert_eq!(schemas["ErrorBody"]["properties"]["error"]["$ref"], "#/components/schemas/ErrorDetail");
        assert_eq!(schemas["ErrorDetail"]["required"], json!(["code", "message"]));
    }

    #[test]
    fn the_password_rule_comes_from_reynard_auth() {
        let doc = document();
        let password = &doc["components"]["schemas"]["SignupRequest"]["properties"]["password"];
        assert_eq!(password["type"], "string");
        assert_eq!(password["minLength"], reynard_auth::password::MIN_PASSWORD_CHARS);
    }
}
