//! A meeting series: local start and end plus zone (what is stored; each
//! occurrence keeps its wall-clock time across DST), an optional rule,
//! cancelled occurrences (`EXDATE`) and changed ones (overrides keyed by the
//! original local start, the `RECURRENCE-ID`), with the edits a calendar
//! offers: one occurrence, this and following (a split), all, and cancelling
//! one occurrence.
//!
//! Every constructor and edit checks the whole series and leaves it
//! unchanged on error. Rules:
//! - the title is 1–[`MAX_TITLE_CHARS`] characters on one line, the
//!   description at most [`MAX_DESCRIPTION_CHARS`];
//! - the end is after the start (as instants) and at most [`MAX_DURATION`] later;
//! - times are whole seconds;
//! - the start is an occurrence of the rule (RFC 5545 leaves other starts undefined);
//! - `UNTIL` is kept in UTC (RFC 5545 requires it with a zoned start) and is
//!   not before the start;
//! - exceptions are keyed by real occurrences, at most [`MAX_EXCEPTIONS`] of each kind.
//!
//! Each occurrence lasts the series' exact duration (RFC 5545 with `DTEND`):
//! a 09:00–10:00 meeting stays an hour long on DST days.

use std::collections::{BTreeMap, BTreeSet};

use jiff::SignedDuration;
use jiff::civil::{DateTime, Weekday};

use crate::calendar::day_number;
use crate::error::{Error, Result};
use crate::rule::{Frequency, Rule, Until, Visit, WeekdayNum};
use crate::zone::{Zone, parse_local};

/// The longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 255;
/// The longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 10_000;
/// The longest a meeting may last (this also bounds how far back an
/// expansion looks for occurrences still running).
pub const MAX_DURATION: SignedDuration = SignedDuration::from_hours(31 * 24);
/// The most cancelled occurrences, and separately the most overrides, of a series.
pub const MAX_EXCEPTIONS: usize = 1_000;

/// Local start and end in the series' zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LocalSpan {
    /// Local start.
    pub start: DateTime,
    /// Local end.
    pub end: DateTime,
}

/// What one occurrence does differently from its series.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Override {
    /// New local times, or `None` to keep the series' times.
    pub moved: Option<LocalSpan>,
    /// A title of its own, or `None` to follow the series.
    pub title: Option<String>,
    /// A description of its own, or `None` to follow the series.
    pub description: Option<String>,
}

impl Override {
    fn is_empty(&self) -> bool {
        self.moved.is_none() && self.title.is_none() && self.description.is_none()
    }
}

/// The fields of a new series, already typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSeries {
    /// The server's id for the series.
    pub id: String,
    /// The title.
    pub title: String,
    /// An optional description.
    pub description: Option<String>,
    /// Local start of the first occurrence.
    pub start: DateTime,
    /// Local end of the first occurrence.
    pub end: DateTime,
    /// The zone of `start` and `end`.
    pub zone: Zone,
    /// How the meeting repeats, if it does.
    pub rule: Option<Rule>,
}

/// The time fields of the meeting API, as sent:
/// `{"title", "description"?, "start": "2026-10-20T09:30", "end", "time_zone", "rrule"?}`.
/// Other fields of the request (attendees, reminders) are the server's.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SeriesInput {
    /// The title.
    pub title: String,
    /// An optional description.
    #[serde(default)]
    pub description: Option<String>,
    /// Local start, `YYYY-MM-DDTHH:MM`.
    pub start: String,
    /// Local end, `YYYY-MM-DDTHH:MM`.
    pub end: String,
    /// IANA zone of `start` and `end`.
    pub time_zone: String,
    /// An `RRULE` value, if the meeting repeats.
    #[serde(default)]
    pub rrule: Option<String>,
}

/// Changes to one occurrence; `None` keeps what it has. Giving only a new
/// start keeps the occurrence's length.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OccurrenceChanges {
    /// New local start.
    pub start: Option<DateTime>,
    /// New local end.
    pub end: Option<DateTime>,
    /// New title.
    pub title: Option<String>,
    /// New description.
    pub description: Option<String>,
}

/// Changes to a whole series (or to the part from a split point on); `None`
/// keeps what it has. Giving only a new start keeps the length.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SeriesChanges {
    /// New title.
    pub title: Option<String>,
    /// New description; `Some(None)` removes it.
    pub description: Option<Option<String>>,
    /// New local start of the first occurrence.
    pub start: Option<DateTime>,
    /// New local end of the first occurrence.
    pub end: Option<DateTime>,
    /// New zone (local times stay as they are).
    pub zone: Option<Zone>,
    /// New rule; `Some(None)` makes the meeting a single one.
    pub rule: Option<Option<Rule>>,
}

