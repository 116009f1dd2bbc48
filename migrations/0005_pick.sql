-- Exactly-once pick lists. A pick's movement id is chosen when the pick is taken and kept with
-- its draft, so finishing a list again (after a crash, or a retry) can never post a pick twice:
-- the same id is answered "already recorded". Posting, deleting the drafts and closing the list
-- are one transaction (`Ledger::finish_pick_list`).
ALTER TABLE pick_drafts ADD COLUMN movement_id TEXT;

-- Drafts kept by an older version get an id now (a random UUID, version 4), and are marked:
-- an older version may have posted them already and died before closing the list, so finishing
-- takes a movement it finds for such a draft (same device, list, item, lot, serial, place and
-- quantity, recorded after the draft) as the draft's own instead of posting it again.
ALTER TABLE pick_drafts ADD COLUMN legacy INTEGER NOT NULL DEFAULT 0;
UPDATE pick_drafts SET legacy = 1, movement_id = lower(
    hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-'
    || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-'
    || hex(randomblob(6)))
WHERE movement_id IS NULL;

CREATE UNIQUE INDEX pick_drafts_movement ON pick_drafts(movement_id);
