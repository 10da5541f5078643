//! One collaborative document in memory ([`DocRoom`]): its yrs document, its connections with
//! their write permission, and its awareness states. Sans-IO: every call returns the bytes to
//! send and the updates to persist.
//!
//! # Robustness
//! yrs can panic or fail half-way on malformed updates (for instance an integer overflow while
//! integrating blocks with absurd clocks), leaving its block store partly modified. A room
//! therefore:
//! - decodes and validates everything in a frame before it changes anything;
//! - applies updates under [`std::panic::catch_unwind`];
//! - keeps a recovery point (the document encoded at some point, plus every update accepted
//!   since) and, if yrs panics or reports an error while applying, throws the document away and
//!   rebuilds it from the recovery point. The recovery point is re-encoded whenever the updates
//!   since it outweigh it, so it costs at most about twice the encoded document in memory and
//!   amortised O(1) time per accepted byte; a rebuild costs a replay of the recovery point,
//!   which only malformed input pays for.
//!
//! Validating every update on a scratch copy first was rejected: copying a yrs document means
//! encoding and re-applying it, which would make every keystroke cost O(document size).
//!
//! Before yrs sees an update, `update_bounds` checks its counts and nesting and records what it
//! refers to. An update that builds on something the document lacks (a client's live edit
//! overtaking the sync step 2 with the offline edits it builds on, after a reconnect) is not
//! given to yrs, whose own "pending" mechanism can be driven into reading freed memory by
//! crafted updates: it waits in the room, unacknowledged, and is applied (then returned for
//! persistence and broadcast) as soon as what it needs has arrived. A room holds at most
//! [`MAX_WAITING_UPDATES`] such updates, dropped when their connection leaves (the client sends
//! them again in its next sync step 2).

use std::collections::BTreeMap;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use bytes::Bytes;

use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{Doc, GetString, ReadTxn, StateVector, Text, TextRef, Transact, Update};

use crate::awareness::{AwarenessEntry, AwarenessRegistry, ConnId, decode_awareness_update};
use crate::error::{LoadError, ProtocolError, Result};
use crate::protocol::{
    Message, decode_frame, encode_auth_denied, encode_awareness, encode_sync_step1, encode_sync_step2, encode_update,
};
use crate::update_bounds::{StateAfter, UpdateShape, check_state_vector, check_update};
use crate::update_concat::concat_walked;

/// Name of the `Y.Text` holding the document's text (the y-monaco convention).
pub const TEXT_NAME: &str = "monaco";

/// Reason sent in the auth permission-denied message when a viewer sends an update.
pub const READ_ONLY_REASON: &str = "read-only";

/// A v1 update with no structs and no deletions.
const EMPTY_UPDATE: [u8; 2] = [0, 0];

/// An awareness update payload with no entries.
const EMPTY_AWARENESS_UPDATE: [u8; 1] = [0];

/// Most updates a room keeps waiting for what they build on.
pub const MAX_WAITING_UPDATES: usize = 64;

/// Why a client's update naming a client ID over 53 bits is refused (see `UpdateShape`).
const LONG_CLIENT: &str = "it names a client ID longer than 53 bits";

/// Why [`Document::apply`] refuses an update that builds on something missing.
const INCOMPLETE: &str = "it builds on updates the document does not have";

/// The recovery point is re-encoded once the updates since it weigh more than the larger of
/// this and the encoded recovery point itself.
const MIN_RECOVERY_LOG_BYTES: usize = 64 * 1024;

/// Size limits of a room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest frame accepted from a connection, in bytes.
    pub max_message_bytes: usize,
    /// Largest document, in bytes of its encoded state (estimated; see [`DocRoom::size_estimate`]).
    pub max_document_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self { max_message_bytes: 8 * 1024 * 1024, max_document_bytes: 64 * 1024 * 1024 }
    }
}

/// What a frame from a connection produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Effects {
    /// Frames for the sending connection only, in order, one message each. Shared
    /// bytes: every fresh joiner of an unchanged document gets the same sync step 2.
    pub reply: Vec<Bytes>,
    /// Accepted document updates (v1), byte for byte as the client sent them (or, for a run of
    /// frames [`DocRoom::receive_all`] applied as one, their join): persist them, then
    /// broadcast each to the room with [`encode_update`] (see [`Effects::update_frames`]).
    pub updates: Vec<Vec<u8>>,
    /// Awareness message to broadcast to the room.
    pub awareness: Option<Vec<u8>>,
}

impl Effects {
    /// The accepted updates as sync update frames, ready to broadcast.
    pub fn update_frames(&self) -> impl Iterator<Item = Vec<u8>> + '_ {
        self.updates.iter().map(|update| encode_update(update))
    }
}

/// A connection's standing in the room.
#[derive(Debug, Clone, Copy)]
struct Connection {
    can_write: bool,
}

/// A yrs document and its text, which must live and die together (the text points into it).
struct Document {
    doc: Doc,
    text: TextRef,
    /// The whole document as a sync step 2 frame for a peer that has nothing
    /// (an empty state vector: every fresh joiner), kept until the document
    /// changes, so that joiners of an unchanged document share one encoding
    /// and one buffer: each gets a reference to the same bytes.
    full_state: std::sync::Mutex<Option<FullState>>,
}

/// The cached whole-document sync step 2 frame and where its update starts.
#[derive(Clone)]
struct FullState {
    frame: Bytes,
    update_offset: usize,
}

impl FullState {
    fn new(update: &[u8]) -> Self {
        let frame = encode_sync_step2(update);
        let update_offset = frame.len() - update.len();
        Self { frame: Bytes::from(frame), update_offset }
    }

    fn update(&self) -> &[u8] {
        &self.frame[self.update_offset..]
    }
}

impl Document {
    fn new() -> Self {
        // Default options: GC on, text offsets in UTF-8 bytes (`OffsetKind::Bytes`).
        let doc = Doc::new();
        let text = doc.get_or_insert_text(TEXT_NAME);
        Self { doc, text, full_state: std::sync::Mutex::new(None) }
    }

    /// The document changed: the cached full encoding is stale.
    fn changed(&self) {
        self.cached_full_state().take();
    }

    fn cached_full_state(&self) -> std::sync::MutexGuard<'_, Option<FullState>> {
        self.full_state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Decodes and applies one complete v1 update in its own transaction (an update that
    /// builds on something missing is refused untouched). On `Err` the document may have been
    /// changed half-way and must be thrown away.
    fn apply(&self, update: &[u8]) -> Result<bool, String> {
        let (update, shape) = decode_update(update)?;
        if !shape.is_complete_for(&self.state()) {
            return Err(INCOMPLETE.to_owned());
        }
        self.integrate(update)
    }

    /// The state vector: each client's next clock.
    fn state(&self) -> StateVector {
        self.doc.transact().state_vector()
    }

    /// Applies a decoded update in its own transaction, catching panics. Returns whether
    /// it changed anything: an update the document already holds (a reconnecting client's
    /// sync step 2 repeats everything it has) changes nothing and need not be stored or
    /// sent on. Only give it updates that are complete for the document: one that yrs keeps
    /// pending anyway is an `Err`. On `Err` the document may have been changed half-way and
    /// must be thrown away.
    fn integrate(&self, update: Update) -> Result<bool, String> {
        // Even a failed integration may have changed the document half-way.
        self.changed();
        let doc = &self.doc;
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            let mut txn = doc.transact_mut();
            txn.apply_update(update).map_err(|error| error.to_string())?;
            if txn.has_missing_updates() {
                return Err("yrs kept part of it pending".to_owned());
            }
            Ok(!txn.insert_set().is_empty() || !txn.delete_set().is_empty())
            // The transaction commits when dropped here, still inside `catch_unwind`.
        }));
        match outcome {
            Ok(Ok(changed)) => Ok(changed),
            Ok(Err(error)) => Err(error),
            Err(panic) => Err(format!("yrs panicked: {}", panic_message(panic.as_ref()))),
        }
    }

    fn encode_state(&self) -> Vec<u8> {
        self.doc.transact().encode_state_as_update_v1(&StateVector::default())
    }

    /// [`encode_state`](Self::encode_state), catching panics (yrs panics if it cannot merge
    /// pending structs into the encoding).
    fn try_encode_state(&self) -> Result<Vec<u8>, String> {
        catch_unwind(AssertUnwindSafe(|| self.encode_state()))
            .map_err(|panic| format!("yrs panicked: {}", panic_message(panic.as_ref())))
    }
}

/// Decodes a v1 update that yrs can also re-encode faithfully, catching panics.
///
/// yrs 0.28.1 does not decode everything it encodes: for instance it reads one string more
/// than it writes for legacy `ContentJSON` items. Such an update would be applied, and then
/// the document's own encoding (snapshots, sync step 2 for joiners) would no longer load, or
/// would panic while merging pending structs. So an update holding anything but text and
/// deletions is only accepted if its canonical encoding decodes and re-encodes to the same
/// update ([`check_round_trip`]); this costs two encodings and a decoding of the update,
/// linear in its size.
///
/// Text items and deletions (all an editor sends) skip that check: yrs encodes them as it
/// reads them, which `text_updates_round_trip` asserts over damaged updates as well.
fn decode_update(bytes: &[u8]) -> Result<(Update, UpdateShape), String> {
    let shape = check_update(bytes)?;
    let text_only = shape.as_ref().is_some_and(|shape| !shape.has_other_content);
    let update = decode_checked(bytes, text_only)?;
    let shape = shape.ok_or("yrs decodes it, but the pre-check does not understand it")?;
    Ok((update, shape))
}

/// Decodes a v1 update that already passed the pre-check, catching panics; one holding more
/// than text and deletions must also pass [`check_round_trip`].
fn decode_checked(bytes: &[u8], text_only: bool) -> Result<Update, String> {
    let decoded = catch_unwind(|| -> Result<Update, String> {
        let update = Update::decode_v1(bytes).map_err(|error| error.to_string())?;
        if !text_only {
            check_round_trip(&update)?;
        }
        Ok(update)
    });
    match decoded {
        Ok(result) => result,
        Err(panic) => Err(format!("yrs panicked: {}", panic_message(panic.as_ref()))),
    }
}

