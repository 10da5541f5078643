-- What each call was like, kept when its last participant left: how long it
-- lasted, how many took part, what its media looked like.
CREATE TABLE call_summaries (
    id                  TEXT PRIMARY KEY NOT NULL,
    room_id             TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    started_at          BIGINT NOT NULL,
    ended_at            BIGINT NOT NULL,
    peak_participants   BIGINT NOT NULL,
    total_joins         BIGINT NOT NULL,
    average_bitrate_bps BIGINT NOT NULL,
    -- Mean reported packet loss, in parts per million.
    loss_ppm            BIGINT NOT NULL
);
CREATE INDEX call_summaries_room ON call_summaries (room_id, ended_at);
