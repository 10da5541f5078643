//! Due reminders: for each series and its reminder offsets ("10 minutes
//! before"), the reminders whose time falls in a window `[from, to)`.
//!
//! Cancelled occurrences get none; a moved occurrence is reminded of at its
//! new time. The output is deterministic and each reminder has a
//! [`Reminder::key`] (series id, occurrence start, minutes), so a server
//! that polls with consecutive windows and stores the keys it sent delivers
//! each reminder exactly once, even across restarts.

use jiff::civil::DateTime;
use jiff::{SignedDuration, Timestamp};

use crate::busy::shift;
use crate::error::{Error, Result};
use crate::expand::MAX_OCCURRENCES;
use crate::series::Series;

/// The earliest a reminder may come: four weeks before.
pub const MAX_REMINDER_MINUTES: u32 = 4 * 7 * 24 * 60;
/// The most reminders one meeting may have.
pub const MAX_REMINDERS: usize = 5;

/// Checks a meeting's `reminders_minutes`: at most [`MAX_REMINDERS`], each
/// from 0 to [`MAX_REMINDER_MINUTES`].
pub fn check_reminders(minutes: &[u32]) -> Result<()> {
    if minutes.len() > MAX_REMINDERS || minutes.iter().any(|m| *m > MAX_REMINDER_MINUTES) {
        return Err(Error::Invalid(format!(
            "at most {MAX_REMINDERS} reminders, each from 0 to {MAX_REMINDER_MINUTES} minutes before"
        )));
    }
    Ok(())
}

/// A reminder to send.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Reminder<'s> {
    /// The series.
    pub series_id: &'s str,
    /// The occurrence's original local start (its `RECURRENCE-ID`).
    pub recurrence_id: DateTime,
    /// When the occurrence starts (after any override).
    pub occurrence_start: Timestamp,
    /// How many minutes before the start.
    pub minutes: u32,
    /// When to send it.
    pub at: Timestamp,
}

impl Reminder<'_> {
    /// The key to store once sent: `{series id}|{occurrence start, UTC}|{minutes}`.
    pub fn key(&self) -> String {
        format!("{}|{}|{}", self.series_id, self.occurrence_start, self.minutes)
    }
}

