//! The repository suite: every test runs on SQLite, and on PostgreSQL when
//! `REYNARD_TEST_DATABASE_URL` is set (CI sets it; an unreachable database then
//! fails the suite). Each PostgreSQL test runs in a schema of its own.

use reynard_proto::{DocumentId, Role, UserId, WorkspaceId};
use reynard_store::documents::NewUpdate;
use reynard_store::history::{NewBranch, NewVersion};
use reynard_store::workspaces::Access;
use reynard_store::{Error, Invitation, NewInvitation, NewUser, SessionKind, Store, now_millis};

#[macro_use]
mod backends;

on_both_backends!(
    users_and_duplicate_emails,
    sessions_expire_and_revoke,
    expired_sessions_are_purged,
    workspaces_and_access,
    members_and_roles,
    last_owner_is_kept,
    invitations_wait_for_a_verified_email,
    invitation_links_work_once,
    server_secrets_are_created_once,
    deleting_a_workspace_cascades,
    migrations_are_idempotent,
    documents_paths_and_conflicts,
    update_log_and_snapshots,
    concurrent_appends_keep_their_own_results,
    versions_chain_from_checkpoints,
    branches_track_their_merges,
    one_process_holds_the_lease,
    rooms_of_a_workspace,
    chat_messages_pages_mentions_and_unread,
    chat_search_finds_words,
    branch_creation_leaves_no_orphan_on_failure,
);

async fn rooms_of_a_workspace(store: &Store) {
    use reynard_store::chat::DEFAULT_ROOM;
    let owner = user(store, "rooms@example.org").await;
    let ws = store.create_workspace(&owner, "Rooms").await.unwrap();
    let rooms = store.rooms(&ws.id, false).await.unwrap();
    assert_eq!(rooms.len(), 1, "a new workspace has its default room");
    assert!(rooms[0].is_default && rooms[0].name == DEFAULT_ROOM);
    let general = rooms[0].id.clone();

    let design = store.create_room(&ws.id, "design", &owner).await.unwrap();
    assert!(matches!(store.create_room(&ws.id, "design", &owner).await, Err(Error::Conflict(_))));
    let renamed = store.change_room(&design.id, Some("ux"), None).await.unwrap();
    assert_eq!(renamed.name, "ux");
    assert!(matches!(store.change_room(&design.id, Some(DEFAULT_ROOM), None).await, Err(Error::Conflict(_))));
    // Archived rooms leave the list unless asked for; the default room stays.
    assert!(store.change_room(&design.id, None, Some(true)).await.unwrap().archived);
    assert_eq!(store.rooms(&ws.id, false).await.unwrap().len(), 1);
    assert_eq!(store.rooms(&ws.id, true).await.unwrap().len(), 2);
    assert!(!store.change_room(&design.id, None, Some(false)).await.unwrap().archived);
    assert!(matches!(store.change_room(&general, None, Some(true)).await, Err(Error::Conflict(_))));
    // Deleting the workspace deletes its rooms.
    store.delete_workspace(&ws.id).await.unwrap();
    assert_eq!(store.room(&general).await.unwrap(), None);
}

async fn chat_messages_pages_mentions_and_unread(store: &Store) {
    let alice = user(store, "alice.chat@example.org").await;
    let bob = user(store, "bob.chat@example.org").await;
    let ws = store.create_workspace(&alice, "Chat").await.unwrap();
    let room = store.rooms(&ws.id, false).await.unwrap().remove(0);
    let mut sent = Vec::new();
    for i in 0..5 {
        let mentions = if i == 3 { vec![bob.clone()] } else { vec![] };
        sent.push(store.post_message(&room.id, &alice, &format!("message {i}"), &mentions).await.unwrap());
    }
    assert_eq!(sent[3].mentions, vec![bob.clone()]);
    assert_eq!(sent[0].author_id, alice);
    // Newest first, in pages.
    let page = store.messages(&room.id, None, 2).await.unwrap();
    assert_eq!(page.iter().map(|m| m.text.as_str()).collect::<Vec<_>>(), ["message 4", "message 3"]);
    assert_eq!(page[1].mentions, vec![bob.clone()]);
    let next = store.messages(&room.id, Some(&page[1].id), 10).await.unwrap();
    assert_eq!(next.iter().map(|m| m.text.as_str()).collect::<Vec<_>>(), ["message 2", "message 1", "message 0"]);

    // Bob has read nothing: five unread, one mentions him; Alice wrote them all.
    let unread = store.unread(&ws.id, &bob).await.unwrap();
    assert_eq!((unread[0].unread, unread[0].mentions), (5, 1));
    assert_eq!(store.unread(&ws.id, &alice).await.unwrap()[0].unread, 0);
    store.mark_read(&room.id, &bob, &sent[3].id).await.unwrap();
    store.mark_read(&room.id, &bob, &sent[1].id).await.unwrap(); // never moves back
    let unread = store.unread(&ws.id, &bob).await.unwrap();
    assert_eq!((unread[0].unread, unread[0].mentions), (1, 0));

    // Edits replace text and mentions; deletes remove.
    let edited = store.edit_message(&sent[4].id, "message four", std::slice::from_ref(&bob)).await.unwrap();
    assert_eq!((edited.text.as_str(), edited.mentions.len()), ("message four", 1));
    assert!(edited.edited_at.is_some());
    assert_eq!(store.mentions_of(&ws.id, &bob, None, 10).await.unwrap().len(), 2);
    assert!(store.delete_message(&sent[4].id).await.unwrap());
    assert!(!store.delete_message(&sent[4].id).await.unwrap());
    assert_eq!(store.mentions_of(&ws.id, &bob, None, 10).await.unwrap().len(), 1);
    assert!(matches!(store.edit_message(&sent[4].id, "gone", &[]).await, Err(Error::NotFound(_))));
}

