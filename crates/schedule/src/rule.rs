//! Recurrence rules: the RFC 5545 `RRULE` subset meetings need, parsed,
//! checked, written back in a canonical order, and expanded on local dates.
//!
//! Supported: `FREQ` = `DAILY`, `WEEKLY`, `MONTHLY`, `YEARLY`; `INTERVAL`;
//! `COUNT` or `UNTIL`; `BYDAY` (with ordinals such as `2TU` or `-1FR` for
//! monthly and yearly rules); `BYMONTHDAY` (negative counts from the month's
//! end); `BYMONTH`; `WKST`. Sub-daily frequencies and the other `BY` parts
//! are refused with [`Error::Unsupported`].
//!
//! Expansion works on local dates (every occurrence keeps the wall-clock time
//! of the start), then resolves each local time in the zone by RFC 5545, so
//! DST never moves a meeting's local time. It walks whole periods (a day, a
//! week, a month or a year) and tests each day of a period against the rule's
//! filters, which is how RFC 5545 defines BYxxx expansion and limiting; rules
//! without `COUNT` jump straight to the first period of the requested range.

use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;
use jiff::civil::{Date, DateTime, Time, Weekday};

use crate::calendar::{
    civil_from_days, day_number, days_from_civil, days_in_month, days_in_year, index_to_weekday, weekday_index,
    weekday_to_index,
};
use crate::error::{Error, Result};
use crate::zone::Zone;

/// The largest `INTERVAL` accepted.
pub const MAX_INTERVAL: u32 = 1000;
/// How many periods (days, weeks, months, years) one expansion may walk
/// before it gives up; a guard against pathological ranges, far above any
/// real query.
const MAX_PERIODS: u64 = 2_000_000;
/// 9999-12-31, the last day jiff represents.
const LAST_DAY: i64 = 2_932_896;

/// How often a rule repeats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Frequency {
    /// Every `INTERVAL` days.
    Daily,
    /// Every `INTERVAL` weeks.
    Weekly,
    /// Every `INTERVAL` months.
    Monthly,
    /// Every `INTERVAL` years.
    Yearly,
}

impl Frequency {
    fn as_str(self) -> &'static str {
        match self {
            Frequency::Daily => "DAILY",
            Frequency::Weekly => "WEEKLY",
            Frequency::Monthly => "MONTHLY",
            Frequency::Yearly => "YEARLY",
        }
    }
}

/// A `BYDAY` entry: a weekday, optionally the n-th of its month or year
/// (`2TU` = second Tuesday, `-1FR` = last Friday).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct WeekdayNum {
    /// Which occurrence within the month (or year), counted from the end when negative.
    pub ordinal: Option<i8>,
    /// The weekday.
    pub weekday: Weekday,
}

/// The end of a rule as written: a date, a floating local time, or UTC.
/// A [`Series`](crate::Series) keeps it in UTC, as RFC 5545 requires when the
/// start has a time zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Until {
    /// `UNTIL=20261231`: occurrences on that local date still count.
    Date(Date),
    /// `UNTIL=20261231T170000`: a local time in the series' zone.
    Local(DateTime),
    /// `UNTIL=20261231T170000Z`.
    Utc(Timestamp),
}

/// A parsed, checked recurrence rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    frequency: Frequency,
    interval: u32,
    count: Option<u32>,
    until: Option<Until>,
    by_day: Vec<WeekdayNum>,
    by_month_day: Vec<i8>,
    by_month: Vec<i8>,
    week_start: Weekday,
}

