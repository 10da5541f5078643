//! IANA time zones: the only kind of zone a profile or a meeting may name,
//! and the rules for turning a local wall-clock time into an instant.
//!
//! Occurrences follow RFC 5545 (`compatible` in jiff's terms): a local time
//! inside a spring-forward gap moves forward by the length of the gap, and a
//! local time inside an autumn fold means the first of the two instants.
//! Working hours are resolved more carefully (see
//! [`working_intervals`](crate::slots::working_intervals)), so that a slot
//! never falls outside them.

use std::fmt;

use jiff::civil::DateTime;
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{Timestamp, ZonedDateTime};

use crate::error::{Error, Result};

/// A validated IANA time zone, such as `Europe/London`.
#[derive(Clone, PartialEq, Eq)]
pub struct Zone {
    tz: TimeZone,
}

impl Zone {
    /// Looks a zone up by its IANA name (matched without case, kept in the
    /// database's spelling). Fixed offsets and POSIX TZ strings are refused.
    pub fn new(name: &str) -> Result<Zone> {
        let name = name.trim();
        if name.is_empty() || name.len() > 64 {
            return Err(Error::UnknownZone(name.to_owned()));
        }
        let tz = TimeZone::get(name).map_err(|_| Error::UnknownZone(name.to_owned()))?;
        if tz.iana_name().is_none() {
            return Err(Error::UnknownZone(name.to_owned()));
        }
        Ok(Zone { tz })
    }

    /// UTC.
    pub fn utc() -> Zone {
        Zone { tz: TimeZone::UTC }
    }

    /// The IANA name, as the database spells it.
    pub fn name(&self) -> &str {
        self.tz.iana_name().unwrap_or("UTC")
    }

    /// The jiff time zone.
    pub fn time_zone(&self) -> &TimeZone {
        &self.tz
    }

    /// The instant of a local time by RFC 5545: gaps shift forward by their
    /// length, folds take the first instant.
    pub fn resolve(&self, local: DateTime) -> Result<Timestamp> {
        Ok(self.tz.to_ambiguous_timestamp(local).compatible()?)
    }

    /// The local wall-clock time of an instant.
    pub fn local(&self, instant: Timestamp) -> DateTime {
        self.tz.to_datetime(instant)
    }

    /// An instant shown in this zone.
    pub fn zoned(&self, instant: Timestamp) -> ZonedDateTime {
        instant.to_zoned_datetime(self.tz.clone())
    }

    /// Where a local range that starts at `local` begins, keeping every later
    /// instant's wall-clock time at or after `local`: a gap starts at the
    /// transition, a fold at its second instant.
    pub(crate) fn resolve_range_start(&self, local: DateTime) -> Result<Timestamp> {
        let ambiguous = self.tz.to_ambiguous_timestamp(local);
        match ambiguous.offset() {
            AmbiguousOffset::Gap { .. } => self.gap_transition(local),
            _ => Ok(ambiguous.later()?),
        }
    }

    /// Where a local range that ends at `local` ends, keeping every earlier
    /// instant's wall-clock time before `local`: a gap ends at the transition,
    /// a fold at its first instant.
    pub(crate) fn resolve_range_end(&self, local: DateTime) -> Result<Timestamp> {
        let ambiguous = self.tz.to_ambiguous_timestamp(local);
        match ambiguous.offset() {
            AmbiguousOffset::Gap { .. } => self.gap_transition(local),
            _ => Ok(ambiguous.earlier()?),
        }
    }

    /// The transition instant of the gap that swallows `local`.
    fn gap_transition(&self, local: DateTime) -> Result<Timestamp> {
        // `earlier` lands before the transition by the part of the gap that
        // precedes `local`, so the next transition is the gap's.
        let before = self.tz.to_ambiguous_timestamp(local).earlier()?;
        match self.tz.following(before).next() {
            Some(transition) => Ok(transition.timestamp()),
            None => Ok(before),
        }
    }
}

impl fmt::Debug for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Zone({})", self.name())
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Zone {
    type Err = Error;

    fn from_str(s: &str) -> Result<Zone> {
        Zone::new(s)
    }
}

impl serde::Serialize for Zone {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for Zone {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Zone, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Zone::new(&name).map_err(serde::de::Error::custom)
    }
}

/// Parses a local date-time as the API sends it (`2026-10-20T09:30`, seconds
/// optional, no offset, no fraction).
pub fn parse_local(text: &str) -> Result<DateTime> {
    let text = text.trim();
    let bad = || Error::DateTime(text.to_owned());
    // A date, a `T`, a time; nothing after the time (no offset, no zone).
    let shape_ok = text.len() <= 32
        && matches!(text.as_bytes().get(10), Some(b'T' | b't'))
        && !text[10..].contains(['Z', 'z', '+', '-', '['])
        && !text.starts_with(['+', '-']);
    if !shape_ok {
        return Err(bad());
    }
    let local: DateTime = text.parse().map_err(|_| bad())?;
    if local.subsec_nanosecond() != 0 {
        return Err(bad());
    }
    Ok(local)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn names() {
        assert_eq!(Zone::new("europe/london").unwrap().name(), "Europe/London");
        assert_eq!(Zone::new("UTC").unwrap().name(), "UTC");
        for bad in ["", "Mars/Olympus", "+02:00", "EST5EDT,M3.2.0,M11.1.0", "Europe/London/x"] {
            assert!(matches!(Zone::new(bad), Err(Error::UnknownZone(_))), "{bad:?}");
        }
        let zone: Zone = serde_json::from_str("\"America/New_York\"").unwrap();
        assert_eq!(serde_json::to_string(&zone).unwrap(), "\"America/New_York\"");
        assert!(serde_json::from_str::<Zone>("\"Nowhere/Land\"").is_err());
    }

    #[test]
    fn local_times() {
        assert_eq!(parse_local("2026-10-20T09:30").unwrap(), date(2026, 10, 20).at(9, 30, 0, 0));
        assert_eq!(parse_local(" 2026-10-20T09:30:15 ").unwrap(), date(2026, 10, 20).at(9, 30, 15, 0));
        for bad in [
            "2026-10-20",
            "2026-10-20 09:30",
            "20261020T0930",
            "2026-10-20T09:30Z",
            "2026-10-20T09:30-04:00",
            "2026-10-20T09:30+01:00",
            "2026-10-20T09:30:00.5",
            "2026-02-30T09:00",
        ] {
            assert!(parse_local(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn gaps_and_folds() {
        let london = Zone::new("Europe/London").unwrap();
        // 2026-03-29 01:30 does not exist in London: RFC 5545 moves it to 02:30 BST.
        let gap = date(2026, 3, 29).at(1, 30, 0, 0);
        assert_eq!(london.resolve(gap).unwrap().to_string(), "2026-03-29T01:30:00Z");
        assert_eq!(london.resolve_range_start(gap).unwrap().to_string(), "2026-03-29T01:00:00Z");
        assert_eq!(london.resolve_range_end(gap).unwrap().to_string(), "2026-03-29T01:00:00Z");
        // 2026-10-25 01:30 happens twice: BST first.
        let fold = date(2026, 10, 25).at(1, 30, 0, 0);
        assert_eq!(london.resolve(fold).unwrap().to_string(), "2026-10-25T00:30:00Z");
        assert_eq!(london.resolve_range_start(fold).unwrap().to_string(), "2026-10-25T01:30:00Z");
        assert_eq!(london.resolve_range_end(fold).unwrap().to_string(), "2026-10-25T00:30:00Z");
    }
}
