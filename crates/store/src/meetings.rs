//! Meetings: a series (or a single meeting) in local time with its time zone,
//! the room it is held in, its attendees and their responses; splitting a
//! series in two ("this and following"); which reminders went out; the secret
//! of each user's calendar feed.
//!
//! The store keeps what the scheduling logic and the API need as plain columns
//! and JSON text (exdates, overrides, reminders, working hours) and interprets
//! none of it: expanding occurrences, time zones and iCalendar are theirs.
//!
//! Attendees are keyed by lower-cased email, so that people without an account
//! can be invited; the user id is filled in for emails that have one.

use std::collections::BTreeSet;

use reynard_proto::{RoomId, UserId, WorkspaceId};
use sqlx::any::AnyRow;
use sqlx::{Any, AssertSqlSafe, Row, Transaction};

use crate::accounts::Profile;
use crate::{Error, Result, Store, new_id, now_millis};

/// The columns of a meeting, in [`meeting_from_row`]'s terms.
const MEETING_COLUMNS: &str = "id, uid, workspace_id, room_id, organizer_id, title, description, start_local, \
     end_local, time_zone, rrule, exdates, overrides, reminders, sequence, cancelled_at, created_at, updated_at";

/// How many values one `IN (…)` list binds, well below both backends' limits.
const IN_CHUNK: usize = 500;

/// How many taken room names [`Store::create_meeting`] steps over before it
/// gives up (only reached when other meetings take the same names meanwhile).
const ROOM_NAME_ATTEMPTS: u64 = 100;

/// The responses an attendee can give (the column's `CHECK`).
pub const RESPONSES: [&str; 4] = ["needs_action", "accepted", "declined", "tentative"];

/// What [`Store::create_meeting`] stores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMeeting {
    pub workspace: WorkspaceId,
    pub organizer: UserId,
    pub title: String,
    pub description: String,
    /// Local date-time of the (first) start, e.g. `2026-10-20T09:30`.
    pub start_local: String,
    pub end_local: String,
    /// IANA time zone the local times are in.
    pub time_zone: String,
    /// RFC 5545 recurrence rule; `None` for a single meeting.
    pub rrule: Option<String>,
    /// JSON array of minutes before each occurrence.
    pub reminders: String,
    /// The name wanted for the meeting's room; the store appends ` (2)`,
    /// ` (3)`… when the workspace already has a room of that name.
    pub room_name: String,
}

/// A stored meeting with its attendees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingRow {
    pub id: String,
    /// iCalendar UID, the same for the meeting's whole life.
    pub uid: String,
    pub workspace_id: WorkspaceId,
    pub room_id: RoomId,
    pub organizer_id: UserId,
    pub title: String,
    pub description: String,
    pub start_local: String,
    pub end_local: String,
    pub time_zone: String,
    pub rrule: Option<String>,
    /// JSON array of local start times of removed occurrences.
    pub exdates: String,
    /// JSON, opaque to the store.
    pub overrides: String,
    /// JSON array of minutes.
    pub reminders: String,
    /// iCalendar SEQUENCE: 0 when created, bumped by each update and the cancellation.
    pub sequence: i64,
    /// Unix ms; the row stays after cancellation (for CANCEL mails and feeds).
    pub cancelled_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// By email.
    pub attendees: Vec<AttendeeRow>,
}

/// One attendee of a meeting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttendeeRow {
    /// Lower-cased.
    pub email: String,
    /// The account with this email, when there was one as the attendee was
    /// added (or the list was last replaced); `None` otherwise.
    pub user_id: Option<UserId>,
    /// One of [`RESPONSES`].
    pub response: String,
    pub responded_at: Option<i64>,
}

/// What [`Store::update_meeting`] changes: `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MeetingChange {
    pub title: Option<String>,
    pub description: Option<String>,
    pub start_local: Option<String>,
    pub end_local: Option<String>,
    pub time_zone: Option<String>,
    /// `Some(None)` removes the rule (a single meeting from then on).
    pub rrule: Option<Option<String>>,
    pub exdates: Option<String>,
    pub overrides: Option<String>,
    pub reminders: Option<String>,
}

