-- The floor features of issue 17.

-- Composition lists: what one unit of an item is built from (bill of materials, one
-- level). The Assemble workflow shows them and refuses a component that is not on the list.
-- Master data: devices pull it. Cycles (A built from B built from A) are refused on import.
CREATE TABLE compositions (
    output_id    INTEGER NOT NULL REFERENCES items(id),
    component_id INTEGER NOT NULL REFERENCES items(id),
    qty_per_unit INTEGER NOT NULL CHECK (qty_per_unit > 0),
    PRIMARY KEY (output_id, component_id),
    CHECK (output_id <> component_id)
) WITHOUT ROWID;
CREATE INDEX compositions_component ON compositions(component_id);
CREATE TRIGGER compositions_insert_version AFTER INSERT ON compositions
BEGIN UPDATE master_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER compositions_update_version AFTER UPDATE ON compositions
BEGIN UPDATE master_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER compositions_delete_version AFTER DELETE ON compositions
BEGIN UPDATE master_version SET version = version + 1 WHERE id = 1; END;

-- Turning tracking on for stock already on hand: while an item's conversion is open, its
-- movements may carry the lot or serial of the tracking it converts to, or none, so stock can be
-- assigned location by location (`convert-tracking`, or a count on a handheld). Closing it
-- switches `tracking` (and `expiry_tracked` to `converting_expiry`) once nothing is unassigned.
ALTER TABLE items ADD COLUMN converting_to TEXT CHECK (converting_to IS NULL OR converting_to IN ('lot', 'serial'));
ALTER TABLE items ADD COLUMN converting_expiry INTEGER CHECK (converting_expiry IS NULL OR converting_expiry IN (0, 1));

-- Lot attributes: per item, what its lots record besides their dates (country of origin,
-- supplier lot, test result), typed, and whether a receipt must give it. `ai` is the GS1
-- Application Identifier that carries it on a label ('422'), so a scan fills it. Master data.
CREATE TABLE lot_attribute_defs (
    item_id  INTEGER NOT NULL REFERENCES items(id),
    name     TEXT NOT NULL,
    kind     TEXT NOT NULL CHECK (kind IN ('text', 'number', 'date')),
    required INTEGER NOT NULL CHECK (required IN (0, 1)),
    ai       TEXT,
    position INTEGER NOT NULL,
    PRIMARY KEY (item_id, name)
) WITHOUT ROWID;
CREATE TRIGGER lot_attribute_defs_insert_version AFTER INSERT ON lot_attribute_defs
BEGIN UPDATE master_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER lot_attribute_defs_update_version AFTER UPDATE ON lot_attribute_defs
BEGIN UPDATE master_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER lot_attribute_defs_delete_version AFTER DELETE ON lot_attribute_defs
BEGIN UPDATE master_version SET version = version + 1 WHERE id = 1; END;

-- A lot's attribute values, as the movement that brought them recorded them (a value, once
-- recorded, is not changed by a later movement: a different one is refused).
CREATE TABLE lot_attributes (
    lot_id INTEGER NOT NULL REFERENCES lots(id),
    name   TEXT NOT NULL,
    value  TEXT NOT NULL,
    PRIMARY KEY (lot_id, name)
) WITHOUT ROWID;

-- The attribute values a movement carried for its lot, as a JSON object of name to value, so
-- they sync with it and the journal shows who recorded them.
ALTER TABLE movements ADD COLUMN lot_attributes TEXT;
