-- The process serving this database. Until the fan-out reaches other
-- processes, one process serves a database: it holds this row's lease and
-- renews it; another process starts only once the lease has expired.
CREATE TABLE instance_lease (
    id         INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    holder     TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