/// The second half of a series split by [`Store::split_meeting`]: a meeting of
/// its own from the split on, in the same workspace and room.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MeetingTail {
    pub title: String,
    pub description: String,
    /// Local date-time of its first start.
    pub start_local: String,
    pub end_local: String,
    pub time_zone: String,
    pub rrule: Option<String>,
    /// JSON array, as [`MeetingRow::exdates`].
    pub exdates: String,
    /// JSON, as [`MeetingRow::overrides`].
    pub overrides: String,
    /// JSON array of minutes.
    pub reminders: String,
}

fn meeting_from_row(row: &AnyRow) -> Result<MeetingRow> {
    Ok(MeetingRow {
        id: row.try_get("id")?,
        uid: row.try_get("uid")?,
        workspace_id: WorkspaceId::new(row.try_get::<String, _>("workspace_id")?),
        room_id: RoomId::new(row.try_get::<String, _>("room_id")?),
        organizer_id: UserId::new(row.try_get::<String, _>("organizer_id")?),
        title: row.try_get("title")?,
        description: row.try_get("description")?,
        start_local: row.try_get("start_local")?,
        end_local: row.try_get("end_local")?,
        time_zone: row.try_get("time_zone")?,
        rrule: row.try_get("rrule")?,
        exdates: row.try_get("exdates")?,
        overrides: row.try_get("overrides")?,
        reminders: row.try_get("reminders")?,
        sequence: row.try_get("sequence")?,
        cancelled_at: row.try_get("cancelled_at")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        attendees: Vec::new(),
    })
}

fn attendee_from_row(row: &AnyRow) -> Result<AttendeeRow> {
    Ok(AttendeeRow {
        email: row.try_get("email")?,
        user_id: row.try_get::<Option<String>, _>("user_id")?.map(UserId::new),
        response: row.try_get("response")?,
        responded_at: row.try_get("responded_at")?,
    })
}

/// Emails as accounts store them (trimmed, lower-cased), blanks and repeats
/// dropped, in their first order.
fn normalize_emails(emails: &[String]) -> Vec<String> {
    let mut seen = BTreeSet::new();
    emails
        .iter()
        .map(|email| email.trim().to_lowercase())
        .filter(|email| !email.is_empty() && seen.insert(email.clone()))
        .collect()
}

/// `base` for the first room of that name, `base (n)` for the n-th.
fn numbered_name(base: &str, n: u64) -> String {
    if n <= 1 { base.to_owned() } else { format!("{base} ({n})") }
}

/// The first number `n` whose [`numbered_name`] is not among `taken`.
fn first_free_number<'a>(base: &str, taken: impl IntoIterator<Item = &'a str>) -> u64 {
    let prefix = format!("{base} (");
    let used: BTreeSet<u64> = taken
        .into_iter()
        .filter_map(|name| {
            if name == base {
                return Some(1);
            }
            let n: u64 = name.strip_prefix(&prefix)?.strip_suffix(')')?.parse().ok()?;
            (n >= 2 && numbered_name(base, n) == name).then_some(n)
        })
        .collect();
    (1..).find(|n| !used.contains(n)).unwrap_or(1)
}

