-- Sync: the device's outbox and cursors, the server's devices, and the version of master data.

-- Every movement recorded on an enrolled device, in the same transaction as the movement.
-- pending: not yet accepted by the server; accepted: in the server's log at server_seq;
-- conflict: rejected by the server (its effect is taken out of the local balances) until a person
-- resolves it; dismissed: a resolved conflict, with the person's note.
CREATE TABLE outbox (
    movement_id TEXT PRIMARY KEY REFERENCES movements(id),
    state       TEXT NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'accepted', 'conflict', 'dismissed')),
    server_seq  INTEGER,
    reason      TEXT,
    note        TEXT,
    updated_at  TEXT NOT NULL
);
CREATE INDEX outbox_state ON outbox(state);

-- Key/value state of sync on a device: server, token, device name, cursors, last success.
CREATE TABLE sync_state (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Devices enrolled with a server (server side). Only a hash of each token is kept.
CREATE TABLE devices (
    name       TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);

-- Master data version: bumped by every change to what devices pull as a snapshot. Virtual
-- locations (suppliers, customers) are created on first use on each side and do not count.
CREATE TABLE master_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO master_version (id, version) VALUES (1, 1);

CREATE TRIGGER items_insert_version AFTER INSERT ON items
BEGIN UPDATE master_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER items_update_version AFTER UPDATE ON items
BEGIN UPDATE master_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER items_delete_version AFTER DELETE ON items
BEGIN UPDATE master_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER gtins_insert_version AFTER INSERT ON gtins
BEGIN UPDATE master_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER gtins_update_version AFTER UPDATE ON gtins
BEGIN UPDATE master_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER gtins_delete_version AFTER DELETE ON gtins
BEGIN UPDATE master_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER locations_insert_version AFTER INSERT ON locations
WHEN NEW.kind IN ('dock', 'bin', 'staging', 'shipping', 'quarantine')
BEGIN UPDATE master_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER locations_update_version AFTER UPDATE ON locations
WHEN NEW.kind IN ('dock', 'bin', 'staging', 'shipping', 'quarantine')
BEGIN UPDATE master_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER locations_delete_version AFTER DELETE ON locations
WHEN OLD.kind IN ('dock', 'bin', 'staging', 'shipping', 'quarantine')
BEGIN UPDATE master_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER pick_lists_insert_version AFTER INSERT ON pick_lists
BEGIN UPDATE master_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER pick_lists_update_version AFTER UPDATE ON pick_lists
BEGIN UPDATE master_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER pick_lists_delete_version AFTER DELETE ON pick_lists
BEGIN UPDATE master_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER pick_list_lines_insert_version AFTER INSERT ON pick_list_lines
BEGIN UPDATE master_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER pick_list_lines_update_version AFTER UPDATE ON pick_list_lines
BEGIN UPDATE master_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER pick_list_lines_delete_version AFTER DELETE ON pick_list_lines
BEGIN UPDATE master_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER purchase_orders_insert_version AFTER INSERT ON purchase_orders
BEGIN UPDATE master_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER purchase_orders_update_version AFTER UPDATE ON purchase_orders
BEGIN UPDATE master_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER purchase_orders_delete_version AFTER DELETE ON purchase_orders
BEGIN UPDATE master_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER purchase_order_lines_insert_version AFTER INSERT ON purchase_order_lines
BEGIN UPDATE master_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER purchase_order_lines_update_version AFTER UPDATE ON purchase_order_lines
BEGIN UPDATE master_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER purchase_order_lines_delete_version AFTER DELETE ON purchase_order_lines
BEGIN UPDATE master_version SET version = version + 1 WHERE id = 1; END;

-- The journal as history shows it: without the movements the server rejected (conflicts and
-- dismissed conflicts stay in `movements`, which is append-only, but they never happened).
CREATE VIEW live_movements AS
    SELECT * FROM movements
    WHERE id NOT IN (SELECT movement_id FROM outbox WHERE state IN ('conflict', 'dismissed'));
