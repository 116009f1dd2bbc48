-- Compliance, issue 16: the data FSMA 204 and EPCIS documents need, captured with the movements.

-- Suppliers, customers and our own sites. A virtual location `SUPPLIER:<code>` or
-- `CUSTOMER:<code>` is the party of that kind and code: a name seen first on a handheld works
-- offline, and the back office completes the record later. Master data: devices pull it.
CREATE TABLE parties (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('supplier', 'customer', 'site')),
    name        TEXT NOT NULL,
    phone       TEXT,
    street      TEXT,
    city        TEXT,
    region      TEXT,
    postal_code TEXT,
    country     TEXT,
    gln         TEXT CHECK (gln IS NULL OR length(gln) = 13),
    UNIQUE (kind, code)
);
CREATE TRIGGER parties_insert_version AFTER INSERT ON parties
BEGIN UPDATE master_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER parties_update_version AFTER UPDATE ON parties
BEGIN UPDATE master_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER parties_delete_version AFTER DELETE ON parties
BEGIN UPDATE master_version SET version = version + 1 WHERE id = 1; END;

-- A lot code asked for without its item (`export --lot`, a recall by the code on the label).
CREATE INDEX lots_code ON lots(code);

-- The product description FSMA 204 asks for, and whether the item is on the FDA's Food
-- Traceability List (the FSMA 204 export covers those unless told --all).
ALTER TABLE items ADD COLUMN brand TEXT;
ALTER TABLE items ADD COLUMN commodity TEXT;
ALTER TABLE items ADD COLUMN variety TEXT;
ALTER TABLE items ADD COLUMN pack_size TEXT;
ALTER TABLE items ADD COLUMN pack_style TEXT;
ALTER TABLE items ADD COLUMN ftl INTEGER NOT NULL DEFAULT 0 CHECK (ftl IN (0, 1));

-- The reference document a movement was made under: its number stays in `reference`, this is
-- its type. Movements recorded before this version name purchase orders and pick lists; their
-- type follows from the document the number belongs to.
ALTER TABLE movements ADD COLUMN ref_type TEXT
    CHECK (ref_type IS NULL OR ref_type IN ('po', 'bol', 'invoice', 'asn', 'work_order',
                                            'pick_list', 'other'));
-- Where a received lot's code was assigned, when that is not the supplier it came from: a
-- party code (`site:<code>` or `supplier:<code>`) or a free source reference (a GLN, a URL).
ALTER TABLE movements ADD COLUMN tlc_source TEXT;

