//! Slot finding: times when every required attendee is inside their working
//! hours (in their own zone) and free (busy time widened by a buffer), on a
//! grid, ranked so that inconvenience is shared fairly across zones.
//!
//! How: each required attendee's working hours become instants (local ranges
//! resolved day by day, DST-aware), their busy time is widened and merged,
//! subtracted by a sweep, and the attendees' free lists are intersected by
//! another sweep; grid points inside the result are the candidate slots.
//! Work grows with the number of intervals and slots, never with minutes.
//!
//! The grid follows the wall clock of the first required attendee (the
//! organizer, by convention): with a 30-minute granularity slots start at :00
//! and :30 in that zone, whatever its offset.
//!
//! Ranking (lower is better, see [`Score`]): first fewer optional attendees
//! who cannot make it, then the worst penalty of any required attendee, then
//! the sum of penalties, then the earlier start. An attendee's penalty is how
//! many minutes the slot's middle is from the middle of their working day,
//! plus the minutes of the slot before 08:00 or after 18:00 in their zone.

use jiff::civil::Time;
use jiff::{SignedDuration, Timestamp};

use crate::busy::{Interval, intersect, merge_busy, shift, subtract};
use crate::calendar::{datetime_of, day_number, index_to_weekday, weekday_index};
use crate::error::{Error, Result};
use crate::hours::{WorkingHours, hhmm};
use crate::zone::Zone;

/// The longest range a query may cover.
pub const MAX_RANGE: SignedDuration = SignedDuration::from_hours(92 * 24);
/// The most grid points a query may cover (`(to - from) / granularity`).
pub const MAX_GRID_POINTS: i64 = 50_000;
/// The most attendees a query may have.
pub const MAX_ATTENDEES: usize = 500;

const SECONDS_PER_DAY: i64 = 86_400;
/// Local minutes of the day from which time counts as daytime, and until which.
const DAY_STARTS: i64 = 8 * 60;
const DAY_ENDS: i64 = 18 * 60;

/// Someone whose time a slot must respect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attendee {
    /// Who (shown in reasons).
    pub email: String,
    /// Their zone.
    pub zone: Zone,
    /// Their working hours, in their zone.
    pub working_hours: WorkingHours,
    /// When they are busy (meetings, external calendars), any order.
    pub busy: Vec<Interval>,
    /// Whether slots must fit them; optional attendees only affect ranking.
    pub required: bool,
}

/// What to look for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SlotQuery {
    /// How long the meeting lasts (1 minute to 24 hours).
    pub duration: SignedDuration,
    /// Earliest start.
    pub from: Timestamp,
    /// Latest end.
    pub to: Timestamp,
    /// Step of the grid slots start on (1 minute to 24 hours), e.g. 15 or 30 minutes.
    pub granularity: SignedDuration,
    /// Free time kept before and after each busy interval (0 to 24 hours).
    pub buffer: SignedDuration,
    /// The most slots to return, best first.
    pub limit: usize,
}

/// How inconvenient a slot is; lower is better, compared field by field.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Score {
    /// Optional attendees who are busy or outside their working hours.
    pub optional_unavailable: u32,
    /// The largest penalty (minutes) of any required attendee.
    pub worst: u32,
    /// The sum of the required attendees' penalties (minutes).
    pub total: u32,
}

/// A time that works for every required attendee.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Slot {
    /// Start.
    pub start: Timestamp,
    /// End (`start + duration`).
    pub end: Timestamp,
    /// Why it ranks where it does.
    pub score: Score,
    /// One line per required attendee with the slot in their local time
    /// ("09:00–09:30 for ada@example.org (Europe/London)"), then one per
    /// optional attendee who cannot make it. Joined with ", " they read as a sentence.
    pub reasons: Vec<String>,
}

