//! Meetings and everyone's time: creating a meeting (with its room, and the
//! conflicts it makes), reading one, the signed-in user's agenda and free/busy,
//! and finding slots that suit several people across zones. The rules live in
//! `reynard-schedule`; this file reads and stores, and runs the expansions off
//! the async workers (their cost grows with the number of series).

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use jiff::{SignedDuration, Timestamp};
use reynard_proto::schedule::{
    AttendeeView, BusyView, ConflictView, MeetingView, NewMeetingRequest, OccurrenceView, SlotRequest, SlotView,
    SlotsView,
};
use reynard_proto::{Role, RoomId, UserId, WorkspaceId};
use reynard_schedule::{Attendee, Interval, PersonBusy, Series, SeriesInput, SlotQuery, WorkingHours, Zone};
use reynard_store::{MeetingRow, NewMeeting, User};
use serde::Deserialize;

use super::workspaces::authorize;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, CurrentUser};
use crate::state::AppState;

/// Attendees one meeting may invite.
const MAX_ATTENDEES: usize = 100;
/// Reminders one meeting may have, and how far ahead (four weeks).
const MAX_REMINDERS: usize = 5;
const MAX_REMINDER_MINUTES: u32 = 4 * 7 * 24 * 60;
/// The longest agenda or free/busy range one request may ask for.
const MAX_RANGE: SignedDuration = SignedDuration::from_hours(400 * 24);
/// How far ahead a new meeting's conflicts are looked for.
const CONFLICT_HORIZON: SignedDuration = SignedDuration::from_hours(90 * 24);

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "invalid_input", message)
}

/// Runs schedule work off the async workers.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> ApiResult<T> + Send + 'static) -> ApiResult<T> {
    tokio::task::spawn_blocking(work).await.map_err(ApiError::internal)?
}

/// The series a stored meeting is.
fn series_of(row: &MeetingRow) -> reynard_schedule::Result<Series> {
    let description = Some(row.description.clone()).filter(|d| !d.is_empty());
    let input = SeriesInput {
        title: row.title.clone(),
        description,
        start: row.start_local.clone(),
        end: row.end_local.clone(),
        time_zone: row.time_zone.clone(),
        rrule: row.rrule.clone(),
    };
    Series::from_input(row.id.clone(), &input)
}

fn parse_instant(text: &str, what: &str) -> ApiResult<Timestamp> {
    text.parse::<Timestamp>().map_err(|e| invalid(format!("{what} must be an RFC 3339 instant with an offset: {e}")))
}

fn range(from: &str, to: &str) -> ApiResult<(Timestamp, Timestamp)> {
    let (from, to) = (parse_instant(from, "from")?, parse_instant(to, "to")?);
    if to <= from {
        return Err(invalid("to must be after from"));
    }
    if to.duration_since(from) > MAX_RANGE {
        return Err(invalid("ask for at most 400 days at a time"));
    }
    Ok((from, to))
}

/// A user's meetings that keep them busy (not those they declined), as series.
async fn busy_series(state: &AppState, user: &UserId, email: &str) -> ApiResult<Vec<(Series, MeetingRow)>> {
    let rows = state.store.meetings_of(user, email, false).await?;
    Ok(rows
        .into_iter()
        .filter(|row| !row.attendees.iter().any(|a| a.email == email && a.response == "declined"))
        .filter_map(|row| match series_of(&row) {
            Ok(series) => Some((series, row)),
            Err(err) => {
                tracing::warn!(meeting = %row.id, %err, "a stored meeting does not read as a series");
                None
            }
        })
        .collect())
}

/// The busy intervals of `series` within `[from, to)`.
fn intervals(series: &[Series], from: Timestamp, to: Timestamp) -> ApiResult<Vec<Interval>> {
    let occurrences = reynard_schedule::agenda(series, from, to, &Zone::utc()).map_err(|e| invalid(e.to_string()))?;
    Ok(occurrences.iter().map(|o| o.interval()).collect())
}

fn view(row: &MeetingRow, conflicts: Vec<ConflictView>) -> MeetingView {
    MeetingView {
        id: row.id.clone(),
        uid: row.uid.clone(),
        workspace_id: row.workspace_id.clone(),
        room_id: row.room_id.clone(),
        organizer_id: row.organizer_id.clone(),
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
    }
}

