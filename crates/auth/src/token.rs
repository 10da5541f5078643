//! Session and API tokens: 256 random bits, base64url, stored only as a SHA-256 hash.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Prefix that makes Reynard tokens recognisable (for secret scanners and people).
pub const TOKEN_PREFIX: &str = "rnd_";

/// A freshly issued token: the secret goes to the client, the hash to storage.
#[derive(Clone)]
pub struct SessionToken {
    /// What the client presents (`Authorization: Bearer …` or the session cookie).
    pub secret: String,
    /// What the server stores and looks up.
    pub hash: String,
}

impl std::fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionToken").field("hash", &self.hash).finish_non_exhaustive()
    }
}

impl SessionToken {
    /// Issues a new random token.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let secret = format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes));
        let hash = hash_token(&secret);
        Self { secret, hash }
    }
}

/// The storage key of a token: hex SHA-256 of the secret. Tokens carry 256 bits
/// of entropy, so a fast hash is enough (no password-style stretching needed).
pub fn hash_token(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    let mut hex = String::with_capacity(64);
    for byte in digest {
        hex.push(char::from_digit(u32::from(byte >> 4), 16).unwrap_or('0'));
        hex.push(char::from_digit(u32::from(byte & 0xf), 16).unwrap_or('0'));
    }
    hex
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_and_hash_stably() {
        let a = SessionToken::generate();
        let b = SessionToken::generate();
        assert_ne!(a.secret, b.secret);
        assert!(a.secret.starts_with(TOKEN_PREFIX));
        assert_eq!(a.hash, hash_token(&a.secret));
        assert_eq!(a.hash.len(), 64);
        assert!(!format!("{a:?}").contains(&a.secret));
        assert_eq!(hash_token("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
