//! The live connections of this process (documents and workspace sockets), by user, session and workspace: it
//! caps the sockets one user may hold, and closes a user's sockets at once when
//! their access ends (signed out, session expired, removed from the workspace,
//! workspace deleted), wherever in the connection's life that happens.
//!
//! An entry is kept small (it exists for every idle connection): user,
//! workspace and session are known by 64-bit keys (a hash seeded at random when
//! the process starts, so nobody can aim for a collision), and expiry is found
//! by a sweep ([`Connections::close_expired`]) rather than a timer per
//! connection. Each entry also keeps the holder's role, so that a process
//! that may have missed changes of access can check what it holds against the
//! database ([`Connections::reconcile`]).

use std::collections::hash_map::RandomState;
use std::collections::{HashMap, HashSet};
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use reynard_collab::ConnId;
use reynard_proto::{Role, UserId, WorkspaceId};

use super::outbox::Closer;
use super::{ACCESS_REMOVED, SIGNED_OUT, close_code};

/// A user already holds as many document connections as allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooManyConnections {
    pub max: usize,
}

/// Who a connection belongs to.
#[derive(Debug, Clone)]
pub struct Holder {
    pub user: UserId,
    /// [`session_key`] of the session the connection authenticated with.
    pub session: u64,
    /// The workspace of the connection's document.
    pub workspace: WorkspaceId,
}

/// The registry's key for a session: the first 64 bits of its token hash (a
/// SHA-256, in hex). Two sessions sharing it is a 2⁻⁶⁴ chance.
pub fn session_key(token_hash: &str) -> u64 {
    let prefix = token_hash.get(..16).unwrap_or(token_hash);
    u64::from_str_radix(prefix, 16).unwrap_or_else(|_| {
        // Not hex: any stable 64 bits of it.
        prefix.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x100_0000_01b3))
    })
}

/// A holder as the registry keeps it: 64-bit keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Key {
    user: u64,
    session: u64,
    workspace: u64,
}

#[derive(Debug)]
struct Entry {
    key: Key,
    /// When the session ends (Unix milliseconds).
    expires_at: i64,
    /// The holder's role in the workspace, as the connection last heard it.
    role: Role,
    closer: Closer,
}

/// The connections registered at one moment, to check against the database
/// ([`Connections::reconcile`]).
#[derive(Debug)]
pub struct Snapshot(Vec<(ConnId, Key)>);

impl Snapshot {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// What [`Connections::reconcile`] found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Reconciled {
    /// Connections closed: their session or their membership had ended.
    pub closed: usize,
    /// Memberships whose role differs from the one their connections hold.
    pub changed_roles: Vec<(WorkspaceId, UserId, Role)>,
}

#[derive(Debug, Default)]
struct Inner {
    by_conn: HashMap<ConnId, Entry>,
    per_user: HashMap<u64, usize>,
}

/// The registry of this process's live connections.
#[derive(Debug)]
pub struct Connections {
    max_per_user: usize,
    /// The next connection id: unique across every live service of the process.
    next_conn: AtomicU64,
    /// Seeds the keys of user and workspace ids.
    ids: RandomState,
    inner: Mutex<Inner>,
}

/// A connection's place in the registry; dropping it takes the connection out.
#[derive(Debug)]
pub struct Registration {
    registry: Arc<Connections>,
    conn: ConnId,
}

impl Drop for Registration {
    fn drop(&mut self) {
        let mut inner = self.registry.lock();
        if let Some(entry) = inner.by_conn.remove(&self.conn)
            && let Some(count) = inner.per_user.get_mut(&entry.key.user)
        {
            *count -= 1;
            if *count == 0 {
                inner.per_user.remove(&entry.key.user);
            }
        }
    }
}

impl Connections {
    /// A registry allowing `max_per_user` connections per user.
    pub fn new(max_per_user: usize) -> Arc<Connections> {
        Arc::new(Connections {
            max_per_user: max_per_user.max(1),
            next_conn: AtomicU64::new(1),
            ids: RandomState::new(),
            inner: Mutex::default(),
        })
    }

