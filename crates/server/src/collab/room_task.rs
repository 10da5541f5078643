//! The task that owns one open document. It takes events in batches: frames are
//! applied through [`DocRoom`], every accepted update of the batch is appended
//! to the log in **one** transaction (group commit), and only then does anything
//! leave the room — replies, the batch's updates merged into one message for
//! everyone, awareness changes. A client that has seen its update echoed knows
//! it is on disk.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use reynard_bus::{Bus, Payload, ProcessId, Published, SubscriptionId, Topic};
use reynard_collab::history::{DIFF_BUDGET, Rebuilt, count_changes, strip_known_deletions};
use reynard_collab::update_log::{LogSize, merge_author_runs};
use reynard_collab::{ConnId, DocRoom, ProtocolError};
use reynard_proto::{DocumentId, UserId, WorkspaceId};
use reynard_store::Store;
use reynard_store::documents::NewUpdate;
use reynard_store::history::{NewVersion, VersionRecord};
use tokio::sync::{mpsc, oneshot};
use tracing::Instrument;

mod context;

pub use context::{RoomContext, RoomRegistry};

use super::CollabConfig;
use super::events::{Export, HubError, RoomEvent, VersionKind};
use crate::history_work;
use crate::ws::{Outbox, close_code};

/// Most events handled in one batch (and so in one transaction).
const MAX_BATCH: usize = 512;
/// Attempts to append a batch when other processes keep taking its sequence numbers.
const MAX_APPEND_ATTEMPTS: usize = 8;

#[derive(Debug)]
struct Client {
    user: UserId,
    outbox: Outbox,
}

/// Answers that wait for the batch's commit.
#[derive(Debug)]
enum Ack {
    Joined(oneshot::Sender<Result<(), HubError>>),
    Text(oneshot::Sender<Result<String, HubError>>),
    Replaced(oneshot::Sender<Result<bool, HubError>>, Result<bool, HubError>),
    Version(oneshot::Sender<Result<Option<VersionRecord>, HubError>>, VersionKind, Option<String>),
    Export(oneshot::Sender<Result<Export, HubError>>, Option<Vec<u8>>),
}

#[derive(Debug)]
struct RoomTask {
    doc: DocumentId,
    /// The workspace the document belongs to (for access changes).
    workspace: WorkspaceId,
    store: Store,
    config: CollabConfig,
    bus: Arc<dyn Bus>,
    /// `Topic::Document(doc)`, the topic of this document on the bus.
    topic: Topic,
    process: ProcessId,
    subscription: SubscriptionId,
    room: DocRoom,
    clients: HashMap<ConnId, Client>,
    /// The log sequence number of the last update appended.
    seq: i64,
    /// The log not yet folded into a snapshot, and the last snapshot's size.
    log: LogSize,
    /// Who changed the document since its last version.
    authors: BTreeSet<UserId>,
    /// Log position of the last version (0 without versions).
    version_seq: i64,
    /// Text of the last version, once known (for the next version's summary).
    version_text: Option<String>,
    /// Delete set of the last version, once known (the next delta leaves it out).
    version_deletions: Option<Vec<u8>>,
    /// When the last version was recorded (or the room loaded).
    version_at: Instant,
    /// When the last local update was accepted.
    updated_at: Option<Instant>,
    /// A stored update did not apply: the room stops without writing a
    /// snapshot (which would delete the log entries it folds).
    broken: bool,
}