impl Rule {
    /// Parses an `RRULE` value (an `RRULE:` prefix is allowed); see the module
    /// documentation for what is supported.
    pub fn parse(text: &str) -> Result<Rule> {
        let text = text.trim();
        let body = match text.get(..6) {
            Some(prefix) if prefix.eq_ignore_ascii_case("RRULE:") => &text[6..],
            _ => text,
        };
        if body.is_empty() {
            return Err(Error::Rule("the rule is empty".to_owned()));
        }
        if body.len() > 1024 {
            return Err(Error::Rule("the rule is longer than 1024 characters".to_owned()));
        }
        let mut frequency = None;
        let mut interval = None;
        let mut count = None;
        let mut until = None;
        let mut by_day: Option<Vec<WeekdayNum>> = None;
        let mut by_month_day: Option<Vec<i8>> = None;
        let mut by_month: Option<Vec<i8>> = None;
        let mut week_start = None;
        for part in body.split(';').filter(|part| !part.trim().is_empty()) {
            let (name, value) =
                part.split_once('=').ok_or_else(|| Error::Rule(format!("{part:?} is not of the form NAME=VALUE")))?;
            let name = name.trim().to_ascii_uppercase();
            let value = value.trim().to_ascii_uppercase();
            if value.is_empty() {
                return Err(Error::Rule(format!("{name} has no value")));
            }
            match name.as_str() {
                "FREQ" => set_once(&mut frequency, parse_frequency(&value)?, &name)?,
                "INTERVAL" => {
                    let n = parse_number::<u32>(&value, &name)?;
                    if !(1..=MAX_INTERVAL).contains(&n) {
                        return Err(Error::Rule(format!("INTERVAL must be from 1 to {MAX_INTERVAL}")));
                    }
                    set_once(&mut interval, n, &name)?;
                }
                "COUNT" => {
                    let n = parse_number::<u32>(&value, &name)?;
                    if n == 0 {
                        return Err(Error::Rule("COUNT must be at least 1".to_owned()));
                    }
                    set_once(&mut count, n, &name)?;
                }
                "UNTIL" => set_once(&mut until, parse_until(&value)?, &name)?,
                "BYDAY" => set_once(&mut by_day, list(&value, parse_weekday_num)?, &name)?,
                "BYMONTHDAY" => set_once(&mut by_month_day, list(&value, parse_month_day)?, &name)?,
                "BYMONTH" => set_once(&mut by_month, list(&value, parse_month)?, &name)?,
                "WKST" => set_once(&mut week_start, parse_weekday(&value)?, &name)?,
                "BYSETPOS" | "BYWEEKNO" | "BYYEARDAY" | "BYHOUR" | "BYMINUTE" | "BYSECOND" | "RSCALE" | "SKIP" => {
                    return Err(Error::Unsupported(name));
                }
                _ => return Err(Error::Rule(format!("unknown part {name}"))),
            }
        }
        let frequency = frequency.ok_or_else(|| Error::Rule("FREQ is missing".to_owned()))?;
        if count.is_some() && until.is_some() {
            return Err(Error::Rule("COUNT and UNTIL cannot both be given".to_owned()));
        }
        let mut by_day = by_day.unwrap_or_default();
        let mut by_month_day = by_month_day.unwrap_or_default();
        let mut by_month = by_month.unwrap_or_default();
        let max_ordinal = match frequency {
            Frequency::Yearly if by_month.is_empty() => 53,
            Frequency::Yearly | Frequency::Monthly => 5,
            Frequency::Daily | Frequency::Weekly => 0,
        };
        for entry in &by_day {
            if let Some(n) = entry.ordinal {
                if max_ordinal == 0 {
                    return Err(Error::Rule(format!(
                        "BYDAY={} needs FREQ=MONTHLY or FREQ=YEARLY",
                        WeekdayNumDisplay(*entry)
                    )));
                }
                if n.unsigned_abs() > max_ordinal {
                    return Err(Error::Rule(format!(
                        "BYDAY={} is out of range: at most {max_ordinal} weekdays of a kind in the period",
                        WeekdayNumDisplay(*entry)
                    )));
                }
            }
        }
        if frequency == Frequency::Weekly && !by_month_day.is_empty() {
            return Err(Error::Rule("BYMONTHDAY cannot be used with FREQ=WEEKLY".to_owned()));
        }
        by_day.sort_by_key(|entry| (weekday_to_index(entry.weekday), entry.ordinal));
        by_day.dedup();
        by_month_day.sort_unstable();
        by_month_day.dedup();
        by_month.sort_unstable();
        by_month.dedup();
        Ok(Rule {
            frequency,
            interval: interval.unwrap_or(1),
            count,
            until,
            by_day,
            by_month_day,
            by_month,
            week_start: week_start.unwrap_or(Weekday::Monday),
        })
    }

    /// How often the rule repeats.
    pub fn frequency(&self) -> Frequency {
        self.frequency
    }

    /// Every how many periods.
    pub fn interval(&self) -> u32 {
        self.interval
    }

    /// How many occurrences in all (including cancelled ones), if bounded by count.
    pub fn count(&self) -> Option<u32> {
        self.count
    }

    /// The last possible occurrence, if bounded by time.
    pub fn until(&self) -> Option<Until> {
        self.until
    }

    /// The `BYDAY` entries, sorted.
    pub fn by_day(&self) -> &[WeekdayNum] {
        &self.by_day
    }

    /// The `BYMONTHDAY` entries, sorted.
    pub fn by_month_day(&self) -> &[i8] {
        &self.by_month_day
    }

    /// The `BYMONTH` entries, sorted.
    pub fn by_month(&self) -> &[i8] {
        &self.by_month
    }

    /// The first day of the week (`WKST`), Monday unless given.
    pub fn week_start(&self) -> Weekday {
        self.week_start
    }

    /// Whether the rule ends (by count or by time).
    pub fn is_bounded(&self) -> bool {
        self.count.is_some() || self.until.is_some()
    }

    /// The same rule ending at `until` instead of by count.
    pub(crate) fn with_until(&self, until: Until) -> Rule {
        Rule { until: Some(until), count: None, ..self.clone() }
    }

    /// The same rule with another count (and no `UNTIL`).
    pub(crate) fn with_count(&self, count: u32) -> Rule {
        Rule { count: Some(count), until: None, ..self.clone() }
    }

    /// The same rule with `BYDAY` replaced.
    pub(crate) fn with_by_day(&self, by_day: Vec<WeekdayNum>) -> Rule {
        Rule { by_day, ..self.clone() }
    }

    /// The same rule with `UNTIL` as an instant, resolved in `zone`: a date
    /// keeps its whole local day, a local time resolves by RFC 5545.
    pub(crate) fn with_until_in_utc(&self, zone: &Zone) -> Result<Rule> {
        let until = match self.until {
            None | Some(Until::Utc(_)) => return Ok(self.clone()),
            Some(Until::Date(date)) => zone.resolve(date.at(23, 59, 59, 0))?,
            Some(Until::Local(local)) => zone.resolve(local)?,
        };
        Ok(Rule { until: Some(Until::Utc(until)), ..self.clone() })
    }

    /// Whether a rule anchored at `start` generates `start` itself (RFC 5545
    /// leaves the set undefined otherwise, so series require it).
    pub(crate) fn matches_start(&self, start: DateTime) -> bool {
        let filters = Filters::new(self, start);
        let day = day_number(start.date());
        let (year, month, dom) = civil_from_days(day);
        filters.matches_day(year, month, dom, weekday_index(day))
    }