async fn chat_search_finds_words(store: &Store) {
    let alice = user(store, "alice.search@example.org").await;
    let ws = store.create_workspace(&alice, "Search").await.unwrap();
    let other = store.create_workspace(&alice, "Other").await.unwrap();
    let room = store.rooms(&ws.id, false).await.unwrap().remove(0);
    let elsewhere = store.rooms(&other.id, false).await.unwrap().remove(0);
    store.post_message(&room.id, &alice, "the deploy failed on staging", &[]).await.unwrap();
    store.post_message(&room.id, &alice, "lunch?", &[]).await.unwrap();
    let edited = store.post_message(&room.id, &alice, "typo", &[]).await.unwrap();
    store.edit_message(&edited.id, "deploy fixed", &[]).await.unwrap();
    store.post_message(&elsewhere.id, &alice, "deploy elsewhere", &[]).await.unwrap();

    let hits = store.search_messages(&ws.id, "deploy", 10).await.unwrap();
    assert_eq!(
        hits.iter().map(|m| m.text.as_str()).collect::<Vec<_>>(),
        ["deploy fixed", "the deploy failed on staging"]
    );
    assert_eq!(store.search_messages(&ws.id, "deploy staging", 10).await.unwrap().len(), 1);
    assert!(store.search_messages(&ws.id, "typo", 10).await.unwrap().is_empty(), "edits reindex");
    // Query syntax is not interpreted: quotes, operators and brackets are words.
    for odd in [r#"deploy" OR "lunch"#, "NEAR(deploy lunch)", "*", "   ", "-deploy", "deploy)"] {
        store.search_messages(&ws.id, odd, 10).await.unwrap();
    }
}

async fn one_process_holds_the_lease(store: &Store) {
    let now = 1_000_000;
    assert_eq!(store.lease_holder().await.unwrap(), None);
    assert_eq!(store.acquire_lease("a", now, now + 30_000).await.unwrap(), None);
    // A second holder is refused while the lease runs, and told who has it.
    let held = store.acquire_lease("b", now + 1, now + 30_001).await.unwrap();
    assert_eq!(held, Some(reynard_store::lease::LeaseHolder { holder: "a".into(), expires_at: now + 30_000 }));
    // The holder renews it; someone who lost it cannot.
    assert!(store.renew_lease("a", now + 60_000).await.unwrap());
    assert!(!store.renew_lease("b", now + 60_000).await.unwrap());
    // Once expired, it is anyone's.
    assert_eq!(store.acquire_lease("b", now + 60_001, now + 90_000).await.unwrap(), None);
    assert!(!store.renew_lease("a", now + 90_000).await.unwrap());
    // A holder known to be gone is taken over at once, but only that holder.
    assert!(!store.take_over_lease("a", "c", now + 90_000).await.unwrap());
    assert!(store.take_over_lease("b", "c", now + 90_000).await.unwrap());
    // Released, it is free.
    store.release_lease("b").await.unwrap();
    assert!(store.lease_holder().await.unwrap().is_some(), "only its holder releases it");
    store.release_lease("c").await.unwrap();
    assert_eq!(store.lease_holder().await.unwrap(), None);
}

async fn user(store: &Store, email: &str) -> UserId {
    let new = NewUser { email: email.to_owned(), name: email.to_owned(), password_hash: "$argon2id$x".to_owned() };
    store.create_user(new).await.expect("create user").id
}