/// A meeting, single or recurring.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Series {
    id: String,
    title: String,
    description: Option<String>,
    start: DateTime,
    end: DateTime,
    zone: Zone,
    rule: Option<Rule>,
    exdates: BTreeSet<DateTime>,
    overrides: BTreeMap<DateTime, Override>,
}

impl Series {
    /// A series from typed fields; see the module documentation for the rules.
    pub fn new(new: NewSeries) -> Result<Series> {
        Series {
            id: new.id,
            title: new.title,
            description: new.description,
            start: new.start,
            end: new.end,
            zone: new.zone,
            rule: new.rule,
            exdates: BTreeSet::new(),
            overrides: BTreeMap::new(),
        }
        .checked()
    }

    /// A series from the API's fields, parsing times, zone and rule.
    pub fn from_input(id: impl Into<String>, input: &SeriesInput) -> Result<Series> {
        Series::new(NewSeries {
            id: id.into(),
            title: input.title.clone(),
            description: input.description.clone().filter(|text| !text.trim().is_empty()),
            start: parse_local(&input.start)?,
            end: parse_local(&input.end)?,
            zone: Zone::new(&input.time_zone)?,
            rule: input.rrule.as_deref().filter(|text| !text.trim().is_empty()).map(Rule::parse).transpose()?,
        })
    }

    /// The server's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The title.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// The description, if any.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// Local start of the first occurrence.
    pub fn start(&self) -> DateTime {
        self.start
    }

    /// Local end of the first occurrence.
    pub fn end(&self) -> DateTime {
        self.end
    }

    /// The zone of all local times of the series.
    pub fn zone(&self) -> &Zone {
        &self.zone
    }

    /// The rule, if the meeting repeats (`UNTIL`, if any, in UTC).
    pub fn rule(&self) -> Option<&Rule> {
        self.rule.as_ref()
    }

    /// Cancelled occurrences, by original local start.
    pub fn exdates(&self) -> &BTreeSet<DateTime> {
        &self.exdates
    }

    /// Changed occurrences, by original local start.
    pub fn overrides(&self) -> &BTreeMap<DateTime, Override> {
        &self.overrides
    }

    /// The exact length of every occurrence not moved by an override.
    pub fn duration(&self) -> Result<SignedDuration> {
        Ok(self.zone.resolve(self.start)?.duration_until(self.zone.resolve(self.end)?))
    }

    /// Whether `recurrence_id` is an occurrence of the rule (cancelled or not).
    pub fn occurs_at(&self, recurrence_id: DateTime) -> Result<bool> {
        Ok(self.not_occurrences(&BTreeSet::from([recurrence_id]))?.is_empty())
    }

    /// Changes one occurrence (an override keyed by its original start).
    /// Changes that bring it back to the series' own values drop the override.
    pub fn edit_occurrence(&mut self, recurrence_id: DateTime, changes: &OccurrenceChanges) -> Result<()> {
        self.require_live_occurrence(recurrence_id)?;
        let mut edited = self.clone();
        let mut entry = edited.overrides.remove(&recurrence_id).unwrap_or_default();
        let own = LocalSpan { start: recurrence_id, end: edited.plain_end(recurrence_id)? };
        let current = entry.moved.unwrap_or(own);
        let start = changes.start.unwrap_or(current.start);
        let end = match (changes.start, changes.end) {
            (_, Some(end)) => end,
            (Some(start), None) => start.checked_add(current.start.duration_until(current.end))?,
            (None, None) => current.end,
        };
        let moved = LocalSpan { start, end };
        entry.moved = (moved != own).then_some(moved);
        if let Some(title) = &changes.title {
            entry.title = (title.trim() != edited.title).then(|| title.trim().to_owned());
        }
        if let Some(description) = &changes.description {
            entry.description =
                (Some(description.as_str()) != edited.description.as_deref()).then(|| description.clone());
        }
        if !entry.is_empty() {
            edited.overrides.insert(recurrence_id, entry);
        }
        *self = edited.checked()?;
        Ok(())
    }

    /// Cancels one occurrence of a recurring series (an `EXDATE`); its
    /// override, if any, goes. A single meeting is cancelled as a whole by the caller.
    pub fn cancel_occurrence(&mut self, recurrence_id: DateTime) -> Result<()> {
        if self.rule.is_none() {
            return Err(Error::Invalid("a single meeting has no occurrences to cancel: cancel the meeting".to_owned()));
        }
        if !self.occurs_at(recurrence_id)? {
            return Err(Error::NotAnOccurrence(recurrence_id));
        }
        let mut edited = self.clone();
        edited.overrides.remove(&recurrence_id);
        edited.exdates.insert(recurrence_id);
        *self = edited.checked()?;
        Ok(())
    }

