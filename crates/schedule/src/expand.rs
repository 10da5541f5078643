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
        Ok(self
            .instances(from, to, MAX_OCCURRENCES)?
            .into_iter()
            .map(|instance| self.occurrence(instance, zone))
            .collect())
    }

    fn occurrence<'s>(&'s self, instance: Instance<'s>, zone: &Zone) -> Occurrence<'s> {
        let changes = instance.changes;
        let tz = zone.time_zone();
        Occurrence {
            series_id: self.id(),
            recurrence_id: instance.recurrence_id,
            start: instance.start.to_zoned_datetime(tz.clone()),
            end: instance.end.to_zoned_datetime(tz.clone()),
            title: changes.and_then(|c| c.title.as_deref()).unwrap_or(self.title()),
            description: changes.and_then(|c| c.description.as_deref()).or(self.description()),
            overridden: changes.is_some(),
        }
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
        // Recurrence ids are unique within a series, so the order is total.
        out.sort_unstable_by_key(|instance| (instance.start, instance.recurrence_id));
        Ok(out)
    }
}

/// The occurrences of all `series` overlapping `[from, to)`, sorted by start
/// (then series id), shown in `zone`.
pub fn agenda<'s>(series: &'s [Series], from: Timestamp, to: Timestamp, zone: &Zone) -> Result<Vec<Occurrence<'s>>> {
    // Sort small records keyed by integers (ties on the start go by series id,
    // through a rank computed once), then build the larger occurrences.
    let mut by_id: Vec<usize> = (0..series.len()).collect();
    by_id.sort_by_key(|index| series[*index].id());
    let mut rank = vec![0; series.len()];
    for (position, index) in by_id.into_iter().enumerate() {
        rank[index] = position;
    }
    let mut all: Vec<(Instance<'s>, usize)> = Vec::new();
    for (index, one) in series.iter().enumerate() {
        all.extend(one.instances(from, to, MAX_OCCURRENCES)?.into_iter().map(|instance| (instance, index)));
    }
    all.sort_unstable_by_key(|(instance, index)| (instance.start, rank[*index], instance.recurrence_id));
    Ok(all.into_iter().map(|(instance, index)| series[index].occurrence(instance, zone)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::{date_of, days_from_civil, weekday_index};
    use crate::series::SeriesInput;
    use jiff::SignedDuration;
    use jiff::tz::AmbiguousOffset;
    use proptest::prelude::*;

    fn series(id: &str, start: &str, end: &str, zone: &str, rrule: Option<&str>) -> Result<Series> {
        let input = SeriesInput {
            title: format!("meeting {id}"),
            description: None,
            start: start.to_owned(),
            end: end.to_owned(),
            time_zone: zone.to_owned(),
            rrule: rrule.map(str::to_owned),
        };
        Series::from_input(id, &input)
    }

    fn ts(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn rfc_starts(series: &Series, from: &str, to: &str) -> Vec<String> {
        series.expand(ts(from), ts(to), series.zone()).unwrap().iter().map(Occurrence::start_rfc3339).collect()
    }

    #[test]
    fn starts_in_gaps_and_folds() {
        // (zone, local start two days before a transition, the transition day's start as shown)
        let cases = [
            // Spring-forward gaps: shifted forward by the gap (one hour), later days keep the local time.
            ("Europe/London", "2026-03-27T01:30", "2026-03-29T02:30:00+01:00", "2026-03-30T01:30:00+01:00"),
            ("America/New_York", "2026-03-06T02:30", "2026-03-08T03:30:00-04:00", "2026-03-09T02:30:00-04:00"),
            ("Australia/Sydney", "2026-10-02T02:30", "2026-10-04T03:30:00+11:00", "2026-10-05T02:30:00+11:00"),
            // Autumn folds: the first of the two instants.
            ("Europe/London", "2026-10-23T01:30", "2026-10-25T01:30:00+01:00", "2026-10-26T01:30:00+00:00"),
            ("America/New_York", "2026-10-30T01:30", "2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"),
            ("Australia/Sydney", "2026-04-03T02:30", "2026-04-05T02:30:00+11:00", "2026-04-06T02:30:00+10:00"),
        ];
        for (zone, start, on_the_day, day_after) in cases {
            let end = start.replace("T01:30", "T01:45").replace("T02:30", "T02:45");
            let daily = series("d", start, &end, zone, Some("FREQ=DAILY;COUNT=5")).unwrap();
            let starts = rfc_starts(&daily, "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z");
            assert_eq!(starts.len(), 5, "{zone} {start}");
            assert_eq!((starts[2].as_str(), starts[3].as_str()), (on_the_day, day_after), "{zone} {start}");
            let all = daily.expand(ts("2026-01-01T00:00:00Z"), ts("2027-01-01T00:00:00Z"), daily.zone()).unwrap();
            assert!(all.iter().all(|o| o.start.duration_until(&o.end) == SignedDuration::from_mins(15)));
        }
        // Santiago springs forward at midnight: 00:30 on that Sunday is 01:30, not skipped.
        let santiago =
            series("c", "2026-09-05T00:30", "2026-09-05T00:45", "America/Santiago", Some("FREQ=DAILY;COUNT=3"))
                .unwrap();
        assert_eq!(
            rfc_starts(&santiago, "2026-09-01T00:00:00Z", "2026-10-01T00:00:00Z"),
            ["2026-09-05T00:30:00-04:00", "2026-09-06T01:30:00-03:00", "2026-09-07T00:30:00-03:00"]
        );
        // A series that starts inside the gap is shifted the same way.
        let in_gap =
            series("g", "2026-03-29T01:30", "2026-03-29T03:00", "Europe/London", Some("FREQ=WEEKLY;COUNT=2")).unwrap();
        assert_eq!(
            rfc_starts(&in_gap, "2026-03-01T00:00:00Z", "2026-05-01T00:00:00Z"),
            ["2026-03-29T02:30:00+01:00", "2026-04-05T01:30:00+01:00"]
        );
    }

    #[test]
    fn ranges_counts_and_output_zones() {
        let standup = series(
            "a",
            "2026-10-19T09:30",
            "2026-10-19T10:00",
            "Europe/London",
            Some("FREQ=WEEKLY;BYDAY=MO,WE;COUNT=4"),
        )
        .unwrap();
        let new_york = Zone::new("America/New_York").unwrap();
        let shown = standup.expand(ts("2026-01-01T00:00:00Z"), ts("2027-01-01T00:00:00Z"), &new_york).unwrap();
        let starts: Vec<_> = shown.iter().map(Occurrence::start_rfc3339).collect();
        // London leaves BST on 25 October, New York leaves EDT on 1 November.
        assert_eq!(
            starts,
            [
                "2026-10-19T04:30:00-04:00",
                "2026-10-21T04:30:00-04:00",
                "2026-10-26T05:30:00-04:00",
                "2026-10-28T05:30:00-04:00"
            ]
        );
        let json = serde_json::to_value(&shown[0]).unwrap();
        assert_eq!(json["start"], "2026-10-19T04:30:00-04:00");
        assert_eq!(json["end"], "2026-10-19T05:00:00-04:00");
        assert_eq!(json["recurrence_id"], "2026-10-19T09:30:00");
        assert_eq!(json["overridden"], false);

        // An occurrence still running at `from` is listed; one ending at `from` is not.
        assert_eq!(rfc_starts(&standup, "2026-10-19T08:45:00Z", "2026-10-19T08:50:00Z").len(), 1);
        assert!(rfc_starts(&standup, "2026-10-19T09:00:00Z", "2026-10-20T00:00:00Z").is_empty());
        assert!(rfc_starts(&standup, "2026-10-20T00:00:00Z", "2026-10-19T00:00:00Z").is_empty());

        let until = series(
            "u",
            "2026-10-19T09:30",
            "2026-10-19T10:00",
            "Europe/London",
            Some("FREQ=DAILY;UNTIL=20261022T083000Z"),
        )
        .unwrap();
        assert_eq!(rfc_starts(&until, "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z").len(), 4, "UNTIL is inclusive");
        let single = series("s", "2026-10-19T09:30", "2026-10-19T10:00", "Europe/London", None).unwrap();
        assert_eq!(rfc_starts(&single, "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"), ["2026-10-19T09:30:00+01:00"]);
    }

    #[test]
    fn expansion_is_bounded() {
        let daily = series("d", "2026-01-01T09:00", "2026-01-01T09:15", "Europe/London", Some("FREQ=DAILY")).unwrap();
        assert_eq!(
            daily.expand(ts("2026-01-01T00:00:00Z"), ts("2027-01-01T00:00:00Z"), daily.zone()).unwrap().len(),
            365
        );
        let error = daily.expand(ts("2026-01-01T00:00:00Z"), ts("2046-01-01T00:00:00Z"), daily.zone()).unwrap_err();
        assert_eq!(error, Error::TooManyOccurrences { limit: MAX_OCCURRENCES });
        // Far in the future without COUNT: straight there.
        let far = daily.expand(ts("2999-01-01T00:00:00Z"), ts("2999-01-08T00:00:00Z"), daily.zone()).unwrap();
        assert_eq!(far.len(), 7);
        // The whole calendar for a sparse rule ends, with an error rather than a hang.
        let leap = series(
            "l",
            "2028-02-29T09:00",
            "2028-02-29T10:00",
            "Europe/London",
            Some("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=29"),
        )
        .unwrap();
        assert!(leap.expand(Timestamp::MIN, Timestamp::MAX, leap.zone()).is_err());
    }

    #[test]
    fn agenda_merges_series_in_order() {
        let a =
            series("a", "2026-10-19T09:30", "2026-10-19T10:00", "Europe/London", Some("FREQ=DAILY;COUNT=3")).unwrap();
        let b =
            series("b", "2026-10-19T10:00", "2026-10-19T11:00", "Europe/Berlin", Some("FREQ=DAILY;COUNT=3")).unwrap();
        let c = series("c", "2026-10-20T04:00", "2026-10-20T05:00", "America/New_York", None).unwrap();
        let all = [a, b, c];
        let utc = Zone::utc();
        let agenda = agenda(&all, ts("2026-10-19T00:00:00Z"), ts("2026-10-21T00:00:00Z"), &utc).unwrap();
        let got: Vec<_> = agenda.iter().map(|o| (o.series_id, o.start_rfc3339())).collect();
        assert_eq!(
            got,
            [
                ("b", "2026-10-19T08:00:00+00:00".to_owned()),
                ("a", "2026-10-19T08:30:00+00:00".to_owned()),
                ("b", "2026-10-20T08:00:00+00:00".to_owned()),
                ("c", "2026-10-20T08:00:00+00:00".to_owned()),
                ("a", "2026-10-20T08:30:00+00:00".to_owned()),
            ]
        );
    }

    const ZONES: [&str; 3] = ["Europe/London", "America/New_York", "Australia/Sydney"];
    const CODES: [&str; 7] = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];

    /// The dates a DAILY or (Monday-week) WEEKLY rule yields, by brute force.
    fn oracle_days(start_day: i64, weekly: bool, interval: i64, weekdays: &[u8], count: usize) -> Vec<i64> {
        let week = |day: i64| (day - i64::from(weekday_index(day))) / 7;
        (start_day..)
            .filter(|day| {
                if weekly {
                    weekdays.contains(&weekday_index(*day)) && (week(*day) - week(start_day)) % interval == 0
                } else {
                    (day - start_day) % interval == 0
                }
            })
            .take(count)
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn daily_and_weekly_keep_their_wall_clock_time_across_dst(
            zone in 0..3usize,
            day in 0i64..(3 * 365),
            minute in prop_oneof![0i64..1440, 60i64..240],
            weekly in any::<bool>(),
            interval in 1i64..4,
            extra_days in proptest::collection::btree_set(0u8..7, 0..4),
            count in 1usize..80,
            length in 1i64..240,
        ) {
            let start_day = days_from_civil(2025, 1, 1) + day;
            let start = date_of(start_day).unwrap().at((minute / 60) as i8, (minute % 60) as i8, 0, 0);
            let end = start.checked_add(SignedDuration::from_mins(length)).unwrap();
            let mut weekdays: Vec<u8> = extra_days.into_iter().collect();
            weekdays.push(weekday_index(start_day));
            weekdays.sort_unstable();
            weekdays.dedup();
            let rule = if weekly {
                let codes: Vec<_> = weekdays.iter().map(|w| CODES[usize::from(*w)]).collect();
                format!("FREQ=WEEKLY;INTERVAL={interval};COUNT={count};BYDAY={}", codes.join(","))
            } else {
                format!("FREQ=DAILY;INTERVAL={interval};COUNT={count}")
            };
            let made = series("p", &start.to_string(), &end.to_string(), ZONES[zone], Some(&rule));
            // A start inside a gap can resolve after an end just past it: refused, rightly.
            prop_assume!(made.is_ok());
            let series = made.unwrap();
            let tz = series.zone().time_zone().clone();
            let duration = series.duration().unwrap();
            let from = series.zone().resolve(start).unwrap().checked_sub(SignedDuration::from_hours(48)).unwrap();
            let to = from.checked_add(SignedDuration::from_hours(24 * 365 * 5)).unwrap();
            let occurrences = series.expand(from, to, series.zone()).unwrap();
            let expected = oracle_days(start_day, weekly, interval, &weekdays, count);
            prop_assert_eq!(occurrences.len(), expected.len());
            for (occurrence, day) in occurrences.iter().zip(expected) {
                let local = date_of(day).unwrap().to_datetime(start.time());
                prop_assert_eq!(occurrence.recurrence_id, local);
                match tz.to_ambiguous_timestamp(local).offset() {
                    AmbiguousOffset::Unambiguous { offset } => {
                        prop_assert_eq!(occurrence.start.datetime(), local);
                        prop_assert_eq!(occurrence.start.offset(), offset);
                    }
                    AmbiguousOffset::Gap { before, after } => {
                        let gap = SignedDuration::from_secs(i64::from(after.seconds() - before.seconds()));
                        prop_assert_eq!(occurrence.start.datetime(), local.checked_add(gap).unwrap(), "shifted by the gap");
                    }
                    AmbiguousOffset::Fold { before, .. } => {
                        prop_assert_eq!(occurrence.start.timestamp(), before.to_timestamp(local).unwrap(), "the first instant");
                    }
                }
                prop_assert_eq!(occurrence.start.duration_until(&occurrence.end), duration);
            }
        }
    }
}
