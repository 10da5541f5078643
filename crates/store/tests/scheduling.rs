//! The scheduling part of the repository suite (profiles, meetings, attendees,
//! splitting a series, reminders, calendar feeds, and what follow-ups read:
//! call attendance, chat and document edits of a window): every test runs on
//! SQLite, and on PostgreSQL when `REYNARD_TEST_DATABASE_URL` is set, each in
//! a schema of its own.

use reynard_proto::{DocumentId, MessageId, RoomId, UserId, WorkspaceId};
use reynard_store::documents::NewUpdate;
use reynard_store::history::NewVersion;
use reynard_store::{
    Attendance, DEFAULT_WORKING_HOURS, Error, MeetingChange, MeetingTail, NewMeeting, NewUser, Profile, Store,
    now_millis,
};

#[macro_use]
mod backends;

on_both_backends!(
    profiles_default_and_round_trip,
    users_by_email_bring_their_profiles,
    meetings_come_with_a_room_and_attendees,
    meeting_rooms_get_distinct_names,
    updates_bump_the_sequence_and_keep_responses,
    cancelled_meetings_stay_but_hide,
    meetings_of_organizers_and_attendees,
    responses_are_recorded,
    reminders_are_claimed_once,
    concurrent_reminder_claims_have_one_winner,
    calendar_feed_secrets,
    deleting_a_workspace_removes_its_meetings,
    splitting_a_series_copies_its_attendees,
    live_meetings_leave_out_cancelled_ones,
    attendance_sums_overlaps_and_counts_open_sessions,
    followups_are_claimed_once,
    chat_between_keeps_to_the_window,
    documents_edited_between_read_the_log_and_versions,
);

async fn user(store: &Store, email: &str) -> UserId {
    let new = NewUser { email: email.to_owned(), name: email.to_owned(), password_hash: "$argon2id$x".to_owned() };
    store.create_user(new).await.expect("create user").id
}

/// A weekly meeting in `ws` organized by `organizer`.
fn weekly(ws: &WorkspaceId, organizer: &UserId, title: &str) -> NewMeeting {
    NewMeeting {
        workspace: ws.clone(),
        organizer: organizer.clone(),
        title: title.to_owned(),
        description: "Agenda in the doc".to_owned(),
        start_local: "2026-10-20T09:30".to_owned(),
        end_local: "2026-10-20T10:00".to_owned(),
        time_zone: "Europe/Paris".to_owned(),
        rrule: Some("FREQ=WEEKLY;BYDAY=TU".to_owned()),
        reminders: "[10,60]".to_owned(),
        room_name: title.to_owned(),
    }
}

fn emails(list: &[&str]) -> Vec<String> {
    list.iter().map(|e| (*e).to_owned()).collect()
}

async fn profiles_default_and_round_trip(store: &Store) {
    let ada = user(store, "ada@example.org").await;
    let profile = store.profile(&ada).await.unwrap().unwrap();
    assert_eq!(profile, Profile::default(), "the column defaults are the documented ones");
    assert_eq!(profile.working_hours, DEFAULT_WORKING_HOURS);
    assert_eq!(profile.time_zone, "UTC");
    assert!(profile.followups);

    let changed = Profile {
        time_zone: "America/New_York".to_owned(),
        working_hours: r#"{"mon":[["08:00","12:00"],["13:00","16:00"]]}"#.to_owned(),
        followups: false,
    };
    store.set_profile(&ada, &changed).await.unwrap();
    assert_eq!(store.profile(&ada).await.unwrap(), Some(changed));
    // The time zone is the account's.
    assert_eq!(store.user_by_id(&ada).await.unwrap().unwrap().time_zone, "America/New_York");

    let missing = UserId::new("missing");
    assert_eq!(store.profile(&missing).await.unwrap(), None);
    assert!(matches!(store.set_profile(&missing, &Profile::default()).await, Err(Error::NotFound(_))));
}

async fn users_by_email_bring_their_profiles(store: &Store) {
    let ann = user(store, "ann@example.org").await;
    let bob = user(store, "bob@example.org").await;
    let late = Profile { time_zone: "Asia/Tokyo".to_owned(), followups: false, ..Profile::default() };
    store.set_profile(&bob, &late).await.unwrap();
    let found = store
        .users_by_email(&emails(&["BOB@example.org", "nobody@example.org", " ann@example.org", "bob@example.org"]))
        .await
        .unwrap();
    assert_eq!(
        found,
        vec![(ann, "ann@example.org".to_owned(), Profile::default()), (bob, "bob@example.org".to_owned(), late)]
    );
    assert!(store.users_by_email(&[]).await.unwrap().is_empty());
}

