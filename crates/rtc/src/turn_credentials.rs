//! Time-limited TURN REST credentials (draft-uberti-behave-turn-rest, coturn's
//! `use-auth-secret`): username `"<expiry unix seconds>:<user id>"`, credential
//! base64(HMAC-SHA1(shared secret, username)).
