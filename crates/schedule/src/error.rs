//! The one error type of this crate: every message says what was wrong and,
//! where it helps, what to send instead, so the server can show it as is.

use jiff::civil::DateTime;

/// Why a profile, series, query or invitation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The name is not in the IANA time zone database.
    #[error("unknown time zone {0:?}: use an IANA name such as Europe/London")]
    UnknownZone(String),
    /// Working hours that break a rule (format, order, overlap, count).
    #[error("working hours: {0}")]
    WorkingHours(String),
    /// A local date-time that does not parse.
    #[error("invalid local date-time {0:?}: expected YYYY-MM-DDTHH:MM without an offset")]
    DateTime(String),
    /// A recurrence rule that does not parse or contradicts itself.
    #[error("recurrence rule: {0}")]
    Rule(String),
    /// A recurrence rule part this crate does not expand.
    #[error("recurrence rule: {0} is not supported")]
    Unsupported(String),
    /// A meeting, change or query that breaks a rule (empty title, end before start, ...).
    #[error("{0}")]
    Invalid(String),
    /// A recurrence id that is not an occurrence of the series.
    #[error("{0} is not an occurrence of this series")]
    NotAnOccurrence(DateTime),
    /// A series expands to more occurrences in one query than the limit.
    #[error("more than {limit} occurrences in the requested range: ask for a shorter range")]
    TooManyOccurrences {
        /// The limit that was passed.
        limit: usize,
    },
    /// A computation left the range of representable dates (years -9999 to 9999).
    #[error("date out of range: {0}")]
    OutOfRange(String),
}

impl From<jiff::Error> for Error {
    fn from(error: jiff::Error) -> Self {
        Error::OutOfRange(error.to_string())
    }
}

/// This crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
