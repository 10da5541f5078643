//! Meetings: scheduling one (with a room of its own, and the conflicts it
//! makes), reading it, changing the whole series, one occurrence or this and
//! the following ones, cancelling it or one occurrence, and answering an
//! invitation (signed in, or through the signed link of the invitation mail).
//! Every change mails the attendees (`crate::schedule::invitations`).
//!
//! Who may do what: members of the meeting's workspace and its attendees see
//! it; its organizer (or an owner of the workspace) changes and cancels it;
//! attendees answer.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use jiff::SignedDuration;
use reynard_mail::meeting_templates::InvitationKind;
use reynard_proto::schedule::{
    AttendeeView, ConflictView, EditScope, MeetingChangeRequest, MeetingView, NewMeetingRequest, PersonView,
    RsvpRequest, RsvpView,
};
use reynard_proto::{Role, WorkspaceId};
use reynard_schedule::{
    Interval, OccurrenceChanges, PersonBusy, Rule, Series, SeriesChanges, SeriesInput, Zone, parse_local,
};
use reynard_store::{MeetingChange, MeetingRow, MeetingTail, NewMeeting, User};
use serde::Deserialize;

use super::agenda::{busy_series, intervals};
use super::workspaces::authorize;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, CurrentUser};
use crate::schedule::invitations::{self, invitees};
use crate::schedule::stored::{change_of, series_of};
use crate::state::AppState;

/// Attendees one meeting may invite.
pub(super) const MAX_ATTENDEES: usize = 100;
/// How far ahead a new or changed meeting's conflicts are looked for.
const CONFLICT_HORIZON: SignedDuration = SignedDuration::from_hours(90 * 24);
/// The answers an attendee can give.
const ANSWERS: [&str; 3] = ["accepted", "declined", "tentative"];

pub(super) fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "invalid_input", message)
}

/// Runs schedule work off the async workers.
pub(super) async fn blocking<T: Send + 'static>(work: impl FnOnce() -> ApiResult<T> + Send + 'static) -> ApiResult<T> {
    tokio::task::spawn_blocking(work).await.map_err(ApiError::internal)?
}

fn schedule_error(err: reynard_schedule::Error) -> ApiError {
    invalid(err.to_string())
}

fn title_of(text: &str) -> ApiResult<String> {
    let title = text.trim().to_owned();
    if title.is_empty() || title.chars().count() > 200 {
        return Err(invalid("a meeting needs a title of at most 200 characters"));
    }
    Ok(title)
}

fn attendees_of(emails: &[String]) -> ApiResult<Vec<String>> {
    if emails.len() > MAX_ATTENDEES {
        return Err(invalid(format!("at most {MAX_ATTENDEES} attendees")));
    }
    let mut attendees = Vec::new();
    for email in emails {
        let email = reynard_auth::normalize_email(email).map_err(|e| invalid(format!("{email:?}: {e}")))?;
        if !attendees.contains(&email) {
            attendees.push(email);
        }
    }
    Ok(attendees)
}

fn reminders_of(minutes: &[u32]) -> ApiResult<String> {
    reynard_schedule::check_reminders(minutes).map_err(schedule_error)?;
    serde_json::to_string(minutes).map_err(ApiError::internal)
}

/// The organizer of `row` as shown.
async fn organizer_of(state: &AppState, row: &MeetingRow) -> ApiResult<PersonView> {
    Ok(match state.store.user_by_id(&row.organizer_id).await? {
        Some(user) => PersonView { email: user.email, name: user.name },
        None => PersonView { email: String::new(), name: "(deleted account)".to_owned() },
    })
}

async fn view(state: &AppState, row: &MeetingRow, conflicts: Vec<ConflictView>) -> ApiResult<MeetingView> {
    Ok(MeetingView {
        id: row.id.clone(),
        uid: row.uid.clone(),
        workspace_id: row.workspace_id.clone(),
        room_id: row.room_id.clone(),
        organizer_id: row.organizer_id.clone(),
        organizer: organizer_of(state, row).await?,
        title: row.title.clone(),
        description: row.description.clone(),
        start: row.start_local.clone(),
        end: row.end_local.clone(),
        time_zone: row.time_zone.clone(),
        rrule: row.rrule.clone(),
        attendees: row
            .attendees
            .iter()
            .map(|a| AttendeeView { email: a.email.clone(), user_id: a.user_id.clone(), response: a.response.clone() })
            .collect(),
        reminders_minutes: serde_json::from_str(&row.reminders).unwrap_or_default(),
        sequence: row.sequence,
        cancelled: row.cancelled_at.is_some(),
        conflicts,
    })
}

