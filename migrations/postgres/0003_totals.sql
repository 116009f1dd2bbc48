-- SQLite's migration 0015 (running totals for the dashboard), on PostgreSQL: the same tables,
-- so both schemas stay one, but left empty and kept by no trigger. PostgreSQL's reports sum
-- the balances and the journal as before. Measured: a push of 5,000 movements to one dock
-- updates the dock's totals row 5,000 times in one transaction, and each update walks the
-- chain of row versions the earlier ones left (they cannot be pruned while it is open), so
-- the push grew quadratic and outlasted the device's timeout. Totals on PostgreSQL need
-- insert-only deltas folded in later, not one hot row.
CREATE TABLE location_totals (
    location_id BIGINT PRIMARY KEY REFERENCES locations(id),
    lines       BIGINT NOT NULL,
    units       BIGINT NOT NULL
);
CREATE TABLE lot_totals (
    lot_id BIGINT PRIMARY KEY REFERENCES lots(id),
    units  BIGINT NOT NULL
);
CREATE TABLE movement_days (
    day       TEXT COLLATE "C" PRIMARY KEY,
    movements BIGINT NOT NULL
);
