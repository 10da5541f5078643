//! Documents (files of a workspace) and their Yjs state: the update log and the
//! snapshot that compaction folds it into.
//!
//! Invariant: the state of a document is its snapshot (if any) followed by every
//! log entry with a greater `seq`, in order.

use reynard_proto::api::DocumentView;
use reynard_proto::{DocumentId, UserId, WorkspaceId};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Error, Result, Store, new_id, now_millis};

/// One update to append to a document's log.
#[derive(Debug, Clone)]
pub struct NewUpdate<'a> {
    pub seq: i64,
    /// The update, v1-encoded, exactly as accepted.
    pub data: &'a [u8],
    /// Who made it (none for server-made updates).
    pub user: Option<&'a UserId>,
}

/// What is stored of a document's content.
#[derive(Debug, Clone, Default)]
pub struct StoredState {
    /// The compacted state and the last `seq` folded into it.
    pub snapshot: Option<(i64, Vec<u8>)>,
    /// Log entries after the snapshot, in `seq` order.
    pub updates: Vec<(i64, Vec<u8>)>,
    /// Author of each log entry in `updates` (none for server-made ones).
    pub authors: Vec<Option<UserId>>,
}

impl StoredState {
    /// The distinct authors of the log entries after `seq`.
    pub fn authors_after(&self, seq: i64) -> std::collections::BTreeSet<UserId> {
        self.updates.iter().zip(&self.authors).filter(|((s, _), _)| *s > seq).filter_map(|(_, a)| a.clone()).collect()
    }

    /// The greatest `seq` stored (0 for an empty document).
    pub fn last_seq(&self) -> i64 {
        self.updates.last().map(|(seq, _)| *seq).or(self.snapshot.as_ref().map(|(seq, _)| *seq)).unwrap_or(0)
    }
}