/// `$first, $first+1, …` for `count` values.
fn placeholders(first: usize, count: usize) -> String {
    (first..first + count).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// Adds `email` to a meeting with the id of its account, if any. An attendee
/// already there keeps their response; a user id missing before is filled in.
async fn upsert_attendee(tx: &mut Transaction<'_, Any>, meeting: &str, email: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO meeting_attendees (meeting_id, email, user_id) \
         VALUES ($1, $2, (SELECT id FROM users WHERE email = $2)) \
         ON CONFLICT (meeting_id, email) DO UPDATE \
         SET user_id = COALESCE(meeting_attendees.user_id, excluded.user_id)",
    )
    .bind(meeting)
    .bind(email)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Applies `change` to meeting `id`, bumping its sequence; `false` when there
/// is no such meeting.
async fn apply_change(tx: &mut Transaction<'_, Any>, id: &str, change: &MeetingChange, now: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE meetings SET title = COALESCE($1, title), description = COALESCE($2, description), \
         start_local = COALESCE($3, start_local), end_local = COALESCE($4, end_local), \
         time_zone = COALESCE($5, time_zone), rrule = CASE WHEN $6 = 1 THEN $7 ELSE rrule END, \
         exdates = COALESCE($8, exdates), overrides = COALESCE($9, overrides), \
         reminders = COALESCE($10, reminders), sequence = sequence + 1, updated_at = $11 WHERE id = $12",
    )
    .bind(change.title.as_deref())
    .bind(change.description.as_deref())
    .bind(change.start_local.as_deref())
    .bind(change.end_local.as_deref())
    .bind(change.time_zone.as_deref())
    .bind(i64::from(change.rrule.is_some()))
    .bind(change.rrule.clone().flatten())
    .bind(change.exdates.as_deref())
    .bind(change.overrides.as_deref())
    .bind(change.reminders.as_deref())
    .bind(now)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() > 0)
}

impl Store {
    /// Creates the meeting, its room (in its workspace, named after
    /// `meeting.room_name`, numbered if taken) and its attendees (emails
    /// lower-cased; user ids filled in for emails of existing users) in one
    /// transaction. A missing workspace or organizer is [`Error::NotFound`].
    pub async fn create_meeting(&self, meeting: &NewMeeting, attendees: &[String]) -> Result<MeetingRow> {
        let id = new_id();
        let room_id = new_id();
        let now = now_millis();
        // Which numbers are taken, read before the transaction so that its
        // first statement writes (SQLite then waits for the write lock rather
        // than failing to upgrade a stale read); the insert below still steps
        // over names taken meanwhile.
        let prefix = format!("{} (", meeting.room_name);
        let taken = sqlx::query(
            "SELECT name FROM rooms WHERE workspace_id = $1 \
             AND (name = $2 OR substr(name, 1, CAST($3 AS INTEGER)) = $4)",
        )
        .bind(meeting.workspace.as_str())
        .bind(&meeting.room_name)
        .bind(i64::try_from(prefix.chars().count()).unwrap_or(i64::MAX))
        .bind(&prefix)
        .fetch_all(&self.pool)
        .await?;
        let taken = taken.iter().map(|row| row.try_get::<String, _>("name")).collect::<Result<Vec<_>, _>>()?;
        let first = first_free_number(&meeting.room_name, taken.iter().map(String::as_str));

        let mut tx = self.pool.begin().await?;
        let mut created = false;
        for n in first..first + ROOM_NAME_ATTEMPTS {
            let done = sqlx::query(
                "INSERT INTO rooms (id, workspace_id, name, created_by, created_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (workspace_id, name) DO NOTHING",
            )
            .bind(&room_id)
            .bind(meeting.workspace.as_str())
            .bind(numbered_name(&meeting.room_name, n))
            .bind(meeting.organizer.as_str())
            .bind(now)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() > 0 {
                created = true;
                break;
            }
        }
        if !created {
            return Err(Error::Conflict("no free room name for this meeting".to_owned()));
        }
        sqlx::query(
            "INSERT INTO meetings (id, uid, workspace_id, room_id, organizer_id, title, description, start_local, \
             end_local, time_zone, rrule, reminders, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13)",
        )
        .bind(&id)
        .bind(format!("{id}@reynard"))
        .bind(meeting.workspace.as_str())
        .bind(&room_id)
        .bind(meeting.organizer.as_str())
        .bind(&meeting.title)
        .bind(&meeting.description)
        .bind(&meeting.start_local)
        .bind(&meeting.end_local)
        .bind(&meeting.time_zone)
        .bind(meeting.rrule.as_deref())
        .bind(&meeting.reminders)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        for email in normalize_emails(attendees) {
            upsert_attendee(&mut tx, &id, &email).await?;
        }
        tx.commit().await?;
        self.meeting(&id).await?.ok_or(Error::NotFound("meeting"))
    }

