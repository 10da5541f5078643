//! Links that prove something by their signature: HMAC-SHA256 under the
//! server's signing key (kept in the database, so links survive restarts and
//! work on every process of a deployment).
//!
//! - Email verification: `v1.<user id>.<expiry ms>.<mac>`, the MAC over the user
//!   id, the email and the expiry. Nothing is stored per link: the link is
//!   checked against the account's current email, and verifying twice is
//!   harmless.
//! - Invitations: `inv_<mac>`, the MAC over the workspace, the email and the
//!   invitation's creation time. The store keeps only its SHA-256 (the lookup
//!   key, deleted when the invitation is used); the key lets an owner see the
//!   link again without the link itself being stored.
//! - Meeting answers (RSVP): `rsvp1.<meeting id>.<email, base64url>.<mac>`, the
//!   MAC over the meeting id and the email. No expiry: the link works as long
//!   as the meeting exists and the email is among its attendees, which the
//!   caller checks.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The server's signing key.
#[derive(Clone)]
pub struct SigningKey(Vec<u8>);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(..)")
    }
}

/// Why a signed link is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not the shape of a link this server issues.
    #[error("the link is malformed")]
    Malformed,
    /// The signature does not match (forged, altered, or for another email).
    #[error("the link is not valid")]
    Forged,
    /// Signed by this server but past its expiry.
    #[error("the link has expired")]
    Expired,
}

impl SigningKey {
    /// A fresh key as stored: 256 random bits, base64url.
    pub fn generate_encoded() -> String {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// The key from its stored form.
    pub fn from_encoded(encoded: &str) -> Result<SigningKey, TokenError> {
        let bytes = URL_SAFE_NO_PAD.decode(encoded).map_err(|_| TokenError::Malformed)?;
        if bytes.len() < 32 {
            return Err(TokenError::Malformed);
        }
        Ok(SigningKey(bytes))
    }

    fn mac(&self, purpose: &str, fields: &[&str]) -> HmacSha256 {
        // HMAC accepts keys of any length; the constructor cannot fail.
        let mut mac = HmacSha256::new_from_slice(&self.0).unwrap_or_else(|_| unreachable!("HMAC takes any key"));
        mac.update(purpose.as_bytes());
        for field in fields {
            mac.update(&[0]);
            mac.update(field.as_bytes());
        }
        mac
    }

    /// A verification link token for `email` of `user_id`, valid until `expires_at` (Unix ms).
    pub fn email_token(&self, user_id: &str, email: &str, expires_at: i64) -> String {
        let expiry = expires_at.to_string();
        let tag = self.mac("email-verification", &[user_id, email, &expiry]).finalize().into_bytes();
        format!("v1.{user_id}.{expiry}.{}", URL_SAFE_NO_PAD.encode(tag))
    }

    /// The invitation link token of the invitation of `email` to `workspace_id`
    /// created at `created_at` (Unix ms).
    pub fn invitation_token(&self, workspace_id: &str, email: &str, created_at: i64) -> String {
        let created = created_at.to_string();
        let tag = self.mac("invitation", &[workspace_id, email, &created]).finalize().into_bytes();
        format!("inv_{}", URL_SAFE_NO_PAD.encode(tag))
    }

    /// The token of the links through which `email` answers the invitation to
    /// meeting `meeting_id` without signing in.
    pub fn rsvp_token(&self, meeting_id: &str, email: &str) -> String {
        let tag = self.mac("rsvp", &[meeting_id, email]).finalize().into_bytes();
        format!("rsvp1.{meeting_id}.{}.{}", URL_SAFE_NO_PAD.encode(email), URL_SAFE_NO_PAD.encode(tag))
    }
}

/// A parsed, not yet checked, email verification token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailToken {
    pub user_id: String,
    pub expires_at: i64,
    tag: Vec<u8>,
}

