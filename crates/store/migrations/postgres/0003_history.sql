-- Branches: a branch is a document whose CRDT history starts from its origin's.
ALTER TABLE documents ADD COLUMN branch_of TEXT REFERENCES documents (id) ON DELETE SET NULL;
ALTER TABLE documents ADD COLUMN forked_at TEXT;
-- The branch's state vector and log position when it was forked or last merged.
ALTER TABLE documents ADD COLUMN merged_state_vector BYTEA;
ALTER TABLE documents ADD COLUMN merged_seq BIGINT;

-- Versions: points in a document's history. Each stores the change since the
-- previous version (`data` encoded against its state vector) or, every few
-- versions, the whole state (`is_checkpoint` = 1), so that any version is
-- rebuilt from the nearest checkpoint plus a few deltas.
CREATE TABLE doc_versions (
    id            TEXT PRIMARY KEY NOT NULL,
    doc_id        TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    ordinal       BIGINT NOT NULL,
    seq           BIGINT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('named', 'auto', 'restore', 'merge')),
    name          TEXT,
    created_at    BIGINT NOT NULL,
    author_ids    TEXT NOT NULL,
    added         BIGINT NOT NULL,
    removed       BIGINT NOT NULL,
    state_vector  BYTEA NOT NULL,
    is_checkpoint BIGINT NOT NULL,
    data          BYTEA NOT NULL,
    UNIQUE (doc_id, ordinal)
);
