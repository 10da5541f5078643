//! Rooms of a workspace and their chat: messages with their mentions, what
//! each member has read, and full-text search (SQLite FTS5, PostgreSQL
//! `tsvector`).
//!
//! Message ids are UUIDv7, so their text order is their time order: pages,
//! read markers and unread counts compare ids.

use reynard_proto::chat::{MessageView, RoomView, UnreadView};
use reynard_proto::{MessageId, RoomId, UserId, WorkspaceId};
use sqlx::any::AnyRow;
use sqlx::{Any, AssertSqlSafe, Row, Transaction};

use crate::{Backend, Error, Result, Store, new_id, now_millis};

/// The name of the room every workspace starts with.
pub const DEFAULT_ROOM: &str = "general";

/// A room with the workspace it belongs to.
const ROOM_COLUMNS: &str = "id, workspace_id, name, is_default, archived_at, created_at";

/// A message with its author's name.
const MESSAGE_SELECT: &str = "SELECT m.id, m.room_id, m.user_id, u.name AS author_name, m.text, m.created_at, \
     m.edited_at FROM chat_messages m JOIN users u ON u.id = m.user_id";

fn room_from_row(row: &AnyRow) -> Result<RoomView> {
    Ok(RoomView {
        id: RoomId::new(row.try_get::<String, _>("id")?),
        workspace_id: WorkspaceId::new(row.try_get::<String, _>("workspace_id")?),
        name: row.try_get("name")?,
        is_default: row.try_get::<i64, _>("is_default")? != 0,
        archived: row.try_get::<Option<i64>, _>("archived_at")?.is_some(),
        created_at: row.try_get("created_at")?,
    })
}

fn message_from_row(row: &AnyRow) -> Result<MessageView> {
    Ok(MessageView {
        id: MessageId::new(row.try_get::<String, _>("id")?),
        room_id: RoomId::new(row.try_get::<String, _>("room_id")?),
        author_id: UserId::new(row.try_get::<String, _>("user_id")?),
        author_name: row.try_get("author_name")?,
        text: row.try_get("text")?,
        mentions: Vec::new(),
        created_at: row.try_get("created_at")?,
        edited_at: row.try_get("edited_at")?,
    })
}

/// Inserts a workspace's default room inside the transaction creating it.
pub(crate) async fn create_default_room(
    tx: &mut Transaction<'_, Any>,
    workspace: &str,
    creator: &UserId,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO rooms (id, workspace_id, name, is_default, created_by, created_at) VALUES ($1, $2, $3, 1, $4, $5)",
    )
    .bind(new_id())
    .bind(workspace)
    .bind(DEFAULT_ROOM)
    .bind(creator.as_str())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// An FTS5 query matching every word of `query` as a literal (no operators).
fn fts5_query(query: &str) -> String {
    query.split_whitespace().map(|word| format!("\"{}\"", word.replace('"', "\"\""))).collect::<Vec<_>>().join(" ")
}

