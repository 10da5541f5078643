//! The awareness relay of a room: who is present and where their cursors are, deduplicated,
//! owned by connections, and removed when a connection closes.
//!
//! The rules follow `applyAwarenessUpdate` of y-protocols `awareness.js`: an entry is news when
//! its clientID is unknown, when its clock is greater than the known one, or when it removes
//! (state `null`) a state we hold at the same clock. Everything else is an echo and is dropped:
//! stock y-websocket clients re-send every awareness entry they apply, so relaying echoes would
//! multiply each cursor move by the number of clients in the room.
//!
//! Like y-protocols, the registry remembers the clock of removed clients (a bounded number of
//! them), so that echoes of a removal are recognised as such too.
//!
//! Unlike y-protocols, which trusts every peer, a connection may only set or remove the
//! clientIDs it owns (the first to announce a clientID owns it; a connection of the same user
//! takes it over, as a reconnecting tab does). Every state a connection of a signed-in user
//! announces is relayed with that user's id added under [`USER_ID_FIELD`], so that clients
//! show the name the server knows for it rather than whatever a peer claims.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::sync::Arc;

use smallvec::SmallVec;

use crate::error::{ProtocolError, Result};
use crate::protocol::{WireReader, encode_awareness, write_var_string, write_var_uint};

/// Most awareness clientIDs one connection may own (a browser tab owns one).
pub const MAX_CLIENTS_PER_CONNECTION: usize = 64;

/// Largest awareness state, in bytes of JSON text.
pub const MAX_STATE_BYTES: usize = 64 * 1024;

/// How many removed clientIDs are remembered to recognise echoes of their removal.
const MAX_REMOVED_CLIENTS: usize = 4096;

/// The JSON text of a removed state.
const NULL_STATE: &str = "null";

/// The field of an (object) awareness state that carries the announcing connection's user id,
/// as the server knows it. The server writes it last, so it wins over any field of that name
/// the client wrote (`JSON.parse` keeps the last of duplicate keys).
pub const USER_ID_FIELD: &str = "reynardUserId";

/// `state` with `"reynardUserId": user` added, when `state` is a JSON object; any other
/// JSON value is returned unchanged. `state` must be valid JSON.
fn tag_state(state: &str, user: Option<&str>) -> String {
    let trimmed = state.trim();
    let (Some(user), Some(body)) = (user, trimmed.strip_prefix('{').and_then(|rest| rest.strip_suffix('}'))) else {
        return state.to_owned();
    };
    let user = serde_json::Value::String(user.to_owned()).to_string();
    let (body, separator) = if body.trim().is_empty() { ("", "") } else { (body, ",") };
    format!("{{{body}{separator}\"{USER_ID_FIELD}\":{user}}}")
}

/// The owner of the states relayed from other processes (no connection has this number).
pub const REMOTE: ConnId = ConnId(u64::MAX);

/// One connection to a room, as numbered by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConnId(pub u64);

impl fmt::Display for ConnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// One entry of an awareness update, borrowing its JSON text from the payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AwarenessEntry<'a> {
    /// The Yjs clientID the state belongs to.
    pub client_id: u64,
    /// The clock of the state; higher clocks replace lower ones.
    pub clock: u64,
    /// The state as JSON text; `null` means the client is gone.
    pub state: &'a str,
}

impl AwarenessEntry<'_> {
    /// Whether this entry removes its client (state `null`).
    pub fn is_removal(&self) -> bool {
        self.state == NULL_STATE
    }
}

/// Decodes and validates an awareness update payload: `varUint n`, then `n` ×
/// (`varUint clientID`, `varUint clock`, `varString JSON state`).
///
/// Every state must be JSON of at most [`MAX_STATE_BYTES`]; a removal is normalised to `null`.
pub fn decode_awareness_update(payload: &[u8]) -> Result<Vec<AwarenessEntry<'_>>> {
    let mut reader = WireReader::new(payload);
    let count = reader.read_var_uint()?;
    // Each entry takes at least 3 bytes: do not trust `count` for the allocation.
    let capacity = usize::try_from(count).unwrap_or(usize::MAX).min(reader.remaining() / 3);
    let mut entries = Vec::with_capacity(capacity);
    for _ in 0..count {
        let client_id = reader.read_var_uint()?;
        let clock = reader.read_var_uint()?;
        let state = reader.read_var_string()?;
        if state.len() > MAX_STATE_BYTES {
            return Err(ProtocolError::AwarenessStateTooLarge { client_id, size: state.len(), max: MAX_STATE_BYTES });
        }
        // Checked as JSON without building it: most states are echoes, and a
        // tree of values per echo is most of what relaying them costs.
        serde_json::from_str::<serde::de::IgnoredAny>(state)
            .map_err(|error| ProtocolError::InvalidAwarenessState { client_id, reason: error.to_string() })?;
        // `JSON.parse(" null ")` is null too: keep one spelling of a removal.
        let state = if is_null(state) { NULL_STATE } else { state };
        entries.push(AwarenessEntry { client_id, clock, state });
    }
    if !reader.is_empty() {
        return Err(ProtocolError::TrailingBytes { count: reader.remaining() });
    }
    Ok(entries)
}

