//! A mail as Reynard writes it, and its MIME form: a plain-text body, and
//! optionally extra alternatives of the same content (an invitation's
//! `text/calendar; method=REQUEST` part, for instance).

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};

use crate::{Error, Result};

/// One outgoing mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// The recipient's address (`ada@example.org` or `Ada <ada@example.org>`).
    pub to: String,
    pub subject: String,
    /// The plain-text body, always present.
    pub text: String,
    /// Further representations of the same content, after the text.
    pub alternatives: Vec<AlternativePart>,
}

/// An alternative representation of a mail's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlternativePart {
    /// A full MIME type with parameters, e.g. `text/calendar; method=REQUEST; charset=utf-8`.
    pub content_type: String,
    pub body: String,
}

impl Mail {
    /// A plain-text mail.
    pub fn text(to: impl Into<String>, subject: impl Into<String>, text: impl Into<String>) -> Mail {
        Mail { to: to.into(), subject: subject.into(), text: text.into(), alternatives: Vec::new() }
    }

    /// Adds an alternative part.
    pub fn with_alternative(mut self, content_type: impl Into<String>, body: impl Into<String>) -> Mail {
        self.alternatives.push(AlternativePart { content_type: content_type.into(), body: body.into() });
        self
    }

    /// The MIME message from `from`.
    pub fn to_message(&self, from: &Mailbox) -> Result<lettre::Message> {
        let builder =
            lettre::Message::builder().from(from.clone()).to(parse_mailbox(&self.to)?).subject(self.subject.as_str());
        let text = SinglePart::plain(self.text.clone());
        let built = if self.alternatives.is_empty() {
            builder.singlepart(text)
        } else {
            let mut parts = MultiPart::alternative().singlepart(text);
            for part in &self.alternatives {
                let content_type = ContentType::parse(&part.content_type)
                    .map_err(|e| Error::Message(format!("content type {:?}: {e}", part.content_type)))?;
                parts = parts.singlepart(SinglePart::builder().header(content_type).body(part.body.clone()));
            }
            builder.multipart(parts)
        };
        built.map_err(|e| Error::Message(e.to_string()))
    }
}

/// Parses `ada@example.org` or `Ada <ada@example.org>`.
pub fn parse_mailbox(address: &str) -> Result<Mailbox> {
    address.parse().map_err(|e: lettre::address::AddressError| Error::Address {
        address: address.to_owned(),
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from() -> Mailbox {
        parse_mailbox("Reynard <reynard@localhost>").unwrap()
    }

    #[test]
    fn a_text_mail_is_one_plain_part() {
        let mail = Mail::text("ada@example.org", "Hello", "Line one\nLine two");
        let raw = String::from_utf8(mail.to_message(&from()).unwrap().formatted()).unwrap();
        assert!(raw.contains("To: ada@example.org"), "{raw}");
        assert!(raw.contains("Subject: Hello"), "{raw}");
        assert!(raw.contains("Content-Type: text/plain; charset=utf-8"), "{raw}");
        assert!(raw.contains("Line two"), "{raw}");
        assert!(!raw.contains("multipart"), "{raw}");
    }

    #[test]
    fn alternatives_make_a_multipart_alternative() {
        let ics = "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n";
        let mail = Mail::text("ada@example.org", "Meeting", "See you")
            .with_alternative("text/calendar; method=REQUEST; charset=utf-8", ics);
        let raw = String::from_utf8(mail.to_message(&from()).unwrap().formatted()).unwrap();
        assert!(raw.contains("multipart/alternative"), "{raw}");
        assert!(raw.contains("text/calendar; method=REQUEST"), "{raw}");
        assert!(raw.contains("METHOD:REQUEST"), "{raw}");
        assert!(raw.find("text/plain").unwrap() < raw.find("text/calendar").unwrap(), "text comes first: {raw}");
    }

    #[test]
    fn bad_addresses_and_content_types_are_errors() {
        assert!(matches!(Mail::text("not an address", "s", "t").to_message(&from()), Err(Error::Address { .. })));
        let bad = Mail::text("ada@example.org", "s", "t").with_alternative("no type here", "x");
        assert!(matches!(bad.to_message(&from()), Err(Error::Message(_))));
    }
}
