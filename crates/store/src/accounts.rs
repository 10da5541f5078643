//! Users and sessions. A new account's email is unverified; verifying it claims
//! the workspace invitations addressed to that email, in the same transaction.
//! Each user also has a scheduling [`Profile`]: time zone, working hours and
//! whether they want follow-up mails.

use reynard_proto::api::UserView;
use reynard_proto::{Role, UserId, WorkspaceId};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Error, Result, Store, new_id, now_millis};

/// A stored account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub time_zone: String,
    /// argon2id PHC string.
    pub password_hash: String,
    /// When the email was verified (Unix ms); `None` until then.
    pub email_verified_at: Option<i64>,
}

impl User {
    /// The user as other people see them.
    pub fn view(&self) -> UserView {
        UserView { id: self.id.clone(), email: self.email.clone(), name: self.name.clone() }
    }

    /// Whether the account proved it owns its email.
    pub fn email_verified(&self) -> bool {
        self.email_verified_at.is_some()
    }

    fn from_row(row: &AnyRow) -> Result<User> {
        Ok(User {
            id: UserId::new(row.try_get::<String, _>("id")?),
            email: row.try_get("email")?,
            name: row.try_get("name")?,
            time_zone: row.try_get("time_zone")?,
            password_hash: row.try_get("password_hash")?,
            email_verified_at: row.try_get("email_verified_at")?,
        })
    }
}

/// What signup stores. `email` must already be normalized.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub password_hash: String,
}

/// The working hours of a new account (Monday to Friday, 09:00–17:00), as
/// stored in `users.working_hours`: weekday keys (`mon`…`sun`) to lists of
/// local `["HH:MM", "HH:MM"]` ranges.
pub const DEFAULT_WORKING_HOURS: &str = r#"{"mon":[["09:00","17:00"]],"tue":[["09:00","17:00"]],"wed":[["09:00","17:00"]],"thu":[["09:00","17:00"]],"fri":[["09:00","17:00"]]}"#;

/// What meeting scheduling needs to know of a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    /// IANA time zone name (the same column as [`User::time_zone`]).
    pub time_zone: String,
    /// JSON, as [`DEFAULT_WORKING_HOURS`]; opaque to the store.
    pub working_hours: String,
    /// Whether the user wants follow-up mails after meetings.
    pub followups: bool,
}

impl Default for Profile {
    /// A new account's profile.
    fn default() -> Self {
        Profile { time_zone: "UTC".to_owned(), working_hours: DEFAULT_WORKING_HOURS.to_owned(), followups: true }
    }
}

impl Profile {
    /// Reads the `time_zone`, `working_hours` and `followups` columns of a row.
    pub(crate) fn from_row(row: &AnyRow) -> Result<Profile> {
        Ok(Profile {
            time_zone: row.try_get("time_zone")?,
            working_hours: row.try_get("working_hours")?,
            followups: row.try_get::<i64, _>("followups")? != 0,
        })
    }
}

/// How a session was issued: a browser cookie or an API token for scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    Browser,
    Api,
}

impl SessionKind {
    fn as_str(self) -> &'static str {
        match self {
            SessionKind::Browser => "browser",
            SessionKind::Api => "api",
        }
    }
}

impl Store {
    /// Creates an account with an unverified email. A taken email is a
    /// [`Error::Conflict`]. Invitations to the email wait for its verification.
    pub async fn create_user(&self, new: NewUser) -> Result<User> {
        let now = now_millis();
        let id = new_id();
        sqlx::query(
            "INSERT INTO users (id, email, name, password_hash, time_zone, created_at) \
             VALUES ($1, $2, $3, $4, 'UTC', $5)",
        )
        .bind(&id)
        .bind(&new.email)
        .bind(&new.name)
        .bind(&new.password_hash)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(|e| Error::from(e).conflict_as("an account with this email already exists"))?;
        Ok(User {
            id: UserId::new(id),
            email: new.email,
            name: new.name,
            time_zone: "UTC".to_owned(),
            password_hash: new.password_hash,
            email_verified_at: None,
        })
    }

