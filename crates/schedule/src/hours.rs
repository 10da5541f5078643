//! A person's working hours: up to four local ranges per weekday, in the
//! JSON shape the profile API uses, `{"mon":[["09:00","17:00"]], …}`.
//!
//! Rules: times are `HH:MM` (24-hour, two digits each); `24:00` may end a
//! range; each range starts before it ends; ranges of one day do not overlap
//! (touching is fine); at most [`MAX_RANGES_PER_DAY`] a day; a missing day is
//! a day off. The ranges of a day are kept sorted.

use std::collections::BTreeMap;
use std::fmt;

use jiff::civil::Weekday;

use crate::calendar::{index_to_weekday, weekday_to_index};
use crate::error::{Error, Result};

/// The most ranges one day may have.
pub const MAX_RANGES_PER_DAY: usize = 4;

const DAY_KEYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// A range of local wall-clock time within one day, `[start, end)`, in
/// minutes since midnight; `end` may be 1440 (`24:00`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LocalRange {
    start: u16,
    end: u16,
}

impl LocalRange {
    /// A range from `HH:MM` to `HH:MM` (`24:00` allowed as the end).
    pub fn parse(start: &str, end: &str) -> Result<LocalRange> {
        let range = LocalRange { start: parse_hhmm(start, false)?, end: parse_hhmm(end, true)? };
        if range.start >= range.end {
            return Err(Error::WorkingHours(format!("{start}–{end} does not start before it ends")));
        }
        Ok(range)
    }

    /// A range from minutes since midnight (`end` up to 1440).
    pub fn from_minutes(start: u16, end: u16) -> Result<LocalRange> {
        if start >= end || end > 1440 {
            return Err(Error::WorkingHours(format!("minutes {start}–{end} are not a range within a day")));
        }
        Ok(LocalRange { start, end })
    }

    /// Minutes since midnight at which the range starts.
    pub fn start_minute(self) -> u16 {
        self.start
    }

    /// Minutes since midnight at which the range ends (1440 for `24:00`).
    pub fn end_minute(self) -> u16 {
        self.end
    }
}

impl fmt::Display for LocalRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}–{}", hhmm(self.start), hhmm(self.end))
    }
}

/// `HH:MM` of minutes since midnight (1440 is `24:00`).
pub(crate) fn hhmm(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

fn parse_hhmm(text: &str, is_end: bool) -> Result<u16> {
    let bad = || Error::WorkingHours(format!("{text:?} is not a time of day as HH:MM"));
    let bytes = text.as_bytes();
    if bytes.len() != 5 || bytes[2] != b':' {
        return Err(bad());
    }
    let digits = |a: u8, b: u8| -> Option<u16> {
        (a.is_ascii_digit() && b.is_ascii_digit()).then(|| u16::from(a - b'0') * 10 + u16::from(b - b'0'))
    };
    let (Some(hours), Some(minutes)) = (digits(bytes[0], bytes[1]), digits(bytes[3], bytes[4])) else {
        return Err(bad());
    };
    match (hours, minutes) {
        (24, 0) if is_end => Ok(1440),
        (24, 0) => Err(Error::WorkingHours("24:00 may only end a range".to_owned())),
        (0..=23, 0..=59) => Ok(hours * 60 + minutes),
        _ => Err(bad()),
    }
}

/// Working hours for each weekday, in the person's own zone.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WorkingHours {
    days: [Vec<LocalRange>; 7],
}

impl WorkingHours {
    /// Working hours from ranges per weekday; checks every rule above.
    pub fn new(days: impl IntoIterator<Item = (Weekday, Vec<LocalRange>)>) -> Result<WorkingHours> {
        let mut out = WorkingHours::default();
        let mut seen = [false; 7];
        for (weekday, mut ranges) in days {
            let index = usize::from(weekday_to_index(weekday));
            if std::mem::replace(&mut seen[index], true) {
                return Err(Error::WorkingHours(format!("{} is given twice", DAY_KEYS[index])));
            }
            if ranges.len() > MAX_RANGES_PER_DAY {
                return Err(Error::WorkingHours(format!(
                    "{} has {} ranges; at most {MAX_RANGES_PER_DAY} are allowed",
                    DAY_KEYS[index],
                    ranges.len()
                )));
            }
            ranges.sort();
            for pair in ranges.windows(2) {
                if pair[1].start < pair[0].end {
                    return Err(Error::WorkingHours(format!(
                        "{} has overlapping ranges {} and {}",
                        DAY_KEYS[index], pair[0], pair[1]
                    )));
                }
            }
            out.days[index] = ranges;
        }
        Ok(out)
    }

