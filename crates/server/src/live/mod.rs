//! The workspace's live service: one WebSocket per browser tab carries the
//! workspace's chat (new, edited and deleted messages in every room, so every
//! tab can count unread messages), typing, presence (who is online, in which
//! document or room) and the room list.
//!
//! Everything a tab hears travels on the bus topic [`Topic::Workspace`]: a chat
//! handler stores a message, then publishes it once as JSON; this process's
//! [`LiveHub`] hears it on the topic and queues the same bytes for each of the
//! workspace's tabs. Presence and typing are kept per process
//! ([`reynard_chat::Presence`], [`reynard_chat::Typing`]) and their changes are
//! published the same way.
//!
//! # Layout
//! - this file: [`LiveHub`], the tabs of each workspace and their presence and typing.
//! - [`socket`]: `GET /api/v1/workspaces/{ws}/live`, one tab's connection.

pub mod socket;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use bytes::Bytes;
use reynard_bus::{Bus, Payload, ProcessId, Published, SubscriptionId, Topic};
use reynard_chat::{Location, Presence, PresenceChange, Typing};
use reynard_collab::ConnId;
use reynard_proto::chat::{LiveEvent, LiveLocation, OnlineUser, TypingUser};
use reynard_proto::{RoomId, UserId, WorkspaceId};

use crate::ws::{Outbox, close_code};

/// How long a typing signal lasts without another.
pub const TYPING_TTL: Duration = Duration::from_secs(5);

/// The live tabs of this process, by workspace.
#[derive(Debug)]
pub struct LiveHub {
    bus: Arc<dyn Bus>,
    process: ProcessId,
    workspaces: Mutex<HashMap<WorkspaceId, Arc<WorkspaceLive>>>,
}

/// One workspace's tabs in this process, subscribed to its topic while any is open.
#[derive(Debug)]
struct WorkspaceLive {
    subscription: Mutex<Option<SubscriptionId>>,
    state: Mutex<WorkspaceState>,
}

#[derive(Debug)]
struct WorkspaceState {
    tabs: HashMap<ConnId, Tab>,
    presence: Presence<ConnId>,
    typing: Typing,
    /// Display names of the users with a tab here.
    names: HashMap<UserId, String>,
}

#[derive(Debug)]
struct Tab {
    user: UserId,
    outbox: Outbox,
}

impl WorkspaceLive {
    fn lock(&self) -> MutexGuard<'_, WorkspaceState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues a frame for every tab; a tab whose queue is full reads too slowly
    /// and is closed (it reloads what it missed when it reconnects).
    fn deliver(&self, frame: &Bytes) {
        let state = self.lock();
        for tab in state.tabs.values() {
            if tab.outbox.push(frame.clone()).is_err() {
                tab.outbox.close(close_code::TRY_AGAIN_LATER, "too slow: reconnect");
            }
        }
    }
}

