-- Tenants an operator can steer: quotas, usage kept exact by triggers, admin flags, disabled
-- accounts, last login, quota reservations of writes in flight, and sign-up invites.

-- A user's own quota, when an admin set one (quota_custom = 1; NULL then means unlimited);
-- otherwise the settings' quota.default_bytes / quota.default_objects apply.
ALTER TABLE users ADD COLUMN quota_custom BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN quota_bytes BIGINT;
ALTER TABLE users ADD COLUMN quota_objects BIGINT;
-- Granted through the admin API (admins named in settings are admins whatever this says).
ALTER TABLE users ADD COLUMN is_admin BIGINT NOT NULL DEFAULT 0;
-- Unix ms; a disabled user's tokens and keys stop working.
ALTER TABLE users ADD COLUMN disabled_at BIGINT;
ALTER TABLE users ADD COLUMN last_login_at BIGINT;

-- What each user stores: bytes of their objects (hot and cold alike) and of the parts of their
-- multipart uploads in progress, and their number of objects; of which in the cold tier
-- (`cold_*`; the rest, parts included, is in the hot tier). Kept by the triggers below in
-- the statement that changes a row, so it is exact whatever write path ran and whenever a
-- process died; `tiergate quota recount` recomputes it all the same.
CREATE TABLE user_usage (
    user_id BIGINT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    bytes   BIGINT NOT NULL DEFAULT 0,
    objects BIGINT NOT NULL DEFAULT 0,
    cold_bytes   BIGINT NOT NULL DEFAULT 0,
    cold_objects BIGINT NOT NULL DEFAULT 0,
    -- The sums of the user's rows in quota_reservations, kept by whoever adds or removes one.
    reserved_bytes   BIGINT NOT NULL DEFAULT 0,
    reserved_objects BIGINT NOT NULL DEFAULT 0
);
INSERT INTO user_usage (user_id, bytes, objects, cold_bytes, cold_objects)
SELECT u.id,
       COALESCE((SELECT SUM(size) FROM objects o WHERE o.owner_id = u.id), 0)
     + COALESCE((SELECT SUM(p.size) FROM multipart_parts p JOIN multipart_uploads m ON m.upload_id = p.upload_id
                 WHERE m.owner_id = u.id), 0),
       (SELECT COUNT(*) FROM objects o WHERE o.owner_id = u.id),
       COALESCE((SELECT SUM(size) FROM objects o WHERE o.owner_id = u.id AND o.tier = 'cold'), 0),
       (SELECT COUNT(*) FROM objects o WHERE o.owner_id = u.id AND o.tier = 'cold')
FROM users u;

CREATE TRIGGER users_usage_row AFTER INSERT ON users BEGIN
    INSERT INTO user_usage (user_id, bytes, objects) VALUES (NEW.id, 0, 0);
END;

CREATE TRIGGER objects_usage_insert AFTER INSERT ON objects BEGIN
    UPDATE user_usage SET bytes = bytes + NEW.size, objects = objects + 1,
        cold_bytes = cold_bytes + (NEW.tier = 'cold') * NEW.size, cold_objects = cold_objects + (NEW.tier = 'cold')
    WHERE user_id = NEW.owner_id;
END;
CREATE TRIGGER objects_usage_update AFTER UPDATE OF size, tier ON objects
WHEN NEW.size <> OLD.size OR NEW.tier <> OLD.tier BEGIN
    UPDATE user_usage SET bytes = bytes + NEW.size - OLD.size,
        cold_bytes = cold_bytes + (NEW.tier = 'cold') * NEW.size - (OLD.tier = 'cold') * OLD.size,
        cold_objects = cold_objects + (NEW.tier = 'cold') - (OLD.tier = 'cold')
    WHERE user_id = NEW.owner_id;
END;
CREATE TRIGGER objects_usage_delete AFTER DELETE ON objects BEGIN
    UPDATE user_usage SET bytes = bytes - OLD.size, objects = objects - 1,
        cold_bytes = cold_bytes - (OLD.tier = 'cold') * OLD.size, cold_objects = cold_objects - (OLD.tier = 'cold')
    WHERE user_id = OLD.owner_id;
END;

-- Parts carry their owner, so a part's bytes are counted without its upload's row (which a
-- cascade may have removed first).
ALTER TABLE multipart_parts ADD COLUMN owner_id BIGINT NOT NULL DEFAULT 0;
UPDATE multipart_parts SET owner_id = (SELECT m.owner_id FROM multipart_uploads m WHERE m.upload_id = multipart_parts.upload_id);

CREATE TRIGGER parts_usage_insert AFTER INSERT ON multipart_parts BEGIN
    UPDATE user_usage SET bytes = bytes + NEW.size WHERE user_id = NEW.owner_id;
END;
CREATE TRIGGER parts_usage_update AFTER UPDATE OF size ON multipart_parts WHEN NEW.size <> OLD.size BEGIN
    UPDATE user_usage SET bytes = bytes + NEW.size - OLD.size WHERE user_id = NEW.owner_id;
END;
CREATE TRIGGER parts_usage_delete AFTER DELETE ON multipart_parts BEGIN
    UPDATE user_usage SET bytes = bytes - OLD.size WHERE user_id = OLD.owner_id;
END;

-- Room taken by writes whose bytes are on their way, so that concurrent writes cannot together
-- pass a quota (their sums are user_usage.reserved_*). The process holding one renews it while
-- the write runs; one whose process died is swept (and its room given back) once `expires_at`
-- (Unix ms) has passed.
CREATE TABLE quota_reservations (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    bytes      BIGINT NOT NULL,
    objects    BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX quota_reservations_expiry ON quota_reservations(expires_at);

-- Sign-up invites (auth.signup = "invite"): single use, until `expires_at`. Only the SHA-256 of
-- the token is kept; the token itself is shown once, to the admin who made it.
CREATE TABLE invites (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash TEXT NOT NULL UNIQUE,
    email      TEXT,
    created_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT,
    used_by    BIGINT REFERENCES users(id) ON DELETE SET NULL
);
