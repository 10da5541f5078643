//! iCalendar output (RFC 5545): invitations and cancellations for iMIP
//! (RFC 6047, methods of RFC 5546), and feeds of several events for
//! calendar subscriptions.
//!
//! Events carry `DTSTART`/`DTEND` with `TZID` and a `VTIMEZONE` built from
//! the zone's real transitions over the years the series covers: runs of
//! yearly transitions on the same rule become one `STANDARD`/`DAYLIGHT`
//! component with a yearly `RRULE` (open-ended when it runs to the end of
//! the covered years, else with `UNTIL`), and irregular ones stay single.
//! Lines end in CRLF and are folded at 75 octets without splitting a UTF-8
//! character; text values are escaped (`\\`, `\;`, `\,`, `\n`) and other
//! control characters dropped, so no input can inject a property.

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::Offset;

use crate::calendar::{day_number, days_from_civil, days_in_month};
use crate::error::{Error, Result};
use crate::rule::{Until, Visit, weekday_code};
use crate::series::{Override, Series};
use crate::zone::Zone;

const PRODID: &str = "-//Reynard//Schedule//EN";
/// How many years past a series' start its `VTIMEZONE` spells out at most;
/// open-ended `RRULE`s cover the years after.
const MAX_ZONE_YEARS: i16 = 20;

/// The iTIP method of an invitation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// A new or updated meeting (`METHOD:REQUEST`).
    Request,
    /// A cancelled meeting or occurrence (`METHOD:CANCEL`); send it with a
    /// higher `SEQUENCE` than the last request.
    Cancel,
}

/// An attendee's answer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PartStat {
    /// Not answered yet.
    #[default]
    NeedsAction,
    /// Coming.
    Accepted,
    /// Not coming.
    Declined,
    /// Maybe.
    Tentative,
    /// Sent someone else.
    Delegated,
}

impl PartStat {
    fn as_str(self) -> &'static str {
        match self {
            PartStat::NeedsAction => "NEEDS-ACTION",
            PartStat::Accepted => "ACCEPTED",
            PartStat::Declined => "DECLINED",
            PartStat::Tentative => "TENTATIVE",
            PartStat::Delegated => "DELEGATED",
        }
    }
}

/// Someone with an address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    /// Email address.
    pub email: String,
    /// Display name, if known.
    pub name: Option<String>,
}

/// An attendee of an invitation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invitee {
    /// Who.
    pub person: Person,
    /// Their answer so far.
    pub partstat: PartStat,
    /// Whether they are required (`ROLE=REQ-PARTICIPANT`) or optional.
    pub required: bool,
}

/// An iMIP message body.
#[derive(Clone, Copy, Debug)]
pub struct Invitation<'a> {
    /// The meeting.
    pub series: &'a Series,
    /// Request or cancel.
    pub method: Method,
    /// The event's `UID`, the same in every message about it.
    pub uid: &'a str,
    /// The revision; a cancel needs a higher one than the last request.
    pub sequence: u32,
    /// When the message is made (`DTSTAMP`); passed in, never read from a clock.
    pub dtstamp: Timestamp,
    /// Who organizes.
    pub organizer: &'a Person,
    /// Who is invited (each gets `RSVP=TRUE`).
    pub attendees: &'a [Invitee],
    /// Only this occurrence (by `RECURRENCE-ID`): a request for one changed
    /// occurrence, or the cancel of one occurrence. `None` is the whole series.
    pub occurrence: Option<DateTime>,
}

/// One event of a feed.
#[derive(Clone, Copy, Debug)]
pub struct FeedEvent<'a> {
    /// The meeting.
    pub series: &'a Series,
    /// Its `UID`.
    pub uid: &'a str,
    /// Its current `SEQUENCE`.
    pub sequence: u32,
    /// Who organizes, if shown.
    pub organizer: Option<&'a Person>,
    /// Who attends, if shown.
    pub attendees: &'a [Invitee],
}

