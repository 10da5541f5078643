//! Time-limited TURN REST credentials (draft-uberti-behave-turn-rest, coturn's
//! `use-auth-secret`): username `"<expiry unix seconds>:<user id>"`, credential
//! base64(HMAC-SHA1(shared secret, username)).
//!
//! The server [`mint`]s credentials for a participant and hands them to the
//! browser with the ICE servers; a TURN server sharing the secret checks them
//! with [`password_for`], which recomputes the credential from the username
//! alone (no state is shared). The TURN long-term key is then
//! MD5(`username:realm:password`), computed by the TURN server.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha1::Sha1;

type HmacSha1 = Hmac<Sha1>;

/// Credentials for one user's TURN allocations, valid until `expires_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TurnCredentials {
    /// `"<expires_at>:<user id>"`.
    pub username: String,
    /// base64(HMAC-SHA1(secret, username)): the TURN password.
    pub credential: String,
    /// Unix seconds after which a TURN server refuses the credentials.
    pub expires_at: u64,
}

/// Why a TURN username is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    /// The username has no `:` between the expiry and the user id.
    #[error("TURN username has no ':' between the expiry and the user id")]
    MissingSeparator,
    /// The part before the first `:` is not a number of unix seconds.
    #[error("TURN username expiry {0:?} is not a number of unix seconds")]
    InvalidExpiry(String),
    /// Nothing follows the first `:`.
    #[error("TURN username has an empty user id")]
    EmptyUser,
    /// The expiry has passed.
    #[error("TURN credentials expired at {expires_at} (now {now})")]
    Expired { expires_at: u64, now: u64 },
}

/// Credentials for `user`, valid for `ttl_secs` from `now_unix`.
pub fn mint(secret: &[u8], user: &str, now_unix: u64, ttl_secs: u64) -> TurnCredentials {
    let expires_at = now_unix.saturating_add(ttl_secs);
    let username = format!("{expires_at}:{user}");
    let credential = sign(secret, &username);
    TurnCredentials { username, credential, expires_at }
}

/// The password a TURN server should expect for `username` at `now_unix`:
/// refuses malformed usernames (only the first `:` splits, so the user id may
/// contain `:`; it may not be empty) and expired ones (`expiry <= now`).
pub fn password_for(secret: &[u8], username: &str, now_unix: u64) -> Result<String, CredentialError> {
    let (expiry, user) = username.split_once(':').ok_or(CredentialError::MissingSeparator)?;
    // `u64::from_str` accepts a leading '+'; the expiry is plain digits only.
    if expiry.is_empty() || !expiry.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CredentialError::InvalidExpiry(expiry.to_owned()));
    }
    let expires_at: u64 = expiry.parse().map_err(|_| CredentialError::InvalidExpiry(expiry.to_owned()))?;
    if user.is_empty() {
        return Err(CredentialError::EmptyUser);
    }
    if expires_at <= now_unix {
        return Err(CredentialError::Expired { expires_at, now: now_unix });
    }
    Ok(sign(secret, username))
}

/// base64(HMAC-SHA1(secret, username)).
fn sign(secret: &[u8], username: &str) -> String {
    let mut mac = HmacSha1::new_from_slice(secret).unwrap_or_else(|_| unreachable!("HMAC takes any key"));
    mac.update(username.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"secret";

    #[test]
    fn known_vector() {
        // python3: base64(hmac.new(b"secret", b"1700000000:alice", sha1))
        let creds = mint(SECRET, "alice", 1_699_999_000, 1_000);
        assert_eq!(creds.username, "1700000000:alice");
        assert_eq!(creds.credential, "d8soP47RbdIKLDUOpnJPVQyq5Ts=");
        assert_eq!(creds.expires_at, 1_700_000_000);
    }

    #[test]
    fn round_trip() {
        let creds = mint(SECRET, "alice", 1_000, 600);
        assert_eq!(password_for(SECRET, &creds.username, 1_000), Ok(creds.credential.clone()));
        assert_eq!(password_for(SECRET, &creds.username, 1_599), Ok(creds.credential));
    }

    #[test]
    fn another_secret_gives_another_password() {
        let creds = mint(SECRET, "alice", 1_000, 600);
        assert_ne!(password_for(b"other", &creds.username, 1_000), Ok(creds.credential));
    }

    #[test]
    fn expired() {
        let creds = mint(SECRET, "alice", 1_000, 600);
        assert_eq!(
            password_for(SECRET, &creds.username, 1_600),
            Err(CredentialError::Expired { expires_at: 1_600, now: 1_600 })
        );
        assert_eq!(
            password_for(SECRET, &creds.username, 5_000),
            Err(CredentialError::Expired { expires_at: 1_600, now: 5_000 })
        );
    }

    #[test]
    fn malformed() {
        assert_eq!(password_for(SECRET, "1700000000", 0), Err(CredentialError::MissingSeparator));
        assert_eq!(password_for(SECRET, "alice", 0), Err(CredentialError::MissingSeparator));
        assert_eq!(password_for(SECRET, "soon:alice", 0), Err(CredentialError::InvalidExpiry("soon".into())));
        assert_eq!(password_for(SECRET, ":alice", 0), Err(CredentialError::InvalidExpiry(String::new())));
        assert_eq!(password_for(SECRET, "+17:alice", 0), Err(CredentialError::InvalidExpiry("+17".into())));
        assert_eq!(password_for(SECRET, "-17:alice", 0), Err(CredentialError::InvalidExpiry("-17".into())));
        assert_eq!(
            password_for(SECRET, "99999999999999999999999:alice", 0),
            Err(CredentialError::InvalidExpiry("99999999999999999999999".into()))
        );
        assert_eq!(password_for(SECRET, "1700000000:", 0), Err(CredentialError::EmptyUser));
    }

    #[test]
    fn user_id_with_colons() {
        // python3: base64(hmac.new(b"secret", b"1700000000:urn:user:42", sha1))
        let creds = mint(SECRET, "urn:user:42", 1_699_999_000, 1_000);
        assert_eq!(creds.username, "1700000000:urn:user:42");
        assert_eq!(creds.credential, "GdgeyJSeIttOE5a96s8k6mdMyV4=");
        assert_eq!(password_for(SECRET, &creds.username, 1_699_999_999), Ok(creds.credential));
    }

    #[test]
    fn ttl_overflow_saturates() {
        let creds = mint(SECRET, "alice", u64::MAX - 1, 10);
        assert_eq!(creds.expires_at, u64::MAX);
        assert_eq!(password_for(SECRET, &creds.username, 0), Ok(creds.credential));
    }
}