async fn users_and_duplicate_emails(store: &Store) {
    let id = user(store, "ada@example.org").await;
    let found = store.user_by_email("ada@example.org").await.unwrap().unwrap();
    assert_eq!(found.id, id);
    assert_eq!(found.time_zone, "UTC");
    assert_eq!(store.user_by_id(&id).await.unwrap().unwrap().email, "ada@example.org");
    assert!(store.user_by_email("nobody@example.org").await.unwrap().is_none());

    let dup = NewUser { email: "ada@example.org".into(), name: "Other".into(), password_hash: "h".into() };
    match store.create_user(dup).await {
        Err(Error::Conflict(message)) => assert!(message.contains("email"), "{message}"),
        other => panic!("expected a conflict, got {other:?}"),
    }

    let updated = store.update_user(&id, Some("Ada L."), Some("Europe/London")).await.unwrap();
    assert_eq!((updated.name.as_str(), updated.time_zone.as_str()), ("Ada L.", "Europe/London"));
    let unchanged = store.update_user(&id, None, None).await.unwrap();
    assert_eq!(unchanged.name, "Ada L.");
    assert!(matches!(store.update_user(&UserId::new("missing"), Some("x"), None).await, Err(Error::NotFound(_))));
}

async fn sessions_expire_and_revoke(store: &Store) {
    let id = user(store, "s@example.org").await;
    store.create_session(&id, "live", SessionKind::Browser, now_millis() + 60_000).await.unwrap();
    store.create_session(&id, "old", SessionKind::Api, now_millis() - 1).await.unwrap();
    assert_eq!(store.user_for_session("live").await.unwrap().unwrap().id, id);
    assert!(store.user_for_session("old").await.unwrap().is_none(), "expired sessions do not authenticate");
    assert!(store.user_for_session("unknown").await.unwrap().is_none());
    assert_eq!(store.unexpired_session_hashes().await.unwrap(), ["live"], "what connections are checked against");
    assert!(store.delete_session("live").await.unwrap());
    assert!(!store.delete_session("live").await.unwrap());
    assert!(store.user_for_session("live").await.unwrap().is_none());
}

async fn expired_sessions_are_purged(store: &Store) {
    let id = user(store, "purge@example.org").await;
    let day = 24 * 3600 * 1000;
    let now = now_millis();
    store.create_session(&id, "a-day-ago", SessionKind::Browser, now - day).await.unwrap();
    store.create_session(&id, "in-a-day", SessionKind::Browser, now + day).await.unwrap();
    store.create_session(&id, "in-a-week", SessionKind::Api, now + 7 * day).await.unwrap();
    assert_eq!(store.delete_sessions_expired_at(now).await.unwrap(), 1);
    assert_eq!(store.delete_sessions_expired_at(now).await.unwrap(), 0, "nothing left to purge");
    assert_eq!(store.user_for_session("in-a-day").await.unwrap().unwrap().id, id);
    // Two days later (a fake clock: the time is an argument).
    assert_eq!(store.delete_sessions_expired_at(now + 2 * day).await.unwrap(), 1);
    assert!(!store.delete_session("in-a-day").await.unwrap(), "purged");
    assert!(store.delete_session("in-a-week").await.unwrap(), "kept");
}

async fn workspaces_and_access(store: &Store) {
    let owner = user(store, "o@example.org").await;
    let other = user(store, "x@example.org").await;
    let ws = store.create_workspace(&owner, "Team").await.unwrap();
    assert_eq!(ws.role, Role::Owner);
    assert_eq!(store.workspace_access(&ws.id, &owner).await.unwrap(), Access::Member(Role::Owner));
    assert_eq!(store.workspace_access(&ws.id, &other).await.unwrap(), Access::NotMember);
    let missing = reynard_proto::WorkspaceId::new("missing");
    assert_eq!(store.workspace_access(&missing, &owner).await.unwrap(), Access::Missing);

    store.create_workspace(&owner, "Another").await.unwrap();
    let names: Vec<_> = store.workspaces_for(&owner).await.unwrap().into_iter().map(|w| w.name).collect();
    assert_eq!(names, ["Another", "Team"]);
    assert!(store.workspaces_for(&other).await.unwrap().is_empty());

    store.rename_workspace(&ws.id, "Renamed").await.unwrap();
    assert_eq!(store.workspace_for(&ws.id, &owner).await.unwrap().unwrap().name, "Renamed");
    assert!(store.workspace_for(&ws.id, &other).await.unwrap().is_none());
    assert!(matches!(store.rename_workspace(&missing, "x").await, Err(Error::NotFound(_))));
}