/// The `text/calendar` body of an invitation (`METHOD:REQUEST`) or cancellation
/// (`METHOD:CANCEL`): a `VTIMEZONE`, the master `VEVENT` (with `RRULE`,
/// `EXDATE`) and one `VEVENT` per override with `RECURRENCE-ID`; or, with
/// [`Invitation::occurrence`], just that occurrence's `VEVENT`.
pub fn to_ics(invitation: &Invitation<'_>) -> Result<String> {
    let series = invitation.series;
    let mut out = Writer::default();
    out.line("BEGIN:VCALENDAR");
    out.line(&format!("PRODID:{PRODID}"));
    out.line("VERSION:2.0");
    out.line("CALSCALE:GREGORIAN");
    out.line(match invitation.method {
        Method::Request => "METHOD:REQUEST",
        Method::Cancel => "METHOD:CANCEL",
    });
    let (first, last) = covered_years(series)?;
    vtimezone(&mut out, series.zone(), first, last);
    let event = EventParts {
        uid: invitation.uid,
        sequence: invitation.sequence,
        dtstamp: invitation.dtstamp,
        organizer: Some(invitation.organizer),
        attendees: invitation.attendees,
        rsvp: true,
        cancelled: invitation.method == Method::Cancel,
    };
    match invitation.occurrence {
        None => {
            master(&mut out, series, &event)?;
            if invitation.method == Method::Request {
                for (key, changes) in series.overrides() {
                    instance(&mut out, series, *key, Some(changes), &event)?;
                }
            }
        }
        Some(key) => {
            if !series.occurs_at(key)? {
                return Err(Error::NotAnOccurrence(key));
            }
            if invitation.method == Method::Request && series.exdates().contains(&key) {
                return Err(Error::Invalid(format!("the occurrence at {key} is cancelled: send a cancel")));
            }
            instance(&mut out, series, key, series.overrides().get(&key), &event)?;
        }
    }
    out.line("END:VCALENDAR");
    Ok(out.text)
}

/// A feed (`/ics/{secret}.ics`): several events in one `VCALENDAR` without
/// `METHOD`, one `VTIMEZONE` per zone, `X-WR-CALNAME` when `name` is not empty.
pub fn feed(name: &str, events: &[FeedEvent<'_>], dtstamp: Timestamp) -> Result<String> {
    let mut out = Writer::default();
    out.line("BEGIN:VCALENDAR");
    out.line(&format!("PRODID:{PRODID}"));
    out.line("VERSION:2.0");
    out.line("CALSCALE:GREGORIAN");
    if !name.trim().is_empty() {
        out.line(&format!("X-WR-CALNAME:{}", text(name.trim())));
    }
    let mut zones: BTreeMap<&str, (&Zone, i16, i16)> = BTreeMap::new();
    for event in events {
        let (first, last) = covered_years(event.series)?;
        let zone = event.series.zone();
        let entry = zones.entry(zone.name()).or_insert((zone, first, last));
        entry.1 = entry.1.min(first);
        entry.2 = entry.2.max(last);
    }
    for (zone, first, last) in zones.values() {
        vtimezone(&mut out, zone, *first, *last);
    }
    for event in events {
        let parts = EventParts {
            uid: event.uid,
            sequence: event.sequence,
            dtstamp,
            organizer: event.organizer,
            attendees: event.attendees,
            rsvp: false,
            cancelled: false,
        };
        master(&mut out, event.series, &parts)?;
        for (key, changes) in event.series.overrides() {
            instance(&mut out, event.series, *key, Some(changes), &parts)?;
        }
    }
    out.line("END:VCALENDAR");
    Ok(out.text)
}

/// What every `VEVENT` of one message shares.
struct EventParts<'a> {
    uid: &'a str,
    sequence: u32,
    dtstamp: Timestamp,
    organizer: Option<&'a Person>,
    attendees: &'a [Invitee],
    rsvp: bool,
    cancelled: bool,
}

fn master(out: &mut Writer, series: &Series, event: &EventParts<'_>) -> Result<()> {
    let tzid = param(series.zone().name());
    begin_event(out, event)?;
    out.line(&format!("DTSTART;TZID={tzid}:{}", local(series.start())));
    out.line(&format!("DTEND;TZID={tzid}:{}", local(series.end())));
    if let Some(rule) = series.rule() {
        out.line(&format!("RRULE:{rule}"));
        if !series.exdates().is_empty() {
            let dates: Vec<String> = series.exdates().iter().map(|key| local(*key)).collect();
            out.line(&format!("EXDATE;TZID={tzid}:{}", dates.join(",")));
        }
    }
    end_event(out, series.title(), series.description(), event)
}

fn instance(
    out: &mut Writer,
    series: &Series,
    key: DateTime,
    changes: Option<&Override>,
    event: &EventParts<'_>,
) -> Result<()> {
    let tzid = param(series.zone().name());
    let (start, end) = match changes.and_then(|changes| changes.moved) {
        Some(moved) => (moved.start, moved.end),
        None => (key, series.plain_end(key)?),
    };
    begin_event(out, event)?;
    out.line(&format!("RECURRENCE-ID;TZID={tzid}:{}", local(key)));
    out.line(&format!("DTSTART;TZID={tzid}:{}", local(start)));
    out.line(&format!("DTEND;TZID={tzid}:{}", local(end)));
    let title = changes.and_then(|changes| changes.title.as_deref()).unwrap_or(series.title());
    let description = changes.and_then(|changes| changes.description.as_deref()).or(series.description());
    end_event(out, title, description, event)
}