impl Store {
    /// Creates a room; a name already used in the workspace is a conflict.
    pub async fn create_room(&self, workspace: &WorkspaceId, name: &str, creator: &UserId) -> Result<RoomView> {
        let id = new_id();
        let now = now_millis();
        sqlx::query("INSERT INTO rooms (id, workspace_id, name, created_by, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(&id)
            .bind(workspace.as_str())
            .bind(name)
            .bind(creator.as_str())
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(|e| Error::from(e).conflict_as("a room with this name already exists"))?;
        Ok(RoomView {
            id: RoomId::new(id),
            workspace_id: workspace.clone(),
            name: name.to_owned(),
            is_default: false,
            archived: false,
            created_at: now,
        })
    }

    /// A workspace's rooms, the default one first, then by name; archived ones
    /// only when asked.
    pub async fn rooms(&self, workspace: &WorkspaceId, with_archived: bool) -> Result<Vec<RoomView>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {ROOM_COLUMNS} FROM rooms WHERE workspace_id = $1 AND ($2 = 1 OR archived_at IS NULL) \
             ORDER BY is_default DESC, name, id"
        )))
        .bind(workspace.as_str())
        .bind(i64::from(with_archived))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(room_from_row).collect()
    }

    /// One room.
    pub async fn room(&self, id: &RoomId) -> Result<Option<RoomView>> {
        let row = sqlx::query(AssertSqlSafe(format!("SELECT {ROOM_COLUMNS} FROM rooms WHERE id = $1")))
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(room_from_row).transpose()
    }

    /// Renames a room and/or archives it (or brings it back). The default
    /// room cannot be archived.
    pub async fn change_room(&self, id: &RoomId, name: Option<&str>, archived: Option<bool>) -> Result<RoomView> {
        let room = self.room(id).await?.ok_or(Error::NotFound("room"))?;
        if room.is_default && archived == Some(true) {
            return Err(Error::Conflict("the workspace's default room cannot be archived".to_owned()));
        }
        sqlx::query(
            "UPDATE rooms SET name = COALESCE($1, name), archived_at = CASE WHEN $2 = 1 THEN COALESCE(archived_at, $3) \
             WHEN $2 = 0 THEN NULL ELSE archived_at END WHERE id = $4",
        )
        .bind(name)
        .bind(archived.map_or(-1, i64::from))
        .bind(now_millis())
        .bind(id.as_str())
        .execute(&self.pool)
        .await
        .map_err(|e| Error::from(e).conflict_as("a room with this name already exists"))?;
        self.room(id).await?.ok_or(Error::NotFound("room"))
    }

    /// Stores a message and the members it mentions.
    pub async fn post_message(
        &self,
        room: &RoomId,
        author: &UserId,
        text: &str,
        mentions: &[UserId],
    ) -> Result<MessageView> {
        let id = new_id();
        let mut tx = self.pool.begin().await?;
        sqlx::query("INSERT INTO chat_messages (id, room_id, user_id, text, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(&id)
            .bind(room.as_str())
            .bind(author.as_str())
            .bind(text)
            .bind(now_millis())
            .execute(&mut *tx)
            .await?;
        insert_mentions(&mut tx, &id, mentions).await?;
        tx.commit().await?;
        self.message(&MessageId::new(id)).await?.ok_or(Error::NotFound("message"))
    }

    /// Replaces a message's text and mentions.
    pub async fn edit_message(&self, id: &MessageId, text: &str, mentions: &[UserId]) -> Result<MessageView> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query("UPDATE chat_messages SET text = $1, edited_at = $2 WHERE id = $3")
            .bind(text)
            .bind(now_millis())
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(Error::NotFound("message"));
        }
        sqlx::query("DELETE FROM chat_mentions WHERE message_id = $1").bind(id.as_str()).execute(&mut *tx).await?;
        insert_mentions(&mut tx, id.as_str(), mentions).await?;
        tx.commit().await?;
        self.message(id).await?.ok_or(Error::NotFound("message"))
    }

    /// Deletes a message. Returns whether it existed.
    pub async fn delete_message(&self, id: &MessageId) -> Result<bool> {
        let done = sqlx::query("DELETE FROM chat_messages WHERE id = $1").bind(id.as_str()).execute(&self.pool).await?;
        Ok(done.rows_affected() > 0)
    }

    /// One message, with its mentions.
    pub async fn message(&self, id: &MessageId) -> Result<Option<MessageView>> {
        let row = sqlx::query(AssertSqlSafe(format!("{MESSAGE_SELECT} WHERE m.id = $1")))
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let mut messages = vec![message_from_row(&row)?];
        self.fill_mentions(&mut messages).await?;
        Ok(messages.pop())
    }

    /// A room's messages, newest first: the `limit` before message `before`
    /// (or the newest).
    pub async fn messages(&self, room: &RoomId, before: Option<&MessageId>, limit: u32) -> Result<Vec<MessageView>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "{MESSAGE_SELECT} WHERE m.room_id = $1 AND ($2 = '' OR m.id < $2) ORDER BY m.id DESC LIMIT $3"
        )))
        .bind(room.as_str())
        .bind(before.map_or("", MessageId::as_str))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        self.messages_of(&rows).await
    }

    /// Messages of a workspace that mention `user`, newest first.
    pub async fn mentions_of(
        &self,
        workspace: &WorkspaceId,
        user: &UserId,
        before: Option<&MessageId>,
        limit: u32,
    ) -> Result<Vec<MessageView>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "{MESSAGE_SELECT} JOIN chat_mentions n ON n.message_id = m.id JOIN rooms r ON r.id = m.room_id \
             WHERE n.user_id = $1 AND r.workspace_id = $2 AND ($3 = '' OR m.id < $3) ORDER BY m.id DESC LIMIT $4"
        )))
        .bind(user.as_str())
        .bind(workspace.as_str())
        .bind(before.map_or("", MessageId::as_str))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        self.messages_of(&rows).await
    }

    /// Messages of a workspace's rooms holding every word of `query`, newest first.
    pub async fn search_messages(&self, workspace: &WorkspaceId, query: &str, limit: u32) -> Result<Vec<MessageView>> {
        let (sql, query) = match self.backend() {
            Backend::Sqlite => (
                format!(
                    "{MESSAGE_SELECT} JOIN rooms r ON r.id = m.room_id \
                     WHERE r.workspace_id = $1 AND m.rowid IN \
                     (SELECT rowid FROM chat_messages_fts WHERE chat_messages_fts MATCH $2) \
                     ORDER BY m.id DESC LIMIT $3"
                ),
                fts5_query(query),
            ),
            Backend::Postgres => (
                format!(
                    "{MESSAGE_SELECT} JOIN rooms r ON r.id = m.room_id \
                     WHERE r.workspace_id = $1 AND m.search @@ plainto_tsquery('simple', $2) \
                     ORDER BY m.id DESC LIMIT $3"
                ),
                query.to_owned(),
            ),
        };
        if query.trim().is_empty() {
            return Ok(Vec::new());
        }
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(workspace.as_str())
            .bind(query)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        self.messages_of(&rows).await
    }

    /// Records that `user` has read `room` up to `message` (never moves back).
    pub async fn mark_read(&self, room: &RoomId, user: &UserId, message: &MessageId) -> Result<()> {
        sqlx::query(
            "INSERT INTO room_reads (room_id, user_id, last_read_id) VALUES ($1, $2, $3) \
             ON CONFLICT (room_id, user_id) DO UPDATE SET last_read_id = excluded.last_read_id \
             WHERE room_reads.last_read_id < excluded.last_read_id",
        )
        .bind(room.as_str())
        .bind(user.as_str())
        .bind(message.as_str())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// For each open room of a workspace, the messages of others that `user`
    /// has not read, and how many of them mention `user`.
    pub async fn unread(&self, workspace: &WorkspaceId, user: &UserId) -> Result<Vec<UnreadView>> {
        let rows = sqlx::query(
            "SELECT r.id AS room_id, \
               (SELECT COUNT(*) FROM chat_messages m WHERE m.room_id = r.id AND m.user_id <> $2 \
                  AND m.id > COALESCE(rr.last_read_id, '')) AS unread, \
               (SELECT COUNT(*) FROM chat_messages m JOIN chat_mentions n ON n.message_id = m.id \
                  WHERE m.room_id = r.id AND n.user_id = $2 AND m.id > COALESCE(rr.last_read_id, '')) AS mentions \
             FROM rooms r LEFT JOIN room_reads rr ON rr.room_id = r.id AND rr.user_id = $2 \
             WHERE r.workspace_id = $1 AND r.archived_at IS NULL ORDER BY r.is_default DESC, r.name",
        )
        .bind(workspace.as_str())
        .bind(user.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(UnreadView {
                    room_id: RoomId::new(row.try_get::<String, _>("room_id")?),
                    unread: row.try_get("unread")?,
                    mentions: row.try_get("mentions")?,
                })
            })
            .collect()
    }

    /// Messages from rows of [`MESSAGE_SELECT`], with their mentions.
    async fn messages_of(&self, rows: &[AnyRow]) -> Result<Vec<MessageView>> {
        let mut messages = rows.iter().map(message_from_row).collect::<Result<Vec<_>>>()?;
        self.fill_mentions(&mut messages).await?;
        Ok(messages)
    }

    /// Fills in the mentions of `messages`.
    async fn fill_mentions(&self, messages: &mut [MessageView]) -> Result<()> {
        if messages.is_empty() {
            return Ok(());
        }
        let placeholders: Vec<String> = (1..=messages.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT message_id, user_id FROM chat_mentions WHERE message_id IN ({}) ORDER BY user_id",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for message in messages.iter() {
            query = query.bind(message.id.as_str());
        }
        for row in query.fetch_all(&self.pool).await? {
            let message_id: String = row.try_get("message_id")?;
            if let Some(message) = messages.iter_mut().find(|m| m.id.as_str() == message_id) {
                message.mentions.push(UserId::new(row.try_get::<String, _>("user_id")?));
            }
        }
        Ok(())
    }
}

async fn insert_mentions(tx: &mut Transaction<'_, Any>, message: &str, mentions: &[UserId]) -> Result<()> {
    for user in mentions {
        sqlx::query("INSERT INTO chat_mentions (message_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(message)
            .bind(user.as_str())
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_words_are_literals() {
        assert_eq!(fts5_query("  deploy  NEAR(x) "), r#""deploy" "NEAR(x)""#);
        assert_eq!(fts5_query(r#"say "hi"#), r#""say" """hi""#);
    }
}
