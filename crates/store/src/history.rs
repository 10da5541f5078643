//! Versions and branches of documents.

use reynard_proto::api::DocumentView;
use reynard_proto::{DocumentId, UserId, WorkspaceId};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Error, Result, Store, new_id, now_millis};

/// A version as listed (without its stored state).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionRecord {
    pub id: String,
    pub doc_id: DocumentId,
    pub ordinal: i64,
    pub seq: i64,
    pub kind: String,
    pub name: Option<String>,
    pub created_at: i64,
    pub author_ids: Vec<UserId>,
    pub added: i64,
    pub removed: i64,
}

/// A version to store.
#[derive(Debug, Clone)]
pub struct NewVersion<'a> {
    pub doc_id: &'a DocumentId,
    pub seq: i64,
    pub kind: &'a str,
    pub name: Option<&'a str>,
    pub author_ids: &'a [UserId],
    pub added: i64,
    pub removed: i64,
    pub state_vector: &'a [u8],
    pub is_checkpoint: bool,
    pub data: &'a [u8],
}

/// What the next version of a document is encoded against.
#[derive(Debug, Clone)]
pub struct VersionBase {
    pub id: String,
    pub ordinal: i64,
    pub seq: i64,
    pub state_vector: Vec<u8>,
    /// Versions since (and including) the last checkpoint.
    pub since_checkpoint: i64,
    /// Stored size of the last checkpoint.
    pub checkpoint_bytes: i64,
    /// Stored size of the deltas after the last checkpoint.
    pub bytes_since_checkpoint: i64,
}

/// A branch to create.
#[derive(Debug, Clone)]
pub struct NewBranch<'a> {
    /// The document it branches from.
    pub origin: &'a DocumentId,
    pub workspace: &'a WorkspaceId,
    pub path: &'a str,
    pub language: &'a str,
    pub created_by: &'a UserId,
    /// The version it forks at (none: the present).
    pub forked_at: Option<&'a str>,
    /// The origin's state at the fork (one v1 update): the branch's first log entry.
    pub fork_state: &'a [u8],
    /// The origin's state vector at the fork (what a first merge leaves out).
    pub state_vector: &'a [u8],
}

/// A branch as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BranchRecord {
    pub id: DocumentId,
    pub path: String,
    pub branch_of: DocumentId,
    pub forked_at: Option<String>,
    pub merged_seq: i64,
    /// The branch's last log position.
    pub seq: i64,
}

/// Where a branch stands against its origin.
#[derive(Debug, Clone)]
pub struct BranchState {
    pub branch_of: DocumentId,
    pub merged_state_vector: Vec<u8>,
    pub merged_seq: i64,
}

const VERSION_COLUMNS: &str = "id, doc_id, ordinal, seq, kind, name, created_at, author_ids, added, removed";

fn version_from_row(row: &AnyRow) -> Result<VersionRecord> {
    let authors: String = row.try_get("author_ids")?;
    let author_ids = if authors.is_empty() { Vec::new() } else { authors.split(',').map(UserId::new).collect() };
    Ok(VersionRecord {
        id: row.try_get("id")?,
        doc_id: DocumentId::new(row.try_get::<String, _>("doc_id")?),
        ordinal: row.try_get("ordinal")?,
        seq: row.try_get("seq")?,
        kind: row.try_get("kind")?,
        name: row.try_get("name")?,
        created_at: row.try_get("created_at")?,
        author_ids,
        added: row.try_get("added")?,
        removed: row.try_get("removed")?,
    })
}