/// The reminders due in `[from, to)` for each series with its reminder
/// minutes, ordered by time, then series id, occurrence and minutes.
pub fn due_reminders<'s>(
    entries: &[(&'s Series, &[u32])],
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<Reminder<'s>>> {
    let mut out = Vec::new();
    if from >= to {
        return Ok(out);
    }
    for (series, minutes) in entries {
        check_reminders(minutes)?;
        let mut minutes = minutes.to_vec();
        minutes.sort_unstable();
        minutes.dedup();
        let Some(&latest) = minutes.last() else { continue };
        let horizon = shift(to, SignedDuration::from_mins(i64::from(latest)));
        for instance in series.instances(from, horizon, MAX_OCCURRENCES)? {
            for &minutes in &minutes {
                let at = shift(instance.start, -SignedDuration::from_mins(i64::from(minutes)));
                if from <= at && at < to {
                    out.push(Reminder {
                        series_id: series.id(),
                        recurrence_id: instance.recurrence_id,
                        occurrence_start: instance.start,
                        minutes,
                        at,
                    });
                }
            }
        }
    }
    out.sort_by(|a, b| {
        (a.at, a.series_id, a.occurrence_start, a.minutes).cmp(&(b.at, b.series_id, b.occurrence_start, b.minutes))
    });
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::series::{OccurrenceChanges, SeriesInput};
    use jiff::civil::date;

    fn ts(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn daily(id: &str, start: &str, zone: &str) -> Series {
        let input = SeriesInput {
            title: "Standup".to_owned(),
            description: None,
            start: start.to_owned(),
            end: start.replace(":30", ":45"),
            time_zone: zone.to_owned(),
            rrule: Some("FREQ=DAILY;COUNT=10".to_owned()),
        };
        Series::from_input(id, &input).unwrap()
    }

    fn keys(reminders: &[Reminder<'_>]) -> Vec<String> {
        reminders.iter().map(|r| format!("{} at {}", r.key(), r.at)).collect()
    }

    #[test]
    fn reminders_in_a_window() {
        let series = daily("s", "2026-10-19T09:30", "Europe/London");
        let minutes: &[u32] = &[10, 60, 10];
        let due = due_reminders(&[(&series, minutes)], ts("2026-10-19T00:00:00Z"), ts("2026-10-20T08:25:00Z")).unwrap();
        assert_eq!(
            keys(&due),
            [
                "s|2026-10-19T08:30:00Z|60 at 2026-10-19T07:30:00Z",
                "s|2026-10-19T08:30:00Z|10 at 2026-10-19T08:20:00Z",
                "s|2026-10-20T08:30:00Z|60 at 2026-10-20T07:30:00Z",
                "s|2026-10-20T08:30:00Z|10 at 2026-10-20T08:20:00Z",
            ]
        );
        // Across the end of BST the reminder follows the meeting's wall clock.
        let later =
            due_reminders(&[(&series, minutes)], ts("2026-10-26T00:00:00Z"), ts("2026-10-27T00:00:00Z")).unwrap();
        assert_eq!(keys(&later)[1], "s|2026-10-26T09:30:00Z|10 at 2026-10-26T09:20:00Z");
        assert!(
            due_reminders(&[(&series, &[])], ts("2026-10-19T00:00:00Z"), ts("2026-10-30T00:00:00Z"))
                .unwrap()
                .is_empty()
        );
        assert!(
            due_reminders(
                &[(&series, &[MAX_REMINDER_MINUTES + 1])],
                ts("2026-10-19T00:00:00Z"),
                ts("2026-10-30T00:00:00Z")
            )
            .is_err()
        );
        assert!(check_reminders(&[1, 2, 3, 4, 5, 6]).is_err());
    }

    #[test]
    fn cancelled_occurrences_get_none_and_moved_ones_follow() {
        let mut series = daily("s", "2026-10-19T09:30", "Europe/London");
        series.cancel_occurrence(date(2026, 10, 20).at(9, 30, 0, 0)).unwrap();
        let moved = OccurrenceChanges { start: Some(date(2026, 10, 21).at(14, 30, 0, 0)), ..Default::default() };
        series.edit_occurrence(date(2026, 10, 21).at(9, 30, 0, 0), &moved).unwrap();
        let due = due_reminders(&[(&series, &[10])], ts("2026-10-19T00:00:00Z"), ts("2026-10-23T12:00:00Z")).unwrap();
        assert_eq!(
            keys(&due),
            [
                "s|2026-10-19T08:30:00Z|10 at 2026-10-19T08:20:00Z",
                "s|2026-10-21T13:30:00Z|10 at 2026-10-21T13:20:00Z",
                "s|2026-10-22T08:30:00Z|10 at 2026-10-22T08:20:00Z",
                "s|2026-10-23T08:30:00Z|10 at 2026-10-23T08:20:00Z",
            ]
        );
        assert_eq!(due[1].recurrence_id, date(2026, 10, 21).at(9, 30, 0, 0));
    }

    #[test]
    fn consecutive_windows_deliver_each_reminder_once() {
        let a = daily("a", "2026-10-19T09:30", "Europe/London");
        let b = daily("b", "2026-10-19T09:30", "America/New_York");
        let entries: [(&Series, &[u32]); 2] = [(&a, &[0, 15, 1440]), (&b, &[5])];
        let (start, end) = (ts("2026-10-17T00:00:00Z"), ts("2026-10-26T00:00:00Z"));
        let whole = due_reminders(&entries, start, end).unwrap();
        // a: the 19th–25th (08:30 UTC) get all three reminders; the 26th (09:30 UTC, after
        // BST) only its day-before one, due on the 25th. b: the 19th–25th at 13:25 UTC.
        assert_eq!(whole.len(), 7 * 3 + 1 + 7);
        let mut pieces = Vec::new();
        let mut from = start;
        while from < end {
            let to = from.checked_add(SignedDuration::from_mins(7)).unwrap().min(end);
            pieces.extend(due_reminders(&entries, from, to).unwrap());
            from = to;
        }
        assert_eq!(pieces, whole, "same reminders, same order, no duplicates");
    }
}
