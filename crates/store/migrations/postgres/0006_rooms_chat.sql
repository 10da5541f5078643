-- Rooms of a workspace (a place to talk, and later to call) and their chat.
CREATE TABLE rooms (
    id           TEXT PRIMARY KEY NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    -- The workspace's default room ('general'): never archived or deleted.
    is_default   BIGINT NOT NULL DEFAULT 0,
    archived_at  BIGINT,
    created_by   TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at   BIGINT NOT NULL,
    UNIQUE (workspace_id, name)
);

-- Every existing workspace gets its default room.
INSERT INTO rooms (id, workspace_id, name, is_default, created_at)
SELECT gen_random_uuid()::text, id, 'general', 1, created_at FROM workspaces;

CREATE TABLE chat_messages (
    id         TEXT PRIMARY KEY NOT NULL,
    room_id    TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    text       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    edited_at  BIGINT,
    search     tsvector GENERATED ALWAYS AS (to_tsvector('simple', text)) STORED
);
-- Ids are UUIDv7: their text order is their time order.
CREATE INDEX chat_messages_room ON chat_messages (room_id, id);
CREATE INDEX chat_messages_search ON chat_messages USING GIN (search);

CREATE TABLE chat_mentions (
    message_id TEXT NOT NULL REFERENCES chat_messages (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, message_id)
);

-- What each member has read of each room: the newest message id seen.
CREATE TABLE room_reads (
    room_id      TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    last_read_id TEXT NOT NULL,
    PRIMARY KEY (room_id, user_id)
);
