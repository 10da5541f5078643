//! What a chat message and a room name may be.

/// Longest message, in characters.
pub const MAX_MESSAGE_CHARS: usize = 4000;
/// Longest room name, in characters.
pub const MAX_ROOM_NAME_CHARS: usize = 64;

/// Why a message or room name was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TextError {
    #[error("a message must not be empty")]
    EmptyMessage,
    #[error("a message must be at most {MAX_MESSAGE_CHARS} characters (this one has {0})")]
    MessageTooLong(usize),
    #[error("a room name must not be empty")]
    EmptyRoomName,
    #[error("a room name must be at most {MAX_ROOM_NAME_CHARS} characters")]
    RoomNameTooLong,
    #[error("control characters are not allowed here")]
    ControlCharacters,
}

/// A message's text as stored: trailing white space trimmed, at most
/// [`MAX_MESSAGE_CHARS`], no control characters but newlines and tabs.
pub fn message_text(text: &str) -> Result<String, TextError> {
    let text = text.trim_end();
    if text.trim_start().is_empty() {
        return Err(TextError::EmptyMessage);
    }
    let chars = text.chars().count();
    if chars > MAX_MESSAGE_CHARS {
        return Err(TextError::MessageTooLong(chars));
    }
    if text.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(TextError::ControlCharacters);
    }
    Ok(text.to_owned())
}

/// A room name as stored: trimmed, lowercased, inner white space turned into
/// single dashes (`Release Planning` → `release-planning`).
pub fn room_name(name: &str) -> Result<String, TextError> {
    if name.chars().any(char::is_control) {
        return Err(TextError::ControlCharacters);
    }
    let name = name.split_whitespace().collect::<Vec<_>>().join("-").to_lowercase();
    if name.is_empty() {
        return Err(TextError::EmptyRoomName);
    }
    if name.chars().count() > MAX_ROOM_NAME_CHARS {
        return Err(TextError::RoomNameTooLong);
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages() {
        assert_eq!(message_text("  hi there \n\n").unwrap(), "  hi there");
        assert_eq!(message_text("line\n\tindented").unwrap(), "line\n\tindented");
        assert_eq!(message_text(" \n\t "), Err(TextError::EmptyMessage));
        assert_eq!(message_text("a\u{0}b"), Err(TextError::ControlCharacters));
        assert_eq!(message_text("bell\u{7}"), Err(TextError::ControlCharacters));
        let long = "é".repeat(MAX_MESSAGE_CHARS);
        assert!(message_text(&long).is_ok(), "the limit counts characters, not bytes");
        assert_eq!(message_text(&format!("{long}x")), Err(TextError::MessageTooLong(MAX_MESSAGE_CHARS + 1)));
    }

    #[test]
    fn room_names() {
        assert_eq!(room_name("  Release   Planning ").unwrap(), "release-planning");
        assert_eq!(room_name("général").unwrap(), "général");
        assert_eq!(room_name("   "), Err(TextError::EmptyRoomName));
        assert_eq!(room_name("a\u{1b}b"), Err(TextError::ControlCharacters));
        assert_eq!(room_name(&"x".repeat(65)), Err(TextError::RoomNameTooLong));
    }
}