/// The best slots for the attendees, best first (see the module documentation).
pub fn find_slots(attendees: &[Attendee], query: &SlotQuery) -> Result<Vec<Slot>> {
    check_query(attendees, query)?;
    let required: Vec<&Attendee> = attendees.iter().filter(|attendee| attendee.required).collect();
    let optional: Vec<&Attendee> = attendees.iter().filter(|attendee| !attendee.required).collect();
    let window = [Interval { start: query.from, end: query.to }];
    let mut common = window.to_vec();
    for attendee in &required {
        common = intersect(&common, &available(attendee, query.from, query.to, query.buffer)?);
        if common.is_empty() {
            return Ok(Vec::new());
        }
    }
    let optional_free: Vec<Vec<Interval>> = optional
        .iter()
        .map(|attendee| available(attendee, query.from, query.to, query.buffer))
        .collect::<Result<_>>()?;

    let anchor = &required[0].zone;
    let step = query.granularity.as_secs();
    let mut ranked: Vec<(Score, Timestamp)> = Vec::new();
    for free in &common {
        let mut start = grid_at_or_after(anchor, free.start, step);
        while let Some(end) = start.checked_add(query.duration).ok().filter(|end| *end <= free.end) {
            let slot = Interval { start, end };
            let optional_unavailable = optional_free.iter().filter(|free| !contains(free, &slot)).count() as u32;
            let mut score = Score { optional_unavailable, ..Score::default() };
            for attendee in &required {
                let penalty = penalty(attendee, &slot, query.duration);
                score.worst = score.worst.max(penalty);
                score.total = score.total.saturating_add(penalty);
            }
            ranked.push((score, start));
            start = grid_at_or_after(anchor, shift(start, SignedDuration::from_secs(1)), step);
        }
    }
    ranked.sort_unstable();
    ranked.truncate(query.limit);
    Ok(ranked
        .into_iter()
        .map(|(score, start)| {
            let end = shift(start, query.duration);
            let mut reasons: Vec<String> =
                required.iter().map(|attendee| local_reason(attendee, required[0], start, end)).collect();
            let slot = Interval { start, end };
            for (attendee, free) in optional.iter().zip(&optional_free) {
                if !contains(free, &slot) {
                    reasons.push(format!("{} (optional) is busy or outside working hours", attendee.email));
                }
            }
            Slot { start, end, score, reasons }
        })
        .collect())
}

/// When an attendee can meet within `[from, to)`: their working hours minus
/// their busy time widened by `buffer`; sorted and disjoint.
pub fn available(attendee: &Attendee, from: Timestamp, to: Timestamp, buffer: SignedDuration) -> Result<Vec<Interval>> {
    let working = working_intervals(&attendee.zone, &attendee.working_hours, from, to)?;
    let busy = merge_busy(attendee.busy.iter().map(|interval| interval.widened(buffer)));
    Ok(subtract(&working, &busy))
}

/// Working hours as instants within `[from, to)`, sorted and disjoint
/// (adjacent ranges, including across midnight, are joined). On DST days a
/// range keeps to its wall-clock times: a bound inside a spring-forward gap
/// is the transition, and a range starting inside an autumn fold starts at
/// the second pass while one ending inside it ends at the first, so no
/// instant of the result is outside the local range.
pub fn working_intervals(zone: &Zone, hours: &WorkingHours, from: Timestamp, to: Timestamp) -> Result<Vec<Interval>> {
    if from >= to {
        return Ok(Vec::new());
    }
    let first = day_number(zone.local(from).date()) - 1;
    let last = day_number(zone.local(to).date()) + 1;
    let mut out = Vec::new();
    for day in first..=last {
        for range in hours.on(index_to_weekday(weekday_index(day))) {
            let start = zone.resolve_range_start(datetime_of(day, minutes_to_time(range.start_minute())?)?)?;
            let end = if range.end_minute() == 1440 {
                zone.resolve_range_end(datetime_of(day + 1, Time::midnight())?)?
            } else {
                zone.resolve_range_end(datetime_of(day, minutes_to_time(range.end_minute())?)?)?
            };
            let (start, end) = (start.max(from), end.min(to));
            if start < end {
                out.push(Interval { start, end });
            }
        }
    }
    Ok(merge_busy(out))
}

fn minutes_to_time(minutes: u16) -> Result<Time> {
    Ok(Time::new((minutes / 60) as i8, (minutes % 60) as i8, 0, 0)?)
}