    /// One meeting with its attendees, cancelled or not.
    pub async fn meeting(&self, id: &str) -> Result<Option<MeetingRow>> {
        let row = sqlx::query(AssertSqlSafe(format!("SELECT {MEETING_COLUMNS} FROM meetings WHERE id = $1")))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let mut meetings = vec![meeting_from_row(&row)?];
        self.fill_attendees(&mut meetings).await?;
        Ok(meetings.pop())
    }

    /// Applies a change, bumps `sequence` and `updated_at`; replaces the
    /// attendee list when `attendees` is `Some` (emails lower-cased; those
    /// that stay keep their responses). One transaction. `None` when there
    /// is no such meeting. A cancelled meeting is updated like any other.
    pub async fn update_meeting(
        &self,
        id: &str,
        change: &MeetingChange,
        attendees: Option<&[String]>,
    ) -> Result<Option<MeetingRow>> {
        let mut tx = self.pool.begin().await?;
        if !apply_change(&mut tx, id, change, now_millis()).await? {
            tx.rollback().await?;
            return Ok(None);
        }
        if let Some(attendees) = attendees {
            let wanted = normalize_emails(attendees);
            let current = sqlx::query("SELECT email FROM meeting_attendees WHERE meeting_id = $1")
                .bind(id)
                .fetch_all(&mut *tx)
                .await?;
            for row in &current {
                let email: String = row.try_get("email")?;
                if !wanted.contains(&email) {
                    sqlx::query("DELETE FROM meeting_attendees WHERE meeting_id = $1 AND email = $2")
                        .bind(id)
                        .bind(&email)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            for email in &wanted {
                upsert_attendee(&mut tx, id, email).await?;
            }
        }
        tx.commit().await?;
        self.meeting(id).await
    }

    /// Splits a series in two, in one transaction: meeting `id` becomes the
    /// first half, changed by `head` as [`Store::update_meeting`] changes it
    /// (its sequence bumped), and a new meeting (a new id and UID, sequence 0)
    /// in the same workspace and room, with the same organizer, holds `tail`
    /// with a copy of every attendee of `id`, their responses included.
    /// Returns both, head first; `None` when there is no such meeting.
    pub async fn split_meeting(
        &self,
        id: &str,
        head: &MeetingChange,
        tail: &MeetingTail,
    ) -> Result<Option<(MeetingRow, MeetingRow)>> {
        let tail_id = new_id();
        let now = now_millis();
        let mut tx = self.pool.begin().await?;
        if !apply_change(&mut tx, id, head, now).await? {
            tx.rollback().await?;
            return Ok(None);
        }
        sqlx::query(
            "INSERT INTO meetings (id, uid, workspace_id, room_id, organizer_id, title, description, start_local, \
             end_local, time_zone, rrule, exdates, overrides, reminders, sequence, created_at, updated_at) \
             SELECT $1, $2, workspace_id, room_id, organizer_id, $3, $4, $5, $6, $7, $8, $9, $10, $11, 0, $12, $12 \
             FROM meetings WHERE id = $13",
        )
        .bind(&tail_id)
        .bind(format!("{tail_id}@reynard"))
        .bind(&tail.title)
        .bind(&tail.description)
        .bind(&tail.start_local)
        .bind(&tail.end_local)
        .bind(&tail.time_zone)
        .bind(tail.rrule.as_deref())
        .bind(&tail.exdates)
        .bind(&tail.overrides)
        .bind(&tail.reminders)
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO meeting_attendees (meeting_id, email, user_id, response, responded_at) \
             SELECT $1, email, user_id, response, responded_at FROM meeting_attendees WHERE meeting_id = $2",
        )
        .bind(&tail_id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        let head = self.meeting(id).await?.ok_or(Error::NotFound("meeting"))?;
        let tail = self.meeting(&tail_id).await?.ok_or(Error::NotFound("meeting"))?;
        Ok(Some((head, tail)))
    }

    /// Marks a meeting cancelled at `now` (the row stays, for CANCEL mails and
    /// feeds) and bumps its sequence. Cancelling it again changes nothing.
    /// `None` when there is no such meeting.
    pub async fn cancel_meeting(&self, id: &str, now: i64) -> Result<Option<MeetingRow>> {
        sqlx::query(
            "UPDATE meetings SET cancelled_at = $1, sequence = sequence + 1, updated_at = $1 \
             WHERE id = $2 AND cancelled_at IS NULL",
        )
        .bind(now)
        .bind(id)
        .execute(&self.pool)
        .await?;
        self.meeting(id).await
    }

    /// Meetings `user` organizes or attends (by user id, or by `email` for
    /// invitations from before their account knew it), in creation order;
    /// cancelled ones only when asked.
    pub async fn meetings_of(&self, user: &UserId, email: &str, include_cancelled: bool) -> Result<Vec<MeetingRow>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {MEETING_COLUMNS} FROM meetings WHERE (organizer_id = $1 OR id IN \
             (SELECT meeting_id FROM meeting_attendees WHERE user_id = $1 OR email = $2)) \
             AND ($3 = 1 OR cancelled_at IS NULL) ORDER BY id"
        )))
        .bind(user.as_str())
        .bind(email.trim().to_lowercase())
        .bind(i64::from(include_cancelled))
        .fetch_all(&self.pool)
        .await?;
        self.meetings_from_rows(&rows).await
    }

    /// Meetings that may have reminders to send: those not cancelled whose
    /// reminder list is not `[]`, in creation order. Which occurrences are
    /// due is for the scheduling logic to work out.
    pub async fn meetings_with_reminders(&self) -> Result<Vec<MeetingRow>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {MEETING_COLUMNS} FROM meetings WHERE cancelled_at IS NULL AND reminders <> '[]' ORDER BY id"
        )))
        .fetch_all(&self.pool)
        .await?;
        self.meetings_from_rows(&rows).await
    }

    /// Every meeting not cancelled, with its attendees, in creation order:
    /// those whose ended occurrences may be due a follow-up.
    pub async fn live_meetings(&self) -> Result<Vec<MeetingRow>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {MEETING_COLUMNS} FROM meetings WHERE cancelled_at IS NULL ORDER BY id"
        )))
        .fetch_all(&self.pool)
        .await?;
        self.meetings_from_rows(&rows).await
    }

    /// Records an attendee's response (one of [`RESPONSES`], checked by the
    /// database) at `now`. `false` when `email` is not an attendee.
    pub async fn set_response(&self, meeting: &str, email: &str, response: &str, now: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE meeting_attendees SET response = $1, responded_at = $2 WHERE meeting_id = $3 AND email = $4",
        )
        .bind(response)
        .bind(now)
        .bind(meeting)
        .bind(email.trim().to_lowercase())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Records the reminder `minutes` before the occurrence originally starting
    /// at `occurrence` as sent; `false` if it already was. Claimed before the
    /// mail goes out, by one statement whose conflict does nothing, so that
    /// only one of any number of processes (or restarts) sends it.
    pub async fn claim_reminder(&self, meeting: &str, occurrence: &str, minutes: i64, now: i64) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO reminders_sent (meeting_id, occurrence, minutes, sent_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (meeting_id, occurrence, minutes) DO NOTHING",
        )
        .bind(meeting)
        .bind(occurrence)
        .bind(minutes)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// The secret of `user`'s calendar feed: `fresh()` is stored on first use
    /// (concurrent first calls all get the one stored value); `rotate`
    /// replaces it, so that the old feed address stops working. An unknown
    /// user is [`Error::NotFound`].
    pub async fn calendar_feed_secret(
        &self,
        user: &UserId,
        rotate: bool,
        fresh: impl FnOnce() -> String,
    ) -> Result<String> {
        if !rotate && let Some(secret) = self.feed_secret_of(user).await? {
            return Ok(secret);
        }
        let sql = if rotate {
            "INSERT INTO calendar_feeds (user_id, secret, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at"
        } else {
            "INSERT INTO calendar_feeds (user_id, secret, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id) DO NOTHING"
        };
        sqlx::query(sql).bind(user.as_str()).bind(fresh()).bind(now_millis()).execute(&self.pool).await.map_err(
            |e| match Error::from(e) {
                Error::NotFound(_) => Error::NotFound("user"),
                other => other,
            },
        )?;
        self.feed_secret_of(user).await?.ok_or(Error::NotFound("user"))
    }

    /// The user whose calendar feed has this secret.
    pub async fn user_for_feed(&self, secret: &str) -> Result<Option<UserId>> {
        let row = sqlx::query("SELECT user_id FROM calendar_feeds WHERE secret = $1")
            .bind(secret)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| Ok(UserId::new(row.try_get::<String, _>("user_id")?))).transpose()
    }

    /// The accounts (id, email, profile) of `emails` (lower-cased here), by
    /// email; emails without an account are absent.
    pub async fn users_by_email(&self, emails: &[String]) -> Result<Vec<(UserId, String, Profile)>> {
        let emails = normalize_emails(emails);
        let mut users = Vec::with_capacity(emails.len());
        for chunk in emails.chunks(IN_CHUNK) {
            let sql = format!(
                "SELECT id, email, time_zone, working_hours, followups FROM users WHERE email IN ({})",
                placeholders(1, chunk.len())
            );
            let mut query = sqlx::query(AssertSqlSafe(sql));
            for email in chunk {
                query = query.bind(email.as_str());
            }
            for row in query.fetch_all(&self.pool).await? {
                users.push((
                    UserId::new(row.try_get::<String, _>("id")?),
                    row.try_get::<String, _>("email")?,
                    Profile::from_row(&row)?,
                ));
            }
        }
        users.sort_by(|a, b| a.1.cmp(&b.1));
        Ok(users)
    }

    /// The stored secret of `user`'s feed, if any.
    async fn feed_secret_of(&self, user: &UserId) -> Result<Option<String>> {
        let row = sqlx::query("SELECT secret FROM calendar_feeds WHERE user_id = $1")
            .bind(user.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| Ok(row.try_get::<String, _>("secret")?)).transpose()
    }

    /// Meetings from rows of [`MEETING_COLUMNS`], with their attendees.
    async fn meetings_from_rows(&self, rows: &[AnyRow]) -> Result<Vec<MeetingRow>> {
        let mut meetings = rows.iter().map(meeting_from_row).collect::<Result<Vec<_>>>()?;
        self.fill_attendees(&mut meetings).await?;
        Ok(meetings)
    }

    /// Fills in the attendees of `meetings`, by email.
    async fn fill_attendees(&self, meetings: &mut [MeetingRow]) -> Result<()> {
        for chunk in meetings.chunks_mut(IN_CHUNK) {
            let sql = format!(
                "SELECT meeting_id, email, user_id, response, responded_at FROM meeting_attendees \
                 WHERE meeting_id IN ({}) ORDER BY email",
                placeholders(1, chunk.len())
            );
            let mut query = sqlx::query(AssertSqlSafe(sql));
            for meeting in chunk.iter() {
                query = query.bind(meeting.id.as_str());
            }
            for row in query.fetch_all(&self.pool).await? {
                let meeting_id: String = row.try_get("meeting_id")?;
                if let Some(meeting) = chunk.iter_mut().find(|m| m.id == meeting_id) {
                    meeting.attendees.push(attendee_from_row(&row)?);
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalized_once() {
        let emails = [" Ann@Example.org", "bob@example.org", "ann@example.org", "  ", "BOB@example.org"];
        let emails: Vec<String> = emails.iter().map(|e| (*e).to_owned()).collect();
        assert_eq!(normalize_emails(&emails), ["ann@example.org", "bob@example.org"]);
    }

    #[test]
    fn room_names_take_the_first_free_number() {
        assert_eq!(first_free_number("Sync", []), 1);
        assert_eq!(first_free_number("Sync", ["Sync"]), 2);
        assert_eq!(first_free_number("Sync", ["Sync", "Sync (2)", "Sync (4)"]), 3);
        assert_eq!(first_free_number("Sync", ["Sync (2)"]), 1);
        // Look-alikes do not count.
        assert_eq!(first_free_number("Sync", ["Sync", "Sync (02)", "Sync (x)", "Sync (1)", "Sync (2"]), 2);
        assert_eq!(numbered_name("Sync", 1), "Sync");
        assert_eq!(numbered_name("Sync", 3), "Sync (3)");
    }
}
