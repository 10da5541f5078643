-- Scale-out: which process serves each room's call (its SFU forwards the
-- media; participants connected to other processes are relayed to it). A
-- lease: the owner renews it while the call has participants; once expired,
-- or when the owner is known to be dead, another process takes the call.

CREATE TABLE call_owners (
    room_id    TEXT PRIMARY KEY NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    -- The owning process's id on the bus (decimal).
    process    TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
