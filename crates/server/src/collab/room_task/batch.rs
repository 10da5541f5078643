//! One batch of a room's events, in three phases that mirror **durable before
//! visible**:
//! - **collect**: apply the batch's events to the [`DocRoom`](reynard_collab::DocRoom)
//!   (one connection's consecutive frames together) and then other processes'
//!   updates, gathering what to send — replies, accepted updates, awareness —
//!   the requests to answer and the connections to close. Nothing is sent.
//! - **commit**: append the accepted updates to the log in one transaction,
//!   each run of one author's updates as one entry. If it fails, the room
//!   closes its clients and stops: nothing of the batch was ever visible.
//! - **flush**: publish the committed updates on the bus, send the replies and
//!   the batch's updates merged into one message for everyone, hold the
//!   awareness (sent shortly after, merged: `presence`), answer the requests,
//!   close connections; then stop or compact if due.

use std::ops::ControlFlow;
use std::sync::Arc;

use bytes::Bytes;
use reynard_bus::Payload;
use reynard_collab::update_log::merge_author_runs;
use reynard_collab::{ConnId, ProtocolError};
use reynard_proto::{Role, UserId, WorkspaceId};
use reynard_store::documents::NewUpdate;
use reynard_store::history::VersionRecord;
use tokio::sync::oneshot;

use super::{Client, RoomTask};
use crate::collab::events::{Export, HubError, RoomEvent, VersionKind};
use crate::ws::close_code;

/// Attempts to append a batch when other processes keep taking its sequence numbers.
const MAX_APPEND_ATTEMPTS: usize = 8;

/// The close reason of a client too slow to take what the room sends.
const TOO_SLOW: &str = "too slow: reconnect to resync";

/// Answers that wait for the batch's commit.
#[derive(Debug)]
enum Ack {
    Joined(oneshot::Sender<Result<(), HubError>>),
    Text(oneshot::Sender<Result<String, HubError>>),
    Replaced(oneshot::Sender<Result<bool, HubError>>, Result<bool, HubError>),
    Version(oneshot::Sender<Result<Option<VersionRecord>, HubError>>, VersionKind, Option<String>),
    Export(oneshot::Sender<Result<Export, HubError>>, Option<Vec<u8>>),
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

/// What collecting a batch gathered, held back until its commit.
#[derive(Debug, Default)]
struct Collected {
    /// Messages for one client, in the order they were produced.
    direct: Vec<(ConnId, Bytes)>,
    /// Awareness messages for everyone (held and merged before sending).
    awareness: Vec<Vec<u8>>,
    /// Accepted updates, with their authors.
    accepted: Vec<(Vec<u8>, Option<UserId>)>,
    /// Requests answered once the batch is durable.
    acks: Vec<Ack>,
    /// Connections to close, with the code and reason.
    closing: Vec<(ConnId, u16, String)>,
    /// The room stops after this batch, closing its clients with this code and reason.
    stop: Option<(u16, &'static str)>,
    /// Other processes' durable updates heard on the bus, by sequence number.
    remote_updates: Vec<(i64, Arc<[u8]>)>,
    /// Other processes' updates that changed this document, for local clients only.
    relayed: Vec<Vec<u8>>,
    /// Other processes' awareness, for local clients only.
    remote_awareness: Vec<Bytes>,
    /// The bus may have lost events (or the log is ahead of this room): catch up.
    resync: bool,
}

/// What the commit made durable.
#[derive(Debug)]
struct Committed {
    /// The log entries appended, in order.
    entries: Vec<(Vec<u8>, Option<UserId>)>,
    /// The sequence number of the first entry.
    first_seq: i64,
    /// Other processes' updates caught up from the log while appending, for local clients.
    caught_up: Vec<Vec<u8>>,
}

fn close_code_for(err: &ProtocolError) -> u16 {
    match err {
        ProtocolError::MessageTooLarge { .. } | ProtocolError::DocumentTooLarge { .. } => close_code::TOO_BIG,
        _ => close_code::INVALID_DATA,
    }
}

impl RoomTask {
    /// Handles one batch of events: collect, commit, flush. Breaks when the room must stop.
    pub(super) async fn handle_batch(&mut self, events: Vec<RoomEvent>) -> ControlFlow<()> {
        let mut batch = self.collect(events);
        if let Err(err) = self.collect_remote(&mut batch).await {
            // Clients keep their edits and resend them on reconnect.
            return self.abandon(batch, &err, close_code::INTERNAL, "could not apply the stored document");
        }
        let committed = match self.commit(std::mem::take(&mut batch.accepted)).await {
            Ok(committed) => committed,
            Err(err) => {
                // The in-memory document holds updates that are not durable: drop
                // it. Clients keep their edits and resend them on reconnect.
                let (code, reason) = match err {
                    HubError::Deleted => (close_code::GOING_AWAY, "document deleted"),
                    _ => {
                        tracing::error!(%err, "could not append to the update log; closing the room");
                        (close_code::INTERNAL, "could not save the document")
                    }
                };
                return self.abandon(batch, &err, code, reason);
            }
        };
        self.flush(batch, committed).await
    }