    /// Changes the whole series. When the start moves, cancelled and changed
    /// occurrences move with it (by the same local shift); those that are no
    /// longer occurrences of the new rule are dropped. A weekly rule on one
    /// weekday follows the start to its new weekday.
    pub fn edit_all(&mut self, changes: &SeriesChanges) -> Result<()> {
        let mut edited = self.clone();
        if let Some(title) = &changes.title {
            edited.title = title.trim().to_owned();
        }
        if let Some(description) = &changes.description {
            edited.description = description.clone();
        }
        if let Some(zone) = &changes.zone {
            edited.zone = zone.clone();
        }
        let old_start = edited.start;
        let length = edited.start.duration_until(edited.end);
        edited.start = changes.start.unwrap_or(edited.start);
        edited.end = match (changes.start, changes.end) {
            (_, Some(end)) => end,
            (Some(start), None) => start.checked_add(length)?,
            (None, None) => edited.end,
        };
        match &changes.rule {
            Some(rule) => edited.rule = rule.clone(),
            None => {
                if let Some(rule) = &edited.rule {
                    let single_weekday = [WeekdayNum { ordinal: None, weekday: old_start.weekday() }];
                    if rule.frequency() == Frequency::Weekly
                        && rule.by_day() == single_weekday
                        && edited.start.weekday() != old_start.weekday()
                    {
                        let weekday: Weekday = edited.start.weekday();
                        edited.rule = Some(rule.with_by_day(vec![WeekdayNum { ordinal: None, weekday }]));
                    }
                }
            }
        }
        let shift = old_start.duration_until(edited.start);
        if !shift.is_zero() {
            edited.exdates =
                edited.exdates.iter().map(|key| key.checked_add(shift)).collect::<Result<_, jiff::Error>>()?;
            edited.overrides = std::mem::take(&mut edited.overrides)
                .into_iter()
                .map(|(key, entry)| Ok((key.checked_add(shift)?, entry)))
                .collect::<Result<_>>()?;
        }
        edited.drop_stale_exceptions()?;
        *self = edited.checked()?;
        Ok(())
    }

    /// Changes this occurrence and all following ones by splitting the series:
    /// this series ends (`UNTIL`) just before `recurrence_id`, and the returned
    /// series (with `new_id`) starts at it, carries the remaining `COUNT` and
    /// the later exceptions, with `changes` applied as by [`Series::edit_all`].
    /// At the first occurrence (or on a single meeting) this is `edit_all` and
    /// returns `None`.
    pub fn edit_this_and_following(
        &mut self,
        recurrence_id: DateTime,
        changes: &SeriesChanges,
        new_id: impl Into<String>,
    ) -> Result<Option<Series>> {
        let Some(rule) = self.rule.clone() else {
            self.edit_all(changes)?;
            return Ok(None);
        };
        if !self.occurs_at(recurrence_id)? {
            return Err(Error::NotAnOccurrence(recurrence_id));
        }
        if recurrence_id == self.start {
            self.edit_all(changes)?;
            return Ok(None);
        }
        let mut before: u32 = 0;
        rule.for_each(
            self.start,
            &self.zone,
            day_number(self.start.date()),
            day_number(recurrence_id.date()),
            |local, _| {
                if local < recurrence_id {
                    before += 1;
                }
                Ok(Visit::Continue)
            },
        )?;
        let split_at = self.zone.resolve(recurrence_id)?;
        let duration = self.duration()?;

        let mut head = self.clone();
        head.rule = Some(rule.with_until(Until::Utc(split_at.checked_sub(SignedDuration::from_secs(1))?)));
        head.exdates.retain(|key| *key < recurrence_id);
        head.overrides.retain(|key, _| *key < recurrence_id);

        let mut tail = self.clone();
        tail.id = new_id.into();
        tail.start = recurrence_id;
        tail.end = self.zone.local(split_at.checked_add(duration)?);
        tail.rule = Some(match rule.count() {
            Some(count) => rule.with_count(count.saturating_sub(before).max(1)),
            None => rule,
        });
        tail.exdates.retain(|key| *key >= recurrence_id);
        tail.overrides.retain(|key, _| *key >= recurrence_id);
        let mut tail = tail.checked()?;
        tail.edit_all(changes)?;

        *self = head.checked()?;
        Ok(Some(tail))
    }

