//! Rules for what people type into account forms: emails and display names.

/// Longest email accepted (RFC 5321 path limit).
pub const MAX_EMAIL_BYTES: usize = 254;
/// Longest display or workspace name accepted, in characters.
pub const MAX_NAME_CHARS: usize = 100;

/// Why an email or name was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InputError {
    #[error("email address is not valid")]
    InvalidEmail,
    #[error("name must not be empty")]
    EmptyName,
    #[error("name must be at most {MAX_NAME_CHARS} characters")]
    NameTooLong,
    #[error("name must not contain control characters")]
    NameControlChars,
}

/// Trims and lowercases an email and checks its shape (`local@domain.tld`, no spaces).
/// Emails are compared case-insensitively everywhere, so they are stored lowercased.
pub fn normalize_email(email: &str) -> Result<String, InputError> {
    let email = email.trim().to_lowercase();
    if email.len() > MAX_EMAIL_BYTES || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(InputError::InvalidEmail);
    }
    let Some((local, domain)) = email.rsplit_once('@') else {
        return Err(InputError::InvalidEmail);
    };
    let domain_ok = !domain.is_empty()
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && !domain.contains('@');
    if local.is_empty() || local.contains('@') || !domain_ok {
        return Err(InputError::InvalidEmail);
    }
    Ok(email)
}

/// Trims a display or workspace name and checks it is non-empty, short and printable.
pub fn validate_name(name: &str) -> Result<String, InputError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(InputError::EmptyName);
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(InputError::NameTooLong);
    }
    if name.chars().any(char::is_control) {
        return Err(InputError::NameControlChars);
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(normalize_email("  Ada@Example.ORG "), Ok("ada@example.org".into()));
        assert_eq!(normalize_email("a@localhost"), Ok("a@localhost".into()));
        for bad in ["", "ada", "@x.org", "ada@", "a b@x.org", "a@@x.org", "a@x..org", "a@.x", "a@x."] {
            assert_eq!(normalize_email(bad), Err(InputError::InvalidEmail), "{bad:?}");
        }
    }

    #[test]
    fn names() {
        assert_eq!(validate_name("  Ada  "), Ok("Ada".into()));
        assert_eq!(validate_name("   "), Err(InputError::EmptyName));
        assert_eq!(validate_name(&"x".repeat(101)), Err(InputError::NameTooLong));
        assert_eq!(validate_name("a\u{0}b"), Err(InputError::NameControlChars));
    }
}