impl Store {
    /// Stores a version after the document's last one.
    pub async fn create_version(&self, new: NewVersion<'_>) -> Result<VersionRecord> {
        let id = new_id();
        let now = now_millis();
        let authors = new.author_ids.iter().map(UserId::as_str).collect::<Vec<_>>().join(",");
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query("SELECT COALESCE(MAX(ordinal), 0) AS n FROM doc_versions WHERE doc_id = $1")
            .bind(new.doc_id.as_str())
            .fetch_one(&mut *tx)
            .await?;
        let ordinal: i64 = row.try_get::<i64, _>("n")? + 1;
        if new.kind == "auto" {
            // Another process with the document open may have versioned this
            // state since the caller looked: once is enough. (Two inserts at
            // once collide on the ordinal; the loser retries and lands here.)
            let row = sqlx::query("SELECT COALESCE(MAX(seq), -1) AS seq FROM doc_versions WHERE doc_id = $1")
                .bind(new.doc_id.as_str())
                .fetch_one(&mut *tx)
                .await?;
            if row.try_get::<i64, _>("seq")? >= new.seq {
                tx.rollback().await?;
                return Err(Error::Conflict("this state has an automatic version already".to_owned()));
            }
        }
        sqlx::query(
            "INSERT INTO doc_versions (id, doc_id, ordinal, seq, kind, name, created_at, author_ids, added, removed, \
             state_vector, is_checkpoint, data) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(&id)
        .bind(new.doc_id.as_str())
        .bind(ordinal)
        .bind(new.seq)
        .bind(new.kind)
        .bind(new.name)
        .bind(now)
        .bind(&authors)
        .bind(new.added)
        .bind(new.removed)
        .bind(new.state_vector)
        .bind(i64::from(new.is_checkpoint))
        .bind(new.data)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(VersionRecord {
            id,
            doc_id: new.doc_id.clone(),
            ordinal,
            seq: new.seq,
            kind: new.kind.to_owned(),
            name: new.name.map(str::to_owned),
            created_at: now,
            author_ids: new.author_ids.to_vec(),
            added: new.added,
            removed: new.removed,
        })
    }

    /// A document's versions, newest first.
    pub async fn versions(&self, doc: &DocumentId) -> Result<Vec<VersionRecord>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {VERSION_COLUMNS} FROM doc_versions WHERE doc_id = $1 ORDER BY ordinal DESC"
        ));
        let rows = sqlx::query(sql).bind(doc.as_str()).fetch_all(&self.pool).await?;
        rows.iter().map(version_from_row).collect()
    }

    /// One version of a document.
    pub async fn version(&self, doc: &DocumentId, id: &str) -> Result<VersionRecord> {
        let sql =
            sqlx::AssertSqlSafe(format!("SELECT {VERSION_COLUMNS} FROM doc_versions WHERE doc_id = $1 AND id = $2"));
        let row = sqlx::query(sql).bind(doc.as_str()).bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(version_from_row).transpose()?.ok_or(Error::NotFound("version"))
    }

    /// The stored updates that rebuild a version: the nearest checkpoint at or
    /// before it, then every delta up to it, in order.
    pub async fn version_updates(&self, doc: &DocumentId, id: &str) -> Result<Vec<Vec<u8>>> {
        let version = self.version(doc, id).await?;
        let rows = sqlx::query(
            "SELECT data FROM doc_versions WHERE doc_id = $1 AND ordinal <= $2 AND ordinal >= \
             (SELECT COALESCE(MAX(ordinal), 1) FROM doc_versions WHERE doc_id = $1 AND ordinal <= $2 AND is_checkpoint = 1) \
             ORDER BY ordinal",
        )
        .bind(doc.as_str())
        .bind(version.ordinal)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|row| Ok(row.try_get::<Vec<u8>, _>("data")?)).collect()
    }

    /// What a new version of `doc` is encoded against, if it has versions.
    pub async fn version_base(&self, doc: &DocumentId) -> Result<Option<VersionBase>> {
        let row = sqlx::query(
            "WITH cp AS (SELECT COALESCE(MAX(ordinal), 0) AS ordinal FROM doc_versions WHERE doc_id = $1 AND is_checkpoint = 1) \
             SELECT v.id, v.ordinal, v.seq, v.state_vector, v.ordinal - cp.ordinal + 1 AS since_checkpoint, \
             CAST(COALESCE((SELECT LENGTH(c.data) FROM doc_versions c WHERE c.doc_id = $1 AND c.ordinal = cp.ordinal), 0) AS BIGINT) \
               AS checkpoint_bytes, \
             CAST(COALESCE((SELECT SUM(LENGTH(d.data)) FROM doc_versions d WHERE d.doc_id = $1 AND d.ordinal > cp.ordinal), 0) AS BIGINT) \
               AS bytes_since_checkpoint \
             FROM doc_versions v, cp WHERE v.doc_id = $1 ORDER BY v.ordinal DESC LIMIT 1",
        )
        .bind(doc.as_str())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(VersionBase {
                id: row.try_get("id")?,
                ordinal: row.try_get("ordinal")?,
                seq: row.try_get("seq")?,
                state_vector: row.try_get("state_vector")?,
                since_checkpoint: row.try_get("since_checkpoint")?,
                checkpoint_bytes: row.try_get("checkpoint_bytes")?,
                bytes_since_checkpoint: row.try_get("bytes_since_checkpoint")?,
            })
        })
        .transpose()
    }

    /// Creates a branch of `new.origin`: a document at `new.path` whose first
    /// log entry is the origin's state at the fork, marked as a branch with the
    /// fork's state vector. One transaction: a failure at any step (the path is
    /// taken, the origin was deleted meanwhile…) leaves no document behind.
    pub async fn create_branch(&self, new: NewBranch<'_>) -> Result<DocumentView> {
        let id = new_id();
        let now = now_millis();
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO documents (id, workspace_id, path, language, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(&id)
        .bind(new.workspace.as_str())
        .bind(new.path)
        .bind(new.language)
        .bind(new.created_by.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| Error::from(e).conflict_as("a document with this path already exists in the workspace"))?;
        sqlx::query("INSERT INTO doc_updates (doc_id, seq, data, user_id, at) VALUES ($1, 1, $2, $3, $4)")
            .bind(&id)
            .bind(new.fork_state)
            .bind(new.created_by.as_str())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        // The origin is referenced last: if it was deleted since the caller
        // read it, this fails and the whole branch is rolled back.
        let marked = sqlx::query(
            "UPDATE documents SET branch_of = $1, forked_at = $2, merged_state_vector = $3, merged_seq = 1 \
             WHERE id = $4",
        )
        .bind(new.origin.as_str())
        .bind(new.forked_at)
        .bind(new.state_vector)
        .bind(&id)
        .execute(&mut *tx)
        .await;
        match marked {
            Ok(_) => {}
            Err(err) => {
                return Err(match Error::from(err) {
                    Error::NotFound(_) => Error::NotFound("document"),
                    other => other,
                });
            }
        }
        tx.commit().await?;
        Ok(DocumentView {
            id: DocumentId::new(id),
            workspace_id: new.workspace.clone(),
            path: new.path.to_owned(),
            language: new.language.to_owned(),
            created_at: now,
            updated_at: now,
        })
    }

    /// Where a branch stands, or `None` if the document is not a branch.
    pub async fn branch_state(&self, branch: &DocumentId) -> Result<Option<BranchState>> {
        let row = sqlx::query("SELECT branch_of, merged_state_vector, merged_seq FROM documents WHERE id = $1")
            .bind(branch.as_str())
            .fetch_optional(&self.pool)
            .await?
            .ok_or(Error::NotFound("document"))?;
        let Some(origin) = row.try_get::<Option<String>, _>("branch_of")? else {
            return Ok(None);
        };
        Ok(Some(BranchState {
            branch_of: DocumentId::new(origin),
            merged_state_vector: row.try_get::<Option<Vec<u8>>, _>("merged_state_vector")?.unwrap_or_default(),
            merged_seq: row.try_get::<Option<i64>, _>("merged_seq")?.unwrap_or(0),
        }))
    }

    /// Records a merge of `branch`: its state vector and log position at the merge.
    pub async fn set_merged(&self, branch: &DocumentId, state_vector: &[u8], seq: i64) -> Result<()> {
        sqlx::query("UPDATE documents SET merged_state_vector = $1, merged_seq = $2 WHERE id = $3")
            .bind(state_vector)
            .bind(seq)
            .bind(branch.as_str())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The branches of a document, by path, with their last log position.
    pub async fn branches(&self, origin: &DocumentId) -> Result<Vec<BranchRecord>> {
        let rows = sqlx::query(
            "SELECT d.id, d.path, d.branch_of, d.forked_at, COALESCE(d.merged_seq, 0) AS merged_seq, \
             COALESCE((SELECT MAX(u.seq) FROM doc_updates u WHERE u.doc_id = d.id), \
                      (SELECT s.seq FROM doc_snapshots s WHERE s.doc_id = d.id), 0) AS seq \
             FROM documents d WHERE d.branch_of = $1 ORDER BY d.path",
        )
        .bind(origin.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(BranchRecord {
                    id: DocumentId::new(row.try_get::<String, _>("id")?),
                    path: row.try_get("path")?,
                    branch_of: DocumentId::new(row.try_get::<String, _>("branch_of")?),
                    forked_at: row.try_get("forked_at")?,
                    merged_seq: row.try_get("merged_seq")?,
                    seq: row.try_get("seq")?,
                })
            })
            .collect()
    }
}

