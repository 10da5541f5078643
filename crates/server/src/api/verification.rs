//! Email verification: following the signed link from the mail, and asking for
//! another one. Verifying claims the invitations waiting for the email.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use reynard_auth::{EmailToken, TokenError};
use reynard_proto::UserId;
use reynard_proto::api::{TokenRequest, VerifyEmailResponse};
use reynard_store::now_millis;

use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, CurrentUser};
use crate::state::AppState;

/// `POST /api/v1/auth/verify-email {token}`: the link is the proof, so no
/// sign-in is needed (the mail may be opened on another device).
pub async fn verify_email(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<TokenRequest>,
) -> ApiResult<Json<VerifyEmailResponse>> {
    let token = EmailToken::parse(&body.token).map_err(token_error)?;
    let user = state.store.user_by_id(&UserId::new(token.user_id.clone())).await?;
    // An unknown account answers like a forged link: nothing to learn from it.
    let user = user.ok_or_else(|| token_error(TokenError::Forged))?;
    token.check(&state.signing_key, &user.email, now_millis()).map_err(token_error)?;
    let joined = state.store.verify_email(&user.id, &user.email).await?;
    tracing::info!(user = %user.id, joined = joined.len(), "email verified");
    Ok(Json(VerifyEmailResponse { email: user.email, email_verified: true, joined }))
}

/// `POST /api/v1/auth/resend-verification`: mails a fresh link (rate-limited per account).
pub async fn resend_verification(State(state): State<AppState>, current: CurrentUser) -> ApiResult<StatusCode> {
    let user = current.user;
    if user.email_verified() {
        return Err(ApiError::new(StatusCode::CONFLICT, "already_verified", "your email is already verified"));
    }
    if state.config.mailer.is_none() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "mail_disabled",
            "this server sends no mail: ask a workspace owner for an invite link instead",
        ));
    }
    let key = user.id.as_str().to_owned();
    state.verification_mails_per_user.check(&key).map_err(|l| ApiError::rate_limited(l.retry_after))?;
    crate::mail::send_verification(&state, &user);
    Ok(StatusCode::ACCEPTED)
}

fn token_error(err: TokenError) -> ApiError {
    match err {
        TokenError::Expired => ApiError::new(
            StatusCode::BAD_REQUEST,
            "expired_token",
            "this verification link has expired: sign in and ask for a new one",
        ),
        TokenError::Malformed | TokenError::Forged => ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_token",
            "this verification link is not valid: open the latest link you were sent, or ask for a new one",
        ),
    }
}