/// Checks that yrs's encoding of `update` decodes and re-encodes to the same update.
///
/// yrs writes the entries of a map value in hash order, which differs between two encodings
/// of one update; so "the same" is judged on what the pre-check walks (every block's IDs,
/// length and references, the deletions, the sections' sizes) and the total size, not on
/// the bytes, which would refuse an update with an object value at random.
fn check_round_trip(update: &Update) -> Result<(), String> {
    let canonical = update.encode_v1();
    // yrs's encoding of a crafted update can announce huge counts of its own.
    let shape = check_update(&canonical)?.ok_or("the pre-check does not understand yrs's own encoding of it")?;
    let again = Update::decode_v1(&canonical)
        .map_err(|error| format!("yrs cannot decode its own encoding of it: {error}"))?
        .encode_v1();
    if again.len() != canonical.len() || check_update(&again)?.as_ref() != Some(&shape) {
        return Err("yrs does not re-encode it faithfully".to_owned());
    }
    Ok(())
}

/// Decodes a v1 state vector, catching panics (yrs debug-asserts that client ids fit in 53 bits).
fn decode_state_vector(bytes: &[u8]) -> Result<StateVector, String> {
    check_state_vector(bytes)?;
    match catch_unwind(|| StateVector::decode_v1(bytes)) {
        Ok(Ok(state_vector)) => Ok(state_vector),
        Ok(Err(error)) => Err(error.to_string()),
        Err(panic) => Err(format!("yrs panicked: {}", panic_message(panic.as_ref()))),
    }
}

/// The text of a panic payload.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "unknown panic".to_owned()
    }
}

/// The state to rebuild the document from: an encoded state plus the updates accepted since.
#[derive(Debug)]
struct RecoveryPoint {
    /// Boxed at its exact size: the encoder's buffer grows in steps (1 KB at
    /// least), and a room keeps this for as long as it is open.
    state: Box<[u8]>,
    updates: Vec<Vec<u8>>,
    update_bytes: usize,
}

impl RecoveryPoint {
    fn new(state: Vec<u8>) -> Self {
        Self { state: state.into_boxed_slice(), updates: Vec::new(), update_bytes: 0 }
    }

    /// Encoded state length plus the bytes of every update since: the document size estimate.
    fn size(&self) -> usize {
        self.state.len() + self.update_bytes
    }

    fn push(&mut self, update: Vec<u8>) {
        self.update_bytes += update.len();
        self.updates.push(update);
    }

    fn is_due(&self) -> bool {
        self.update_bytes > self.state.len().max(MIN_RECOVERY_LOG_BYTES)
    }

    /// A fresh document with the recovered content.
    ///
    /// Every update here was applied successfully before, in the same order, so replaying
    /// cannot fail; should yrs disagree, the offending update is skipped rather than panicking.
    fn rebuild(&self) -> Document {
        let document = Document::new();
        for update in std::iter::once(&*self.state).chain(self.updates.iter().map(Vec::as_slice)) {
            let _ = document.apply(update);
        }
        document
    }
}

/// One validated message of a frame, ready to be carried out.
enum Step<'a> {
    /// Answer a sync step 1 with what the sender lacks.
    SendMissing(StateVector),
    /// Apply an update (decoded, with its shape and original bytes).
    Apply(Update, UpdateShape, &'a [u8]),
    /// Tell a viewer its update was refused.
    DenyWrite,
    /// Send the full awareness state.
    SendAwareness,
}

/// An update that builds on something the document does not have yet.
#[derive(Debug, Clone)]
struct Waiting {
    /// The connection that sent it (`None` when loaded from storage).
    conn: Option<ConnId>,
    bytes: Vec<u8>,
    shape: UpdateShape,
}

/// One document in memory, with the connections editing or viewing it.
pub struct DocRoom {
    limits: Limits,
    document: Document,
    recovery: RecoveryPoint,
    awareness: AwarenessRegistry,
    connections: BTreeMap<ConnId, Connection>,
    /// Updates waiting for what they build on, oldest first.
    waiting: Vec<Waiting>,
}

impl fmt::Debug for DocRoom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DocRoom")
            .field("limits", &self.limits)
            .field("size_estimate", &self.size_estimate())
            .field("connections", &self.connections)
            .field("awareness", &self.awareness)
            .field("waiting_updates", &self.waiting.len())
            .finish_non_exhaustive()
    }
}

impl DocRoom {
    /// An empty document.
    pub fn new(limits: Limits) -> Self {
        let document = Document::new();
        let recovery = RecoveryPoint::new(document.encode_state());
        Self {
            limits,
            document,
            recovery,
            awareness: AwarenessRegistry::new(),
            connections: BTreeMap::new(),
            waiting: Vec::new(),
        }
    }

    /// A document rebuilt from stored v1 updates (a snapshot, then the log), applied in order.
    ///
    /// The document limit is not enforced here: a stored document is always loadable. An
    /// update that builds on one stored after it waits for it; one that builds on something
    /// never stored keeps waiting (see [`DocRoom::waiting_updates`]).
    pub fn load<I>(limits: Limits, updates: I) -> Result<Self, LoadError>
    where
        I: IntoIterator,
        I::Item: AsRef<[u8]>,
    {
        let mut room = Self::new(limits);
        for (index, update) in updates.into_iter().enumerate() {
            let bytes = update.as_ref();
            let malformed = |reason| LoadError::MalformedUpdate { index, reason };
            let (update, shape) = decode_update(bytes).map_err(malformed)?;
            if shape.is_complete_for(&room.document.state()) {
                room.document.integrate(update).map_err(malformed)?;
                room.integrate_waiting(&mut Vec::new(), &mut false).map_err(|error| malformed(error.to_string()))?;
            } else {
                room.waiting.push(Waiting { conn: None, bytes: bytes.to_vec(), shape });
            }
        }
        let state = room.document.try_encode_state().map_err(|reason| LoadError::Unencodable { reason })?;
        room.recovery = RecoveryPoint::new(state);
        Ok(room)
    }

    /// The room's limits.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Adds a connection (or updates its permission) and returns the frames to send it first:
    /// the room's sync step 1, then every present awareness state if there are any.
    pub fn connect(&mut self, conn: ConnId, can_write: bool) -> Vec<Vec<u8>> {
        self.connections.insert(conn, Connection { can_write });
        let mut frames = vec![encode_sync_step1(&self.state_vector())];
        frames.extend(self.awareness.full_message());
        frames
    }

    /// [`connect`](Self::connect) for a connection of a signed-in user: its awareness states
    /// are relayed with the user's id, and it may take over the awareness clients of another
    /// connection of the same user (a reconnecting tab).
    pub fn connect_as(&mut self, conn: ConnId, can_write: bool, user: Arc<str>) -> Vec<Vec<u8>> {
        self.awareness.identify(conn, user);
        self.connect(conn, can_write)
    }

    /// Changes whether a connection may write; returns `false` if it is not connected. A
    /// connection that loses write access also loses the updates it sent that still wait for
    /// what they build on: they were accepted from an editor, but would be applied (and
    /// logged) only later, when the writer is no longer one.
    pub fn set_can_write(&mut self, conn: ConnId, can_write: bool) -> bool {
        match self.connections.get_mut(&conn) {
            Some(connection) => {
                connection.can_write = can_write;
                if !can_write {
                    self.waiting.retain(|waiting| waiting.conn != Some(conn));
                }
                true
            }
            None => false,
        }
    }

    /// Whether a connection is connected and may write.
    pub fn can_write(&self, conn: ConnId) -> bool {
        self.connections.get(&conn).is_some_and(|connection| connection.can_write)
    }

    /// Forgets a connection; returns the awareness message announcing its clients gone.
    pub fn disconnect(&mut self, conn: ConnId) -> Option<Vec<u8>> {
        self.connections.remove(&conn);
        self.waiting.retain(|waiting| waiting.conn != Some(conn));
        self.awareness.remove_connection(conn)
    }

    /// Number of connected connections.
    pub fn connection_count(&self) -> usize {
        self.connections.len()
    }

    /// The awareness states of the room.
    pub fn awareness(&self) -> &AwarenessRegistry {
        &self.awareness
    }

    /// Records an awareness message relayed from another process (see
    /// [`AwarenessRegistry::record_remote`]); returns what this room's
    /// connections should hear (nothing for echoes). Malformed messages are dropped.
    pub fn receive_remote_awareness(&mut self, message: &[u8]) -> Vec<Vec<u8>> {
        let Ok(messages) = crate::protocol::decode_frame(message) else { return Vec::new() };
        messages
            .into_iter()
            .filter_map(|message| match message {
                crate::protocol::Message::Awareness(payload) => self.awareness.record_remote(payload).ok().flatten(),
                _ => None,
            })
            .collect()
    }

    /// Number of updates waiting for what they build on.
    pub fn waiting_updates(&self) -> usize {
        self.waiting.len()
    }

    /// Handles one frame from a connection.
    ///
    /// The whole frame is refused, and the room left unchanged, if any message in it is
    /// malformed or over a limit. A viewer's updates are answered with an auth
    /// permission-denied message and change nothing; empty updates are skipped.
    pub fn receive(&mut self, conn: ConnId, frame: &[u8]) -> Result<Effects> {
        if frame.len() > self.limits.max_message_bytes {
            return Err(ProtocolError::MessageTooLarge { size: frame.len(), max: self.limits.max_message_bytes });
        }
        let can_write = self.connections.get(&conn).ok_or(ProtocolError::UnknownConnection(conn))?.can_write;
        let (steps, awareness) = self.validate(can_write, frame)?;
        self.awareness.check_ownership(conn, &awareness)?;

        let mut effects = Effects::default();
        let waiting_before = self.waiting.clone();
        let mut document_touched = false;
        if let Err(error) = self.carry_out(conn, steps, &mut effects, &mut document_touched) {
            // Roll back this frame's earlier updates along with the broken one.
            if document_touched {
                self.document = self.recovery.rebuild();
            }
            self.waiting = waiting_before;
            return Err(error);
        }
        for update in &effects.updates {
            self.recovery.push(update.clone());
        }
        self.renew_recovery_point_if_due();

        let change = self.awareness.record(conn, &awareness);
        effects.awareness = change.broadcast;
        effects.reply.extend(change.reply.map(Bytes::from));
        Ok(effects)
    }

    /// Handles a connection's frames in order, as [`receive`](Self::receive) would one by one;
    /// the results end at the first refused frame (the frames after it are not looked at).
    ///
    /// A run of frames that each carry one update (what an editor sends while typing) is
    /// applied as one joined update: one decoding and one yrs transaction instead of one per
    /// frame. Its update is returned with the run's last frame, the others return nothing.
    /// Should the run not join or not apply cleanly, its frames are handled one by one,
    /// which finds the frame to refuse.
    pub fn receive_all(&mut self, conn: ConnId, frames: &[&[u8]]) -> Vec<Result<Effects>> {
        let mut results = Vec::with_capacity(frames.len());
        let mut rest = frames;
        while !rest.is_empty() {
            let run = if rest.len() > 1 { self.update_run(conn, rest) } else { Vec::new() };
            if run.len() > 1
                && let Some(effects) = self.apply_run(&run)
            {
                results.extend((1..run.len()).map(|_| Ok(Effects::default())));
                results.push(Ok(effects));
            } else {
                for frame in &rest[..run.len().max(1)] {
                    let result = self.receive(conn, frame);
                    let refused = result.is_err();
                    results.push(result);
                    if refused {
                        return results;
                    }
                }
            }
            rest = &rest[run.len().max(1)..];
        }
        results
    }

