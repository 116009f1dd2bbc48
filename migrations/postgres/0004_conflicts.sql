-- SQLite's migration 0016 (the back office's conflicts, and what devices last said of
-- themselves), on PostgreSQL: the same tables and checks, text compared byte by byte, every
-- integer BIGINT.

CREATE TABLE sync_conflicts (
    device         TEXT COLLATE "C" NOT NULL,
    movement_id    TEXT COLLATE "C" NOT NULL,
    kind           TEXT COLLATE "C" NOT NULL,
    item           TEXT COLLATE "C" NOT NULL,
    lot            TEXT COLLATE "C",
    serial         TEXT COLLATE "C",
    qty            BIGINT NOT NULL,
    from_loc       TEXT COLLATE "C" NOT NULL,
    to_loc         TEXT COLLATE "C" NOT NULL,
    made_at        TEXT COLLATE "C" NOT NULL,
    reason         TEXT COLLATE "C" NOT NULL,
    rejected_at    TEXT COLLATE "C" NOT NULL,
    note           TEXT COLLATE "C",
    resolved_by    TEXT COLLATE "C",
    resolved_at    TEXT COLLATE "C",
    resolution_seq BIGINT UNIQUE,
    PRIMARY KEY (device, movement_id),
    CHECK ((note IS NULL) = (resolved_at IS NULL) AND (note IS NULL) = (resolved_by IS NULL)
           AND (note IS NULL) = (resolution_seq IS NULL))
);
CREATE INDEX sync_conflicts_open ON sync_conflicts(resolved_at, rejected_at);
CREATE INDEX sync_conflicts_device_seq ON sync_conflicts(device, resolution_seq);

ALTER TABLE outbox ADD COLUMN resolved_by TEXT COLLATE "C";
ALTER TABLE outbox ADD COLUMN resolution_sync TEXT COLLATE "C" CHECK (resolution_sync IN ('pending'));

ALTER TABLE devices ADD COLUMN last_contact_at TEXT COLLATE "C";
ALTER TABLE devices ADD COLUMN pending_reported BIGINT;
ALTER TABLE devices ADD COLUMN conflicts_reported BIGINT;
