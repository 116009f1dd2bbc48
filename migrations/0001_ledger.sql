-- The ledger: master data, the append-only movement journal, and the balances derived from it.
-- Quantities are whole units of the item's unit of measure (INTEGER).

CREATE TABLE items (
    id              INTEGER PRIMARY KEY,
    sku             TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    tracking        TEXT NOT NULL CHECK (tracking IN ('none', 'lot', 'serial')),
    expiry_tracked  INTEGER NOT NULL CHECK (expiry_tracked IN (0, 1)),
    shelf_life_days INTEGER CHECK (shelf_life_days IS NULL OR shelf_life_days > 0),
    unit            TEXT NOT NULL DEFAULT 'EA'
);

-- One item may have several GTINs: the unit itself and its packs (a case of 12, a pallet of 480).
CREATE TABLE gtins (
    gtin     TEXT PRIMARY KEY CHECK (length(gtin) = 14),
    item_id  INTEGER NOT NULL REFERENCES items(id),
    pack_qty INTEGER NOT NULL CHECK (pack_qty > 0)
);
CREATE INDEX gtins_item ON gtins(item_id);

-- Real locations hold stock; virtual ones (supplier, customer, production, adjustment) are the
-- other side of every movement, so each item and lot sums to zero over all locations.
CREATE TABLE locations (
    id   INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('dock', 'bin', 'staging', 'shipping', 'quarantine',
                                       'supplier', 'customer', 'production', 'adjustment'))
);

CREATE TABLE lots (
    id              INTEGER PRIMARY KEY,
    item_id         INTEGER NOT NULL REFERENCES items(id),
    code            TEXT NOT NULL,
    expiry          TEXT,            -- YYYY-MM-DD, last day the lot may be used
    production_date TEXT,            -- YYYY-MM-DD
    status          TEXT NOT NULL DEFAULT 'available'
                    CHECK (status IN ('available', 'quarantine', 'recalled')),
    created_at      TEXT NOT NULL,
    UNIQUE (item_id, code)           -- lot codes are unique per item, not globally
);