    /// The updates of the leading frames that each hold exactly one non-empty update
    /// message from a writer, within the message limit.
    fn update_run<'a>(&self, conn: ConnId, frames: &[&'a [u8]]) -> Vec<&'a [u8]> {
        let can_write = self.connections.get(&conn).is_some_and(|connection| connection.can_write);
        if !can_write || !self.waiting.is_empty() {
            return Vec::new();
        }
        frames
            .iter()
            .map_while(|frame| {
                if frame.len() > self.limits.max_message_bytes {
                    return None;
                }
                match decode_frame(frame).ok()?.as_slice() {
                    [Message::Update(update)] if *update != EMPTY_UPDATE => Some(*update),
                    _ => None,
                }
            })
            .collect()
    }

    /// Applies a run's updates as one, if each is complete for the document once the ones
    /// before it are in (so that none would have had to wait), they join into an update of
    /// text and deletions within the document's size limit, and yrs applies it cleanly.
    /// `None` leaves the document as it was.
    fn apply_run(&mut self, updates: &[&[u8]]) -> Option<Effects> {
        let size = self.size_estimate().saturating_add(updates.iter().map(|update| update.len()).sum());
        if size > self.limits.max_document_bytes {
            return None;
        }
        let shapes = updates.iter().map(|update| check_update(update).ok().flatten()).collect::<Option<Vec<_>>>()?;
        let state = self.document.state();
        let mut after = StateAfter::new(&state);
        for shape in &shapes {
            if shape.has_other_content || shape.has_long_client || !shape.is_complete_for(&after) {
                return None;
            }
            after.add(shape);
        }
        // The join of walked text-only parts needs no walk of its own: its counts are the
        // parts' (each backed by their bytes), and its blocks and deletions are theirs.
        let joined = concat_walked(updates, shapes)?;
        let update = decode_checked(&joined, true).ok()?;
        let mut effects = Effects::default();
        match self.document.integrate(update) {
            Ok(true) => {
                self.recovery.push(joined.clone());
                self.renew_recovery_point_if_due();
                effects.updates.push(joined);
            }
            Ok(false) => {}
            Err(_) => {
                self.document = self.recovery.rebuild();
                return None;
            }
        }
        Some(effects)
    }

    /// Carries out a validated frame's steps. On `Err` the caller rolls back: the document if
    /// `document_touched`, and the waiting updates.
    fn carry_out(
        &mut self,
        conn: ConnId,
        steps: Vec<Step<'_>>,
        effects: &mut Effects,
        document_touched: &mut bool,
    ) -> Result<()> {
        for step in steps {
            match step {
                Step::SendMissing(state_vector) => effects.reply.push(self.step2_frame(&state_vector)?),
                Step::Apply(update, shape, bytes) => {
                    if shape.is_complete_for(&self.document.state()) {
                        *document_touched = true;
                        if self.document.integrate(update).map_err(ProtocolError::MalformedUpdate)? {
                            effects.updates.push(bytes.to_vec());
                        }
                        self.integrate_waiting(&mut effects.updates, document_touched)?;
                    } else {
                        self.wait(conn, bytes.to_vec(), shape)?;
                    }
                }
                Step::DenyWrite => effects.reply.push(encode_auth_denied(READ_ONLY_REASON).into()),
                Step::SendAwareness => effects.reply.push(
                    self.awareness.full_message().unwrap_or_else(|| encode_awareness(&EMPTY_AWARENESS_UPDATE)).into(),
                ),
            }
        }
        Ok(())
    }

    /// Keeps an update from `conn` until what it builds on has arrived.
    fn wait(&mut self, conn: ConnId, bytes: Vec<u8>, shape: UpdateShape) -> Result<()> {
        let bytes_waiting: usize = self.waiting.iter().map(|waiting| waiting.bytes.len()).sum();
        if self.waiting.len() >= MAX_WAITING_UPDATES
            || bytes_waiting.saturating_add(bytes.len()) > self.limits.max_message_bytes
        {
            return Err(ProtocolError::TooManyWaitingUpdates { max: MAX_WAITING_UPDATES });
        }
        self.waiting.push(Waiting { conn: Some(conn), bytes, shape });
        Ok(())
    }

    /// Applies every waiting update that has become complete, oldest first, appending those
    /// that changed the document to `applied`.
    fn integrate_waiting(&mut self, applied: &mut Vec<Vec<u8>>, document_touched: &mut bool) -> Result<()> {
        while !self.waiting.is_empty() {
            let state = self.document.state();
            let Some(index) = self.waiting.iter().position(|waiting| waiting.shape.is_complete_for(&state)) else {
                return Ok(());
            };
            let waiting = self.waiting.remove(index);
            let (update, _) = decode_update(&waiting.bytes).map_err(ProtocolError::MalformedUpdate)?;
            *document_touched = true;
            if self.document.integrate(update).map_err(ProtocolError::MalformedUpdate)? {
                applied.push(waiting.bytes);
            }
        }
        Ok(())
    }

    /// Decodes a frame and checks every message against the limits without changing anything.
    fn validate<'a>(&self, can_write: bool, frame: &'a [u8]) -> Result<(Vec<Step<'a>>, Vec<AwarenessEntry<'a>>)> {
        let mut steps = Vec::new();
        let mut awareness = Vec::new();
        let mut size = self.size_estimate();
        for message in decode_frame(frame)? {
            match message {
                Message::SyncStep1(state_vector) => {
                    let state_vector =
                        decode_state_vector(state_vector).map_err(ProtocolError::MalformedStateVector)?;
                    steps.push(Step::SendMissing(state_vector));
                }
                Message::SyncStep2(bytes) | Message::Update(bytes) => {
                    if bytes == EMPTY_UPDATE {
                        // Every client answers the room's step 1, viewers included.
                        continue;
                    }
                    if !can_write {
                        steps.push(Step::DenyWrite);
                        continue;
                    }
                    let (update, shape) = decode_update(bytes).map_err(ProtocolError::MalformedUpdate)?;
                    if shape.has_long_client {
                        return Err(ProtocolError::MalformedUpdate(LONG_CLIENT.to_owned()));
                    }
                    if update.is_empty() {
                        continue;
                    }
                    size = size.saturating_add(bytes.len());
                    if size > self.limits.max_document_bytes {
                        return Err(ProtocolError::DocumentTooLarge { size, max: self.limits.max_document_bytes });
                    }
                    steps.push(Step::Apply(update, shape, bytes));
                }
                Message::Awareness(payload) => awareness.extend(decode_awareness_update(payload)?),
                Message::Auth(_) => {}
                Message::QueryAwareness => steps.push(Step::SendAwareness),
            }
        }
        Ok((steps, awareness))
    }

    /// What a peer with `state_vector` lacks, as a sync step 2 frame. A peer
    /// that has nothing shares the document's cached frame (no copy).
    fn step2_frame(&self, state_vector: &StateVector) -> Result<Bytes> {
        if state_vector.is_empty() {
            return Ok(self.full_state()?.frame);
        }
        Ok(Bytes::from(encode_sync_step2(&self.encode_missing(state_vector)?)))
    }

    /// What a peer with `state_vector` lacks, as one v1 update.
    fn missing_updates(&self, state_vector: &StateVector) -> Result<Vec<u8>> {
        if state_vector.is_empty() {
            return Ok(self.full_state()?.update().to_vec());
        }
        self.encode_missing(state_vector)
    }

    /// The whole document as a step 2 frame, encoded once per version of the document.
    fn full_state(&self) -> Result<FullState> {
        if let Some(full) = self.document.cached_full_state().as_ref() {
            return Ok(full.clone());
        }
        let full = FullState::new(&self.encode_missing(&StateVector::default())?);
        *self.document.cached_full_state() = Some(full.clone());
        Ok(full)
    }

    /// Encodes what a peer with `state_vector` lacks.
    fn encode_missing(&self, state_vector: &StateVector) -> Result<Vec<u8>> {
        let doc = &self.document.doc;
        let encoded = catch_unwind(AssertUnwindSafe(|| doc.transact().encode_state_as_update_v1(state_vector)));
        // The caller rolls back this frame's earlier updates as the frame is refused.
        encoded.map_err(|panic| {
            ProtocolError::MalformedStateVector(format!("yrs panicked: {}", panic_message(panic.as_ref())))
        })
    }

    /// The v1-encoded delete set of the document (everything deleted so far).
    pub fn delete_set(&self) -> Vec<u8> {
        self.document.doc.transact().snapshot().delete_set.encode_v1()
    }

    /// What the document holds beyond `state_vector` (v1), as one v1 update: the
    /// change since a version, or what a branch adds since its fork.
    pub fn encode_since(&mut self, state_vector: &[u8]) -> Result<Vec<u8>> {
        let state_vector = decode_state_vector(state_vector).map_err(ProtocolError::MalformedStateVector)?;
        self.missing_updates(&state_vector)
    }

    /// Applies an update that is already durable elsewhere (another process's log
    /// entry, or one read back from the log to catch up). Returns whether it changed
    /// the document; on `Err` the document is unchanged.
    pub fn apply_logged_update(&mut self, update: &[u8]) -> Result<bool> {
        match self.document.apply(update) {
            Ok(changed) => {
                if changed {
                    self.recovery.push(update.to_vec());
                    self.renew_recovery_point_if_due();
                }
                Ok(changed)
            }
            Err(reason) => {
                self.document = self.recovery.rebuild();
                Err(ProtocolError::MalformedUpdate(reason))
            }
        }
    }

    /// The current text of the `Y.Text` named [`TEXT_NAME`].
    pub fn text(&self) -> String {
        self.document.text.get_string(&self.document.doc.transact())
    }

    /// Turns the text into `new_text` with one minimal edit (common prefix and suffix kept) and
    /// returns the resulting v1 update, to persist and broadcast like a client's; `None` if the
    /// text is already `new_text`.
    pub fn replace_text(&mut self, new_text: &str) -> Result<Option<Vec<u8>>> {
        let old_text = self.text();
        if old_text == new_text {
            return Ok(None);
        }
        let edit = TextEdit::between(&old_text, new_text);
        let inserted = &new_text[edit.start..edit.new_end];
        let size = self.size_estimate().saturating_add(inserted.len());
        let too_large = ProtocolError::DocumentTooLarge { size, max: self.limits.max_document_bytes };
        if size > self.limits.max_document_bytes {
            return Err(too_large);
        }
        // yrs indexes this document's text in UTF-8 bytes (`OffsetKind::Bytes`, the default),
        // and `TextEdit` only yields char boundaries, so the offsets can be passed as they are.
        let start = u32::try_from(edit.start).map_err(|_| too_large.clone())?;
        let removed = u32::try_from(edit.old_end - edit.start).map_err(|_| too_large)?;
        let update = {
            let text = &self.document.text;
            let mut txn = self.document.doc.transact_mut();
            if removed > 0 {
                text.remove_range(&mut txn, start, removed);
            }
            text.insert(&mut txn, start, inserted);
            txn.encode_update_v1()
        };
        self.document.changed();
        self.recovery.push(update.clone());
        self.renew_recovery_point_if_due();
        Ok(Some(update))
    }

    /// The whole document as one v1 update (for snapshots and compaction).
    ///
    /// yrs panics if it cannot encode the document; the update round-trip check on every
    /// accepted update exists to rule that out.
    pub fn encode_state(&self) -> Vec<u8> {
        self.document.encode_state()
    }

    /// The document's encoded state vector.
    pub fn state_vector(&self) -> Vec<u8> {
        self.document.doc.transact().state_vector().encode_v1()
    }

    /// Estimated document size in bytes: the length of the last encoded state plus the bytes of
    /// every update accepted since. Re-based on a fresh encoding regularly, so deletions that
    /// GC reclaimed stop counting.
    pub fn size_estimate(&self) -> usize {
        self.recovery.size()
    }

    /// Re-encodes the recovery point once the updates since it outweigh it.
    ///
    /// Should yrs fail to encode the document, the old recovery point is kept: it still
    /// rebuilds the document, only at a higher cost.
    fn renew_recovery_point_if_due(&mut self) {
        if self.recovery.is_due()
            && let Ok(state) = self.document.try_encode_state()
        {
            self.recovery = RecoveryPoint::new(state);
        }
    }

    /// Asserts the room's internal consistency.
    #[cfg(test)]
    pub(crate) fn check_invariants(&self) {
        self.awareness.check_invariants();
        for owner in self.awareness.owners() {
            assert!(self.connections.contains_key(&owner), "awareness owned by {owner}, which is not connected");
        }
        let rebuilt = self.recovery.rebuild();
        assert_eq!(
            rebuilt.text.get_string(&rebuilt.doc.transact()),
            self.text(),
            "the recovery point does not rebuild the current text"
        );
        assert_eq!(
            rebuilt.doc.transact().state_vector(),
            self.document.doc.transact().state_vector(),
            "the recovery point does not rebuild the current state vector"
        );
        assert_eq!(self.size_estimate(), self.recovery.size());
        assert!(!self.document.doc.transact().has_missing_updates(), "yrs keeps an update pending");
        let state = self.document.state();
        for waiting in &self.waiting {
            assert!(!waiting.shape.is_complete_for(&state), "a waiting update could be applied");
            if let Some(conn) = waiting.conn {
                assert!(self.connections.contains_key(&conn), "an update waits for {conn}, which is not connected");
            }
        }
        assert!(self.waiting.iter().filter(|waiting| waiting.conn.is_some()).count() <= MAX_WAITING_UPDATES);
    }
}

