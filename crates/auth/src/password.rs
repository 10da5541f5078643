//! argon2id password hashing (PHC strings) and the minimum password rules.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

/// Shortest password accepted, in characters.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest password accepted, in bytes (bounds the hashing work per request).
pub const MAX_PASSWORD_BYTES: usize = 256;

/// Why a password was refused or could not be hashed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PasswordError {
    #[error("password must be at least {MIN_PASSWORD_CHARS} characters")]
    TooShort,
    #[error("password must be at most {MAX_PASSWORD_BYTES} bytes")]
    TooLong,
    #[error("password must not be only whitespace")]
    Blank,
    #[error("password must contain a letter and a digit or symbol")]
    TooSimple,
    #[error("password hashing failed: {0}")]
    Hashing(String),
}

/// Checks the minimum rules: 8+ characters, at most 256 bytes, not blank, a letter
/// plus a non-letter.
pub fn validate_password(password: &str) -> Result<(), PasswordError> {
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(PasswordError::TooLong);
    }
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(PasswordError::TooShort);
    }
    if password.trim().is_empty() {
        return Err(PasswordError::Blank);
    }
    let has_letter = password.chars().any(char::is_alphabetic);
    let has_other = password.chars().any(|c| !c.is_alphabetic() && !c.is_whitespace());
    if !(has_letter && has_other) {
        return Err(PasswordError::TooSimple);
    }
    Ok(())
}

fn hasher() -> Argon2<'static> {
    // OWASP's argon2id recommendation: m = 19 MiB, t = 2, p = 1.
    let params = Params::new(19 * 1024, 2, 1, None).expect("static argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password into a PHC string (`$argon2id$v=19$...`). CPU-heavy: run it
/// on a blocking thread.
pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    let salt = SaltString::generate(&mut OsRng);
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| PasswordError::Hashing(e.to_string()))
}

/// Whether `password` matches a stored PHC string. A malformed stored hash never matches.
pub fn verify_password(password: &str, phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    hasher().verify_password(password.as_bytes(), &parsed).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        let cases = [
            ("short1!", Err(PasswordError::TooShort)),
            ("abcdefgh", Err(PasswordError::TooSimple)),
            ("12345678", Err(PasswordError::TooSimple)),
            ("        ", Err(PasswordError::Blank)),
            ("correct horse 1", Ok(())),
            ("pässwört9", Ok(())),
        ];
        for (password, expected) in cases {
            assert_eq!(validate_password(password), expected, "{password:?}");
        }
        assert_eq!(validate_password(&"a1".repeat(200)), Err(PasswordError::TooLong));
    }

    #[test]
    fn hash_and_verify() {
        let phc = hash_password("hunter2-but-longer").unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify_password("hunter2-but-longer", &phc));
        assert!(!verify_password("hunter3-but-longer", &phc));
        assert!(!verify_password("anything", "not a phc string"));
        // Salted: the same password hashes differently each time.
        assert_ne!(phc, hash_password("hunter2-but-longer").unwrap());
    }
}