    /// The local end of an occurrence not moved by an override.
    pub(crate) fn plain_end(&self, recurrence_id: DateTime) -> Result<DateTime> {
        let start = self.zone.resolve(recurrence_id)?;
        Ok(self.zone.local(start.checked_add(self.duration()?)?))
    }

    fn require_live_occurrence(&self, recurrence_id: DateTime) -> Result<()> {
        if self.exdates.contains(&recurrence_id) {
            return Err(Error::Invalid(format!("the occurrence at {recurrence_id} is cancelled")));
        }
        if !self.occurs_at(recurrence_id)? {
            return Err(Error::NotAnOccurrence(recurrence_id));
        }
        Ok(())
    }

    /// The keys among `keys` that are not occurrences of the series.
    fn not_occurrences(&self, keys: &BTreeSet<DateTime>) -> Result<BTreeSet<DateTime>> {
        let Some(rule) = &self.rule else {
            return Ok(keys.iter().filter(|key| **key != self.start).copied().collect());
        };
        let (Some(first), Some(last)) = (keys.first(), keys.last()) else {
            return Ok(BTreeSet::new());
        };
        let mut missing = keys.clone();
        rule.for_each(self.start, &self.zone, day_number(first.date()), day_number(last.date()), |local, _| {
            missing.remove(&local);
            Ok(if missing.is_empty() { Visit::Stop } else { Visit::Continue })
        })?;
        Ok(missing)
    }

    fn exception_keys(&self) -> BTreeSet<DateTime> {
        self.exdates.iter().chain(self.overrides.keys()).copied().collect()
    }

    fn drop_stale_exceptions(&mut self) -> Result<()> {
        if self.rule.is_none() {
            self.exdates.clear();
            self.overrides.clear();
            return Ok(());
        }
        if self.rule.as_ref().is_some_and(|rule| !rule.matches_start(self.start)) {
            return Ok(()); // `checked` says why
        }
        let stale = self.not_occurrences(&self.exception_keys())?;
        self.exdates.retain(|key| !stale.contains(key));
        self.overrides.retain(|key, _| !stale.contains(key));
        Ok(())
    }

    /// Normalizes (trimmed title, `UNTIL` in UTC) and checks every rule.
    fn checked(mut self) -> Result<Series> {
        if self.id.trim().is_empty() || self.id.chars().count() > 200 || self.id.chars().any(char::is_control) {
            return Err(Error::Invalid("the series id must be 1–200 characters without control characters".to_owned()));
        }
        self.title = check_title(&self.title)?;
        if let Some(description) = &self.description {
            check_description(description)?;
        }
        check_span(&self.zone, LocalSpan { start: self.start, end: self.end })?;
        if let Some(rule) = &self.rule {
            let rule = rule.with_until_in_utc(&self.zone)?;
            if !rule.matches_start(self.start) {
                return Err(Error::Invalid(format!(
                    "the start {} (a {:?}) is not an occurrence of {rule}: start on a day the rule produces",
                    self.start,
                    self.start.weekday()
                )));
            }
            if let Some(Until::Utc(until)) = rule.until()
                && until < self.zone.resolve(self.start)?
            {
                return Err(Error::Invalid("the rule ends (UNTIL) before the series starts".to_owned()));
            }
            self.rule = Some(rule);
        } else if !self.exdates.is_empty() || !self.overrides.is_empty() {
            return Err(Error::Invalid("a single meeting cannot have cancelled or changed occurrences".to_owned()));
        }
        if self.exdates.len() > MAX_EXCEPTIONS || self.overrides.len() > MAX_EXCEPTIONS {
            return Err(Error::Invalid(format!(
                "at most {MAX_EXCEPTIONS} cancelled and {MAX_EXCEPTIONS} changed occurrences per series"
            )));
        }
        for entry in self.overrides.values_mut() {
            if let Some(title) = &entry.title {
                entry.title = Some(check_title(title)?);
            }
            if let Some(description) = &entry.description {
                check_description(description)?;
            }
            if let Some(moved) = entry.moved {
                check_span(&self.zone, moved)?;
            }
        }
        if let Some(key) = self.not_occurrences(&self.exception_keys())?.first() {
            return Err(Error::NotAnOccurrence(*key));
        }
        Ok(self)
    }
}

fn check_title(title: &str) -> Result<String> {
    let title = title.trim();
    let chars = title.chars().count();
    if chars == 0 || chars > MAX_TITLE_CHARS || title.chars().any(char::is_control) {
        return Err(Error::Invalid(format!("the title must be 1–{MAX_TITLE_CHARS} characters on one line")));
    }
    Ok(title.to_owned())
}