/// The smallest single edit turning one text into another, as byte offsets on char
/// boundaries: `old[start..old_end]` is replaced by `new[start..new_end]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct TextEdit {
    start: usize,
    old_end: usize,
    new_end: usize,
}

impl TextEdit {
    fn between(old: &str, new: &str) -> Self {
        let start = old
            .char_indices()
            .zip(new.chars())
            .find(|((_, a), b)| a != b)
            .map_or(old.len().min(new.len()), |((index, _), _)| index);
        let suffix: usize = old[start..]
            .chars()
            .rev()
            .zip(new[start..].chars().rev())
            .take_while(|(a, b)| a == b)
            .map(|(a, _)| a.len_utf8())
            .sum();
        Self { start, old_end: old.len() - suffix, new_end: new.len() - suffix }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, VecDeque};

    use proptest::prelude::*;
    use yrs::{ClientID, Map, OffsetKind, Options};

    use super::*;
    use crate::awareness::encode_awareness_update;
    use crate::protocol::{encode_query_awareness, write_var_string, write_var_uint};

    const ALICE: ConnId = ConnId(1);
    const BOB: ConnId = ConnId(2);
    const VIEWER: ConnId = ConnId(3);

    /// A simulated browser tab: its own yrs document, speaking y-websocket like the JS client.
    struct Peer {
        conn: ConnId,
        doc: Doc,
        text: TextRef,
        utf16: bool,
    }

    impl Peer {
        /// A peer whose Yjs clientID is its connection number. `utf16` indexes text like Yjs.
        fn new(conn: ConnId, utf16: bool) -> Self {
            let doc = Doc::with_options(Options {
                offset_kind: if utf16 { OffsetKind::Utf16 } else { OffsetKind::Bytes },
                ..Options::with_client_id(ClientID::new(conn.0))
            });
            let text = doc.get_or_insert_text(TEXT_NAME);
            Self { conn, doc, text, utf16 }
        }

        fn text(&self) -> String {
            self.text.get_string(&self.doc.transact())
        }

        /// The yrs index of a char position in this peer's offset kind.
        fn offset(&self, char_index: usize) -> u32 {
            let text = self.text();
            let prefix = text.chars().take(char_index);
            let offset: usize =
                if self.utf16 { prefix.map(char::len_utf16).sum() } else { prefix.map(char::len_utf8).sum() };
            u32::try_from(offset).unwrap()
        }

        /// Inserts at a char position and returns the update frame to send.
        fn insert(&self, char_index: usize, chunk: &str) -> Vec<u8> {
            let index = self.offset(char_index);
            let mut txn = self.doc.transact_mut();
            self.text.insert(&mut txn, index, chunk);
            encode_update(&txn.encode_update_v1())
        }

        /// Deletes chars and returns the update frame to send.
        fn delete(&self, char_index: usize, char_count: usize) -> Vec<u8> {
            let start = self.offset(char_index);
            let end = self.offset(char_index + char_count);
            let mut txn = self.doc.transact_mut();
            self.text.remove_range(&mut txn, start, end - start);
            encode_update(&txn.encode_update_v1())
        }

        fn step1(&self) -> Vec<u8> {
            encode_sync_step1(&self.doc.transact().state_vector().encode_v1())
        }

        fn apply(&self, update: &[u8]) {
            let mut txn = self.doc.transact_mut();
            txn.apply_update(Update::decode_v1(update).unwrap()).unwrap();
        }

        /// Handles one frame from the room like the y-websocket client; returns its answer.
        fn handle(&self, frame: &[u8]) -> Option<Vec<u8>> {
            let mut answer = None;
            for message in decode_frame(frame).unwrap() {
                match message {
                    Message::SyncStep1(state_vector) => {
                        let state_vector = StateVector::decode_v1(state_vector).unwrap();
                        let missing = self.doc.transact().encode_state_as_update_v1(&state_vector);
                        answer = Some(encode_sync_step2(&missing));
                    }
                    Message::SyncStep2(update) | Message::Update(update) => self.apply(update),
                    Message::Awareness(_) | Message::Auth(_) | Message::QueryAwareness => {}
                }
            }
            answer
        }
    }

    /// Connects a peer and runs the whole handshake; the room must end up with the peer's edits.
    fn join(room: &mut DocRoom, peer: &Peer, can_write: bool) {
        for frame in room.connect(peer.conn, can_write) {
            if let Some(answer) = peer.handle(&frame) {
                let effects = room.receive(peer.conn, &answer).unwrap();
                assert!(effects.reply.is_empty(), "{effects:?}");
            }
        }
        let effects = room.receive(peer.conn, &peer.step1()).unwrap();
        for frame in &effects.reply {
            assert_eq!(peer.handle(frame), None);
        }
        room.check_invariants();
    }

    /// Sends a frame from `from`, broadcasts accepted updates to `peers`, returns the effects.
    fn send(room: &mut DocRoom, from: ConnId, frame: &[u8], peers: &[&Peer]) -> Effects {
        let effects = room.receive(from, frame).unwrap();
        room.check_invariants();
        for frame in effects.update_frames() {
            for peer in peers {
                peer.handle(&frame);
            }
        }
        effects
    }

    /// The update carried by a sync step 2 frame.
    fn update_of_step2(frame: &[u8]) -> Vec<u8> {
        match decode_frame(frame).unwrap()[..] {
            [Message::SyncStep2(update)] => update.to_vec(),
            ref other => panic!("not a step 2 frame: {other:?}"),
        }
    }

    /// The update carried by a sync update frame.
    fn update_of(frame: &[u8]) -> Vec<u8> {
        match decode_frame(frame).unwrap()[..] {
            [Message::Update(update)] => update.to_vec(),
            ref other => panic!("not an update frame: {other:?}"),
        }
    }

    fn awareness_payload(entries: &[(u64, u64, &str)]) -> Vec<u8> {
        encode_awareness(&encode_awareness_update(entries.iter().map(|&(client_id, clock, state)| AwarenessEntry {
            client_id,
            clock,
            state,
        })))
    }

    /// A room whose text was typed by Alice (Yjs clientID 1), with Alice connected.
    fn room_with_text(text: &str) -> (DocRoom, Peer) {
        let mut room = DocRoom::new(Limits::default());
        let alice = Peer::new(ALICE, true);
        join(&mut room, &alice, true);
        send(&mut room, ALICE, &alice.insert(0, text), &[&alice]);
        assert_eq!(room.text(), text);
        (room, alice)
    }

    #[test]
    fn a_room_is_send() {
        fn assert_send<T: Send>() {}
        assert_send::<DocRoom>();
    }

