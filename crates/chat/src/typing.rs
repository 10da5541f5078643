//! Who is typing in which room. A client says "typing" at most every few
//! seconds while keys are pressed; a typist who says nothing for
//! [`Typing::ttl`] stopped, and one who sent their message stopped at once.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use reynard_proto::{RoomId, UserId};

/// Typists by room, each with the time their typing expires.
#[derive(Debug)]
pub struct Typing {
    ttl: Duration,
    typists: BTreeMap<(RoomId, UserId), Instant>,
}

impl Typing {
    /// Typing that lasts `ttl` after each signal.
    pub fn new(ttl: Duration) -> Self {
        Self { ttl, typists: BTreeMap::new() }
    }

    /// How long a typing signal lasts.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// `user` types in `room`; returns whether they were not typing before
    /// (others need to hear of it).
    pub fn typing(&mut self, room: &RoomId, user: &UserId, now: Instant) -> bool {
        self.typists.insert((room.clone(), user.clone()), now + self.ttl).is_none_or(|until| until <= now)
    }

    /// `user` stopped typing in `room` (sent the message, left); returns whether
    /// they were typing.
    pub fn stopped(&mut self, room: &RoomId, user: &UserId, now: Instant) -> bool {
        self.typists.remove(&(room.clone(), user.clone())).is_some_and(|until| until > now)
    }

    /// Forgets typists whose typing expired; returns them.
    pub fn expire(&mut self, now: Instant) -> Vec<(RoomId, UserId)> {
        let expired: Vec<(RoomId, UserId)> =
            self.typists.iter().filter(|(_, until)| **until <= now).map(|(key, _)| key.clone()).collect();
        for key in &expired {
            self.typists.remove(key);
        }
        expired
    }

    /// Who is typing in `room` now.
    pub fn in_room(&self, room: &RoomId, now: Instant) -> Vec<UserId> {
        self.typists.iter().filter(|((r, _), until)| r == room && **until > now).map(|((_, u), _)| u.clone()).collect()
    }

    /// The rooms `user` is typing in (or was, until it expires).
    pub fn rooms_of(&self, user: &UserId) -> Vec<RoomId> {
        self.typists.keys().filter(|(_, u)| u == user).map(|(room, _)| room.clone()).collect()
    }

    /// The next time a typist expires, if anyone is typing.
    pub fn next_expiry(&self) -> Option<Instant> {
        self.typists.values().min().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typing_starts_once_renews_and_expires() {
        let start = Instant::now();
        let room = RoomId::new("general");
        let ada = UserId::new("ada");
        let mut typing = Typing::new(Duration::from_secs(5));
        assert!(typing.typing(&room, &ada, start), "news");
        assert!(!typing.typing(&room, &ada, start + Duration::from_secs(3)), "a renewal is not news");
        assert_eq!(
            typing.in_room(&room, start + Duration::from_secs(7)),
            std::slice::from_ref(&ada),
            "renewed until 8 s"
        );
        assert_eq!(typing.next_expiry(), Some(start + Duration::from_secs(8)));
        assert!(typing.expire(start + Duration::from_secs(7)).is_empty());
        assert_eq!(typing.expire(start + Duration::from_secs(8)), [(room.clone(), ada.clone())]);
        assert!(typing.in_room(&room, start + Duration::from_secs(8)).is_empty());
        // After expiry, typing again is news again.
        assert!(typing.typing(&room, &ada, start + Duration::from_secs(9)));
    }

    #[test]
    fn sending_the_message_stops_typing_at_once() {
        let now = Instant::now();
        let room = RoomId::new("general");
        let ada = UserId::new("ada");
        let mut typing = Typing::new(Duration::from_secs(5));
        typing.typing(&room, &ada, now);
        assert!(typing.stopped(&room, &ada, now + Duration::from_secs(1)));
        assert!(!typing.stopped(&room, &ada, now + Duration::from_secs(1)));
        assert!(typing.in_room(&room, now).is_empty());
        assert_eq!(typing.next_expiry(), None);
    }

    #[test]
    fn the_rooms_a_user_types_in_are_known_until_they_stop() {
        let now = Instant::now();
        let (general, design) = (RoomId::new("general"), RoomId::new("design"));
        let (ada, bob) = (UserId::new("ada"), UserId::new("bob"));
        let mut typing = Typing::new(Duration::from_secs(5));
        typing.typing(&general, &ada, now);
        typing.typing(&design, &ada, now);
        typing.typing(&general, &bob, now);
        assert_eq!(typing.rooms_of(&ada), vec![design.clone(), general.clone()]);
        typing.stopped(&design, &ada, now);
        assert_eq!(typing.rooms_of(&ada), vec![general]);
        assert!(typing.rooms_of(&UserId::new("cy")).is_empty());
    }
}
