//! Calls' summaries: one row per call, written when its last participant left.

use reynard_proto::RoomId;
use reynard_proto::call::CallSummaryView;
use sqlx::Row;

use crate::{Error, Result, Store, new_id};

/// A finished call, as the call engine reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCallSummary {
    pub room: RoomId,
    /// Unix milliseconds.
    pub started_at: i64,
    pub ended_at: i64,
    pub peak_participants: i64,
    pub total_joins: i64,
    pub average_bitrate_bps: i64,
    /// Mean packet loss, 0..1.
    pub loss: f64,
}

impl Store {
    /// Keeps a finished call's summary.
    pub async fn insert_call_summary(&self, summary: &NewCallSummary) -> Result<()> {
        sqlx::query(
            "INSERT INTO call_summaries (id, room_id, started_at, ended_at, peak_participants, total_joins, \
             average_bitrate_bps, loss_ppm) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(new_id())
        .bind(summary.room.as_str())
        .bind(summary.started_at)
        .bind(summary.ended_at)
        .bind(summary.peak_participants)
        .bind(summary.total_joins)
        .bind(summary.average_bitrate_bps)
        .bind((summary.loss.clamp(0.0, 1.0) * 1_000_000.0).round() as i64)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A room's most recent calls, newest first.
    pub async fn call_summaries(&self, room: &RoomId, limit: i64) -> Result<Vec<CallSummaryView>> {
        let rows = sqlx::query(
            "SELECT started_at, ended_at, peak_participants, total_joins, average_bitrate_bps, loss_ppm \
             FROM call_summaries WHERE room_id = $1 ORDER BY ended_at DESC LIMIT $2",
        )
        .bind(room.as_str())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let started_at: i64 = row.try_get("started_at")?;
                let ended_at: i64 = row.try_get("ended_at")?;
                Ok(CallSummaryView {
                    room_id: room.clone(),
                    started_at,
                    ended_at,
                    duration_seconds: (ended_at - started_at).max(0) / 1000,
                    peak_participants: row.try_get("peak_participants")?,
                    total_joins: row.try_get("total_joins")?,
                    average_bitrate_bps: row.try_get("average_bitrate_bps")?,
                    loss: row.try_get::<i64, _>("loss_ppm")? as f64 / 1_000_000.0,
                })
            })
            .collect()
    }
}

/// Call ownership across processes (scale-out): one process's SFU serves a
/// room's call at a time, under a lease in `call_owners`.
impl Store {
    /// The process that serves `room`'s call: `process` takes it when nobody
    /// holds it, when the lease expired at `now`, when it holds it already, or
    /// when its holder is `dead_owner` (known to have stopped); the lease then
    /// runs until `expires_at`. Returns the owner after the claim.
    pub async fn claim_call_owner(
        &self,
        room: &RoomId,
        process: &str,
        now: i64,
        expires_at: i64,
        dead_owner: Option<&str>,
    ) -> Result<String> {
        sqlx::query(
            "INSERT INTO call_owners (room_id, process, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (room_id) DO UPDATE SET process = excluded.process, expires_at = excluded.expires_at \
             WHERE call_owners.expires_at < $4 OR call_owners.process = excluded.process OR call_owners.process = $5",
        )
        .bind(room.as_str())
        .bind(process)
        .bind(expires_at)
        .bind(now)
        .bind(dead_owner.unwrap_or(""))
        .execute(&self.pool)
        .await?;
        let row = sqlx::query("SELECT process FROM call_owners WHERE room_id = $1")
            .bind(room.as_str())
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(row) => Ok(row.try_get("process")?),
            // The room was deleted meanwhile.
            None => Err(Error::NotFound("room")),
        }
    }

    /// Extends the leases `process` holds on `rooms`' calls to `expires_at`.
    pub async fn renew_call_owner(&self, rooms: &[RoomId], process: &str, expires_at: i64) -> Result<()> {
        for room in rooms {
            sqlx::query("UPDATE call_owners SET expires_at = $1 WHERE room_id = $2 AND process = $3")
                .bind(expires_at)
                .bind(room.as_str())
                .bind(process)
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }
}
