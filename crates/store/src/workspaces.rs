//! Workspaces, their members and pending invitations.
//!
//! Invariant: a workspace always has at least one owner. Role changes and
//! removals take the workspace row's write lock first (an `UPDATE` of the row,
//! which both SQLite and PostgreSQL serialize), then count owners, so two
//! concurrent demotions cannot both pass.

use reynard_proto::api::{MemberView, WorkspaceView};
use reynard_proto::{Role, UserId, WorkspaceId};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::accounts::role_from_row;
use crate::{Error, Result, Store, new_id, now_millis};

/// What a user may see of a workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No workspace with this id.
    Missing,
    /// The workspace exists; the user is not a member.
    NotMember,
    /// The user is a member with this role.
    Member(Role),
}

/// A pending invitation as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    pub workspace_id: WorkspaceId,
    pub email: String,
    pub role: Role,
    pub invited_by: UserId,
    /// Unix ms; part of what the invitation link is derived from.
    pub created_at: i64,
    /// SHA-256 of the link's token; `None` for invitations made before links existed.
    pub token_hash: Option<String>,
}

/// What [`Store::invite`] records.
#[derive(Debug, Clone)]
pub struct NewInvitation<'a> {
    pub email: &'a str,
    pub role: Role,
    pub invited_by: &'a UserId,
    pub created_at: i64,
    pub token_hash: &'a str,
}

fn invitation_from_row(row: &AnyRow) -> Result<Invitation> {
    Ok(Invitation {
        workspace_id: WorkspaceId::new(row.try_get::<String, _>("workspace_id")?),
        email: row.try_get("email")?,
        role: role_from_row(row, "role")?,
        invited_by: UserId::new(row.try_get::<String, _>("invited_by")?),
        created_at: row.try_get("created_at")?,
        token_hash: row.try_get("token_hash")?,
    })
}

/// A workspace with the role of user `$2` in it (no row when not a member).
const WORKSPACE_AS_MEMBER: &str = "SELECT w.id, w.name, m.role FROM workspaces w \
     JOIN workspace_members m ON m.workspace_id = w.id WHERE w.id = $1 AND m.user_id = $2";

fn workspace_from_row(row: &AnyRow) -> Result<WorkspaceView> {
    Ok(WorkspaceView {
        id: WorkspaceId::new(row.try_get::<String, _>("id")?),
        name: row.try_get("name")?,
        role: role_from_row(row, "role")?,
    })
}

fn member_from_row(row: &AnyRow) -> Result<MemberView> {
    Ok(MemberView {
        user_id: UserId::new(row.try_get::<String, _>("user_id")?),
        email: row.try_get("email")?,
        name: row.try_get("name")?,
        role: role_from_row(row, "role")?,
    })
}

impl Store {
    /// Creates a workspace owned by `owner`, with its default room.
    pub async fn create_workspace(&self, owner: &UserId, name: &str) -> Result<WorkspaceView> {
        let id = new_id();
        let now = now_millis();
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO workspaces (id, name, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)",
        )
        .bind(&id)
        .bind(name)
        .bind(owner.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO workspace_members (workspace_id, user_id, role, created_at) VALUES ($1, $2, 'owner', $3)",
        )
        .bind(&id)
        .bind(owner.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        crate::chat::create_default_room(&mut tx, &id, owner, now).await?;
        tx.commit().await?;
        Ok(WorkspaceView { id: WorkspaceId::new(id), name: name.to_owned(), role: Role::Owner })
    }

    /// The workspaces `user` belongs to, with their role in each, by name.
    pub async fn workspaces_for(&self, user: &UserId) -> Result<Vec<WorkspaceView>> {
        let rows = sqlx::query(
            "SELECT w.id, w.name, m.role FROM workspaces w \
             JOIN workspace_members m ON m.workspace_id = w.id \
             WHERE m.user_id = $1 ORDER BY w.name, w.id",
        )
        .bind(user.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(workspace_from_row).collect()
    }

    /// One workspace as `user` sees it, if they are a member.
    pub async fn workspace_for(&self, workspace: &WorkspaceId, user: &UserId) -> Result<Option<WorkspaceView>> {
        let row = sqlx::query(WORKSPACE_AS_MEMBER)
            .bind(workspace.as_str())
            .bind(user.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(workspace_from_row).transpose()
    }

    /// Whether the workspace exists and what `user`'s role in it is.
    pub async fn workspace_access(&self, workspace: &WorkspaceId, user: &UserId) -> Result<Access> {
        let row = sqlx::query(
            "SELECT w.id, m.role FROM workspaces w \
             LEFT JOIN workspace_members m ON m.workspace_id = w.id AND m.user_id = $2 \
             WHERE w.id = $1",
        )
        .bind(workspace.as_str())
        .bind(user.as_str())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(Access::Missing);
        };
        match row.try_get::<Option<String>, _>("role")? {
            None => Ok(Access::NotMember),
            Some(_) => Ok(Access::Member(role_from_row(&row, "role")?)),
        }
    }

    /// Renames a workspace.
    pub async fn rename_workspace(&self, workspace: &WorkspaceId, name: &str) -> Result<()> {
        let done = sqlx::query("UPDATE workspaces SET name = $1, updated_at = $2 WHERE id = $3")
            .bind(name)
            .bind(now_millis())
            .bind(workspace.as_str())
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(Error::NotFound("workspace"));
        }
        Ok(())
    }

