-- Sites, issue 18: one back-office database holds several warehouses.

-- Each real location belongs to a site (a party of kind site, by code); virtual ones (suppliers,
-- customers, production, adjustment) belong to none. A location without a site belongs to the
-- one unnamed site of a database that never named its sites. A `transit` location
-- (`TRANSIT:<site>`, made on first use) holds stock on its way to its site: the sending site
-- moves stock into it, and the receiving site sees it there until it moves it to a location of
-- its own. Made on first use on each side, it still counts as master data, so that a device of an
-- older protocol, which cannot make it, pulls it before a movement names it. SQLite cannot change a CHECK in place, so the table is rebuilt (the migration runs
-- with foreign keys off and checks them before it commits).
CREATE TABLE locations_new (
    id   INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('dock', 'bin', 'staging', 'shipping', 'quarantine', 'transit',
                                       'supplier', 'customer', 'production', 'adjustment')),
    site TEXT,
    CHECK (site IS NULL OR kind NOT IN ('supplier', 'customer', 'production', 'adjustment')),
    CHECK (kind <> 'transit' OR site IS NOT NULL)
);
-- An existing database with one site party is that site.
INSERT INTO locations_new (id, code, name, kind, site)
SELECT id, code, name, kind,
       CASE WHEN kind IN ('dock', 'bin', 'staging', 'shipping', 'quarantine')
                 AND (SELECT count(*) FROM parties WHERE kind = 'site') = 1
            THEN (SELECT code FROM parties WHERE kind = 'site') END
FROM locations;
DROP TABLE locations;
ALTER TABLE locations_new RENAME TO locations;
CREATE INDEX locations_site ON locations(site);
CREATE TRIGGER locations_insert_version AFTER INSERT ON locations
WHEN NEW.kind IN ('dock', 'bin', 'staging', 'shipping', 'quarantine', 'transit')
BEGIN UPDATE master_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER locations_update_version AFTER UPDATE ON locations
WHEN NEW.kind IN ('dock', 'bin', 'staging', 'shipping', 'quarantine', 'transit')
BEGIN UPDATE master_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER locations_delete_version AFTER DELETE ON locations
WHEN OLD.kind IN ('dock', 'bin', 'staging', 'shipping', 'quarantine', 'transit')
BEGIN UPDATE master_version SET version = version + 1 WHERE id = 1; END;

-- The site a device works at (server side): it pulls that site's movements and documents, and
-- moves stock only there (and into another site's transit location). None: every site.
ALTER TABLE devices ADD COLUMN site TEXT;
UPDATE devices SET site = (SELECT code FROM parties WHERE kind = 'site')
WHERE (SELECT count(*) FROM parties WHERE kind = 'site') = 1;

-- The site a pick list is picked at, or a purchase order received at. None: any.
ALTER TABLE pick_lists ADD COLUMN site TEXT;
ALTER TABLE purchase_orders ADD COLUMN site TEXT;
UPDATE pick_lists SET site = (SELECT code FROM parties WHERE kind = 'site')
WHERE (SELECT count(*) FROM parties WHERE kind = 'site') = 1;
UPDATE purchase_orders SET site = (SELECT code FROM parties WHERE kind = 'site')
WHERE (SELECT count(*) FROM parties WHERE kind = 'site') = 1;
