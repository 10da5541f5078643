//! argon2id password hashing (PHC strings) and the minimum password rules.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, ParamsString, PasswordHash, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};

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

/// OWASP's argon2id recommendation: m = 19 MiB, t = 2, p = 1.
fn params() -> Params {
    Params::new(19 * 1024, 2, 1, None).expect("static argon2 parameters are valid")
}

fn hasher(params: Params) -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// The 19 MiB of working memory one argon2id run needs, kept between runs.
///
/// Allocating it for every hash costs more than the time: glibc raises its
/// mmap threshold after the first such block is freed, so later ones come
/// from the heap and are kept (measured: 32 sign-ups in a row left 450 MB
/// resident). A fixed set of `HashingMemory`, one per hashing thread, keeps the
/// process at that set's size.
pub struct HashingMemory {
    blocks: Vec<Block>,
}

impl std::fmt::Debug for HashingMemory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HashingMemory").field("blocks", &self.blocks.len()).finish()
    }
}

impl Default for HashingMemory {
    fn default() -> Self {
        Self::new()
    }
}

impl HashingMemory {
    /// Allocates the working memory for the current parameters.
    pub fn new() -> Self {
        Self { blocks: vec![Block::default(); params().block_count()] }
    }

    /// Hashes a password into a PHC string (`$argon2id$v=19$...`). CPU-heavy:
    /// run it on a blocking thread.
    pub fn hash(&mut self, password: &str) -> Result<String, PasswordError> {
        let failed = |e: argon2::password_hash::Error| PasswordError::Hashing(e.to_string());
        let params = params();
        let salt = SaltString::generate(&mut OsRng);
        let mut salt_bytes = [0u8; 64];
        let salt_bytes = salt.as_salt().decode_b64(&mut salt_bytes).map_err(failed)?;
        let hash = Output::init_with(Params::DEFAULT_OUTPUT_LEN, |out| {
            Ok(hasher(params.clone()).hash_password_into_with_memory(
                password.as_bytes(),
                salt_bytes,
                out,
                &mut self.blocks,
            )?)
        })
        .map_err(failed)?;
        let phc = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(&params).map_err(failed)?,
            salt: Some(salt.as_salt()),
            hash: Some(hash),
        };
        Ok(phc.to_string())
    }

    /// Whether `password` matches a stored PHC string. A malformed stored hash
    /// never matches. Hashes stored with larger parameters than this memory
    /// holds are checked with memory of their own.
    pub fn verify(&mut self, password: &str, phc: &str) -> bool {
        let Ok(parsed) = PasswordHash::new(phc) else {
            return false;
        };
        let (Ok(params), Some(salt), Some(expected)) = (Params::try_from(&parsed), parsed.salt, parsed.hash) else {
            return false;
        };
        if parsed.algorithm != Algorithm::Argon2id.ident() || parsed.version != Some(Version::V0x13.into()) {
            return hasher(params).verify_password(password.as_bytes(), &parsed).is_ok();
        }
        if params.block_count() > self.blocks.len() {
            return hasher(params).verify_password(password.as_bytes(), &parsed).is_ok();
        }
        let mut salt_bytes = [0u8; 64];
        let Ok(salt_bytes) = salt.decode_b64(&mut salt_bytes) else {
            return false;
        };
        let computed = Output::init_with(expected.len(), |out| {
            Ok(hasher(params).hash_password_into_with_memory(password.as_bytes(), salt_bytes, out, &mut self.blocks)?)
        });
        // `Output` compares in constant time.
        computed.is_ok_and(|computed| computed == expected)
    }
}

/// Hashes a password into a PHC string with memory of its own (see
/// [`HashingMemory`] to hash many). CPU-heavy: run it on a blocking thread.
pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    HashingMemory::new().hash(password)
}

/// Whether `password` matches a stored PHC string, with memory of its own.
/// A malformed stored hash never matches.
pub fn verify_password(password: &str, phc: &str) -> bool {
    HashingMemory::new().verify(password, phc)
}

#[cfg(test)]
mod tests {
    use argon2::PasswordHasher;

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

    #[test]
    fn reused_memory_hashes_like_the_reference_implementation() {
        let mut memory = HashingMemory::new();
        let mine = memory.hash("correct horse 1").unwrap();
        assert!(mine.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{mine}");
        // The argon2 crate's own verifier accepts it, and ours accepts its hashes.
        let parsed = PasswordHash::new(&mine).unwrap();
        assert!(hasher(params()).verify_password(b"correct horse 1", &parsed).is_ok());
        let salt = SaltString::generate(&mut OsRng);
        let theirs = hasher(params()).hash_password(b"correct horse 1", &salt).unwrap().to_string();
        for _ in 0..2 {
            assert!(memory.verify("correct horse 1", &theirs));
            assert!(!memory.verify("correct horse 2", &theirs));
            assert!(memory.verify("correct horse 1", &mine));
        }
        // Other parameters (smaller, larger, argon2i) still verify.
        for (m, t, algorithm) in
            [(8 * 1024, 1, Algorithm::Argon2id), (32 * 1024, 1, Algorithm::Argon2id), (8 * 1024, 2, Algorithm::Argon2i)]
        {
            let other = Argon2::new(algorithm, Version::V0x13, Params::new(m, t, 1, None).unwrap());
            let phc = other.hash_password(b"pw 12345678", &salt).unwrap().to_string();
            assert!(memory.verify("pw 12345678", &phc), "{phc}");
            assert!(!memory.verify("pw 12345679", &phc), "{phc}");
        }
        assert!(!memory.verify("x", "$argon2id$v=19$m=19456,t=2,p=1$bm90IGEgaGFzaA"));
    }
}