fn check_description(description: &str) -> Result<()> {
    if description.chars().count() > MAX_DESCRIPTION_CHARS
        || description.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(Error::Invalid(format!(
            "the description must be at most {MAX_DESCRIPTION_CHARS} characters of text"
        )));
    }
    Ok(())
}

fn check_span(zone: &Zone, span: LocalSpan) -> Result<()> {
    if span.start.subsec_nanosecond() != 0 || span.end.subsec_nanosecond() != 0 {
        return Err(Error::Invalid("times are whole seconds".to_owned()));
    }
    let length = zone.resolve(span.start)?.duration_until(zone.resolve(span.end)?);
    if length <= SignedDuration::ZERO {
        return Err(Error::Invalid(format!("the end ({}) must be after the start ({})", span.end, span.start)));
    }
    if length > MAX_DURATION {
        return Err(Error::Invalid(format!("a meeting may last at most {} days", MAX_DURATION.as_hours() / 24)));
    }
    Ok(())
}

/// How a series is stored: the API's local times and rule, plus exceptions.
#[derive(serde::Serialize, serde::Deserialize)]
struct Stored {
    id: String,
    title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    start: DateTime,
    end: DateTime,
    time_zone: Zone,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rrule: Option<Rule>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    exdates: Vec<DateTime>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    overrides: Vec<StoredOverride>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct StoredOverride {
    recurrence_id: DateTime,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    start: Option<DateTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    end: Option<DateTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
}

impl serde::Serialize for Series {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Stored {
            id: self.id.clone(),
            title: self.title.clone(),
            description: self.description.clone(),
            start: self.start,
            end: self.end,
            time_zone: self.zone.clone(),
            rrule: self.rule.clone(),
            exdates: self.exdates.iter().copied().collect(),
            overrides: self
                .overrides
                .iter()
                .map(|(key, entry)| StoredOverride {
                    recurrence_id: *key,
                    start: entry.moved.map(|moved| moved.start),
                    end: entry.moved.map(|moved| moved.end),
                    title: entry.title.clone(),
                    description: entry.description.clone(),
                })
                .collect(),
        }
        .serialize(serializer)
    }
}

impl<'de> serde::Deserialize<'de> for Series {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Series, D::Error> {
        use serde::de::Error as _;
        let stored = Stored::deserialize(deserializer)?;
        let mut overrides = BTreeMap::new();
        for entry in stored.overrides {
            let key = entry.recurrence_id;
            let moved = match (entry.start, entry.end) {
                (Some(start), Some(end)) => Some(LocalSpan { start, end }),
                (None, None) => None,
                _ => return Err(D::Error::custom("an override needs both start and end, or neither")),
            };
            let entry = Override { moved, title: entry.title, description: entry.description };
            if entry.is_empty() || overrides.insert(key, entry).is_some() {
                return Err(D::Error::custom(format!("the override at {key} is empty or given twice")));
            }
        }
        Series {
            id: stored.id,
            title: stored.title,
            description: stored.description,
            start: stored.start,
            end: stored.end,
            zone: stored.time_zone,
            rule: stored.rrule,
            exdates: stored.exdates.into_iter().collect(),
            overrides,
        }
        .checked()
        .map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn input(start: &str, end: &str, rrule: Option<&str>) -> SeriesInput {
        SeriesInput {
            title: "Standup".to_owned(),
            description: None,
            start: start.to_owned(),
            end: end.to_owned(),
            time_zone: "Europe/London".to_owned(),
            rrule: rrule.map(str::to_owned),
        }
    }

    fn weekly() -> Series {
        // Mondays and Wednesdays, 10 times, from Monday 2026-10-19.
        Series::from_input(
            "s1",
            &input("2026-10-19T09:30", "2026-10-19T10:00", Some("FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10")),
        )
        .unwrap()
    }

    /// Local starts of all occurrences (2026–2027), with titles.
    fn starts(series: &Series) -> Vec<(DateTime, String)> {
        let from = "2026-01-01T00:00:00Z".parse().unwrap();
        let to = "2028-01-01T00:00:00Z".parse().unwrap();
        series
            .expand(from, to, series.zone())
            .unwrap()
            .into_iter()
            .map(|occurrence| (occurrence.start.datetime(), occurrence.title.to_owned()))
            .collect()
    }

    fn local_starts(series: &Series) -> Vec<DateTime> {
        starts(series).into_iter().map(|(start, _)| start).collect()
    }