-- Holds, recalls and releases of a lot: the lot row carries the current status, this its history.
CREATE TABLE lot_events (
    id         INTEGER PRIMARY KEY,
    lot_id     INTEGER NOT NULL REFERENCES lots(id),
    status     TEXT NOT NULL CHECK (status IN ('available', 'quarantine', 'recalled')),
    reason     TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX lot_events_lot ON lot_events(lot_id);

CREATE TABLE serials (
    id      INTEGER PRIMARY KEY,
    item_id INTEGER NOT NULL REFERENCES items(id),
    serial  TEXT NOT NULL,
    lot_id  INTEGER REFERENCES lots(id),
    UNIQUE (item_id, serial)
);

-- The journal. Append-only: triggers below refuse UPDATE and DELETE.
CREATE TABLE movements (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    id         TEXT NOT NULL UNIQUE,      -- globally unique, chosen where the movement is made
    batch_id   TEXT NOT NULL,             -- movements posted together (an assembly is one batch)
    kind       TEXT NOT NULL CHECK (kind IN ('receive', 'ship', 'transfer', 'adjust', 'consume',
                                             'produce', 'opening', 'correction')),
    item_id    INTEGER NOT NULL REFERENCES items(id),
    lot_id     INTEGER REFERENCES lots(id),
    serial_id  INTEGER REFERENCES serials(id),
    qty        INTEGER NOT NULL CHECK (qty > 0),
    from_loc   INTEGER NOT NULL REFERENCES locations(id),
    to_loc     INTEGER NOT NULL REFERENCES locations(id),
    reason     TEXT,
    reference  TEXT,                      -- purchase order, pick list, count, ...
    corrects   TEXT REFERENCES movements(id),
    device     TEXT NOT NULL,
    created_at TEXT NOT NULL,
    CHECK (from_loc <> to_loc)
);
CREATE INDEX movements_lot ON movements(lot_id) WHERE lot_id IS NOT NULL;
CREATE INDEX movements_serial ON movements(serial_id) WHERE serial_id IS NOT NULL;
-- Assemblies are found by batch; other batches never are, so only they are indexed.
CREATE INDEX movements_assembly ON movements(batch_id) WHERE kind IN ('consume', 'produce');
-- Progress of pick lists and purchase orders: movements that name a document.
CREATE INDEX movements_reference ON movements(reference) WHERE reference IS NOT NULL;
-- Untracked items have no lot to follow; a recall trace follows the item itself.
CREATE INDEX movements_untracked ON movements(item_id) WHERE lot_id IS NULL AND serial_id IS NULL;

CREATE TRIGGER movements_no_update BEFORE UPDATE ON movements
BEGIN SELECT RAISE(ABORT, 'movements are append-only'); END;
CREATE TRIGGER movements_no_delete BEFORE DELETE ON movements
BEGIN SELECT RAISE(ABORT, 'movements are append-only'); END;

-- Derived from movements, maintained in the same transaction: the sum of movements into a location
-- minus those out of it, per item, lot and serial. lot_id and serial_id are 0 when absent.
-- `balances` holds real locations only (what is on the shelves, what every report reads);
-- `virtual_balances` the suppliers, customers, production and adjustments, whose rows grow with
-- every customer a lot reaches. Together they sum to zero per item, lot and serial.
-- Queries that use the partial indexes below repeat their condition (`lot_id <> 0`) literally, or
-- SQLite cannot use them with a bound parameter.
CREATE TABLE balances (
    location_id INTEGER NOT NULL,
    item_id     INTEGER NOT NULL,
    lot_id      INTEGER NOT NULL,
    serial_id   INTEGER NOT NULL,
    qty         INTEGER NOT NULL,
    PRIMARY KEY (item_id, lot_id, serial_id, location_id)
) WITHOUT ROWID;
CREATE INDEX balances_lot ON balances(lot_id) WHERE lot_id <> 0;
CREATE TABLE virtual_balances (
    location_id INTEGER NOT NULL,
    item_id     INTEGER NOT NULL,
    lot_id      INTEGER NOT NULL,
    serial_id   INTEGER NOT NULL,
    qty         INTEGER NOT NULL,
    PRIMARY KEY (item_id, lot_id, serial_id, location_id)
) WITHOUT ROWID;
CREATE INDEX balances_serial ON balances(serial_id) WHERE serial_id <> 0;

-- Documents that drive work.
CREATE TABLE purchase_orders (
    id         INTEGER PRIMARY KEY,
    number     TEXT NOT NULL UNIQUE,
    supplier   TEXT NOT NULL,
    status     TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    created_at TEXT NOT NULL
);
CREATE TABLE purchase_order_lines (
    po_id    INTEGER NOT NULL REFERENCES purchase_orders(id),
    line_no  INTEGER NOT NULL,
    item_id  INTEGER NOT NULL REFERENCES items(id),
    qty      INTEGER NOT NULL CHECK (qty > 0),
    expected TEXT,
    PRIMARY KEY (po_id, line_no)
);

CREATE TABLE pick_lists (
    id         INTEGER PRIMARY KEY,
    number     TEXT NOT NULL UNIQUE,
    customer   TEXT NOT NULL,
    status     TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done')),
    created_at TEXT NOT NULL
);
CREATE TABLE pick_list_lines (
    pick_list_id INTEGER NOT NULL REFERENCES pick_lists(id),
    line_no      INTEGER NOT NULL,
    item_id      INTEGER NOT NULL REFERENCES items(id),
    qty          INTEGER NOT NULL CHECK (qty > 0),
    customer     TEXT NOT NULL,
    due          TEXT,
    PRIMARY KEY (pick_list_id, line_no)
);

CREATE TABLE counts (
    id          INTEGER PRIMARY KEY,
    number      TEXT NOT NULL UNIQUE,
    location_id INTEGER NOT NULL REFERENCES locations(id),
    status      TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'posted')),
    created_at  TEXT NOT NULL
);
CREATE TABLE count_lines (
    count_id  INTEGER NOT NULL REFERENCES counts(id),
    item_id   INTEGER NOT NULL REFERENCES items(id),
    lot_id    INTEGER NOT NULL,
    serial_id INTEGER NOT NULL,
    counted   INTEGER NOT NULL CHECK (counted >= 0),
    PRIMARY KEY (count_id, item_id, lot_id, serial_id)
);