    /// Marks `user`'s email verified, if it is still `email`, and makes them a
    /// member of every workspace that invited that email (keeping a role they
    /// already have). Returns the workspaces whose invitations were claimed.
    /// Verifying again claims invitations made since. An account whose email is
    /// no longer `email` is [`Error::NotFound`].
    pub async fn verify_email(&self, user: &UserId, email: &str) -> Result<Vec<WorkspaceId>> {
        let now = now_millis();
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE users SET email_verified_at = COALESCE(email_verified_at, $1) WHERE id = $2 AND email = $3",
        )
        .bind(now)
        .bind(user.as_str())
        .bind(email)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(Error::NotFound("user with this email"));
        }
        let invitations = sqlx::query("SELECT workspace_id, role FROM workspace_invitations WHERE email = $1")
            .bind(email)
            .fetch_all(&mut *tx)
            .await?;
        let mut joined = Vec::with_capacity(invitations.len());
        for row in &invitations {
            let workspace_id: String = row.try_get("workspace_id")?;
            let role: String = row.try_get("role")?;
            sqlx::query(
                "INSERT INTO workspace_members (workspace_id, user_id, role, created_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (workspace_id, user_id) DO NOTHING",
            )
            .bind(&workspace_id)
            .bind(user.as_str())
            .bind(&role)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            joined.push(WorkspaceId::new(workspace_id));
        }
        sqlx::query("DELETE FROM workspace_invitations WHERE email = $1").bind(email).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(joined)
    }

    /// The account with this (normalized) email, if any.
    pub async fn user_by_email(&self, email: &str) -> Result<Option<User>> {
        let row = sqlx::query(
            "SELECT id, email, name, time_zone, password_hash, email_verified_at FROM users WHERE email = $1",
        )
        .bind(email)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(User::from_row).transpose()
    }

    /// The account with this id, if any.
    pub async fn user_by_id(&self, id: &UserId) -> Result<Option<User>> {
        let row =
            sqlx::query("SELECT id, email, name, time_zone, password_hash, email_verified_at FROM users WHERE id = $1")
                .bind(id.as_str())
                .fetch_optional(&self.pool)
                .await?;
        row.as_ref().map(User::from_row).transpose()
    }

    /// Changes a user's display name and/or time zone (already validated).
    pub async fn update_user(&self, id: &UserId, name: Option<&str>, time_zone: Option<&str>) -> Result<User> {
        let done = sqlx::query(
            "UPDATE users SET name = COALESCE($1, name), time_zone = COALESCE($2, time_zone) WHERE id = $3",
        )
        .bind(name)
        .bind(time_zone)
        .bind(id.as_str())
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(Error::NotFound("user"));
        }
        self.user_by_id(id).await?.ok_or(Error::NotFound("user"))
    }

    /// A user's scheduling profile; `None` when there is no such user.
    pub async fn profile(&self, user: &UserId) -> Result<Option<Profile>> {
        let row = sqlx::query("SELECT time_zone, working_hours, followups FROM users WHERE id = $1")
            .bind(user.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(Profile::from_row).transpose()
    }

    /// Replaces a user's scheduling profile (already validated). An unknown
    /// user is [`Error::NotFound`].
    pub async fn set_profile(&self, user: &UserId, profile: &Profile) -> Result<()> {
        let done = sqlx::query("UPDATE users SET time_zone = $1, working_hours = $2, followups = $3 WHERE id = $4")
            .bind(&profile.time_zone)
            .bind(&profile.working_hours)
            .bind(i64::from(profile.followups))
            .bind(user.as_str())
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(Error::NotFound("user"));
        }
        Ok(())
    }

    /// Stores a new session under the hash of its token.
    pub async fn create_session(
        &self,
        user: &UserId,
        token_hash: &str,
        kind: SessionKind,
        expires_at: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO sessions (id, user_id, token_hash, kind, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(new_id())
        .bind(user.as_str())
        .bind(token_hash)
        .bind(kind.as_str())
        .bind(now_millis())
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The user behind an unexpired session token hash.
    pub async fn user_for_session(&self, token_hash: &str) -> Result<Option<User>> {
        let row = sqlx::query(
            "SELECT u.id, u.email, u.name, u.time_zone, u.password_hash, u.email_verified_at \
             FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2",
        )
        .bind(token_hash)
        .bind(now_millis())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(User::from_row).transpose()
    }

    /// When an unexpired session ends (Unix milliseconds), or `None` if it has
    /// ended or never existed.
    pub async fn session_expires_at(&self, token_hash: &str) -> Result<Option<i64>> {
        let row = sqlx::query("SELECT expires_at FROM sessions WHERE token_hash = $1 AND expires_at > $2")
            .bind(token_hash)
            .bind(now_millis())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|row| row.get::<i64, _>(0)))
    }

    /// The token hashes of every unexpired session (to check the connections
    /// a process holds against, after it may have missed a sign-out).
    pub async fn unexpired_session_hashes(&self) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT token_hash FROM sessions WHERE expires_at > $1")
            .bind(now_millis())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|row| Ok(row.try_get::<String, _>(0)?)).collect()
    }

    /// Revokes a session. Returns whether it existed.
    pub async fn delete_session(&self, token_hash: &str) -> Result<bool> {
        let done =
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(&self.pool).await?;
        Ok(done.rows_affected() > 0)
    }

    /// Drops the sessions expired at `now` (milliseconds since the epoch,
    /// [`now_millis`] outside tests). Returns how many were removed.
    pub async fn delete_sessions_expired_at(&self, now: i64) -> Result<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(now).execute(&self.pool).await?;
        Ok(done.rows_affected())
    }
}

/// Decodes a stored role name.
pub(crate) fn role_from_row(row: &AnyRow, column: &str) -> Result<Role> {
    let name: String = row.try_get(column)?;
    name.parse().map_err(|e: reynard_proto::role::UnknownRole| Error::Corrupt(e.to_string()))
}