    #[test]
    fn creation_checks_everything() {
        let ok = weekly();
        assert_eq!(ok.rule().unwrap().to_string(), "FREQ=WEEKLY;COUNT=10;BYDAY=MO,WE");
        assert_eq!(ok.duration().unwrap(), SignedDuration::from_mins(30));
        let cases = [
            (input("2026-10-19T09:30", "2026-10-19T09:30", None), "must be after the start"),
            (input("2026-10-19T09:30", "2026-10-19T09:00", None), "must be after the start"),
            (input("2026-10-19T09:30", "2026-12-19T09:00", None), "at most 31 days"),
            (input("2026-10-19 09:30", "2026-10-19T10:00", None), "invalid local date-time"),
            (input("2026-10-19T09:30", "2026-10-19T10:00", Some("FREQ=HOURLY")), "not supported"),
            (
                input("2026-10-20T09:30", "2026-10-20T10:00", Some("FREQ=WEEKLY;BYDAY=MO,WE")),
                "is not an occurrence of FREQ=WEEKLY",
            ),
            (input("2026-10-19T09:30", "2026-10-19T10:00", Some("FREQ=DAILY;UNTIL=20261018")), "ends (UNTIL) before"),
            (SeriesInput { title: "  ".to_owned(), ..input("2026-10-19T09:30", "2026-10-19T10:00", None) }, "title"),
            (SeriesInput { title: "a\nb".to_owned(), ..input("2026-10-19T09:30", "2026-10-19T10:00", None) }, "title"),
            (
                SeriesInput { time_zone: "GMT+1".to_owned(), ..input("2026-10-19T09:30", "2026-10-19T10:00", None) },
                "unknown time zone",
            ),
        ];
        for (input, expected) in cases {
            let error = Series::from_input("x", &input).unwrap_err().to_string();
            assert!(error.contains(expected), "{input:?}: {error}");
        }
        assert!(Series::from_input("", &input("2026-10-19T09:30", "2026-10-19T10:00", None)).is_err());
    }

    #[test]
    fn until_is_kept_in_utc() {
        let series =
            Series::from_input("s", &input("2026-10-19T09:30", "2026-10-19T10:00", Some("FREQ=DAILY;UNTIL=20261021")))
                .unwrap();
        // The whole local day of 21 October (BST, UTC+1) counts.
        assert_eq!(series.rule().unwrap().to_string(), "FREQ=DAILY;UNTIL=20261021T225959Z");
        assert_eq!(local_starts(&series).len(), 3);
    }

    #[test]
    fn edit_one_occurrence() {
        let mut series = weekly();
        let wednesday = date(2026, 10, 21).at(9, 30, 0, 0);
        let changes = OccurrenceChanges {
            start: Some(date(2026, 10, 22).at(14, 0, 0, 0)),
            title: Some("Standup (moved)".to_owned()),
            ..Default::default()
        };
        series.edit_occurrence(wednesday, &changes).unwrap();
        let entry = &series.overrides()[&wednesday];
        assert_eq!(
            entry.moved,
            Some(LocalSpan { start: date(2026, 10, 22).at(14, 0, 0, 0), end: date(2026, 10, 22).at(14, 30, 0, 0) })
        );
        let all = starts(&series);
        assert_eq!(all.len(), 10);
        assert_eq!(all[1], (date(2026, 10, 22).at(14, 0, 0, 0), "Standup (moved)".to_owned()));
        let from = "2026-10-22T00:00:00Z".parse().unwrap();
        let to = "2026-10-23T00:00:00Z".parse().unwrap();
        let moved = series.expand(from, to, &Zone::new("America/New_York").unwrap()).unwrap();
        assert_eq!(moved.len(), 1);
        assert!(moved[0].overridden);
        assert_eq!(moved[0].recurrence_id, wednesday);
        assert_eq!(moved[0].start_rfc3339(), "2026-10-22T09:00:00-04:00");

        // Editing it back to the series' own values drops the override.
        let back =
            OccurrenceChanges { start: Some(wednesday), title: Some("Standup".to_owned()), ..Default::default() };
        series.edit_occurrence(wednesday, &back).unwrap();
        assert!(series.overrides().is_empty());

        let tuesday = date(2026, 10, 20).at(9, 30, 0, 0);
        assert_eq!(series.edit_occurrence(tuesday, &changes), Err(Error::NotAnOccurrence(tuesday)));
        let after_count = date(2027, 1, 4).at(9, 30, 0, 0);
        assert_eq!(series.edit_occurrence(after_count, &changes), Err(Error::NotAnOccurrence(after_count)));
        let backwards = OccurrenceChanges { end: Some(date(2026, 10, 21).at(9, 0, 0, 0)), ..Default::default() };
        assert!(series.edit_occurrence(wednesday, &backwards).unwrap_err().to_string().contains("after the start"));
        assert!(series.overrides().is_empty(), "unchanged on error");
    }