/// Bytes a document's history takes in storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryStorage {
    /// Stored version data (checkpoints and deltas).
    pub versions: i64,
    /// The compacted state.
    pub snapshot: i64,
    /// Log entries not yet compacted.
    pub log: i64,
}

impl Store {
    /// How many bytes `doc`'s versions, snapshot and log take.
    pub async fn history_storage(&self, doc: &DocumentId) -> Result<HistoryStorage> {
        let size = |sql: &'static str| {
            let pool = self.pool.clone();
            let doc = doc.as_str().to_owned();
            async move {
                let row = sqlx::query(sql).bind(doc).fetch_one(&pool).await?;
                Ok::<i64, Error>(row.try_get::<Option<i64>, _>("n")?.unwrap_or(0))
            }
        };
        Ok(HistoryStorage {
            versions: size("SELECT CAST(SUM(LENGTH(data)) AS BIGINT) AS n FROM doc_versions WHERE doc_id = $1").await?,
            snapshot: size("SELECT CAST(SUM(LENGTH(data)) AS BIGINT) AS n FROM doc_snapshots WHERE doc_id = $1")
                .await?,
            log: size("SELECT CAST(SUM(LENGTH(data)) AS BIGINT) AS n FROM doc_updates WHERE doc_id = $1").await?,
        })
    }
}
