//! Everyone's time: the signed-in user's agenda (recurrences expanded, in
//! their zone) and free/busy, and slots that suit several people across zones.
//! The rules live in `reynard-schedule`; expansions run off the async workers
//! (their cost grows with the number of series).

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Query, State};
use jiff::{SignedDuration, Timestamp};
use reynard_proto::UserId;
use reynard_proto::schedule::{BusyView, OccurrenceView, SlotRequest, SlotView, SlotsView};
use reynard_schedule::{Attendee, Interval, Series, SlotQuery, WorkingHours, Zone};
use reynard_store::MeetingRow;
use serde::Deserialize;

use super::meetings::{MAX_ATTENDEES, blocking, invalid};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, CurrentUser};
use crate::schedule::stored::{self, short_local};
use crate::state::AppState;

/// The longest agenda or free/busy range one request may ask for.
const MAX_RANGE: SignedDuration = SignedDuration::from_hours(400 * 24);

pub(super) fn parse_instant(text: &str, what: &str) -> ApiResult<Timestamp> {
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
pub(super) async fn busy_series(state: &AppState, user: &UserId, email: &str) -> ApiResult<Vec<(Series, MeetingRow)>> {
    let rows = state.store.meetings_of(user, email, false).await?;
    Ok(rows
        .into_iter()
        .filter(|row| !row.attendees.iter().any(|a| a.email == email && a.response == "declined"))
        .filter_map(|row| match stored::series_of(&row) {
            Ok(series) => Some((series, row)),
            Err(err) => {
                tracing::warn!(meeting = %row.id, %err, "a stored meeting does not read as a series");
                None
            }
        })
        .collect())
}

/// The busy intervals of `series` within `[from, to)`.
pub(super) fn intervals(series: &[Series], from: Timestamp, to: Timestamp) -> ApiResult<Vec<Interval>> {
    let occurrences = reynard_schedule::agenda(series, from, to, &Zone::utc()).map_err(|e| invalid(e.to_string()))?;
    Ok(occurrences.iter().map(|o| o.interval()).collect())
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
    let (user, email) = (current.user.id.clone(), current.user.email.clone());
    blocking(move || {
        let places: HashMap<String, MeetingRow> = busy.iter().map(|(_, row)| (row.id.clone(), row.clone())).collect();
        let series: Vec<Series> = busy.into_iter().map(|(s, _)| s).collect();
        let occurrences = reynard_schedule::agenda(&series, from, to, &zone).map_err(|e| invalid(e.to_string()))?;
        Ok(Json(
            occurrences
                .iter()
                .filter_map(|o| {
                    let row = places.get(o.series_id)?;
                    let response = (row.organizer_id != user)
                        .then(|| row.attendees.iter().find(|a| a.email == email).map(|a| a.response.clone()))
                        .flatten();
                    Some(OccurrenceView {
                        meeting_id: o.series_id.to_owned(),
                        title: o.title.to_owned(),
                        start: o.start_rfc3339(),
                        end: o.end_rfc3339(),
                        recurrence_id: short_local(&o.recurrence_id.to_string()),
                        workspace_id: row.workspace_id.clone(),
                        room_id: row.room_id.clone(),
                        time_zone: row.time_zone.clone(),
                        organizer_id: row.organizer_id.clone(),
                        response,
                        reminders_minutes: serde_json::from_str(&row.reminders).unwrap_or_default(),
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