fn begin_event(out: &mut Writer, event: &EventParts<'_>) -> Result<()> {
    if event.uid.trim().is_empty() || event.uid.len() > 255 {
        return Err(Error::Invalid("the UID must be 1–255 characters".to_owned()));
    }
    out.line("BEGIN:VEVENT");
    out.line(&format!("UID:{}", text(event.uid)));
    out.line(&format!("SEQUENCE:{}", event.sequence));
    out.line(&format!("DTSTAMP:{}", utc(event.dtstamp)));
    Ok(())
}

fn end_event(out: &mut Writer, title: &str, description: Option<&str>, event: &EventParts<'_>) -> Result<()> {
    out.line(&format!("SUMMARY:{}", text(title)));
    if let Some(description) = description.filter(|d| !d.is_empty()) {
        out.line(&format!("DESCRIPTION:{}", text(description)));
    }
    if let Some(organizer) = event.organizer {
        out.line(&format!("ORGANIZER{}:{}", common_name(organizer), mailto(&organizer.email)?));
    }
    for invitee in event.attendees {
        let role = if invitee.required { "REQ-PARTICIPANT" } else { "OPT-PARTICIPANT" };
        let rsvp = if event.rsvp { ";RSVP=TRUE" } else { "" };
        out.line(&format!(
            "ATTENDEE{};ROLE={role};PARTSTAT={}{rsvp}:{}",
            common_name(&invitee.person),
            invitee.partstat.as_str(),
            mailto(&invitee.person.email)?
        ));
    }
    out.line(if event.cancelled { "STATUS:CANCELLED" } else { "STATUS:CONFIRMED" });
    out.line("END:VEVENT");
    Ok(())
}

fn common_name(person: &Person) -> String {
    match person.name.as_deref().map(str::trim).filter(|name| !name.is_empty()) {
        Some(name) => format!(";CN={}", param(name)),
        None => String::new(),
    }
}

fn mailto(email: &str) -> Result<String> {
    let email = email.trim();
    let valid = email.len() <= 254
        && email.split_once('@').is_some_and(|(user, host)| !user.is_empty() && !host.is_empty())
        && !email
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '<' | '>' | ',' | ';' | ':'));
    if !valid {
        return Err(Error::Invalid(format!("{email:?} is not an email address")));
    }
    Ok(format!("mailto:{email}"))
}

/// RFC 5545 TEXT escaping; control characters other than line breaks are dropped.
pub(crate) fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 8);
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("\\n");
            }
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A parameter value: quoted when it holds `:`, `;` or `,`; quotes and
/// control characters (which it cannot hold) dropped.
fn param(value: &str) -> String {
    let clean: String = value.chars().filter(|c| !c.is_control() && *c != '"').collect();
    if clean.contains([':', ';', ',']) { format!("\"{clean}\"") } else { clean }
}

fn local(at: DateTime) -> String {
    at.strftime("%Y%m%dT%H%M%S").to_string()
}

fn utc(at: Timestamp) -> String {
    at.strftime("%Y%m%dT%H%M%SZ").to_string()
}

fn offset(offset: Offset) -> String {
    let seconds = offset.seconds();
    let sign = if seconds < 0 { '-' } else { '+' };
    let abs = seconds.unsigned_abs();
    let (hours, minutes, rest) = (abs / 3600, abs / 60 % 60, abs % 60);
    if rest == 0 { format!("{sign}{hours:02}{minutes:02}") } else { format!("{sign}{hours:02}{minutes:02}{rest:02}") }
}

/// Content lines, CRLF-terminated and folded at 75 octets.
#[derive(Debug, Default)]
struct Writer {
    text: String,
}

impl Writer {
    fn line(&mut self, line: &str) {
        let mut width = 0;
        for c in line.chars() {
            if width + c.len_utf8() > 75 {
                self.text.push_str("\r\n ");
                width = 1;
            }
            self.text.push(c);
            width += c.len_utf8();
        }
        self.text.push_str("\r\n");
    }
}