    /// Collect: applies the batch's events to the room in order.
    fn collect(&mut self, events: Vec<RoomEvent>) -> Collected {
        let mut batch = Collected::default();
        let mut events = events.into_iter().peekable();
        while let Some(event) = events.next() {
            match event {
                RoomEvent::Join { conn, user, can_write, outbox, joined } => {
                    // One copy of the user's id, shared with the room's awareness.
                    let user: Arc<str> = Arc::from(user.into_string());
                    for message in self.room.connect_as(conn, can_write, user.clone()) {
                        batch.direct.push((conn, Bytes::from(message)));
                    }
                    self.clients.insert(conn, Client { user, outbox });
                    batch.acks.push(Ack::Joined(joined));
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
                    self.collect_frames(conn, &frames, &mut batch);
                }
                RoomEvent::Leave { conn } => {
                    if self.clients.remove(&conn).is_some() {
                        batch.awareness.extend(self.room.disconnect(conn));
                    }
                }
                RoomEvent::Text { reply } => batch.acks.push(Ack::Text(reply)),
                RoomEvent::ReplaceText { text, user, reply } => {
                    let outcome = match self.room.replace_text(&text) {
                        Ok(Some(update)) => {
                            batch.accepted.push((update, Some(user)));
                            Ok(true)
                        }
                        Ok(None) => Ok(false),
                        Err(err) => Err(HubError::TooLarge(err.to_string())),
                    };
                    batch.acks.push(Ack::Replaced(reply, outcome));
                }
                RoomEvent::Shutdown { code, reason } => batch.stop = Some((code, reason)),
                RoomEvent::CreateVersion { kind, name, reply } => batch.acks.push(Ack::Version(reply, kind, name)),
                RoomEvent::Export { since, reply } => batch.acks.push(Ack::Export(reply, since)),
                RoomEvent::Apply { update, user, reply } => {
                    let outcome = match self.room.apply_logged_update(&update) {
                        Ok(true) => {
                            batch.accepted.push((update, Some(user)));
                            Ok(true)
                        }
                        Ok(false) => Ok(false),
                        Err(err) => Err(HubError::Invalid(err.to_string())),
                    };
                    batch.acks.push(Ack::Replaced(reply, outcome));
                }
                RoomEvent::AccessChanged { workspace, user, role } => {
                    self.collect_access_change(&workspace, &user, role, &mut batch);
                }
                RoomEvent::Remote(published) => match published.payload {
                    Payload::Update { seq, update } => batch.remote_updates.push((seq, update)),
                    Payload::Awareness { message } => {
                        self.remote_clients.relayed(published.origin, &message);
                        for news in self.room.receive_remote_awareness(&message) {
                            batch.remote_awareness.push(Bytes::from(news));
                        }
                    }
                    Payload::Resync => batch.resync = true,
                    // Documents publish nothing else on their topic.
                    Payload::Json(_) => {}
                },
            }
        }
        batch
    }

