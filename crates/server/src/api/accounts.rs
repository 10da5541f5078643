//! Sign-up, login, logout and the signed-in user's profile.

use std::sync::LazyLock;
use std::time::Instant;

use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use reynard_auth::{SessionToken, normalize_email, validate_name, validate_password};
use reynard_proto::api::{AuthResponse, LoginRequest, Me, Session, SignupRequest, UpdateMe};
use reynard_store::{NewUser, SessionKind, User, now_millis};

use crate::client_ip::rate_key;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, CurrentUser, SESSION_COOKIE};
use crate::net::PeerAddr;
use crate::state::AppState;

/// The argon2id hash of a random password, verified against when the email is
/// unknown so that a login takes as long whether or not the account exists.
/// First computed on a password hasher, like every other hash.
static DECOY_HASH: LazyLock<String> =
    LazyLock::new(|| reynard_auth::hash_password(&SessionToken::generate().secret).unwrap_or_default());

/// `POST /api/v1/auth/signup`: creates the account and signs it in; when mail is
/// on, mails the link that verifies the email (which claims its invitations).
/// Limited per client address; the hash waits for a free hasher.
pub async fn signup(
    State(state): State<AppState>,
    ConnectInfo(PeerAddr(peer)): ConnectInfo<PeerAddr>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<SignupRequest>,
) -> ApiResult<Response> {
    let email = normalize_email(&body.email)?;
    let name = validate_name(&body.name)?;
    validate_password(&body.password)?;
    if let Some(tz) = &body.time_zone {
        validate_time_zone(tz)?;
    }
    let client = rate_key(state.config.trusted_proxies.client_ip(peer.ip(), &headers));
    state.signups_per_ip.check(&client).map_err(|l| ApiError::rate_limited(l.retry_after))?;
    let password = body.password;
    let password_hash = state.password_hashers.run(move |memory| memory.hash(&password)).await??;
    let mut user = state.store.create_user(NewUser { email, name, password_hash }).await?;
    if let Some(tz) = &body.time_zone {
        user = state.store.update_user(&user.id, None, Some(tz)).await?;
    }
    let response = start_session(&state, &user, StatusCode::CREATED, body.cookie_only).await?;
    let mailed = crate::mail::send_verification(&state, &user);
    tracing::info!(user = %user.id, verification_mailed = mailed, "signed up");
    Ok(response)
}

/// `POST /api/v1/auth/login`: checks the password. Attempts are limited per
/// client address, and failed ones slow the account down (see
/// [`reynard_auth::LoginThrottle`]); both count an attempt before the password
/// is checked.
pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(PeerAddr(peer)): ConnectInfo<PeerAddr>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<LoginRequest>,
) -> ApiResult<Response> {
    let client = rate_key(state.config.trusted_proxies.client_ip(peer.ip(), &headers));
    state.logins_per_ip.check(&client).map_err(|l| ApiError::rate_limited(l.retry_after))?;
    // No account has a malformed email: nothing to check or to throttle.
    let email = normalize_email(&body.email).map_err(|_| invalid_credentials())?;
    state.login_throttle.begin(&email, Instant::now()).map_err(|l| ApiError::rate_limited(l.retry_after))?;

    let user = state.store.user_by_email(&email).await?;
    let stored_hash = user.as_ref().map(|u| u.password_hash.clone());
    let password = body.password;
    let matches = state
        .password_hashers
        .run(move |memory| memory.verify(&password, stored_hash.as_deref().unwrap_or(&DECOY_HASH)))
        .await?;
    match user {
        Some(user) if matches => {
            state.login_throttle.succeeded(&email);
            start_session(&state, &user, StatusCode::OK, body.cookie_only).await
        }
        _ => Err(invalid_credentials()),
    }
}

fn invalid_credentials() -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "invalid_credentials", "email or password is wrong")
}

/// `POST /api/v1/auth/logout`: revokes the presented session and clears the cookie.
pub async fn logout(State(state): State<AppState>, current: CurrentUser) -> ApiResult<Response> {
    state.store.delete_session(&current.token_hash).await?;
    // Document connections opened with this session end with it.
    crate::control::signed_out(&state, &current.token_hash).await;
    let mut headers = HeaderMap::new();
    headers.insert(header::SET_COOKIE, session_cookie(&state, "", 0)?);
    Ok((StatusCode::NO_CONTENT, headers).into_response())
}