/// `POST /api/v1/workspaces/{ws}/meetings`: a meeting in the workspace, with a
/// room of its own; the answer lists where the organizer and the attendees with
/// an account are already busy. Attendees get an invitation by mail.
pub async fn create(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(ws): Path<WorkspaceId>,
    ApiJson(body): ApiJson<NewMeetingRequest>,
) -> ApiResult<(StatusCode, Json<MeetingView>)> {
    authorize(&state, &ws, &current.user.id, Role::can_manage_rooms, "schedule meetings").await?;
    let title = title_of(&body.title)?;
    let input = SeriesInput {
        title: title.clone(),
        description: body.description.clone(),
        start: body.start.clone(),
        end: body.end.clone(),
        time_zone: body.time_zone.clone(),
        rrule: body.rrule.clone(),
    };
    let series = Series::from_input("new", &input).map_err(schedule_error)?;
    let attendees = attendees_of(&body.attendees)?;
    let reminders = reminders_of(&body.reminders_minutes)?;
    let conflicts = conflicts_for(&state, &current.user, &attendees, series, &[]).await?;
    let room_name: String = title.chars().take(60).collect();
    let meeting = NewMeeting {
        workspace: ws,
        organizer: current.user.id.clone(),
        title,
        description: body.description.unwrap_or_default(),
        start_local: body.start,
        end_local: body.end,
        time_zone: body.time_zone,
        rrule: body.rrule.filter(|r| !r.trim().is_empty()),
        reminders,
        room_name,
    };
    let row = state.store.create_meeting(&meeting, &attendees).await?;
    tracing::info!(meeting = %row.id, room = %row.room_id, "meeting scheduled");
    invitations::send_requests(&state, &row, &invitees(&row, &current.user.email), InvitationKind::New).await;
    Ok((StatusCode::CREATED, Json(view(&state, &row, conflicts).await?)))
}

/// Where the organizer and the attendees with an account are busy during the
/// series' occurrences (over the next 90 days of it), other than in the
/// meetings `except`.
async fn conflicts_for(
    state: &AppState,
    organizer: &User,
    attendees: &[String],
    series: Series,
    except: &[&str],
) -> ApiResult<Vec<ConflictView>> {
    let mut people = vec![(organizer.id.clone(), organizer.email.clone())];
    for (id, email, _) in state.store.users_by_email(attendees).await? {
        if id != organizer.id {
            people.push((id, email));
        }
    }
    let mut busy = Vec::new();
    for (id, email) in &people {
        let series: Vec<Series> = busy_series(state, id, email)
            .await?
            .into_iter()
            .filter(|(_, row)| !except.contains(&row.id.as_str()))
            .map(|(s, _)| s)
            .collect();
        busy.push((email.clone(), series));
    }
    blocking(move || {
        let from = series.zone().resolve(series.start()).map_err(schedule_error)?;
        let to = from.checked_add(CONFLICT_HORIZON).map_err(ApiError::internal)?;
        let candidates = intervals(std::slice::from_ref(&series), from, to)?;
        let per_person: Vec<(String, Vec<Interval>)> = busy
            .iter()
            .map(|(email, series)| Ok((email.clone(), intervals(series, from, to)?)))
            .collect::<ApiResult<_>>()?;
        let people: Vec<PersonBusy<'_>> = per_person
            .iter()
            .map(|(email, busy)| PersonBusy { email: email.as_str(), busy: busy.as_slice() })
            .collect();
        Ok(reynard_schedule::conflicts(&candidates, &people)
            .into_iter()
            .map(|c| ConflictView { email: c.email.clone(), start: c.start.to_string(), end: c.end.to_string() })
            .collect())
    })
    .await
}

