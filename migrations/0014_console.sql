-- The back office's web console, issue 19: the people who sign in, their sessions, and the
-- sign-in failures that slow down guessing. Only the back office fills these; a handheld's
-- database has them empty (one schema for every ledger).

-- A person's account. role: admin (everything, users too), supervisor (recalls, holds, devices,
-- imports; not users), viewer (reads only). password_hash: an argon2id PHC string, never the
-- password.
CREATE TABLE console_users (
    name          TEXT PRIMARY KEY,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'supervisor', 'viewer')),
    password_hash TEXT NOT NULL,
    created_at    TEXT NOT NULL
);

-- A signed-in browser. token_hash: SHA-256 of the cookie's token (the token itself is never
-- stored); csrf: the token every form of this session carries. A session ends at expires_at, or
-- when it has been idle too long after last_seen_at.
CREATE TABLE console_sessions (
    token_hash   TEXT PRIMARY KEY,
    user_name    TEXT NOT NULL REFERENCES console_users(name),
    csrf         TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at   TEXT NOT NULL
);
CREATE INDEX console_sessions_user ON console_sessions(user_name);

-- Failed sign-ins in a row, per user name ('user:NAME') and per client address ('addr:IP').
CREATE TABLE console_signin_failures (
    key       TEXT PRIMARY KEY,
    failures  INTEGER NOT NULL CHECK (failures > 0),
    last_at   TEXT NOT NULL
);

-- Imports made by a person (the console's): when, what, how many rows, and who.
CREATE TABLE import_log (
    id INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    kind      TEXT NOT NULL,
    rows_read INTEGER NOT NULL,
    created   INTEGER NOT NULL,
    updated   INTEGER NOT NULL,
    by_name   TEXT NOT NULL
);

-- Other changes people made in the console, where the table changed keeps no actor: devices
-- added or revoked, users added or removed.
CREATE TABLE console_changes (
    id INTEGER PRIMARY KEY,
    at      TEXT NOT NULL,
    by_name TEXT NOT NULL,
    action  TEXT NOT NULL,
    subject TEXT NOT NULL
);

-- How far each device has stored the server's lot status changes (the lot event position it
-- pulls after): a recall is acknowledged by a device once this reaches the recall's event.
ALTER TABLE devices ADD COLUMN lot_events_seen INTEGER NOT NULL DEFAULT 0;

-- The console's dashboard counts movements per day and finds each device's last movement
-- without reading the whole journal.
CREATE INDEX movements_created ON movements(created_at);
CREATE INDEX movements_device ON movements(device, created_at);