fn check_query(attendees: &[Attendee], query: &SlotQuery) -> Result<()> {
    let minute = SignedDuration::from_mins(1);
    let day = SignedDuration::from_hours(24);
    let bad = |what: &str| Err(Error::Invalid(what.to_owned()));
    if !(minute..=day).contains(&query.duration) {
        return bad("the duration must be from 1 minute to 24 hours");
    }
    if !(minute..=day).contains(&query.granularity) || query.granularity.subsec_nanos() != 0 {
        return bad("the granularity must be whole seconds from 1 minute to 24 hours");
    }
    if !(SignedDuration::ZERO..=day).contains(&query.buffer) {
        return bad("the buffer must be from 0 to 24 hours");
    }
    if query.from >= query.to {
        return bad("the range must end after it starts");
    }
    let range = query.from.duration_until(query.to);
    if range > MAX_RANGE {
        return bad("the range may cover at most 92 days");
    }
    if range.as_secs() / query.granularity.as_secs() > MAX_GRID_POINTS {
        return Err(Error::Invalid(format!(
            "more than {MAX_GRID_POINTS} grid points: shorten the range or coarsen the granularity"
        )));
    }
    if attendees.len() > MAX_ATTENDEES {
        return Err(Error::Invalid(format!("at most {MAX_ATTENDEES} attendees")));
    }
    if !attendees.iter().any(|attendee| attendee.required) {
        return bad("at least one attendee must be required");
    }
    Ok(())
}

/// The first instant at or after `at` whose wall-clock time in `zone` is a
/// multiple of `step` seconds (counted from local midnight of 1970-01-01).
fn grid_at_or_after(zone: &Zone, at: Timestamp, step: i64) -> Timestamp {
    let tz = zone.time_zone();
    let ceil_second = at.as_second() + i64::from(at.subsec_nanosecond() > 0);
    let mut candidate = ceil_second;
    // Offsets change rarely; a couple of rounds settle a grid point across a transition.
    for _ in 0..4 {
        let Ok(instant) = Timestamp::from_second(candidate) else { break };
        let offset = i64::from(tz.to_offset(instant).seconds());
        let aligned = (candidate + offset + step - 1).div_euclid(step) * step - offset;
        let Ok(aligned_instant) = Timestamp::from_second(aligned.max(ceil_second)) else { break };
        let settled = i64::from(tz.to_offset(aligned_instant).seconds()) == offset;
        candidate = aligned.max(ceil_second);
        if settled {
            break;
        }
    }
    Timestamp::from_second(candidate).unwrap_or(Timestamp::MAX)
}

/// Whether a merged list holds `slot` entirely within one of its intervals.
fn contains(free: &[Interval], slot: &Interval) -> bool {
    let index = free.partition_point(|interval| interval.end < slot.end);
    free.get(index).is_some_and(|interval| interval.contains(slot))
}

/// Local seconds since 1970-01-01 local midnight.
fn local_seconds(zone: &Zone, at: Timestamp) -> i64 {
    at.as_second() + i64::from(zone.time_zone().to_offset(at).seconds())
}

fn penalty(attendee: &Attendee, slot: &Interval, duration: SignedDuration) -> u32 {
    let middle = shift(slot.start, SignedDuration::from_secs(duration.as_secs() / 2));
    let local_middle = local_seconds(&attendee.zone, middle);
    let day = local_middle.div_euclid(SECONDS_PER_DAY);
    let middle_minute = local_middle.rem_euclid(SECONDS_PER_DAY) / 60;
    let on = |day: i64| attendee.working_hours.on(index_to_weekday(weekday_index(day)));
    // The working day the slot belongs to: the middle's, else the start's (a slot crossing midnight).
    let (ranges, minute) =
        if on(day).is_empty() { (on(day - 1), middle_minute + 1440) } else { (on(day), middle_minute) };
    let distance = match (ranges.first(), ranges.last()) {
        (Some(first), Some(last)) => {
            (minute - (i64::from(first.start_minute()) + i64::from(last.end_minute())) / 2).abs()
        }
        _ => 0,
    };
    let start_local = local_seconds(&attendee.zone, slot.start);
    let start_minute = start_local.rem_euclid(SECONDS_PER_DAY) / 60;
    let length = duration.as_secs() / 60;
    let daytime: i64 = (0..=1)
        .map(|k| {
            let (lo, hi) = (k * 1440 + DAY_STARTS, k * 1440 + DAY_ENDS);
            (hi.min(start_minute + length) - lo.max(start_minute)).max(0)
        })
        .sum();
    u32::try_from(distance + (length - daytime)).unwrap_or(u32::MAX)
}