/// `GET /api/v1/auth/session`: the signed-in user, or `null` (never a 401, so
/// that a signed-out page load has no failed request).
pub async fn session(State(state): State<AppState>, current: Option<CurrentUser>) -> ApiResult<Json<Session>> {
    let user = match current {
        Some(current) => Some(me_of(&state, &current.user).await?),
        None => None,
    };
    Ok(Json(Session { user }))
}

/// `GET /api/v1/me`.
pub async fn me(State(state): State<AppState>, current: CurrentUser) -> ApiResult<Json<Me>> {
    Ok(Json(me_of(&state, &current.user).await?))
}

/// The user as they see themselves, with their scheduling profile.
async fn me_of(state: &AppState, user: &User) -> ApiResult<Me> {
    let profile = state.store.profile(&user.id).await?.unwrap_or_default();
    // The stored hours were checked when saved; unreadable ones show as none.
    let working_hours = serde_json::from_str(&profile.working_hours).unwrap_or_default();
    Ok(Me {
        id: user.id.clone(),
        email: user.email.clone(),
        name: user.name.clone(),
        time_zone: profile.time_zone,
        email_verified: user.email_verified(),
        working_hours,
        followups: profile.followups,
    })
}

/// `PATCH /api/v1/me`: display name, IANA time zone, working hours, follow-up mails.
pub async fn update_me(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(body): ApiJson<UpdateMe>,
) -> ApiResult<Json<Me>> {
    let name = body.name.as_deref().map(validate_name).transpose()?;
    if let Some(tz) = &body.time_zone {
        validate_time_zone(tz)?;
    }
    let hours = match &body.working_hours {
        Some(map) => Some(
            reynard_schedule::WorkingHours::from_map(map)
                .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_input", format!("working hours: {e}")))?,
        ),
        None => None,
    };
    let user = state.store.update_user(&current.user.id, name.as_deref(), body.time_zone.as_deref()).await?;
    if hours.is_some() || body.followups.is_some() {
        let mut profile = state.store.profile(&user.id).await?.unwrap_or_default();
        if let Some(hours) = &hours {
            profile.working_hours = serde_json::to_string(&hours.to_map()).map_err(ApiError::internal)?;
        }
        if let Some(followups) = body.followups {
            profile.followups = followups;
        }
        state.store.set_profile(&user.id, &profile).await?;
    }
    Ok(Json(me_of(&state, &user).await?))
}

/// Accepts IANA time zone names this server knows (and `UTC`).
fn validate_time_zone(tz: &str) -> ApiResult<()> {
    reynard_schedule::Zone::new(tz).map(|_| ()).map_err(|_| {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_input", format!("{tz:?} is not an IANA time zone name"))
    })
}

/// Issues a session: stores its hash, sets the cookie and returns the token
/// (unless the caller wants the cookie only).
async fn start_session(state: &AppState, user: &User, status: StatusCode, cookie_only: bool) -> ApiResult<Response> {
    let token = SessionToken::generate();
    let ttl = state.config.session_ttl;
    let expires_at = now_millis().saturating_add(i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX));
    state.store.create_session(&user.id, &token.hash, SessionKind::Browser, expires_at).await?;
    let mut headers = HeaderMap::new();
    headers.insert(header::SET_COOKIE, session_cookie(state, &token.secret, ttl.as_secs())?);
    let body = AuthResponse { user: user.view(), token: (!cookie_only).then_some(token.secret) };
    Ok((status, headers, Json(body)).into_response())
}

fn session_cookie(state: &AppState, value: &str, max_age_secs: u64) -> ApiResult<HeaderValue> {
    let secure = if state.config.secure_cookies { "; Secure" } else { "" };
    let cookie = format!("{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}");
    HeaderValue::from_str(&cookie).map_err(ApiError::internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoy_hash_is_a_real_argon2id_hash() {
        assert!(DECOY_HASH.starts_with("$argon2id$"));
        assert!(!reynard_auth::verify_password("anything", &DECOY_HASH));
    }

    #[test]
    fn time_zones() {
        for ok in ["UTC", "Europe/Paris", "America/Argentina/Buenos_Aires", "Etc/GMT+5"] {
            assert!(validate_time_zone(ok).is_ok(), "{ok}");
        }
        for bad in ["", "Paris", "Europe/", "Europe/Par is", "../etc"] {
            assert!(validate_time_zone(bad).is_err(), "{bad}");
        }
    }
}
