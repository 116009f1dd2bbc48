-- Enrollment by QR code, issue 15: a one-time code the back office prints for a device, valid
-- for minutes. The handheld exchanges it for a fresh token over TLS; only the code's hash is kept,
-- and a code works once.
CREATE TABLE enrollment_codes (
    code_hash  TEXT PRIMARY KEY,
    device     TEXT NOT NULL REFERENCES devices(name) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT
);
