//! [`RestAuthHandler`]: the `turn` crate's auth handler for TURN REST
//! usernames (`"<expiry>:<user id>"`). The stock `LongTermAuthHandler` reads
//! the whole username as a timestamp, so it refuses this form.
//!
//! `turn` calls the handler synchronously for every authenticated request,
//! with the username and realm the request carries; the handler returns the
//! long-term key MD5(`username:realm:password`) and `turn` then checks the
//! request's MESSAGE-INTEGRITY with it. A wrong password (a forged credential)
//! is therefore refused by `turn` after the handler, not by the handler.

use std::net::SocketAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use reynard_rtc::turn_credentials::{CredentialError, password_for};
use turn::auth::{AuthHandler, generate_auth_key};

/// Checks TURN REST usernames against the shared secret and the clock.
pub(crate) struct RestAuthHandler {
    realm: String,
    secret: Vec<u8>,
}

/// Why a request's credentials are refused before its integrity is checked.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Refusal {
    /// The request names another realm than this server's.
    #[error("unknown realm {0:?}")]
    Realm(String),
    /// The username is malformed or expired.
    #[error(transparent)]
    Credentials(#[from] CredentialError),
    /// The system clock reads before 1970, so expiry cannot be checked.
    #[error("the system clock is before the unix epoch")]
    Clock,
}

impl RestAuthHandler {
    pub(crate) fn new(realm: String, secret: Vec<u8>) -> RestAuthHandler {
        RestAuthHandler { realm, secret }
    }

    /// The long-term key for `username` in `realm` at `now_unix`.
    pub(crate) fn key_at(&self, username: &str, realm: &str, now_unix: u64) -> Result<Vec<u8>, Refusal> {
        if realm != self.realm {
            return Err(Refusal::Realm(realm.to_owned()));
        }
        let password = password_for(&self.secret, username, now_unix)?;
        Ok(generate_auth_key(username, realm, &password))
    }
}

impl AuthHandler for RestAuthHandler {
    fn auth_handle(&self, username: &str, realm: &str, src_addr: SocketAddr) -> Result<Vec<u8>, turn::Error> {
        let key = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_err(|_| Refusal::Clock)
            .and_then(|now| self.key_at(username, realm, now.as_secs()));
        key.map_err(|reason| {
            tracing::debug!(%src_addr, username, %reason, "TURN credentials refused");
            turn::Error::Other(reason.to_string())
        })
    }
}

#[cfg(test)]
mod tests {
    use reynard_rtc::turn_credentials::mint;

    use super::*;

    const REALM: &str = "reynard.test";
    const SECRET: &[u8] = b"shared secret";

    fn handler() -> RestAuthHandler {
        RestAuthHandler::new(REALM.to_owned(), SECRET.to_vec())
    }

    #[test]
    fn valid_credentials_give_the_long_term_key() {
        let creds = mint(SECRET, "alice", 1_000, 600);
        let key = handler().key_at(&creds.username, REALM, 1_000).unwrap();
        assert_eq!(key, generate_auth_key(&creds.username, REALM, &creds.credential));
    }

    #[test]
    fn another_realm_is_refused() {
        let creds = mint(SECRET, "alice", 1_000, 600);
        assert_eq!(handler().key_at(&creds.username, "elsewhere", 1_000), Err(Refusal::Realm("elsewhere".into())));
    }

    #[test]
    fn expired_and_malformed_usernames_are_refused() {
        let creds = mint(SECRET, "alice", 1_000, 600);
        assert_eq!(
            handler().key_at(&creds.username, REALM, 1_600),
            Err(Refusal::Credentials(CredentialError::Expired { expires_at: 1_600, now: 1_600 }))
        );
        assert_eq!(
            handler().key_at("alice", REALM, 1_000),
            Err(Refusal::Credentials(CredentialError::MissingSeparator))
        );
    }

    #[test]
    fn the_real_clock_is_used() {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
        let addr: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let fresh = mint(SECRET, "alice", now, 600);
        assert!(handler().auth_handle(&fresh.username, REALM, addr).is_ok());
        let stale = mint(SECRET, "alice", now - 600, 60);
        assert!(handler().auth_handle(&stale.username, REALM, addr).is_err());
    }
}