/// Whether valid JSON `text` is `null` (JSON allows whitespace around it).
fn is_null(text: &str) -> bool {
    text.trim_matches([' ', '\t', '\n', '\r']) == "null"
}

/// Encodes awareness entries as an awareness update payload (without the message type).
pub fn encode_awareness_update<'a>(entries: impl IntoIterator<Item = AwarenessEntry<'a>>) -> Vec<u8> {
    let entries: Vec<AwarenessEntry<'a>> = entries.into_iter().collect();
    let mut out = Vec::new();
    write_var_uint(&mut out, entries.len() as u64);
    for entry in entries {
        write_var_uint(&mut out, entry.client_id);
        write_var_uint(&mut out, entry.clock);
        write_var_string(&mut out, entry.state);
    }
    out
}

/// Encodes owned entries as a complete awareness message, or `None` if there are none.
fn encode_message(entries: &[(u64, u64, String)]) -> Option<Vec<u8>> {
    if entries.is_empty() {
        return None;
    }
    let payload = encode_awareness_update(entries.iter().map(|(client_id, clock, state)| AwarenessEntry {
        client_id: *client_id,
        clock: *clock,
        state,
    }));
    Some(encode_awareness(&payload))
}

/// What applying an awareness update produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AwarenessChange {
    /// Awareness message with the entries that were news, to send to the whole room.
    pub broadcast: Option<Vec<u8>>,
    /// Awareness message for the sender only: the removal of clients it announced with a clock
    /// we already saw removed. A stock client that receives its own removal re-announces itself
    /// with a higher clock, which brings a reconnecting client's cursor back at once.
    pub reply: Option<Vec<u8>>,
}

/// A present client: its latest state and the connection that owns it.
#[derive(Debug, Clone)]
struct ClientState {
    clock: u64,
    state: String,
    owner: ConnId,
    /// The owner's user, if it is signed in.
    user: Option<Arc<str>>,
}

/// The clientIDs one connection owns, in order: nearly always one (a browser
/// tab's), so they are kept inline rather than in a tree node of their own.
#[derive(Debug, Default)]
struct ClientIds(SmallVec<[u64; 2]>);

impl ClientIds {
    fn len(&self) -> usize {
        self.0.len()
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    #[cfg(test)]
    fn contains(&self, client_id: u64) -> bool {
        self.0.binary_search(&client_id).is_ok()
    }

    fn insert(&mut self, client_id: u64) {
        if let Err(at) = self.0.binary_search(&client_id) {
            self.0.insert(at, client_id);
        }
    }

    fn remove(&mut self, client_id: u64) {
        if let Ok(at) = self.0.binary_search(&client_id) {
            self.0.remove(at);
        }
    }

    fn iter(&self) -> impl Iterator<Item = u64> + '_ {
        self.0.iter().copied()
    }
}

/// What the registry knows of a connection: its signed-in user and the
/// clientIDs it owns. Kept while either is there.
#[derive(Debug, Default)]
struct Member {
    user: Option<Arc<str>>,
    owned: ClientIds,
}

/// A removed client: the clock of its removal, and when it was removed (for eviction).
#[derive(Debug, Clone, Copy)]
struct RemovedClient {
    clock: u64,
    removed_at: u64,
}

/// The awareness states of one room, keyed by Yjs clientID.
#[derive(Debug, Default)]
pub struct AwarenessRegistry {
    /// Present clients, in clientID order (so that messages are deterministic).
    clients: BTreeMap<u64, ClientState>,
    /// Each connection that is identified or owns a client: one entry per
    /// connection (every idle connection has one), not a map for each.
    members: HashMap<ConnId, Member>,
    /// Recently removed clients.
    removed: HashMap<u64, RemovedClient>,
    /// Counter ordering removals.
    removals: u64,
}

