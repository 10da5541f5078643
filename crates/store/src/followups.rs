//! What meeting follow-ups are made of: who was in a room's call and when
//! (one row per call connection), which occurrences' follow-ups went out, and
//! what a room's chat and a workspace's documents saw during a time window.

use std::collections::BTreeMap;

use reynard_proto::{DocumentId, RoomId, UserId, WorkspaceId};
use sqlx::Row;

use crate::{Result, Store, new_id};

/// How long one person was in a room's call during a time window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attendance {
    pub user_id: UserId,
    /// The person's display name.
    pub name: String,
    /// Milliseconds in the call within the window.
    pub joined_ms: i64,
}

/// The length of the union of `intervals` (half-open, sorted by start).
fn covered_ms(intervals: &[(i64, i64)]) -> i64 {
    let mut total = 0;
    let mut current: Option<(i64, i64)> = None;
    for &(start, end) in intervals {
        current = match current {
            Some((from, to)) if start <= to => Some((from, to.max(end))),
            Some((from, to)) => {
                total += to - from;
                Some((start, end))
            }
            None => Some((start, end)),
        };
    }
    total + current.map_or(0, |(from, to)| to - from)
}

impl Store {
    /// Records that `user` joined `room`'s call at `at_ms`; returns the id that
    /// [`Store::call_left`] closes.
    pub async fn call_joined(&self, room: &RoomId, user: &UserId, at_ms: i64) -> Result<String> {
        let id = new_id();
        sqlx::query("INSERT INTO call_attendance (id, room_id, user_id, joined_at) VALUES ($1, $2, $3, $4)")
            .bind(&id)
            .bind(room.as_str())
            .bind(user.as_str())
            .bind(at_ms)
            .execute(&self.pool)
            .await?;
        Ok(id)
    }