    /// A fresh connection id.
    pub fn next_conn(&self) -> ConnId {
        ConnId(self.next_conn.fetch_add(1, Ordering::Relaxed))
    }

    fn user_key(&self, user: &UserId) -> u64 {
        self.ids.hash_one(("user", user.as_str()))
    }

    fn workspace_key(&self, workspace: &WorkspaceId) -> u64 {
        self.ids.hash_one(("workspace", workspace.as_str()))
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers connection `conn` of `holder`, whose role in the workspace is
    /// `role`, refusing it if its user holds the most connections allowed
    /// already. `closer` closes it when its access ends.
    pub fn register(
        self: &Arc<Self>,
        conn: ConnId,
        holder: &Holder,
        role: Role,
        expires_at: i64,
        closer: Closer,
    ) -> Result<Registration, TooManyConnections> {
        let key = Key {
            user: self.user_key(&holder.user),
            session: holder.session,
            workspace: self.workspace_key(&holder.workspace),
        };
        let mut inner = self.lock();
        let count = inner.per_user.entry(key.user).or_insert(0);
        if *count >= self.max_per_user {
            return Err(TooManyConnections { max: self.max_per_user });
        }
        *count += 1;
        inner.by_conn.insert(conn, Entry { key, expires_at, role, closer });
        Ok(Registration { registry: self.clone(), conn })
    }

    /// Closes the connections whose key `matches`; returns how many.
    fn close_where(&self, matches: impl Fn(&Key) -> bool, code: u16, reason: &str) -> usize {
        let inner = self.lock();
        let mut closed = 0;
        for entry in inner.by_conn.values().filter(|entry| matches(&entry.key)) {
            entry.closer.close(code, reason);
            closed += 1;
        }
        closed
    }

    /// Closes the connections opened with a session (by its token hash).
    pub fn close_session(&self, token_hash: &str, code: u16, reason: &str) -> usize {
        let session = session_key(token_hash);
        self.close_where(|key| key.session == session, code, reason)
    }

    /// Closes the connections whose session has ended by `now` (Unix
    /// milliseconds); returns how many.
    pub fn close_expired(&self, now: i64, code: u16, reason: &str) -> usize {
        let inner = self.lock();
        let mut closed = 0;
        for entry in inner.by_conn.values().filter(|entry| entry.expires_at <= now) {
            entry.closer.close(code, reason);
            closed += 1;
        }
        closed
    }

    /// Closes a user's connections to the documents of a workspace.
    pub fn close_member(&self, workspace: &WorkspaceId, user: &UserId, code: u16, reason: &str) -> usize {
        let (workspace, user) = (self.workspace_key(workspace), self.user_key(user));
        self.close_where(|key| key.workspace == workspace && key.user == user, code, reason)
    }

    /// Closes every connection to the documents of a workspace.
    pub fn close_workspace(&self, workspace: &WorkspaceId, code: u16, reason: &str) -> usize {
        let workspace = self.workspace_key(workspace);
        self.close_where(|key| key.workspace == workspace, code, reason)
    }

    /// Notes a member's new role on their connections (the connections
    /// themselves are told by their services).
    pub fn set_role(&self, workspace: &WorkspaceId, user: &UserId, role: Role) {
        let (workspace, user) = (self.workspace_key(workspace), self.user_key(user));
        let mut inner = self.lock();
        for entry in inner.by_conn.values_mut().filter(|e| e.key.workspace == workspace && e.key.user == user) {
            entry.role = role;
        }
    }

    /// The connections registered now.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot(self.lock().by_conn.iter().map(|(conn, entry)| (*conn, entry.key)).collect())
    }