fn local_reason(attendee: &Attendee, anchor: &Attendee, start: Timestamp, end: Timestamp) -> String {
    let local_start = local_seconds(&attendee.zone, start);
    let local_end = local_seconds(&attendee.zone, end);
    let minute_of = |seconds: i64| (seconds.rem_euclid(SECONDS_PER_DAY) / 60) as u16;
    let day_shift =
        local_start.div_euclid(SECONDS_PER_DAY) - local_seconds(&anchor.zone, start).div_euclid(SECONDS_PER_DAY);
    let day_note = match day_shift {
        0 => "",
        1 => " next day",
        -1 => " previous day",
        _ => " another day",
    };
    format!(
        "{}–{}{day_note} for {} ({})",
        hhmm(minute_of(local_start)),
        hhmm(minute_of(local_end)),
        attendee.email,
        attendee.zone
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ts(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn person(email: &str, zone: &str, hours: &[(&str, &str)], busy: &[(&str, &str)]) -> Attendee {
        Attendee {
            email: email.to_owned(),
            zone: Zone::new(zone).unwrap(),
            working_hours: WorkingHours::weekdays(hours).unwrap(),
            busy: busy.iter().map(|(start, end)| Interval { start: ts(start), end: ts(end) }).collect(),
            required: true,
        }
    }

    fn query(from: &str, to: &str, minutes: i64) -> SlotQuery {
        SlotQuery {
            duration: SignedDuration::from_mins(minutes),
            from: ts(from),
            to: ts(to),
            granularity: SignedDuration::from_mins(30),
            buffer: SignedDuration::ZERO,
            limit: 100,
        }
    }

    #[test]
    fn london_and_berlin_share_the_day() {
        let ada =
            person("ada", "Europe/London", &[("09:00", "17:00")], &[("2026-10-20T08:00:00Z", "2026-10-20T09:00:00Z")]);
        let bo = person("bo", "Europe/Berlin", &[("09:00", "17:00")], &[]);
        // Tuesday 20 October 2026: London is UTC+1, Berlin UTC+2; overlap 08:00–15:00 UTC.
        let slots = find_slots(&[ada, bo], &query("2026-10-20T00:00:00Z", "2026-10-21T00:00:00Z", 30)).unwrap();
        assert!(
            slots.iter().all(|slot| slot.start >= ts("2026-10-20T09:00:00Z") && slot.end <= ts("2026-10-20T15:00:00Z"))
        );
        assert_eq!(slots.len(), 12, "09:00–15:00 UTC on a 30-minute grid");
        // Best: both as near their day's middle (13:00 local) as can be, sharing the distance.
        assert_eq!(slots[0].start, ts("2026-10-20T11:00:00Z"));
        assert_eq!(slots[0].reasons, ["12:00–12:30 for ada (Europe/London)", "13:00–13:30 for bo (Europe/Berlin)"]);
        assert_eq!(slots[0].score, Score { optional_unavailable: 0, worst: 45, total: 60 });
        assert_eq!(
            slots[0].reasons.join(", "),
            "12:00–12:30 for ada (Europe/London), 13:00–13:30 for bo (Europe/Berlin)"
        );
        for pair in slots.windows(2) {
            assert!((pair[0].score, pair[0].start) < (pair[1].score, pair[1].start));
        }
    }

    #[test]
    fn fairness_across_far_zones() {
        // London (08:00–20:00) and New York (09:00–17:00) overlap 13:00–19:00 UTC. Their
        // working days' middles are 13:00 and 17:00 UTC: the fair hour splits the
        // difference (120 minutes each), and an evening in London is penalised beyond
        // its distance from the middle.
        let ada = person("ada", "Europe/London", &[("08:00", "20:00")], &[]);
        let cy = person("cy", "America/New_York", &[("09:00", "17:00")], &[]);
        let slots = find_slots(&[ada, cy], &query("2026-07-07T00:00:00Z", "2026-07-08T00:00:00Z", 60)).unwrap();
        assert_eq!(slots[0].start, ts("2026-07-07T14:30:00Z"), "15:30 London, 10:30 New York");
        assert_eq!(slots[0].score, Score { optional_unavailable: 0, worst: 120, total: 240 });
        let last = slots.last().unwrap();
        assert_eq!(last.start, ts("2026-07-07T18:00:00Z"), "19:00 London is evening there");
        assert_eq!(last.score.worst, 330 + 60);
    }

    #[test]
    fn buffers_optional_attendees_and_errors() {
        let ada =
            person("ada", "Europe/London", &[("09:00", "12:00")], &[("2026-10-20T09:00:00Z", "2026-10-20T09:30:00Z")]);
        let mut q = query("2026-10-20T00:00:00Z", "2026-10-21T00:00:00Z", 30);
        q.buffer = SignedDuration::from_mins(15);
        let starts: Vec<_> =
            find_slots(std::slice::from_ref(&ada), &q).unwrap().iter().map(|slot| slot.start).collect();
        // Free 08:00–08:45 and 09:45–11:00 UTC (within 09:00–12:00 BST), on the London grid.
        assert_eq!(starts.len(), 3);
        assert!(!starts.contains(&ts("2026-10-20T09:30:00Z")), "inside the buffer");
        let mut carol = person("carol", "Europe/London", &[("09:00", "10:00")], &[]);
        carol.required = false;
        let slots = find_slots(&[ada.clone(), carol], &q).unwrap();
        assert_eq!(slots.len(), 3);
        assert_eq!(slots[0].start, ts("2026-10-20T08:00:00Z"), "the one carol can make ranks first");
        assert_eq!(slots[0].score.optional_unavailable, 0);
        assert_eq!(slots[2].score.optional_unavailable, 1);
        assert_eq!(slots[2].reasons[1], "carol (optional) is busy or outside working hours");
        q.limit = 1;
        assert_eq!(find_slots(std::slice::from_ref(&ada), &q).unwrap().len(), 1);

        let bad = [
            SlotQuery { duration: SignedDuration::ZERO, ..q },
            SlotQuery { granularity: SignedDuration::from_secs(30), ..q },
            SlotQuery { buffer: SignedDuration::from_mins(-5), ..q },
            SlotQuery { to: q.from, ..q },
            SlotQuery { to: ts("2027-10-20T00:00:00Z"), ..q },
            SlotQuery { granularity: SignedDuration::from_mins(1), to: ts("2026-12-20T00:00:00Z"), ..q },
        ];
        for query in bad {
            assert!(find_slots(std::slice::from_ref(&ada), &query).is_err(), "{query:?}");
        }
        let mut nobody = ada;
        nobody.required = false;
        assert!(find_slots(&[nobody], &q).is_err());
    }

    #[test]
    fn the_grid_follows_the_organizer_clock() {
        // India is UTC+5:30: an hourly grid there starts at :30 UTC.
        let asha = person("asha", "Asia/Kolkata", &[("09:00", "12:00")], &[]);
        let ada = person("ada", "Europe/London", &[("00:00", "24:00")], &[]);
        let mut q = query("2026-10-20T00:00:00Z", "2026-10-21T00:00:00Z", 60);
        q.granularity = SignedDuration::from_mins(60);
        let starts: Vec<_> =
            find_slots(&[asha, ada], &q).unwrap().iter().map(|slot| slot.start.to_string()).collect::<Vec<_>>();
        let mut sorted = starts.clone();
        sorted.sort();
        assert_eq!(sorted, ["2026-10-20T03:30:00Z", "2026-10-20T04:30:00Z", "2026-10-20T05:30:00Z"]);
    }

    #[test]
    fn working_hours_on_dst_days() {
        let london = Zone::new("Europe/London").unwrap();
        let hours = WorkingHours::new([(
            jiff::civil::Weekday::Sunday,
            vec![crate::LocalRange::parse("00:30", "03:00").unwrap()],
        )])
        .unwrap();
        // Spring forward, Sunday 29 March 2026: 01:00 GMT jumps to 02:00 BST, so 00:30–03:00 lasts 1.5 hours.
        let spring =
            working_intervals(&london, &hours, ts("2026-03-28T00:00:00Z"), ts("2026-03-30T00:00:00Z")).unwrap();
        assert_eq!(spring, [Interval { start: ts("2026-03-29T00:30:00Z"), end: ts("2026-03-29T02:00:00Z") }]);
        // Fall back, Sunday 25 October 2026: 01:00–02:00 happens twice, so 00:30–03:00 lasts 3.5 hours.
        let autumn =
            working_intervals(&london, &hours, ts("2026-10-24T00:00:00Z"), ts("2026-10-26T00:00:00Z")).unwrap();
        assert_eq!(autumn, [Interval { start: ts("2026-10-24T23:30:00Z"), end: ts("2026-10-25T03:00:00Z") }]);
        // A day ending at 24:00 joins the next day's 00:00.
        let late = WorkingHours::new([
            (jiff::civil::Weekday::Monday, vec![crate::LocalRange::parse("22:00", "24:00").unwrap()]),
            (jiff::civil::Weekday::Tuesday, vec![crate::LocalRange::parse("00:00", "02:00").unwrap()]),
        ])
        .unwrap();
        let joined = working_intervals(&london, &late, ts("2026-01-05T00:00:00Z"), ts("2026-01-07T00:00:00Z")).unwrap();
        assert_eq!(joined, [Interval { start: ts("2026-01-05T22:00:00Z"), end: ts("2026-01-06T02:00:00Z") }]);
    }

    // Property tests: an independent oracle looks at every minute of a slot.

    const ZONES: [&str; 3] = ["Europe/London", "America/New_York", "Australia/Sydney"];

    fn local_minute_ok(attendee: &Attendee, at: Timestamp) -> bool {
        let local = attendee.zone.local(at);
        let minute = local.hour() as u16 * 60 + local.minute() as u16;
        attendee.working_hours.on(local.weekday()).iter().any(|r| r.start_minute() <= minute && minute < r.end_minute())
    }

    fn busy_ok(attendee: &Attendee, slot: &Interval, buffer: SignedDuration) -> bool {
        attendee.busy.iter().all(|busy| !busy.widened(buffer).overlaps(slot))
    }

    fn attendee_strategy(from: i64) -> impl Strategy<Value = Attendee> {
        let day = proptest::collection::vec((0u16..24 * 4, 1u16..40), 0..3);
        (
            0..3usize,
            proptest::collection::vec(day, 7),
            proptest::collection::vec((0i64..10 * 24 * 60, 5i64..240), 0..25),
            any::<bool>(),
        )
            .prop_map(move |(zone, days, busy, required)| {
                let days = days.into_iter().enumerate().map(|(index, ranges)| {
                    // Non-overlapping ranges from quarter-hour breakpoints.
                    let mut out: Vec<crate::LocalRange> = Vec::new();
                    let mut floor = 0u16;
                    for (start, length) in ranges {
                        let start = (start * 15).max(floor);
                        let end = (start + length * 15).min(1440);
                        if start < end {
                            out.push(crate::LocalRange::from_minutes(start, end).unwrap());
                            floor = end;
                        }
                    }
                    (crate::calendar::index_to_weekday(index as u8), out)
                });
                Attendee {
                    email: format!("p{zone}"),
                    zone: Zone::new(ZONES[zone]).unwrap(),
                    working_hours: WorkingHours::new(days).unwrap(),
                    busy: busy
                        .into_iter()
                        .map(|(start, length)| Interval {
                            start: Timestamp::from_second(from + start * 60).unwrap(),
                            end: Timestamp::from_second(from + (start + length) * 60).unwrap(),
                        })
                        .collect(),
                    required,
                }
            })
    }

    /// Windows across the 2026 transitions of all three zones (March/April and October/November).
    fn dst_window() -> impl Strategy<Value = i64> {
        prop_oneof![0i64..50, 210i64..260].prop_map(|day| ts("2026-03-01T00:00:00Z").as_second() + day * 86_400)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]

        #[test]
        fn slots_respect_busy_time_and_working_hours(
            (from, attendees) in dst_window().prop_flat_map(|from| (Just(from), proptest::collection::vec(attendee_strategy(from), 1..4))),
            days in 1i64..8,
            length in 1i64..9,
            step in prop_oneof![Just(15i64), Just(30), Just(60)],
            buffer in 0i64..31,
        ) {
            let mut attendees = attendees;
            attendees[0].required = true;
            let q = SlotQuery {
                duration: SignedDuration::from_mins(length * 15),
                from: Timestamp::from_second(from).unwrap(),
                to: Timestamp::from_second(from + days * 86_400).unwrap(),
                granularity: SignedDuration::from_mins(step),
                buffer: SignedDuration::from_mins(buffer),
                limit: usize::MAX,
            };
            let slots = find_slots(&attendees, &q).unwrap();
            for slot in &slots {
                let interval = Interval { start: slot.start, end: slot.end };
                prop_assert!(q.from <= slot.start && slot.end <= q.to);
                prop_assert_eq!(slot.start.duration_until(slot.end), q.duration);
                for attendee in attendees.iter().filter(|a| a.required) {
                    prop_assert!(busy_ok(attendee, &interval, q.buffer), "{:?} busy in {:?}", attendee.email, slot);
                    let mut at = slot.start;
                    while at < slot.end {
                        prop_assert!(local_minute_ok(attendee, at), "{} outside hours at {} in {:?}", attendee.email, at, slot);
                        at = at.checked_add(SignedDuration::from_mins(1)).unwrap();
                    }
                }
            }
            for pair in slots.windows(2) {
                prop_assert!((pair[0].score, pair[0].start) < (pair[1].score, pair[1].start));
            }
        }

        #[test]
        fn away_from_dst_every_grid_slot_that_fits_is_found(
            (from, attendees) in (0i64..40).prop_map(|day| ts("2026-06-01T00:00:00Z").as_second() + day * 86_400)
                .prop_flat_map(|from| (Just(from), proptest::collection::vec(attendee_strategy(from), 1..4))),
            days in 1i64..4,
            length in 1i64..9,
            step in prop_oneof![Just(15i64), Just(30)],
            buffer in 0i64..31,
        ) {
            let mut attendees = attendees;
            attendees[0].required = true;
            let q = SlotQuery {
                duration: SignedDuration::from_mins(length * 15),
                from: Timestamp::from_second(from).unwrap(),
                to: Timestamp::from_second(from + days * 86_400).unwrap(),
                granularity: SignedDuration::from_mins(step),
                buffer: SignedDuration::from_mins(buffer),
                limit: usize::MAX,
            };
            let mut found: Vec<Timestamp> = find_slots(&attendees, &q).unwrap().iter().map(|slot| slot.start).collect();
            found.sort();
            let anchor = &attendees.iter().find(|a| a.required).unwrap().zone;
            let mut expected = Vec::new();
            let mut at = q.from;
            while at.checked_add(q.duration).unwrap() <= q.to {
                let on_grid = local_seconds(anchor, at).rem_euclid(step * 60) == 0;
                let slot = Interval { start: at, end: at.checked_add(q.duration).unwrap() };
                let fits = attendees.iter().filter(|a| a.required).all(|attendee| {
                    busy_ok(attendee, &slot, q.buffer) && {
                        let mut minute = slot.start;
                        let mut ok = true;
                        while minute < slot.end {
                            ok &= local_minute_ok(attendee, minute);
                            minute = minute.checked_add(SignedDuration::from_mins(1)).unwrap();
                        }
                        ok
                    }
                });
                if on_grid && fits {
                    expected.push(at);
                }
                at = at.checked_add(SignedDuration::from_mins(15)).unwrap();
            }
            prop_assert_eq!(found, expected);
        }
    }
}
