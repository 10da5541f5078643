-- Meeting scheduling: what each user's calendar looks like (their time zone
-- is `users.time_zone`, from 0001), meetings with their room and attendees,
-- which reminders went out, and the secret of each user's calendar feed.
--
-- Times of day are local ("2026-10-20T09:30") in the meeting's time zone, so a
-- series keeps its wall-clock time across daylight-saving changes; the pure
-- scheduling logic expands them. JSON columns are opaque to the store.

-- Working hours per weekday, as local "HH:MM" ranges.
ALTER TABLE users ADD COLUMN working_hours TEXT NOT NULL DEFAULT '{"mon":[["09:00","17:00"]],"tue":[["09:00","17:00"]],"wed":[["09:00","17:00"]],"thu":[["09:00","17:00"]],"fri":[["09:00","17:00"]]}';
-- 1: the user wants follow-up mails after meetings.
ALTER TABLE users ADD COLUMN followups BIGINT NOT NULL DEFAULT 1;

CREATE TABLE meetings (
    id           TEXT PRIMARY KEY NOT NULL,
    -- iCalendar UID: stays the same across every update and the cancellation.
    uid          TEXT NOT NULL UNIQUE,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    -- The room the meeting is held in, made with it.
    room_id      TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    organizer_id TEXT NOT NULL REFERENCES users (id),
    title        TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    start_local  TEXT NOT NULL,
    end_local    TEXT NOT NULL,
    time_zone    TEXT NOT NULL,
    -- RFC 5545 recurrence rule; NULL for a single meeting.
    rrule        TEXT,
    -- JSON array of the local start times of removed occurrences.
    exdates      TEXT NOT NULL DEFAULT '[]',
    -- JSON: occurrences moved or changed one by one.
    overrides    TEXT NOT NULL DEFAULT '[]',
    -- JSON array of minutes before the start.
    reminders    TEXT NOT NULL DEFAULT '[]',
    -- iCalendar SEQUENCE: bumped by every update and the cancellation.
    sequence     BIGINT NOT NULL DEFAULT 0,
    cancelled_at BIGINT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX meetings_workspace ON meetings (workspace_id);
CREATE INDEX meetings_organizer ON meetings (organizer_id);
-- Deleting a room finds its meetings.
CREATE INDEX meetings_room ON meetings (room_id);

CREATE TABLE meeting_attendees (
    meeting_id   TEXT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    -- Lower-cased; the attendee may have no account (yet).
    email        TEXT NOT NULL,
    user_id      TEXT REFERENCES users (id) ON DELETE SET NULL,
    response     TEXT NOT NULL DEFAULT 'needs_action'
                 CHECK (response IN ('needs_action', 'accepted', 'declined', 'tentative')),
    responded_at BIGINT,
    PRIMARY KEY (meeting_id, email)
);
CREATE INDEX meeting_attendees_user ON meeting_attendees (user_id);
CREATE INDEX meeting_attendees_email ON meeting_attendees (email);

-- Reminders sent: a row is claimed before its mail goes out, so that each
-- reminder of each occurrence is sent once across processes and restarts.
CREATE TABLE reminders_sent (
    meeting_id TEXT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    -- The occurrence's original start (RFC 3339).
    occurrence TEXT NOT NULL,
    minutes    BIGINT NOT NULL,
    sent_at    BIGINT NOT NULL,
    PRIMARY KEY (meeting_id, occurrence, minutes)
);

-- The secret in the URL of each user's calendar feed.
CREATE TABLE calendar_feeds (
    user_id    TEXT PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    secret     TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);