async fn meetings_come_with_a_room_and_attendees(store: &Store) {
    let owner = user(store, "owner@example.org").await;
    let ann = user(store, "ann@example.org").await;
    let ws = store.create_workspace(&owner, "Team").await.unwrap();
    let attendees = emails(&["Ann@Example.org", "guest@elsewhere.net", "ann@example.org"]);
    let meeting = store.create_meeting(&weekly(&ws.id, &owner, "Weekly sync"), &attendees).await.unwrap();

    assert_eq!(meeting.workspace_id, ws.id);
    assert_eq!(meeting.organizer_id, owner);
    assert_eq!(
        (meeting.title.as_str(), meeting.description.as_str(), meeting.time_zone.as_str()),
        ("Weekly sync", "Agenda in the doc", "Europe/Paris")
    );
    assert_eq!((meeting.start_local.as_str(), meeting.end_local.as_str()), ("2026-10-20T09:30", "2026-10-20T10:00"));
    assert_eq!(meeting.rrule.as_deref(), Some("FREQ=WEEKLY;BYDAY=TU"));
    assert_eq!(
        (meeting.exdates.as_str(), meeting.overrides.as_str(), meeting.reminders.as_str()),
        ("[]", "[]", "[10,60]")
    );
    assert_eq!((meeting.sequence, meeting.cancelled_at), (0, None));
    assert_eq!(meeting.created_at, meeting.updated_at);
    assert!(!meeting.uid.is_empty());

    // Attendees lower-cased, once each, with the ids of those who have an account.
    let list: Vec<_> = meeting.attendees.iter().map(|a| (a.email.as_str(), a.user_id.clone())).collect();
    assert_eq!(list, [("ann@example.org", Some(ann)), ("guest@elsewhere.net", None)]);
    assert!(meeting.attendees.iter().all(|a| a.response == "needs_action" && a.responded_at.is_none()));

    // The room is in the workspace, named after the meeting.
    let room = store.room(&meeting.room_id).await.unwrap().expect("the meeting's room");
    assert_eq!((room.workspace_id.clone(), room.name.as_str(), room.is_default), (ws.id.clone(), "Weekly sync", false));
    assert!(store.rooms(&ws.id, false).await.unwrap().iter().any(|r| r.id == meeting.room_id));

    assert_eq!(store.meeting(&meeting.id).await.unwrap(), Some(meeting.clone()));
    assert_eq!(store.meeting("missing").await.unwrap(), None);

    // A single meeting has no rule; a missing workspace is not found and leaves nothing.
    let single = NewMeeting { rrule: None, room_name: "One-off".to_owned(), ..weekly(&ws.id, &owner, "One-off") };
    assert_eq!(store.create_meeting(&single, &[]).await.unwrap().rrule, None);
    let nowhere = weekly(&WorkspaceId::new("missing"), &owner, "Lost");
    assert!(matches!(store.create_meeting(&nowhere, &attendees).await, Err(Error::NotFound(_))));
    assert_eq!(store.meetings_of(&owner, "owner@example.org", true).await.unwrap().len(), 2);
}

async fn meeting_rooms_get_distinct_names(store: &Store) {
    let owner = user(store, "owner@example.org").await;
    let ws = store.create_workspace(&owner, "Team").await.unwrap();
    let other = store.create_workspace(&owner, "Other").await.unwrap();
    let first = store.create_meeting(&weekly(&ws.id, &owner, "Standup"), &[]).await.unwrap();
    let second = store.create_meeting(&weekly(&ws.id, &owner, "Standup"), &[]).await.unwrap();
    let third = store.create_meeting(&weekly(&ws.id, &owner, "Standup"), &[]).await.unwrap();
    let elsewhere = store.create_meeting(&weekly(&other.id, &owner, "Standup"), &[]).await.unwrap();
    let name = |id| async move { store.room(&id).await.unwrap().unwrap().name };
    assert_eq!(name(first.room_id.clone()).await, "Standup");
    assert_eq!(name(second.room_id.clone()).await, "Standup (2)");
    assert_eq!(name(third.room_id.clone()).await, "Standup (3)");
    assert_eq!(name(elsewhere.room_id).await, "Standup", "names are per workspace");
    assert_eq!(first.title, second.title, "the title stays as given");
    assert_ne!(first.uid, second.uid);

    // A freed number is reused; a room named like the default one is numbered.
    store.change_room(&second.room_id, Some("Renamed"), None).await.unwrap();
    let fourth = store.create_meeting(&weekly(&ws.id, &owner, "Standup"), &[]).await.unwrap();
    assert_eq!(name(fourth.room_id).await, "Standup (2)");
    let general = store.create_meeting(&weekly(&ws.id, &owner, "general"), &[]).await.unwrap();
    assert_eq!(name(general.room_id).await, "general (2)");

    // Meetings created at once all get a room.
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let (store, meeting) = (store.clone(), weekly(&ws.id, &owner, "Retro"));
        tasks.spawn(async move { store.create_meeting(&meeting, &[]).await.unwrap().room_id });
    }
    let mut names = Vec::new();
    while let Some(room) = tasks.join_next().await {
        names.push(name(room.unwrap()).await);
    }
    names.sort();
    assert_eq!(names, ["Retro", "Retro (2)", "Retro (3)", "Retro (4)"]);
}

