//! The lease of the process that serves a database: one row that a process
//! takes when the lease is free or expired, renews while it runs, and releases
//! when it stops.

use sqlx::Row;

use crate::{Result, Store};

/// Who holds the lease and until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseHolder {
    pub holder: String,
    /// Unix milliseconds.
    pub expires_at: i64,
}

impl Store {
    /// Takes the lease for `holder` until `expires_at` if it is free, expired
    /// (before `now`) or already `holder`'s. Returns the current holder when
    /// another one has it.
    pub async fn acquire_lease(&self, holder: &str, now: i64, expires_at: i64) -> Result<Option<LeaseHolder>> {
        let taken = sqlx::query(
            "INSERT INTO instance_lease (id, holder, expires_at) VALUES (1, $1, $2) \
             ON CONFLICT (id) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
             WHERE instance_lease.expires_at < $3 OR instance_lease.holder = excluded.holder",
        )
        .bind(holder)
        .bind(expires_at)
        .bind(now)
        .execute(&self.pool)
        .await?
        .rows_affected();
        if taken == 1 {
            return Ok(None);
        }
        self.lease_holder().await
    }

    /// Hands the lease from `previous` (a holder known to be gone) to `holder`.
    /// Returns whether it did (`false`: someone else took it meanwhile).
    pub async fn take_over_lease(&self, previous: &str, holder: &str, expires_at: i64) -> Result<bool> {
        let done = sqlx::query("UPDATE instance_lease SET holder = $1, expires_at = $2 WHERE id = 1 AND holder = $3")
            .bind(holder)
            .bind(expires_at)
            .bind(previous)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Extends `holder`'s lease to `expires_at`. Returns `false` if `holder`
    /// no longer holds it.
    pub async fn renew_lease(&self, holder: &str, expires_at: i64) -> Result<bool> {
        let done = sqlx::query("UPDATE instance_lease SET expires_at = $1 WHERE id = 1 AND holder = $2")
            .bind(expires_at)
            .bind(holder)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Gives the lease up, if `holder` has it.
    pub async fn release_lease(&self, holder: &str) -> Result<()> {
        sqlx::query("DELETE FROM instance_lease WHERE id = 1 AND holder = $1").bind(holder).execute(&self.pool).await?;
        Ok(())
    }

    /// The lease's holder, if any.
    pub async fn lease_holder(&self) -> Result<Option<LeaseHolder>> {
        let row = sqlx::query("SELECT holder, expires_at FROM instance_lease WHERE id = 1")
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| Ok(LeaseHolder { holder: row.try_get("holder")?, expires_at: row.try_get("expires_at")? }))
            .transpose()
    }
}