/// Runs the room of `doc` until it is idle past the grace period, shut down, or
/// its storage fails.
pub async fn run(
    context: RoomContext,
    doc: DocumentId,
    tx: mpsc::WeakSender<RoomEvent>,
    mut rx: mpsc::Receiver<RoomEvent>,
) {
    let span = tracing::info_span!("room", doc = %doc);
    async move {
        let mut task = match RoomTask::load(&context, doc.clone(), tx).await {
            Ok(task) => task,
            Err(err) => {
                tracing::error!(%err, "could not load document");
                context.registry.forget(&doc, &mut rx);
                fail_pending(&mut rx, &err.to_string()).await;
                return;
            }
        };
        let mut idle_since = Some(Instant::now());
        loop {
            // Wake for the next automatic version, or for eviction when idle.
            let evict_at = idle_since.map(|since| since + task.config.idle_grace);
            let wake = [task.auto_version_due(), evict_at].into_iter().flatten().min();
            let next = match wake {
                Some(at) => tokio::time::timeout_at(at.into(), rx.recv()).await.ok(),
                None => Some(rx.recv().await),
            };
            let first = match next {
                Some(Some(event)) => event,
                Some(None) => break,
                None => {
                    if task.auto_version_due().is_some_and(|due| due <= Instant::now()) {
                        task.auto_version().await;
                    }
                    if evict_at.is_some_and(|at| at <= Instant::now()) {
                        // Version and compact while still registered, so that a task
                        // that starts after this one loads the finished state.
                        task.auto_version().await;
                        task.snapshot().await;
                        if context.registry.try_retire(&doc, &mut rx) {
                            break;
                        }
                        idle_since = Some(Instant::now());
                    }
                    continue;
                }
            };
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(event) => batch.push(event),
                    Err(_) => break,
                }
            }
            if task.process(batch).await.is_break() {
                context.registry.forget(&doc, &mut rx);
                break;
            }
            idle_since = if task.clients.is_empty() { idle_since.or(Some(Instant::now())) } else { None };
        }
        task.snapshot().await;
        task.bus.unsubscribe(&task.topic, task.subscription);
        // Events that raced with the stop go to the document's next task.
        let mut left = Vec::new();
        while let Some(event) = rx.recv().await {
            if !matches!(event, RoomEvent::Shutdown { .. } | RoomEvent::Remote(_) | RoomEvent::AccessChanged { .. }) {
                left.push(event);
            }
        }
        context.registry.redeliver(doc, left);
        tracing::debug!("room closed");
    }
    .instrument(span)
    .await;
}

/// Answers everything queued for a room that could not load.
async fn fail_pending(rx: &mut mpsc::Receiver<RoomEvent>, reason: &str) {
    while let Some(event) = rx.recv().await {
        let err = || HubError::Storage(reason.to_owned());
        match event {
            RoomEvent::Join { joined, .. } => drop(joined.send(Err(err()))),
            RoomEvent::Text { reply } => drop(reply.send(Err(err()))),
            RoomEvent::ReplaceText { reply, .. } => drop(reply.send(Err(err()))),
            RoomEvent::CreateVersion { reply, .. } => drop(reply.send(Err(err()))),
            RoomEvent::Export { reply, .. } => drop(reply.send(Err(err()))),
            RoomEvent::Apply { reply, .. } => drop(reply.send(Err(err()))),
            RoomEvent::Frame { .. }
            | RoomEvent::Leave { .. }
            | RoomEvent::Shutdown { .. }
            | RoomEvent::Remote(_)
            | RoomEvent::AccessChanged { .. } => {}
        }
    }
}

fn close_code_for(err: &ProtocolError) -> u16 {
    match err {
        ProtocolError::MessageTooLarge { .. } | ProtocolError::DocumentTooLarge { .. } => close_code::TOO_BIG,
        _ => close_code::INVALID_DATA,
    }
}

