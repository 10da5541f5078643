-- Meeting follow-ups: who was in each room's call and when, and which
-- occurrences' follow-up mails went out.
--
-- Attendance is one row per call connection, so a person who drops out and
-- comes back has several rows; follow-ups sum their overlap with the meeting.

CREATE TABLE call_attendance (
    id        TEXT PRIMARY KEY NOT NULL,
    room_id   TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    joined_at BIGINT NOT NULL,
    -- NULL while the connection is open (or until a restart after a crash
    -- closes it).
    left_at   BIGINT
);
CREATE INDEX call_attendance_room ON call_attendance (room_id, joined_at);

-- Follow-ups sent: a row is claimed before the mails go out, so that each
-- occurrence's follow-up is sent once across processes and restarts.
CREATE TABLE followups_sent (
    meeting_id TEXT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    -- The occurrence's original start (RFC 3339).
    occurrence TEXT NOT NULL,
    sent_at    BIGINT NOT NULL,
    PRIMARY KEY (meeting_id, occurrence)
);