    /// Collect: applies a run of one connection's frames (as one update where
    /// they join); a refused frame closes the connection.
    fn collect_frames(&mut self, conn: ConnId, frames: &[Bytes], batch: &mut Collected) {
        let Some(client) = self.clients.get(&conn) else { return };
        if batch.closing.iter().any(|(c, ..)| *c == conn) {
            return;
        }
        let frames: Vec<&[u8]> = frames.iter().map(Bytes::as_ref).collect();
        let author = Some(UserId::new(&*client.user));
        for result in self.room.receive_all(conn, &frames) {
            match result {
                Ok(effects) => {
                    batch.direct.extend(effects.reply.into_iter().map(|m| (conn, m)));
                    batch.accepted.extend(effects.updates.into_iter().map(|u| (u, author.clone())));
                    batch.awareness.extend(effects.awareness);
                }
                Err(err) => {
                    tracing::debug!(conn = conn.0, %err, "refused frame");
                    batch.closing.push((conn, close_code_for(&err), err.to_string()));
                    batch.awareness.extend(self.room.disconnect(conn));
                }
            }
        }
    }

    /// Collect: applies a user's new role in a workspace (`None`: removed) to
    /// their connections, if the document belongs to that workspace.
    fn collect_access_change(
        &mut self,
        workspace: &WorkspaceId,
        user: &UserId,
        role: Option<Role>,
        batch: &mut Collected,
    ) {
        if *workspace != self.workspace {
            return;
        }
        let affected: Vec<ConnId> =
            self.clients.iter().filter(|(_, c)| *c.user == *user.as_str()).map(|(conn, _)| *conn).collect();
        for conn in affected {
            match role {
                Some(role) => {
                    self.room.set_can_write(conn, role.can_edit_documents());
                }
                None => batch.closing.push((
                    conn,
                    close_code::POLICY,
                    "your access to this workspace was removed".to_owned(),
                )),
            }
        }
    }

    /// Collect, last step: applies the updates other processes published. Fails
    /// only when a stored update does not apply (the room is broken); other
    /// failures leave the gap to be caught up later.
    async fn collect_remote(&mut self, batch: &mut Collected) -> Result<(), HubError> {
        let remote = std::mem::take(&mut batch.remote_updates);
        let applied = if batch.resync {
            self.catch_ups.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            match self.catch_up().await {
                Ok(mut relayed) => self.apply_remote(remote).await.map(|more| {
                    relayed.extend(more);
                    relayed
                }),
                Err(err) => Err(err),
            }
        } else {
            self.apply_remote(remote).await
        };
        match applied {
            Ok(relayed) => batch.relayed = relayed,
            Err(err) if self.broken => return Err(err),
            Err(err) => tracing::warn!(%err, "could not catch up from the log"),
        }
        Ok(())
    }

    /// Commit: appends the batch's accepted updates to the log in one
    /// transaction, each run of consecutive updates by one author as one entry.
    /// If another process took the next sequence numbers, catches up from the
    /// log and tries again.
    async fn commit(&mut self, accepted: Vec<(Vec<u8>, Option<UserId>)>) -> Result<Committed, HubError> {
        let entries = merge_author_runs(accepted);
        let mut caught_up = Vec::new();
        if entries.is_empty() {
            return Ok(Committed { entries, first_seq: self.seq + 1, caught_up });
        }
        for _ in 0..MAX_APPEND_ATTEMPTS {
            let first_seq = self.seq + 1;
            let rows: Vec<NewUpdate<'_>> = entries
                .iter()
                .zip(first_seq..)
                .map(|((data, user), seq)| NewUpdate { seq, data, user: user.as_ref() })
                .collect();
            match self.store.append_updates(&self.doc, &rows).await {
                Ok(()) => {
                    self.seq += entries.len() as i64;
                    for (update, _) in &entries {
                        self.log.appended(update.len());
                    }
                    self.versions.edited(entries.iter().filter_map(|(_, user)| user.clone()));
                    return Ok(Committed { entries, first_seq, caught_up });
                }
                // The document row is gone: it was deleted while clients were editing.
                Err(reynard_store::Error::NotFound(_)) => return Err(HubError::Deleted),
                Err(reynard_store::Error::Conflict(_)) => caught_up.extend(self.catch_up().await?),
                Err(other) => return Err(HubError::Storage(other.to_string())),
            }
        }
        Err(HubError::Storage("the update log is contended: too many sequence conflicts".to_owned()))
    }