    /// Deletes a workspace with its memberships and invitations.
    pub async fn delete_workspace(&self, workspace: &WorkspaceId) -> Result<()> {
        let done =
            sqlx::query("DELETE FROM workspaces WHERE id = $1").bind(workspace.as_str()).execute(&self.pool).await?;
        if done.rows_affected() == 0 {
            return Err(Error::NotFound("workspace"));
        }
        Ok(())
    }

    /// The members of a workspace, owners first, then by name.
    pub async fn members(&self, workspace: &WorkspaceId) -> Result<Vec<MemberView>> {
        let rows = sqlx::query(
            "SELECT m.user_id, u.email, u.name, m.role FROM workspace_members m \
             JOIN users u ON u.id = m.user_id WHERE m.workspace_id = $1 \
             ORDER BY CASE m.role WHEN 'owner' THEN 0 WHEN 'editor' THEN 1 ELSE 2 END, u.name, u.email",
        )
        .bind(workspace.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(member_from_row).collect()
    }

    /// Every membership of every workspace, as (workspace, user, role): what
    /// the connections a process holds are checked against after it may have
    /// missed a change of access.
    pub async fn all_memberships(&self) -> Result<Vec<(WorkspaceId, UserId, Role)>> {
        let rows =
            sqlx::query("SELECT workspace_id, user_id, role FROM workspace_members").fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| {
                Ok((
                    WorkspaceId::new(row.try_get::<String, _>("workspace_id")?),
                    UserId::new(row.try_get::<String, _>("user_id")?),
                    role_from_row(row, "role")?,
                ))
            })
            .collect()
    }

    /// One member of a workspace.
    pub async fn member(&self, workspace: &WorkspaceId, user: &UserId) -> Result<MemberView> {
        let row = sqlx::query(
            "SELECT m.user_id, u.email, u.name, m.role FROM workspace_members m \
             JOIN users u ON u.id = m.user_id WHERE m.workspace_id = $1 AND m.user_id = $2",
        )
        .bind(workspace.as_str())
        .bind(user.as_str())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(member_from_row).transpose()?.ok_or(Error::NotFound("member"))
    }

    /// Adds an existing user to a workspace. An existing member is a [`Error::Conflict`].
    pub async fn add_member(&self, workspace: &WorkspaceId, user: &UserId, role: Role) -> Result<MemberView> {
        sqlx::query("INSERT INTO workspace_members (workspace_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)")
            .bind(workspace.as_str())
            .bind(user.as_str())
            .bind(role.as_str())
            .bind(now_millis())
            .execute(&self.pool)
            .await
            .map_err(|e| Error::from(e).conflict_as("this user is already a member of the workspace"))?;
        self.member(workspace, user).await
    }