/// The years a series' `VTIMEZONE` must cover: from its first start to its
/// last end, at most [`MAX_ZONE_YEARS`] past the start.
fn covered_years(series: &Series) -> Result<(i16, i16)> {
    let start_year = series.start().year();
    let cap = start_year.saturating_add(MAX_ZONE_YEARS).min(9998);
    let mut first = start_year;
    let mut last = series.end().year();
    for moved in series.overrides().values().filter_map(|changes| changes.moved) {
        first = first.min(moved.start.year());
        last = last.max(moved.end.year());
    }
    if let Some(rule) = series.rule() {
        let rule_last = match rule.until() {
            Some(Until::Utc(until)) => series.zone().local(until).year(),
            Some(Until::Date(date)) => date.year(),
            Some(Until::Local(until)) => until.year(),
            None if rule.count().is_some() => {
                let mut found = start_year;
                let hi = days_from_civil(i32::from(cap), 12, 31);
                rule.for_each(series.start(), series.zone(), day_number(series.start().date()), hi, |at, _| {
                    found = at.year();
                    Ok(Visit::Continue)
                })?;
                found
            }
            None => cap,
        };
        last = last.max(rule_last.saturating_add(1));
    }
    Ok((first, last.min(cap)))
}

/// One `STANDARD` or `DAYLIGHT` component: a run of transitions, one a year,
/// in the same month on the same weekday and time, all within one 7-day
/// window of days of the month (so one yearly rule yields exactly them).
#[derive(Debug)]
struct Observance {
    daylight: bool,
    from: Offset,
    to: Offset,
    name: String,
    month: i8,
    weekday: u8,
    time: jiff::civil::Time,
    /// The smallest and largest day of the month among the onsets.
    days: (i8, i8),
    onsets: Vec<DateTime>,
    last_instant: Timestamp,
}

impl Observance {
    /// `BYDAY` (and `BYMONTHDAY` if needed) of a window holding every onset:
    /// the n-th or last weekday when one fits, else "on or after day d".
    fn by_day(&self) -> String {
        let weekday = weekday_code(crate::calendar::index_to_weekday(self.weekday));
        let (lo, hi) = self.days;
        let month_len = days_in_month(2001, self.month as u8) as i8;
        for n in 1..=3 {
            if lo > 7 * (n - 1) && hi <= 7 * n {
                return format!("BYDAY={n}{weekday}");
            }
        }
        if self.month != 2 && lo > month_len - 7 {
            return format!("BYDAY=-1{weekday}");
        }
        if lo > 21 && hi <= 28 {
            return format!("BYDAY=4{weekday}");
        }
        let first = lo.min(25);
        let days: Vec<String> = (first..first + 7).map(|day| day.to_string()).collect();
        format!("BYMONTHDAY={};BYDAY={weekday}", days.join(","))
    }
}

