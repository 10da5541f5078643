//! Request extractors: JSON bodies with API-shaped errors, and the signed-in user
//! (bearer token or session cookie).

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use reynard_auth::hash_token;
use reynard_store::User;

use crate::error::ApiError;
use crate::state::AppState;

/// Name of the browser session cookie.
pub const SESSION_COOKIE: &str = "reynard_session";

/// A JSON request body whose rejections are answered as [`ApiError`]s.
#[derive(Debug, axum::extract::FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

/// The user behind the request's bearer token or session cookie.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub user: User,
    /// Hash of the presented token (identifies the session, e.g. for logout).
    pub token_hash: String,
}

/// The secret a request presents: `Authorization: Bearer …` first, then the cookie.
pub fn presented_token(parts: &Parts) -> Option<String> {
    if let Some(value) = parts.headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        let (scheme, token) = value.split_once(' ')?;
        return scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned()).filter(|t| !t.is_empty());
    }
    cookie_value(parts, SESSION_COOKIE)
}

/// The value of a cookie in the request's `Cookie` headers.
pub fn cookie_value(parts: &Parts, name: &str) -> Option<String> {
    parts
        .headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|header| header.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
        .filter(|v| !v.is_empty())
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = presented_token(parts).ok_or_else(ApiError::unauthenticated)?;
        let token_hash = hash_token(&token);
        let user = state.store.user_for_session(&token_hash).await?.ok_or_else(ApiError::unauthenticated)?;
        Ok(CurrentUser { user, token_hash })
    }
}

/// `Option<CurrentUser>`: `None` when the request presents no valid session.
impl OptionalFromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Option<Self>, Self::Rejection> {
        let Some(token) = presented_token(parts) else {
            return Ok(None);
        };
        let token_hash = hash_token(&token);
        let user = state.store.user_for_session(&token_hash).await?;
        Ok(user.map(|user| CurrentUser { user, token_hash }))
    }
}
