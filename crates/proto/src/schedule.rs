//! Meeting scheduling: the JSON shapes of working hours, meetings, the agenda,
//! free/busy and slot finding.
//!
//! Local date-times are `YYYY-MM-DDTHH:MM` wall-clock times in the meeting's
//! IANA zone (what is stored: occurrences keep their wall-clock time across
//! DST changes); instants in answers are RFC 3339 with the offset of the
//! zone they are shown in.

use serde::{Deserialize, Serialize};

use crate::ids::{RoomId, UserId, WorkspaceId};

/// `POST /api/v1/scheduling/slots`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct SlotRequest {
    /// Emails of the required attendees (members of a workspace you share).
    pub attendees: Vec<String>,
    pub duration_minutes: u32,
    /// RFC 3339 instants bounding the search.
    pub from: String,
    pub to: String,
    /// Slots start on this grid (default 15).
    #[serde(default)]
    pub granularity_minutes: Option<u32>,
    /// Free time kept around everyone's busy time (default 0).
    #[serde(default)]
    pub buffer_minutes: Option<u32>,
}

/// One proposed slot, best first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct SlotView {
    pub start: String,
    pub end: String,
    /// Lower is better: how inconvenient the slot is for the attendee it suits least, then for all.
    pub score: f64,
    /// Why, in words: each attendee's local time.
    pub reasons: Vec<String>,
}

/// `POST /api/v1/scheduling/slots` answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct SlotsView {
    pub slots: Vec<SlotView>,
}

/// A busy interval (free/busy answers, conflicts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct BusyView {
    pub start: String,
    pub end: String,
}

/// Where someone is already busy during a new or moved meeting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ConflictView {
    pub email: String,
    pub start: String,
    pub end: String,
}

/// `POST /api/v1/workspaces/{ws}/meetings`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct NewMeetingRequest {
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Local start, `2026-10-20T09:30`, in `time_zone`.
    pub start: String,
    /// Local end, `2026-10-20T10:00`, in `time_zone`.
    pub end: String,
    /// IANA zone of `start` and `end`.
    pub time_zone: String,
    /// How it repeats: an RFC 5545 `RRULE` value such as `FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10`.
    #[serde(default)]
    pub rrule: Option<String>,
    /// Emails of the invited (members or not).
    #[serde(default)]
    pub attendees: Vec<String>,
    /// Reminders, in minutes before each occurrence.
    #[serde(default)]
    pub reminders_minutes: Vec<u32>,
}

/// An invited person and their answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct AttendeeView {
    pub email: String,
    /// Their account, when the email has one.
    pub user_id: Option<UserId>,
    /// `needs_action`, `accepted`, `declined` or `tentative`.
    pub response: String,
}

/// A meeting (single or recurring).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct MeetingView {
    pub id: String,
    /// Its iCalendar UID.
    pub uid: String,
    pub workspace_id: WorkspaceId,
    /// The room (and call) the meeting happens in.
    pub room_id: RoomId,
    pub organizer_id: UserId,
    /// Who organizes (email and display name).
    pub organizer: PersonView,
    pub title: String,
    pub description: String,
    pub start: String,
    pub end: String,
    pub time_zone: String,
    pub rrule: Option<String>,
    pub attendees: Vec<AttendeeView>,
    pub reminders_minutes: Vec<u32>,
    /// Bumped by every change (iCalendar `SEQUENCE`).
    pub sequence: i64,
    pub cancelled: bool,
    /// Where the organizer or attendees with an account are already busy
    /// (answers to creating or changing a meeting; empty otherwise).
    pub conflicts: Vec<ConflictView>,
}

/// One occurrence in an agenda.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct OccurrenceView {
    pub meeting_id: String,
    pub title: String,
    /// RFC 3339 with the offset of the user's zone.
    pub start: String,
    pub end: String,
    /// The occurrence's original local start in the meeting's zone (its `RECURRENCE-ID`).
    pub recurrence_id: String,
    pub workspace_id: WorkspaceId,
    pub room_id: RoomId,
    /// The meeting's IANA zone.
    pub time_zone: String,
    pub organizer_id: UserId,
    /// Your answer (`needs_action`, `accepted`, `tentative`), `None` when you organize it.
    pub response: Option<String>,
    /// The meeting's reminders, in minutes before the start.
    pub reminders_minutes: Vec<u32>,
}

/// Someone with an address and a name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PersonView {
    pub email: String,
    pub name: String,
}

/// Which occurrences a change applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum EditScope {
    /// The whole series (or the single meeting).
    #[default]
    All,
    /// One occurrence, by `recurrence_id`.
    Occurrence,
    /// The occurrence at `recurrence_id` and every later one (the series is split).
    Following,
}

/// `PATCH /api/v1/meetings/{id}`: absent fields stay as they are.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct MeetingChangeRequest {
    #[serde(default)]
    pub scope: EditScope,
    /// The occurrence's original local start (an agenda entry's `recurrence_id`);
    /// required by the `occurrence` and `following` scopes.
    #[serde(default)]
    pub recurrence_id: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// New local start, `2026-10-20T09:30`.
    #[serde(default)]
    pub start: Option<String>,
    #[serde(default)]
    pub end: Option<String>,
    #[serde(default)]
    pub time_zone: Option<String>,
    /// A new `RRULE`; `null` makes the meeting a single one.
    #[serde(default, with = "double_option")]
    #[cfg_attr(feature = "openapi", schemars(with = "Option<String>"))]
    pub rrule: Option<Option<String>>,
    /// The new attendee list (those who stay keep their answers).
    #[serde(default)]
    pub attendees: Option<Vec<String>>,
    #[serde(default)]
    pub reminders_minutes: Option<Vec<u32>>,
}

/// `null` kept apart from an absent field.
mod double_option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(value: &Option<Option<String>>, serializer: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(inner) => inner.serialize(serializer),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Option<String>>, D::Error> {
        Option::<String>::deserialize(deserializer).map(Some)
    }
}

/// `POST /api/v1/meetings/{id}/rsvp` and `POST /api/v1/rsvp/{token}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RsvpRequest {
    /// `accepted`, `declined` or `tentative`.
    pub response: String,
}

/// What a signed RSVP link shows: the meeting and the invitee's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct RsvpView {
    pub meeting_id: String,
    pub title: String,
    /// Local start and end in `time_zone`.
    pub start: String,
    pub end: String,
    pub time_zone: String,
    pub rrule: Option<String>,
    pub organizer: PersonView,
    pub email: String,
    pub response: String,
    pub cancelled: bool,
}

/// `GET /api/v1/me/calendar-feed`: the address calendar apps subscribe to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct CalendarFeedView {
    pub url: String,
}
