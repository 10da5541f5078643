//! Accounts without IO: password hashing and rules, session tokens, login and
//! sign-up rate limits and validation of what people type into sign-up forms.
//!
//! # Layout
//! - [`password`]: argon2id hashing and the minimum password rules. Hashing is
//!   CPU-heavy: callers run it on a blocking thread.
//! - [`token`]: random session/API tokens and the hash under which they are stored.
//! - [`rate_limit`]: keyed GCRA limits (per client address) on `governor`.
//! - [`login_throttle`]: the per-account progressive delay after failed logins.
//! - [`input`]: email and display-name rules.
//! - [`signed`]: HMAC-signed links: email verification (expiring), invitations
//!   and meeting answers (RSVP).
//!
//! The permission table lives with [`reynard_proto::Role`] (`Role::can_*`).

pub mod input;
pub mod login_throttle;
pub mod password;
pub mod rate_limit;
pub mod signed;
pub mod token;

pub use input::{InputError, normalize_email, validate_name};
pub use login_throttle::{LoginThrottle, ThrottlePolicy};
pub use password::{HashingMemory, PasswordError, hash_password, validate_password, verify_password};
pub use rate_limit::{RateLimited, RateLimiter};
pub use signed::{EmailToken, RsvpToken, SigningKey, TokenError};
pub use token::{SessionToken, hash_token};
