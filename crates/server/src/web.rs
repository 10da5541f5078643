//! The browser client, embedded at build time from `web/dist`: static files by
//! path (gzip when the browser accepts it), and `index.html` for every other
//! page path so that client-side routes survive a reload.

use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};

use crate::error::ApiError;

include!(concat!(env!("OUT_DIR"), "/web_assets.rs"));

/// Path prefixes that belong to the server, never to the client's router.
const SERVER_PREFIXES: &[&str] = &["/api/", "/collab/", "/rtc/", "/ics/"];
const SERVER_PATHS: &[&str] = &["/api", "/collab", "/rtc", "/ics", "/healthz", "/readyz", "/metrics"];

/// Whether the binary carries a built client.
pub fn has_client() -> bool {
    WEB_ASSETS.iter().any(|(path, ..)| *path == "index.html")
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json" | "map") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        Some("woff") => "font/woff",
        Some("ttf") => "font/ttf",
        Some("wasm") => "application/wasm",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// The fallback of the router: a client file, the client's `index.html`, or a
/// JSON 404 for server paths.
pub async fn serve(uri: Uri, headers: HeaderMap) -> Response {
    let path = uri.path();
    if SERVER_PATHS.contains(&path) || SERVER_PREFIXES.iter().any(|prefix| path.starts_with(prefix)) {
        return ApiError::new(StatusCode::NOT_FOUND, "no_route", "no such endpoint").into_response();
    }
    let relative = path.trim_start_matches('/');
    if let Some(asset) = WEB_ASSETS.iter().find(|(p, ..)| *p == relative && !relative.is_empty()) {
        // Vite names built assets by content hash: they never change.
        let cache = if relative.starts_with("assets/") { "public, max-age=31536000, immutable" } else { "no-cache" };
        return file(asset, cache, &headers);
    }
    if relative.contains('.') && !relative.ends_with(".html") {
        // A missing file, not a page of the client.
        return ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such file").into_response();
    }
    match WEB_ASSETS.iter().find(|(p, ..)| *p == "index.html") {
        Some(index) => file(index, "no-cache", &headers),
        None => Html(NOT_BUILT).into_response(),
    }
}

fn file(asset: &(&str, &'static [u8], &'static [u8]), cache: &'static str, headers: &HeaderMap) -> Response {
    let (path, raw, gzip) = *asset;
    let accepts_gzip = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|enc| enc.trim().starts_with("gzip")));
    let mut response = if accepts_gzip && gzip.len() < raw.len() {
        let mut response = gzip.into_response();
        response.headers_mut().insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        response
    } else {
        raw.into_response()
    };
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type(path)));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    response
}

const NOT_BUILT: &str = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Reynard</title></head>\
<body style=\"font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; line-height: 1.5\">\
<h1>Reynard is running</h1><p>This binary was built without the web client. Build it with \
<code>make run</code> (or <code>cd web &amp;&amp; npm ci &amp;&amp; npm run build</code>, then rebuild the server). \
The API is at <a href=\"/api/v1/openapi.json\">/api/v1/openapi.json</a>.</p></body></html>";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types() {
        assert_eq!(content_type("assets/index-abc.js"), "text/javascript; charset=utf-8");
        assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
        assert_eq!(content_type("x.unknown"), "application/octet-stream");
    }
}