async fn members_and_roles(store: &Store) {
    let owner = user(store, "o@example.org").await;
    let bob = user(store, "bob@example.org").await;
    let ws = store.create_workspace(&owner, "Team").await.unwrap();
    let added = store.add_member(&ws.id, &bob, Role::Viewer).await.unwrap();
    assert_eq!((added.email.as_str(), added.role), ("bob@example.org", Role::Viewer));
    assert!(matches!(store.add_member(&ws.id, &bob, Role::Editor).await, Err(Error::Conflict(_))));

    let changed = store.change_role(&ws.id, &bob, Role::Editor).await.unwrap();
    assert_eq!(changed.role, Role::Editor);
    let roles: Vec<_> = store.members(&ws.id).await.unwrap().into_iter().map(|m| (m.user_id, m.role)).collect();
    assert_eq!(roles, [(owner.clone(), Role::Owner), (bob.clone(), Role::Editor)]);
    let mut all = store.all_memberships().await.unwrap();
    all.sort_by(|x, y| x.1.as_str().cmp(y.1.as_str()));
    let mut expected = vec![(ws.id.clone(), owner.clone(), Role::Owner), (ws.id.clone(), bob.clone(), Role::Editor)];
    expected.sort_by(|x, y| x.1.as_str().cmp(y.1.as_str()));
    assert_eq!(all, expected);

    store.remove_member(&ws.id, &bob).await.unwrap();
    assert_eq!(store.workspace_access(&ws.id, &bob).await.unwrap(), Access::NotMember);
    assert!(matches!(store.remove_member(&ws.id, &bob).await, Err(Error::NotFound(_))));
    assert!(matches!(store.change_role(&ws.id, &bob, Role::Owner).await, Err(Error::NotFound(_))));
}

async fn last_owner_is_kept(store: &Store) {
    let owner = user(store, "o@example.org").await;
    let second = user(store, "p@example.org").await;
    let ws = store.create_workspace(&owner, "Team").await.unwrap();
    assert!(matches!(store.change_role(&ws.id, &owner, Role::Editor).await, Err(Error::LastOwner)));
    assert!(matches!(store.remove_member(&ws.id, &owner).await, Err(Error::LastOwner)));
    // Re-asserting the same role is fine.
    store.change_role(&ws.id, &owner, Role::Owner).await.unwrap();

    store.add_member(&ws.id, &second, Role::Owner).await.unwrap();
    store.change_role(&ws.id, &owner, Role::Viewer).await.unwrap();
    assert!(matches!(store.remove_member(&ws.id, &second).await, Err(Error::LastOwner)));

    // Two concurrent demotions of the two owners: exactly one may succeed.
    store.change_role(&ws.id, &owner, Role::Owner).await.unwrap();
    let (a, b) =
        tokio::join!(store.change_role(&ws.id, &owner, Role::Editor), store.change_role(&ws.id, &second, Role::Editor));
    let outcomes = [a.is_ok(), b.is_ok()];
    assert_eq!(outcomes.iter().filter(|ok| **ok).count(), 1, "{a:?} {b:?}");
    let owners = store.members(&ws.id).await.unwrap().into_iter().filter(|m| m.role == Role::Owner).count();
    assert_eq!(owners, 1);
}

/// Invites `email` with a link token of `token:{workspace}:{email}` (hashed as
/// the server would store it).
async fn invite(store: &Store, ws: &WorkspaceId, email: &str, role: Role, by: &UserId) -> Result<Invitation, Error> {
    let token_hash = format!("hash:{ws}:{email}");
    let new = NewInvitation { email, role, invited_by: by, created_at: now_millis(), token_hash: &token_hash };
    store.invite(ws, new).await
}

