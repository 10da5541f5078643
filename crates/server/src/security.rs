//! Browser security around every request: the `Origin` rule that keeps other
//! sites from riding on a visitor's session cookie (cross-site request forgery,
//! login CSRF, cross-site WebSocket hijacking), and the security headers of
//! every response (Content-Security-Policy, nosniff, framing, referrer, HSTS).
//!
//! The rule: a WebSocket upgrade that names an `Origin` must name a trusted
//! one (clients without an `Origin`, such as Node's `ws`, pass). A
//! state-changing request (POST, PUT, PATCH, DELETE) without
//! `Authorization: Bearer` — so authenticated by the cookie, or signing up and
//! logging in, which set it — must come from a trusted origin: its `Origin`, or
//! when it has none its `Sec-Fetch-Site`, must say so. Browsers send one of the
//! two with every such request; a request with neither is not made by a
//! browser page and cannot carry a visitor's cookie against their will.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::config::Config;
use crate::error::ApiError;
use crate::extract::{Credential, presented_credential};

/// Which origins are trusted and which headers every response carries.
#[derive(Debug)]
pub struct BrowserPolicy {
    trusted_origins: Vec<String>,
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl BrowserPolicy {
    /// The policy of a server: the public URL's origin and `--allowed-origins`
    /// are trusted; HSTS when the public URL is https.
    pub fn new(config: &Config) -> BrowserPolicy {
        let trusted_origins = config.trusted_origins();
        let mut headers = vec![
            (header::CONTENT_SECURITY_POLICY, content_security_policy(&trusted_origins)),
            (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
            (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
            (header::REFERRER_POLICY, HeaderValue::from_static("same-origin")),
        ];
        if config.public_url.starts_with("https://") {
            headers.push((header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000")));
        }
        BrowserPolicy { trusted_origins, headers }
    }

    /// Whether a request's `Origin` header names a trusted origin.
    fn trusts(&self, origin: &HeaderValue) -> bool {
        origin.to_str().ok().and_then(parse_origin).is_some_and(|origin| self.trusted_origins.contains(&origin))
    }

    /// Applies the `Origin` rule (see the module documentation).
    pub fn check(&self, method: &Method, headers: &HeaderMap) -> Result<(), ApiError> {
        let origin = headers.get(header::ORIGIN);
        if is_websocket_upgrade(headers) {
            return match origin {
                Some(origin) if !self.trusts(origin) => Err(forbidden_origin()),
                _ => Ok(()),
            };
        }
        let changes_state = !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE);
        if !changes_state || has_bearer(headers) {
            return Ok(());
        }
        match origin {
            Some(origin) if self.trusts(origin) => Ok(()),
            Some(_) => Err(forbidden_origin()),
            None => match headers.get("sec-fetch-site") {
                Some(site) if site.as_bytes() == b"same-origin" => Ok(()),
                Some(_) => Err(forbidden_origin()),
                None => Ok(()),
            },
        }
    }
}

/// The middleware: refuses requests the `Origin` rule forbids (403
/// `forbidden_origin`) and adds the security headers to every answer.
pub async fn enforce(State(policy): State<Arc<BrowserPolicy>>, request: Request, next: Next) -> Response {
    let mut response = match policy.check(request.method(), request.headers()) {
        Ok(()) => next.run(request).await,
        Err(err) => err.into_response(),
    };
    let headers = response.headers_mut();
    for (name, value) in &policy.headers {
        headers.insert(name.clone(), value.clone());
    }
    response
}

fn forbidden_origin() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "forbidden_origin",
        "this request comes from a page of another site; open the server's own URL (or add the site to --allowed-origins)",
    )
}

fn is_websocket_upgrade(headers: &HeaderMap) -> bool {
    crate::ws::handshake::has_token(headers, header::UPGRADE, "websocket")
}

/// Whether the request authenticates with a bearer token (and so never with
/// the cookie): the same reading as [`CurrentUser`](crate::extract::CurrentUser)'s.
fn has_bearer(headers: &HeaderMap) -> bool {
    matches!(presented_credential(headers), Some(Credential::Bearer(_)))
}

/// The Content-Security-Policy of every response: scripts, styles, fonts and
/// workers from the server only (Monaco injects `<style>` elements and style
/// attributes, hence `'unsafe-inline'` for styles — never for scripts), and
/// connections to the server itself, including its WebSockets.
fn content_security_policy(trusted_origins: &[String]) -> HeaderValue {
    let mut connect = String::from("'self'");
    for origin in trusted_origins {
        let ws = origin.replacen("https://", "wss://", 1).replacen("http://", "ws://", 1);
        connect.push(' ');
        connect.push_str(&ws);
    }
    let policy = format!(
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; \
         font-src 'self' data:; worker-src 'self' blob:; connect-src {connect}; frame-ancestors 'none'; \
         base-uri 'none'; object-src 'none'; form-action 'self'"
    );
    HeaderValue::from_str(&policy).unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'"))
}

/// The origin of an http(s) URL: `scheme://host[:port]`, lowercased, without
/// the scheme's default port (as browsers send it in `Origin`).
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.trim().split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" => ":80",
        "https" => ":443",
        _ => return None,
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default().to_ascii_lowercase();
    if authority.is_empty() || authority.contains('@') || authority.starts_with(':') {
        return None;
    }
    let authority = authority.strip_suffix(default_port).unwrap_or(&authority);
    Some(format!("{scheme}://{authority}"))
}

/// An origin as written in `Origin` or `--allowed-origins`: a URL with nothing
/// after the host and port (a trailing `/` is tolerated).
pub fn parse_origin(text: &str) -> Option<String> {
    let text = text.trim();
    let text = text.strip_suffix('/').unwrap_or(text);
    let (_, rest) = text.split_once("://")?;
    if rest.contains(['/', '?', '#']) {
        return None;
    }
    origin_of(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_normalized_like_browsers_send_them() {
        let cases = [
            ("https://Team.Example/some/path", Some("https://team.example")),
            ("https://team.example:443", Some("https://team.example")),
            ("http://team.example:80/", Some("http://team.example")),
            ("http://127.0.0.1:8080", Some("http://127.0.0.1:8080")),
            ("http://[::1]:8080/x", Some("http://[::1]:8080")),
            ("https://team.example:8443", Some("https://team.example:8443")),
            ("ftp://team.example", None),
            ("team.example", None),
            ("https://", None),
            ("https://user@team.example", None),
        ];
        for (url, expected) in cases {
            assert_eq!(origin_of(url).as_deref(), expected, "{url}");
        }
        assert_eq!(parse_origin("https://team.example/").as_deref(), Some("https://team.example"));
        assert_eq!(parse_origin("https://team.example/app"), None);
        assert_eq!(parse_origin("null"), None);
    }

    #[test]
    fn connect_src_names_the_websockets_of_trusted_origins() {
        let csp = content_security_policy(&["https://team.example".to_owned(), "http://127.0.0.1:5173".to_owned()]);
        let csp = csp.to_str().unwrap();
        assert!(csp.contains("connect-src 'self' wss://team.example ws://127.0.0.1:5173;"), "{csp}");
        assert!(csp.contains("script-src 'self';"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    }
}
