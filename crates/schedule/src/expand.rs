//! The agenda: occurrences of series within a range of instants, with
//! cancelled occurrences left out and overrides applied, shown in a zone
//! of the caller's choice.
//!
//! An occurrence is in the range when it overlaps it (`end > from` and
//! `start < to`), so a meeting already running at `from` is listed. One
//! series may yield at most [`MAX_OCCURRENCES`] occurrences per query;
//! more is an error asking for a shorter range, never a truncated list.

use jiff::civil::DateTime;
use jiff::{Timestamp, ZonedDateTime};

use crate::busy::{Interval, shift};
use crate::calendar::day_number;
use crate::error::{Error, Result};
use crate::rule::Visit;
use crate::series::{Override, Series};
use crate::zone::Zone;

/// The most occurrences one series may yield in one query.
pub const MAX_OCCURRENCES: usize = 5_000;

/// One occurrence of a series.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Occurrence<'s> {
    /// The series' id.
    pub series_id: &'s str,
    /// The original local start in the series' zone (the `RECURRENCE-ID`),
    /// which edits and cancellations of this occurrence name.
    pub recurrence_id: DateTime,
    /// When it starts, in the zone asked for.
    pub start: ZonedDateTime,
    /// When it ends, in the zone asked for.
    pub end: ZonedDateTime,
    /// Its title (an override's, or the series').
    pub title: &'s str,
    /// Its description (an override's, or the series').
    pub description: Option<&'s str>,
    /// Whether an override changed it.
    pub overridden: bool,
}

impl Occurrence<'_> {
    /// The start as RFC 3339 with the offset of the zone asked for
    /// (`2026-10-20T09:30:00+01:00`).
    pub fn start_rfc3339(&self) -> String {
        rfc3339(&self.start)
    }

    /// The end as RFC 3339 with the offset of the zone asked for.
    pub fn end_rfc3339(&self) -> String {
        rfc3339(&self.end)
    }

    /// The occurrence as an interval of instants.
    pub fn interval(&self) -> Interval {
        Interval { start: self.start.timestamp(), end: self.end.timestamp() }
    }
}

fn rfc3339(at: &ZonedDateTime) -> String {
    at.timestamp().display_with_offset(at.offset()).to_string()
}

/// The agenda API's shape: times as RFC 3339 with offsets.
impl serde::Serialize for Occurrence<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut out = serializer.serialize_struct("Occurrence", 7)?;
        out.serialize_field("series_id", self.series_id)?;
        out.serialize_field("recurrence_id", &self.recurrence_id)?;
        out.serialize_field("start", &self.start_rfc3339())?;
        out.serialize_field("end", &self.end_rfc3339())?;
        out.serialize_field("title", self.title)?;
        out.serialize_field("description", &self.description)?;
        out.serialize_field("overridden", &self.overridden)?;
        out.end()
    }
}

/// An occurrence as instants, before it is shown in a zone.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Instance<'s> {
    pub(crate) recurrence_id: DateTime,
    pub(crate) start: Timestamp,
    pub(crate) end: Timestamp,
    pub(crate) changes: Option<&'s Override>,
}

impl Series {
    /// The occurrences overlapping `[from, to)`, sorted by start, shown in `zone`.
    pub fn expand(&self, from: Timestamp, to: Timestamp, zone: &Zone) -> Result<Vec<Occurrence<'_>>> {
        let tz = zone.time_zone();
        Ok(self
            .instances(from, to, MAX_OCCURRENCES)?
            .into_iter()
            .map(|instance| {
                let changes = instance.changes;
                Occurrence {
                    series_id: self.id(),
                    recurrence_id: instance.recurrence_id,
                    start: instance.start.to_zoned_datetime(tz.clone()),
                    end: instance.end.to_zoned_datetime(tz.clone()),
                    title: changes.and_then(|c| c.title.as_deref()).unwrap_or(self.title()),
                    description: changes.and_then(|c| c.description.as_deref()).or(self.description()),
                    overridden: changes.is_some(),
                }
            })
            .collect())
    }

    /// The occurrences overlapping `[from, to)` as instants, sorted by start;
    /// an error past `limit`.
    pub(crate) fn instances(&self, from: Timestamp, to: Timestamp, limit: usize) -> Result<Vec<Instance<'_>>> {
        let mut out = Vec::new();
        if from >= to {
            return Ok(out);
        }
        let zone = self.zone();
        let duration = self.duration()?;
        let too_many = || Error::TooManyOccurrences { limit };
        match self.rule() {
            None => {
                let start = zone.resolve(self.start())?;
                let end = start.checked_add(duration)?;
                if end > from && start < to {
                    out.push(Instance { recurrence_id: self.start(), start, end, changes: None });
                }
            }
            Some(rule) => {
                let (exdates, overrides) = (self.exdates(), self.overrides());
                let lo = day_number(zone.local(shift(from, -duration)).date()) - 1;
                let hi = day_number(zone.local(to).date()) + 1;
                rule.for_each(self.start(), zone, lo, hi, |local, start| {
                    if exdates.contains(&local) || overrides.contains_key(&local) {
                        return Ok(Visit::Continue);
                    }
                    let end = start.checked_add(duration)?;
                    if end > from && start < to {
                        if out.len() == limit {
                            return Err(too_many());
                        }
                        out.push(Instance { recurrence_id: local, start, end, changes: None });
                    }
                    Ok(Visit::Continue)
                })?;
                for (key, changes) in overrides {
                    if exdates.contains(key) {
                        continue;
                    }
                    let (start, end) = match changes.moved {
                        Some(moved) => (zone.resolve(moved.start)?, zone.resolve(moved.end)?),
                        None => {
                            let start = zone.resolve(*key)?;
                            (start, start.checked_add(duration)?)
                        }
                    };
                    if end > from && start < to {
                        if out.len() == limit {
                            return Err(too_many());
                        }
                        out.push(Instance { recurrence_id: *key, start, end, changes: Some(changes) });
                    }
                }
            }
        }
        out.sort_by_key(|instance| (instance.start, instance.recurrence_id));
        Ok(out)
    }
}

/// The occurrences of all `series` overlapping `[from, to)`, sorted by start
/// (then series id), shown in `zone`.
pub fn agenda<'s>(series: &'s [Series], from: Timestamp, to: Timestamp, zone: &Zone) -> Result<Vec<Occurrence<'s>>> {
    let mut out = Vec::new();
    for one in series {
        out.extend(one.expand(from, to, zone)?);
    }
    out.sort_by(|a, b| {
        (a.start.timestamp(), a.series_id, a.recurrence_id).cmp(&(b.start.timestamp(), b.series_id, b.recurrence_id))
    });
    Ok(out)
}
