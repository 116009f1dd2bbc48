-- SQLite's migration 0017: a one-time password is changed at its first use.
ALTER TABLE console_users ADD COLUMN must_change_password BIGINT NOT NULL DEFAULT 0
    CHECK (must_change_password IN (0, 1));