    /// Calls `visit` with each occurrence (local start, instant) of the rule
    /// anchored at `start` whose local date is within `lo..=hi` (day numbers),
    /// in order, until `visit` says stop or the rule or range ends.
    pub(crate) fn for_each(
        &self,
        start: DateTime,
        zone: &Zone,
        lo: i64,
        hi: i64,
        mut visit: impl FnMut(DateTime, Timestamp) -> Result<Visit>,
    ) -> Result<()> {
        let walk = Walk::new(self, start, zone);
        let hi = hi.min(walk.last_day);
        let mut period = if self.count.is_none() { walk.period_of(lo).max(0) } else { 0 };
        let mut emitted: u64 = 0;
        let mut days: Vec<Day> = Vec::with_capacity(31);
        let mut walked: u64 = 0;
        loop {
            let first_day = walk.period_days(period, &mut days);
            if first_day > hi {
                return Ok(());
            }
            walked += 1;
            if walked > MAX_PERIODS {
                return Err(Error::Invalid("the requested range is too long for this rule".to_owned()));
            }
            for &Day { number: day, year, month, day: dom } in &days {
                if day < walk.start_day {
                    continue;
                }
                if day > hi {
                    return Ok(());
                }
                emitted += 1;
                if self.count.is_some_and(|count| emitted > u64::from(count)) {
                    return Ok(());
                }
                if day < lo {
                    continue;
                }
                let year = i16::try_from(year).map_err(|_| Error::OutOfRange(format!("year {year}")))?;
                let local = DateTime::from_parts(Date::new(year, month as i8, dom as i8)?, walk.time);
                let instant = zone.resolve(local)?;
                if walk.past_until(local, instant) {
                    return Ok(());
                }
                if visit(local, instant)? == Visit::Stop {
                    return Ok(());
                }
            }
            period += 1;
        }
    }
}

/// A day a period yields: its day number and civil date.
#[derive(Clone, Copy, Debug)]
struct Day {
    number: i64,
    year: i32,
    month: u8,
    day: u8,
}

/// What a visitor of [`Rule::for_each`] wants next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Visit {
    Continue,
    Stop,
}

impl FromStr for Rule {
    type Err = Error;

    fn from_str(text: &str) -> Result<Rule> {
        Rule::parse(text)
    }
}

/// The canonical `RRULE` value: `FREQ`, `INTERVAL` (when not 1), `COUNT` or
/// `UNTIL`, `BYMONTH`, `BYMONTHDAY`, `BYDAY`, `WKST` (when not Monday).
impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FREQ={}", self.frequency.as_str())?;
        if self.interval != 1 {
            write!(f, ";INTERVAL={}", self.interval)?;
        }
        if let Some(count) = self.count {
            write!(f, ";COUNT={count}")?;
        }
        match self.until {
            None => {}
            Some(Until::Date(date)) => write!(f, ";UNTIL={}", date.strftime("%Y%m%d"))?,
            Some(Until::Local(local)) => write!(f, ";UNTIL={}", local.strftime("%Y%m%dT%H%M%S"))?,
            Some(Until::Utc(instant)) => write!(f, ";UNTIL={}", instant.strftime("%Y%m%dT%H%M%SZ"))?,
        }
        let join = |f: &mut fmt::Formatter<'_>, name: &str, items: Vec<String>| -> fmt::Result {
            if items.is_empty() { Ok(()) } else { write!(f, ";{name}={}", items.join(",")) }
        };
        join(f, "BYMONTH", self.by_month.iter().map(i8::to_string).collect())?;
        join(f, "BYMONTHDAY", self.by_month_day.iter().map(i8::to_string).collect())?;
        join(f, "BYDAY", self.by_day.iter().map(|entry| WeekdayNumDisplay(*entry).to_string()).collect())?;
        if self.week_start != Weekday::Monday {
            write!(f, ";WKST={}", weekday_code(self.week_start))?;
        }
        Ok(())
    }
}

impl serde::Serialize for Rule {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Rule {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Rule, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Rule::parse(&text).map_err(serde::de::Error::custom)
    }
}

struct WeekdayNumDisplay(WeekdayNum);

impl fmt::Display for WeekdayNumDisplay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(n) = self.0.ordinal {
            write!(f, "{n}")?;
        }
        f.write_str(weekday_code(self.0.weekday))
    }
}

/// The two-letter RFC 5545 code of a weekday.
pub(crate) fn weekday_code(weekday: Weekday) -> &'static str {
    ["MO", "TU", "WE", "TH", "FR", "SA", "SU"][usize::from(weekday_to_index(weekday))]
}

fn set_once<T>(slot: &mut Option<T>, value: T, name: &str) -> Result<()> {
    if slot.replace(value).is_some() {
        return Err(Error::Rule(format!("{name} is given twice")));
    }
    Ok(())
}

fn parse_number<T: FromStr>(value: &str, name: &str) -> Result<T> {
    if !value.bytes().all(|b| b.is_ascii_digit() || b == b'-' || b == b'+') {
        return Err(Error::Rule(format!("{name}={value} is not a number")));
    }
    value.parse().map_err(|_| Error::Rule(format!("{name}={value} is not a number in range")))
}

fn list<T>(value: &str, parse: impl Fn(&str) -> Result<T>) -> Result<Vec<T>> {
    value.split(',').map(|item| parse(item.trim())).collect()
}

fn parse_frequency(value: &str) -> Result<Frequency> {
    match value {
        "DAILY" => Ok(Frequency::Daily),
        "WEEKLY" => Ok(Frequency::Weekly),
        "MONTHLY" => Ok(Frequency::Monthly),
        "YEARLY" => Ok(Frequency::Yearly),
        "HOURLY" | "MINUTELY" | "SECONDLY" => {
            Err(Error::Unsupported(format!("FREQ={value} (repeating more often than daily)")))
        }
        _ => Err(Error::Rule(format!("FREQ={value} is not a frequency"))),
    }
}

fn parse_weekday(value: &str) -> Result<Weekday> {
    let index = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
        .iter()
        .position(|code| *code == value)
        .ok_or_else(|| Error::Rule(format!("{value:?} is not a weekday (MO, TU, WE, TH, FR, SA, SU)")))?;
    Ok(index_to_weekday(index as u8))
}

