//! Group commit of update-log appends **across documents**.
//!
//! Every open document appends its accepted updates before anyone sees them.
//! Appends that wait for the database at the same moment go out together: the
//! first caller to find no commit running becomes the leader, takes everything
//! queued (its own entries included) and writes it as one `INSERT`; the others
//! find their answer when their turn comes. With many busy documents this is one
//! commit — one WAL write of each touched page, one round trip to SQLite's
//! connection thread — instead of one per document.
//!
//! Each caller still gets its own result: if the shared statement fails (a
//! sequence number another process took, a deleted document), the batch is
//! written again one caller at a time, so one document's conflict never fails
//! another's append.

use std::fmt::Write as _;
use std::sync::Mutex;

use reynard_proto::{DocumentId, UserId};
use tokio::sync::oneshot;

use crate::documents::NewUpdate;
use crate::{Backend, Error, Result, Store, now_millis};

/// Rows per `INSERT` of log entries (5 parameters each, within every backend's
/// parameter limit: SQLite 32766, PostgreSQL 65535).
const MAX_ROWS_PER_INSERT: usize = 1000;

/// The queue of appends waiting for the next commit.
#[derive(Debug, Default)]
pub(crate) struct LogWriter {
    queue: Mutex<Vec<Pending>>,
    /// Held by the leader while it commits.
    turn: tokio::sync::Mutex<()>,
}

/// One caller's append, waiting in the queue.
#[derive(Debug)]
struct Pending {
    doc: DocumentId,
    rows: Vec<OwnedUpdate>,
    reply: oneshot::Sender<Result<()>>,
}

#[derive(Debug)]
struct OwnedUpdate {
    seq: i64,
    data: Vec<u8>,
    user: Option<UserId>,
}

/// One row of an `INSERT`, borrowed from a [`Pending`] append.
struct Row<'a> {
    doc: &'a DocumentId,
    update: &'a OwnedUpdate,
}

impl LogWriter {
    fn enqueue(&self, pending: Pending) {
        self.queue.lock().unwrap_or_else(|e| e.into_inner()).push(pending);
    }

    fn take(&self) -> Vec<Pending> {
        std::mem::take(&mut *self.queue.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

impl Store {
    /// Appends `updates` to the log of `doc`, sharing the commit with appends
    /// of other documents that wait at the same time (see the module docs).
    pub(crate) async fn group_append(&self, doc: &DocumentId, updates: &[NewUpdate<'_>]) -> Result<()> {
        let rows =
            updates.iter().map(|u| OwnedUpdate { seq: u.seq, data: u.data.to_vec(), user: u.user.cloned() }).collect();
        let (reply, mut answer) = oneshot::channel();
        self.log_writer.enqueue(Pending { doc: doc.clone(), rows, reply });
        let turn = self.log_writer.turn.lock().await;
        // A leader before us may have committed this append already.
        if let Ok(result) = answer.try_recv() {
            return result;
        }
        let batch = self.log_writer.take();
        self.commit_appends(batch).await;
        drop(turn);
        answer.await.unwrap_or_else(|_| Err(Error::Conflict("the append was interrupted".to_owned())))
    }

    /// Writes a batch of appends and answers each of them.
    async fn commit_appends(&self, batch: Vec<Pending>) {
        if batch.is_empty() {
            return;
        }
        let _write = self.write_turn().await;
        let rows: Vec<Row<'_>> =
            batch.iter().flat_map(|p| p.rows.iter().map(move |update| Row { doc: &p.doc, update })).collect();
        match self.insert_rows(&rows).await {
            Ok(()) => {
                drop(rows);
                for pending in batch {
                    let _ = pending.reply.send(Ok(()));
                }
            }
            Err(err) if batch.len() == 1 => {
                drop(rows);
                let pending = batch.into_iter().next().expect("one append");
                let _ = pending.reply.send(Err(err));
            }
            Err(_) => {
                // Someone's rows failed the shared statement: give each append its own.
                drop(rows);
                for pending in batch {
                    let rows: Vec<Row<'_>> =
                        pending.rows.iter().map(|update| Row { doc: &pending.doc, update }).collect();
                    let result = self.insert_rows(&rows).await;
                    drop(rows);
                    let _ = pending.reply.send(result);
                }
            }
        }
    }

    /// Inserts `rows` atomically: one statement, or a transaction of several.
    /// A `seq` already used is a [`Error::Conflict`] and nothing is written.
    async fn insert_rows(&self, rows: &[Row<'_>]) -> Result<()> {
        let now = now_millis();
        let conflict = |e: sqlx::Error| Error::from(e).conflict_as("update sequence number already used");
        if rows.len() <= MAX_ROWS_PER_INSERT {
            return insert_statement(self.backend(), rows, now)
                .execute(self.log_pool())
                .await
                .map(drop)
                .map_err(conflict);
        }
        let mut tx = self.log_pool().begin().await?;
        for chunk in rows.chunks(MAX_ROWS_PER_INSERT) {
            insert_statement(self.backend(), chunk, now).execute(&mut *tx).await.map_err(conflict)?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// One `INSERT` statement for a chunk of log entries (of any documents).
///
/// SQLite gets anonymous `?` parameters: the driver looks up the name of every
/// numbered parameter, and SQLite finds a name by scanning the statement's list
/// of names, which makes binding a statement of `$N` parameters quadratic.
fn insert_statement<'q>(
    backend: Backend,
    rows: &'q [Row<'q>],
    now: i64,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    let mut sql = String::with_capacity(64 + rows.len() * 32);
    sql.push_str("INSERT INTO doc_updates (doc_id, seq, data, user_id, at) VALUES ");
    for i in 0..rows.len() {
        let sep = if i == 0 { "" } else { ", " };
        match backend {
            Backend::Sqlite => {
                let _ = write!(sql, "{sep}(?, ?, ?, ?, ?)");
            }
            Backend::Postgres => {
                let p = i * 5;
                let _ = write!(sql, "{sep}(${}, ${}, ${}, ${}, ${})", p + 1, p + 2, p + 3, p + 4, p + 5);
            }
        }
    }
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for row in rows {
        query = query
            .bind(row.doc.as_str())
            .bind(row.update.seq)
            .bind(row.update.data.as_slice())
            .bind(row.update.user.as_ref().map(UserId::as_str))
            .bind(now);
    }
    query
}
