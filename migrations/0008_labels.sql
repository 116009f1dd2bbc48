-- Labels, issue 15: printers, print jobs that survive a printer that is off, and SSCCs.
CREATE TABLE printers (
    name    TEXT PRIMARY KEY,
    address TEXT NOT NULL,
    dpi     INTEGER NOT NULL CHECK (dpi IN (203, 300)),
    size    TEXT NOT NULL CHECK (size IN ('2x1', '4x2', '4x6'))
);

-- The printer each workflow prints to unless told otherwise (receive, split, lookup, cli, ...).
CREATE TABLE printer_defaults (
    workflow TEXT PRIMARY KEY,
    printer  TEXT NOT NULL REFERENCES printers(name) ON DELETE CASCADE
);

-- A job keeps the bytes it sends and where to, so it can be retried after the printer is back
-- (or after the printer's entry was changed or removed).
CREATE TABLE print_jobs (
    id         INTEGER PRIMARY KEY,
    printer    TEXT NOT NULL,
    address    TEXT NOT NULL,
    format     TEXT NOT NULL CHECK (format IN ('zpl', 'png', 'pdf')),
    label      TEXT NOT NULL,
    payload    BLOB NOT NULL,
    -- sending: taken by one sender (claimed_at), so two never send the same job.
    status     TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'printed')),
    claimed_at TEXT,
    attempts   INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at TEXT NOT NULL,
    printed_at TEXT
);
CREATE INDEX print_jobs_status ON print_jobs(status);

-- The serial references this database may give out, NEXT..=LAST. One row. The references are
-- cut into 1,000 blocks: block 0 is the back office's own (or a site's without one), and each
-- enrolled device gets a block of its own from the back office, so devices allocating offline
-- for days never meet. An enrolled device without its block from the server gives out none.
CREATE TABLE sscc_range (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    next INTEGER NOT NULL,
    last INTEGER NOT NULL,
    CHECK (next >= 0 AND last >= 0)
);

-- On the back office: the blocks given to devices (1 to 999), each once, ever. A device's token
-- changing (added again, enrolled again) retires its block: a wiped or replaced handheld under
-- the same name does not know what its predecessor printed, so it gets a block of its own.
CREATE TABLE sscc_blocks (
    block      INTEGER PRIMARY KEY CHECK (block BETWEEN 1 AND 999),
    device     TEXT NOT NULL,
    given_at   TEXT NOT NULL,
    retired_at TEXT
);
CREATE UNIQUE INDEX sscc_blocks_current ON sscc_blocks(device) WHERE retired_at IS NULL;

-- Every SSCC given out, once: the primary key refuses a second. `label`: the pallet label as
-- printed (JSON), so Look up can print it again.
CREATE TABLE ssccs (
    sscc             TEXT PRIMARY KEY CHECK (length(sscc) = 18),
    serial_reference INTEGER NOT NULL,
    issued_at        TEXT NOT NULL,
    label            TEXT
);
