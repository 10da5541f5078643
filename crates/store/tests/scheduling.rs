//! The scheduling part of the repository suite (profiles, meetings, attendees,
//! reminders, calendar feeds): every test runs on SQLite, and on PostgreSQL
//! when `REYNARD_TEST_DATABASE_URL` is set, each in a schema of its own.

use reynard_proto::{UserId, WorkspaceId};
use reynard_store::{DEFAULT_WORKING_HOURS, Error, MeetingChange, NewMeeting, NewUser, Profile, Store, now_millis};

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