/// Writes the zone's `VTIMEZONE` for the years `first..=last`.
fn vtimezone(out: &mut Writer, zone: &Zone, first: i16, last: i16) {
    let tz = zone.time_zone();
    let year_start =
        |year: i16| Timestamp::from_second((days_from_civil(i32::from(year), 1, 1)) * 86_400).unwrap_or(Timestamp::MIN);
    let (range_start, range_end) = (year_start(first), year_start(last.saturating_add(1)));
    let mut transitions: Vec<(Timestamp, Offset, String, bool)> = Vec::new();
    // The observance in force when the range starts, then each change within it.
    let at_start = range_start.checked_add(jiff::SignedDuration::from_secs(1)).unwrap_or(range_start);
    if let Some(before) = tz.preceding(at_start).next() {
        transitions.push((
            before.timestamp(),
            before.offset(),
            before.abbreviation().to_owned(),
            before.dst().is_dst(),
        ));
    }
    for change in tz.following(range_start).take_while(|change| change.timestamp() < range_end) {
        if transitions.last().is_some_and(|(at, ..)| *at == change.timestamp()) {
            continue;
        }
        transitions.push((
            change.timestamp(),
            change.offset(),
            change.abbreviation().to_owned(),
            change.dst().is_dst(),
        ));
    }

    out.line("BEGIN:VTIMEZONE");
    out.line(&format!("TZID:{}", zone.name()));
    if transitions.is_empty() {
        let info = tz.to_offset_info(range_start);
        out.line("BEGIN:STANDARD");
        out.line("DTSTART:19700101T000000");
        out.line(&format!("TZOFFSETFROM:{}", offset(info.offset())));
        out.line(&format!("TZOFFSETTO:{}", offset(info.offset())));
        out.line(&format!("TZNAME:{}", text(info.abbreviation())));
        out.line("END:STANDARD");
        out.line("END:VTIMEZONE");
        return;
    }
    let mut observances: Vec<Observance> = Vec::new();
    for (at, to, name, daylight) in transitions {
        let before = tz.to_offset_info(at.checked_sub(jiff::SignedDuration::from_secs(1)).unwrap_or(at));
        let from = before.offset();
        if from == to && before.abbreviation() == name && before.dst().is_dst() == daylight {
            continue; // a transition that changes nothing (e.g. at the end of 32-bit time)
        }
        let onset = from.to_datetime(at);
        let (year, month, day) = (onset.year(), onset.month(), onset.day());
        let weekday = crate::calendar::weekday_to_index(onset.weekday());
        let continues = observances.iter_mut().find(|o| {
            o.daylight == daylight
                && o.from == from
                && o.to == to
                && o.name == name
                && o.month == month
                && o.weekday == weekday
                && o.time == onset.time()
                && o.days.1.max(day) - o.days.0.min(day) <= 6
                && o.onsets.last().is_some_and(|previous| previous.year() + 1 == year)
        });
        match continues {
            Some(observance) => {
                observance.onsets.push(onset);
                observance.days = (observance.days.0.min(day), observance.days.1.max(day));
                observance.last_instant = at;
            }
            None => observances.push(Observance {
                daylight,
                from,
                to,
                name,
                month,
                weekday,
                time: onset.time(),
                days: (day, day),
                onsets: vec![onset],
                last_instant: at,
            }),
        }
    }
    for observance in &observances {
        let kind = if observance.daylight { "DAYLIGHT" } else { "STANDARD" };
        out.line(&format!("BEGIN:{kind}"));
        if let Some(first_onset) = observance.onsets.first() {
            out.line(&format!("DTSTART:{}", local(*first_onset)));
        }
        if observance.onsets.len() > 1 {
            let runs_to_end = observance.onsets.last().is_some_and(|onset| onset.year() >= last);
            let until = if runs_to_end { String::new() } else { format!(";UNTIL={}", utc(observance.last_instant)) };
            out.line(&format!("RRULE:FREQ=YEARLY;BYMONTH={};{}{until}", observance.month, observance.by_day()));
        }
        out.line(&format!("TZOFFSETFROM:{}", offset(observance.from)));
        out.line(&format!("TZOFFSETTO:{}", offset(observance.to)));
        out.line(&format!("TZNAME:{}", text(&observance.name)));
        out.line(&format!("END:{kind}"));
    }
    out.line("END:VTIMEZONE");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::series::{OccurrenceChanges, SeriesInput};
    use jiff::civil::date;

    fn series(zone: &str, rrule: Option<&str>) -> Series {
        let input = SeriesInput {
            title: "Planning, Q4; budget \\ review".to_owned(),
            description: Some("Agenda:\n1. Numbers\r\n2. Hiring".to_owned()),
            start: "2026-10-19T09:30".to_owned(),
            end: "2026-10-19T10:00".to_owned(),
            time_zone: zone.to_owned(),
            rrule: rrule.map(str::to_owned),
        };
        Series::from_input("s1", &input).unwrap()
    }

    fn organizer() -> Person {
        Person { email: "ada@example.org".to_owned(), name: Some("Lovelace, Ada".to_owned()) }
    }

    fn invitees() -> Vec<Invitee> {
        vec![
            Invitee {
                person: Person { email: "bo@example.org".to_owned(), name: Some("Bo".to_owned()) },
                partstat: PartStat::NeedsAction,
                required: true,
            },
            Invitee {
                person: Person { email: "cy@example.org".to_owned(), name: None },
                partstat: PartStat::Accepted,
                required: false,
            },
        ]
    }

    fn invitation<'a>(
        series: &'a Series,
        method: Method,
        sequence: u32,
        organizer: &'a Person,
        attendees: &'a [Invitee],
    ) -> Invitation<'a> {
        Invitation {
            series,
            method,
            uid: "s1@reynard.example",
            sequence,
            dtstamp: "2026-10-01T12:00:00Z".parse().unwrap(),
            organizer,
            attendees,
            occurrence: None,
        }
    }

    fn lines(text: &str) -> Vec<&str> {
        assert!(text.ends_with("\r\n"));
        assert!(!text.replace("\r\n", "").contains(['\r', '\n']), "bare CR or LF");
        text.trim_end_matches("\r\n").split("\r\n").collect()
    }

    /// Unfolded content lines.
    fn unfolded(text: &str) -> Vec<String> {
        text.replace("\r\n ", "").trim_end_matches("\r\n").split("\r\n").map(str::to_owned).collect()
    }

    fn edited() -> Series {
        let mut series = series("Europe/London", Some("FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10"));
        series.cancel_occurrence(date(2026, 10, 21).at(9, 30, 0, 0)).unwrap();
        let moved = OccurrenceChanges { start: Some(date(2026, 10, 26).at(15, 0, 0, 0)), ..Default::default() };
        series.edit_occurrence(date(2026, 10, 26).at(9, 30, 0, 0), &moved).unwrap();
        series
    }

    const LONDON: &str = "BEGIN:VTIMEZONE\r\nTZID:Europe/London\r\n\
        BEGIN:STANDARD\r\nDTSTART:20251026T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\n\
        TZOFFSETFROM:+0100\r\nTZOFFSETTO:+0000\r\nTZNAME:GMT\r\nEND:STANDARD\r\n\
        BEGIN:DAYLIGHT\r\nDTSTART:20260329T010000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n\
        TZOFFSETFROM:+0000\r\nTZOFFSETTO:+0100\r\nTZNAME:BST\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n";

    const PEOPLE: &str = "ORGANIZER;CN=\"Lovelace, Ada\":mailto:ada@example.org\r\n\
        ATTENDEE;CN=Bo;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:\r\n bo@example.org\r\n\
        ATTENDEE;ROLE=OPT-PARTICIPANT;PARTSTAT=ACCEPTED;RSVP=TRUE:mailto:cy@example\r\n .org\r\n";

    #[test]
    fn request_golden() {
        let series = edited();
        let (organizer, invitees) = (organizer(), invitees());
        let ics = to_ics(&invitation(&series, Method::Request, 0, &organizer, &invitees)).unwrap();
        let expected = String::new()
            + "BEGIN:VCALENDAR\r\nPRODID:-//Reynard//Schedule//EN\r\nVERSION:2.0\r\nCALSCALE:GREGORIAN\r\nMETHOD:REQUEST\r\n"
            + LONDON
            + "BEGIN:VEVENT\r\nUID:s1@reynard.example\r\nSEQUENCE:0\r\nDTSTAMP:20261001T120000Z\r\n"
            + "DTSTART;TZID=Europe/London:20261019T093000\r\nDTEND;TZID=Europe/London:20261019T100000\r\n"
            + "RRULE:FREQ=WEEKLY;COUNT=10;BYDAY=MO,WE\r\nEXDATE;TZID=Europe/London:20261021T093000\r\n"
            + "SUMMARY:Planning\\, Q4\\; budget \\\\ review\r\nDESCRIPTION:Agenda:\\n1. Numbers\\n2. Hiring\r\n"
            + PEOPLE
            + "STATUS:CONFIRMED\r\nEND:VEVENT\r\n"
            + "BEGIN:VEVENT\r\nUID:s1@reynard.example\r\nSEQUENCE:0\r\nDTSTAMP:20261001T120000Z\r\n"
            + "RECURRENCE-ID;TZID=Europe/London:20261026T093000\r\n"
            + "DTSTART;TZID=Europe/London:20261026T150000\r\nDTEND;TZID=Europe/London:20261026T153000\r\n"
            + "SUMMARY:Planning\\, Q4\\; budget \\\\ review\r\nDESCRIPTION:Agenda:\\n1. Numbers\\n2. Hiring\r\n"
            + PEOPLE
            + "STATUS:CONFIRMED\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        assert_eq!(ics, expected);
        assert!(lines(&ics).iter().all(|line| line.len() <= 75));
    }

    #[test]
    fn cancel_golden() {
        let series = edited();
        let (organizer, invitees) = (organizer(), invitees());
        let ics = to_ics(&invitation(&series, Method::Cancel, 1, &organizer, &invitees)).unwrap();
        let expected = String::new()
            + "BEGIN:VCALENDAR\r\nPRODID:-//Reynard//Schedule//EN\r\nVERSION:2.0\r\nCALSCALE:GREGORIAN\r\nMETHOD:CANCEL\r\n"
            + LONDON
            + "BEGIN:VEVENT\r\nUID:s1@reynard.example\r\nSEQUENCE:1\r\nDTSTAMP:20261001T120000Z\r\n"
            + "DTSTART;TZID=Europe/London:20261019T093000\r\nDTEND;TZID=Europe/London:20261019T100000\r\n"
            + "RRULE:FREQ=WEEKLY;COUNT=10;BYDAY=MO,WE\r\nEXDATE;TZID=Europe/London:20261021T093000\r\n"
            + "SUMMARY:Planning\\, Q4\\; budget \\\\ review\r\nDESCRIPTION:Agenda:\\n1. Numbers\\n2. Hiring\r\n"
            + PEOPLE
            + "STATUS:CANCELLED\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        assert_eq!(ics, expected, "the whole series, no override events, a higher SEQUENCE");
    }

    #[test]
    fn one_occurrence() {
        let series = edited();
        let (organizer, invitees) = (organizer(), invitees());
        let mut cancel_one = invitation(&series, Method::Cancel, 2, &organizer, &invitees);
        cancel_one.occurrence = Some(date(2026, 10, 21).at(9, 30, 0, 0));
        let ics = unfolded(&to_ics(&cancel_one).unwrap());
        assert!(ics.contains(&"METHOD:CANCEL".to_owned()));
        assert_eq!(ics.iter().filter(|line| *line == "BEGIN:VEVENT").count(), 1);
        let event: Vec<&str> = ics.iter().map(String::as_str).skip_while(|line| *line != "BEGIN:VEVENT").collect();
        assert_eq!(
            event[..8],
            [
                "BEGIN:VEVENT",
                "UID:s1@reynard.example",
                "SEQUENCE:2",
                "DTSTAMP:20261001T120000Z",
                "RECURRENCE-ID;TZID=Europe/London:20261021T093000",
                "DTSTART;TZID=Europe/London:20261021T093000",
                "DTEND;TZID=Europe/London:20261021T100000",
                "SUMMARY:Planning\\, Q4\\; budget \\\\ review",
            ]
        );
        assert!(event.contains(&"STATUS:CANCELLED"));
        let mut request_cancelled = cancel_one;
        request_cancelled.method = Method::Request;
        assert!(to_ics(&request_cancelled).unwrap_err().to_string().contains("is cancelled"));
        request_cancelled.occurrence = Some(date(2026, 10, 26).at(9, 30, 0, 0));
        let moved = unfolded(&to_ics(&request_cancelled).unwrap());
        assert!(moved.contains(&"DTSTART;TZID=Europe/London:20261026T150000".to_owned()));
        request_cancelled.occurrence = Some(date(2026, 10, 27).at(9, 30, 0, 0));
        assert!(matches!(to_ics(&request_cancelled), Err(Error::NotAnOccurrence(_))));
    }

    #[test]
    fn folding_and_escaping() {
        let title = "Réunion trimestrielle — 🦊 ".repeat(6) + "\r\nATTENDEE:mailto:evil@example.org";
        let input = SeriesInput {
            title: "x".to_owned(),
            description: Some(title.clone()),
            start: "2026-10-19T09:30".to_owned(),
            end: "2026-10-19T10:00".to_owned(),
            time_zone: "Europe/Paris".to_owned(),
            rrule: None,
        };
        let series = Series::from_input("s", &input).unwrap();
        let organizer = organizer();
        let ics = to_ics(&invitation(&series, Method::Request, 0, &organizer, &[])).unwrap();
        for line in lines(&ics) {
            assert!(line.len() <= 75, "{} octets: {line}", line.len());
        }
        let description = unfolded(&ics).into_iter().find(|line| line.starts_with("DESCRIPTION:")).unwrap();
        assert_eq!(description, format!("DESCRIPTION:{}", title.replace("\r\n", "\\n")));
        assert!(!unfolded(&ics).iter().any(|line| line.starts_with("ATTENDEE")), "no injected property");
        assert_eq!(text("a\\b;c,d\re\nf\u{7}g\th"), "a\\\\b\\;c\\,d\\ne\\nfgh");
        assert_eq!(param("Smith; John"), "\"Smith; John\"");
        assert_eq!(param("Bo \"the\" Builder"), "Bo the Builder");

        let bad = Person { email: "bo@example.org\r\nX-EVIL:1".to_owned(), name: None };
        assert!(to_ics(&invitation(&series, Method::Request, 0, &bad, &[])).is_err());
        let mut no_uid = invitation(&series, Method::Request, 0, &organizer, &[]);
        no_uid.uid = " ";
        assert!(to_ics(&no_uid).is_err());
    }

    #[test]
    fn feed_has_every_event_and_zone() {
        let london = edited();
        let tokyo = Series::from_input(
            "t",
            &SeriesInput {
                title: "Sync".to_owned(),
                description: None,
                start: "2026-11-02T17:00".to_owned(),
                end: "2026-11-02T17:30".to_owned(),
                time_zone: "Asia/Tokyo".to_owned(),
                rrule: None,
            },
        )
        .unwrap();
        let events = [
            FeedEvent { series: &london, uid: "s1@reynard.example", sequence: 3, organizer: None, attendees: &[] },
            FeedEvent { series: &tokyo, uid: "t@reynard.example", sequence: 0, organizer: None, attendees: &[] },
        ];
        let ics = unfolded(&feed("Ada's meetings", &events, "2026-10-01T12:00:00Z".parse().unwrap()).unwrap());
        assert!(!ics.iter().any(|line| line.starts_with("METHOD")));
        assert!(ics.contains(&"X-WR-CALNAME:Ada's meetings".to_owned()));
        let tzids: Vec<_> = ics.iter().filter(|line| line.starts_with("TZID:")).collect();
        assert_eq!(tzids, ["TZID:Asia/Tokyo", "TZID:Europe/London"]);
        assert_eq!(ics.iter().filter(|line| *line == "BEGIN:VEVENT").count(), 3, "two masters and one override");
        assert!(ics.contains(&"DTSTART;TZID=Asia/Tokyo:20261102T170000".to_owned()));
        assert!(!ics.iter().any(|line| line.contains("RSVP")));
    }

    /// Expands a `VTIMEZONE`'s observances with this crate's rule engine and
    /// returns each onset as (instant, new offset).
    fn onsets_of(vtimezone: &[String], last_year: i16) -> Vec<(Timestamp, i32)> {
        let parse_offset = |text: &str| -> i32 {
            let sign = if text.starts_with('-') { -1 } else { 1 };
            let digits: Vec<i32> = text.as_bytes()[1..]
                .chunks(2)
                .map(|pair| std::str::from_utf8(pair).unwrap().parse().unwrap())
                .collect();
            sign * (digits[0] * 3600 + digits[1] * 60 + digits.get(2).copied().unwrap_or(0))
        };
        let mut out = Vec::new();
        for block in vtimezone.split(|line| line == "BEGIN:STANDARD" || line == "BEGIN:DAYLIGHT").skip(1) {
            let field = |name: &str| block.iter().find_map(|line| line.strip_prefix(name)).map(str::to_owned);
            let start: DateTime =
                jiff::fmt::strtime::parse("%Y%m%dT%H%M%S", field("DTSTART:").unwrap()).unwrap().to_datetime().unwrap();
            let from = Offset::from_seconds(parse_offset(&field("TZOFFSETFROM:").unwrap())).unwrap();
            let to = parse_offset(&field("TZOFFSETTO:").unwrap());
            let Some(rrule) = field("RRULE:") else {
                out.push((from.to_timestamp(start).unwrap(), to));
                continue;
            };
            // UNTIL is UTC; compare onsets in the observance's own local time instead.
            let rrule = match rrule.split_once(";UNTIL=") {
                Some((head, until)) => {
                    let until = jiff::fmt::strtime::parse("%Y%m%dT%H%M%SZ", until).unwrap().to_datetime().unwrap();
                    let until = Offset::UTC.to_timestamp(until).unwrap();
                    format!("{head};UNTIL={}", from.to_datetime(until).strftime("%Y%m%dT%H%M%S"))
                }
                None => rrule,
            };
            let rule = crate::Rule::parse(&rrule).unwrap();
            let hi = days_from_civil(i32::from(last_year), 12, 31);
            rule.for_each(start, &Zone::utc(), day_number(start.date()), hi, |local, _| {
                out.push((from.to_timestamp(local).unwrap(), to));
                Ok(Visit::Continue)
            })
            .unwrap();
        }
        out.sort();
        out
    }

    #[test]
    fn every_zone_vtimezone_reproduces_its_transitions() {
        let (first, last) = (2024i16, 2044i16);
        let mut checked = 0;
        for name in jiff::tz::db().available() {
            let Ok(zone) = Zone::new(name.as_str()) else { continue };
            let mut writer = Writer::default();
            vtimezone(&mut writer, &zone, first, last);
            let lines = unfolded(&writer.text);
            let tz = zone.time_zone();
            let range_start = Timestamp::from_second(days_from_civil(i32::from(first), 1, 1) * 86_400).unwrap();
            let range_end = Timestamp::from_second(days_from_civil(i32::from(last) + 1, 1, 1) * 86_400).unwrap();
            let expected: Vec<(Timestamp, i32)> = tz
                .following(range_start)
                .take_while(|change| change.timestamp() < range_end)
                .filter(|change| {
                    let before =
                        tz.to_offset_info(change.timestamp().checked_sub(jiff::SignedDuration::from_secs(1)).unwrap());
                    before.offset() != change.offset()
                        || before.abbreviation() != change.abbreviation()
                        || before.dst() != change.dst()
                })
                .map(|change| (change.timestamp(), change.offset().seconds()))
                .collect();
            let got: Vec<(Timestamp, i32)> =
                onsets_of(&lines, last).into_iter().filter(|(at, _)| *at >= range_start && *at < range_end).collect();
            assert_eq!(got, expected, "{name}:\n{}", lines.join("\n"));
            // The offset in force at the start of the range is stated too.
            let in_force = onsets_of(&lines, last).into_iter().rfind(|(at, _)| *at <= range_start);
            if let Some((_, offset)) = in_force {
                assert_eq!(offset, tz.to_offset(range_start).seconds(), "{name}");
            }
            checked += 1;
        }
        assert!(checked > 300, "only {checked} zones");
    }
}
