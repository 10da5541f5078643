//! Timings of the two hot paths against their targets, with deterministic
//! synthetic data (no timed assertions: it prints figures).
//!
//! - Slot finding: 50 attendees in five European zones, 2,000 busy intervals
//!   each over 4 weeks, 30-minute meetings on a 15-minute grid, 10-minute
//!   buffers, best 20 slots. Busy time never covers 10:00–12:00 UTC on
//!   weekdays, so slots exist and every stage does its full work. Target ≤ 20 ms.
//! - Agenda: one user with 500 recurring series in five zones (weekday
//!   dailies, weeklies, fortnightlies, monthly 2nd-Tuesdays, some with COUNT,
//!   exceptions), expanded over 2026 and shown in Europe/London. Target ≤ 20 ms.
//!
//! Run: `cargo bench -p reynard-schedule`.

use std::error::Error;
use std::hint::black_box;
use std::time::{Duration, Instant};

use jiff::civil::date;
use jiff::{SignedDuration, Timestamp};
use reynard_schedule::{
    Attendee, Interval, OccurrenceChanges, Series, SeriesInput, SlotQuery, WorkingHours, Zone, agenda, find_slots,
};

/// A small deterministic generator (no dependency for benchmarks).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

const ZONES: [&str; 5] = ["Europe/London", "Europe/Berlin", "Europe/Paris", "Europe/Lisbon", "Europe/Helsinki"];

fn slot_attendees(from: Timestamp) -> Result<Vec<Attendee>, Box<dyn Error>> {
    let mut rng = Lcg(7);
    let hours = WorkingHours::weekdays(&[("08:00", "18:00")])?;
    let mut attendees = Vec::new();
    for index in 0..50 {
        let mut busy = Vec::with_capacity(2000);
        while busy.len() < 2000 {
            let start = from.as_second() + rng.below(28 * 24 * 12) as i64 * 300;
            let length = (1 + rng.below(9)) as i64 * 300;
            let (day_start, second_of_day) = (start - start.rem_euclid(86_400), start.rem_euclid(86_400));
            let weekday = (start.div_euclid(86_400) + 3).rem_euclid(7);
            let protected = (day_start + 10 * 3600, day_start + 12 * 3600);
            if weekday < 5 && start < protected.1 && start + length > protected.0 {
                continue;
            }
            let _ = second_of_day;
            busy.push(Interval { start: Timestamp::from_second(start)?, end: Timestamp::from_second(start + length)? });
        }
        attendees.push(Attendee {
            email: format!("person{index}@example.org"),
            zone: Zone::new(ZONES[index % ZONES.len()])?,
            working_hours: hours.clone(),
            busy,
            required: index < 45,
        });
    }
    Ok(attendees)
}

fn agenda_series() -> Result<Vec<Series>, Box<dyn Error>> {
    let mut rng = Lcg(11);
    let zones = ["Europe/London", "America/New_York", "Europe/Berlin", "Australia/Sydney", "Asia/Tokyo"];
    let mut all = Vec::with_capacity(500);
    for index in 0..500 {
        let (rule, start_day) = match index % 10 {
            0 | 1 => ("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR".to_owned(), date(2025, 3, 3)),
            2..=5 => ("FREQ=WEEKLY;BYDAY=TU,TH".to_owned(), date(2025, 6, 3)),
            6 => ("FREQ=WEEKLY;BYDAY=WE;COUNT=120".to_owned(), date(2025, 1, 1)),
            7 | 8 => ("FREQ=WEEKLY;INTERVAL=2;BYDAY=FR".to_owned(), date(2025, 9, 5)),
            _ => ("FREQ=MONTHLY;BYDAY=2TU".to_owned(), date(2025, 2, 11)),
        };
        let hour = 7 + rng.below(10) as i8;
        let start = start_day.at(hour, 0, 0, 0);
        let input = SeriesInput {
            title: format!("Series {index}"),
            description: None,
            start: start.to_string(),
            end: start.checked_add(SignedDuration::from_mins(30))?.to_string(),
            time_zone: zones[index % zones.len()].to_owned(),
            rrule: Some(rule),
        };
        let mut series = Series::from_input(format!("s{index}"), &input)?;
        if index % 25 == 0 {
            let from: Timestamp = "2026-03-01T00:00:00Z".parse()?;
            let to: Timestamp = "2026-04-01T00:00:00Z".parse()?;
            let keys: Vec<_> = series.expand(from, to, series.zone())?.iter().map(|o| o.recurrence_id).collect();
            if let Some(first) = keys.first() {
                series.cancel_occurrence(*first)?;
            }
            if let Some(last) = keys.last() {
                series.edit_occurrence(
                    *last,
                    &OccurrenceChanges { title: Some("Moved".to_owned()), ..Default::default() },
                )?;
            }
        }
        all.push(series);
    }
    Ok(all)
}

fn time<T>(name: &str, target_ms: f64, runs: usize, mut work: impl FnMut() -> T) {
    for _ in 0..3 {
        black_box(work());
    }
    let mut samples: Vec<Duration> = (0..runs)
        .map(|_| {
            let started = Instant::now();
            black_box(work());
            started.elapsed()
        })
        .collect();
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{name}: min {:.2} ms, median {:.2} ms, max {:.2} ms over {runs} runs (target ≤ {target_ms} ms)",
        ms(samples[0]),
        ms(samples[runs / 2]),
        ms(samples[runs - 1])
    );
}

fn main() -> Result<(), Box<dyn Error>> {
    let from: Timestamp = "2026-11-02T00:00:00Z".parse()?;
    let attendees = slot_attendees(from)?;
    let query = SlotQuery {
        duration: SignedDuration::from_mins(30),
        from,
        to: from.checked_add(SignedDuration::from_hours(28 * 24))?,
        granularity: SignedDuration::from_mins(15),
        buffer: SignedDuration::from_mins(10),
        limit: 20,
    };
    let slots = find_slots(&attendees, &query)?;
    println!(
        "find_slots: {} slots returned; best {} with {:?}",
        slots.len(),
        slots.first().map(|s| s.start.to_string()).unwrap_or_default(),
        slots.first().map(|s| s.score)
    );
    time("find_slots (50 attendees x 2,000 busy, 4 weeks)", 20.0, 50, || find_slots(&attendees, &query));

    let series = agenda_series()?;
    let (start, end): (Timestamp, Timestamp) = ("2026-01-01T00:00:00Z".parse()?, "2027-01-01T00:00:00Z".parse()?);
    let london = Zone::new("Europe/London")?;
    let occurrences = agenda(&series, start, end, &london)?.len();
    println!("agenda: {occurrences} occurrences");
    time("agenda (500 recurring series, one year)", 20.0, 50, || agenda(&series, start, end, &london));
    Ok(())
}