    #[test]
    fn cancel_one_occurrence() {
        let mut series = weekly();
        let monday = date(2026, 10, 26).at(9, 30, 0, 0);
        series
            .edit_occurrence(monday, &OccurrenceChanges { title: Some("Retro".to_owned()), ..Default::default() })
            .unwrap();
        series.cancel_occurrence(monday).unwrap();
        assert!(series.exdates().contains(&monday));
        assert!(series.overrides().is_empty(), "the override goes with the occurrence");
        let all = local_starts(&series);
        assert_eq!(all.len(), 9, "COUNT counts the cancelled occurrence");
        assert!(!all.contains(&monday));
        assert!(
            series
                .edit_occurrence(monday, &OccurrenceChanges::default())
                .unwrap_err()
                .to_string()
                .contains("cancelled")
        );
        let single = Series::from_input("x", &input("2026-10-19T09:30", "2026-10-19T10:00", None)).unwrap();
        assert!(single.clone().cancel_occurrence(single.start()).is_err());
    }

    #[test]
    fn edit_all_moves_exceptions_with_the_start() {
        let mut series = weekly();
        let wednesday = date(2026, 10, 21).at(9, 30, 0, 0);
        let monday = date(2026, 10, 26).at(9, 30, 0, 0);
        series.cancel_occurrence(wednesday).unwrap();
        series
            .edit_occurrence(monday, &OccurrenceChanges { title: Some("Retro".to_owned()), ..Default::default() })
            .unwrap();
        let changes = SeriesChanges {
            start: Some(date(2026, 10, 19).at(11, 0, 0, 0)),
            title: Some("Daily sync".to_owned()),
            description: Some(Some("Room 4".to_owned())),
            ..Default::default()
        };
        series.edit_all(&changes).unwrap();
        assert_eq!(series.end(), date(2026, 10, 19).at(11, 30, 0, 0), "the length is kept");
        assert!(series.exdates().contains(&date(2026, 10, 21).at(11, 0, 0, 0)));
        assert!(series.overrides().contains_key(&date(2026, 10, 26).at(11, 0, 0, 0)));
        let all = starts(&series);
        assert_eq!(all.len(), 9);
        assert!(all.iter().all(|(start, _)| start.time() == jiff::civil::time(11, 0, 0, 0)));
        assert_eq!(all[1].1, "Retro");
        assert_eq!(all[0].1, "Daily sync");
        assert_eq!(series.description(), Some("Room 4"));

        // A new rule drops exceptions that are no longer occurrences.
        let tuesdays = SeriesChanges {
            start: Some(date(2026, 10, 20).at(11, 0, 0, 0)),
            rule: Some(Some(Rule::parse("FREQ=WEEKLY;BYDAY=TU;COUNT=3").unwrap())),
            ..Default::default()
        };
        series.edit_all(&tuesdays).unwrap();
        // The start moved a day later: the cancelled Wednesday became a Thursday (dropped),
        // the retitled Monday a Tuesday (still an occurrence, kept).
        assert!(series.exdates().is_empty());
        assert_eq!(series.overrides().keys().copied().collect::<Vec<_>>(), [date(2026, 10, 27).at(11, 0, 0, 0)]);
        assert_eq!(
            starts(&series).iter().map(|(_, title)| title.as_str()).collect::<Vec<_>>(),
            ["Daily sync", "Retro", "Daily sync"]
        );

        // A weekly rule on one weekday follows the start.
        let mut one_day =
            Series::from_input("w", &input("2026-10-19T09:30", "2026-10-19T10:00", Some("FREQ=WEEKLY;BYDAY=MO")))
                .unwrap();
        one_day
            .edit_all(&SeriesChanges { start: Some(date(2026, 10, 22).at(9, 30, 0, 0)), ..Default::default() })
            .unwrap();
        assert_eq!(one_day.rule().unwrap().to_string(), "FREQ=WEEKLY;BYDAY=TH");
        // Two weekdays do not guess: the new start must fit the rule.
        let mut two_days = weekly();
        let error =
            two_days.edit_all(&SeriesChanges { start: Some(date(2026, 10, 20).at(9, 30, 0, 0)), ..Default::default() });
        assert!(error.unwrap_err().to_string().contains("not an occurrence"));
        assert_eq!(two_days, weekly(), "unchanged on error");
        // Dropping the rule makes a single meeting.
        two_days.edit_all(&SeriesChanges { rule: Some(None), ..Default::default() }).unwrap();
        assert_eq!(local_starts(&two_days), [date(2026, 10, 19).at(9, 30, 0, 0)]);
    }