/// The meeting, if `user` may see it: a member of its workspace or an attendee
/// (404 otherwise, so that ids do not tell which meetings exist).
async fn visible(state: &AppState, id: &str, user: &User) -> ApiResult<MeetingRow> {
    let row = state.store.meeting(id).await?.ok_or_else(|| ApiError::not_found("meeting"))?;
    let invited = row.attendees.iter().any(|a| a.email == user.email);
    if !invited && authorize(state, &row.workspace_id, &user.id, Role::can_view, "see meetings").await.is_err() {
        return Err(ApiError::not_found("meeting"));
    }
    Ok(row)
}

/// The meeting, if `user` may change it: its organizer or an owner of its workspace.
async fn changeable(state: &AppState, id: &str, user: &User) -> ApiResult<MeetingRow> {
    let row = visible(state, id, user).await?;
    if row.organizer_id != user.id {
        authorize(state, &row.workspace_id, &user.id, Role::can_manage_members, "change others' meetings")
            .await
            .map_err(|_| ApiError::forbidden("only the organizer or a workspace owner changes a meeting"))?;
    }
    if row.cancelled_at.is_some() {
        return Err(ApiError::conflict("the meeting is cancelled"));
    }
    Ok(row)
}

/// `GET /api/v1/meetings/{id}`: for members of its workspace and its attendees.
pub async fn get(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<Json<MeetingView>> {
    let row = visible(&state, &id, &current.user).await?;
    Ok(Json(view(&state, &row, Vec::new()).await?))
}

fn recurrence_id(body: &MeetingChangeRequest) -> ApiResult<jiff::civil::DateTime> {
    let text = body.recurrence_id.as_deref().ok_or_else(|| invalid("this scope needs recurrence_id"))?;
    parse_local(text).map_err(schedule_error)
}

fn parse_optional_local(text: Option<&str>) -> ApiResult<Option<jiff::civil::DateTime>> {
    text.map(parse_local).transpose().map_err(schedule_error)
}

fn series_changes(body: &MeetingChangeRequest) -> ApiResult<SeriesChanges> {
    Ok(SeriesChanges {
        title: body.title.as_deref().map(title_of).transpose()?,
        description: body.description.clone().map(|d| Some(d).filter(|d| !d.trim().is_empty())),
        start: parse_optional_local(body.start.as_deref())?,
        end: parse_optional_local(body.end.as_deref())?,
        zone: body.time_zone.as_deref().map(Zone::new).transpose().map_err(schedule_error)?,
        rule: match &body.rrule {
            None => None,
            Some(None) => Some(None),
            Some(Some(text)) if text.trim().is_empty() => Some(None),
            Some(Some(text)) => Some(Some(Rule::parse(text).map_err(schedule_error)?)),
        },
    })
}

/// Stores `series` as meeting `id` (with new reminders and attendees when given).
async fn store_series(
    state: &AppState,
    id: &str,
    series: &Series,
    reminders: Option<String>,
    attendees: Option<&[String]>,
) -> ApiResult<MeetingRow> {
    let mut change = change_of(series).map_err(ApiError::internal)?;
    change.reminders = reminders;
    state.store.update_meeting(id, &change, attendees).await?.ok_or_else(|| ApiError::not_found("meeting"))
}

/// `PATCH /api/v1/meetings/{id}`: changes the whole series (`scope: all`), one
/// occurrence (`occurrence`, with `recurrence_id`), or this occurrence and
/// the following ones (`following`: the series is split, and the answer is
/// the new series from `recurrence_id` on). Attendees get the update (and
/// those removed a cancellation); the answer lists new conflicts.
pub async fn update(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<MeetingChangeRequest>,
) -> ApiResult<Json<MeetingView>> {
    let row = changeable(&state, &id, &current.user).await?;
    let mut series = series_of(&row).map_err(ApiError::internal)?;
    let attendees = body.attendees.as_deref().map(attendees_of).transpose()?;
    let reminders = body.reminders_minutes.as_deref().map(reminders_of).transpose()?;
    let organizer_email = organizer_of(&state, &row).await?.email;

    let (changed, new_series) = match body.scope {
        EditScope::All => {
            series.edit_all(&series_changes(&body)?).map_err(schedule_error)?;
            (store_series(&state, &row.id, &series, reminders, attendees.as_deref()).await?, false)
        }
        EditScope::Occurrence => {
            if body.time_zone.is_some() || body.rrule.is_some() || attendees.is_some() || reminders.is_some() {
                return Err(invalid(
                    "one occurrence changes only its title, description, start and end; \
                     change the series for the rest",
                ));
            }
            let changes = OccurrenceChanges {
                start: parse_optional_local(body.start.as_deref())?,
                end: parse_optional_local(body.end.as_deref())?,
                title: body.title.as_deref().map(title_of).transpose()?,
                description: body.description.clone(),
            };
            series.edit_occurrence(recurrence_id(&body)?, &changes).map_err(schedule_error)?;
            (store_series(&state, &row.id, &series, None, None).await?, false)
        }
        EditScope::Following => {
            let at = recurrence_id(&body)?;
            match series.edit_this_and_following(at, &series_changes(&body)?, "tail").map_err(schedule_error)? {
                None => (store_series(&state, &row.id, &series, reminders, attendees.as_deref()).await?, false),
                Some(tail) => {
                    let head = change_of(&series).map_err(ApiError::internal)?;
                    let tail_change = change_of(&tail).map_err(ApiError::internal)?;
                    let tail_row = MeetingTail {
                        title: tail.title().to_owned(),
                        description: tail.description().unwrap_or_default().to_owned(),
                        start_local: tail_change.start_local.unwrap_or_default(),
                        end_local: tail_change.end_local.unwrap_or_default(),
                        time_zone: tail.zone().name().to_owned(),
                        rrule: tail.rule().map(ToString::to_string),
                        exdates: tail_change.exdates.unwrap_or_else(|| "[]".to_owned()),
                        overrides: tail_change.overrides.unwrap_or_else(|| "[]".to_owned()),
                        reminders: reminders.clone().unwrap_or_else(|| row.reminders.clone()),
                    };
                    let (head_row, tail_row) = state
                        .store
                        .split_meeting(&row.id, &head, &tail_row)
                        .await?
                        .ok_or_else(|| ApiError::not_found("meeting"))?;
                    invitations::send_requests(
                        &state,
                        &head_row,
                        &invitees(&head_row, &organizer_email),
                        InvitationKind::Update,
                    )
                    .await;
                    let tail_row = match attendees.as_deref() {
                        Some(list) => state
                            .store
                            .update_meeting(&tail_row.id, &MeetingChange::default(), Some(list))
                            .await?
                            .ok_or_else(|| ApiError::not_found("meeting"))?,
                        None => tail_row,
                    };
                    (tail_row, true)
                }
            }
        }
    };
    tracing::info!(meeting = %changed.id, scope = ?body.scope, "meeting changed");
    let now_invited = invitees(&changed, &organizer_email);
    let removed: Vec<String> =
        invitees(&row, &organizer_email).into_iter().filter(|e| !now_invited.contains(e)).collect();
    let kind = if new_series { InvitationKind::New } else { InvitationKind::Update };
    invitations::send_requests(&state, &changed, &now_invited, kind).await;
    invitations::send_cancellations(&state, &row, &removed, None).await;
    let changed_series = series_of(&changed).map_err(ApiError::internal)?;
    let emails: Vec<String> = changed.attendees.iter().map(|a| a.email.clone()).collect();
    let conflicts = conflicts_for(&state, &current.user, &emails, changed_series, &[&row.id, &changed.id]).await?;
    Ok(Json(view(&state, &changed, conflicts).await?))
}

/// `?occurrence=` of a cancellation.
#[derive(Debug, Deserialize)]
pub struct CancelQuery {
    occurrence: Option<String>,
}

/// `DELETE /api/v1/meetings/{id}[?occurrence=2026-10-20T09:30]`: cancels the
/// meeting, or one occurrence of a recurring one (an `EXDATE`). Attendees get
/// a cancellation; reminders and follow-ups stop.
pub async fn cancel(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
    Query(query): Query<CancelQuery>,
) -> ApiResult<StatusCode> {
    let row = changeable(&state, &id, &current.user).await?;
    let organizer_email = organizer_of(&state, &row).await?.email;
    match query.occurrence.as_deref() {
        Some(text) => {
            let key = parse_local(text).map_err(schedule_error)?;
            let mut series = series_of(&row).map_err(ApiError::internal)?;
            series.cancel_occurrence(key).map_err(schedule_error)?;
            let changed = store_series(&state, &row.id, &series, None, None).await?;
            tracing::info!(meeting = %row.id, occurrence = %key, "occurrence cancelled");
            invitations::send_cancellations(&state, &changed, &invitees(&changed, &organizer_email), Some(key)).await;
        }
        None => {
            let cancelled = state
                .store
                .cancel_meeting(&row.id, reynard_store::now_millis())
                .await?
                .ok_or_else(|| ApiError::not_found("meeting"))?;
            tracing::info!(meeting = %row.id, "meeting cancelled");
            invitations::send_cancellations(&state, &cancelled, &invitees(&cancelled, &organizer_email), None).await;
        }
    }
    Ok(StatusCode::NO_CONTENT)
}

fn answer_of(body: &RsvpRequest) -> ApiResult<&str> {
    ANSWERS
        .iter()
        .find(|a| **a == body.response)
        .copied()
        .ok_or_else(|| invalid("response must be accepted, declined or tentative"))
}

/// `POST /api/v1/meetings/{id}/rsvp {response}`: the signed-in attendee's answer.
pub async fn rsvp(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RsvpRequest>,
) -> ApiResult<Json<MeetingView>> {
    let row = visible(&state, &id, &current.user).await?;
    let answer = answer_of(&body)?;
    if row.cancelled_at.is_some() {
        return Err(ApiError::conflict("the meeting is cancelled"));
    }
    if !state.store.set_response(&row.id, &current.user.email, answer, reynard_store::now_millis()).await? {
        return Err(ApiError::forbidden("you are not invited to this meeting"));
    }
    let row = state.store.meeting(&row.id).await?.ok_or_else(|| ApiError::not_found("meeting"))?;
    Ok(Json(view(&state, &row, Vec::new()).await?))
}

/// The meeting and attendee a signed RSVP link is for (404 for a forged link,
/// a deleted meeting, or an attendee no longer invited).
async fn rsvp_target(state: &AppState, token: &str) -> ApiResult<(MeetingRow, String)> {
    let parsed = reynard_auth::RsvpToken::parse(token).map_err(|_| ApiError::not_found("invitation"))?;
    parsed.check(&state.signing_key).map_err(|_| ApiError::not_found("invitation"))?;
    let row = state.store.meeting(&parsed.meeting_id).await?.ok_or_else(|| ApiError::not_found("invitation"))?;
    if !row.attendees.iter().any(|a| a.email == parsed.email) {
        return Err(ApiError::not_found("invitation"));
    }
    Ok((row, parsed.email))
}

async fn rsvp_view(state: &AppState, row: &MeetingRow, email: &str) -> ApiResult<RsvpView> {
    let response = row.attendees.iter().find(|a| a.email == email).map(|a| a.response.clone()).unwrap_or_default();
    Ok(RsvpView {
        meeting_id: row.id.clone(),
        title: row.title.clone(),
        start: row.start_local.clone(),
        end: row.end_local.clone(),
        time_zone: row.time_zone.clone(),
        rrule: row.rrule.clone(),
        organizer: organizer_of(state, row).await?,
        email: email.to_owned(),
        response,
        cancelled: row.cancelled_at.is_some(),
    })
}

/// `GET /api/v1/rsvp/{token}`: the invitation a mail's link is for (no sign-in:
/// the signed link is the credential; reading it changes nothing, so mail
/// scanners that open links answer nothing).
pub async fn rsvp_link(State(state): State<AppState>, Path(token): Path<String>) -> ApiResult<Json<RsvpView>> {
    let (row, email) = rsvp_target(&state, &token).await?;
    Ok(Json(rsvp_view(&state, &row, &email).await?))
}

/// `POST /api/v1/rsvp/{token} {response}`: answers through the mail's link.
pub async fn rsvp_by_link(
    State(state): State<AppState>,
    Path(token): Path<String>,
    ApiJson(body): ApiJson<RsvpRequest>,
) -> ApiResult<Json<RsvpView>> {
    let (row, email) = rsvp_target(&state, &token).await?;
    let answer = answer_of(&body)?;
    if row.cancelled_at.is_some() {
        return Err(ApiError::conflict("the meeting is cancelled"));
    }
    state.store.set_response(&row.id, &email, answer, reynard_store::now_millis()).await?;
    let row = state.store.meeting(&row.id).await?.ok_or_else(|| ApiError::not_found("invitation"))?;
    Ok(Json(rsvp_view(&state, &row, &email).await?))
}