    /// The same ranges Monday to Friday, weekends off (handy for defaults and tests).
    pub fn weekdays(ranges: &[(&str, &str)]) -> Result<WorkingHours> {
        let ranges = ranges.iter().map(|(start, end)| LocalRange::parse(start, end)).collect::<Result<Vec<_>>>()?;
        WorkingHours::new((0..5).map(|index| (index_to_weekday(index), ranges.clone())))
    }

    /// Working hours from the API's map of day keys (`mon` … `sun`) to `[start, end]` pairs.
    pub fn from_map(map: &BTreeMap<String, Vec<(String, String)>>) -> Result<WorkingHours> {
        let mut days = Vec::with_capacity(map.len());
        for (key, ranges) in map {
            let index = DAY_KEYS.iter().position(|day| day == key).ok_or_else(|| {
                Error::WorkingHours(format!("unknown day {key:?}: use mon, tue, wed, thu, fri, sat, sun"))
            })?;
            let ranges = ranges.iter().map(|(start, end)| LocalRange::parse(start, end)).collect::<Result<Vec<_>>>()?;
            days.push((index_to_weekday(index as u8), ranges));
        }
        WorkingHours::new(days)
    }

    /// The API's map: one key per working day, ranges as `["HH:MM", "HH:MM"]`.
    pub fn to_map(&self) -> BTreeMap<String, Vec<(String, String)>> {
        DAY_KEYS
            .iter()
            .zip(&self.days)
            .filter(|(_, ranges)| !ranges.is_empty())
            .map(|(key, ranges)| {
                let pairs = ranges.iter().map(|range| (hhmm(range.start), hhmm(range.end))).collect();
                ((*key).to_owned(), pairs)
            })
            .collect()
    }

    /// The ranges of a weekday, sorted.
    pub fn on(&self, weekday: Weekday) -> &[LocalRange] {
        &self.days[usize::from(weekday_to_index(weekday))]
    }

    /// Whether no day has any working time.
    pub fn is_empty(&self) -> bool {
        self.days.iter().all(Vec::is_empty)
    }
}

impl serde::Serialize for WorkingHours {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_map().serialize(serializer)
    }
}

impl<'de> serde::Deserialize<'de> for WorkingHours {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<WorkingHours, D::Error> {
        let map = BTreeMap::<String, Vec<(String, String)>>::deserialize(deserializer)?;
        WorkingHours::from_map(&map).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<WorkingHours, String> {
        serde_json::from_str::<WorkingHours>(json).map_err(|e| e.to_string())
    }

    #[test]
    fn the_api_shape_round_trips() {
        let json = r#"{"mon":[["13:00","17:30"],["09:00","12:00"]],"fri":[["22:00","24:00"]]}"#;
        let hours = parse(json).unwrap();
        assert_eq!(hours.on(Weekday::Monday).len(), 2);
        assert_eq!(hours.on(Weekday::Monday)[0].to_string(), "09:00–12:00", "sorted");
        assert_eq!(hours.on(Weekday::Friday)[0].end_minute(), 1440);
        assert!(hours.on(Weekday::Sunday).is_empty());
        assert_eq!(
            serde_json::to_string(&hours).unwrap(),
            r#"{"fri":[["22:00","24:00"]],"mon":[["09:00","12:00"],["13:00","17:30"]]}"#
        );
        assert!(parse("{}").unwrap().is_empty());
        let touching = parse(r#"{"tue":[["09:00","12:00"],["12:00","17:00"]]}"#).unwrap();
        assert_eq!(touching.on(Weekday::Tuesday).len(), 2);
    }

    #[test]
    fn what_is_refused() {
        let cases = [
            (r#"{"mon":[["9:00","17:00"]]}"#, "HH:MM"),
            (r#"{"mon":[["09:00","17:60"]]}"#, "HH:MM"),
            (r#"{"mon":[["24:00","24:00"]]}"#, "24:00 may only end"),
            (r#"{"mon":[["25:00","26:00"]]}"#, "HH:MM"),
            (r#"{"mon":[["17:00","09:00"]]}"#, "does not start before it ends"),
            (r#"{"mon":[["09:00","09:00"]]}"#, "does not start before it ends"),
            (r#"{"mon":[["09:00","12:00"],["11:00","13:00"]]}"#, "overlapping"),
            (r#"{"monday":[["09:00","12:00"]]}"#, "unknown day"),
            (
                r#"{"mon":[["01:00","02:00"],["03:00","04:00"],["05:00","06:00"],["07:00","08:00"],["09:00","10:00"]]}"#,
                "at most 4",
            ),
            (r#"{"mon":[["09:00"]]}"#, "invalid length"),
        ];
        for (json, expected) in cases {
            let error = parse(json).unwrap_err();
            assert!(error.contains(expected), "{json}: {error}");
        }
        assert!(WorkingHours::new([(Weekday::Monday, vec![]), (Weekday::Monday, vec![])]).is_err());
        assert!(LocalRange::from_minutes(600, 1441).is_err());
    }
}
