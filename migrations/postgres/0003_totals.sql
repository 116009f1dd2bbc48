-- SQLite's migration 0015 (running totals for the dashboard), on PostgreSQL: the same tables,
-- kept by row triggers in the transaction that changes a balance or records a movement.

CREATE TABLE location_totals (
    location_id BIGINT PRIMARY KEY REFERENCES locations(id),
    lines       BIGINT NOT NULL,
    units       BIGINT NOT NULL
);
CREATE TABLE lot_totals (
    lot_id BIGINT PRIMARY KEY REFERENCES lots(id),
    units  BIGINT NOT NULL
);
CREATE TABLE movement_days (
    day       TEXT COLLATE "C" PRIMARY KEY,
    movements BIGINT NOT NULL
);

INSERT INTO location_totals (location_id, lines, units)
    SELECT location_id, COUNT(*), SUM(qty) FROM balances WHERE qty > 0 GROUP BY location_id;
INSERT INTO lot_totals (lot_id, units)
    SELECT lot_id, SUM(qty) FROM balances WHERE qty > 0 AND lot_id <> 0 GROUP BY lot_id;
INSERT INTO movement_days (day, movements)
    SELECT substr(created_at, 1, 10), COUNT(*) FROM movements GROUP BY substr(created_at, 1, 10);

-- One balance row's change: take out what it counted before, add what it counts now.
CREATE FUNCTION balances_totals() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    lines_then BIGINT := 0;
    units_then BIGINT := 0;
    lines_now  BIGINT := 0;
    units_now  BIGINT := 0;
    row_now    balances%ROWTYPE;
BEGIN
    IF TG_OP = 'UPDATE' AND (NEW.item_id, NEW.lot_id, NEW.serial_id, NEW.location_id)
                            IS DISTINCT FROM (OLD.item_id, OLD.lot_id, OLD.serial_id, OLD.location_id) THEN
        RAISE EXCEPTION 'a balance''s item, lot, serial and location never change';
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.qty > 0 THEN
        lines_then := 1;
        units_then := OLD.qty;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        row_now := NEW;
        IF NEW.qty > 0 THEN
            lines_now := 1;
            units_now := NEW.qty;
        END IF;
    ELSE
        row_now := OLD;
    END IF;
    IF units_now = units_then THEN
        RETURN NULL;
    END IF;
    INSERT INTO location_totals (location_id, lines, units)
        VALUES (row_now.location_id, lines_now - lines_then, units_now - units_then)
        ON CONFLICT (location_id) DO UPDATE
        SET lines = location_totals.lines + excluded.lines,
            units = location_totals.units + excluded.units;
    IF row_now.lot_id <> 0 THEN
        INSERT INTO lot_totals (lot_id, units) VALUES (row_now.lot_id, units_now - units_then)
            ON CONFLICT (lot_id) DO UPDATE SET units = lot_totals.units + excluded.units;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER balances_totals AFTER INSERT OR UPDATE OR DELETE ON balances
    FOR EACH ROW EXECUTE FUNCTION balances_totals();

CREATE FUNCTION movements_days() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO movement_days (day, movements) VALUES (substr(NEW.created_at, 1, 10), 1)
        ON CONFLICT (day) DO UPDATE SET movements = movement_days.movements + 1;
    RETURN NULL;
END $$;
CREATE TRIGGER movements_days AFTER INSERT ON movements
    FOR EACH ROW EXECUTE FUNCTION movements_days();
