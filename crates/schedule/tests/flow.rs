//! The crate through its public API only, in the order the server will use
//! it: a meeting request as JSON, its series, conflicts with attendees' busy
//! time, a better slot, the invitation, an edit, the cancellation of one
//! occurrence, and the reminders that follow.

use jiff::civil::date;
use jiff::{SignedDuration, Timestamp};
use reynard_schedule::{
    Attendee, Interval, Invitation, Invitee, Method, OccurrenceChanges, PartStat, Person, PersonBusy, Series,
    SeriesInput, SlotQuery, WorkingHours, Zone, agenda, conflicts, due_reminders, find_slots, to_ics,
};

fn ts(text: &str) -> Timestamp {
    text.parse().unwrap()
}

#[test]
fn plan_invite_edit_remind() {
    let request = r#"{"title":"Design review","start":"2026-10-20T09:30","end":"2026-10-20T10:00",
        "time_zone":"Europe/London","rrule":"FREQ=WEEKLY;BYDAY=TU;COUNT=4",
        "attendees":["ada@example.org","bo@example.org"],"reminders_minutes":[10]}"#;
    let input: SeriesInput = serde_json::from_str(request).unwrap();
    let mut series = Series::from_input("m1", &input).unwrap();

    // Bo (Berlin) is busy during the second occurrence.
    let bo_busy = [Interval { start: ts("2026-10-27T09:00:00Z"), end: ts("2026-10-27T11:00:00Z") }];
    let utc = Zone::utc();
    let planned: Vec<Interval> = series
        .expand(ts("2026-10-01T00:00:00Z"), ts("2026-12-01T00:00:00Z"), &utc)
        .unwrap()
        .iter()
        .map(|occurrence| occurrence.interval())
        .collect();
    assert_eq!(planned.len(), 4);
    let clashes = conflicts(&planned, &[PersonBusy { email: "bo@example.org", busy: &bo_busy }]);
    assert_eq!(clashes.len(), 1);
    assert_eq!((clashes[0].candidate, clashes[0].start.to_string()), (1, "2026-10-27T09:30:00Z".to_owned()));

    // A slot that day suits both.
    let hours = WorkingHours::weekdays(&[("09:00", "17:00")]).unwrap();
    let attendees = [
        Attendee {
            email: "ada@example.org".into(),
            zone: Zone::new("Europe/London").unwrap(),
            working_hours: hours.clone(),
            busy: vec![],
            required: true,
        },
        Attendee {
            email: "bo@example.org".into(),
            zone: Zone::new("Europe/Berlin").unwrap(),
            working_hours: hours,
            busy: bo_busy.to_vec(),
            required: true,
        },
    ];
    let query = SlotQuery {
        duration: SignedDuration::from_mins(30),
        from: ts("2026-10-27T00:00:00Z"),
        to: ts("2026-10-28T00:00:00Z"),
        granularity: SignedDuration::from_mins(30),
        buffer: SignedDuration::from_mins(15),
        limit: 3,
    };
    let best = &find_slots(&attendees, &query).unwrap()[0];
    assert!(best.start >= ts("2026-10-27T11:15:00Z"));

    // Move that occurrence there, invite, then cancel the last one.
    let local_start = Zone::new("Europe/London").unwrap().local(best.start);
    series
        .edit_occurrence(
            date(2026, 10, 27).at(9, 30, 0, 0),
            &OccurrenceChanges { start: Some(local_start), ..Default::default() },
        )
        .unwrap();
    let organizer = Person { email: "ada@example.org".into(), name: Some("Ada".into()) };
    let invitees = [Invitee {
        person: Person { email: "bo@example.org".into(), name: None },
        partstat: PartStat::NeedsAction,
        required: true,
    }];
    let message = |series: &Series, method: Method, sequence: u32, occurrence| {
        to_ics(&Invitation {
            series,
            method,
            uid: "m1@reynard.example",
            sequence,
            dtstamp: ts("2026-10-15T12:00:00Z"),
            organizer: &organizer,
            attendees: &invitees,
            occurrence,
        })
        .unwrap()
    };
    let ics = message(&series, Method::Request, 1, None);
    assert!(ics.contains("RECURRENCE-ID;TZID=Europe/London:20261027T093000\r\n"));
    assert!(ics.contains("RSVP=TRUE"));

    let last = date(2026, 11, 10).at(9, 30, 0, 0);
    series.cancel_occurrence(last).unwrap();
    let cancel = message(&series, Method::Cancel, 2, Some(last));
    assert!(cancel.contains("METHOD:CANCEL\r\n") && cancel.contains("SEQUENCE:2\r\n"));

    // Reminders: three occurrences left, one of them moved.
    let all = [series];
    let reminders = due_reminders(&[(&all[0], &[10])], ts("2026-10-01T00:00:00Z"), ts("2026-12-01T00:00:00Z")).unwrap();
    assert_eq!(reminders.len(), 3);
    assert_eq!(reminders[1].occurrence_start, best.start);
    assert_eq!(agenda(&all, ts("2026-10-01T00:00:00Z"), ts("2026-12-01T00:00:00Z"), &utc).unwrap().len(), 3);
}