    #[test]
    fn connect_sends_step1_then_awareness_as_separate_frames() {
        let mut room = DocRoom::new(Limits::default());
        assert_eq!(room.connect(ALICE, true), vec![vec![0, 0, 1, 0]]);
        room.receive(ALICE, &awareness_payload(&[(1, 1, r#"{"user":"a"}"#)])).unwrap();
        let frames = room.connect(BOB, true);
        assert_eq!(frames.len(), 2);
        assert_eq!(frames[0], [0, 0, 1, 0]);
        assert_eq!(frames[1], awareness_payload(&[(1, 1, r#"{"user":"a"}"#)]));
        assert_eq!(room.connection_count(), 2);
        room.check_invariants();
    }

    #[test]
    fn two_clients_converge_through_the_room() {
        let mut room = DocRoom::new(Limits::default());
        let alice = Peer::new(ALICE, true);
        let bob = Peer::new(BOB, true);
        join(&mut room, &alice, true);
        join(&mut room, &bob, true);

        let effects = send(&mut room, ALICE, &alice.insert(0, "Hello"), &[&alice, &bob]);
        assert_eq!(effects.updates.len(), 1);
        assert!(effects.reply.is_empty());
        assert_eq!(bob.text(), "Hello");

        // Concurrent edits: neither has seen the other's.
        let from_alice = alice.insert(5, "!");
        let from_bob = bob.insert(0, "Oh, ");
        send(&mut room, BOB, &from_bob, &[&alice, &bob]);
        send(&mut room, ALICE, &from_alice, &[&alice, &bob]);
        let deleted = bob.delete(0, 2);
        send(&mut room, BOB, &deleted, &[&alice, &bob]);

        assert_eq!(room.text(), ", Hello!");
        assert_eq!(alice.text(), room.text());
        assert_eq!(bob.text(), room.text());
    }

    #[test]
    fn accepted_updates_are_returned_verbatim() {
        let mut room = DocRoom::new(Limits::default());
        let alice = Peer::new(ALICE, true);
        join(&mut room, &alice, true);
        let frame = alice.insert(0, "x");
        let sent = update_of(&frame);
        let effects = room.receive(ALICE, &frame).unwrap();
        assert_eq!(effects.updates, vec![sent]);
        assert_eq!(effects.update_frames().collect::<Vec<_>>(), vec![frame]);
    }

    #[test]
    fn a_late_joiner_gets_the_whole_document() {
        let (mut room, alice) = room_with_text("first line\n");
        send(&mut room, ALICE, &alice.insert(11, "second line 😀\n"), &[&alice]);
        send(&mut room, ALICE, &alice.delete(0, 6), &[&alice]);

        let late = Peer::new(ConnId(9), true);
        room.connect(late.conn, true);
        let effects = room.receive(late.conn, &late.step1()).unwrap();
        assert_eq!(effects.reply.len(), 1);
        assert_eq!(late.handle(&effects.reply[0]), None);
        assert_eq!(late.text(), "line\nsecond line 😀\n");
        assert_eq!(late.text(), room.text());
    }

    #[test]
    fn joiners_of_an_unchanged_document_share_one_encoding_and_changes_renew_it() {
        let (mut room, alice) = room_with_text("first\n");
        let fresh_join = |room: &mut DocRoom, conn: u64| {
            let peer = Peer::new(ConnId(conn), true);
            room.connect(peer.conn, true);
            let effects = room.receive(peer.conn, &peer.step1()).unwrap();
            peer.handle(&effects.reply[0]);
            (peer.text(), effects.reply[0].clone())
        };
        let (first, reply) = fresh_join(&mut room, 20);
        assert_eq!(first, "first\n");
        assert!(room.document.cached_full_state().is_some(), "kept for the next joiner");
        let again = fresh_join(&mut room, 21).1;
        assert_eq!(again, reply, "the same bytes");
        assert_eq!(again.as_ptr(), reply.as_ptr(), "in the same buffer, not a copy");
        // An update from a client, a replaced text: the next joiner sees each.
        send(&mut room, ALICE, &alice.insert(6, "second\n"), &[&alice]);
        assert_eq!(fresh_join(&mut room, 22).0, "first\nsecond\n");
        room.replace_text("third\n").unwrap();
        assert_eq!(fresh_join(&mut room, 23).0, "third\n");
        assert_eq!(fresh_join(&mut room, 24).0, room.text());
    }

    #[test]
    fn a_viewers_update_is_refused_with_an_auth_message() {
        let (mut room, alice) = room_with_text("read me");
        let viewer = Peer::new(VIEWER, true);
        join(&mut room, &viewer, false);
        assert_eq!(viewer.text(), "read me");
        let state_vector = room.state_vector();

        let effects = room.receive(VIEWER, &viewer.insert(0, "vandalism ")).unwrap();
        assert_eq!(effects.reply, vec![encode_auth_denied("read-only")]);
        assert_eq!(effects.reply[0][..2], [2, 0]);
        assert!(effects.updates.is_empty());
        assert_eq!(room.text(), "read me");
        assert_eq!(room.state_vector(), state_vector);

        // A viewer's sync step 2 with offline edits is refused the same way...
        let missing = viewer.doc.transact().encode_state_as_update_v1(&StateVector::default());
        let effects = room.receive(VIEWER, &encode_sync_step2(&missing)).unwrap();
        assert_eq!(effects.reply, vec![encode_auth_denied(READ_ONLY_REASON)]);
        // ...but its empty step 2 (the answer to the room's step 1) passes silently.
        assert_eq!(room.receive(VIEWER, &encode_sync_step2(&EMPTY_UPDATE)).unwrap(), Effects::default());

        // Viewers still receive edits and may share their cursor.
        send(&mut room, ALICE, &alice.insert(7, "!"), &[&alice, &viewer]);
        let mut viewer_after = viewer.text();
        viewer_after.replace_range(0..10, "");
        assert_eq!(viewer_after, "read me!");
        let effects = room.receive(VIEWER, &awareness_payload(&[(3, 1, "{}")])).unwrap();
        assert!(effects.awareness.is_some());
        room.check_invariants();

        // A permission change takes effect on the next frame. The viewer's next edit follows
        // its refused one in its own clock, so it waits for it...
        assert!(room.set_can_write(VIEWER, true));
        assert!(room.can_write(VIEWER));
        let end = viewer.text().chars().count();
        assert_eq!(room.receive(VIEWER, &viewer.insert(end, "?")).unwrap(), Effects::default());
        assert_eq!(room.waiting_updates(), 1);
        // ...which its next sync step 2 (after a reconnect, say) brings.
        let missing =
            viewer.doc.transact().encode_state_as_update_v1(&StateVector::decode_v1(&room.state_vector()).unwrap());
        let effects = room.receive(VIEWER, &encode_sync_step2(&missing)).unwrap();
        assert_eq!(effects.updates.len(), 1);
        assert_eq!(room.waiting_updates(), 0);
        assert_eq!(room.text(), viewer.text());
        room.check_invariants();
    }

    /// A v1 update with a valid insertion by Yjs client 99 and then, by client 98, an item
    /// whose parent is Alice's first string item, which yrs rejects with `InvalidParent` only
    /// after it has integrated client 99's block.
    fn half_valid_update() -> Vec<u8> {
        let mut update = Vec::new();
        write_var_uint(&mut update, 2); // clients
        // Client 99 (yrs integrates the highest client first).
        write_var_uint(&mut update, 1); // blocks
        write_var_uint(&mut update, 99); // client
        write_var_uint(&mut update, 0); // clock
        update.push(4); // info: string content, no origins
        write_var_uint(&mut update, 1); // parent is a named root type
        write_var_string(&mut update, TEXT_NAME);
        write_var_string(&mut update, "injected");
        // Client 98.
        write_var_uint(&mut update, 1); // blocks
        write_var_uint(&mut update, 98); // client
        write_var_uint(&mut update, 0); // clock
        update.push(4); // info: string content, no origins
        write_var_uint(&mut update, 0); // parent given by ID
        write_var_uint(&mut update, ALICE.0); // parent client
        write_var_uint(&mut update, 0); // parent clock: a string item
        write_var_string(&mut update, "x");
        write_var_uint(&mut update, 0); // empty delete set
        update
    }

    #[test]
    fn a_half_applied_update_is_rolled_back() {
        let (mut room, alice) = room_with_text("stable");
        let update = half_valid_update();

        // On a plain yrs document the failure leaves the first half applied.
        let plain = Peer::new(ConnId(50), true);
        plain.apply(&alice.doc.transact().encode_state_as_update_v1(&StateVector::default()));
        let error = plain.doc.transact_mut().apply_update(Update::decode_v1(&update).unwrap());
        assert!(error.is_err());
        assert!(plain.text().contains("injected"), "{}", plain.text());

        let state_vector = room.state_vector();
        let result = room.receive(ALICE, &encode_update(&update));
        assert!(
            matches!(result, Err(ProtocolError::MalformedUpdate(ref reason)) if reason.contains("parent")),
            "{result:?}"
        );
        assert_eq!(room.text(), "stable");
        assert_eq!(room.state_vector(), state_vector);
        room.check_invariants();

        // The room keeps working after the rollback.
        send(&mut room, ALICE, &alice.insert(6, "!"), &[&alice]);
        assert_eq!(room.text(), "stable!");
        room.check_invariants();
    }

    #[test]
    fn object_values_are_accepted_every_time() {
        // yrs encodes a map's entries in hash order: two encodings of this update differ.
        let peer = Peer::new(ConnId(52), true);
        let map = peer.doc.get_or_insert_map("meta");
        let update = {
            let mut txn = peer.doc.transact_mut();
            let object: HashMap<String, yrs::Any> =
                (0..8).map(|i| (format!("key{i}"), yrs::Any::from(f64::from(i)))).collect();
            map.insert(&mut txn, "cursor", yrs::Any::from(object));
            txn.encode_update_v1()
        };
        for _ in 0..20 {
            let (mut room, _alice) = room_with_text("text");
            let effects = room.receive(ALICE, &encode_update(&update)).unwrap();
            assert_eq!(effects.updates, vec![update.clone()]);
        }
    }

    #[test]
    fn updates_yrs_cannot_re_encode_are_refused() {
        // A legacy `ContentJSON` item holding one string, encoded as Yjs does (length 1).
        // yrs 0.28.1 reads one string more than the length says, so it cannot load this back.
        let mut update = Vec::new();
        for value in [1, 1, 50, 0] {
            write_var_uint(&mut update, value); // clients, blocks, client, clock
        }
        update.push(2); // info: JSON content, no origins
        write_var_uint(&mut update, 1); // parent is a named root type
        write_var_string(&mut update, TEXT_NAME);
        write_var_uint(&mut update, 1); // one JSON string...
        write_var_string(&mut update, "1");
        write_var_string(&mut update, "2"); // ...but yrs reads two
        write_var_uint(&mut update, 0); // empty delete set

        // A plain yrs document accepts it, and then cannot reload its own state.
        let plain = Peer::new(ConnId(51), true);
        plain.apply(&update);
        let state = plain.doc.transact().encode_state_as_update_v1(&StateVector::default());
        assert!(Update::decode_v1(&state).is_err());

        let (mut room, _alice) = room_with_text("safe");
        let result = room.receive(ALICE, &encode_update(&update));
        assert!(
            matches!(result, Err(ProtocolError::MalformedUpdate(ref reason)) if reason.contains("own encoding")),
            "{result:?}"
        );
        assert_eq!(room.text(), "safe");
        assert!(DocRoom::load(Limits::default(), [room.encode_state()]).is_ok());
    }

    /// A frame of crafted eleven-byte updates (each "complete" for yrs's decoder) with which
    /// the fuzzer made yrs 0.28.1 read freed memory while retrying its pending updates.
    const PENDING_USE_AFTER_FREE: [u8; 260] = [
        0, 1, 11, 1, 1, 17, 1, 1, 128, 0, 1, 0, 1, 0, 0, 1, 11, 1, 1, 18, 1, 1, 128, 0, 1, 0, 1, 0, 0, 1, 11, 1, 1, 1,
        17, 1, 128, 0, 1, 0, 1, 0, 0, 1, 11, 1, 1, 1, 53, 0, 1, 2, 0, 0, 3, 0, 0, 1, 11, 1, 1, 1, 1, 1, 128, 2, 1, 8,
        0, 0, 0, 0, 1, 0, 0, 1, 11, 1, 1, 1, 25, 1, 128, 0, 1, 0, 1, 0, 0, 1, 11, 1, 1, 49, 1, 1, 128, 0, 1, 0, 1, 0,
        0, 1, 11, 1, 1, 17, 35, 1, 128, 0, 1, 9, 1, 0, 0, 1, 11, 1, 1, 42, 1, 1, 128, 0, 1, 0, 1, 0, 0, 1, 11, 1, 1, 1,
        47, 1, 128, 0, 1, 0, 1, 0, 0, 1, 11, 1, 1, 48, 1, 1, 128, 0, 1, 0, 1, 0, 0, 1, 11, 1, 1, 1, 0, 0, 1, 2, 0, 0,
        3, 0, 0, 1, 11, 1, 1, 1, 1, 1, 128, 2, 1, 8, 64, 0, 0, 0, 1, 0, 0, 1, 11, 1, 1, 1, 21, 1, 128, 0, 1, 0, 1, 0,
        0, 1, 11, 1, 1, 1, 12, 1, 128, 0, 1, 0, 1, 0, 0, 1, 11, 1, 1, 1, 0, 0, 1, 2, 0, 0, 3, 0, 0, 1, 11, 1, 1, 1, 80,
        0, 1, 2, 0, 0, 3, 0, 0, 1, 11, 1, 1, 1, 1, 1, 128, 2, 0, 0, 119, 0,
    ];

    #[test]
    fn updates_yrs_would_keep_pending_never_reach_it() {
        let (mut room, _alice) = room_with_text("fn main() {}\n");
        let state_vector = room.state_vector();
        // Refused as a whole: one of its updates names a text item of Alice's as a parent.
        let result = room.receive(ALICE, &PENDING_USE_AFTER_FREE);
        assert!(matches!(result, Err(ProtocolError::MalformedUpdate(_))), "{result:?}");
        room.check_invariants();
        assert_eq!(room.text(), "fn main() {}\n");
        assert_eq!(room.state_vector(), state_vector);
        // The same updates one frame at a time.
        for message in decode_frame(&PENDING_USE_AFTER_FREE).unwrap() {
            if let Message::SyncStep2(update) | Message::Update(update) = message {
                let _ = room.receive(ALICE, &encode_update(update));
                room.check_invariants();
            }
        }
        assert_eq!(room.text(), "fn main() {}\n");
        assert!(DocRoom::load(Limits::default(), [room.encode_state()]).is_ok());
    }

    #[test]
    fn deletions_inside_a_surrogate_pair_are_stored_like_any_change() {
        let (mut room, _alice) = room_with_text("a😀b");
        let before = room.encode_state();
        // An empty range at the middle of 😀 (UTF-16 clock 2 of Alice's item): yrs would split
        // the pair into two U+FFFD while reporting no change. Refused.
        let empty = [0, 1, 1, 1, 2, 0];
        assert!(matches!(room.receive(ALICE, &encode_update(&empty)), Err(ProtocolError::MalformedUpdate(_))));
        assert_eq!(room.text(), "a😀b");
        // Deleting the second half: Yjs semantics, the first half becomes U+FFFD. It is a
        // change like any other, returned for storage, and reloads to the same text.
        let half = [0, 1, 1, 1, 2, 1];
        let effects = room.receive(ALICE, &encode_update(&half)).unwrap();
        assert_eq!(effects.updates, vec![half.to_vec()]);
        assert_eq!(room.text(), "a\u{fffd}b");
        let reloaded = DocRoom::load(Limits::default(), [before, half.to_vec()]).unwrap();
        assert_eq!(reloaded.text(), room.text());
        room.check_invariants();
    }

    #[test]
    fn a_live_edit_waits_for_the_offline_edits_it_builds_on() {
        let (mut room, alice) = room_with_text("shared");
        let bob = Peer::new(BOB, true);
        join(&mut room, &bob, true);
        // Bob loses his connection and types offline.
        room.disconnect(BOB);
        let _offline = bob.insert(6, " offline");
        // He reconnects; an edit typed now overtakes the sync step 2 with his offline edit.
        let frames = room.connect(BOB, true);
        let live = bob.insert(14, " live");
        let effects = room.receive(BOB, &live).unwrap();
        assert_eq!(effects, Effects::default(), "nothing is acknowledged yet");
        assert_eq!(room.waiting_updates(), 1);
        assert_eq!(room.text(), "shared");
        room.check_invariants();

        // Bob's answer to the room's step 1 brings the offline edit (and the live one).
        let step2 = bob.handle(&frames[0]).expect("step 2");
        let effects = room.receive(BOB, &step2).unwrap();
        assert_eq!(effects.updates, vec![update_of_step2(&step2)]);
        assert_eq!(room.waiting_updates(), 0);
        assert_eq!(room.text(), "shared offline live");
        room.check_invariants();

        // The same race with single updates: both are acknowledged, in causal order.
        let first = alice.insert(0, "1");
        let second = alice.insert(1, "2");
        assert_eq!(room.receive(ALICE, &second).unwrap(), Effects::default());
        let effects = room.receive(ALICE, &first).unwrap();
        assert_eq!(effects.updates, vec![update_of(&first), update_of(&second)]);
        assert_eq!(room.text(), "12shared offline live");
        room.check_invariants();
    }

    #[test]
    fn waiting_updates_are_bounded_and_dropped_with_their_connection() {
        let (mut room, alice) = room_with_text("x");
        let bob = Peer::new(BOB, true);
        join(&mut room, &bob, true);
        // Bob's edits all build on a first one the room never gets.
        let _lost = bob.insert(0, "lost");
        for i in 0..MAX_WAITING_UPDATES {
            room.receive(BOB, &bob.insert(i + 1, "w")).unwrap();
        }
        assert_eq!(room.waiting_updates(), MAX_WAITING_UPDATES);
        assert_eq!(
            room.receive(BOB, &bob.insert(0, "w")),
            Err(ProtocolError::TooManyWaitingUpdates { max: MAX_WAITING_UPDATES })
        );
        room.check_invariants();
        // Others are not blocked.
        send(&mut room, ALICE, &alice.insert(1, "y"), &[&alice]);
        assert_eq!(room.text(), "xy");
        room.disconnect(BOB);
        assert_eq!(room.waiting_updates(), 0);
        room.check_invariants();
    }

    #[test]
    fn a_demoted_editors_waiting_updates_are_dropped() {
        let (mut room, _alice) = room_with_text("x");
        let bob = Peer::new(BOB, true);
        join(&mut room, &bob, true);
        let carol = Peer::new(ConnId(3), true);
        join(&mut room, &carol, true);
        // Bob sends an edit that builds on one the room does not have yet.
        let first = bob.insert(0, "first ");
        let second = bob.insert(6, "second ");
        assert_eq!(room.receive(BOB, &second).unwrap(), Effects::default());
        assert_eq!(room.waiting_updates(), 1);
        // Bob becomes a viewer: his waiting edit goes with his write access.
        assert!(room.set_can_write(BOB, false));
        assert_eq!(room.waiting_updates(), 0);
        // Carol now supplies what it built on (she got Bob's first edit elsewhere): only that
        // is applied and attributed to her, never Bob's edit.
        carol.apply(&update_of(&first));
        let effects = room.receive(ConnId(3), &encode_update(&update_of(&first))).unwrap();
        assert_eq!(effects.updates, vec![update_of(&first)]);
        assert_eq!(room.text(), "first x");
        room.check_invariants();
    }

    #[test]
    fn load_applies_stored_updates_that_arrive_before_what_they_build_on() {
        let alice = Peer::new(ALICE, true);
        let first = update_of(&alice.insert(0, "first"));
        let second = update_of(&alice.insert(5, " second"));
        let room = DocRoom::load(Limits::default(), [&second, &first]).unwrap();
        assert_eq!(room.text(), "first second");
        assert_eq!(room.waiting_updates(), 0);
        room.check_invariants();
        // One whose base was never stored keeps waiting; the rest loads.
        let room = DocRoom::load(Limits::default(), [&second]).unwrap();
        assert_eq!(room.text(), "");
        assert_eq!(room.waiting_updates(), 1);
    }

    #[test]
    fn earlier_updates_of_a_refused_frame_are_rolled_back() {
        let (mut room, alice) = room_with_text("stable");
        let mut frame = alice.insert(6, " and more");
        frame.extend(encode_update(&half_valid_update()));
        assert!(matches!(room.receive(ALICE, &frame), Err(ProtocolError::MalformedUpdate(_))));
        assert_eq!(room.text(), "stable");
        room.check_invariants();
    }

    #[test]
    fn a_run_of_updates_is_applied_as_one() {
        let (mut room, alice) = room_with_text("hello");
        let bob = Peer::new(ConnId(2), true);
        join(&mut room, &bob, true);
        let frames: Vec<Vec<u8>> =
            vec![alice.insert(5, " wor"), alice.insert(9, "ld"), alice.delete(0, 1), alice.insert(0, "H😀")];
        let frames: Vec<&[u8]> = frames.iter().map(Vec::as_slice).collect();
        let results = room.receive_all(ALICE, &frames);
        room.check_invariants();
        assert_eq!(results.len(), 4);
        let effects: Vec<Effects> = results.into_iter().map(Result::unwrap).collect();
        assert!(effects[..3].iter().all(|e| *e == Effects::default()), "{effects:?}");
        assert_eq!(effects[3].updates.len(), 1, "one joined update");
        assert_eq!(room.text(), "H😀ello world");
        for frame in effects[3].update_frames() {
            bob.handle(&frame);
        }
        assert_eq!(bob.text(), "H😀ello world");
    }

    #[test]
    fn a_run_that_does_not_join_is_handled_frame_by_frame() {
        let (mut room, alice) = room_with_text("abc");
        // Alice's second edit overtakes her first: it waits for it, then both apply.
        let first = alice.insert(3, "d");
        let second = alice.insert(4, "e");
        let results = room.receive_all(ALICE, &[&second, &first]);
        room.check_invariants();
        let updates: usize = results.into_iter().map(|result| result.unwrap().updates.len()).sum();
        assert_eq!(updates, 2);
        assert_eq!(room.text(), "abcde");

        // A malformed frame ends the run: what came before it stays, nothing after it is read.
        let good = alice.insert(5, "f");
        let bad = encode_update(&[1, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 0]);
        let later = alice.insert(6, "g");
        let results = room.receive_all(ALICE, &[&good, &bad, &later]);
        room.check_invariants();
        assert_eq!(results.len(), 2, "{results:?}");
        assert_eq!(results[0].as_ref().unwrap().updates.len(), 1);
        assert!(matches!(results[1], Err(ProtocolError::MalformedUpdate(_))), "{results:?}");
        assert_eq!(room.text(), "abcdef");
    }

    #[test]
    fn a_viewers_run_is_refused_frame_by_frame() {
        let (mut room, alice) = room_with_text("abc");
        let viewer = Peer::new(ConnId(3), true);
        join(&mut room, &viewer, false);
        let frames = [viewer.insert(0, "x"), viewer.insert(1, "y")];
        let results = room.receive_all(viewer.conn, &[&frames[0], &frames[1]]);
        for result in results {
            let effects = result.unwrap();
            assert!(effects.updates.is_empty());
            assert_eq!(effects.reply, vec![encode_auth_denied(READ_ONLY_REASON)]);
        }
        assert_eq!(room.text(), "abc");
        drop(alice);
    }

    #[test]
    fn malformed_updates_are_refused_and_the_text_stays() {
        let (mut room, alice) = room_with_text("keep this");
        let valid = update_of(&alice.insert(0, ">"));
        let mut trailing = valid.clone();
        trailing.extend([7, 7, 7]);
        let mut huge_client = Vec::new();
        for value in [1, 1, u64::MAX >> 8, 0] {
            write_var_uint(&mut huge_client, value);
        }
        huge_client.extend([4, 1, 6]);
        huge_client.extend(TEXT_NAME.as_bytes());
        huge_client.extend([1, b'x', 0]);
        let bad_updates: Vec<Vec<u8>> = vec![
            vec![1],
            vec![0xff, 0xff, 0xff, 0xff, 0x0f],
            valid[..valid.len() - 3].to_vec(),
            vec![1, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 0],
            vec![1, 1, 5, 0, 0x1f],
            huge_client,
        ];
        let state_vector = room.state_vector();
        for update in &bad_updates {
            for frame in [encode_update(update), encode_sync_step2(update)] {
                let result = room.receive(ALICE, &frame);
                assert!(matches!(result, Err(ProtocolError::MalformedUpdate(_))), "{update:?}: {result:?}");
                assert_eq!(room.text(), "keep this");
                assert_eq!(room.state_vector(), state_vector);
                room.check_invariants();
            }
        }
        // Not malformed, though: yrs ignores bytes after the delete set.
        room.receive(ALICE, &encode_update(&trailing)).unwrap();
        assert_eq!(room.text(), ">keep this");
    }

    #[test]
    fn empty_updates_are_skipped() {
        let (mut room, _alice) = room_with_text("text");
        let before = room.size_estimate();
        for frame in [encode_update(&EMPTY_UPDATE), encode_sync_step2(&EMPTY_UPDATE)] {
            assert_eq!(room.receive(ALICE, &frame).unwrap(), Effects::default());
        }
        assert_eq!(room.size_estimate(), before);
    }

    #[test]
    fn malformed_state_vectors_are_refused() {
        let (mut room, _alice) = room_with_text("text");
        for state_vector in [vec![], vec![2, 1], vec![1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0]] {
            let result = room.receive(ALICE, &encode_sync_step1(&state_vector));
            assert!(matches!(result, Err(ProtocolError::MalformedStateVector(_))), "{state_vector:?}: {result:?}");
        }
        assert_eq!(room.text(), "text");
    }

    #[test]
    fn a_frame_is_refused_as_a_whole() {
        let (mut room, alice) = room_with_text("abc");
        let mut frame = alice.insert(3, "d");
        frame.extend(awareness_payload(&[(1, 1, "{}")]));
        frame.push(42);
        assert_eq!(room.receive(ALICE, &frame), Err(ProtocolError::UnknownMessageType(42)));
        assert_eq!(room.text(), "abc");
        assert!(room.awareness().is_empty());
        room.check_invariants();
    }

    #[test]
    fn limits_are_enforced() {
        let limits = Limits { max_message_bytes: 64, max_document_bytes: 200 };
        let mut room = DocRoom::new(limits);
        let alice = Peer::new(ALICE, true);
        join(&mut room, &alice, true);

        // Typed by a peer of its own: the room never sees this edit, Alice must not build on it.
        let frame = Peer::new(ConnId(41), true).insert(0, &"x".repeat(80));
        assert_eq!(room.receive(ALICE, &frame), Err(ProtocolError::MessageTooLarge { size: frame.len(), max: 64 }));
        assert_eq!(room.text(), "");

        let mut typed = 0;
        let error = loop {
            match room.receive(ALICE, &alice.insert(typed, &"y".repeat(30))) {
                Ok(_) => typed += 30,
                Err(error) => break error,
            }
            assert!(typed < 1000, "the document limit was never hit");
        };
        assert!(matches!(error, ProtocolError::DocumentTooLarge { max: 200, .. }), "{error:?}");
        assert_eq!(room.text(), "y".repeat(typed));
        assert!(room.size_estimate() <= 200);
        room.check_invariants();
        assert!(matches!(room.replace_text(&"z".repeat(500)), Err(ProtocolError::DocumentTooLarge { .. })));
        assert_eq!(room.text(), "y".repeat(typed));
    }

    #[test]
    fn unknown_connections_are_refused() {
        let mut room = DocRoom::new(Limits::default());
        assert_eq!(room.receive(ALICE, &encode_query_awareness()), Err(ProtocolError::UnknownConnection(ALICE)));
        room.connect(ALICE, true);
        room.disconnect(ALICE);
        assert_eq!(room.receive(ALICE, &encode_query_awareness()), Err(ProtocolError::UnknownConnection(ALICE)));
    }

    #[test]
    fn query_awareness_is_answered_with_every_state() {
        let mut room = DocRoom::new(Limits::default());
        room.connect(ALICE, true);
        assert_eq!(room.receive(ALICE, &encode_query_awareness()).unwrap().reply, vec![vec![1, 1, 0]]);
        room.receive(ALICE, &awareness_payload(&[(1, 4, r#"{"a":1}"#)])).unwrap();
        assert_eq!(
            room.receive(ALICE, &encode_query_awareness()).unwrap().reply,
            vec![awareness_payload(&[(1, 4, r#"{"a":1}"#)])]
        );
        // Auth messages from clients are ignored.
        assert_eq!(room.receive(ALICE, &encode_auth_denied("nope")).unwrap(), Effects::default());
    }

    #[test]
    fn awareness_is_relayed_once_and_removed_on_disconnect() {
        let mut room = DocRoom::new(Limits::default());
        room.connect(ALICE, true);
        room.connect(BOB, false);
        let cursor = awareness_payload(&[(1, 3, r#"{"cursor":1}"#)]);
        let effects = room.receive(ALICE, &cursor).unwrap();
        assert_eq!(effects.awareness.as_ref(), Some(&cursor));
        // Bob's client echoes it: nothing to relay.
        assert_eq!(room.receive(BOB, &cursor).unwrap(), Effects::default());
        room.check_invariants();

        assert_eq!(room.disconnect(ALICE), Some(awareness_payload(&[(1, 4, "null")])));
        assert_eq!(room.connection_count(), 1);
        assert!(room.awareness().is_empty());
        room.check_invariants();
        assert_eq!(room.disconnect(BOB), None);
        assert_eq!(room.connect(ConnId(5), true), vec![vec![0, 0, 1, 0]]);
    }

    #[test]
    fn a_reconnecting_tab_is_asked_to_reannounce_itself() {
        let mut room = DocRoom::new(Limits::default());
        room.connect(ALICE, true);
        room.receive(ALICE, &awareness_payload(&[(1, 3, "{}")])).unwrap();
        room.disconnect(ALICE);
        let again = ConnId(7);
        room.connect(again, true);
        let effects = room.receive(again, &awareness_payload(&[(1, 3, "{}")])).unwrap();
        assert_eq!(effects.awareness, None);
        assert_eq!(effects.reply, vec![awareness_payload(&[(1, 4, "null")])]);
        let effects = room.receive(again, &awareness_payload(&[(1, 5, "{}")])).unwrap();
        assert_eq!(effects.awareness, Some(awareness_payload(&[(1, 5, "{}")])));
        room.check_invariants();
    }

    #[test]
    fn text_edit_keeps_common_prefix_and_suffix_by_chars() {
        let cases = [
            ("", "abc", (0, 0, 3)),
            ("abc", "", (0, 3, 0)),
            ("abc", "abXc", (2, 2, 3)),
            ("abc", "abc!", (3, 3, 4)),
            ("aaa", "aa", (2, 3, 2)),
            // 😀 (F0 9F 98 80) and 😁 (F0 9F 98 81) share three bytes: never split a char.
            ("a😀b", "a😁b", (1, 5, 5)),
            ("café", "cafe", (3, 5, 4)),
            ("é", "è", (0, 2, 2)),
        ];
        for (old, new, (start, old_end, new_end)) in cases {
            assert_eq!(TextEdit::between(old, new), TextEdit { start, old_end, new_end }, "{old:?} -> {new:?}");
        }
    }

    #[test]
    fn replace_text_is_minimal_and_correct_for_non_ascii() {
        let mut room = DocRoom::new(Limits::default());
        let alice = Peer::new(ALICE, true);
        let bob = Peer::new(BOB, false);
        join(&mut room, &alice, true);
        join(&mut room, &bob, true);
        let texts = [
            "héllo wörld",
            "héllo wörld 😀",
            "héllo brave wörld 😀😀",
            "😀 héllo 👩‍👩‍👧 wörld 😁",
            "naïve café — ½ 😀",
            "",
            "日本語のテキスト",
            "日本語のテキスト\n𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
        ];
        for text in texts {
            let update = room.replace_text(text).unwrap().expect("text changed");
            room.check_invariants();
            assert_eq!(room.text(), text);
            for peer in [&alice, &bob] {
                peer.handle(&encode_update(&update));
                assert_eq!(peer.text(), text);
            }
            // Alice edits after an emoji in UTF-16 offsets; the room's next edit must agree.
            let frame = alice.insert(alice.text().chars().count(), "✓");
            send(&mut room, ALICE, &frame, &[&alice, &bob]);
            assert_eq!(room.text(), format!("{text}✓"));
            assert_eq!(bob.text(), room.text());
        }
        assert_eq!(room.replace_text(&room.text()), Ok(None));
    }

    #[test]
    fn replace_text_deletes_only_what_changed() {
        let (mut room, alice) = room_with_text("one two three");
        let update = room.replace_text("one 2 three").unwrap().unwrap();
        let decoded = Update::decode_v1(&update).unwrap();
        // One insertion of "2" and the deletion of "two".
        let plain = Peer::new(ConnId(60), true);
        plain.apply(&alice.doc.transact().encode_state_as_update_v1(&StateVector::default()));
        plain.doc.transact_mut().apply_update(decoded).unwrap();
        assert_eq!(plain.text(), "one 2 three");
        assert!(update.len() < 40, "update of {} bytes: {update:?}", update.len());
    }

    #[test]
    fn load_applies_stored_updates_in_order() {
        let (mut room, alice) = room_with_text("hello");
        let snapshot = room.encode_state();
        let later = room.replace_text("hello there").unwrap().unwrap();
        let by_alice = update_of(&alice.insert(0, ">"));
        room.receive(ALICE, &encode_update(&by_alice)).unwrap();

        let loaded = DocRoom::load(Limits::default(), [&snapshot, &later, &by_alice]).unwrap();
        assert_eq!(loaded.text(), ">hello there");
        assert_eq!(loaded.state_vector(), room.state_vector());
        assert_eq!(loaded.size_estimate(), loaded.encode_state().len());
        loaded.check_invariants();

        let empty: [&[u8]; 0] = [];
        assert_eq!(DocRoom::load(Limits::default(), empty).unwrap().text(), "");
        assert_eq!(
            DocRoom::load(Limits::default(), [snapshot.clone(), vec![9, 9]]).unwrap_err(),
            LoadError::MalformedUpdate {
                index: 1,
                reason: DocRoom::load(Limits::default(), [vec![9, 9]])
                    .unwrap_err()
                    .to_string()
                    .trim_start_matches("stored update 0 is malformed: ")
                    .to_owned()
            }
        );
    }

    #[test]
    fn the_recovery_point_is_renewed_and_the_estimate_rebased() {
        let (mut room, alice) = room_with_text("");
        let chunk = "0123456789".repeat(100);
        for round in 0..100 {
            send(&mut room, ALICE, &alice.insert(0, &chunk), &[&alice]);
            // Delete most of it again: GC shrinks the encoded state.
            if round % 2 == 1 {
                send(&mut room, ALICE, &alice.delete(0, 1900), &[&alice]);
            }
        }
        room.check_invariants();
        // 100 KB were typed, most of it deleted: the estimate follows the real size.
        assert!(room.recovery.updates.len() < 100, "never renewed");
        assert!(room.size_estimate() < 3 * room.encode_state().len().max(MIN_RECOVERY_LOG_BYTES));
    }

    /// One step of the convergence property.
    #[derive(Debug, Clone)]
    enum Action {
        /// A peer types `chunk` at a position (taken modulo its text length + 1).
        Insert { peer: usize, at: usize, chunk: &'static str },
        /// A peer deletes up to `len` chars at a position.
        Delete { peer: usize, at: usize, len: usize },
        /// The network delivers a peer's oldest frame to the room.
        Send { peer: usize },
        /// The network delivers all of a peer's frames to the room at once.
        SendAll { peer: usize },
        /// The network delivers the room's oldest frame for a peer.
        Receive { peer: usize },
    }

    const PEERS: usize = 3;

    fn action() -> impl Strategy<Value = Action> {
        let chunk = prop::sample::select(vec!["a", "bc", "é", "😀", "日本", "\n", "x😁y", "👩‍👧"]);
        prop_oneof![
            (0..PEERS, any::<usize>(), chunk).prop_map(|(peer, at, chunk)| Action::Insert { peer, at, chunk }),
            (0..PEERS, any::<usize>(), 1..4usize).prop_map(|(peer, at, len)| Action::Delete { peer, at, len }),
            (0..PEERS).prop_map(|peer| Action::Send { peer }),
            (0..PEERS).prop_map(|peer| Action::SendAll { peer }),
            (0..PEERS).prop_map(|peer| Action::Receive { peer }),
        ]
    }

    /// A room and peers connected by FIFO queues, with a reference document that applies
    /// every update the room accepted.
    struct Network {
        room: DocRoom,
        peers: Vec<Peer>,
        to_room: Vec<VecDeque<Vec<u8>>>,
        to_peer: Vec<VecDeque<Vec<u8>>>,
        reference: Peer,
    }

    impl Network {
        fn new() -> Self {
            let mut room = DocRoom::new(Limits::default());
            // Peers index text in UTF-16 like Yjs, except the last one (bytes, like yrs).
            let peers: Vec<Peer> = (0..PEERS).map(|i| Peer::new(ConnId(i as u64 + 1), i + 1 < PEERS)).collect();
            let mut to_peer = vec![VecDeque::new(); PEERS];
            for (peer, queue) in peers.iter().zip(&mut to_peer) {
                queue.extend(room.connect(peer.conn, true));
            }
            let mut to_room = vec![VecDeque::new(); PEERS];
            for (peer, queue) in peers.iter().zip(&mut to_room) {
                queue.push_back(peer.step1());
            }
            Self { room, peers, to_room, to_peer, reference: Peer::new(ConnId(100), true) }
        }

        fn run(&mut self, action: &Action) {
            match *action {
                Action::Insert { peer, at, chunk } => {
                    let peer_state = &self.peers[peer];
                    let at = at % (peer_state.text().chars().count() + 1);
                    let frame = peer_state.insert(at, chunk);
                    self.to_room[peer].push_back(frame);
                }
                Action::Delete { peer, at, len } => {
                    let peer_state = &self.peers[peer];
                    let chars = peer_state.text().chars().count();
                    if chars > 0 {
                        let at = at % chars;
                        let frame = peer_state.delete(at, len.min(chars - at));
                        self.to_room[peer].push_back(frame);
                    }
                }
                Action::Send { peer } => {
                    if let Some(frame) = self.to_room[peer].pop_front() {
                        let effects = self.room.receive(self.peers[peer].conn, &frame).unwrap();
                        self.deliver(peer, &effects);
                    }
                }
                Action::SendAll { peer } => {
                    let frames: Vec<Vec<u8>> = self.to_room[peer].drain(..).collect();
                    let frames: Vec<&[u8]> = frames.iter().map(Vec::as_slice).collect();
                    for result in self.room.receive_all(self.peers[peer].conn, &frames) {
                        self.deliver(peer, &result.unwrap());
                    }
                }
                Action::Receive { peer } => {
                    if let Some(frame) = self.to_peer[peer].pop_front()
                        && let Some(answer) = self.peers[peer].handle(&frame)
                    {
                        self.to_room[peer].push_back(answer);
                    }
                }
            }
            self.room.check_invariants();
        }

        /// Passes a frame's effects on: replies to the sender, updates to everyone.
        fn deliver(&mut self, peer: usize, effects: &Effects) {
            self.to_peer[peer].extend(effects.reply.iter().map(|frame| frame.to_vec()));
            for update in &effects.updates {
                self.reference.apply(update);
                for queue in &mut self.to_peer {
                    queue.push_back(encode_update(update));
                }
            }
        }

        fn settle(&mut self) {
            while self.to_room.iter().chain(&self.to_peer).any(|queue| !queue.is_empty()) {
                for peer in 0..PEERS {
                    self.run(&Action::Send { peer });
                    self.run(&Action::Receive { peer });
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 1000, failure_persistence: None, ..ProptestConfig::default() })]

        /// Updates of text and deletions skip the round-trip check: yrs must re-encode them
        /// faithfully, damaged ones included, whenever it decodes them.
        #[test]
        fn text_updates_round_trip(
            edits in prop::collection::vec((0..2usize, crate::test_edits::edit()), 1..12),
            damages in prop::collection::vec((any::<usize>(), any::<u8>(), 0..3u8), 0..4),
        ) {
            let updates = crate::test_edits::record(2, &edits);
            let parts: Vec<&[u8]> = updates.iter().map(Vec::as_slice).collect();
            let mut update = yrs::merge_updates_v1(&parts).unwrap();
            for (at, byte, how) in damages {
                let at = at % update.len();
                match how {
                    0 => update.insert(at, byte),
                    1 => update[at] = byte,
                    _ => {
                        update.remove(at);
                        if update.is_empty() {
                            return Ok(());
                        }
                    }
                }
            }
            let Ok(Some(shape)) = check_update(&update) else { return Ok(()) };
            if shape.has_other_content {
                return Ok(());
            }
            let checked = catch_unwind(|| Update::decode_v1(&update).map(|decoded| check_round_trip(&decoded)));
            if let Ok(Ok(round_trip)) = checked {
                prop_assert_eq!(round_trip, Ok(()));
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn concurrent_editors_converge(actions in prop::collection::vec(action(), 0..80)) {
            let mut network = Network::new();
            for action in &actions {
                network.run(action);
            }
            network.settle();
            let text = network.room.text();
            prop_assert_eq!(&network.reference.text(), &text);
            for peer in &network.peers {
                prop_assert_eq!(&peer.text(), &text);
            }
            // A late joiner syncing from scratch gets the same text.
            let late = Peer::new(ConnId(200), true);
            network.room.connect(late.conn, false);
            let effects = network.room.receive(late.conn, &late.step1()).unwrap();
            for frame in &effects.reply {
                late.handle(frame);
            }
            prop_assert_eq!(late.text(), text);
        }
    }
}