impl LiveHub {
    /// A hub with no tabs, exchanging events with other processes through `bus` as `process`.
    pub fn new(bus: Arc<dyn Bus>, process: ProcessId) -> Arc<LiveHub> {
        Arc::new(LiveHub { bus, process, workspaces: Mutex::new(HashMap::new()) })
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<WorkspaceId, Arc<WorkspaceLive>>> {
        self.workspaces.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn workspace(&self, ws: &WorkspaceId) -> Option<Arc<WorkspaceLive>> {
        self.lock().get(ws).cloned()
    }

    /// Publishes an event to every tab of the workspace, in every process.
    pub fn publish(&self, ws: &WorkspaceId, event: &LiveEvent) {
        let json = match serde_json::to_string(event) {
            Ok(json) => json,
            Err(err) => {
                tracing::error!(%err, "a live event did not serialize");
                return;
            }
        };
        self.bus.publish(Published {
            origin: self.process,
            topic: Topic::Workspace(ws.clone()),
            payload: Payload::Json(Arc::from(json)),
        });
    }

    /// A tab of `user` (called `name`) opens in `ws`: it hears the workspace's
    /// events from now on, starting with a welcome listing who is online.
    pub fn join(&self, ws: &WorkspaceId, conn: ConnId, user: UserId, name: String, outbox: Outbox) {
        let live = {
            let mut workspaces = self.lock();
            match workspaces.get(ws) {
                Some(live) => live.clone(),
                None => {
                    let live = Arc::new(WorkspaceLive {
                        subscription: Mutex::new(None),
                        state: Mutex::new(WorkspaceState {
                            tabs: HashMap::new(),
                            presence: Presence::new(),
                            typing: Typing::new(TYPING_TTL),
                            names: HashMap::new(),
                        }),
                    });
                    // Subscribed under the registry lock: a tab leaving meanwhile
                    // cannot unsubscribe a workspace that is not subscribed yet.
                    let weak: Weak<WorkspaceLive> = Arc::downgrade(&live);
                    let subscription = self.bus.subscribe(
                        &Topic::Workspace(ws.clone()),
                        Arc::new(move |event: Published| {
                            if let (Some(live), Payload::Json(json)) = (weak.upgrade(), &event.payload) {
                                live.deliver(&Bytes::copy_from_slice(json.as_bytes()));
                            }
                        }),
                    );
                    *live.subscription.lock().unwrap_or_else(|e| e.into_inner()) = Some(subscription);
                    workspaces.insert(ws.clone(), live.clone());
                    live
                }
            }
        };
        let change = {
            let mut state = live.lock();
            state.names.insert(user.clone(), name);
            let change = state.presence.set(conn, user.clone(), Location::Workspace);
            let online = online_users(&state);
            let welcome = LiveEvent::Welcome { user_id: user.clone(), online };
            if let Ok(json) = serde_json::to_vec(&welcome) {
                let _ = outbox.push(Bytes::from(json));
            }
            state.tabs.insert(conn, Tab { user, outbox });
            change.map(|change| presence_event(&state, change))
        };
        if let Some(event) = change {
            self.publish(ws, &event);
        }
    }

    /// A tab moved to `location`.
    pub fn moved(&self, ws: &WorkspaceId, conn: ConnId, location: LiveLocation) {
        let Some(live) = self.workspace(ws) else { return };
        let change = {
            let mut state = live.lock();
            let Some(user) = state.tabs.get(&conn).map(|tab| tab.user.clone()) else { return };
            let change = state.presence.set(conn, user, location_of(location));
            change.map(|change| presence_event(&state, change))
        };
        if let Some(event) = change {
            self.publish(ws, &event);
        }
    }

    /// The user of tab `conn` types in `room` (a room of `ws`).
    pub fn typing(&self, ws: &WorkspaceId, conn: ConnId, room: &RoomId) {
        self.typing_changed(ws, conn, room, true);
    }

    /// The user of tab `conn` stopped typing in `room`.
    pub fn typing_stopped(&self, ws: &WorkspaceId, conn: ConnId, room: &RoomId) {
        self.typing_changed(ws, conn, room, false);
    }

    fn typing_changed(&self, ws: &WorkspaceId, conn: ConnId, room: &RoomId, typing: bool) {
        let Some(live) = self.workspace(ws) else { return };
        let event = {
            let mut state = live.lock();
            let Some(user) = state.tabs.get(&conn).map(|tab| tab.user.clone()) else { return };
            let now = Instant::now();
            let changed =
                if typing { state.typing.typing(room, &user, now) } else { state.typing.stopped(room, &user, now) };
            changed.then(|| typing_event(&state, room, now))
        };
        if let Some(event) = event {
            self.publish(ws, &event);
        }
    }

    /// `user` sent a message in `room`: they are not typing there any more.
    pub fn sent(&self, ws: &WorkspaceId, user: &UserId, room: &RoomId) {
        let Some(live) = self.workspace(ws) else { return };
        let event = {
            let mut state = live.lock();
            let now = Instant::now();
            state.typing.stopped(room, user, now).then(|| typing_event(&state, room, now))
        };
        if let Some(event) = event {
            self.publish(ws, &event);
        }
    }

    /// Sends an event to one tab only (an answer to its command).
    pub fn reply(&self, ws: &WorkspaceId, conn: ConnId, event: &LiveEvent) {
        let Some(live) = self.workspace(ws) else { return };
        let Ok(json) = serde_json::to_vec(event) else { return };
        let state = live.lock();
        if let Some(tab) = state.tabs.get(&conn)
            && tab.outbox.push(Bytes::from(json)).is_err()
        {
            tab.outbox.close(close_code::TRY_AGAIN_LATER, "too slow: reconnect");
        }
    }

    /// Tab `conn` closed.
    pub fn leave(&self, ws: &WorkspaceId, conn: ConnId) {
        let Some(live) = self.workspace(ws) else { return };
        let mut events = Vec::new();
        let empty = {
            let mut state = live.lock();
            if let Some(tab) = state.tabs.remove(&conn) {
                if let Some(change) = state.presence.remove(conn) {
                    events.push(presence_event(&state, change));
                }
                if !state.tabs.values().any(|other| other.user == tab.user) {
                    // Their last tab here: they stop typing and their name is forgotten.
                    let now = Instant::now();
                    let rooms: Vec<RoomId> = state.typing.rooms_of(&tab.user);
                    for room in rooms {
                        if state.typing.stopped(&room, &tab.user, now) {
                            events.push(typing_event(&state, &room, now));
                        }
                    }
                    state.names.remove(&tab.user);
                }
            }
            state.tabs.is_empty()
        };
        for event in &events {
            self.publish(ws, event);
        }
        if empty {
            let mut workspaces = self.lock();
            // Still empty under the registry lock (no tab joined meanwhile): stop listening.
            if workspaces.get(ws).is_some_and(|current| Arc::ptr_eq(current, &live)) && live.lock().tabs.is_empty() {
                workspaces.remove(ws);
                if let Some(subscription) = live.subscription.lock().unwrap_or_else(|e| e.into_inner()).take() {
                    self.bus.unsubscribe(&Topic::Workspace(ws.clone()), subscription);
                }
            }
        }
    }

    /// Ends typing that expired (called about once a second).
    pub fn tick(&self, now: Instant) {
        let workspaces: Vec<(WorkspaceId, Arc<WorkspaceLive>)> =
            self.lock().iter().map(|(ws, live)| (ws.clone(), live.clone())).collect();
        for (ws, live) in workspaces {
            let events: Vec<LiveEvent> = {
                let mut state = live.lock();
                if state.typing.next_expiry().is_none_or(|at| at > now) {
                    continue;
                }
                let mut rooms: Vec<RoomId> = state.typing.expire(now).into_iter().map(|(room, _)| room).collect();
                rooms.dedup();
                rooms.iter().map(|room| typing_event(&state, room, now)).collect()
            };
            for event in &events {
                self.publish(&ws, event);
            }
        }
    }

    /// Tabs open in this process (all workspaces).
    pub fn tab_count(&self) -> usize {
        let workspaces: Vec<Arc<WorkspaceLive>> = self.lock().values().cloned().collect();
        workspaces.iter().map(|live| live.lock().tabs.len()).sum()
    }
}

fn location_of(location: LiveLocation) -> Location {
    match location {
        LiveLocation::Workspace => Location::Workspace,
        LiveLocation::Document(doc) => Location::Document(doc),
        LiveLocation::Room(room) => Location::Room(room),
    }
}

fn live_location(location: Location) -> LiveLocation {
    match location {
        Location::Workspace => LiveLocation::Workspace,
        Location::Document(doc) => LiveLocation::Document(doc),
        Location::Room(room) => LiveLocation::Room(room),
    }
}

fn name_of(state: &WorkspaceState, user: &UserId) -> String {
    state.names.get(user).cloned().unwrap_or_default()
}

fn online_users(state: &WorkspaceState) -> Vec<OnlineUser> {
    state
        .presence
        .online()
        .into_iter()
        .map(|(user, locations)| OnlineUser {
            name: name_of(state, &user),
            user_id: user,
            locations: locations.into_iter().map(live_location).collect(),
        })
        .collect()
}

fn presence_event(state: &WorkspaceState, change: PresenceChange) -> LiveEvent {
    LiveEvent::Presence {
        name: name_of(state, &change.user),
        user_id: change.user,
        locations: change.locations.into_iter().map(live_location).collect(),
    }
}

fn typing_event(state: &WorkspaceState, room: &RoomId, now: Instant) -> LiveEvent {
    let users = state
        .typing
        .in_room(room, now)
        .into_iter()
        .map(|user| TypingUser { name: name_of(state, &user), user_id: user })
        .collect();
    LiveEvent::Typing { room_id: room.clone(), users }
}

#[cfg(test)]
mod tests {
    use reynard_fanout::InProcessFanout;
    use serde_json::Value;

    use super::*;
    use crate::ws::outbox::{self, Inbox, Next};

    fn drain(inbox: &Inbox) -> Vec<Value> {
        let mut events = Vec::new();
        while let Next::Frame(bytes) = inbox.next() {
            events.push(serde_json::from_slice(&bytes).unwrap());
        }
        events
    }

    fn hub() -> (Arc<LiveHub>, Arc<InProcessFanout>) {
        let bus = Arc::new(InProcessFanout::default());
        (LiveHub::new(bus.clone(), ProcessId(1)), bus)
    }

    #[test]
    fn tabs_hear_presence_typing_and_published_events_until_they_leave() {
        let (hub, bus) = hub();
        let ws = WorkspaceId::new("w");
        let room = RoomId::new("r");
        let (ada_out, ada) = outbox::queue(64, 1 << 20);
        hub.join(&ws, ConnId(1), UserId::new("ada"), "Ada".to_owned(), ada_out);
        let welcome = drain(&ada);
        assert_eq!(welcome[0]["type"], "welcome");
        assert_eq!(welcome[0]["online"][0]["name"], "Ada");

        let (bob_out, bob) = outbox::queue(64, 1 << 20);
        hub.join(&ws, ConnId(2), UserId::new("bob"), "Bob".to_owned(), bob_out);
        assert_eq!(drain(&bob)[0]["online"].as_array().unwrap().len(), 2);
        let seen = drain(&ada);
        assert_eq!((seen[0]["type"].as_str(), seen[0]["name"].as_str()), (Some("presence"), Some("Bob")));

        // A second tab of Bob's in the same place changes nothing others see.
        let (bob2_out, _bob2) = outbox::queue(64, 1 << 20);
        hub.join(&ws, ConnId(3), UserId::new("bob"), "Bob".to_owned(), bob2_out);
        assert!(drain(&ada).is_empty());

        hub.typing(&ws, ConnId(2), &room);
        hub.typing(&ws, ConnId(3), &room);
        let typing = drain(&ada);
        assert_eq!(typing.len(), 1, "typing again is no news: {typing:?}");
        assert_eq!(typing[0]["users"][0]["name"], "Bob");
        hub.sent(&ws, &UserId::new("bob"), &room);
        assert_eq!(drain(&ada)[0]["users"], serde_json::json!([]));

        // Bob closes one tab: still online. He was typing; closing the last tab ends it.
        hub.typing(&ws, ConnId(3), &room);
        drain(&ada);
        hub.leave(&ws, ConnId(2));
        assert!(drain(&ada).is_empty());
        hub.leave(&ws, ConnId(3));
        let left = drain(&ada);
        let kinds: Vec<&str> = left.iter().map(|e| e["type"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["presence", "typing"], "{left:?}");
        assert_eq!(left[0]["locations"], serde_json::json!([]));

        // The last tab leaving ends the workspace's subscription.
        hub.leave(&ws, ConnId(1));
        assert_eq!(hub.tab_count(), 0);
        assert!(!bus.has_peers(&Topic::Workspace(ws), SubscriptionId(u64::MAX)));
    }

    #[test]
    fn expired_typing_is_announced_by_the_tick() {
        let (hub, _bus) = hub();
        let ws = WorkspaceId::new("w");
        let room = RoomId::new("r");
        let (out, inbox) = outbox::queue(64, 1 << 20);
        hub.join(&ws, ConnId(1), UserId::new("ada"), "Ada".to_owned(), out);
        hub.typing(&ws, ConnId(1), &room);
        drain(&inbox);
        hub.tick(Instant::now());
        assert!(drain(&inbox).is_empty(), "nothing expired yet");
        hub.tick(Instant::now() + TYPING_TTL);
        let expired = drain(&inbox);
        assert_eq!(expired.len(), 1);
        assert_eq!(expired[0]["users"], serde_json::json!([]));
    }

    #[test]
    fn a_tab_that_does_not_read_is_closed_not_waited_for() {
        let (hub, _bus) = hub();
        let ws = WorkspaceId::new("w");
        let (slow_out, slow) = outbox::queue(4, 1 << 20);
        hub.join(&ws, ConnId(1), UserId::new("ada"), "Ada".to_owned(), slow_out);
        for i in 0..10 {
            let event = LiveEvent::Error { code: "x".to_owned(), message: i.to_string() };
            hub.publish(&ws, &event);
        }
        let mut frames = 0;
        let closed = loop {
            match slow.next() {
                Next::Frame(_) => frames += 1,
                Next::Close(code, _) => break code,
                Next::Empty => panic!("the slow tab was not closed"),
            }
        };
        assert_eq!(closed, close_code::TRY_AGAIN_LATER);
        assert!(frames <= 4);
    }
}
