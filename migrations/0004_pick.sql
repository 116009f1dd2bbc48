-- Exactly-once pick lists. A pick's movement id is chosen when the pick is taken and kept with
-- its draft, so finishing a list again (after a crash, or a retry) can never post a pick twice:
-- the same id is answered "already recorded". Posting, deleting the drafts and closing the list
-- are one transaction (`Ledger::finish_pick_list`).
ALTER TABLE pick_drafts ADD COLUMN movement_id TEXT;

-- Drafts kept by an older version get an id now (a random UUID, version 4).
UPDATE pick_drafts SET movement_id = lower(
    hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-'
    || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-'
    || hex(randomblob(6)))
WHERE movement_id IS NULL;

CREATE UNIQUE INDEX pick_drafts_movement ON pick_drafts(movement_id);