impl EmailToken {
    /// Splits a token into its parts.
    pub fn parse(token: &str) -> Result<EmailToken, TokenError> {
        let mut parts = token.trim().split('.');
        let (Some("v1"), Some(user_id), Some(expiry), Some(tag), None) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        if user_id.is_empty() || user_id.len() > 64 {
            return Err(TokenError::Malformed);
        }
        let expires_at = expiry.parse().map_err(|_| TokenError::Malformed)?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| TokenError::Malformed)?;
        Ok(EmailToken { user_id: user_id.to_owned(), expires_at, tag })
    }

    /// Checks the signature for the account's current `email`, then the expiry.
    pub fn check(&self, key: &SigningKey, email: &str, now: i64) -> Result<(), TokenError> {
        let expiry = self.expires_at.to_string();
        key.mac("email-verification", &[&self.user_id, email, &expiry])
            .verify_slice(&self.tag)
            .map_err(|_| TokenError::Forged)?;
        if now >= self.expires_at {
            return Err(TokenError::Expired);
        }
        Ok(())
    }
}

/// A parsed, not yet checked, meeting answer (RSVP) token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RsvpToken {
    pub meeting_id: String,
    /// The attendee's email, as it was when the link was made.
    pub email: String,
    tag: Vec<u8>,
}