fn parse_weekday_num(value: &str) -> Result<WeekdayNum> {
    if value.len() < 2 || !value.is_char_boundary(value.len() - 2) {
        return Err(Error::Rule(format!("BYDAY={value} is not a weekday")));
    }
    let (ordinal, code) = value.split_at(value.len() - 2);
    let weekday = parse_weekday(code)?;
    let ordinal = if ordinal.is_empty() {
        None
    } else {
        let n: i8 = parse_number(ordinal, "BYDAY")?;
        if n == 0 {
            return Err(Error::Rule(format!("BYDAY={value}: the ordinal cannot be 0")));
        }
        Some(n)
    };
    Ok(WeekdayNum { ordinal, weekday })
}

fn parse_month_day(value: &str) -> Result<i8> {
    let n: i8 = parse_number(value, "BYMONTHDAY")?;
    if n == 0 || n.unsigned_abs() > 31 {
        return Err(Error::Rule(format!("BYMONTHDAY={value} must be from 1 to 31 or -31 to -1")));
    }
    Ok(n)
}

fn parse_month(value: &str) -> Result<i8> {
    let n: i8 = parse_number(value, "BYMONTH")?;
    if !(1..=12).contains(&n) {
        return Err(Error::Rule(format!("BYMONTH={value} must be from 1 to 12")));
    }
    Ok(n)
}

fn parse_until(value: &str) -> Result<Until> {
    let bad = || Error::Rule(format!("UNTIL={value} is not YYYYMMDD, YYYYMMDDTHHMMSS or YYYYMMDDTHHMMSSZ"));
    let bytes = value.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Result<i16> {
        let part = bytes.get(range).ok_or_else(bad)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return Err(bad());
        }
        Ok(part.iter().fold(0i16, |n, b| n * 10 + i16::from(b - b'0')))
    };
    let date = Date::new(digits(0..4)?, digits(4..6)? as i8, digits(6..8)? as i8).map_err(|_| bad())?;
    match bytes.len() {
        8 => Ok(Until::Date(date)),
        15 | 16 if bytes[8] == b'T' => {
            let time =
                Time::new(digits(9..11)? as i8, digits(11..13)? as i8, digits(13..15)? as i8, 0).map_err(|_| bad())?;
            let local = date.to_datetime(time);
            match bytes.get(15) {
                None => Ok(Until::Local(local)),
                Some(b'Z') => Ok(Until::Utc(Zone::utc().resolve(local)?)),
                Some(_) => Err(bad()),
            }
        }
        _ => Err(bad()),
    }
}

/// The day filters of a rule anchored at a start, with RFC 5545's defaults
/// (a weekly rule without `BYDAY` repeats on the start's weekday, a monthly
/// one on the start's day of month, a yearly one on the start's month and day).
#[derive(Debug)]
struct Filters {
    /// Bit m set for each allowed month; 0 = any.
    months: u16,
    /// Bit d set for each allowed day of month counted from the start.
    month_days: u32,
    /// Bit d set for each allowed day of month counted from the end (1 = last).
    month_days_back: u32,
    /// Bit w set (0 = Monday) for weekdays allowed on any date.
    weekdays: u8,
    /// (ordinal, weekday) pairs allowed.
    ordinals: Vec<(i8, u8)>,
    /// Whether ordinals count within the year rather than the month.
    year_scope: bool,
}

impl Filters {
    fn new(rule: &Rule, start: DateTime) -> Filters {
        let mut by_month: Vec<i8> = rule.by_month.clone();
        let mut by_month_day: Vec<i8> = rule.by_month_day.clone();
        let mut by_day: Vec<WeekdayNum> = rule.by_day.clone();
        if by_month_day.is_empty() && by_day.is_empty() {
            match rule.frequency {
                Frequency::Yearly => {
                    if by_month.is_empty() {
                        by_month.push(start.month());
                    }
                    by_month_day.push(start.day());
                }
                Frequency::Monthly => by_month_day.push(start.day()),
                Frequency::Weekly => by_day.push(WeekdayNum { ordinal: None, weekday: start.weekday() }),
                Frequency::Daily => {}
            }
        }
        let mut filters = Filters {
            months: 0,
            month_days: 0,
            month_days_back: 0,
            weekdays: 0,
            ordinals: Vec::new(),
            year_scope: rule.frequency == Frequency::Yearly && rule.by_month.is_empty(),
        };
        for month in by_month {
            filters.months |= 1 << month;
        }
        for day in by_month_day {
            if day > 0 {
                filters.month_days |= 1 << day;
            } else {
                filters.month_days_back |= 1 << -day;
            }
        }
        for entry in by_day {
            let weekday = weekday_to_index(entry.weekday);
            match entry.ordinal {
                None => filters.weekdays |= 1 << weekday,
                Some(n) => filters.ordinals.push((n, weekday)),
            }
        }
        filters
    }

    fn allows_month(&self, month: u8) -> bool {
        self.months == 0 || self.months & (1 << month) != 0
    }

    /// Whether a day passes, given its month, day of month, days in month,
    /// weekday, day of year and days in year.
    fn matches(&self, month: u8, day: u8, month_len: u8, weekday: u8, year_day: u16, year_len: u16) -> bool {
        if !self.allows_month(month) {
            return false;
        }
        if (self.month_days | self.month_days_back) != 0
            && self.month_days & (1 << day) == 0
            && self.month_days_back & (1 << (month_len - day + 1)) == 0
        {
            return false;
        }
        if self.weekdays == 0 && self.ordinals.is_empty() {
            return true;
        }
        if self.weekdays & (1 << weekday) != 0 {
            return true;
        }
        if self.ordinals.is_empty() {
            return false;
        }
        let (position, length) =
            if self.year_scope { (year_day, year_len) } else { (u16::from(day), u16::from(month_len)) };
        let nth = ((position - 1) / 7 + 1) as i8;
        let nth_back = -(((length - position) / 7 + 1) as i8);
        self.ordinals.iter().any(|&(n, w)| w == weekday && (n == nth || n == nth_back))
    }