    /// Records a pending invitation for an email that has no verified account; it
    /// is claimed when that email is verified, or by whoever opens its link.
    /// Inviting the same email again is a [`Error::Conflict`].
    pub async fn invite(&self, workspace: &WorkspaceId, new: NewInvitation<'_>) -> Result<Invitation> {
        sqlx::query(
            "INSERT INTO workspace_invitations (workspace_id, email, role, invited_by, created_at, token_hash) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(workspace.as_str())
        .bind(new.email)
        .bind(new.role.as_str())
        .bind(new.invited_by.as_str())
        .bind(new.created_at)
        .bind(new.token_hash)
        .execute(&self.pool)
        .await
        .map_err(|e| Error::from(e).conflict_as("this email is already invited to the workspace"))?;
        Ok(Invitation {
            workspace_id: workspace.clone(),
            email: new.email.to_owned(),
            role: new.role,
            invited_by: new.invited_by.clone(),
            created_at: new.created_at,
            token_hash: Some(new.token_hash.to_owned()),
        })
    }

    /// Pending invitations of a workspace, by email.
    pub async fn invitations(&self, workspace: &WorkspaceId) -> Result<Vec<Invitation>> {
        let rows = sqlx::query(
            "SELECT workspace_id, email, role, invited_by, created_at, token_hash \
             FROM workspace_invitations WHERE workspace_id = $1 ORDER BY email",
        )
        .bind(workspace.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(invitation_from_row).collect()
    }

    /// Gives an invitation made before links existed the hash of its link.
    pub async fn set_invitation_token_hash(
        &self,
        workspace: &WorkspaceId,
        email: &str,
        token_hash: &str,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE workspace_invitations SET token_hash = $1 \
             WHERE workspace_id = $2 AND email = $3 AND token_hash IS NULL",
        )
        .bind(token_hash)
        .bind(workspace.as_str())
        .bind(email)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Uses the invitation whose link token hashes to `token_hash`: `user` joins
    /// its workspace with its role (a member keeps the role they have) and the
    /// invitation is gone, so a link works once. An unknown or used link is
    /// [`Error::NotFound`]. Returns the workspace as `user` now sees it.
    pub async fn accept_invitation(&self, token_hash: &str, user: &UserId) -> Result<WorkspaceView> {
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query("DELETE FROM workspace_invitations WHERE token_hash = $1 RETURNING workspace_id, role")
            .bind(token_hash)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(Error::NotFound("invitation"))?;
        let workspace = WorkspaceId::new(row.try_get::<String, _>("workspace_id")?);
        let role = role_from_row(&row, "role")?;
        sqlx::query(
            "INSERT INTO workspace_members (workspace_id, user_id, role, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (workspace_id, user_id) DO NOTHING",
        )
        .bind(workspace.as_str())
        .bind(user.as_str())
        .bind(role.as_str())
        .bind(now_millis())
        .execute(&mut *tx)
        .await?;
        let row =
            sqlx::query(WORKSPACE_AS_MEMBER).bind(workspace.as_str()).bind(user.as_str()).fetch_one(&mut *tx).await?;
        let view = workspace_from_row(&row)?;
        tx.commit().await?;
        Ok(view)
    }

    /// Withdraws a pending invitation.
    pub async fn delete_invitation(&self, workspace: &WorkspaceId, email: &str) -> Result<()> {
        let done = sqlx::query("DELETE FROM workspace_invitations WHERE workspace_id = $1 AND email = $2")
            .bind(workspace.as_str())
            .bind(email)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(Error::NotFound("invitation"));
        }
        Ok(())
    }

    /// Changes a member's role. Demoting the last owner is [`Error::LastOwner`].
    pub async fn change_role(&self, workspace: &WorkspaceId, user: &UserId, role: Role) -> Result<MemberView> {
        let mut tx = self.pool.begin().await?;
        let current = lock_and_get_role(&mut tx, workspace, user).await?;
        if current == Role::Owner && role != Role::Owner && owner_count(&mut tx, workspace).await? <= 1 {
            return Err(Error::LastOwner);
        }
        sqlx::query("UPDATE workspace_members SET role = $1 WHERE workspace_id = $2 AND user_id = $3")
            .bind(role.as_str())
            .bind(workspace.as_str())
            .bind(user.as_str())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.member(workspace, user).await
    }

    /// Removes a member (or lets a member leave). Removing the last owner is
    /// [`Error::LastOwner`].
    pub async fn remove_member(&self, workspace: &WorkspaceId, user: &UserId) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let current = lock_and_get_role(&mut tx, workspace, user).await?;
        if current == Role::Owner && owner_count(&mut tx, workspace).await? <= 1 {
            return Err(Error::LastOwner);
        }
        sqlx::query("DELETE FROM workspace_members WHERE workspace_id = $1 AND user_id = $2")
            .bind(workspace.as_str())
            .bind(user.as_str())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Takes the workspace row's write lock for the transaction and reads `user`'s role.
async fn lock_and_get_role(tx: &mut Transaction<'_, Any>, workspace: &WorkspaceId, user: &UserId) -> Result<Role> {
    let locked = sqlx::query("UPDATE workspaces SET updated_at = $1 WHERE id = $2")
        .bind(now_millis())
        .bind(workspace.as_str())
        .execute(&mut **tx)
        .await?;
    if locked.rows_affected() == 0 {
        return Err(Error::NotFound("workspace"));
    }
    let row = sqlx::query("SELECT role FROM workspace_members WHERE workspace_id = $1 AND user_id = $2")
        .bind(workspace.as_str())
        .bind(user.as_str())
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(Error::NotFound("member"))?;
    role_from_row(&row, "role")
}

async fn owner_count(tx: &mut Transaction<'_, Any>, workspace: &WorkspaceId) -> Result<i64> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM workspace_members WHERE workspace_id = $1 AND role = 'owner'")
        .bind(workspace.as_str())
        .fetch_one(&mut **tx)
        .await?;
    Ok(row.try_get("n")?)
}