impl RsvpToken {
    /// Splits a token into its parts.
    pub fn parse(token: &str) -> Result<RsvpToken, TokenError> {
        let mut parts = token.trim().split('.');
        let (Some("rsvp1"), Some(meeting_id), Some(email), Some(tag), None) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        if meeting_id.is_empty() || meeting_id.len() > 64 || email.is_empty() {
            return Err(TokenError::Malformed);
        }
        let email = URL_SAFE_NO_PAD.decode(email).map_err(|_| TokenError::Malformed)?;
        let email = String::from_utf8(email).map_err(|_| TokenError::Malformed)?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| TokenError::Malformed)?;
        Ok(RsvpToken { meeting_id: meeting_id.to_owned(), email, tag })
    }

    /// Checks the signature over the meeting and the email.
    pub fn check(&self, key: &SigningKey) -> Result<(), TokenError> {
        key.mac("rsvp", &[&self.meeting_id, &self.email]).verify_slice(&self.tag).map_err(|_| TokenError::Forged)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SigningKey {
        SigningKey::from_encoded(&SigningKey::generate_encoded()).unwrap()
    }

    #[test]
    fn an_email_token_checks_for_its_user_email_and_time() {
        let key = key();
        let token = key.email_token("u1", "ada@example.org", 2_000);
        let parsed = EmailToken::parse(&token).unwrap();
        assert_eq!(parsed.user_id, "u1");
        assert_eq!(parsed.check(&key, "ada@example.org", 1_999), Ok(()));
        assert_eq!(parsed.check(&key, "ada@example.org", 2_000), Err(TokenError::Expired));
        assert_eq!(parsed.check(&key, "eve@example.org", 1_000), Err(TokenError::Forged));
        assert_eq!(parsed.check(&self::key(), "ada@example.org", 1_000), Err(TokenError::Forged));
    }

    #[test]
    fn altered_email_tokens_are_forged_or_malformed() {
        let key = key();
        let token = key.email_token("u1", "ada@example.org", 2_000);
        // A later expiry or another user with the same signature.
        let later = token.replace(".2000.", ".9000.");
        assert_eq!(EmailToken::parse(&later).unwrap().check(&key, "ada@example.org", 1_000), Err(TokenError::Forged));
        let other = token.replace("v1.u1.", "v1.u2.");
        assert_eq!(EmailToken::parse(&other).unwrap().check(&key, "ada@example.org", 1_000), Err(TokenError::Forged));
        for bad in ["", "v1", "v1.u1.2000", "v2.u1.2000.AAAA", "v1.u1.soon.AAAA", "v1.u1.2000.!!", "v1..2000.AAAA"] {
            assert_eq!(EmailToken::parse(bad), Err(TokenError::Malformed), "{bad:?}");
        }
    }

    #[test]
    fn invitation_tokens_are_stable_and_distinct() {
        let key = key();
        let a = key.invitation_token("w1", "bob@example.org", 5);
        assert_eq!(a, key.invitation_token("w1", "bob@example.org", 5));
        assert!(a.starts_with("inv_"));
        assert_ne!(a, key.invitation_token("w1", "bob@example.org", 6), "a new invitation gets a new link");
        assert_ne!(a, key.invitation_token("w2", "bob@example.org", 5));
        assert_ne!(a, self::key().invitation_token("w1", "bob@example.org", 5));
    }

    #[test]
    fn an_rsvp_token_round_trips_for_its_meeting_and_email() {
        let key = key();
        let meeting = "0192f0c4-7a1b-7c3d-9e8f-0123456789ab";
        let token = key.rsvp_token(meeting, "bob+team@example.org");
        assert!(token.starts_with("rsvp1."), "{token}");
        assert!(
            token.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)),
            "URL-safe without escaping: {token}"
        );
        assert_eq!(token, key.rsvp_token(meeting, "bob+team@example.org"), "the same link every time");
        let parsed = RsvpToken::parse(&token).unwrap();
        assert_eq!(parsed.meeting_id, meeting);
        assert_eq!(parsed.email, "bob+team@example.org");
        assert_eq!(parsed.check(&key), Ok(()));
        assert_eq!(parsed.check(&self::key()), Err(TokenError::Forged), "another server's key");
    }

    #[test]
    fn altered_rsvp_tokens_are_forged_or_malformed() {
        let key = key();
        let token = key.rsvp_token("m1", "bob@example.org");
        let other_meeting = token.replace("rsvp1.m1.", "rsvp1.m2.");
        assert_eq!(RsvpToken::parse(&other_meeting).unwrap().check(&key), Err(TokenError::Forged));
        let eve = URL_SAFE_NO_PAD.encode("eve@example.org");
        let other_email = token.replace(&URL_SAFE_NO_PAD.encode("bob@example.org"), &eve);
        let parsed = RsvpToken::parse(&other_email).unwrap();
        assert_eq!(parsed.email, "eve@example.org");
        assert_eq!(parsed.check(&key), Err(TokenError::Forged));
        // One character of the MAC changed.
        let (rest, tag) = token.rsplit_once('.').unwrap();
        let first = if tag.starts_with('A') { 'B' } else { 'A' };
        let flipped = format!("{rest}.{first}{}", &tag[1..]);
        assert_eq!(RsvpToken::parse(&flipped).map(|t| t.check(&key)), Ok(Err(TokenError::Forged)));
        for bad in [
            "",
            "rsvp1",
            "rsvp1.m1.Ym9i",
            "rsvp2.m1.Ym9i.AAAA",
            "rsvp1..Ym9i.AAAA",
            "rsvp1.m1..AAAA",
            "rsvp1.m1.!!.AAAA",
        ] {
            assert_eq!(RsvpToken::parse(bad), Err(TokenError::Malformed), "{bad:?}");
        }
    }

    #[test]
    fn other_kinds_of_token_are_not_rsvp_tokens() {
        let key = key();
        let email = key.email_token("m1", "bob@example.org", 2_000);
        assert_eq!(RsvpToken::parse(&email), Err(TokenError::Malformed));
        assert_eq!(RsvpToken::parse(&key.invitation_token("m1", "bob@example.org", 5)), Err(TokenError::Malformed));
        // Nor is an RSVP token an email token, whatever its parts.
        let rsvp = key.rsvp_token("m1", "bob@example.org");
        assert_eq!(EmailToken::parse(&rsvp), Err(TokenError::Malformed));
        // The purpose is signed too: a MAC made for another kind never checks.
        let email_tag = key.mac("email-verification", &["m1", "bob@example.org"]).finalize().into_bytes();
        let forged =
            format!("rsvp1.m1.{}.{}", URL_SAFE_NO_PAD.encode("bob@example.org"), URL_SAFE_NO_PAD.encode(email_tag));
        assert_eq!(RsvpToken::parse(&forged).unwrap().check(&key), Err(TokenError::Forged));
    }

    #[test]
    fn stored_keys_round_trip_and_short_ones_are_refused() {
        let encoded = SigningKey::generate_encoded();
        assert!(SigningKey::from_encoded(&encoded).is_ok());
        assert_eq!(SigningKey::from_encoded("c2hvcnQ").map(|_| ()), Err(TokenError::Malformed));
        assert!(!format!("{:?}", key()).contains(&encoded));
    }
}
