//! Who is online in a workspace, and where: each live connection (a browser
//! tab) is somewhere — the workspace at large, a document, or a room — and a
//! user is online while any of their connections is. Changes are reported per
//! user, only when what others would see changes.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use reynard_proto::{DocumentId, RoomId, UserId};

/// Where a connection is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Location {
    /// In the workspace, not in a document or room.
    Workspace,
    Document(DocumentId),
    Room(RoomId),
}

/// What others should now see of a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresenceChange {
    pub user: UserId,
    /// Empty when the user went offline.
    pub locations: Vec<Location>,
}

/// The presence of one workspace's members, by connection.
#[derive(Debug, Default)]
pub struct Presence<C> {
    connections: HashMap<C, (UserId, Location)>,
}

impl<C: Eq + std::hash::Hash + Copy> Presence<C> {
    /// No one online.
    pub fn new() -> Self {
        Self { connections: HashMap::new() }
    }

    /// Where `user` is, over all their connections (empty: offline).
    pub fn locations_of(&self, user: &UserId) -> Vec<Location> {
        let set: BTreeSet<&Location> =
            self.connections.values().filter(|(owner, _)| owner == user).map(|(_, location)| location).collect();
        set.into_iter().cloned().collect()
    }

    /// Everyone online, by user id, with their locations.
    pub fn online(&self) -> BTreeMap<UserId, Vec<Location>> {
        let mut users: BTreeMap<UserId, BTreeSet<Location>> = BTreeMap::new();
        for (user, location) in self.connections.values() {
            users.entry(user.clone()).or_default().insert(location.clone());
        }
        users.into_iter().map(|(user, set)| (user, set.into_iter().collect())).collect()
    }

    /// Number of live connections.
    pub fn connection_count(&self) -> usize {
        self.connections.len()
    }

    /// A connection of `user` arrives at `location`, or moves there.
    pub fn set(&mut self, conn: C, user: UserId, location: Location) -> Option<PresenceChange> {
        let before = self.locations_of(&user);
        self.connections.insert(conn, (user.clone(), location));
        self.change(user, before)
    }

    /// A connection closed.
    pub fn remove(&mut self, conn: C) -> Option<PresenceChange> {
        let user = self.connections.get(&conn)?.0.clone();
        let before = self.locations_of(&user);
        self.connections.remove(&conn);
        self.change(user, before)
    }

    fn change(&self, user: UserId, before: Vec<Location>) -> Option<PresenceChange> {
        let after = self.locations_of(&user);
        (after != before).then_some(PresenceChange { user, locations: after })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(id: &str) -> Location {
        Location::Document(DocumentId::new(id))
    }

    #[test]
    fn a_user_is_online_while_any_tab_is_and_changes_are_reported_once() {
        let ada = UserId::new("ada");
        let mut presence = Presence::new();
        let change = presence.set(1, ada.clone(), Location::Workspace).unwrap();
        assert_eq!(change.locations, [Location::Workspace]);
        // A second tab in the same place changes nothing others see.
        assert_eq!(presence.set(2, ada.clone(), Location::Workspace), None);
        // It opens a document: Ada is in both places.
        let change = presence.set(2, ada.clone(), doc("d1")).unwrap();
        assert_eq!(change.locations, [Location::Workspace, doc("d1")]);
        assert_eq!(presence.remove(1).unwrap().locations, [doc("d1")]);
        assert_eq!(presence.remove(7), None, "unknown connections change nothing");
        let gone = presence.remove(2).unwrap();
        assert!(gone.locations.is_empty(), "offline");
        assert!(presence.online().is_empty());
    }

    #[test]
    fn everyone_online_with_their_places() {
        let mut presence = Presence::new();
        presence.set(1, UserId::new("ada"), Location::Room(RoomId::new("general")));
        presence.set(2, UserId::new("bob"), doc("d1"));
        presence.set(3, UserId::new("bob"), doc("d1"));
        let online = presence.online();
        assert_eq!(online.len(), 2);
        assert_eq!(online[&UserId::new("bob")], [doc("d1")]);
        assert_eq!(presence.connection_count(), 3);
    }
}