impl RoomTask {
    async fn load(
        context: &RoomContext,
        doc: DocumentId,
        tx: mpsc::WeakSender<RoomEvent>,
    ) -> Result<RoomTask, HubError> {
        let (store, config, bus) = (context.store.clone(), context.config.clone(), context.bus.clone());
        let topic = Topic::Document(doc.clone());
        // Subscribe before reading the log, so that nothing published meanwhile is missed
        // (what was already read is recognised by its sequence number).
        let process = context.process;
        let subscription = bus.subscribe(
            &topic,
            Arc::new(move |event: Published| {
                if event.origin != process
                    && let Some(tx) = tx.upgrade()
                {
                    // A full queue drops the event: the gap is caught up from the log.
                    let _ = tx.try_send(RoomEvent::Remote(event));
                }
            }),
        );
        let workspace = match store.document(&doc).await {
            Ok(document) => document.map_or_else(|| WorkspaceId::new(""), |d| d.workspace_id),
            Err(err) => {
                bus.unsubscribe(&topic, subscription);
                return Err(HubError::Storage(err.to_string()));
            }
        };
        let state = match store.load_document_state(&doc).await {
            Ok(state) => state,
            Err(err) => {
                bus.unsubscribe(&topic, subscription);
                return Err(HubError::Storage(err.to_string()));
            }
        };
        let seq = state.last_seq();
        let log = LogSize {
            entries: state.updates.len(),
            bytes: state.updates.iter().map(|(_, data)| data.len()).sum(),
            snapshot_bytes: state.snapshot.as_ref().map_or(0, |(_, data)| data.len()),
        };
        let version_seq = match store.version_base(&doc).await {
            Ok(base) => base.map_or(0, |b| b.seq),
            Err(err) => {
                bus.unsubscribe(&topic, subscription);
                return Err(HubError::Storage(err.to_string()));
            }
        };
        let authors = state.authors_after(version_seq);
        let parts = state
            .snapshot
            .iter()
            .map(|(_, data)| data.as_slice())
            .chain(state.updates.iter().map(|(_, d)| d.as_slice()));
        let room = match DocRoom::load(config.limits, parts) {
            Ok(room) => room,
            Err(err) => {
                bus.unsubscribe(&topic, subscription);
                return Err(HubError::Storage(err.to_string()));
            }
        };
        tracing::debug!(seq, entries = log.entries, "document loaded");
        Ok(RoomTask {
            doc,
            workspace,
            store,
            config,
            bus,
            topic,
            process,
            subscription,
            room,
            clients: HashMap::new(),
            seq,
            log,
            authors,
            version_seq,
            version_text: None,
            version_deletions: None,
            version_at: Instant::now(),
            updated_at: (seq > version_seq).then(Instant::now),
            broken: false,
        })
    }