/// `POST /api/v1/workspaces/{ws}/meetings`: a meeting in the workspace, with a
/// room of its own; the answer lists where the organizer and the attendees with
/// an account are already busy.
pub async fn create(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(ws): Path<WorkspaceId>,
    ApiJson(body): ApiJson<NewMeetingRequest>,
) -> ApiResult<(StatusCode, Json<MeetingView>)> {
    authorize(&state, &ws, &current.user.id, Role::can_manage_rooms, "schedule meetings").await?;
    let title = body.title.trim().to_owned();
    if title.is_empty() || title.chars().count() > 200 {
        return Err(invalid("a meeting needs a title of at most 200 characters"));
    }
    let input = SeriesInput {
        title: title.clone(),
        description: body.description.clone(),
        start: body.start.clone(),
        end: body.end.clone(),
        time_zone: body.time_zone.clone(),
        rrule: body.rrule.clone(),
    };
    let series = Series::from_input("new", &input).map_err(|e| invalid(e.to_string()))?;
    if body.attendees.len() > MAX_ATTENDEES {
        return Err(invalid(format!("at most {MAX_ATTENDEES} attendees")));
    }
    let mut attendees = Vec::new();
    for email in &body.attendees {
        let email = reynard_auth::normalize_email(email).map_err(|e| invalid(format!("{email:?}: {e}")))?;
        if !attendees.contains(&email) {
            attendees.push(email);
        }
    }
    if body.reminders_minutes.len() > MAX_REMINDERS || body.reminders_minutes.iter().any(|m| *m > MAX_REMINDER_MINUTES)
    {
        return Err(invalid(format!("at most {MAX_REMINDERS} reminders, each at most four weeks ahead")));
    }
    let conflicts = conflicts_for(&state, &current.user, &attendees, series).await?;
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
        reminders: serde_json::to_string(&body.reminders_minutes).map_err(ApiError::internal)?,
        room_name,
    };
    let row = state.store.create_meeting(&meeting, &attendees).await?;
    tracing::info!(meeting = %row.id, room = %row.room_id, "meeting scheduled");
    Ok((StatusCode::CREATED, Json(view(&row, conflicts))))
}

