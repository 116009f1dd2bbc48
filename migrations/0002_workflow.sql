-- Working state of the handheld's workflows. Not the journal: these rows are drafts and settings,
-- and become movements only when a workflow posts them.

-- Site and device settings (FEFO deviation policy, how a pick list finishes, lot rule, ...).
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Picks confirmed on the handheld but not yet posted: a half-done pick list survives a restart.
CREATE TABLE pick_drafts (
    id           INTEGER PRIMARY KEY,
    pick_list_id INTEGER NOT NULL REFERENCES pick_lists(id),
    line_no      INTEGER NOT NULL,
    location     TEXT NOT NULL,
    lot          TEXT,
    serial       TEXT,
    qty          INTEGER NOT NULL CHECK (qty > 0),
    reason       TEXT,            -- why another lot than the FEFO suggestion was taken
    created_at   TEXT NOT NULL
);
CREATE INDEX pick_drafts_list ON pick_drafts(pick_list_id);

-- Quantities a picker could not find: recorded with the pick list when it finishes.
CREATE TABLE pick_shorts (
    pick_list_id INTEGER NOT NULL REFERENCES pick_lists(id),
    line_no      INTEGER NOT NULL,
    qty          INTEGER NOT NULL CHECK (qty > 0),
    reason       TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    posted       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX pick_shorts_list ON pick_shorts(pick_list_id);