fn document_from_row(row: &AnyRow) -> Result<DocumentView> {
    Ok(DocumentView {
        id: DocumentId::new(row.try_get::<String, _>("id")?),
        workspace_id: WorkspaceId::new(row.try_get::<String, _>("workspace_id")?),
        path: row.try_get("path")?,
        language: row.try_get("language")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

const PATH_TAKEN: &str = "a document with this path already exists in the workspace";

impl Store {
    /// Creates an empty document. A path already used in the workspace is a [`Error::Conflict`].
    pub async fn create_document(
        &self,
        workspace: &WorkspaceId,
        path: &str,
        language: &str,
        created_by: &UserId,
    ) -> Result<DocumentView> {
        let id = new_id();
        let now = now_millis();
        sqlx::query(
            "INSERT INTO documents (id, workspace_id, path, language, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(&id)
        .bind(workspace.as_str())
        .bind(path)
        .bind(language)
        .bind(created_by.as_str())
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(|e| Error::from(e).conflict_as(PATH_TAKEN))?;
        Ok(DocumentView {
            id: DocumentId::new(id),
            workspace_id: workspace.clone(),
            path: path.to_owned(),
            language: language.to_owned(),
            created_at: now,
            updated_at: now,
        })
    }

    /// The documents of a workspace, by path.
    pub async fn documents(&self, workspace: &WorkspaceId) -> Result<Vec<DocumentView>> {
        let rows = sqlx::query(
            "SELECT id, workspace_id, path, language, created_at, updated_at FROM documents \
             WHERE workspace_id = $1 ORDER BY path",
        )
        .bind(workspace.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(document_from_row).collect()
    }

    /// One document, if it exists.
    pub async fn document(&self, id: &DocumentId) -> Result<Option<DocumentView>> {
        let row =
            sqlx::query("SELECT id, workspace_id, path, language, created_at, updated_at FROM documents WHERE id = $1")
                .bind(id.as_str())
                .fetch_optional(&self.pool)
                .await?;
        row.as_ref().map(document_from_row).transpose()
    }

    /// Renames or moves a document.
    pub async fn move_document(&self, id: &DocumentId, path: &str, language: &str) -> Result<DocumentView> {
        let done = sqlx::query("UPDATE documents SET path = $1, language = $2, updated_at = $3 WHERE id = $4")
            .bind(path)
            .bind(language)
            .bind(now_millis())
            .bind(id.as_str())
            .execute(&self.pool)
            .await
            .map_err(|e| Error::from(e).conflict_as(PATH_TAKEN))?;
        if done.rows_affected() == 0 {
            return Err(Error::NotFound("document"));
        }
        self.document(id).await?.ok_or(Error::NotFound("document"))
    }

    /// Deletes a document with its log and snapshot.
    pub async fn delete_document(&self, id: &DocumentId) -> Result<()> {
        let done = sqlx::query("DELETE FROM documents WHERE id = $1").bind(id.as_str()).execute(&self.pool).await?;
        if done.rows_affected() == 0 {
            return Err(Error::NotFound("document"));
        }
        Ok(())
    }

    /// Everything needed to rebuild a document's state. The log is read before
    /// the snapshot: a compaction that lands between the two reads folds entries
    /// into the snapshot, so they are skipped, never lost.
    pub async fn load_document_state(&self, id: &DocumentId) -> Result<StoredState> {
        let rows = sqlx::query("SELECT seq, data, user_id FROM doc_updates WHERE doc_id = $1 ORDER BY seq")
            .bind(id.as_str())
            .fetch_all(&self.pool)
            .await?;
        let snapshot = sqlx::query("SELECT seq, data FROM doc_snapshots WHERE doc_id = $1")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?
            .map(|row| Ok::<_, Error>((row.try_get::<i64, _>("seq")?, row.try_get::<Vec<u8>, _>("data")?)))
            .transpose()?;
        let after = snapshot.as_ref().map_or(0, |(seq, _)| *seq);
        let mut updates = Vec::with_capacity(rows.len());
        let mut authors = Vec::with_capacity(rows.len());
        for row in &rows {
            let seq: i64 = row.try_get("seq")?;
            if seq > after {
                updates.push((seq, row.try_get::<Vec<u8>, _>("data")?));
                authors.push(row.try_get::<Option<String>, _>("user_id")?.map(UserId::new));
            }
        }
        Ok(StoredState { snapshot, updates, authors })
    }

    /// Appends updates to a document's log. The entries are written together
    /// (atomically) and share their commit with other documents' appends that
    /// wait at the same time (the store's log writer). A `seq` already used
    /// is a [`Error::Conflict`] and nothing of the batch is written.
    pub async fn append_updates(&self, id: &DocumentId, updates: &[NewUpdate<'_>]) -> Result<()> {
        if updates.is_empty() {
            return Ok(());
        }
        self.group_append(id, updates).await
    }

    /// The last position of a document's log (its last entry, or the snapshot
    /// that folded it); 0 for a document without any.
    pub async fn document_head(&self, id: &DocumentId) -> Result<i64> {
        let row = sqlx::query(
            "SELECT COALESCE(MAX(seq), 0) AS head FROM (SELECT MAX(seq) AS seq FROM doc_updates WHERE doc_id = $1 \
             UNION ALL SELECT seq FROM doc_snapshots WHERE doc_id = $1) AS positions",
        )
        .bind(id.as_str())
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get::<i64, _>("head")?)
    }

    /// Log entries of a document after `after_seq`, in order (to catch up).
    pub async fn updates_since(&self, id: &DocumentId, after_seq: i64) -> Result<Vec<(i64, Vec<u8>)>> {
        let rows = sqlx::query("SELECT seq, data FROM doc_updates WHERE doc_id = $1 AND seq > $2 ORDER BY seq")
            .bind(id.as_str())
            .bind(after_seq)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|row| Ok((row.try_get::<i64, _>("seq")?, row.try_get::<Vec<u8>, _>("data")?))).collect()
    }

    /// Replaces the log up to `seq` with `state` (the document folded through
    /// `seq`), in one transaction. Returns `false`, changing nothing, when the
    /// stored snapshot is at `seq` or further already.
    pub async fn write_snapshot(&self, id: &DocumentId, seq: i64, state: &[u8]) -> Result<bool> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        // Only a snapshot further along the log replaces the stored one, decided
        // in the statement that writes it: a process that saw less of the log
        // never moves the document backwards.
        let written = sqlx::query(
            "INSERT INTO doc_snapshots (doc_id, seq, data, at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (doc_id) DO UPDATE SET seq = excluded.seq, data = excluded.data, at = excluded.at \
             WHERE doc_snapshots.seq < excluded.seq",
        )
        .bind(id.as_str())
        .bind(seq)
        .bind(state)
        .bind(now_millis())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if written == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        sqlx::query("DELETE FROM doc_updates WHERE doc_id = $1 AND seq <= $2")
            .bind(id.as_str())
            .bind(seq)
            .execute(&mut *tx)
            .await?;
        // The log's appends do not touch the document row (one statement per
        // batch); its modification time moves with each snapshot.
        sqlx::query("UPDATE documents SET updated_at = $1 WHERE id = $2")
            .bind(now_millis())
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }
}