async fn invitations_wait_for_a_verified_email(store: &Store) {
    let owner = user(store, "o@example.org").await;
    let ws = store.create_workspace(&owner, "Team").await.unwrap();
    let other_ws = store.create_workspace(&owner, "Other").await.unwrap();
    invite(store, &ws.id, "new@example.org", Role::Editor, &owner).await.unwrap();
    invite(store, &other_ws.id, "new@example.org", Role::Viewer, &owner).await.unwrap();
    assert!(matches!(invite(store, &ws.id, "new@example.org", Role::Viewer, &owner).await, Err(Error::Conflict(_))));
    let listed = store.invitations(&ws.id).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!((listed[0].email.as_str(), listed[0].role), ("new@example.org", Role::Editor));

    // Signing up with the invited email claims nothing: the email is not proven.
    let new = NewUser { email: "new@example.org".into(), name: "New".into(), password_hash: "h".into() };
    let created = store.create_user(new).await.unwrap();
    assert!(!created.email_verified());
    assert_eq!(store.workspace_access(&ws.id, &created.id).await.unwrap(), Access::NotMember);
    assert_eq!(store.invitations(&ws.id).await.unwrap().len(), 1, "the invitation still waits");

    // A verification for another email (the account's email changed since) does nothing.
    assert!(matches!(store.verify_email(&created.id, "old@example.org").await, Err(Error::NotFound(_))));
    assert_eq!(store.workspace_access(&ws.id, &created.id).await.unwrap(), Access::NotMember);

    let mut joined = store.verify_email(&created.id, "new@example.org").await.unwrap();
    joined.sort();
    let mut expected = vec![ws.id.clone(), other_ws.id.clone()];
    expected.sort();
    assert_eq!(joined, expected);
    let verified = store.user_by_id(&created.id).await.unwrap().unwrap();
    assert!(verified.email_verified());
    assert_eq!(store.workspace_access(&ws.id, &created.id).await.unwrap(), Access::Member(Role::Editor));
    assert_eq!(store.workspace_access(&other_ws.id, &created.id).await.unwrap(), Access::Member(Role::Viewer));
    assert!(store.invitations(&ws.id).await.unwrap().is_empty(), "claimed invitations are gone");

    // Verifying again keeps the first time and claims only what is new.
    let first = verified.email_verified_at;
    invite(store, &ws.id, "new@example.org", Role::Owner, &owner).await.unwrap();
    assert_eq!(store.verify_email(&created.id, "new@example.org").await.unwrap(), vec![ws.id.clone()]);
    assert_eq!(store.user_by_id(&created.id).await.unwrap().unwrap().email_verified_at, first);
    assert_eq!(
        store.workspace_access(&ws.id, &created.id).await.unwrap(),
        Access::Member(Role::Editor),
        "a member keeps their role"
    );

    invite(store, &ws.id, "later@example.org", Role::Viewer, &owner).await.unwrap();
    store.delete_invitation(&ws.id, "later@example.org").await.unwrap();
    assert!(matches!(store.delete_invitation(&ws.id, "later@example.org").await, Err(Error::NotFound(_))));
}

async fn invitation_links_work_once(store: &Store) {
    let owner = user(store, "o@example.org").await;
    let someone = user(store, "someone@example.org").await;
    let another = user(store, "another@example.org").await;
    let ws = store.create_workspace(&owner, "Team").await.unwrap();
    let invitation = invite(store, &ws.id, "alias@example.org", Role::Editor, &owner).await.unwrap();
    let hash = invitation.token_hash.clone().unwrap();
    assert_eq!(store.invitations(&ws.id).await.unwrap(), vec![invitation]);

    assert!(matches!(store.accept_invitation("hash:unknown", &someone).await, Err(Error::NotFound(_))));
    // Whoever holds the link joins, whatever their email, with the invited role.
    let joined = store.accept_invitation(&hash, &someone).await.unwrap();
    assert_eq!((joined.id.clone(), joined.name.as_str(), joined.role), (ws.id.clone(), "Team", Role::Editor));
    assert_eq!(store.workspace_access(&ws.id, &someone).await.unwrap(), Access::Member(Role::Editor));
    assert!(store.invitations(&ws.id).await.unwrap().is_empty(), "the invitation is used up");
    // A second use, by anyone, fails.
    assert!(matches!(store.accept_invitation(&hash, &another).await, Err(Error::NotFound(_))));
    assert_eq!(store.workspace_access(&ws.id, &another).await.unwrap(), Access::NotMember);
    assert!(matches!(store.accept_invitation(&hash, &someone).await, Err(Error::NotFound(_))));

    // A member opening a link keeps their role and uses the link up.
    let second = invite(store, &ws.id, "x@example.org", Role::Viewer, &owner).await.unwrap();
    let view = store.accept_invitation(second.token_hash.as_deref().unwrap(), &owner).await.unwrap();
    assert_eq!(view.role, Role::Owner);
    assert!(store.invitations(&ws.id).await.unwrap().is_empty());

    // Invitations from before links get one later, once.
    let legacy = invite(store, &ws.id, "legacy@example.org", Role::Viewer, &owner).await.unwrap();
    store.set_invitation_token_hash(&ws.id, "legacy@example.org", "other").await.unwrap();
    assert_eq!(store.invitations(&ws.id).await.unwrap()[0].token_hash, legacy.token_hash, "a set hash stays");
}

async fn server_secrets_are_created_once(store: &Store) {
    let first = store.server_secret("signing", || "one".to_owned()).await.unwrap();
    assert_eq!(first, "one");
    let again = store.server_secret("signing", || "two".to_owned()).await.unwrap();
    assert_eq!(again, "one", "the stored secret wins");
    let (a, b) =
        tokio::join!(store.server_secret("other", || "a".to_owned()), store.server_secret("other", || "b".to_owned()));
    assert_eq!(a.unwrap(), b.unwrap(), "concurrent first calls agree");
}

