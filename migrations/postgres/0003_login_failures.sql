-- Failed logins per account, counted here so the limit holds across processes: how many
-- attempts since `failed_logins_since` (Unix ms) have not (yet) proven the password.
ALTER TABLE users ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN failed_logins_since BIGINT NOT NULL DEFAULT 0;
