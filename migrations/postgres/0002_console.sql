-- SQLite's migration 0014 (the web console's users, sessions and sign-in failures), on
-- PostgreSQL: the same tables and checks, text compared byte by byte, every integer BIGINT.

CREATE TABLE console_users (
    name          TEXT COLLATE "C" PRIMARY KEY,
    role          TEXT COLLATE "C" NOT NULL CHECK (role IN ('admin', 'supervisor', 'viewer')),
    password_hash TEXT COLLATE "C" NOT NULL,
    created_at    TEXT COLLATE "C" NOT NULL
);

CREATE TABLE console_sessions (
    token_hash   TEXT COLLATE "C" PRIMARY KEY,
    user_name    TEXT COLLATE "C" NOT NULL REFERENCES console_users(name),
    csrf         TEXT COLLATE "C" NOT NULL,
    created_at   TEXT COLLATE "C" NOT NULL,
    last_seen_at TEXT COLLATE "C" NOT NULL,
    expires_at   TEXT COLLATE "C" NOT NULL
);
CREATE INDEX console_sessions_user ON console_sessions(user_name);

CREATE TABLE console_signin_failures (
    key       TEXT COLLATE "C" PRIMARY KEY,
    failures  BIGINT NOT NULL CHECK (failures > 0),
    last_at   TEXT COLLATE "C" NOT NULL
);

-- How far each device has stored the server's lot status changes (the lot event position it
-- pulls after): a recall is acknowledged by a device once this reaches the recall's event.
ALTER TABLE devices ADD COLUMN lot_events_seen BIGINT NOT NULL DEFAULT 0;

-- The console's dashboard counts movements per day and finds each device's last movement
-- without reading the whole journal.
CREATE INDEX movements_created ON movements(created_at);
CREATE INDEX movements_device ON movements(device, created_at);
