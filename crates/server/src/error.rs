//! The one error type of HTTP handlers: client errors carry their message,
//! internal errors become a generic 500 and are logged.

use std::time::Duration;

use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use reynard_proto::api::{ErrorBody, ErrorDetail};

use crate::collab::events::HubError;

/// Result of a handler.
pub type ApiResult<T> = Result<T, ApiError>;

/// An error answer: status, machine-readable code and a message for people.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    retry_after: Option<Duration>,
}

impl ApiError {
    /// An error with an explicit status and code.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), retry_after: None }
    }

    /// 400: the request is malformed or a field is invalid.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// 401: no valid session or token.
    pub fn unauthenticated() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthenticated", "sign in first (session cookie or bearer token)")
    }

    /// 403: signed in, but not allowed.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// 404: no such thing.
    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", format!("{what} not found"))
    }

    /// 409: the request conflicts with the current state.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", message)
    }

    /// 429 with `Retry-After`.
    pub fn rate_limited(retry_after: Duration) -> Self {
        let mut err = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("too many attempts; try again in {} s", retry_after.as_secs().max(1)),
        );
        err.retry_after = Some(retry_after);
        err
    }

    /// The same error with another message for people.
    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = message.into();
        self
    }

    /// 429 `busy` with `Retry-After: 1`: every password hasher is taken.
    pub fn busy() -> Self {
        let mut err = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "busy",
            "the server is busy checking other passwords; try again in a second",
        );
        err.retry_after = Some(Duration::from_secs(1));
        err
    }

    /// 500: logged with its cause; the client sees a generic message.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "internal error");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal server error")
    }

    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody { error: ErrorDetail { code: self.code.to_owned(), message: self.message } };
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(retry_after) = self.retry_after {
            let secs = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
        }
        response
    }
}

impl From<reynard_store::Error> for ApiError {
    fn from(err: reynard_store::Error) -> Self {
        use reynard_store::Error;
        match err {
            Error::NotFound(what) => ApiError::not_found(what),
            Error::Conflict(message) => ApiError::conflict(message),
            Error::LastOwner => ApiError::new(
                StatusCode::CONFLICT,
                "last_owner",
                "a workspace must keep at least one owner: make someone else owner first",
            ),
            other @ (Error::Corrupt(_) | Error::Migrate(_) | Error::Database(_)) => ApiError::internal(other),
        }
    }
}

/// The one mapping of live-document failures to HTTP answers.
impl From<HubError> for ApiError {
    fn from(err: HubError) -> Self {
        match err {
            HubError::Deleted => ApiError::not_found("document"),
            HubError::Invalid(message) => ApiError::new(StatusCode::BAD_REQUEST, "invalid_update", message),
            HubError::TooLarge(message) => ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "document_too_large", message),
            other @ (HubError::Storage(_) | HubError::Stopped) => ApiError::internal(other),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::MissingJsonContentType(_) => ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "expected a JSON body with Content-Type: application/json",
            ),
            JsonRejection::JsonSyntaxError(err) => {
                ApiError::new(StatusCode::BAD_REQUEST, "malformed_json", format!("malformed JSON: {}", err.body_text()))
            }
            JsonRejection::JsonDataError(err) => ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_body",
                format!("invalid request body: {}", err.body_text()),
            ),
            JsonRejection::BytesRejection(err) => {
                ApiError::new(err.status(), "bad_body", format!("could not read the request body: {}", err.body_text()))
            }
            other => ApiError::bad_request(other.body_text()),
        }
    }
}

impl From<reynard_auth::InputError> for ApiError {
    fn from(err: reynard_auth::InputError) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_input", err.to_string())
    }
}

impl From<reynard_auth::PasswordError> for ApiError {
    fn from(err: reynard_auth::PasswordError) -> Self {
        match err {
            reynard_auth::PasswordError::Hashing(cause) => ApiError::internal(cause),
            rule => ApiError::new(StatusCode::BAD_REQUEST, "weak_password", rule.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_document_failures_have_one_answer_each() {
        let cases = [
            (HubError::Deleted, StatusCode::NOT_FOUND, "not_found"),
            (HubError::Invalid("bad".into()), StatusCode::BAD_REQUEST, "invalid_update"),
            (HubError::TooLarge("big".into()), StatusCode::PAYLOAD_TOO_LARGE, "document_too_large"),
            (HubError::Storage("disk".into()), StatusCode::INTERNAL_SERVER_ERROR, "internal"),
            (HubError::Stopped, StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        ];
        for (err, status, code) in cases {
            let answer = ApiError::from(err);
            assert_eq!((answer.status, answer.code), (status, code));
        }
    }
}
