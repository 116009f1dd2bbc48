-- Conflicts on the back office, issue 19: every movement the server rejected from a device,
-- with what it was and why, and its resolution by a person, in the console or on the device
-- (the first one stands; both sides keep its note). And what each device last said of itself.

-- A pushed movement the server rejected (server side). A retried push of the same movement
-- finds its row (device, movement_id) and adds none. kind .. made_at: the movement as pushed.
-- resolution_seq: the order of resolutions on this server, the cursor a device pulls them by.
-- resolved_by: 'console:NAME' or 'device:NAME'.
CREATE TABLE sync_conflicts (
    device         TEXT NOT NULL,
    movement_id    TEXT NOT NULL,
    kind           TEXT NOT NULL,
    item           TEXT NOT NULL,
    lot            TEXT,
    serial         TEXT,
    qty            INTEGER NOT NULL,
    from_loc       TEXT NOT NULL,
    to_loc         TEXT NOT NULL,
    made_at        TEXT NOT NULL,
    reason         TEXT NOT NULL,
    rejected_at    TEXT NOT NULL,
    note           TEXT,
    resolved_by    TEXT,
    resolved_at    TEXT,
    resolution_seq INTEGER UNIQUE,
    PRIMARY KEY (device, movement_id),
    CHECK ((note IS NULL) = (resolved_at IS NULL) AND (note IS NULL) = (resolved_by IS NULL)
           AND (note IS NULL) = (resolution_seq IS NULL))
);
CREATE INDEX sync_conflicts_open ON sync_conflicts(resolved_at, rejected_at);
CREATE INDEX sync_conflicts_device_seq ON sync_conflicts(device, resolution_seq);

-- A conflict a person dismissed on this device (device side): who (resolved_by, as above), and
-- 'pending' in resolution_sync until the server has heard of it.
ALTER TABLE outbox ADD COLUMN resolved_by TEXT;
ALTER TABLE outbox ADD COLUMN resolution_sync TEXT CHECK (resolution_sync IN ('pending'));

-- When each device last reached the server (its token checked; written at most once a minute),
-- and the pending movements and open conflicts it last reported.
ALTER TABLE devices ADD COLUMN last_contact_at TEXT;
ALTER TABLE devices ADD COLUMN pending_reported INTEGER;
ALTER TABLE devices ADD COLUMN conflicts_reported INTEGER;
