//! Outgoing mail: an async SMTP [`Mailer`] on `lettre`, the [`Mail`] it sends
//! and the [`templates`] and [`meeting_templates`] of the mails Reynard writes.
//!
//! # Layout
//! - [`mailer`]: [`Mailer`], built from an SMTP URL and a sender address.
//! - [`message`]: [`Mail`] (to, subject, text, extra alternative parts such as
//!   `text/calendar; method=REQUEST`) and its conversion to a MIME message.
//! - [`templates`]: the email-verification and workspace-invitation mails.
//! - [`meeting_templates`]: meeting invitations and cancellations (with their
//!   iCalendar part), reminders and follow-ups.
//!
//! SMTP URLs (parsed by lettre):
//! - `smtp://HOST:PORT`: plain SMTP, no TLS (a local relay, a test sink);
//! - `smtp://HOST:PORT?tls=required`: STARTTLS, refused if the server lacks it
//!   (`?tls=opportunistic` uses it when offered);
//! - `smtps://HOST:PORT`: implicit TLS (usually port 465).
//!
//! Credentials go in the URL's user-info part (`smtps://user:pass@host`).

pub mod mailer;
pub mod meeting_templates;
pub mod message;
pub mod templates;

pub use mailer::Mailer;
pub use message::{AlternativePart, Mail};

/// Result of a mail operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What sending mail can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The SMTP URL is not one of the accepted forms.
    #[error("invalid SMTP URL: {0}")]
    SmtpUrl(String),
    /// An address (sender or recipient) does not parse.
    #[error("invalid email address {address:?}: {reason}")]
    Address { address: String, reason: String },
    /// The message could not be built (a bad content type…).
    #[error("cannot build the message: {0}")]
    Message(String),
    /// The SMTP server could not be reached or refused the message.
    #[error("SMTP delivery failed: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
}
