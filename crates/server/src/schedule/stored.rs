//! A stored meeting as a schedule [`Series`] and back: the row keeps local
//! times, the zone, the rule, and the exceptions (cancelled and changed
//! occurrences) as JSON; the series is what expands, edits and writes
//! iCalendar.

use reynard_schedule::{Error, Result, Series};
use reynard_store::{MeetingChange, MeetingRow};
use serde_json::{Value, json};

/// The series a stored meeting is, with its exceptions.
pub fn series_of(row: &MeetingRow) -> Result<Series> {
    let parse = |text: &str, what: &str| -> Result<Value> {
        serde_json::from_str(text).map_err(|e| Error::Invalid(format!("stored {what}: {e}")))
    };
    let mut value = json!({
        "id": row.id,
        "title": row.title,
        "start": row.start_local,
        "end": row.end_local,
        "time_zone": row.time_zone,
        "exdates": parse(&row.exdates, "exdates")?,
        "overrides": parse(&row.overrides, "overrides")?,
    });
    if !row.description.is_empty() {
        value["description"] = json!(row.description);
    }
    if let Some(rrule) = row.rrule.as_deref().filter(|r| !r.trim().is_empty()) {
        value["rrule"] = json!(rrule);
    }
    serde_json::from_value(value).map_err(|e| Error::Invalid(format!("stored meeting {}: {e}", row.id)))
}

/// Everything about `series` as a change to its stored row.
pub fn change_of(series: &Series) -> Result<MeetingChange> {
    let value = serde_json::to_value(series).map_err(|e| Error::Invalid(e.to_string()))?;
    let text = |key: &str| value.get(key).and_then(Value::as_str).map(str::to_owned);
    let list = |key: &str| value.get(key).cloned().unwrap_or_else(|| json!([])).to_string();
    Ok(MeetingChange {
        title: Some(series.title().to_owned()),
        description: Some(series.description().unwrap_or_default().to_owned()),
        start_local: text("start").map(|t| short_local(&t)),
        end_local: text("end").map(|t| short_local(&t)),
        time_zone: Some(series.zone().name().to_owned()),
        rrule: Some(series.rule().map(ToString::to_string)),
        exdates: Some(list("exdates")),
        overrides: Some(list("overrides")),
        reminders: None,
    })
}

/// `2026-10-20T09:30:00` as the API writes it, `2026-10-20T09:30` (seconds
/// only when there are any).
pub fn short_local(text: &str) -> String {
    text.strip_suffix(":00").filter(|t| t.len() == 16).map_or_else(|| text.to_owned(), str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reynard_proto::{RoomId, UserId, WorkspaceId};
    use reynard_schedule::{OccurrenceChanges, parse_local};

    fn row() -> MeetingRow {
        MeetingRow {
            id: "m1".to_owned(),
            uid: "m1@reynard".to_owned(),
            workspace_id: WorkspaceId::new("w"),
            room_id: RoomId::new("r"),
            organizer_id: UserId::new("u"),
            title: "Standup".to_owned(),
            description: String::new(),
            start_local: "2026-10-20T09:30".to_owned(),
            end_local: "2026-10-20T09:45".to_owned(),
            time_zone: "Europe/London".to_owned(),
            rrule: Some("FREQ=DAILY;COUNT=5".to_owned()),
            exdates: "[]".to_owned(),
            overrides: "[]".to_owned(),
            reminders: "[]".to_owned(),
            sequence: 0,
            cancelled_at: None,
            created_at: 0,
            updated_at: 0,
            attendees: Vec::new(),
        }
    }

    #[test]
    fn exceptions_survive_the_round_trip_through_the_row() {
        let mut series = series_of(&row()).unwrap();
        series.cancel_occurrence(parse_local("2026-10-21T09:30").unwrap()).unwrap();
        let moved = OccurrenceChanges { start: Some(parse_local("2026-10-22T11:00").unwrap()), ..Default::default() };
        series.edit_occurrence(parse_local("2026-10-22T09:30").unwrap(), &moved).unwrap();
        let change = change_of(&series).unwrap();
        assert_eq!(change.start_local.as_deref(), Some("2026-10-20T09:30"));
        let mut stored = row();
        stored.exdates = change.exdates.unwrap();
        stored.overrides = change.overrides.unwrap();
        assert_eq!(series_of(&stored).unwrap(), series);
    }

    #[test]
    fn broken_stored_json_is_an_error() {
        let mut stored = row();
        stored.exdates = "not json".to_owned();
        assert!(series_of(&stored).is_err());
    }
}