async fn deleting_a_workspace_cascades(store: &Store) {
    let owner = user(store, "o@example.org").await;
    let bob = user(store, "bob@example.org").await;
    let ws = store.create_workspace(&owner, "Team").await.unwrap();
    store.add_member(&ws.id, &bob, Role::Editor).await.unwrap();
    invite(store, &ws.id, "c@example.org", Role::Editor, &owner).await.unwrap();
    store.delete_workspace(&ws.id).await.unwrap();
    assert_eq!(store.workspace_access(&ws.id, &bob).await.unwrap(), Access::Missing);
    assert!(store.members(&ws.id).await.unwrap().is_empty());
    assert!(store.invitations(&ws.id).await.unwrap().is_empty());
    assert!(matches!(store.delete_workspace(&ws.id).await, Err(Error::NotFound(_))));
}

async fn migrations_are_idempotent(store: &Store) {
    store.migrate().await.unwrap();
    store.ping().await.unwrap();
}

async fn documents_paths_and_conflicts(store: &Store) {
    let owner = user(store, "o@example.org").await;
    let ws = store.create_workspace(&owner, "Team").await.unwrap();
    let main = store.create_document(&ws.id, "src/main.rs", "rust", &owner).await.unwrap();
    store.create_document(&ws.id, "README.md", "markdown", &owner).await.unwrap();
    let dup = store.create_document(&ws.id, "src/main.rs", "rust", &owner).await;
    match dup {
        Err(Error::Conflict(message)) => assert!(message.contains("path"), "{message}"),
        other => panic!("expected a conflict, got {other:?}"),
    }
    let paths: Vec<_> = store.documents(&ws.id).await.unwrap().into_iter().map(|d| d.path).collect();
    assert_eq!(paths, ["README.md", "src/main.rs"]);

    let moved = store.move_document(&main.id, "src/lib.rs", "rust").await.unwrap();
    assert_eq!((moved.path.as_str(), moved.workspace_id.clone()), ("src/lib.rs", ws.id.clone()));
    assert!(matches!(store.move_document(&main.id, "README.md", "markdown").await, Err(Error::Conflict(_))));
    store.delete_document(&main.id).await.unwrap();
    assert!(store.document(&main.id).await.unwrap().is_none());
    assert!(matches!(store.delete_document(&main.id).await, Err(Error::NotFound(_))));
}

async fn update_log_and_snapshots(store: &Store) {
    let owner = user(store, "o@example.org").await;
    let ws = store.create_workspace(&owner, "Team").await.unwrap();
    let doc = store.create_document(&ws.id, "a.txt", "plaintext", &owner).await.unwrap();
    assert_eq!(store.load_document_state(&doc.id).await.unwrap().last_seq(), 0);

    let batch =
        [NewUpdate { seq: 1, data: &[1, 2, 3], user: Some(&owner) }, NewUpdate { seq: 2, data: &[4], user: None }];
    store.append_updates(&doc.id, &batch).await.unwrap();
    store.append_updates(&doc.id, &[NewUpdate { seq: 3, data: &[0, 255], user: Some(&owner) }]).await.unwrap();
    let state = store.load_document_state(&doc.id).await.unwrap();
    assert!(state.snapshot.is_none());
    assert_eq!(state.updates, vec![(1, vec![1, 2, 3]), (2, vec![4]), (3, vec![0, 255])]);
    assert_eq!(state.last_seq(), 3);

    // A reused seq writes nothing of its batch.
    let clash = [NewUpdate { seq: 4, data: &[9], user: None }, NewUpdate { seq: 3, data: &[9], user: None }];
    assert!(matches!(store.append_updates(&doc.id, &clash).await, Err(Error::Conflict(_))));
    assert_eq!(store.load_document_state(&doc.id).await.unwrap().last_seq(), 3);

    store.write_snapshot(&doc.id, 2, &[7, 7]).await.unwrap();
    let state = store.load_document_state(&doc.id).await.unwrap();
    assert_eq!(state.snapshot, Some((2, vec![7, 7])));
    assert_eq!(state.updates, vec![(3, vec![0, 255])]);
    assert_eq!(store.updates_since(&doc.id, 0).await.unwrap(), vec![(3, vec![0, 255])]);
    store.write_snapshot(&doc.id, 3, &[8]).await.unwrap();
    let state = store.load_document_state(&doc.id).await.unwrap();
    assert_eq!((state.last_seq(), state.updates.len(), state.snapshot), (3, 0, Some((3, vec![8]))));
    // A snapshot from a process that saw less of the log never replaces a newer one.
    assert!(!store.write_snapshot(&doc.id, 2, &[6]).await.unwrap());
    assert!(!store.write_snapshot(&doc.id, 3, &[6]).await.unwrap());
    assert_eq!(store.load_document_state(&doc.id).await.unwrap().snapshot, Some((3, vec![8])));

    // A batch larger than one statement is still all or nothing.
    let data = [7u8];
    let big: Vec<NewUpdate<'_>> = (4..2504).map(|seq| NewUpdate { seq, data: &data, user: None }).collect();
    store.append_updates(&doc.id, &big).await.unwrap();
    assert_eq!(store.load_document_state(&doc.id).await.unwrap().last_seq(), 2503);
    let clashing: Vec<NewUpdate<'_>> =
        (2504..4000).chain([2600]).map(|seq| NewUpdate { seq, data: &data, user: None }).collect();
    assert!(matches!(store.append_updates(&doc.id, &clashing).await, Err(Error::Conflict(_))));
    assert_eq!(store.load_document_state(&doc.id).await.unwrap().last_seq(), 2503);

    store.delete_document(&doc.id).await.unwrap();
    let gone = store.load_document_state(&doc.id).await.unwrap();
    assert!(gone.snapshot.is_none() && gone.updates.is_empty(), "log and snapshot go with the document");
}