    /// Records that the call connection `attendance_id` ended at `at_ms`. A
    /// connection already closed keeps its first end.
    pub async fn call_left(&self, attendance_id: &str, at_ms: i64) -> Result<()> {
        sqlx::query("UPDATE call_attendance SET left_at = $1 WHERE id = $2 AND left_at IS NULL")
            .bind(at_ms)
            .bind(attendance_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Closes every call connection still open at `at_ms`: at start-up, those
    /// left open by a process that stopped without closing them. Returns how
    /// many were closed.
    pub async fn close_open_attendance(&self, at_ms: i64) -> Result<u64> {
        let done = sqlx::query("UPDATE call_attendance SET left_at = $1 WHERE left_at IS NULL")
            .bind(at_ms)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    /// Who was in `room`'s call during `[from_ms, to_ms)` and for how long, by
    /// name. Each connection counts for its overlap with the window; one still
    /// open counts up to `to_ms`. Connections of one person at the same time
    /// (two devices) count once: the time is that of their union.
    pub async fn attendance(&self, room: &RoomId, from_ms: i64, to_ms: i64) -> Result<Vec<Attendance>> {
        let rows = sqlx::query(
            "SELECT a.user_id, u.name, a.joined_at, a.left_at FROM call_attendance a JOIN users u ON u.id = a.user_id \
             WHERE a.room_id = $1 AND a.joined_at < $3 AND (a.left_at IS NULL OR a.left_at > $2) \
             ORDER BY a.user_id, a.joined_at",
        )
        .bind(room.as_str())
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(&self.pool)
        .await?;
        let mut people: BTreeMap<String, (String, Vec<(i64, i64)>)> = BTreeMap::new();
        for row in &rows {
            let user: String = row.try_get("user_id")?;
            let name: String = row.try_get("name")?;
            let joined: i64 = row.try_get("joined_at")?;
            let left: Option<i64> = row.try_get("left_at")?;
            let start = joined.max(from_ms);
            let end = left.unwrap_or(to_ms).min(to_ms).max(start);
            people.entry(user).or_insert_with(|| (name, Vec::new())).1.push((start, end));
        }
        let mut attendance: Vec<Attendance> = people
            .into_iter()
            .map(|(user, (name, intervals))| Attendance {
                user_id: UserId::new(user),
                name,
                joined_ms: covered_ms(&intervals),
            })
            .collect();
        attendance.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.user_id.as_str().cmp(b.user_id.as_str())));
        Ok(attendance)
    }

    /// Records the follow-up of the occurrence originally starting at
    /// `occurrence` as sent; `false` if it already was. Claimed before the
    /// mails go out, by one statement whose conflict does nothing, so that only
    /// one of any number of processes (or restarts) sends it.
    pub async fn claim_followup(&self, meeting: &str, occurrence: &str, now: i64) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO followups_sent (meeting_id, occurrence, sent_at) VALUES ($1, $2, $3) \
             ON CONFLICT (meeting_id, occurrence) DO NOTHING",
        )
        .bind(meeting)
        .bind(occurrence)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// The first `limit` messages posted in `room` during `[from_ms, to_ms)`,
    /// oldest first: author name, time posted (Unix ms), text as it now reads.
    /// Deleted messages are gone from the table, so they are not among them.
    pub async fn chat_between(
        &self,
        room: &RoomId,
        from_ms: i64,
        to_ms: i64,
        limit: i64,
    ) -> Result<Vec<(String, i64, String)>> {
        let rows = sqlx::query(
            "SELECT u.name, m.created_at, m.text FROM chat_messages m JOIN users u ON u.id = m.user_id \
             WHERE m.room_id = $1 AND m.created_at >= $2 AND m.created_at < $3 ORDER BY m.created_at, m.id LIMIT $4",
        )
        .bind(room.as_str())
        .bind(from_ms)
        .bind(to_ms)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|row| Ok((row.try_get("name")?, row.try_get("created_at")?, row.try_get("text")?))).collect()
    }

    /// The documents of `workspace` edited during `[from_ms, to_ms)`, by path:
    /// id and path.
    ///
    /// `documents.updated_at` is no measure of edits (it moves when the log is
    /// folded or the document moved), so this reads the two records of edits:
    /// the update log, whose entries carry the time each was accepted, for
    /// edits not folded into a snapshot yet; and versions, for the rest: the
    /// log is folded soon after a document's last client leaves, but a version
    /// is recorded first, and at the latest every few minutes while people
    /// edit, naming its authors. A version counts when it records a change
    /// (authors, or characters added or removed) and was made in the window.
    /// A version trails the edits it records by up to those few minutes, so
    /// near the window's edges this can take in edits made just before it and
    /// miss edits of its last moments; callers wanting those widen `to_ms`.
    pub async fn documents_edited_between(
        &self,
        workspace: &WorkspaceId,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<(DocumentId, String)>> {
        let rows = sqlx::query(
            "SELECT d.id, d.path FROM documents d WHERE d.workspace_id = $1 AND (\
               EXISTS (SELECT 1 FROM doc_updates u WHERE u.doc_id = d.id AND u.at >= $2 AND u.at < $3) \
               OR EXISTS (SELECT 1 FROM doc_versions v WHERE v.doc_id = d.id \
                 AND v.created_at >= $2 AND v.created_at < $3 \
                 AND (v.author_ids <> '' OR v.added > 0 OR v.removed > 0))) \
             ORDER BY d.path",
        )
        .bind(workspace.as_str())
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|row| Ok((DocumentId::new(row.try_get::<String, _>("id")?), row.try_get("path")?))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::covered_ms;

    #[test]
    fn covered_time_is_the_union_of_the_intervals() {
        let cases: [(&[(i64, i64)], i64); 6] = [
            (&[], 0),
            (&[(0, 10)], 10),
            (&[(0, 10), (20, 25)], 15),
            (&[(0, 10), (5, 15)], 15),
            (&[(0, 30), (5, 10), (12, 20)], 30),
            (&[(0, 10), (10, 20), (40, 40)], 20),
        ];
        for (intervals, covered) in cases {
            assert_eq!(covered_ms(intervals), covered, "{intervals:?}");
        }
    }
}