/// Where the organizer and the attendees with an account are busy during the
/// new series' occurrences (over the next 90 days of it).
async fn conflicts_for(
    state: &AppState,
    organizer: &User,
    attendees: &[String],
    series: Series,
) -> ApiResult<Vec<ConflictView>> {
    let mut people = vec![(organizer.id.clone(), organizer.email.clone())];
    for (id, email, _) in state.store.users_by_email(attendees).await? {
        if id != organizer.id {
            people.push((id, email));
        }
    }
    let mut busy = Vec::new();
    for (id, email) in &people {
        let series: Vec<Series> = busy_series(state, id, email).await?.into_iter().map(|(s, _)| s).collect();
        busy.push((email.clone(), series));
    }
    blocking(move || {
        let from = series.zone().resolve(series.start()).map_err(|e| invalid(e.to_string()))?;
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

/// `GET /api/v1/meetings/{id}`: for members of its workspace and its attendees.
pub async fn get(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<Json<MeetingView>> {
    let row = state.store.meeting(&id).await?.ok_or_else(|| ApiError::not_found("meeting"))?;
    let invited = row.attendees.iter().any(|a| a.email == current.user.email);
    if !invited && authorize(&state, &row.workspace_id, &current.user.id, Role::can_view, "see meetings").await.is_err()
    {
        return Err(ApiError::not_found("meeting"));
    }
    Ok(Json(view(&row, Vec::new())))
}

/// `?from=&to=` of the agenda and free/busy.
#[derive(Debug, Deserialize)]
pub struct Range {
    from: String,
    to: String,
}

/// `GET /api/v1/me/agenda?from=&to=`: the user's occurrences (organized or
/// invited, not declined), recurrences expanded with their exceptions, in the
/// user's zone.
pub async fn agenda(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(range_query): Query<Range>,
) -> ApiResult<Json<Vec<OccurrenceView>>> {
    let (from, to) = range(&range_query.from, &range_query.to)?;
    let zone = Zone::new(&current.user.time_zone).unwrap_or_else(|_| Zone::utc());
    let busy = busy_series(&state, &current.user.id, &current.user.email).await?;
    blocking(move || {
        let places: std::collections::HashMap<String, (WorkspaceId, RoomId)> =
            busy.iter().map(|(_, row)| (row.id.clone(), (row.workspace_id.clone(), row.room_id.clone()))).collect();
        let series: Vec<Series> = busy.into_iter().map(|(s, _)| s).collect();
        let occurrences = reynard_schedule::agenda(&series, from, to, &zone).map_err(|e| invalid(e.to_string()))?;
        Ok(Json(
            occurrences
                .iter()
                .filter_map(|o| {
                    let (workspace_id, room_id) = places.get(o.series_id)?.clone();
                    Some(OccurrenceView {
                        meeting_id: o.series_id.to_owned(),
                        title: o.title.to_owned(),
                        start: o.start_rfc3339(),
                        end: o.end_rfc3339(),
                        recurrence_id: o.recurrence_id.to_string(),
                        workspace_id,
                        room_id,
                    })
                })
                .collect(),
        ))
    })
    .await
}

/// `GET /api/v1/me/freebusy?from=&to=`: the user's busy time, merged.
pub async fn freebusy(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(range_query): Query<Range>,
) -> ApiResult<Json<Vec<BusyView>>> {
    let (from, to) = range(&range_query.from, &range_query.to)?;
    let busy = busy_series(&state, &current.user.id, &current.user.email).await?;
    blocking(move || {
        let series: Vec<Series> = busy.into_iter().map(|(s, _)| s).collect();
        let merged = reynard_schedule::merge_busy(intervals(&series, from, to)?);
        Ok(Json(merged.iter().map(|i| BusyView { start: i.start.to_string(), end: i.end.to_string() }).collect()))
    })
    .await
}

/// `POST /api/v1/scheduling/slots`: times inside every attendee's working
/// hours (in their zones) and outside their meetings, fairest first. The
/// signed-in user always takes part (first: the grid follows their clock);
/// the others must share a workspace with them.
pub async fn slots(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(body): ApiJson<SlotRequest>,
) -> ApiResult<Json<SlotsView>> {
    let (from, to) = range(&body.from, &body.to)?;
    if body.attendees.len() > MAX_ATTENDEES {
        return Err(invalid(format!("at most {MAX_ATTENDEES} attendees")));
    }
    let mut emails = vec![current.user.email.clone()];
    for email in &body.attendees {
        let email = reynard_auth::normalize_email(email).map_err(|e| invalid(format!("{email:?}: {e}")))?;
        if !emails.contains(&email) {
            emails.push(email);
        }
    }
    let known = colleagues(&state, &current.user.id).await?;
    if let Some(stranger) = emails.iter().skip(1).find(|e| !known.contains(*e)) {
        return Err(invalid(format!("{stranger} shares no workspace with you")));
    }
    let users = state.store.users_by_email(&emails).await?;
    let mut attendees = Vec::new();
    for email in &emails {
        let Some((id, _, profile)) = users.iter().find(|(_, e, _)| e == email) else {
            return Err(invalid(format!("{email} has no account")));
        };
        let zone = Zone::new(&profile.time_zone).unwrap_or_else(|_| Zone::utc());
        let map: std::collections::BTreeMap<String, Vec<(String, String)>> =
            serde_json::from_str(&profile.working_hours).unwrap_or_default();
        let working_hours = WorkingHours::from_map(&map).map_err(ApiError::internal)?;
        let series: Vec<Series> = busy_series(&state, id, email).await?.into_iter().map(|(s, _)| s).collect();
        attendees.push((email.clone(), zone, working_hours, series));
    }
    let minutes = |m: u32| SignedDuration::from_mins(i64::from(m));
    let query = SlotQuery {
        duration: minutes(body.duration_minutes),
        from,
        to,
        granularity: minutes(body.granularity_minutes.unwrap_or(15)),
        buffer: minutes(body.buffer_minutes.unwrap_or(0)),
        limit: 50,
    };
    blocking(move || {
        let attendees: Vec<Attendee> = attendees
            .into_iter()
            .map(|(email, zone, working_hours, series)| {
                Ok(Attendee { email, zone, working_hours, busy: intervals(&series, from, to)?, required: true })
            })
            .collect::<ApiResult<_>>()?;
        let slots = reynard_schedule::find_slots(&attendees, &query).map_err(|e| invalid(e.to_string()))?;
        Ok(Json(SlotsView {
            slots: slots
                .into_iter()
                .map(|s| SlotView {
                    start: s.start.to_string(),
                    end: s.end.to_string(),
                    score: f64::from(s.score.worst) + f64::from(s.score.total) / 1000.0,
                    reasons: s.reasons,
                })
                .collect(),
        }))
    })
    .await
}

/// Emails of everyone who shares a workspace with `user`.
async fn colleagues(state: &AppState, user: &UserId) -> ApiResult<Vec<String>> {
    let mut emails = Vec::new();
    for ws in state.store.workspaces_for(user).await? {
        for member in state.store.members(&ws.id).await? {
            if !emails.contains(&member.email) {
                emails.push(member.email);
            }
        }
    }
    Ok(emails)
}
