//! Each user's calendar feed: a secret address (`/ics/{secret}.ics`) that
//! Google Calendar, Outlook and other calendar apps subscribe to, serving the
//! user's meetings (organized or invited, not declined or cancelled) as one
//! iCalendar file. The secret is the credential, so it can be rotated: the old
//! address then stops working at once.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use reynard_auth::SessionToken;
use reynard_auth::token::TOKEN_PREFIX;
use reynard_proto::schedule::CalendarFeedView;
use reynard_schedule::{FeedEvent, Invitee, Person, Series};

use super::agenda::busy_series;
use super::meetings::blocking;
use crate::error::{ApiError, ApiResult};
use crate::extract::CurrentUser;
use crate::schedule::invitations::{Parties, parties};
use crate::state::AppState;

fn fresh_secret() -> String {
    SessionToken::generate().secret.trim_start_matches(TOKEN_PREFIX).to_owned()
}

fn feed_url(state: &AppState, secret: &str) -> String {
    format!("{}/ics/{secret}.ics", state.config.public_url)
}

/// `GET /api/v1/me/calendar-feed`: the address of your feed (made on first use).
pub async fn get(State(state): State<AppState>, current: CurrentUser) -> ApiResult<Json<CalendarFeedView>> {
    let secret = state.store.calendar_feed_secret(&current.user.id, false, fresh_secret).await?;
    Ok(Json(CalendarFeedView { url: feed_url(&state, &secret) }))
}

/// `POST /api/v1/me/calendar-feed/rotate`: a new address; the old one stops working.
pub async fn rotate(State(state): State<AppState>, current: CurrentUser) -> ApiResult<Json<CalendarFeedView>> {
    let secret = state.store.calendar_feed_secret(&current.user.id, true, fresh_secret).await?;
    tracing::info!(user = %current.user.id, "calendar feed address rotated");
    Ok(Json(CalendarFeedView { url: feed_url(&state, &secret) }))
}

/// `GET /ics/{secret}.ics`: the feed itself (`text/calendar`), no sign-in.
pub async fn serve(State(state): State<AppState>, Path(file): Path<String>) -> ApiResult<Response> {
    let secret = file.strip_suffix(".ics").ok_or_else(|| ApiError::not_found("calendar feed"))?;
    let user = state.store.user_for_feed(secret).await?.ok_or_else(|| ApiError::not_found("calendar feed"))?;
    let user = state.store.user_by_id(&user).await?.ok_or_else(|| ApiError::not_found("calendar feed"))?;
    let meetings = busy_series(&state, &user.id, &user.email).await?;
    let mut events: Vec<(Series, String, u32, Parties)> = Vec::with_capacity(meetings.len());
    for (series, row) in meetings {
        let people = parties(&state, &row).await.map_err(ApiError::internal)?;
        events.push((series, row.uid.clone(), u32::try_from(row.sequence).unwrap_or(u32::MAX), people));
    }
    let name = format!("Reynard: {}", user.name);
    let text = blocking(move || {
        let feed: Vec<FeedEvent<'_>> = events
            .iter()
            .map(|(series, uid, sequence, people)| FeedEvent {
                series,
                uid,
                sequence: *sequence,
                organizer: Some::<&Person>(&people.organizer),
                attendees: people.attendees.as_slice() as &[Invitee],
            })
            .collect();
        reynard_schedule::feed(&name, &feed, Timestamp::now()).map_err(ApiError::internal)
    })
    .await?;
    Ok((
        [(header::CONTENT_TYPE, "text/calendar; charset=utf-8"), (header::CACHE_CONTROL, "private, max-age=300")],
        text,
    )
        .into_response())
}
