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
SELECT lower(hex(randomblob(16))), id, 'general', 1, created_at FROM workspaces;

CREATE TABLE chat_messages (
    id         TEXT PRIMARY KEY NOT NULL,
    room_id    TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    text       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    edited_at  BIGINT
);
-- Ids are UUIDv7: their text order is their time order.
CREATE INDEX chat_messages_room ON chat_messages (room_id, id);

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

-- Full-text search over messages (kept in step by triggers).
CREATE VIRTUAL TABLE chat_messages_fts USING fts5 (text, content = 'chat_messages', content_rowid = 'rowid');
CREATE TRIGGER chat_messages_fts_insert AFTER INSERT ON chat_messages BEGIN
    INSERT INTO chat_messages_fts (rowid, text) VALUES (new.rowid, new.text);
END;
CREATE TRIGGER chat_messages_fts_delete AFTER DELETE ON chat_messages BEGIN
    INSERT INTO chat_messages_fts (chat_messages_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
END;
CREATE TRIGGER chat_messages_fts_update AFTER UPDATE OF text ON chat_messages BEGIN
    INSERT INTO chat_messages_fts (chat_messages_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
    INSERT INTO chat_messages_fts (rowid, text) VALUES (new.rowid, new.text);
END;