async fn concurrent_appends_keep_their_own_results(store: &Store) {
    let owner = user(store, "o@example.org").await;
    let ws = store.create_workspace(&owner, "Team").await.unwrap();
    let mut docs = Vec::new();
    for i in 0..6 {
        docs.push(store.create_document(&ws.id, &format!("f{i}.txt"), "plaintext", &owner).await.unwrap().id);
    }
    let deleted = store.create_document(&ws.id, "gone.txt", "plaintext", &owner).await.unwrap().id;
    store.delete_document(&deleted).await.unwrap();

    // Appends of many documents at once share commits; each document's entries
    // land in order, and one document's conflict or deletion fails only its own append.
    let mut tasks = tokio::task::JoinSet::new();
    for (n, doc) in docs.iter().enumerate() {
        let (store, doc, owner, deleted) = (store.clone(), doc.clone(), owner.clone(), deleted.clone());
        tasks.spawn(async move {
            for seq in 1..=20i64 {
                let data = [n as u8, seq as u8];
                let entry = [NewUpdate { seq, data: &data, user: Some(&owner) }];
                store.append_updates(&doc, &entry).await.unwrap();
                if n == 0 && seq % 5 == 0 {
                    // A sequence number already taken (as by another process).
                    let clash =
                        [NewUpdate { seq: seq + 1, data: &[0], user: None }, NewUpdate { seq, data: &[0], user: None }];
                    assert!(matches!(store.append_updates(&doc, &clash).await, Err(Error::Conflict(_))));
                }
                if n == 1 {
                    let entry = [NewUpdate { seq, data: &[1], user: None }];
                    assert!(matches!(store.append_updates(&deleted, &entry).await, Err(Error::NotFound(_))));
                }
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    for (n, doc) in docs.iter().enumerate() {
        let state = store.load_document_state(doc).await.unwrap();
        let expected: Vec<(i64, Vec<u8>)> = (1..=20i64).map(|seq| (seq, vec![n as u8, seq as u8])).collect();
        assert_eq!(state.updates, expected, "document {n}");
        assert!(state.authors.iter().all(|a| a.as_ref() == Some(&owner)));
    }
    assert!(store.load_document_state(&deleted).await.unwrap().updates.is_empty());
}

async fn versions_chain_from_checkpoints(store: &Store) {
    let owner = user(store, "o@example.org").await;
    let ws = store.create_workspace(&owner, "Team").await.unwrap();
    let doc = store.create_document(&ws.id, "a.txt", "plaintext", &owner).await.unwrap();
    assert!(store.version_base(&doc.id).await.unwrap().is_none());
    let authors = [owner.clone()];
    let mut ids = Vec::new();
    // Checkpoint, two deltas, checkpoint, one delta.
    for (i, checkpoint) in [true, false, false, true, false].into_iter().enumerate() {
        let data = [i as u8; 3];
        let version = store
            .create_version(NewVersion {
                doc_id: &doc.id,
                seq: i as i64 * 10,
                kind: if i == 0 { "auto" } else { "named" },
                name: (i > 0).then_some("v"),
                author_ids: &authors,
                added: 1,
                removed: 0,
                state_vector: &[i as u8],
                is_checkpoint: checkpoint,
                data: &data,
            })
            .await
            .unwrap();
        assert_eq!(version.ordinal, i as i64 + 1);
        ids.push(version.id);
    }
    let listed = store.versions(&doc.id).await.unwrap();
    assert_eq!(listed.iter().map(|v| v.ordinal).collect::<Vec<_>>(), [5, 4, 3, 2, 1], "newest first");
    assert_eq!(listed[4].author_ids, authors);
    assert_eq!(listed[4].name, None);
    assert_eq!(store.version_updates(&doc.id, &ids[2]).await.unwrap(), vec![vec![0; 3], vec![1; 3], vec![2; 3]]);
    assert_eq!(store.version_updates(&doc.id, &ids[4]).await.unwrap(), vec![vec![3; 3], vec![4; 3]]);
    let base = store.version_base(&doc.id).await.unwrap().unwrap();
    assert_eq!(
        (base.id.as_str(), base.seq, base.since_checkpoint, base.state_vector),
        (ids[4].as_str(), 40, 2, vec![4])
    );
    assert!(matches!(store.version(&doc.id, "missing").await, Err(Error::NotFound(_))));
}

fn new_branch<'a>(origin: &'a DocumentId, ws: &'a WorkspaceId, path: &'a str, owner: &'a UserId) -> NewBranch<'a> {
    NewBranch {
        origin,
        workspace: ws,
        path,
        language: "plaintext",
        created_by: owner,
        forked_at: None,
        fork_state: &[1],
        state_vector: &[7],
    }
}

/// Branch creation is one transaction: when its last step fails (the origin
/// was deleted meanwhile) or its first (the path is taken), no document, log
/// entry or half-made branch is left behind.
async fn branch_creation_leaves_no_orphan_on_failure(store: &Store) {
    let owner = user(store, "o@example.org").await;
    let ws = store.create_workspace(&owner, "Team").await.unwrap();
    let origin = store.create_document(&ws.id, "a.txt", "plaintext", &owner).await.unwrap();
    store.delete_document(&origin.id).await.unwrap();
    let failed = store.create_branch(new_branch(&origin.id, &ws.id, "a@b.txt", &owner)).await;
    assert!(matches!(failed, Err(Error::NotFound(_))), "{failed:?}");
    assert!(store.documents(&ws.id).await.unwrap().is_empty(), "no orphan document");

    let origin = store.create_document(&ws.id, "a.txt", "plaintext", &owner).await.unwrap();
    let taken = store.create_branch(new_branch(&origin.id, &ws.id, "a.txt", &owner)).await;
    assert!(matches!(taken, Err(Error::Conflict(_))), "{taken:?}");
    let first = store.create_branch(new_branch(&origin.id, &ws.id, "a@b.txt", &owner)).await.unwrap();
    let again = store.create_branch(new_branch(&origin.id, &ws.id, "a@b.txt", &owner)).await;
    assert!(matches!(again, Err(Error::Conflict(_))), "{again:?}");
    let paths: Vec<_> = store.documents(&ws.id).await.unwrap().into_iter().map(|d| d.path).collect();
    assert_eq!(paths, ["a.txt", "a@b.txt"]);
    assert_eq!(store.branches(&origin.id).await.unwrap().len(), 1);
    assert_eq!(store.load_document_state(&first.id).await.unwrap().updates.len(), 1);
}

async fn branches_track_their_merges(store: &Store) {
    let owner = user(store, "o@example.org").await;
    let ws = store.create_workspace(&owner, "Team").await.unwrap();
    let origin = store.create_document(&ws.id, "a.txt", "plaintext", &owner).await.unwrap();
    assert!(store.branch_state(&origin.id).await.unwrap().is_none());
    let branch = store.create_branch(new_branch(&origin.id, &ws.id, "a@b.txt", &owner)).await.unwrap();
    assert_eq!(store.load_document_state(&branch.id).await.unwrap().updates, vec![(1, vec![1])], "the fork's state");
    let listed = store.branches(&origin.id).await.unwrap();
    assert_eq!((listed.len(), listed[0].seq, listed[0].merged_seq), (1, 1, 1));
    store.append_updates(&branch.id, &[NewUpdate { seq: 2, data: &[2], user: None }]).await.unwrap();
    assert_eq!(store.branches(&origin.id).await.unwrap()[0].seq, 2, "unmerged work shows");
    store.set_merged(&branch.id, &[8], 2).await.unwrap();
    let state = store.branch_state(&branch.id).await.unwrap().unwrap();
    assert_eq!((state.branch_of, state.merged_state_vector, state.merged_seq), (origin.id.clone(), vec![8], 2));
    store.write_snapshot(&branch.id, 2, &[9]).await.unwrap();
    assert_eq!(store.branches(&origin.id).await.unwrap()[0].seq, 2, "compacted branches keep their position");
}