    /// Handles one batch of events. Breaks when the room must stop.
    async fn process(&mut self, batch: Vec<RoomEvent>) -> std::ops::ControlFlow<()> {
        // Messages for one client, in the order they were produced.
        let mut direct: Vec<(ConnId, Bytes)> = Vec::new();
        // Awareness messages for everyone (merged into one before sending).
        let mut awareness: Vec<Vec<u8>> = Vec::new();
        // Accepted updates, with their authors.
        let mut accepted: Vec<(Vec<u8>, Option<UserId>)> = Vec::new();
        let mut acks: Vec<Ack> = Vec::new();
        let mut closing: Vec<(ConnId, u16, String)> = Vec::new();
        let mut stop: Option<(u16, &'static str)> = None;
        // Other processes' durable updates and awareness, for local clients only.
        let mut remote_seqs: Vec<(i64, Arc<[u8]>)> = Vec::new();
        let mut remote_awareness: Vec<Bytes> = Vec::new();

        let mut events = batch.into_iter().peekable();
        while let Some(event) = events.next() {
            match event {
                RoomEvent::Join { conn, user, can_write, outbox, joined } => {
                    for message in self.room.connect_as(conn, can_write, Arc::from(user.as_str())) {
                        direct.push((conn, Bytes::from(message)));
                    }
                    self.clients.insert(conn, Client { user, outbox });
                    acks.push(Ack::Joined(joined));
                }
                RoomEvent::Frame { conn, data, queued: _ } => {
                    // The connection's frames right behind this one go with it: a
                    // typist's burst is applied as one update.
                    let mut frames = vec![data];
                    let same_connection =
                        |event: &RoomEvent| matches!(event, RoomEvent::Frame { conn: next, .. } if *next == conn);
                    while let Some(RoomEvent::Frame { data, .. }) = events.next_if(same_connection) {
                        frames.push(data);
                    }
                    let Some(client) = self.clients.get(&conn) else { continue };
                    if closing.iter().any(|(c, ..)| *c == conn) {
                        continue;
                    }
                    let frames: Vec<&[u8]> = frames.iter().map(Bytes::as_ref).collect();
                    let author = Some(client.user.clone());
                    for result in self.room.receive_all(conn, &frames) {
                        match result {
                            Ok(effects) => {
                                direct.extend(effects.reply.into_iter().map(|m| (conn, Bytes::from(m))));
                                accepted.extend(effects.updates.into_iter().map(|u| (u, author.clone())));
                                awareness.extend(effects.awareness);
                            }
                            Err(err) => {
                                tracing::debug!(conn = conn.0, %err, "refused frame");
                                closing.push((conn, close_code_for(&err), err.to_string()));
                                awareness.extend(self.room.disconnect(conn));
                            }
                        }
                    }
                }
                RoomEvent::Leave { conn } => {
                    if self.clients.remove(&conn).is_some() {
                        awareness.extend(self.room.disconnect(conn));
                    }
                }
                RoomEvent::Text { reply } => acks.push(Ack::Text(reply)),
                RoomEvent::ReplaceText { text, user, reply } => {
                    let outcome = match self.room.replace_text(&text) {
                        Ok(Some(update)) => {
                            accepted.push((update, Some(user)));
                            Ok(true)
                        }
                        Ok(None) => Ok(false),
                        Err(err) => Err(HubError::TooLarge(err.to_string())),
                    };
                    acks.push(Ack::Replaced(reply, outcome));
                }
                RoomEvent::Shutdown { code, reason } => stop = Some((code, reason)),
                RoomEvent::CreateVersion { kind, name, reply } => acks.push(Ack::Version(reply, kind, name)),
                RoomEvent::Export { since, reply } => acks.push(Ack::Export(reply, since)),
                RoomEvent::Apply { update, user, reply } => {
                    let outcome = match self.room.apply_logged_update(&update) {
                        Ok(true) => {
                            accepted.push((update, Some(user)));
                            Ok(true)
                        }
                        Ok(false) => Ok(false),
                        Err(err) => Err(HubError::Invalid(err.to_string())),
                    };
                    acks.push(Ack::Replaced(reply, outcome));
                }
                RoomEvent::AccessChanged { workspace, user, role } => {
                    if workspace != self.workspace {
                        continue;
                    }
                    let affected: Vec<ConnId> =
                        self.clients.iter().filter(|(_, c)| c.user == user).map(|(conn, _)| *conn).collect();
                    for conn in affected {
                        match role {
                            Some(role) => {
                                self.room.set_can_write(conn, role.can_edit_documents());
                            }
                            None => closing.push((
                                conn,
                                close_code::POLICY,
                                "your access to this workspace was removed".to_owned(),
                            )),
                        }
                    }
                }
                RoomEvent::Remote(published) => match published.payload {
                    Payload::Update { seq, update } => remote_seqs.push((seq, update)),
                    Payload::Awareness { message } => remote_awareness.push(Bytes::from(message.to_vec())),
                    // Documents publish nothing else on their topic.
                    Payload::Json(_) => {}
                },
            }
        }

        let mut relayed = match self.apply_remote(remote_seqs).await {
            Ok(relayed) => relayed,
            Err(err) if self.broken => {
                // Clients keep their edits and resend them on reconnect.
                for client in self.clients.values() {
                    client.outbox.close(close_code::INTERNAL, "could not apply the stored document");
                }
                for ack in acks {
                    ack.fail(&err);
                }
                return std::ops::ControlFlow::Break(());
            }
            Err(err) => {
                tracing::warn!(%err, "could not catch up from the log");
                Vec::new()
            }
        };
        let accepted = merge_author_runs(accepted);
        let appended = self.append(&accepted).await;
        if let Ok(caught_up) = &appended {
            relayed.extend(caught_up.iter().cloned());
        }
        if let Err(err) = appended {
            // The in-memory document holds updates that are not durable: drop
            // it. Clients keep their edits and resend them on reconnect.
            let (code, reason) = match err {
                HubError::Deleted => (close_code::GOING_AWAY, "document deleted"),
                _ => {
                    tracing::error!(%err, "could not append to the update log; closing the room");
                    (close_code::INTERNAL, "could not save the document")
                }
            };
            for client in self.clients.values() {
                client.outbox.close(code, reason);
            }
            for ack in acks {
                ack.fail(&err);
            }
            return std::ops::ControlFlow::Break(());
        }

        // Fan-out: all of this batch is durable now.
        for (conn, message) in direct {
            self.deliver(conn, message, &mut closing);
        }
        let outgoing: Vec<&[u8]> =
            relayed.iter().map(|u| u.as_slice()).chain(accepted.iter().map(|(u, _)| u.as_slice())).collect();
        if !outgoing.is_empty() {
            match reynard_collab::encode_updates_message(outgoing) {
                Ok(message) => self.broadcast(&Bytes::from(message), &mut closing),
                Err(messages) => {
                    for message in messages {
                        self.broadcast(&Bytes::from(message), &mut closing);
                    }
                }
            }
        }
        for message in reynard_collab::merge_awareness_messages(&awareness) {
            let message = Bytes::from(message);
            self.broadcast(&message, &mut closing);
            if self.has_peers() {
                self.publish(Payload::Awareness { message: Arc::from(message.as_ref()) });
            }
        }
        for message in remote_awareness {
            self.broadcast(&message, &mut closing);
        }
        for ack in acks {
            match ack {
                Ack::Joined(tx) => drop(tx.send(Ok(()))),
                Ack::Text(tx) => drop(tx.send(Ok(self.room.text()))),
                Ack::Replaced(tx, outcome) => drop(tx.send(outcome)),
                Ack::Version(tx, kind, name) => {
                    let _ = tx.send(self.create_version(kind, name).await);
                }
                Ack::Export(tx, since) => {
                    let update = match since {
                        Some(state_vector) => {
                            self.room.encode_since(&state_vector).map_err(|e| HubError::Invalid(e.to_string()))
                        }
                        None => Ok(self.room.encode_state()),
                    };
                    let export =
                        update.map(|update| Export { update, state_vector: self.room.state_vector(), seq: self.seq });
                    let _ = tx.send(export);
                }
            }
        }
        let mut removals = Vec::new();
        for (conn, code, reason) in closing {
            if let Some(client) = self.clients.remove(&conn) {
                removals.extend(self.room.disconnect(conn).map(Bytes::from));
                client.outbox.close(code, reason);
            }
        }
        for message in removals {
            // Slow clients found here are closed by their next delivery.
            self.broadcast(&message, &mut Vec::new());
        }
        if let Some((code, reason)) = stop {
            for (_, client) in self.clients.drain() {
                client.outbox.close(code, reason);
            }
            return std::ops::ControlFlow::Break(());
        }
        if self.log.compaction_due(self.config.compact_after) {
            self.snapshot().await;
        }
        std::ops::ControlFlow::Continue(())
    }

    /// Appends the batch's updates to the log in one transaction, then publishes
    /// them. If another process took the next sequence numbers, catches up from
    /// the log and tries again; returns the updates caught up that way (for local
    /// clients).
    async fn append(&mut self, accepted: &[(Vec<u8>, Option<UserId>)]) -> Result<Vec<Vec<u8>>, HubError> {
        let mut caught_up = Vec::new();
        if accepted.is_empty() {
            return Ok(caught_up);
        }
        for _ in 0..MAX_APPEND_ATTEMPTS {
            let first = self.seq + 1;
            let entries: Vec<NewUpdate<'_>> = accepted
                .iter()
                .zip(first..)
                .map(|((data, user), seq)| NewUpdate { seq, data, user: user.as_ref() })
                .collect();
            match self.store.append_updates(&self.doc, &entries).await {
                Ok(()) => {
                    if self.has_peers() {
                        for (update, seq) in accepted.iter().map(|(u, _)| u).zip(first..) {
                            self.publish(Payload::Update { seq, update: Arc::from(update.as_slice()) });
                        }
                    }
                    self.seq += accepted.len() as i64;
                    for (update, _) in accepted {
                        self.log.appended(update.len());
                    }
                    self.authors.extend(accepted.iter().filter_map(|(_, user)| user.clone()));
                    self.updated_at = Some(Instant::now());
                    return Ok(caught_up);
                }
                // The document row is gone: it was deleted while clients were editing.
                Err(reynard_store::Error::NotFound(_)) => return Err(HubError::Deleted),
                Err(reynard_store::Error::Conflict(_)) => caught_up.extend(self.catch_up().await?),
                Err(other) => return Err(HubError::Storage(other.to_string())),
            }
        }
        Err(HubError::Storage("the update log is contended: too many sequence conflicts".to_owned()))
    }

    /// Applies other processes' updates in sequence order; a gap (a lost or
    /// overtaken message) is filled from the log. Returns the updates that changed
    /// this document, for local clients.
    async fn apply_remote(&mut self, mut remote: Vec<(i64, Arc<[u8]>)>) -> Result<Vec<Vec<u8>>, HubError> {
        remote.sort_by_key(|(seq, _)| *seq);
        let mut changed = Vec::new();
        for (seq, update) in remote {
            if seq <= self.seq {
                continue;
            }
            if seq > self.seq + 1 {
                changed.extend(self.catch_up().await?);
                continue;
            }
            if self.apply_log_entry(seq, &update)? {
                changed.push(update.to_vec());
            }
            self.seq = seq;
            self.log.appended(update.len());
        }
        Ok(changed)
    }

    /// Reads what other processes appended after `self.seq` (or folded into a
    /// newer snapshot) and applies it. Returns the updates that changed the document.
    async fn catch_up(&mut self) -> Result<Vec<Vec<u8>>, HubError> {
        let state = self.store.load_document_state(&self.doc).await.map_err(|e| HubError::Storage(e.to_string()))?;
        let mut changed = Vec::new();
        if let Some((snapshot_seq, snapshot)) = &state.snapshot
            && *snapshot_seq > self.seq
        {
            if self.apply_log_entry(*snapshot_seq, snapshot)? {
                changed.push(snapshot.clone());
            }
            self.seq = *snapshot_seq;
        }
        for (seq, update) in state.updates {
            if seq <= self.seq {
                continue;
            }
            let bytes = update.len();
            if self.apply_log_entry(seq, &update)? {
                changed.push(update);
            }
            self.log.appended(bytes);
            self.seq = seq;
        }
        tracing::debug!(seq = self.seq, updates = changed.len(), "caught up from the log");
        Ok(changed)
    }

    /// Applies a durable entry of the log (or a snapshot) made elsewhere. One that
    /// does not apply is not skipped: the room would hold less than the log says
    /// while its position moved past the entry, and a later compaction would
    /// fold that position into a snapshot and delete the entry for good. The
    /// room is marked broken instead (it stops and never compacts), its position
    /// stays before the entry, and the error says which entry.
    fn apply_log_entry(&mut self, seq: i64, update: &[u8]) -> Result<bool, HubError> {
        self.room.apply_logged_update(update).map_err(|err| {
            tracing::error!(
                seq,
                %err,
                "a stored update of this document does not apply: closing the room; the log is kept as it is"
            );
            self.broken = true;
            HubError::Storage(format!("log entry {seq} does not apply: {err}"))
        })
    }

    /// When the next automatic version is due: a burst of editing ended, or
    /// editing went on for the longest interval without a version.
    fn auto_version_due(&self) -> Option<Instant> {
        if self.seq <= self.version_seq {
            return None;
        }
        let updated_at = self.updated_at?;
        Some((updated_at + self.config.version_after_idle).min(self.version_at + self.config.version_max_interval))
    }

    async fn auto_version(&mut self) {
        if self.seq <= self.version_seq {
            return;
        }
        if let Err(err) = self.create_version(VersionKind::Auto, None).await {
            tracing::warn!(%err, "could not record an automatic version");
            // Try again after the next interval rather than in a loop.
            self.version_at = Instant::now();
            self.updated_at = None;
        }
    }

    /// Records the document as it is now: the change since the last version
    /// (or, every few versions, the whole state), its authors and a summary.
    async fn create_version(
        &mut self,
        kind: VersionKind,
        name: Option<String>,
    ) -> Result<Option<VersionRecord>, HubError> {
        let storage = |e: reynard_store::Error| HubError::Storage(e.to_string());
        let base = self.store.version_base(&self.doc).await.map_err(storage)?;
        let text = self.room.text();
        let failed = |e: history_work::JobFailed| HubError::Storage(e.to_string());
        if let (None, Some(base)) = (&self.version_text, &base) {
            let updates = self.store.version_updates(&self.doc, &base.id).await.map_err(storage)?;
            let (text, deletions) = history_work::run(history_work::Queue::Rooms, move || {
                Rebuilt::from_updates(updates.iter().map(Vec::as_slice))
                    .map(|rebuilt| (rebuilt.text(), rebuilt.delete_set()))
            })
            .await
            .map_err(failed)?
            .map_err(|e| HubError::Storage(e.to_string()))?;
            self.version_text = Some(text);
            self.version_deletions = Some(deletions);
        }
        // Counting is a diff: off the async workers, and bounded in time (a
        // coarse count is still the exact size of a valid edit).
        let previous = self.version_text.take().unwrap_or_default();
        let (previous, text, counts) = history_work::run(history_work::Queue::Rooms, move || {
            let counts = count_changes(&previous, &text, DIFF_BUDGET);
            (previous, text, counts)
        })
        .await
        .map_err(failed)?;
        self.version_text = Some(previous);
        let (added, removed) = (counts.added, counts.removed);
        // A delta holds what changed since the last version; a checkpoint (the
        // whole state) is written once the deltas since the last one outweigh it
        // twice, which bounds both storage and the work to rebuild a version.
        let delta = match (&base, &self.version_deletions) {
            (Some(base), Some(known)) => {
                let full = self.room.encode_since(&base.state_vector).map_err(|e| HubError::Invalid(e.to_string()))?;
                Some((base, strip_known_deletions(&full, known)))
            }
            _ => None,
        };
        let (is_checkpoint, data) = match delta {
            Some((base, delta)) if base.bytes_since_checkpoint + delta.len() as i64 <= 2 * base.checkpoint_bytes => {
                (false, delta)
            }
            _ => (true, self.room.encode_state()),
        };
        let authors: Vec<UserId> = std::mem::take(&mut self.authors).into_iter().collect();
        let state_vector = self.room.state_vector();
        let record = self
            .store
            .create_version(NewVersion {
                doc_id: &self.doc,
                seq: self.seq,
                kind: kind.as_str(),
                name: name.as_deref(),
                author_ids: &authors,
                added: added as i64,
                removed: removed as i64,
                state_vector: &state_vector,
                is_checkpoint,
                data: &data,
            })
            .await;
        let record = match record {
            Ok(record) => record,
            Err(err) => {
                self.authors.extend(authors);
                return Err(storage(err));
            }
        };
        self.version_seq = self.seq;
        self.version_text = Some(text);
        self.version_deletions = Some(self.room.delete_set());
        self.version_at = Instant::now();
        tracing::debug!(kind = kind.as_str(), seq = self.seq, is_checkpoint, "version recorded");
        Ok(Some(record))
    }

    /// Whether rooms of this document elsewhere may listen (publishing copies each event).
    fn has_peers(&self) -> bool {
        self.bus.has_peers(&self.topic, self.subscription)
    }

    fn publish(&self, payload: Payload) {
        self.bus.publish(Published { origin: self.process, topic: self.topic.clone(), payload });
    }

    /// Queues a message for one client; a full queue marks it too slow.
    fn deliver(&self, conn: ConnId, message: Bytes, closing: &mut Vec<(ConnId, u16, String)>) {
        let Some(client) = self.clients.get(&conn) else { return };
        if client.outbox.push(message).is_err() {
            closing.push((conn, close_code::TRY_AGAIN_LATER, "too slow: reconnect to resync".to_owned()));
        }
    }

    /// Queues a message for every client (the same bytes for all).
    fn broadcast(&self, message: &Bytes, closing: &mut Vec<(ConnId, u16, String)>) {
        for (conn, client) in &self.clients {
            if client.outbox.push(message.clone()).is_err() && !closing.iter().any(|(c, ..)| c == conn) {
                closing.push((*conn, close_code::TRY_AGAIN_LATER, "too slow: reconnect to resync".to_owned()));
            }
        }
    }

    /// Folds the log into a snapshot, if anything is not folded yet.
    async fn snapshot(&mut self) {
        if self.log.entries == 0 || self.broken {
            return;
        }
        let state = self.room.encode_state();
        match self.store.write_snapshot(&self.doc, self.seq, &state).await {
            Ok(true) => {
                tracing::debug!(seq = self.seq, bytes = state.len(), "snapshot written");
                self.log = LogSize { entries: 0, bytes: 0, snapshot_bytes: state.len() };
            }
            Ok(false) => {
                // Another process folded the log further: this room is behind
                // and catches up from the log as its next updates arrive.
                tracing::info!(seq = self.seq, "a newer snapshot is stored; this one was not written");
            }
            Err(err) => tracing::warn!(%err, "could not write snapshot; the log is kept"),
        }
    }
}

impl Ack {
    fn fail(self, err: &HubError) {
        let err = || HubError::Storage(err.to_string());
        match self {
            Ack::Joined(tx) => drop(tx.send(Err(err()))),
            Ack::Text(tx) => drop(tx.send(Err(err()))),
            Ack::Replaced(tx, _) => drop(tx.send(Err(err()))),
            Ack::Version(tx, ..) => drop(tx.send(Err(err()))),
            Ack::Export(tx, _) => drop(tx.send(Err(err()))),
        }
    }
}
