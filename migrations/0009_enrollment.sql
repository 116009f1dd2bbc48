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

-- Label printers are master data: handhelds take the back office's (issue 15), so a change to
-- them is a new master-data version, like a change to items or locations.
CREATE TRIGGER printers_insert_version AFTER INSERT ON printers
BEGIN UPDATE master_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER printers_update_version AFTER UPDATE ON printers
BEGIN UPDATE master_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER printers_delete_version AFTER DELETE ON printers
BEGIN UPDATE master_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER printer_defaults_insert_version AFTER INSERT ON printer_defaults
BEGIN UPDATE master_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER printer_defaults_update_version AFTER UPDATE ON printer_defaults
BEGIN UPDATE master_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER printer_defaults_delete_version AFTER DELETE ON printer_defaults
BEGIN UPDATE master_version SET version = version + 1 WHERE id = 1; END;