    /// Checks the connections of `snapshot` (taken before the database was
    /// read) against the database's truth: the token hashes of the unexpired
    /// `sessions` and every workspace's `members`. A connection whose session
    /// or membership has ended closes (1008); the memberships whose role
    /// differs from what their connections hold are returned, to be applied
    /// as a change of access. Connections registered after the snapshot are
    /// left alone: they were authorized after the database was read.
    pub fn reconcile(
        &self,
        snapshot: &Snapshot,
        sessions: &[String],
        members: &[(WorkspaceId, UserId, Role)],
    ) -> Reconciled {
        let sessions: HashSet<u64> = sessions.iter().map(|hash| session_key(hash)).collect();
        let by_key: HashMap<(u64, u64), usize> = members
            .iter()
            .enumerate()
            .map(|(i, (workspace, user, _))| ((self.workspace_key(workspace), self.user_key(user)), i))
            .collect();
        let mut reconciled = Reconciled::default();
        let mut changed = HashSet::new();
        let inner = self.lock();
        for (conn, key) in &snapshot.0 {
            let Some(entry) = inner.by_conn.get(conn).filter(|entry| entry.key == *key) else { continue };
            if !sessions.contains(&key.session) {
                entry.closer.close(close_code::POLICY, SIGNED_OUT);
                reconciled.closed += 1;
                continue;
            }
            match by_key.get(&(key.workspace, key.user)) {
                None => {
                    entry.closer.close(close_code::POLICY, ACCESS_REMOVED);
                    reconciled.closed += 1;
                }
                Some(&i) if members[i].2 != entry.role && changed.insert(i) => {
                    reconciled.changed_roles.push(members[i].clone());
                }
                Some(_) => {}
            }
        }
        reconciled
    }

