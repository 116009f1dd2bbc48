-- The dashboard's running totals kept on PostgreSQL too (SQLite's migration 0015), without the
-- hot row that made 0003 leave them empty. The row triggers append what each change adds to a
-- delta table (inserts only: no row is updated twice). At the end of every writer's
-- transaction the store calls `lotkeeper_fold_totals()`, which moves the deltas into the totals
-- with one update per touched row; writers take turns (the row lock on `lotkeeper_schema`), so
-- once a transaction commits the deltas are empty again and readers see totals that match the
-- balances. Measured on the push that broke 0003 (5,000 movements to one dock): see issue 19.

CREATE TABLE location_total_deltas (
    location_id BIGINT NOT NULL,
    lines       BIGINT NOT NULL,
    units       BIGINT NOT NULL
);
CREATE TABLE lot_total_deltas (
    lot_id BIGINT NOT NULL,
    units  BIGINT NOT NULL
);
CREATE TABLE movement_day_deltas (
    day       TEXT COLLATE "C" NOT NULL,
    movements BIGINT NOT NULL
);

-- Filled from what is already there (empty since 0003).
DELETE FROM location_totals;
DELETE FROM lot_totals;
DELETE FROM movement_days;
INSERT INTO location_totals (location_id, lines, units)
    SELECT location_id, COUNT(*), SUM(qty) FROM balances WHERE qty > 0 GROUP BY location_id;
INSERT INTO lot_totals (lot_id, units)
    SELECT lot_id, SUM(qty) FROM balances WHERE qty > 0 AND lot_id <> 0 GROUP BY lot_id;
INSERT INTO movement_days (day, movements)
    SELECT substr(created_at, 1, 10), COUNT(*) FROM movements GROUP BY substr(created_at, 1, 10);

-- A balance's key never changes: posting adds to `qty` only.
CREATE FUNCTION balances_key_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a balance''s item, lot, serial and location never change';
END $$;
CREATE TRIGGER balances_key_fixed BEFORE UPDATE OF item_id, lot_id, serial_id, location_id
    ON balances FOR EACH ROW
    WHEN ((OLD.item_id, OLD.lot_id, OLD.serial_id, OLD.location_id)
          IS DISTINCT FROM (NEW.item_id, NEW.lot_id, NEW.serial_id, NEW.location_id))
    EXECUTE FUNCTION balances_key_fixed();

-- What a balance's change adds to its location's lines and units and its lot's units: only
-- positive quantities count, as in SQLite's triggers.
CREATE FUNCTION balances_totals() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was BIGINT := 0;
    now_ BIGINT := 0;
    loc BIGINT;
    lot BIGINT;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        was := GREATEST(OLD.qty, 0);
        loc := OLD.location_id;
        lot := OLD.lot_id;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        now_ := GREATEST(NEW.qty, 0);
        loc := NEW.location_id;
        lot := NEW.lot_id;
    END IF;
    IF now_ <> was THEN
        INSERT INTO location_total_deltas (location_id, lines, units)
            VALUES (loc, (now_ > 0)::int - (was > 0)::int, now_ - was);
        IF lot <> 0 THEN
            INSERT INTO lot_total_deltas (lot_id, units) VALUES (lot, now_ - was);
        END IF;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER balances_totals AFTER INSERT OR UPDATE OF qty OR DELETE ON balances
    FOR EACH ROW EXECUTE FUNCTION balances_totals();

-- Per day (the UTC date a movement was made): the journal is append-only.
CREATE FUNCTION movements_days() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO movement_day_deltas (day, movements) VALUES (substr(NEW.created_at, 1, 10), 1);
    RETURN NULL;
END $$;
CREATE TRIGGER movements_days AFTER INSERT ON movements
    FOR EACH ROW EXECUTE FUNCTION movements_days();

-- Moves the deltas into the totals: one insert-or-update per location, lot and day touched.
CREATE FUNCTION lotkeeper_fold_totals() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    WITH d AS (DELETE FROM location_total_deltas RETURNING location_id, lines, units)
    INSERT INTO location_totals (location_id, lines, units)
        SELECT location_id, SUM(lines), SUM(units) FROM d GROUP BY location_id
        ON CONFLICT (location_id) DO UPDATE
        SET lines = location_totals.lines + excluded.lines,
            units = location_totals.units + excluded.units;
    WITH d AS (DELETE FROM lot_total_deltas RETURNING lot_id, units)
    INSERT INTO lot_totals (lot_id, units)
        SELECT lot_id, SUM(units) FROM d GROUP BY lot_id
        ON CONFLICT (lot_id) DO UPDATE SET units = lot_totals.units + excluded.units;
    WITH d AS (DELETE FROM movement_day_deltas RETURNING day, movements)
    INSERT INTO movement_days (day, movements)
        SELECT day, SUM(movements) FROM d GROUP BY day
        ON CONFLICT (day) DO UPDATE SET movements = movement_days.movements + excluded.movements;
END $$;
