//! Server-wide secrets (the key that signs links), created on first use and
//! then shared by every process and restart: the first writer wins and
//! everyone reads what was stored.

use sqlx::Row;

use crate::{Result, Store, now_millis};

impl Store {
    /// The secret called `name`; stores `fresh()` first if there is none yet.
    /// Concurrent first calls (several processes) all get the one stored value.
    pub async fn server_secret(&self, name: &str, fresh: impl FnOnce() -> String) -> Result<String> {
        sqlx::query(
            "INSERT INTO server_secrets (name, value, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(fresh())
        .bind(now_millis())
        .execute(&self.pool)
        .await?;
        let row =
            sqlx::query("SELECT value FROM server_secrets WHERE name = $1").bind(name).fetch_one(&self.pool).await?;
        Ok(row.try_get("value")?)
    }
}
