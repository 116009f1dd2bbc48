-- A movement is corrected at most once. The posting engine refuses a second correction with a
-- message naming the first; this trigger keeps the journal honest even if some code forgot.
-- It counts the corrections that stand: on a device, a correction the server rejected
-- (conflict, dismissed) never happened, and one still pending may yet be rejected, so the
-- server's record of a correction is never blocked by it (the device's own pending correction
-- is refused by the server on push and becomes a conflict). On the server and on a device that
-- is not enrolled, the outbox is empty: every correction counts.
-- (A unique index on movements(corrects) cannot express this: movements are append-only, so a
-- device holding its own rejected correction could then never store the server's.)
CREATE INDEX movements_corrects ON movements(corrects) WHERE corrects IS NOT NULL;
CREATE TRIGGER movements_corrected_once BEFORE INSERT ON movements
WHEN NEW.corrects IS NOT NULL AND EXISTS (
    SELECT 1 FROM movements c
    WHERE c.corrects = NEW.corrects
      AND c.id NOT IN (SELECT movement_id FROM outbox WHERE state <> 'accepted'))
BEGIN SELECT RAISE(ABORT, 'a movement is corrected at most once'); END;