    /// Ends the room after collect or commit failed: its clients are closed,
    /// the requests waiting for the batch fail. Nothing of the batch was sent.
    fn abandon(&mut self, batch: Collected, err: &HubError, code: u16, reason: &str) -> ControlFlow<()> {
        for client in self.clients.values() {
            client.outbox.close(code, reason);
        }
        for ack in batch.acks {
            ack.fail(err);
        }
        ControlFlow::Break(())
    }

    /// Flush: everything the batch produced, now that it is durable. Breaks when
    /// the batch asked the room to stop.
    async fn flush(&mut self, batch: Collected, committed: Committed) -> ControlFlow<()> {
        let Collected { direct, awareness, acks, mut closing, stop, mut relayed, remote_awareness, .. } = batch;
        let Committed { entries, first_seq, caught_up } = committed;
        if !entries.is_empty() && self.has_peers() {
            for (update, seq) in entries.iter().map(|(u, _)| u).zip(first_seq..) {
                self.publish(Payload::Update { seq, update: Arc::from(update.as_slice()) });
            }
        }
        relayed.extend(caught_up);
        for (conn, message) in direct {
            self.deliver(conn, message, &mut closing);
        }
        let outgoing: Vec<&[u8]> =
            relayed.iter().map(|u| u.as_slice()).chain(entries.iter().map(|(u, _)| u.as_slice())).collect();
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
        self.hold_presence(awareness, &mut closing);
        for message in remote_awareness {
            self.broadcast(&message, &mut closing);
        }
        self.answer(acks).await;
        self.close_connections(closing);
        if let Some((code, reason)) = stop {
            for (_, client) in self.clients.drain() {
                client.outbox.close(code, reason);
            }
            return ControlFlow::Break(());
        }
        self.snapshot_if_due().await;
        ControlFlow::Continue(())
    }

    /// Flush: answers the batch's requests.
    async fn answer(&mut self, acks: Vec<Ack>) {
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
    }

    /// Flush: closes the connections the batch refused or found too slow, and
    /// tells the others their awareness is gone.
    pub(super) fn close_connections(&mut self, closing: Vec<(ConnId, u16, String)>) {
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
    }

    /// Queues a message for one client; a full queue marks it too slow.
    fn deliver(&self, conn: ConnId, message: Bytes, closing: &mut Vec<(ConnId, u16, String)>) {
        let Some(client) = self.clients.get(&conn) else { return };
        if client.outbox.push(message).is_err() {
            closing.push((conn, close_code::TRY_AGAIN_LATER, TOO_SLOW.to_owned()));
        }
    }

    /// Queues a message for every client (the same bytes for all).
    /// Removes, from this room's clients, the awareness of clients of
    /// processes that went silent.
    pub(super) fn remove_ghosts(&mut self) {
        if let Some(removal) = self.remote_clients.remove_ghosts(&self.liveness) {
            let mut closing = Vec::new();
            for news in self.room.receive_remote_awareness(&removal) {
                self.broadcast(&Bytes::from(news), &mut closing);
            }
            self.close_connections(closing);
        }
    }

    pub(super) fn broadcast(&self, message: &Bytes, closing: &mut Vec<(ConnId, u16, String)>) {
        for (conn, client) in &self.clients {
            if client.outbox.push(message.clone()).is_err() && !closing.iter().any(|(c, ..)| c == conn) {
                closing.push((*conn, close_code::TRY_AGAIN_LATER, TOO_SLOW.to_owned()));
            }
        }
    }
}
