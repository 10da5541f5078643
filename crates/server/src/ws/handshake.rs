//! The WebSocket opening handshake (RFC 6455 §4.2, HTTP/1.1): the extractor
//! that checks an upgrade request, the `101 Switching Protocols` answer, and
//! the task that runs the connection once hyper hands it over as a
//! [`Socket`].

use std::future::Future;

use axum::body::Body;
use axum::extract::FromRequestParts;
use axum::http::header::{CONNECTION, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_KEY, SEC_WEBSOCKET_VERSION, UPGRADE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use futures_util::FutureExt;
use futures_util::future::Either;
use hyper::upgrade::{OnUpgrade, Upgraded};
use hyper_util::rt::TokioIo;
use sha1::{Digest, Sha1};

use super::socket::WebSocket;
use crate::error::ApiError;

/// The WebSocket of an accepted upgrade.
pub type Socket = WebSocket<TokioIo<Upgraded>>;

/// The GUID RFC 6455 appends to the client's key.
const ACCEPT_GUID: &[u8] = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// Messages a socket takes unless its endpoint says otherwise.
const DEFAULT_MAX_MESSAGE_BYTES: usize = 64 * 1024;

/// A request to open a WebSocket, checked: answer it with [`on_upgrade`](Self::on_upgrade).
#[derive(Debug)]
pub struct WebSocketUpgrade {
    on_upgrade: OnUpgrade,
    accept: HeaderValue,
    max_message: usize,
}

/// Why a request is not a WebSocket upgrade this server can take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UpgradeRejection {
    #[error("not a WebSocket upgrade request (GET with `Connection: upgrade` and `Upgrade: websocket`)")]
    NotUpgrade,
    #[error("unsupported WebSocket version: `Sec-WebSocket-Version: 13` is spoken")]
    Version,
    #[error("`Sec-WebSocket-Key` is missing")]
    MissingKey,
    #[error("this connection cannot be upgraded")]
    NotUpgradable,
}

impl From<UpgradeRejection> for ApiError {
    fn from(rejection: UpgradeRejection) -> Self {
        ApiError::new(
            StatusCode::UPGRADE_REQUIRED,
            "websocket_required",
            format!("{rejection}: connect with a WebSocket"),
        )
    }
}

impl IntoResponse for UpgradeRejection {
    fn into_response(self) -> Response {
        ApiError::from(self).into_response()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for WebSocketUpgrade {
    type Rejection = UpgradeRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let headers = &parts.headers;
        if parts.method != Method::GET
            || !has_token(headers, CONNECTION, "upgrade")
            || !has_token(headers, UPGRADE, "websocket")
        {
            return Err(UpgradeRejection::NotUpgrade);
        }
        if headers.get(SEC_WEBSOCKET_VERSION).is_none_or(|version| version.as_bytes() != b"13") {
            return Err(UpgradeRejection::Version);
        }
        let key = headers.get(SEC_WEBSOCKET_KEY).ok_or(UpgradeRejection::MissingKey)?;
        let accept = accept_key(key.as_bytes());
        let on_upgrade = parts.extensions.remove::<OnUpgrade>().ok_or(UpgradeRejection::NotUpgradable)?;
        Ok(WebSocketUpgrade { on_upgrade, accept, max_message: DEFAULT_MAX_MESSAGE_BYTES })
    }
}

impl WebSocketUpgrade {
    /// The largest message (all its fragments) the client may send; larger
    /// ones close the connection with 1009.
    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.max_message = bytes;
        self
    }

    /// Answers `101 Switching Protocols` and, once hyper hands the connection
    /// over, runs `run` with its socket in a task of its own.
    pub fn on_upgrade<F, Fut>(self, run: F) -> Response
    where
        F: FnOnce(Box<Socket>) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let WebSocketUpgrade { on_upgrade, accept, max_message } = self;
        // A combinator, not an `async` block: the block would keep `run`'s
        // captures beside the future `run` returns (which holds them too) for
        // the connection's whole life; `then` holds one or the other.
        tokio::spawn(on_upgrade.then(move |upgraded| match upgraded {
            // Boxed: the task holds the socket through a pointer, whatever
            // `run` does with it.
            Ok(upgraded) => Either::Left(run(Box::new(WebSocket::new(TokioIo::new(upgraded), max_message)))),
            Err(err) => {
                tracing::debug!(%err, "the connection was not upgraded");
                Either::Right(std::future::ready(()))
            }
        }));
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
        let headers = response.headers_mut();
        headers.insert(CONNECTION, HeaderValue::from_static("upgrade"));
        headers.insert(UPGRADE, HeaderValue::from_static("websocket"));
        headers.insert(SEC_WEBSOCKET_ACCEPT, accept);
        response
    }
}

/// Whether a comma-separated header lists `token` (ASCII case-insensitive).
pub(crate) fn has_token(headers: &HeaderMap, name: HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .any(|value| value.split(',').any(|item| item.trim().eq_ignore_ascii_case(token)))
}

/// `Sec-WebSocket-Accept` for a client's key: base64 of SHA-1 of the key and the GUID.
fn accept_key(key: &[u8]) -> HeaderValue {
    let digest = Sha1::new().chain_update(key).chain_update(ACCEPT_GUID).finalize();
    let encoded = base64::engine::general_purpose::STANDARD.encode(digest);
    HeaderValue::from_str(&encoded).unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_accept_key_is_the_one_of_rfc_6455() {
        // RFC 6455 §1.3.
        assert_eq!(accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }

    #[test]
    fn upgrade_tokens_are_found_in_lists_whatever_their_case() {
        let mut headers = HeaderMap::new();
        headers.insert(CONNECTION, HeaderValue::from_static("keep-alive, Upgrade"));
        assert!(has_token(&headers, CONNECTION, "upgrade"));
        assert!(!has_token(&headers, UPGRADE, "websocket"));
        headers.insert(UPGRADE, HeaderValue::from_static("WebSocket"));
        assert!(has_token(&headers, UPGRADE, "websocket"));
    }
}
