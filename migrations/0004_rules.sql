-- A movement is corrected at most once. The posting engine refuses a second correction with a
-- message naming the first, on devices and on the server; this trigger holds the line in the
-- schema of the authoritative ledgers: the server, and a ledger that syncs with no server.
-- An enrolled device is left out: it stores the server's records as they are (the server is the
-- authority, and its log may hold corrections made before this rule, which a new device must
-- still be able to pull), and its own rejected corrections stay in its append-only journal as
-- conflicts beside the server's correction of the same movement. A unique index on
-- movements(corrects) could express neither.
CREATE INDEX movements_corrects ON movements(corrects) WHERE corrects IS NOT NULL;
CREATE TRIGGER movements_corrected_once BEFORE INSERT ON movements
WHEN NEW.corrects IS NOT NULL
 AND NOT EXISTS (SELECT 1 FROM sync_state WHERE key = 'server')
 AND EXISTS (SELECT 1 FROM movements c WHERE c.corrects = NEW.corrects)
BEGIN SELECT RAISE(ABORT, 'a movement is corrected at most once'); END;
