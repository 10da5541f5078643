CREATE TABLE documents (
    id           TEXT PRIMARY KEY NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    path         TEXT NOT NULL,
    language     TEXT NOT NULL,
    created_by   TEXT NOT NULL REFERENCES users (id),
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    UNIQUE (workspace_id, path)
);

-- The update log: every accepted Yjs update (v1 encoding), in order.
CREATE TABLE doc_updates (
    doc_id  TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    seq     BIGINT NOT NULL,
    data    BLOB NOT NULL,
    user_id TEXT,
    at      BIGINT NOT NULL,
    PRIMARY KEY (doc_id, seq)
);

-- Compacted state: the log up to and including `seq`, folded into one update.
CREATE TABLE doc_snapshots (
    doc_id TEXT PRIMARY KEY NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    seq    BIGINT NOT NULL,
    data   BLOB NOT NULL,
    at     BIGINT NOT NULL
);
