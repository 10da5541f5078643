//! Request extractors: JSON bodies with API-shaped errors, and the signed-in user
//! (bearer token or session cookie).

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::HeaderMap;
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

/// How a request presents its secret. Browsers send the cookie on their own,
/// even for a page of another site, so only [`Credential::Cookie`] requests are
/// subject to the `Origin` rule (`crate::security`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// `Authorization: Bearer …`.
    Bearer(String),
    /// The `reynard_session` cookie.
    Cookie(String),
}

impl Credential {
    /// The secret itself.
    pub fn into_secret(self) -> String {
        match self {
            Credential::Bearer(secret) | Credential::Cookie(secret) => secret,
        }
    }
}

/// The credential of a request: `Authorization: Bearer …` first, then the
/// cookie. A request with an `Authorization` header never uses the cookie.
pub fn presented_credential(headers: &HeaderMap) -> Option<Credential> {
    if let Some(value) = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        let (scheme, token) = value.split_once(' ')?;
        let token = token.trim();
        return (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty())
            .then(|| Credential::Bearer(token.to_owned()));
    }
    cookie_in(headers, SESSION_COOKIE).map(Credential::Cookie)
}

/// The secret a request presents (see [`presented_credential`]).
pub fn presented_token(parts: &Parts) -> Option<String> {
    presented_credential(&parts.headers).map(Credential::into_secret)
}

/// The value of a cookie in the request's `Cookie` headers.
pub fn cookie_value(parts: &Parts, name: &str) -> Option<String> {
    cookie_in(&parts.headers, name)
}

fn cookie_in(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
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

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn bearer_and_cookie_are_told_apart_and_a_bearer_header_shadows_the_cookie() {
        let cookie = ("cookie", "theme=dark; reynard_session=rnd_c");
        assert_eq!(presented_credential(&headers(&[cookie])), Some(Credential::Cookie("rnd_c".into())));
        assert_eq!(
            presented_credential(&headers(&[cookie, ("authorization", "Bearer rnd_b")])),
            Some(Credential::Bearer("rnd_b".into()))
        );
        // Any other Authorization: no credential at all, never a fallback to the cookie.
        assert_eq!(presented_credential(&headers(&[cookie, ("authorization", "Basic YTpi")])), None);
        assert_eq!(presented_credential(&headers(&[cookie, ("authorization", "Bearer ")])), None);
        assert_eq!(presented_credential(&headers(&[("cookie", "reynard_session=")])), None);
    }
}