    #[test]
    fn edit_this_and_following_splits() {
        let mut series = weekly();
        let early = date(2026, 10, 21).at(9, 30, 0, 0);
        let late = date(2026, 11, 9).at(9, 30, 0, 0);
        series.cancel_occurrence(early).unwrap();
        series.cancel_occurrence(late).unwrap();
        let split = date(2026, 11, 2).at(9, 30, 0, 0); // the 5th occurrence (a Monday, after BST ended)
        let changes = SeriesChanges { start: Some(date(2026, 11, 2).at(10, 0, 0, 0)), ..Default::default() };
        let tail = series.edit_this_and_following(split, &changes, "s2").unwrap().unwrap();

        // The head ends just before the split (in UTC), keeping its earlier exceptions.
        assert_eq!(series.rule().unwrap().to_string(), "FREQ=WEEKLY;UNTIL=20261102T092959Z;BYDAY=MO,WE");
        assert_eq!(
            local_starts(&series),
            [
                date(2026, 10, 19).at(9, 30, 0, 0),
                date(2026, 10, 26).at(9, 30, 0, 0),
                date(2026, 10, 28).at(9, 30, 0, 0)
            ]
        );
        assert_eq!(series.exdates().iter().copied().collect::<Vec<_>>(), [early]);

        // The tail starts at the split with the remaining count and later exceptions, moved to 10:00.
        assert_eq!(tail.id(), "s2");
        assert_eq!(tail.start(), date(2026, 11, 2).at(10, 0, 0, 0));
        assert_eq!(tail.rule().unwrap().to_string(), "FREQ=WEEKLY;COUNT=6;BYDAY=MO,WE");
        assert_eq!(tail.exdates().iter().copied().collect::<Vec<_>>(), [date(2026, 11, 9).at(10, 0, 0, 0)]);
        let tail_starts = local_starts(&tail);
        assert_eq!(tail_starts.len(), 5);
        assert!(tail_starts.iter().all(|start| start.time() == jiff::civil::time(10, 0, 0, 0)));
        assert_eq!(tail_starts.last().copied(), Some(date(2026, 11, 18).at(10, 0, 0, 0)));

        // At the first occurrence it is an edit of the whole series.
        let mut whole = weekly();
        let first = whole.start();
        assert_eq!(whole.edit_this_and_following(first, &changes, "s3").unwrap(), None);
        assert_eq!(whole.start(), date(2026, 11, 2).at(10, 0, 0, 0));
        assert_eq!(whole.rule().unwrap().count(), Some(10));
        let first = whole.start();
        let retitle = SeriesChanges { title: Some("New".to_owned()), ..Default::default() };
        assert_eq!(whole.edit_this_and_following(first, &retitle, "s3").unwrap(), None);
        assert_eq!(whole.title(), "New");
        let not_one = date(2026, 11, 3).at(10, 0, 0, 0);
        assert_eq!(whole.edit_this_and_following(not_one, &retitle, "s3"), Err(Error::NotAnOccurrence(not_one)));
    }

    #[test]
    fn stored_form_round_trips_and_is_checked() {
        let mut series = weekly();
        series.cancel_occurrence(date(2026, 10, 21).at(9, 30, 0, 0)).unwrap();
        let monday = date(2026, 10, 26).at(9, 30, 0, 0);
        let moved = OccurrenceChanges { start: Some(date(2026, 10, 26).at(15, 0, 0, 0)), ..Default::default() };
        series.edit_occurrence(monday, &moved).unwrap();
        let json = serde_json::to_string(&series).unwrap();
        assert_eq!(
            json,
            r#"{"id":"s1","title":"Standup","start":"2026-10-19T09:30:00","end":"2026-10-19T10:00:00","time_zone":"Europe/London","rrule":"FREQ=WEEKLY;COUNT=10;BYDAY=MO,WE","exdates":["2026-10-21T09:30:00"],"overrides":[{"recurrence_id":"2026-10-26T09:30:00","start":"2026-10-26T15:00:00","end":"2026-10-26T15:30:00"}]}"#
        );
        assert_eq!(serde_json::from_str::<Series>(&json).unwrap(), series);
        let bad = json.replace(r#""exdates":["2026-10-21T09:30:00"]"#, r#""exdates":["2026-10-20T09:30:00"]"#);
        assert!(serde_json::from_str::<Series>(&bad).unwrap_err().to_string().contains("not an occurrence"));
        let half = json.replace(r#","end":"2026-10-26T15:30:00""#, "");
        assert!(serde_json::from_str::<Series>(&half).is_err());
    }
}