    fn matches_day(&self, year: i32, month: u8, day: u8, weekday: u8) -> bool {
        // Only yearly ordinals (`20MO`) count days of the year.
        let year_day = if self.year_scope && !self.ordinals.is_empty() {
            (days_from_civil(year, month, day) - days_from_civil(year, 1, 1) + 1) as u16
        } else {
            0
        };
        self.matches(month, day, days_in_month(year, month), weekday, year_day, days_in_year(year))
    }
}

/// The state of one expansion: where periods start and which days pass.
#[derive(Debug)]
struct Walk {
    frequency: Frequency,
    interval: i64,
    filters: Filters,
    time: Time,
    start_day: i64,
    /// The first day of the week of the start (by `WKST`), for weekly rules.
    start_week: i64,
    /// Months since year 0 of the start, for monthly rules.
    start_month: i64,
    start_year: i64,
    until: Option<Until>,
    /// No occurrence falls after this local day (the rule's end, with a day of
    /// margin for UTC offsets, or the end of the calendar).
    last_day: i64,
}

impl Walk {
    fn new(rule: &Rule, start: DateTime, zone: &Zone) -> Walk {
        let start_day = day_number(start.date());
        let week_offset =
            (i64::from(weekday_index(start_day)) - i64::from(weekday_to_index(rule.week_start))).rem_euclid(7);
        let last_day = match rule.until {
            None => LAST_DAY,
            Some(Until::Date(date)) => day_number(date),
            Some(Until::Local(local)) => day_number(local.date()),
            Some(Until::Utc(instant)) => day_number(zone.local(instant).date()) + 1,
        };
        Walk {
            frequency: rule.frequency,
            interval: i64::from(rule.interval),
            filters: Filters::new(rule, start),
            time: start.time(),
            start_day,
            start_week: start_day - week_offset,
            start_month: i64::from(start.year()) * 12 + i64::from(start.month()) - 1,
            start_year: i64::from(start.year()),
            until: rule.until,
            last_day: last_day.min(LAST_DAY),
        }
    }

    /// The index of the period that holds `day`, or of the last one before it.
    fn period_of(&self, day: i64) -> i64 {
        let periods = match self.frequency {
            Frequency::Daily => day - self.start_day,
            Frequency::Weekly => (day - self.start_week).div_euclid(7),
            Frequency::Monthly => {
                let (year, month, _) = civil_from_days(day);
                i64::from(year) * 12 + i64::from(month) - 1 - self.start_month
            }
            Frequency::Yearly => i64::from(civil_from_days(day).0) - self.start_year,
        };
        periods.div_euclid(self.interval)
    }

    /// Fills `days` with the days of period `index` that pass the filters, in
    /// order, and returns the period's first day.
    fn period_days(&self, index: i64, days: &mut Vec<Day>) -> i64 {
        days.clear();
        let step = index.saturating_mul(self.interval);
        match self.frequency {
            Frequency::Daily => {
                let number = self.start_day.saturating_add(step);
                if number <= LAST_DAY {
                    let (year, month, day) = civil_from_days(number);
                    if self.filters.matches_day(year, month, day, weekday_index(number)) {
                        days.push(Day { number, year, month, day });
                    }
                }
                number
            }
            Frequency::Weekly => {
                let first = self.start_week.saturating_add(step.saturating_mul(7));
                if first <= LAST_DAY {
                    let (mut year, mut month, mut day) = civil_from_days(first);
                    let mut weekday = weekday_index(first);
                    for number in first..first + 7 {
                        if self.filters.matches_day(year, month, day, weekday) {
                            days.push(Day { number, year, month, day });
                        }
                        weekday = (weekday + 1) % 7;
                        day += 1;
                        if day > days_in_month(year, month) {
                            day = 1;
                            month += 1;
                            if month > 12 {
                                month = 1;
                                year += 1;
                            }
                        }
                    }
                }
                first
            }
            Frequency::Monthly => {
                let months = self.start_month.saturating_add(step);
                let (year, month) = (months.div_euclid(12), months.rem_euclid(12) as u8 + 1);
                if year > 9999 {
                    return i64::MAX;
                }
                let first = days_from_civil(year as i32, month, 1);
                self.month_days(year as i32, month, days);
                first
            }
            Frequency::Yearly => {
                let year = self.start_year.saturating_add(step);
                if year > 9999 {
                    return i64::MAX;
                }
                for month in 1..=12 {
                    self.month_days(year as i32, month, days);
                }
                days_from_civil(year as i32, 1, 1)
            }
        }
    }

    /// Appends the days of one month that pass the filters.
    fn month_days(&self, year: i32, month: u8, days: &mut Vec<Day>) {
        if !self.filters.allows_month(month) {
            return;
        }
        let first = days_from_civil(year, month, 1);
        let first_weekday = weekday_index(first);
        let year_day = (first - days_from_civil(year, 1, 1) + 1) as u16;
        let (month_len, year_len) = (days_in_month(year, month), days_in_year(year));
        for day in 1..=month_len {
            let weekday = (first_weekday + day - 1) % 7;
            if self.filters.matches(month, day, month_len, weekday, year_day + u16::from(day) - 1, year_len) {
                days.push(Day { number: first + i64::from(day) - 1, year, month, day });
            }
        }
    }