    /// Connections a user holds.
    pub fn count_for(&self, user: &UserId) -> usize {
        let user = self.user_key(user);
        self.lock().per_user.get(&user).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ws::outbox::{self, Next};

    fn holder(user: &str, session: &str, workspace: &str) -> Holder {
        Holder { user: UserId::new(user), session: session_key(session), workspace: WorkspaceId::new(workspace) }
    }

    #[test]
    fn a_user_holds_a_bounded_number_of_connections() {
        let registry = Connections::new(2);
        let (outbox, _inbox) = outbox::queue(16, 1024);
        let a = registry.register(ConnId(1), &holder("u", "s", "w"), Role::Editor, i64::MAX, outbox.closer()).unwrap();
        let _b = registry.register(ConnId(2), &holder("u", "s", "w"), Role::Editor, i64::MAX, outbox.closer()).unwrap();
        assert_eq!(
            registry.register(ConnId(3), &holder("u", "s", "w"), Role::Editor, i64::MAX, outbox.closer()).unwrap_err(),
            TooManyConnections { max: 2 }
        );
        // Others are not affected, and a closed connection frees its place.
        registry.register(ConnId(4), &holder("v", "t", "w"), Role::Editor, i64::MAX, outbox.closer()).unwrap();
        drop(a);
        assert_eq!(registry.count_for(&UserId::new("u")), 1);
        registry.register(ConnId(5), &holder("u", "s", "w"), Role::Editor, i64::MAX, outbox.closer()).unwrap();
    }

    #[test]
    fn ending_access_closes_exactly_the_matching_connections() {
        let registry = Connections::new(50);
        let queues: Vec<_> = (0..4).map(|_| outbox::queue(16, 1024)).collect();
        let holders =
            [holder("u", "s1", "w1"), holder("u", "s2", "w1"), holder("u", "s1", "w2"), holder("v", "s3", "w1")];
        let _registrations: Vec<_> = holders
            .into_iter()
            .zip(&queues)
            .enumerate()
            .map(|(i, (holder, (outbox, _)))| {
                registry.register(ConnId(i as u64), &holder, Role::Editor, i64::MAX, outbox.closer()).unwrap()
            })
            .collect();
        let closed = |i: usize| queues[i].1.is_closed();

        assert_eq!(registry.close_session("s1", 1008, "signed out"), 2);
        assert!(closed(0) && !closed(1) && closed(2) && !closed(3));
        assert_eq!(queues[0].1.next(), Next::Close(1008, "signed out".to_owned()));

        assert_eq!(registry.close_member(&WorkspaceId::new("w1"), &UserId::new("u"), 1008, "removed"), 2);
        assert!(closed(1) && !closed(3));
        registry.close_workspace(&WorkspaceId::new("w1"), 1001, "workspace deleted");
        assert!(closed(3));
    }

    #[test]
    fn expired_sessions_are_swept() {
        let registry = Connections::new(50);
        let (early, early_inbox) = outbox::queue(16, 1024);
        let (late, late_inbox) = outbox::queue(16, 1024);
        let _a = registry.register(ConnId(1), &holder("u", "s1", "w"), Role::Editor, 1_000, early.closer()).unwrap();
        let _b = registry.register(ConnId(2), &holder("u", "s2", "w"), Role::Editor, 2_000, late.closer()).unwrap();
        assert_eq!(registry.close_expired(999, 1008, "session expired"), 0);
        assert_eq!(registry.close_expired(1_000, 1008, "session expired"), 1);
        assert!(early_inbox.is_closed() && !late_inbox.is_closed());
    }

    #[test]
    fn reconciling_closes_what_the_database_no_longer_allows() {
        let registry = Connections::new(50);
        let queues: Vec<_> = (0..4).map(|_| outbox::queue(16, 1024)).collect();
        let held = [
            (holder("u", "s1", "w1"), Role::Editor),
            (holder("v", "gone", "w1"), Role::Editor),
            (holder("x", "s3", "w1"), Role::Editor),
            (holder("y", "s4", "w2"), Role::Editor),
        ];
        let _registrations: Vec<_> = held
            .iter()
            .zip(&queues)
            .enumerate()
            .map(|(i, ((holder, role), (outbox, _)))| {
                registry.register(ConnId(i as u64), holder, *role, i64::MAX, outbox.closer()).unwrap()
            })
            .collect();
        let snapshot = registry.snapshot();
        // Registered after the snapshot: left alone whatever the database says.
        let (late, late_inbox) = outbox::queue(16, 1024);
        let _late = registry.register(ConnId(9), &holder("z", "s9", "w9"), Role::Owner, i64::MAX, late.closer());

        let sessions = ["s1", "s3", "s4"].map(str::to_owned);
        let members = [
            (WorkspaceId::new("w1"), UserId::new("u"), Role::Editor),
            (WorkspaceId::new("w1"), UserId::new("v"), Role::Editor),
            (WorkspaceId::new("w2"), UserId::new("y"), Role::Viewer),
        ];
        let reconciled = registry.reconcile(&snapshot, &sessions, &members);
        // v's session ended; x left w1; y is a viewer now.
        assert_eq!(reconciled.closed, 2);
        assert_eq!(reconciled.changed_roles, vec![(WorkspaceId::new("w2"), UserId::new("y"), Role::Viewer)]);
        assert_eq!(queues[1].1.next(), Next::Close(1008, SIGNED_OUT.to_owned()));
        assert_eq!(queues[2].1.next(), Next::Close(1008, ACCESS_REMOVED.to_owned()));
        assert!(!queues[0].1.is_closed() && !queues[3].1.is_closed() && !late_inbox.is_closed());

        // Once noted, the role no longer differs.
        registry.set_role(&WorkspaceId::new("w2"), &UserId::new("y"), Role::Viewer);
        assert_eq!(registry.reconcile(&registry.snapshot(), &sessions, &members).changed_roles, vec![]);
    }

    #[test]
    fn session_keys_come_from_the_token_hash() {
        let hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
        assert_eq!(session_key(hash), 0x9f86_d081_884c_7d65);
        assert_ne!(session_key("not hex at all"), session_key("not hex at al!"));
    }
}
