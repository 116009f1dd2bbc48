-- A password someone else has seen is changed at its first use (issue 19): the one-time
-- password `lotkeeper user add` prints, or the console shows an admin who adds a person. Until
-- its owner chooses their own, the console shows them only the page to do that. Accounts from
-- before this migration keep their passwords as they are.
ALTER TABLE console_users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0
    CHECK (must_change_password IN (0, 1));