    fn past_until(&self, local: DateTime, instant: Timestamp) -> bool {
        match self.until {
            None => false,
            Some(Until::Date(date)) => local.date() > date,
            Some(Until::Local(until)) => local > until,
            Some(Until::Utc(until)) => instant > until,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn expand(rule: &str, start: DateTime, zone: &str, until_day: Date) -> Vec<DateTime> {
        let rule = Rule::parse(rule).unwrap();
        assert!(rule.matches_start(start), "{rule} does not match {start}");
        let zone = Zone::new(zone).unwrap();
        let mut out = Vec::new();
        rule.for_each(start, &zone, day_number(start.date()), day_number(until_day), |local, _| {
            out.push(local);
            Ok(Visit::Continue)
        })
        .unwrap();
        out
    }

    fn days(list: &[(i16, i8, i8)]) -> Vec<Date> {
        list.iter().map(|&(y, m, d)| date(y, m, d)).collect()
    }

    fn dates(out: &[DateTime]) -> Vec<Date> {
        out.iter().map(|local| local.date()).collect()
    }

    const NY: &str = "America/New_York";

    #[test]
    fn parse_and_canonical_form() {
        let cases = [
            ("FREQ=WEEKLY;BYDAY=WE,MO;COUNT=10", "FREQ=WEEKLY;COUNT=10;BYDAY=MO,WE"),
            ("rrule:freq=monthly;byday=2tu", "FREQ=MONTHLY;BYDAY=2TU"),
            ("FREQ=MONTHLY;BYDAY=-1FR;INTERVAL=1;", "FREQ=MONTHLY;BYDAY=-1FR"),
            ("FREQ=YEARLY;BYMONTH=6,7;BYMONTHDAY=-1", "FREQ=YEARLY;BYMONTH=6,7;BYMONTHDAY=-1"),
            ("FREQ=DAILY;INTERVAL=2;UNTIL=20261231", "FREQ=DAILY;INTERVAL=2;UNTIL=20261231"),
            ("FREQ=DAILY;UNTIL=20261231T170000", "FREQ=DAILY;UNTIL=20261231T170000"),
            (
                "FREQ=WEEKLY;UNTIL=19971007T000000Z;WKST=SU;BYDAY=TU,TH",
                "FREQ=WEEKLY;UNTIL=19971007T000000Z;BYDAY=TU,TH;WKST=SU",
            ),
            ("FREQ=YEARLY;BYDAY=20MO", "FREQ=YEARLY;BYDAY=20MO"),
        ];
        for (input, canonical) in cases {
            let rule = Rule::parse(input).unwrap();
            assert_eq!(rule.to_string(), canonical);
            assert_eq!(Rule::parse(canonical).unwrap(), rule);
        }
        let rule = Rule::parse("FREQ=WEEKLY;INTERVAL=2;COUNT=3").unwrap();
        assert_eq!(
            (rule.frequency(), rule.interval(), rule.count(), rule.until()),
            (Frequency::Weekly, 2, Some(3), None)
        );
        assert_eq!(serde_json::to_string(&rule).unwrap(), "\"FREQ=WEEKLY;INTERVAL=2;COUNT=3\"");
    }

    #[test]
    fn refusals_say_why() {
        let cases = [
            ("", "empty"),
            ("BYDAY=MO", "FREQ is missing"),
            ("FREQ=HOURLY", "FREQ=HOURLY (repeating more often than daily) is not supported"),
            ("FREQ=MINUTELY;COUNT=5", "not supported"),
            ("FREQ=MONTHLY;BYSETPOS=-1;BYDAY=MO", "BYSETPOS is not supported"),
            ("FREQ=YEARLY;BYWEEKNO=20", "BYWEEKNO is not supported"),
            ("FREQ=DAILY;BYHOUR=9", "BYHOUR is not supported"),
            ("FREQ=FORTNIGHTLY", "not a frequency"),
            ("FREQ=DAILY;COUNT=0", "at least 1"),
            ("FREQ=DAILY;COUNT=x", "not a number"),
            ("FREQ=DAILY;COUNT=3;UNTIL=20261231", "cannot both"),
            ("FREQ=DAILY;FREQ=WEEKLY", "given twice"),
            ("FREQ=DAILY;INTERVAL=0", "INTERVAL"),
            ("FREQ=WEEKLY;BYDAY=2TU", "needs FREQ=MONTHLY"),
            ("FREQ=MONTHLY;BYDAY=6TU", "out of range"),
            ("FREQ=MONTHLY;BYDAY=0TU", "cannot be 0"),
            ("FREQ=MONTHLY;BYDAY=TUE", "not a weekday"),
            ("FREQ=WEEKLY;BYMONTHDAY=1", "BYMONTHDAY cannot be used with FREQ=WEEKLY"),
            ("FREQ=MONTHLY;BYMONTHDAY=32", "BYMONTHDAY=32"),
            ("FREQ=YEARLY;BYMONTH=13", "BYMONTH=13"),
            ("FREQ=DAILY;UNTIL=2026-12-31", "UNTIL"),
            ("FREQ=DAILY;UNTIL=20260230", "UNTIL"),
            ("FREQ=DAILY;X-NAME=1", "unknown part X-NAME"),
            ("FREQ=DAILY;COUNT", "NAME=VALUE"),
            ("FREQ=DAILY;BYDAY=", "has no value"),
        ];
        for (input, expected) in cases {
            let error = Rule::parse(input).unwrap_err().to_string();
            assert!(error.contains(expected), "{input:?}: {error}");
        }
    }

    // The examples of RFC 5545 section 3.8.5.3 (all starting at 09:00 New York time).

    #[test]
    fn rfc_daily_and_weekly() {
        let start = date(1997, 9, 2).at(9, 0, 0, 0);
        let got = expand("FREQ=DAILY;COUNT=10", start, NY, date(1998, 1, 1));
        assert_eq!(dates(&got), (2..=11).map(|d| date(1997, 9, d)).collect::<Vec<_>>());
        assert!(got.iter().all(|local| local.time() == start.time()));

        let got = expand("FREQ=DAILY;INTERVAL=10;COUNT=5", start, NY, date(1998, 1, 1));
        assert_eq!(dates(&got), days(&[(1997, 9, 2), (1997, 9, 12), (1997, 9, 22), (1997, 10, 2), (1997, 10, 12)]));

        let got = expand("FREQ=WEEKLY;UNTIL=19971007T000000Z;WKST=SU;BYDAY=TU,TH", start, NY, date(1998, 1, 1));
        let expected = days(&[
            (1997, 9, 2),
            (1997, 9, 4),
            (1997, 9, 9),
            (1997, 9, 11),
            (1997, 9, 16),
            (1997, 9, 18),
            (1997, 9, 23),
            (1997, 9, 25),
            (1997, 9, 30),
            (1997, 10, 2),
        ]);
        assert_eq!(dates(&got), expected);

        let start = date(1997, 9, 1).at(9, 0, 0, 0);
        let got =
            expand("FREQ=WEEKLY;INTERVAL=2;UNTIL=19971224T000000Z;WKST=SU;BYDAY=MO,WE,FR", start, NY, date(1998, 2, 1));
        let expected = days(&[
            (1997, 9, 1),
            (1997, 9, 3),
            (1997, 9, 5),
            (1997, 9, 15),
            (1997, 9, 17),
            (1997, 9, 19),
            (1997, 9, 29),
            (1997, 10, 1),
            (1997, 10, 3),
            (1997, 10, 13),
            (1997, 10, 15),
            (1997, 10, 17),
            (1997, 10, 27),
            (1997, 10, 29),
            (1997, 10, 31),
            (1997, 11, 10),
            (1997, 11, 12),
            (1997, 11, 14),
            (1997, 11, 24),
            (1997, 11, 26),
            (1997, 11, 28),
            (1997, 12, 8),
            (1997, 12, 10),
            (1997, 12, 12),
            (1997, 12, 22),
        ]);
        assert_eq!(dates(&got), expected);
    }

    #[test]
    fn rfc_week_start_matters_with_an_interval() {
        let start = date(1997, 8, 5).at(9, 0, 0, 0);
        let monday = expand("FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=MO", start, NY, date(1998, 1, 1));
        assert_eq!(dates(&monday), days(&[(1997, 8, 5), (1997, 8, 10), (1997, 8, 19), (1997, 8, 24)]));
        let sunday = expand("FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=SU", start, NY, date(1998, 1, 1));
        assert_eq!(dates(&sunday), days(&[(1997, 8, 5), (1997, 8, 17), (1997, 8, 19), (1997, 8, 31)]));
    }

    #[test]
    fn rfc_monthly() {
        let got = expand("FREQ=MONTHLY;COUNT=10;BYDAY=1FR", date(1997, 9, 5).at(9, 0, 0, 0), NY, date(1999, 1, 1));
        let expected = days(&[
            (1997, 9, 5),
            (1997, 10, 3),
            (1997, 11, 7),
            (1997, 12, 5),
            (1998, 1, 2),
            (1998, 2, 6),
            (1998, 3, 6),
            (1998, 4, 3),
            (1998, 5, 1),
            (1998, 6, 5),
        ]);
        assert_eq!(dates(&got), expected);

        let got = expand("FREQ=MONTHLY;COUNT=6;BYDAY=-2MO", date(1997, 9, 22).at(9, 0, 0, 0), NY, date(1999, 1, 1));
        let expected =
            days(&[(1997, 9, 22), (1997, 10, 20), (1997, 11, 17), (1997, 12, 22), (1998, 1, 19), (1998, 2, 16)]);
        assert_eq!(dates(&got), expected);

        let got = expand("FREQ=MONTHLY;BYMONTHDAY=-3", date(1997, 9, 28).at(9, 0, 0, 0), NY, date(1998, 2, 28));
        let expected =
            days(&[(1997, 9, 28), (1997, 10, 29), (1997, 11, 28), (1997, 12, 29), (1998, 1, 29), (1998, 2, 26)]);
        assert_eq!(dates(&got), expected);

        let got =
            expand("FREQ=MONTHLY;COUNT=10;BYMONTHDAY=2,15", date(1997, 9, 2).at(9, 0, 0, 0), NY, date(1999, 1, 1));
        assert_eq!(got.len(), 10);
        assert_eq!(got[9].date(), date(1998, 1, 15));

        let got =
            expand("FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13", date(1998, 2, 13).at(9, 0, 0, 0), NY, date(2000, 12, 31));
        let expected = days(&[(1998, 2, 13), (1998, 3, 13), (1998, 11, 13), (1999, 8, 13), (2000, 10, 13)]);
        assert_eq!(dates(&got), expected);

        // The second Tuesday of each month, as the issue asks.
        let got = expand(
            "FREQ=MONTHLY;BYDAY=2TU;COUNT=4",
            date(2026, 10, 13).at(15, 0, 0, 0),
            "Europe/London",
            date(2028, 1, 1),
        );
        assert_eq!(dates(&got), days(&[(2026, 10, 13), (2026, 11, 10), (2026, 12, 8), (2027, 1, 12)]));

        // The 31st skips shorter months.
        let got = expand("FREQ=MONTHLY;COUNT=4", date(2026, 1, 31).at(9, 0, 0, 0), "Europe/London", date(2028, 1, 1));
        assert_eq!(dates(&got), days(&[(2026, 1, 31), (2026, 3, 31), (2026, 5, 31), (2026, 7, 31)]));
    }

    #[test]
    fn rfc_yearly() {
        let got = expand("FREQ=YEARLY;COUNT=10;BYMONTH=6,7", date(1997, 6, 10).at(9, 0, 0, 0), NY, date(2010, 1, 1));
        assert_eq!(got.len(), 10);
        assert_eq!(dates(&got[..4]), days(&[(1997, 6, 10), (1997, 7, 10), (1998, 6, 10), (1998, 7, 10)]));
        assert_eq!(got[9].date(), date(2001, 7, 10));

        let got = expand("FREQ=YEARLY;BYMONTH=3;BYDAY=TH", date(1997, 3, 13).at(9, 0, 0, 0), NY, date(1998, 12, 31));
        let expected = days(&[
            (1997, 3, 13),
            (1997, 3, 20),
            (1997, 3, 27),
            (1998, 3, 5),
            (1998, 3, 12),
            (1998, 3, 19),
            (1998, 3, 26),
        ]);
        assert_eq!(dates(&got), expected);

        let got = expand("FREQ=YEARLY;BYDAY=20MO", date(1997, 5, 19).at(9, 0, 0, 0), NY, date(1999, 12, 31));
        assert_eq!(dates(&got), days(&[(1997, 5, 19), (1998, 5, 18), (1999, 5, 17)]));
        // Plain weekdays in a yearly rule: every Monday of the year.
        let got = expand("FREQ=YEARLY;BYDAY=MO;COUNT=53", date(2024, 1, 1).at(9, 0, 0, 0), NY, date(2026, 1, 1));
        assert_eq!(got.len(), 53);
        assert_eq!(got[52].date(), date(2024, 12, 30));
        let got = expand("FREQ=YEARLY;BYDAY=20MO", date(1997, 5, 19).at(9, 0, 0, 0), NY, date(1999, 12, 31));
        assert_eq!(dates(&got), days(&[(1997, 5, 19), (1998, 5, 18), (1999, 5, 17)]));

        let got = expand("FREQ=YEARLY;INTERVAL=4", date(2028, 2, 29).at(9, 0, 0, 0), NY, date(2041, 1, 1));
        assert_eq!(dates(&got), days(&[(2028, 2, 29), (2032, 2, 29), (2036, 2, 29), (2040, 2, 29)]));
    }

    #[test]
    fn byday_entries_are_a_union() {
        // Every Sunday (SU) or the first Sunday (1SU): all Sundays. (dateutil and the
        // rrule crate require both, which yields only first Sundays.)
        let got = expand(
            "FREQ=MONTHLY;BYDAY=SU,1SU;COUNT=4",
            date(2027, 4, 4).at(16, 45, 0, 0),
            "Europe/London",
            date(2028, 1, 1),
        );
        assert_eq!(dates(&got), days(&[(2027, 4, 4), (2027, 4, 11), (2027, 4, 18), (2027, 4, 25)]));
    }

    #[test]
    fn until_forms_and_jumping_ahead() {
        let start = date(2026, 1, 5).at(9, 0, 0, 0);
        let by_date = expand("FREQ=DAILY;UNTIL=20260107", start, "Europe/London", date(2027, 1, 1));
        assert_eq!(by_date.len(), 3);
        let by_local = expand("FREQ=DAILY;UNTIL=20260107T085959", start, "Europe/London", date(2027, 1, 1));
        assert_eq!(by_local.len(), 2);
        let by_utc = expand("FREQ=DAILY;UNTIL=20260107T090000Z", start, "Europe/London", date(2027, 1, 1));
        assert_eq!(by_utc.len(), 3, "UNTIL is inclusive");

        // Without COUNT, a range far from the start is reached directly.
        let rule = Rule::parse("FREQ=WEEKLY;INTERVAL=3;BYDAY=MO,FR").unwrap();
        let zone = Zone::new("Europe/London").unwrap();
        let (lo, hi) = (day_number(date(2126, 1, 1)), day_number(date(2126, 3, 1)));
        let mut far = Vec::new();
        rule.for_each(start, &zone, lo, hi, |local, _| {
            far.push(local);
            Ok(Visit::Continue)
        })
        .unwrap();
        let mut all = Vec::new();
        rule.for_each(start, &zone, day_number(start.date()), hi, |local, _| {
            if local.date() >= date(2126, 1, 1) {
                all.push(local);
            }
            Ok(Visit::Continue)
        })
        .unwrap();
        assert!(!far.is_empty());
        assert_eq!(far, all);
    }

    #[test]
    fn start_must_match() {
        let rule = Rule::parse("FREQ=WEEKLY;BYDAY=MO,WE").unwrap();
        assert!(rule.matches_start(date(2026, 10, 19).at(9, 0, 0, 0)));
        assert!(!rule.matches_start(date(2026, 10, 20).at(9, 0, 0, 0)), "a Tuesday");
        assert!(Rule::parse("FREQ=MONTHLY").unwrap().matches_start(date(2026, 1, 31).at(9, 0, 0, 0)));
        assert!(!Rule::parse("FREQ=MONTHLY;BYDAY=2TU").unwrap().matches_start(date(2026, 10, 20).at(9, 0, 0, 0)));
    }

    #[test]
    fn never_loops_forever() {
        // Matches only on 29 February: a sparse rule still ends with its range.
        let rule = Rule::parse("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=29").unwrap();
        let zone = Zone::new("Europe/London").unwrap();
        let start = date(2028, 2, 29).at(9, 0, 0, 0);
        let mut n = 0;
        rule.for_each(start, &zone, day_number(start.date()), day_number(date(2999, 12, 31)), |_, _| {
            n += 1;
            Ok(Visit::Continue)
        })
        .unwrap();
        assert_eq!(n, (2028..=2996).step_by(4).filter(|y| y % 100 != 0 || y % 400 == 0).count());
        // A range of thousands of years of days is refused rather than walked.
        let error = rule.for_each(start, &zone, day_number(start.date()), day_number(date(9999, 12, 31)), |_, _| {
            Ok(Visit::Continue)
        });
        assert!(error.is_err());
    }
}