impl AwarenessRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of present clients.
    pub fn len(&self) -> usize {
        self.clients.len()
    }

    /// Whether no client is present.
    pub fn is_empty(&self) -> bool {
        self.clients.is_empty()
    }

    /// The JSON state of a present client.
    pub fn state(&self, client_id: u64) -> Option<&str> {
        self.clients.get(&client_id).map(|client| client.state.as_str())
    }

    /// The connection that owns a present client.
    pub fn owner(&self, client_id: u64) -> Option<ConnId> {
        self.clients.get(&client_id).map(|client| client.owner)
    }

    /// Records that `conn` belongs to `user`: its states are tagged with the user's id, and
    /// it may take over clientIDs another connection of the same user owns.
    pub fn identify(&mut self, conn: ConnId, user: Arc<str>) {
        self.members.entry(conn).or_default().user = Some(user);
    }

    /// Whether `conn` may set or remove `client`'s state: it owns it, or the owner is
    /// another connection of the same signed-in user.
    fn may_announce(&self, conn: ConnId, client: &ClientState) -> bool {
        // A state relayed from another process may be taken over by a connection
        // here (its client reconnected to this process); echoes are still
        // recognised by their clock.
        client.owner == conn
            || client.owner == REMOTE
            || client.user.as_ref().is_some_and(|user| self.user_of(conn) == Some(user))
    }

    /// Records an awareness update relayed from another process (already
    /// checked and tagged there) and returns the news for this process's
    /// connections. Echoes of states this registry holds are dropped, and a
    /// relayed entry never moves the state of a connection of this process.
    pub fn record_remote(&mut self, payload: &[u8]) -> Result<Option<Vec<u8>>> {
        let entries = decode_awareness_update(payload)?;
        Ok(self.record(REMOTE, &entries).broadcast)
    }

    /// Applies an awareness update payload sent by `conn`.
    ///
    /// Fails without changing anything if the payload is malformed, a state is too large, or
    /// `conn` would own more than [`MAX_CLIENTS_PER_CONNECTION`] clients.
    pub fn apply(&mut self, conn: ConnId, payload: &[u8]) -> Result<AwarenessChange> {
        let entries = decode_awareness_update(payload)?;
        self.check_ownership(conn, &entries)?;
        Ok(self.record(conn, &entries))
    }

    /// Checks that recording `entries` would not make `conn` own too many clients.
    ///
    /// Counts what [`record`](Self::record) would make `conn` own: clients nobody holds (unless
    /// the entry is older than their removal) and newer states of clients of another
    /// connection of the same user (a reconnecting tab). Echoes, which stock clients send for
    /// every state they receive, are dropped by `record` and count for nothing here, whoever
    /// owns the client: a room of more than this many people (or one account's many
    /// connections) must not close its members' connections.
    pub fn check_ownership(&self, conn: ConnId, entries: &[AwarenessEntry<'_>]) -> Result<()> {
        let owned = self.members.get(&conn).map_or(0, |member| member.owned.len());
        let claimed: BTreeSet<u64> = entries
            .iter()
            .filter(|entry| {
                !entry.is_removal()
                    && match self.clients.get(&entry.client_id) {
                        // Only news takes a client over: an echo (same clock) of a state of
                        // another connection, even of the same user, is dropped by `record`.
                        Some(client) => {
                            client.owner != conn && entry.clock > client.clock && self.may_announce(conn, client)
                        }
                        None => self.removed.get(&entry.client_id).is_none_or(|gone| entry.clock > gone.clock),
                    }
            })
            .map(|entry| entry.client_id)
            .collect();
        if owned + claimed.len() > MAX_CLIENTS_PER_CONNECTION {
            return Err(ProtocolError::TooManyAwarenessClients { max: MAX_CLIENTS_PER_CONNECTION });
        }
        Ok(())
    }

    /// Records validated entries from `conn` in order and returns the news to relay. Entries
    /// for clientIDs that another user's connection owns are dropped: they are echoes, or
    /// attempts to move or remove someone else's cursor.
    ///
    /// Call [`check_ownership`](Self::check_ownership) first: this does not enforce the limit.
    pub fn record(&mut self, conn: ConnId, entries: &[AwarenessEntry<'_>]) -> AwarenessChange {
        let mut news = Vec::new();
        let mut refused_revivals = Vec::new();
        let user = self.user_of(conn).cloned();
        for entry in entries {
            if self.clients.get(&entry.client_id).is_some_and(|client| !self.may_announce(conn, client)) {
                continue;
            }
            let present = self.clients.get(&entry.client_id).map(|client| client.clock);
            let removed = self.removed.get(&entry.client_id).map(|client| client.clock);
            let is_news = match (present, removed) {
                (Some(clock), _) => entry.clock > clock || (entry.clock == clock && entry.is_removal()),
                (None, Some(clock)) => entry.clock > clock,
                (None, None) => true,
            };
            if !is_news {
                if let (None, Some(clock)) = (present, removed)
                    && !entry.is_removal()
                {
                    refused_revivals.push((entry.client_id, clock, NULL_STATE.to_owned()));
                }
                continue;
            }
            if entry.is_removal() {
                self.remove_client(entry.client_id, entry.clock);
                // Only a state somebody may hold is worth announcing gone.
                if present.is_some() {
                    news.push((entry.client_id, entry.clock, NULL_STATE.to_owned()));
                }
            } else {
                self.removed.remove(&entry.client_id);
                let state = tag_state(entry.state, user.as_deref());
                match self.clients.get_mut(&entry.client_id) {
                    Some(client) => {
                        client.clock = entry.clock;
                        client.state.clone_from(&state);
                        if client.owner != conn {
                            // Another connection of the same user (a reconnecting tab).
                            let previous = std::mem::replace(&mut client.owner, conn);
                            self.disown(previous, entry.client_id);
                            self.members.entry(conn).or_default().owned.insert(entry.client_id);
                        }
                    }
                    None => {
                        let client =
                            ClientState { clock: entry.clock, state: state.clone(), owner: conn, user: user.clone() };
                        self.clients.insert(entry.client_id, client);
                        self.members.entry(conn).or_default().owned.insert(entry.client_id);
                    }
                }
                news.push((entry.client_id, entry.clock, state));
            }
        }
        AwarenessChange { broadcast: encode_message(&news), reply: encode_message(&refused_revivals) }
    }

    /// Removes every client owned by `conn` and returns the awareness message announcing them
    /// gone (state `null`, clock + 1), or `None` if `conn` owned none.
    pub fn remove_connection(&mut self, conn: ConnId) -> Option<Vec<u8>> {
        let owned = self.members.remove(&conn)?.owned;
        let mut gone = Vec::with_capacity(owned.len());
        for client_id in owned.iter() {
            if let Some(client) = self.clients.get(&client_id) {
                let clock = client.clock.saturating_add(1);
                self.remove_client(client_id, clock);
                gone.push((client_id, clock, NULL_STATE.to_owned()));
            }
        }
        encode_message(&gone)
    }

    /// Every present state as one awareness message (for a new joiner or a query), or `None`.
    pub fn full_message(&self) -> Option<Vec<u8>> {
        if self.clients.is_empty() {
            return None;
        }
        let payload = encode_awareness_update(self.clients.iter().map(|(client_id, client)| AwarenessEntry {
            client_id: *client_id,
            clock: client.clock,
            state: &client.state,
        }));
        Some(encode_awareness(&payload))
    }

    /// The connections that own at least one client.
    pub fn owners(&self) -> impl Iterator<Item = ConnId> + '_ {
        self.members.iter().filter(|(_, member)| !member.owned.is_empty()).map(|(conn, _)| *conn)
    }

    /// The signed-in user of an identified connection.
    fn user_of(&self, conn: ConnId) -> Option<&Arc<str>> {
        self.members.get(&conn).and_then(|member| member.user.as_ref())
    }

    /// Takes `client_id` out of `conn`'s owned set.
    fn disown(&mut self, conn: ConnId, client_id: u64) {
        if let Some(member) = self.members.get_mut(&conn) {
            member.owned.remove(client_id);
            if member.owned.is_empty() && member.user.is_none() {
                self.members.remove(&conn);
            }
        }
    }

    /// Forgets a client's state and remembers its removal clock.
    fn remove_client(&mut self, client_id: u64, clock: u64) {
        if let Some(client) = self.clients.remove(&client_id) {
            self.disown(client.owner, client_id);
        }
        self.removals += 1;
        self.removed.insert(client_id, RemovedClient { clock, removed_at: self.removals });
        if self.removed.len() > MAX_REMOVED_CLIENTS {
            self.evict_oldest_removals();
        }
    }

    /// Forgets the older half of the remembered removals (amortised O(1) per removal).
    fn evict_oldest_removals(&mut self) {
        let mut ages: Vec<u64> = self.removed.values().map(|r| r.removed_at).collect();
        let middle = ages.len() / 2;
        let (_, &mut cutoff, _) = ages.select_nth_unstable(middle);
        self.removed.retain(|_, removed| removed.removed_at >= cutoff);
    }

    /// Asserts the registry's internal consistency.
    #[cfg(test)]
    pub(crate) fn check_invariants(&self) {
        for (client_id, client) in &self.clients {
            assert!(
                self.members.get(&client.owner).is_some_and(|member| member.owned.contains(*client_id)),
                "client {client_id} missing from its owner's set"
            );
            assert!(!self.removed.contains_key(client_id), "client {client_id} both present and removed");
            assert_ne!(client.state, NULL_STATE, "client {client_id} present with a null state");
            assert!(client.state.len() <= MAX_STATE_BYTES);
        }
        for (conn, member) in &self.members {
            let owned = &member.owned;
            assert!(!owned.is_empty() || member.user.is_some(), "empty entry for {conn}");
            assert!(owned.len() <= MAX_CLIENTS_PER_CONNECTION, "{conn} owns too many clients");
            for client_id in owned.iter() {
                assert_eq!(
                    self.clients.get(&client_id).map(|client| client.owner),
                    Some(*conn),
                    "{conn} owns {client_id} but the client says otherwise"
                );
            }
        }
        assert!(self.removed.len() <= MAX_REMOVED_CLIENTS);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{Message, decode_frame};

    const ALICE: ConnId = ConnId(1);
    const BOB: ConnId = ConnId(2);

    fn payload(entries: &[(u64, u64, &str)]) -> Vec<u8> {
        encode_awareness_update(entries.iter().map(|&(client_id, clock, state)| AwarenessEntry {
            client_id,
            clock,
            state,
        }))
    }

    /// Decodes an awareness message into owned (clientID, clock, state) triples.
    fn entries(message: &[u8]) -> Vec<(u64, u64, String)> {
        let messages = decode_frame(message).unwrap();
        let [Message::Awareness(payload)] = messages[..] else {
            panic!("expected one awareness message, got {messages:?}");
        };
        decode_awareness_update(payload)
            .unwrap()
            .into_iter()
            .map(|entry| (entry.client_id, entry.clock, entry.state.to_owned()))
            .collect()
    }

    fn broadcast(change: &AwarenessChange) -> Vec<(u64, u64, String)> {
        change.broadcast.as_deref().map(entries).unwrap_or_default()
    }

    fn apply(registry: &mut AwarenessRegistry, conn: ConnId, items: &[(u64, u64, &str)]) -> AwarenessChange {
        let change = registry.apply(conn, &payload(items)).unwrap();
        registry.check_invariants();
        change
    }

    fn triple(client_id: u64, clock: u64, state: &str) -> (u64, u64, String) {
        (client_id, clock, state.to_owned())
    }

    #[test]
    fn states_relayed_from_other_processes_are_deduplicated_and_never_move_local_ones() {
        let mut registry = AwarenessRegistry::new();
        registry.identify(ALICE, Arc::from("alice"));
        registry.identify(BOB, Arc::from("bob"));
        let remote = |registry: &mut AwarenessRegistry, items: &[(u64, u64, &str)]| {
            let news = registry.record_remote(&payload(items)).unwrap();
            registry.check_invariants();
            news.as_deref().map(entries).unwrap_or_default()
        };
        // A state from another process is news once; its echo is not.
        let state = r#"{"user":"carol","reynard_user_id":"carol"}"#;
        assert_eq!(remote(&mut registry, &[(30, 1, state)]), [triple(30, 1, state)]);
        assert_eq!(remote(&mut registry, &[(30, 1, state)]), []);
        // A local connection echoing it is not news, nor does it take it over.
        assert!(broadcast(&apply(&mut registry, BOB, &[(30, 1, state)])).is_empty());
        assert_eq!(registry.owner(30), Some(REMOTE));
        // Another process echoing a local state never moves it.
        apply(&mut registry, ALICE, &[(10, 2, r#"{"x":1}"#)]);
        assert_eq!(remote(&mut registry, &[(10, 3, r#"{"x":"moved"}"#)]), []);
        assert_eq!(registry.owner(10), Some(ALICE));
        // The client reconnects to this process: its new clock takes it over here.
        let change = apply(&mut registry, BOB, &[(30, 2, r#"{"user":"carol"}"#)]);
        assert_eq!(broadcast(&change).len(), 1);
        assert_eq!(registry.owner(30), Some(BOB));
        // A removal relayed for a client another process holds is news.
        remote(&mut registry, &[(40, 1, "{}")]);
        assert_eq!(remote(&mut registry, &[(40, 2, "null")]), [triple(40, 2, "null")]);
    }

    #[test]
    fn a_new_client_is_news_and_owned_by_its_first_sender() {
        let mut registry = AwarenessRegistry::new();
        let change = apply(&mut registry, ALICE, &[(10, 0, r#"{"user":"alice"}"#)]);
        assert_eq!(broadcast(&change), [triple(10, 0, r#"{"user":"alice"}"#)]);
        assert_eq!(change.reply, None);
        assert_eq!(registry.owner(10), Some(ALICE));
        assert_eq!(registry.state(10), Some(r#"{"user":"alice"}"#));
    }

    #[test]
    fn a_higher_clock_is_news_an_equal_or_lower_one_is_not() {
        let mut registry = AwarenessRegistry::new();
        apply(&mut registry, ALICE, &[(10, 3, r#"{"c":3}"#)]);
        assert_eq!(broadcast(&apply(&mut registry, ALICE, &[(10, 3, r#"{"c":"other"}"#)])), []);
        assert_eq!(broadcast(&apply(&mut registry, ALICE, &[(10, 2, r#"{"c":2}"#)])), []);
        assert_eq!(registry.state(10), Some(r#"{"c":3}"#));
        assert_eq!(broadcast(&apply(&mut registry, ALICE, &[(10, 4, r#"{"c":4}"#)])), [triple(10, 4, r#"{"c":4}"#)]);
    }

    #[test]
    fn echoes_from_other_connections_are_dropped() {
        // Alice moves her cursor; the room relays it; 200 clients echo it back.
        let mut registry = AwarenessRegistry::new();
        let moved = apply(&mut registry, ALICE, &[(10, 7, r#"{"cursor":5}"#)]);
        assert_eq!(broadcast(&moved).len(), 1);
        for echoer in 2..202 {
            let echo = apply(&mut registry, ConnId(echoer), &[(10, 7, r#"{"cursor":5}"#)]);
            assert_eq!(echo, AwarenessChange::default(), "echo from {echoer} relayed");
        }
        assert_eq!(registry.owner(10), Some(ALICE));
    }

    #[test]
    fn only_the_new_entries_of_a_mixed_update_are_relayed() {
        let mut registry = AwarenessRegistry::new();
        apply(&mut registry, ALICE, &[(10, 1, "{}")]);
        apply(&mut registry, BOB, &[(20, 1, "{}")]);
        // Bob echoes Alice's state along with his own new one.
        let change = apply(&mut registry, BOB, &[(10, 1, "{}"), (20, 2, r#"{"x":1}"#)]);
        assert_eq!(broadcast(&change), [triple(20, 2, r#"{"x":1}"#)]);
    }

    #[test]
    fn a_connection_cannot_set_or_remove_another_connections_client() {
        let mut registry = AwarenessRegistry::new();
        registry.identify(ALICE, Arc::from("user-alice"));
        registry.identify(BOB, Arc::from("user-bob"));
        apply(&mut registry, ALICE, &[(10, 1, "{}")]);
        // Bob moves Alice's cursor, then removes it: neither is relayed or recorded.
        let moved = apply(&mut registry, BOB, &[(10, 2, r#"{"a":2}"#)]);
        assert_eq!(moved, AwarenessChange::default());
        let removed = apply(&mut registry, BOB, &[(10, 1, "null"), (10, 9, "null")]);
        assert_eq!(removed, AwarenessChange::default());
        assert_eq!(registry.owner(10), Some(ALICE));
        assert_eq!(registry.state(10), Some(r#"{"reynardUserId":"user-alice"}"#));
        // Anonymous connections are held to the same rule.
        let mut anonymous = AwarenessRegistry::new();
        apply(&mut anonymous, ALICE, &[(10, 1, "{}")]);
        assert_eq!(apply(&mut anonymous, BOB, &[(10, 2, r#"{"a":2}"#)]), AwarenessChange::default());
        assert_eq!(anonymous.state(10), Some("{}"));
    }

    #[test]
    fn states_carry_the_announcing_users_id() {
        let mut registry = AwarenessRegistry::new();
        registry.identify(ALICE, Arc::from("user-alice"));
        let change =
            apply(&mut registry, ALICE, &[(10, 1, r#"{"user":{"name":"Mallory"},"reynardUserId":"user-bob"}"#)]);
        let tagged = r#"{"user":{"name":"Mallory"},"reynardUserId":"user-bob","reynardUserId":"user-alice"}"#;
        assert_eq!(broadcast(&change), [triple(10, 1, tagged)]);
        // What a browser's JSON.parse makes of it: the last key wins.
        let parsed: serde_json::Value = serde_json::from_str(tagged).unwrap();
        assert_eq!(parsed[USER_ID_FIELD], "user-alice");
        assert_eq!(tag_state(" { } ", Some("u")), r#"{"reynardUserId":"u"}"#);
        assert_eq!(tag_state("[1]", Some("u")), "[1]");
        assert_eq!(tag_state("{}", None), "{}");
    }

    #[test]
    fn a_reconnecting_tab_of_the_same_user_takes_its_client_over() {
        let mut registry = AwarenessRegistry::new();
        let again = ConnId(3);
        registry.identify(ALICE, Arc::from("user-alice"));
        registry.identify(again, Arc::from("user-alice"));
        apply(&mut registry, ALICE, &[(10, 1, "{}")]);
        // The old socket has not been noticed closed yet when the tab re-announces itself.
        let change = apply(&mut registry, again, &[(10, 2, r#"{"x":1}"#)]);
        assert_eq!(broadcast(&change).len(), 1);
        assert_eq!(registry.owner(10), Some(again));
        // Closing the old connection no longer removes the client.
        assert_eq!(registry.remove_connection(ALICE), None);
        assert!(registry.state(10).is_some());
    }

    #[test]
    fn a_removal_at_the_same_clock_removes_the_state() {
        let mut registry = AwarenessRegistry::new();
        apply(&mut registry, ALICE, &[(10, 5, "{}")]);
        let change = apply(&mut registry, ALICE, &[(10, 5, "null")]);
        assert_eq!(broadcast(&change), [triple(10, 5, "null")]);
        assert_eq!(registry.state(10), None);
        assert!(registry.is_empty());
        assert_eq!(registry.owners().count(), 0);
    }

    #[test]
    fn echoes_of_a_removal_are_dropped() {
        let mut registry = AwarenessRegistry::new();
        apply(&mut registry, ALICE, &[(10, 5, "{}")]);
        apply(&mut registry, ALICE, &[(10, 6, "null")]);
        for echoer in 2..50 {
            let echo = apply(&mut registry, ConnId(echoer), &[(10, 6, "null")]);
            assert_eq!(echo, AwarenessChange::default());
        }
    }

    #[test]
    fn a_removal_of_an_unknown_client_is_not_relayed() {
        let mut registry = AwarenessRegistry::new();
        let change = apply(&mut registry, ALICE, &[(10, 5, "null")]);
        assert_eq!(change, AwarenessChange::default());
        // ...but its clock is remembered: an older state is stale.
        let stale = apply(&mut registry, ALICE, &[(10, 4, "{}")]);
        assert_eq!(broadcast(&stale), []);
    }

    #[test]
    fn removal_spellings_are_normalised() {
        let mut registry = AwarenessRegistry::new();
        apply(&mut registry, ALICE, &[(10, 1, "{}")]);
        let change = apply(&mut registry, ALICE, &[(10, 2, " null ")]);
        assert_eq!(broadcast(&change), [triple(10, 2, "null")]);
        assert!(registry.is_empty());
    }

    #[test]
    fn closing_a_connection_removes_its_clients_without_ghosts() {
        let mut registry = AwarenessRegistry::new();
        apply(&mut registry, ALICE, &[(10, 3, r#"{"n":"a"}"#)]);
        apply(&mut registry, ALICE, &[(11, 0, r#"{"n":"a2"}"#)]);
        apply(&mut registry, BOB, &[(20, 1, r#"{"n":"b"}"#)]);
        let gone = registry.remove_connection(ALICE).expect("Alice owned clients");
        registry.check_invariants();
        assert_eq!(entries(&gone), [triple(10, 4, "null"), triple(11, 1, "null")]);
        assert_eq!(entries(&registry.full_message().unwrap()), [triple(20, 1, r#"{"n":"b"}"#)]);
        assert_eq!(registry.remove_connection(ALICE), None);
        // Bob's clients echoing Alice's last state do not bring her back.
        let echo = apply(&mut registry, BOB, &[(10, 3, r#"{"n":"a"}"#)]);
        assert_eq!(broadcast(&echo), []);
        assert_eq!(registry.state(10), None);
    }

    #[test]
    fn a_reconnecting_client_with_an_old_clock_is_told_it_was_removed() {
        let mut registry = AwarenessRegistry::new();
        apply(&mut registry, ALICE, &[(10, 3, "{}")]);
        registry.remove_connection(ALICE);
        // The same tab reconnects on a new connection with its unchanged clock.
        let again = ConnId(3);
        let change = apply(&mut registry, again, &[(10, 3, "{}")]);
        assert_eq!(broadcast(&change), []);
        assert_eq!(change.reply.as_deref().map(entries), Some(vec![triple(10, 4, "null")]));
        // A stock client answers its own removal with a higher clock: that is news.
        let change = apply(&mut registry, again, &[(10, 5, "{}")]);
        assert_eq!(broadcast(&change), [triple(10, 5, "{}")]);
        assert_eq!(registry.owner(10), Some(again));
    }

    #[test]
    fn full_message_holds_every_present_state() {
        let mut registry = AwarenessRegistry::new();
        assert_eq!(registry.full_message(), None);
        apply(&mut registry, BOB, &[(20, 1, r#"{"b":1}"#)]);
        apply(&mut registry, ALICE, &[(10, 2, r#"{"a":1}"#), (30, 0, "null")]);
        assert_eq!(
            entries(&registry.full_message().unwrap()),
            [triple(10, 2, r#"{"a":1}"#), triple(20, 1, r#"{"b":1}"#)]
        );
    }

    #[test]
    fn a_connection_may_own_a_bounded_number_of_clients() {
        let mut registry = AwarenessRegistry::new();
        let many: Vec<(u64, u64, &str)> = (0..MAX_CLIENTS_PER_CONNECTION as u64).map(|id| (id, 0, "{}")).collect();
        apply(&mut registry, ALICE, &many);
        assert_eq!(
            registry.apply(ALICE, &payload(&[(1000, 0, "{}")])),
            Err(ProtocolError::TooManyAwarenessClients { max: MAX_CLIENTS_PER_CONNECTION })
        );
        registry.check_invariants();
        assert_eq!(registry.state(1000), None);
        // Updating owned clients and removing one is still fine, then there is room again.
        apply(&mut registry, ALICE, &[(0, 1, r#"{"x":1}"#), (1, 0, "null")]);
        apply(&mut registry, ALICE, &[(1000, 0, "{}")]);
        assert_eq!(registry.owner(1000), Some(ALICE));
    }

    #[test]
    fn echoes_of_other_peoples_clients_never_count_as_owned() {
        let mut registry = AwarenessRegistry::new();
        let others = MAX_CLIENTS_PER_CONNECTION as u64 * 3;
        for id in 0..others {
            apply(&mut registry, ConnId(100 + id), &[(id, 1, "{}")]);
        }
        // A stock client echoes every state it received, in one message, and the states
        // of clients that have left since (older than their removal).
        apply(&mut registry, ConnId(100), &[(0, 2, "null")]);
        let echo: Vec<(u64, u64, &str)> = (0..others).map(|id| (id, 1, "{}")).collect();
        let change = apply(&mut registry, ALICE, &echo);
        assert!(broadcast(&change).is_empty(), "an echo is no news");
        assert_eq!(registry.owner(1), Some(ConnId(101)));
        // Its own clients still count.
        let own: Vec<(u64, u64, &str)> =
            (0..MAX_CLIENTS_PER_CONNECTION as u64).map(|id| (10_000 + id, 0, "{}")).collect();
        apply(&mut registry, ALICE, &own);
        assert_eq!(
            registry.apply(ALICE, &payload(&[(20_000, 0, "{}")])),
            Err(ProtocolError::TooManyAwarenessClients { max: MAX_CLIENTS_PER_CONNECTION })
        );
    }

    #[test]
    fn echoes_of_the_same_users_other_connections_never_count_as_owned() {
        // One account in many tabs (or a bot's many connections): each tab echoes
        // the states of all the others, which are the same user's.
        let mut registry = AwarenessRegistry::new();
        let tabs = MAX_CLIENTS_PER_CONNECTION as u64 * 3;
        for tab in 0..=tabs {
            registry.identify(ConnId(100 + tab), Arc::from("alice"));
        }
        for tab in 0..tabs {
            apply(&mut registry, ConnId(100 + tab), &[(tab, 1, "{}")]);
        }
        let echo: Vec<(u64, u64, &str)> = (0..tabs).map(|id| (id, 1, "{}")).collect();
        let last = ConnId(100 + tabs);
        let change = apply(&mut registry, last, &echo);
        assert!(broadcast(&change).is_empty(), "an echo is no news");
        assert_eq!(registry.owner(1), Some(ConnId(101)), "and takes nothing over");
        // A newer state of the same user's client is a takeover (a reconnecting tab).
        apply(&mut registry, last, &[(1, 2, r#"{"tab":"moved"}"#)]);
        assert_eq!(registry.owner(1), Some(last));
    }

    #[test]
    fn only_json_null_is_a_removal() {
        let encoded = payload(&[(1, 1, "\t null\n"), (2, 1, r#""null""#), (3, 1, "[null]")]);
        let decoded = decode_awareness_update(&encoded).unwrap();
        let states: Vec<&str> = decoded.iter().map(|entry| entry.state).collect();
        assert_eq!(states, [NULL_STATE, r#""null""#, "[null]"]);
        assert!(decode_awareness_update(&payload(&[(1, 1, "null null")])).is_err());
    }

    #[test]
    fn a_refused_update_changes_nothing() {
        let mut registry = AwarenessRegistry::new();
        apply(&mut registry, ALICE, &[(10, 1, "{}")]);
        let mut bad = payload(&[(10, 2, r#"{"ok":true}"#), (11, 0, "{not json")]);
        assert!(matches!(registry.apply(ALICE, &bad), Err(ProtocolError::InvalidAwarenessState { client_id: 11, .. })));
        assert_eq!(registry.state(10), Some("{}"));
        bad = payload(&[(10, 2, "{}")]);
        bad.push(0);
        assert_eq!(registry.apply(ALICE, &bad), Err(ProtocolError::TrailingBytes { count: 1 }));
        assert_eq!(registry.state(10), Some("{}"));
    }

    #[test]
    fn state_size_is_bounded() {
        let mut registry = AwarenessRegistry::new();
        let big = format!("\"{}\"", "x".repeat(MAX_STATE_BYTES));
        assert_eq!(
            registry.apply(ALICE, &payload(&[(10, 1, &big)])),
            Err(ProtocolError::AwarenessStateTooLarge {
                client_id: 10,
                size: MAX_STATE_BYTES + 2,
                max: MAX_STATE_BYTES
            })
        );
        let fits = format!("\"{}\"", "x".repeat(MAX_STATE_BYTES - 2));
        apply(&mut registry, ALICE, &[(10, 1, &fits)]);
    }

    #[test]
    fn malformed_payloads_are_refused() {
        let mut registry = AwarenessRegistry::new();
        assert!(matches!(registry.apply(ALICE, &[]), Err(ProtocolError::Truncated { .. })));
        // Announces 5 entries, holds none; must not allocate for 2^60 entries either.
        assert!(matches!(registry.apply(ALICE, &[5]), Err(ProtocolError::Truncated { .. })));
        assert!(matches!(
            registry.apply(ALICE, &[0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10]),
            Err(ProtocolError::Truncated { .. })
        ));
        assert_eq!(registry.apply(ALICE, &[1, 10, 0, 1, 0xff]), Err(ProtocolError::InvalidUtf8));
        assert!(registry.is_empty());
    }

    #[test]
    fn removed_clients_are_remembered_within_a_bound() {
        let mut registry = AwarenessRegistry::new();
        for client_id in 0..(3 * MAX_REMOVED_CLIENTS as u64) {
            registry.apply(ALICE, &payload(&[(client_id, 1, "{}")])).unwrap();
            registry.apply(ALICE, &payload(&[(client_id, 2, "null")])).unwrap();
        }
        registry.check_invariants();
        // The most recent removals are still recognised.
        let last = 3 * MAX_REMOVED_CLIENTS as u64 - 1;
        assert_eq!(apply(&mut registry, BOB, &[(last, 2, "null")]), AwarenessChange::default());
    }
}