async fn updates_bump_the_sequence_and_keep_responses(store: &Store) {
    let owner = user(store, "owner@example.org").await;
    let ann = user(store, "ann@example.org").await;
    let ws = store.create_workspace(&owner, "Team").await.unwrap();
    let created = store
        .create_meeting(&weekly(&ws.id, &owner, "Sync"), &emails(&["ann@example.org", "bob@example.org"]))
        .await
        .unwrap();
    assert!(store.set_response(&created.id, "ann@example.org", "accepted", 1_000).await.unwrap());
    assert!(store.set_response(&created.id, "bob@example.org", "declined", 2_000).await.unwrap());

    // Fields left out stay; the sequence moves on.
    let change = MeetingChange {
        title: Some("Sync (moved)".to_owned()),
        start_local: Some("2026-10-21T14:00".to_owned()),
        end_local: Some("2026-10-21T14:30".to_owned()),
        exdates: Some(r#"["2026-10-28T14:00"]"#.to_owned()),
        overrides: Some(r#"[{"recurrence_id":"2026-11-04T14:00","start_local":"2026-11-04T15:00"}]"#.to_owned()),
        ..MeetingChange::default()
    };
    let updated = store.update_meeting(&created.id, &change, None).await.unwrap().unwrap();
    assert_eq!(updated.sequence, 1);
    assert!(updated.updated_at >= created.updated_at);
    assert_eq!((updated.title.as_str(), updated.start_local.as_str()), ("Sync (moved)", "2026-10-21T14:00"));
    assert_eq!(updated.exdates, r#"["2026-10-28T14:00"]"#);
    assert!(updated.overrides.contains("recurrence_id"));
    assert_eq!((updated.description, updated.time_zone), (created.description.clone(), created.time_zone.clone()));
    assert_eq!((updated.rrule.clone(), updated.reminders.clone()), (created.rrule.clone(), created.reminders.clone()));
    assert_eq!((updated.uid.clone(), updated.room_id.clone()), (created.uid.clone(), created.room_id.clone()));
    assert_eq!(updated.attendees, store.meeting(&created.id).await.unwrap().unwrap().attendees, "attendees untouched");
    assert_eq!(updated.attendees.len(), 2);

    // A new attendee list: Ann stays with her answer, Bob leaves, Cy joins.
    let change = MeetingChange { rrule: Some(None), reminders: Some("[]".to_owned()), ..MeetingChange::default() };
    let updated = store
        .update_meeting(&created.id, &change, Some(&emails(&["cy@example.org", "ANN@example.org"])))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(updated.sequence, 2);
    assert_eq!((updated.rrule.clone(), updated.reminders.as_str()), (None, "[]"));
    let list: Vec<_> = updated
        .attendees
        .iter()
        .map(|a| (a.email.as_str(), a.user_id.clone(), a.response.as_str(), a.responded_at))
        .collect();
    assert_eq!(
        list,
        [
            ("ann@example.org", Some(ann.clone()), "accepted", Some(1_000)),
            ("cy@example.org", None, "needs_action", None)
        ]
    );

    // Bob comes back with a fresh answer; Cy signed up meanwhile and gets his id.
    let cy = user(store, "cy@example.org").await;
    let change = MeetingChange { rrule: Some(Some("FREQ=DAILY;COUNT=3".to_owned())), ..MeetingChange::default() };
    let updated = store
        .update_meeting(&created.id, &change, Some(&emails(&["ann@example.org", "cy@example.org", "bob@example.org"])))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(updated.rrule.as_deref(), Some("FREQ=DAILY;COUNT=3"));
    let list: Vec<_> =
        updated.attendees.iter().map(|a| (a.email.as_str(), a.user_id.clone(), a.response.as_str())).collect();
    assert_eq!(
        list,
        [
            ("ann@example.org", Some(ann), "accepted"),
            ("bob@example.org", None, "needs_action"),
            ("cy@example.org", Some(cy), "needs_action")
        ]
    );
    // An empty list removes everyone.
    let updated = store.update_meeting(&created.id, &MeetingChange::default(), Some(&[])).await.unwrap().unwrap();
    assert!(updated.attendees.is_empty());
    assert_eq!(updated.sequence, 4);

    assert_eq!(store.update_meeting("missing", &MeetingChange::default(), Some(&[])).await.unwrap(), None);
}

async fn cancelled_meetings_stay_but_hide(store: &Store) {
    let owner = user(store, "owner@example.org").await;
    let ws = store.create_workspace(&owner, "Team").await.unwrap();
    let meeting = store.create_meeting(&weekly(&ws.id, &owner, "Sync"), &emails(&["x@example.org"])).await.unwrap();
    let cancelled = store.cancel_meeting(&meeting.id, 5_000).await.unwrap().unwrap();
    assert_eq!((cancelled.cancelled_at, cancelled.sequence, cancelled.updated_at), (Some(5_000), 1, 5_000));
    assert_eq!(cancelled.attendees.len(), 1, "attendees stay for the CANCEL mail");
    // Again: nothing changes.
    let again = store.cancel_meeting(&meeting.id, 9_000).await.unwrap().unwrap();
    assert_eq!(again, cancelled);
    assert_eq!(store.cancel_meeting("missing", 9_000).await.unwrap(), None);

    assert!(store.meetings_of(&owner, "owner@example.org", false).await.unwrap().is_empty());
    let all = store.meetings_of(&owner, "owner@example.org", true).await.unwrap();
    assert_eq!(all.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(), [meeting.id.as_str()]);
    assert!(store.meetings_with_reminders().await.unwrap().is_empty(), "no reminders for cancelled meetings");
}

async fn meetings_of_organizers_and_attendees(store: &Store) {
    let owner = user(store, "owner@example.org").await;
    let ann = user(store, "ann@example.org").await;
    let bob = user(store, "bob@example.org").await;
    let ws = store.create_workspace(&owner, "Team").await.unwrap();
    // Ann by her account; Bob by an email his account does not have.
    let first = store
        .create_meeting(&weekly(&ws.id, &owner, "First"), &emails(&["ann@example.org", "bob@home.example"]))
        .await
        .unwrap();
    let second = store.create_meeting(&weekly(&ws.id, &ann, "Second"), &[]).await.unwrap();
    let quiet = NewMeeting { reminders: "[]".to_owned(), ..weekly(&ws.id, &bob, "Quiet") };
    let third = store.create_meeting(&quiet, &[]).await.unwrap();

    let ids = |meetings: Vec<reynard_store::MeetingRow>| meetings.into_iter().map(|m| m.id).collect::<Vec<_>>();
    assert_eq!(ids(store.meetings_of(&owner, "owner@example.org", false).await.unwrap()), [first.id.as_str()]);
    assert_eq!(
        ids(store.meetings_of(&ann, "ann@example.org", false).await.unwrap()),
        [first.id.as_str(), second.id.as_str()],
        "attending by id, organizing"
    );
    // Even under another address, Ann's account finds what she attends.
    assert_eq!(ids(store.meetings_of(&ann, "ann@work.example", false).await.unwrap()).len(), 2);
    assert_eq!(ids(store.meetings_of(&bob, "bob@example.org", false).await.unwrap()), [third.id.as_str()]);
    assert_eq!(
        ids(store.meetings_of(&bob, "Bob@Home.example", false).await.unwrap()),
        [first.id.as_str(), third.id.as_str()],
        "attending by email"
    );
    let nobody = UserId::new("nobody");
    assert!(store.meetings_of(&nobody, "nobody@example.org", true).await.unwrap().is_empty());
    // Each meeting comes with its attendees.
    let found = store.meetings_of(&bob, "bob@home.example", false).await.unwrap();
    assert_eq!(found[0].attendees.len(), 2);

    // Reminders: the meetings with some, not cancelled.
    let with_reminders = store.meetings_with_reminders().await.unwrap();
    assert_eq!(ids(with_reminders.clone()), [first.id.as_str(), second.id.as_str()]);
    assert_eq!(with_reminders[0].attendees.len(), 2);
    store.cancel_meeting(&second.id, now_millis()).await.unwrap();
    assert_eq!(ids(store.meetings_with_reminders().await.unwrap()), [first.id.as_str()]);
}

async fn responses_are_recorded(store: &Store) {
    let owner = user(store, "owner@example.org").await;
    let ws = store.create_workspace(&owner, "Team").await.unwrap();
    let meeting = store.create_meeting(&weekly(&ws.id, &owner, "Sync"), &emails(&["guest@example.net"])).await.unwrap();
    assert!(store.set_response(&meeting.id, "Guest@Example.net", "tentative", 7_000).await.unwrap());
    let attendee = &store.meeting(&meeting.id).await.unwrap().unwrap().attendees[0];
    assert_eq!((attendee.response.as_str(), attendee.responded_at), ("tentative", Some(7_000)));
    assert!(store.set_response(&meeting.id, "guest@example.net", "accepted", 8_000).await.unwrap());
    let attendee = &store.meeting(&meeting.id).await.unwrap().unwrap().attendees[0];
    assert_eq!((attendee.response.as_str(), attendee.responded_at), ("accepted", Some(8_000)));
    // A response changes neither the meeting's sequence nor its update time.
    let after = store.meeting(&meeting.id).await.unwrap().unwrap();
    assert_eq!((after.sequence, after.updated_at), (meeting.sequence, meeting.updated_at));

    assert!(!store.set_response(&meeting.id, "stranger@example.net", "accepted", 9_000).await.unwrap());
    assert!(!store.set_response("missing", "guest@example.net", "accepted", 9_000).await.unwrap());
    assert!(store.set_response(&meeting.id, "guest@example.net", "maybe", 9_000).await.is_err(), "unknown response");
}

async fn reminders_are_claimed_once(store: &Store) {
    let owner = user(store, "owner@example.org").await;
    let ws = store.create_workspace(&owner, "Team").await.unwrap();
    let meeting = store.create_meeting(&weekly(&ws.id, &owner, "Sync"), &[]).await.unwrap();
    let occurrence = "2026-10-20T07:30:00Z";
    assert!(store.claim_reminder(&meeting.id, occurrence, 10, 1_000).await.unwrap());
    assert!(!store.claim_reminder(&meeting.id, occurrence, 10, 2_000).await.unwrap());
    // Another reminder of the occurrence, or the same of another one, is its own.
    assert!(store.claim_reminder(&meeting.id, occurrence, 60, 1_000).await.unwrap());
    assert!(store.claim_reminder(&meeting.id, "2026-10-27T08:30:00Z", 10, 1_000).await.unwrap());
    assert!(matches!(store.claim_reminder("missing", occurrence, 10, 1_000).await, Err(Error::NotFound(_))));
}

async fn concurrent_reminder_claims_have_one_winner(store: &Store) {
    let owner = user(store, "owner@example.org").await;
    let ws = store.create_workspace(&owner, "Team").await.unwrap();
    let meeting = store.create_meeting(&weekly(&ws.id, &owner, "Sync"), &[]).await.unwrap();
    for round in 0..3 {
        let occurrence = format!("2026-10-{:02}T07:30:00Z", 20 + round * 7);
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..8 {
            let (store, id, occurrence) = (store.clone(), meeting.id.clone(), occurrence.clone());
            tasks.spawn(async move { store.claim_reminder(&id, &occurrence, 15, 1_000 + i).await.unwrap() });
        }
        let mut won = 0;
        while let Some(claimed) = tasks.join_next().await {
            won += usize::from(claimed.unwrap());
        }
        assert_eq!(won, 1, "exactly one of 8 concurrent claims sends the reminder ({occurrence})");
    }
}

async fn calendar_feed_secrets(store: &Store) {
    let ann = user(store, "ann@example.org").await;
    let bob = user(store, "bob@example.org").await;
    let first = store.calendar_feed_secret(&ann, false, || "s1".to_owned()).await.unwrap();
    assert_eq!(first, "s1");
    let again = store.calendar_feed_secret(&ann, false, || panic!("an existing secret is kept")).await.unwrap();
    assert_eq!(again, "s1");
    assert_eq!(store.user_for_feed("s1").await.unwrap(), Some(ann.clone()));

    let rotated = store.calendar_feed_secret(&ann, true, || "s2".to_owned()).await.unwrap();
    assert_eq!(rotated, "s2");
    assert_eq!(store.user_for_feed("s1").await.unwrap(), None, "the old address stops working");
    assert_eq!(store.user_for_feed("s2").await.unwrap(), Some(ann.clone()));
    assert_eq!(store.calendar_feed_secret(&ann, false, || "s3".to_owned()).await.unwrap(), "s2");

    // Rotating first also creates; concurrent first calls agree.
    assert_eq!(store.calendar_feed_secret(&bob, true, || "b1".to_owned()).await.unwrap(), "b1");
    let carl = user(store, "carl@example.org").await;
    let (a, b) = tokio::join!(
        store.calendar_feed_secret(&carl, false, || "c1".to_owned()),
        store.calendar_feed_secret(&carl, false, || "c2".to_owned())
    );
    assert_eq!(a.unwrap(), b.unwrap());
    assert_eq!(store.user_for_feed("unknown").await.unwrap(), None);
    let missing = UserId::new("missing");
    assert!(matches!(store.calendar_feed_secret(&missing, false, || "m".to_owned()).await, Err(Error::NotFound(_))));
}

async fn deleting_a_workspace_removes_its_meetings(store: &Store) {
    let owner = user(store, "owner@example.org").await;
    let ws = store.create_workspace(&owner, "Team").await.unwrap();
    let kept_ws = store.create_workspace(&owner, "Kept").await.unwrap();
    let meeting = store.create_meeting(&weekly(&ws.id, &owner, "Sync"), &emails(&["ann@example.org"])).await.unwrap();
    let kept = store.create_meeting(&weekly(&kept_ws.id, &owner, "Sync"), &emails(&["ann@example.org"])).await.unwrap();
    // Its claimed reminders go too (or the delete would break their reference).
    store.claim_reminder(&meeting.id, "2026-10-20T07:30:00Z", 10, 1_000).await.unwrap();
    store.delete_workspace(&ws.id).await.unwrap();
    assert_eq!(store.meeting(&meeting.id).await.unwrap(), None);
    assert_eq!(store.room(&meeting.room_id).await.unwrap(), None);
    let left = store.meetings_of(&owner, "ann@example.org", true).await.unwrap();
    assert_eq!(left, vec![kept.clone()]);
    assert!(!store.set_response(&meeting.id, "ann@example.org", "accepted", 1).await.unwrap());

    // Deleting the meeting's room deletes the meeting too.
    store.execute_raw(&format!("DELETE FROM rooms WHERE id = '{}'", kept.room_id)).await.unwrap();
    assert_eq!(store.meeting(&kept.id).await.unwrap(), None);
}

async fn splitting_a_series_copies_its_attendees(store: &Store) {
    let owner = user(store, "owner@example.org").await;
    let ann = user(store, "ann@example.org").await;
    let ws = store.create_workspace(&owner, "Team").await.unwrap();
    let created = store
        .create_meeting(&weekly(&ws.id, &owner, "Sync"), &emails(&["ann@example.org", "guest@example.net"]))
        .await
        .unwrap();
    assert!(store.set_response(&created.id, "ann@example.org", "accepted", 1_000).await.unwrap());
    assert!(store.set_response(&created.id, "guest@example.net", "tentative", 2_000).await.unwrap());

    let head = MeetingChange {
        rrule: Some(Some("FREQ=WEEKLY;BYDAY=TU;UNTIL=20261103T000000Z".to_owned())),
        ..MeetingChange::default()
    };
    let tail = MeetingTail {
        title: "Sync (afternoons)".to_owned(),
        description: "New slot".to_owned(),
        start_local: "2026-11-03T14:00".to_owned(),
        end_local: "2026-11-03T14:45".to_owned(),
        time_zone: "Europe/Berlin".to_owned(),
        rrule: Some("FREQ=WEEKLY;BYDAY=TU".to_owned()),
        exdates: r#"["2026-12-29T14:00"]"#.to_owned(),
        overrides: "[]".to_owned(),
        reminders: "[15]".to_owned(),
    };
    let (head_row, tail_row) = store.split_meeting(&created.id, &head, &tail).await.unwrap().unwrap();

    // The head is the meeting changed as an update changes it.
    assert_eq!(head_row.id, created.id);
    assert_eq!(head_row.uid, created.uid);
    assert_eq!(head_row.sequence, 1);
    assert_eq!(head_row.rrule.as_deref(), Some("FREQ=WEEKLY;BYDAY=TU;UNTIL=20261103T000000Z"));
    assert_eq!((head_row.title.as_str(), head_row.start_local.as_str()), ("Sync", "2026-10-20T09:30"));
    let answers: Vec<_> = head_row
        .attendees
        .iter()
        .map(|a| (a.email.as_str(), a.user_id.clone(), a.response.as_str(), a.responded_at))
        .collect();
    assert_eq!(
        answers,
        [
            ("ann@example.org", Some(ann.clone()), "accepted", Some(1_000)),
            ("guest@example.net", None, "tentative", Some(2_000))
        ],
        "the head keeps its attendees and answers"
    );

    // The tail is a meeting of its own in the same room, with the same people and answers.
    assert_ne!(tail_row.id, created.id);
    assert_eq!(tail_row.uid, format!("{}@reynard", tail_row.id));
    assert_eq!(
        (&tail_row.workspace_id, &tail_row.room_id, &tail_row.organizer_id),
        (&created.workspace_id, &created.room_id, &created.organizer_id)
    );
    assert_eq!((tail_row.sequence, tail_row.cancelled_at), (0, None));
    assert_eq!(tail_row.created_at, tail_row.updated_at);
    assert_eq!(
        (tail_row.title.as_str(), tail_row.description.as_str(), tail_row.time_zone.as_str()),
        ("Sync (afternoons)", "New slot", "Europe/Berlin")
    );
    assert_eq!((tail_row.start_local.as_str(), tail_row.end_local.as_str()), ("2026-11-03T14:00", "2026-11-03T14:45"));
    assert_eq!(tail_row.rrule.as_deref(), Some("FREQ=WEEKLY;BYDAY=TU"));
    assert_eq!(
        (tail_row.exdates.as_str(), tail_row.overrides.as_str(), tail_row.reminders.as_str()),
        (r#"["2026-12-29T14:00"]"#, "[]", "[15]")
    );
    assert_eq!(tail_row.attendees, head_row.attendees, "user ids, answers and their times copied");
    assert_eq!(store.meeting(&tail_row.id).await.unwrap(), Some(tail_row.clone()));

    // From now on the two are separate: an answer to one leaves the other.
    assert!(store.set_response(&tail_row.id, "ann@example.org", "declined", 3_000).await.unwrap());
    let head_again = store.meeting(&created.id).await.unwrap().unwrap();
    assert_eq!(head_again.attendees[0].response, "accepted");
    let ids: Vec<String> =
        store.meetings_of(&ann, "ann@example.org", false).await.unwrap().into_iter().map(|m| m.id).collect();
    assert_eq!(ids, [created.id.clone(), tail_row.id.clone()]);

    // A missing meeting is not split, and nothing is added.
    assert_eq!(store.split_meeting("missing", &head, &tail).await.unwrap(), None);
    assert_eq!(store.live_meetings().await.unwrap().len(), 2);
}

async fn live_meetings_leave_out_cancelled_ones(store: &Store) {
    let owner = user(store, "owner@example.org").await;
    let ws = store.create_workspace(&owner, "Team").await.unwrap();
    assert!(store.live_meetings().await.unwrap().is_empty());
    let first = store.create_meeting(&weekly(&ws.id, &owner, "First"), &emails(&["ann@example.org"])).await.unwrap();
    let quiet = NewMeeting { reminders: "[]".to_owned(), ..weekly(&ws.id, &owner, "Quiet") };
    let second = store.create_meeting(&quiet, &[]).await.unwrap();
    let third = store.create_meeting(&weekly(&ws.id, &owner, "Third"), &[]).await.unwrap();
    store.cancel_meeting(&third.id, now_millis()).await.unwrap();
    let live = store.live_meetings().await.unwrap();
    assert_eq!(live.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(), [first.id.as_str(), second.id.as_str()]);
    assert_eq!(live[0].attendees.len(), 1, "with their attendees");
}

async fn attendance_sums_overlaps_and_counts_open_sessions(store: &Store) {
    let owner = user(store, "owner@example.org").await;
    let ann = user(store, "ann@example.org").await;
    let bob = user(store, "bob@example.org").await;
    let cy = user(store, "cy@example.org").await;
    let ws = store.create_workspace(&owner, "Team").await.unwrap();
    let meeting = store.create_meeting(&weekly(&ws.id, &owner, "Sync"), &[]).await.unwrap();
    let room = meeting.room_id.clone();
    let elsewhere = store.create_room(&ws.id, "elsewhere", &owner).await.unwrap().id;
    let session = |room: RoomId, user: UserId, joined: i64, left: Option<i64>| async move {
        let id = store.call_joined(&room, &user, joined).await.unwrap();
        if let Some(left) = left {
            store.call_left(&id, left).await.unwrap();
        }
        id
    };
    // The window is [10 000, 70 000).
    // Ann: from before the window, then again with two devices at once.
    session(room.clone(), ann.clone(), 5_000, Some(20_000)).await;
    session(room.clone(), ann.clone(), 30_000, Some(40_000)).await;
    session(room.clone(), ann.clone(), 35_000, Some(45_000)).await;
    // Bob: still in the call.
    let bob_open = session(room.clone(), bob.clone(), 60_000, None).await;
    // Cy: only just outside the window, and in another room during it.
    session(room.clone(), cy.clone(), 0, Some(10_000)).await;
    session(room.clone(), cy.clone(), 70_000, Some(80_000)).await;
    session(elsewhere.clone(), cy.clone(), 20_000, Some(50_000)).await;

    let attendance = store.attendance(&room, 10_000, 70_000).await.unwrap();
    assert_eq!(
        attendance,
        [
            Attendance { user_id: ann.clone(), name: "ann@example.org".to_owned(), joined_ms: 10_000 + 15_000 },
            Attendance { user_id: bob.clone(), name: "bob@example.org".to_owned(), joined_ms: 10_000 },
        ]
    );
    assert_eq!(store.attendance(&elsewhere, 10_000, 70_000).await.unwrap()[0].joined_ms, 30_000);
    assert!(store.attendance(&room, -10_000, 0).await.unwrap().is_empty());

    // Leaving twice keeps the first end; an unknown id changes nothing.
    store.call_left(&bob_open, 65_000).await.unwrap();
    store.call_left(&bob_open, 69_000).await.unwrap();
    store.call_left("missing", 69_000).await.unwrap();
    let bob_time = |attendance: Vec<Attendance>| attendance.into_iter().find(|a| a.user_id == bob).map(|a| a.joined_ms);
    assert_eq!(bob_time(store.attendance(&room, 10_000, 70_000).await.unwrap()), Some(5_000));

    // After a crash: the open sessions are closed at start-up, the others stay.
    let dropped = session(room.clone(), bob.clone(), 90_000, None).await;
    session(room.clone(), owner.clone(), 95_000, None).await;
    assert_eq!(store.close_open_attendance(100_000).await.unwrap(), 2);
    assert_eq!(store.close_open_attendance(110_000).await.unwrap(), 0);
    store.call_left(&dropped, 120_000).await.unwrap();
    let later = store.attendance(&room, 60_000, 200_000).await.unwrap();
    assert_eq!(bob_time(later.clone()), Some(5_000 + 10_000));
    assert_eq!(
        later.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(),
        ["bob@example.org", "cy@example.org", "owner@example.org"]
    );

    assert!(matches!(store.call_joined(&RoomId::new("missing"), &ann, 1).await, Err(Error::NotFound(_))));
}

async fn followups_are_claimed_once(store: &Store) {
    let owner = user(store, "owner@example.org").await;
    let ws = store.create_workspace(&owner, "Team").await.unwrap();
    let meeting = store.create_meeting(&weekly(&ws.id, &owner, "Sync"), &[]).await.unwrap();
    let occurrence = "2026-10-20T07:30:00Z";
    assert!(store.claim_followup(&meeting.id, occurrence, 1_000).await.unwrap());
    assert!(!store.claim_followup(&meeting.id, occurrence, 2_000).await.unwrap());
    assert!(store.claim_followup(&meeting.id, "2026-10-27T07:30:00Z", 1_000).await.unwrap());
    assert!(matches!(store.claim_followup("missing", occurrence, 1_000).await, Err(Error::NotFound(_))));

    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..8 {
        let (store, id) = (store.clone(), meeting.id.clone());
        tasks.spawn(async move { store.claim_followup(&id, "2026-11-03T07:30:00Z", 1_000 + i).await.unwrap() });
    }
    let mut won = 0;
    while let Some(claimed) = tasks.join_next().await {
        won += usize::from(claimed.unwrap());
    }
    assert_eq!(won, 1, "exactly one of 8 concurrent claims sends the follow-up");

    // Deleting the meeting's workspace takes its claims along.
    store.delete_workspace(&ws.id).await.unwrap();
}

/// Sets the time a message was posted.
async fn posted_at(store: &Store, message: &MessageId, at: i64) {
    store.execute_raw(&format!("UPDATE chat_messages SET created_at = {at} WHERE id = '{message}'")).await.unwrap();
}

async fn chat_between_keeps_to_the_window(store: &Store) {
    let owner = user(store, "owner@example.org").await;
    let ann = user(store, "ann@example.org").await;
    let ws = store.create_workspace(&owner, "Team").await.unwrap();
    let meeting = store.create_meeting(&weekly(&ws.id, &owner, "Sync"), &[]).await.unwrap();
    let room = meeting.room_id.clone();
    let other = store.create_room(&ws.id, "other", &owner).await.unwrap().id;
    for (room, author, text, at) in [
        (&room, &owner, "before", 9_999),
        (&room, &ann, "hello", 10_000),
        (&room, &owner, "agenda?", 30_000),
        (&other, &owner, "another room", 30_000),
        (&room, &ann, "bye", 69_999),
        (&room, &owner, "after", 70_000),
    ] {
        let message = store.post_message(room, author, text, &[]).await.unwrap();
        posted_at(store, &message.id, at).await;
    }
    let deleted = store.post_message(&room, &ann, "oops", &[]).await.unwrap();
    posted_at(store, &deleted.id, 40_000).await;
    assert!(store.delete_message(&deleted.id).await.unwrap());

    let chat = store.chat_between(&room, 10_000, 70_000, 100).await.unwrap();
    assert_eq!(
        chat,
        [
            ("ann@example.org".to_owned(), 10_000, "hello".to_owned()),
            ("owner@example.org".to_owned(), 30_000, "agenda?".to_owned()),
            ("ann@example.org".to_owned(), 69_999, "bye".to_owned()),
        ]
    );
    let first_two = store.chat_between(&room, 10_000, 70_000, 2).await.unwrap();
    assert_eq!(first_two, chat[..2]);
    assert!(store.chat_between(&room, 100_000, 200_000, 100).await.unwrap().is_empty());
}

/// A version of `doc` made at `at`, recording a change by `authors` (none: no change).
async fn version_at(store: &Store, doc: &DocumentId, seq: i64, authors: &[UserId], at: i64) {
    let changed = i64::from(!authors.is_empty());
    let version = store
        .create_version(NewVersion {
            doc_id: doc,
            seq,
            kind: "auto",
            name: None,
            author_ids: authors,
            added: changed,
            removed: 0,
            state_vector: &[1],
            is_checkpoint: true,
            data: &[1, 2, 3],
        })
        .await
        .unwrap();
    store.execute_raw(&format!("UPDATE doc_versions SET created_at = {at} WHERE id = '{}'", version.id)).await.unwrap();
}

/// Appends one update to `doc`'s log, accepted at `at`.
async fn update_at(store: &Store, doc: &DocumentId, seq: i64, author: &UserId, at: i64) {
    store.append_updates(doc, &[NewUpdate { seq, data: &[7], user: Some(author) }]).await.unwrap();
    store
        .execute_raw(&format!("UPDATE doc_updates SET at = {at} WHERE doc_id = '{doc}' AND seq = {seq}"))
        .await
        .unwrap();
}

async fn documents_edited_between_read_the_log_and_versions(store: &Store) {
    let owner = user(store, "owner@example.org").await;
    let ws = store.create_workspace(&owner, "Team").await.unwrap();
    let other_ws = store.create_workspace(&owner, "Other").await.unwrap();
    let doc = |ws: WorkspaceId, path: &'static str| {
        let owner = owner.clone();
        async move { store.create_document(&ws, path, "markdown", &owner).await.unwrap().id }
    };
    // The window is [10 000, 70 000).
    let logged = doc(ws.id.clone(), "notes/logged.md").await;
    update_at(store, &logged, 1, &owner, 5_000).await;
    update_at(store, &logged, 2, &owner, 20_000).await;
    // Folded into a snapshot since: only its version tells.
    let folded = doc(ws.id.clone(), "agenda.md").await;
    update_at(store, &folded, 1, &owner, 30_000).await;
    version_at(store, &folded, 1, std::slice::from_ref(&owner), 40_000).await;
    assert!(store.write_snapshot(&folded, 1, &[1]).await.unwrap());
    // A version that records no change; edits before and after the window.
    let named = doc(ws.id.clone(), "named.md").await;
    version_at(store, &named, 0, &[], 30_000).await;
    let before = doc(ws.id.clone(), "before.md").await;
    update_at(store, &before, 1, &owner, 9_999).await;
    version_at(store, &before, 1, std::slice::from_ref(&owner), 9_999).await;
    let after = doc(ws.id.clone(), "after.md").await;
    update_at(store, &after, 1, &owner, 70_000).await;
    version_at(store, &after, 1, std::slice::from_ref(&owner), 75_000).await;
    // Another workspace's document.
    let elsewhere = doc(other_ws.id.clone(), "elsewhere.md").await;
    update_at(store, &elsewhere, 1, &owner, 30_000).await;

    let edited = store.documents_edited_between(&ws.id, 10_000, 70_000).await.unwrap();
    assert_eq!(edited, [(folded, "agenda.md".to_owned()), (logged, "notes/logged.md".to_owned())]);
    assert!(store.documents_edited_between(&ws.id, 100_000, 200_000).await.unwrap().is_empty());
    assert_eq!(
        store.documents_edited_between(&other_ws.id, 10_000, 70_000).await.unwrap(),
        [(elsewhere, "elsewhere.md".to_owned())]
    );
}
