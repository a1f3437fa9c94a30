-- The Tiergate catalog (Postgres). Times are Unix milliseconds. Keys sort by UTF-8 bytes
-- (COLLATE "C"), as S3 lists them.

CREATE TABLE users (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);

CREATE TABLE access_keys (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id       BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    access_key_id TEXT NOT NULL UNIQUE,
    serial        BIGINT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('temporary', 'long_lived')),
    description   TEXT,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT,
    revoked_at    BIGINT
);
CREATE INDEX access_keys_user ON access_keys(user_id);

CREATE TABLE buckets (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner_id   BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name       TEXT COLLATE "C" NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (owner_id, name)
);

CREATE TABLE objects (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner_id          BIGINT NOT NULL REFERENCES users(id),
    bucket_id         BIGINT NOT NULL REFERENCES buckets(id),
    key               TEXT COLLATE "C" NOT NULL,
    version_id        TEXT NOT NULL,
    size              BIGINT NOT NULL,
    etag              TEXT NOT NULL,
    content_type      TEXT,
    user_metadata     TEXT NOT NULL DEFAULT '{}',
    headers           TEXT NOT NULL DEFAULT '{}',
    checksums         TEXT NOT NULL DEFAULT '{}',
    original_filename BYTEA,
    -- What people call the file: the uploader's file name, else the key's last segment.
    display_name      TEXT NOT NULL DEFAULT '',
    tier              TEXT NOT NULL CHECK (tier IN ('hot', 'cold')),
    hot_key           TEXT,
    cold_key          TEXT,
    created_at        BIGINT NOT NULL,
    tiered_at         BIGINT,
    tiering_attempts  BIGINT NOT NULL DEFAULT 0,
    tiering_error     TEXT,
    UNIQUE (bucket_id, key)
);
CREATE INDEX objects_owner_created ON objects(owner_id, created_at DESC, id DESC);
CREATE INDEX objects_tier_created ON objects(tier, created_at);
CREATE INDEX objects_tier_id ON objects(tier, id);

CREATE TABLE multipart_uploads (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    upload_id   TEXT NOT NULL UNIQUE,
    owner_id    BIGINT NOT NULL REFERENCES users(id),
    bucket_id   BIGINT NOT NULL REFERENCES buckets(id),
    key         TEXT COLLATE "C" NOT NULL,
    version_id  TEXT NOT NULL,
    backing_key TEXT NOT NULL,
    backend_upload_id TEXT NOT NULL,
    content_type  TEXT,
    user_metadata TEXT NOT NULL DEFAULT '{}',
    headers       TEXT NOT NULL DEFAULT '{}',
    created_at  BIGINT NOT NULL
);
CREATE INDEX multipart_uploads_bucket ON multipart_uploads(bucket_id, key);

CREATE TABLE multipart_parts (
    upload_id   TEXT NOT NULL REFERENCES multipart_uploads(upload_id) ON DELETE CASCADE,
    part_number BIGINT NOT NULL,
    size        BIGINT NOT NULL,
    etag        TEXT NOT NULL,
    backend_etag TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (upload_id, part_number)
);

CREATE TABLE tiering_runs (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    trigger     TEXT NOT NULL,
    status      TEXT NOT NULL,
    dry_run     BIGINT NOT NULL DEFAULT 0,
    started_at  BIGINT NOT NULL,
    finished_at BIGINT,
    candidates  BIGINT NOT NULL DEFAULT 0,
    moved       BIGINT NOT NULL DEFAULT 0,
    failed      BIGINT NOT NULL DEFAULT 0,
    bytes_moved BIGINT NOT NULL DEFAULT 0,
    error       TEXT
);
CREATE INDEX tiering_runs_started ON tiering_runs(started_at);

CREATE TABLE tiering_failures (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id     BIGINT NOT NULL REFERENCES tiering_runs(id) ON DELETE CASCADE,
    object_id  BIGINT NOT NULL,
    bucket     TEXT NOT NULL,
    key        TEXT NOT NULL,
    reason     TEXT NOT NULL,
    failed_at  BIGINT NOT NULL
);

CREATE TABLE gc_queue (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tier        TEXT NOT NULL CHECK (tier IN ('hot', 'cold')),
    backing_key TEXT NOT NULL,
    reason      TEXT NOT NULL,
    enqueued_at BIGINT NOT NULL,
    not_before  BIGINT NOT NULL,
    attempts    BIGINT NOT NULL DEFAULT 0,
    last_error  TEXT,
    -- A collector that took the entry holds it until then; a tiering pass never reuses a
    -- backing key that a collector holds.
    claimed_until BIGINT
);
CREATE INDEX gc_queue_due ON gc_queue(not_before);
CREATE INDEX gc_queue_key ON gc_queue(tier, backing_key);

-- One row: the lease of the tiering pass that is running, if any (one pass at a time across
-- every process sharing the catalog).
CREATE TABLE tiering_lease (
    id         BIGINT PRIMARY KEY,
    holder     TEXT,
    run_id     BIGINT,
    expires_at BIGINT NOT NULL DEFAULT 0
);
INSERT INTO tiering_lease (id, holder, run_id, expires_at) VALUES (1, NULL, NULL, 0);
