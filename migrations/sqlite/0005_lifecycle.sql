-- Issue 15: object tags and bucket lifecycle configurations (kept in step with
-- migrations/postgres/0005_lifecycle.sql).

ALTER TABLE objects ADD COLUMN tags TEXT NOT NULL DEFAULT '{}';
ALTER TABLE multipart_uploads ADD COLUMN tags TEXT NOT NULL DEFAULT '{}';

CREATE TABLE object_tags (
    object_id BIGINT NOT NULL REFERENCES objects(id) ON DELETE CASCADE,
    -- The object's bucket (which never changes): a rule's tag filter reads one bucket's tags.
    bucket_id BIGINT NOT NULL,
    tag_key   TEXT NOT NULL,
    tag_value TEXT NOT NULL,
    PRIMARY KEY (object_id, tag_key)
);
CREATE INDEX object_tags_pair ON object_tags(bucket_id, tag_key, tag_value, object_id);

CREATE TRIGGER objects_tags_insert AFTER INSERT ON objects WHEN NEW.tags <> '{}' BEGIN
    INSERT INTO object_tags (object_id, bucket_id, tag_key, tag_value) SELECT NEW.id, NEW.bucket_id, key, value FROM json_each(NEW.tags);
END;
CREATE TRIGGER objects_tags_update AFTER UPDATE OF tags ON objects WHEN NEW.tags <> OLD.tags BEGIN
    DELETE FROM object_tags WHERE object_id = NEW.id;
    INSERT INTO object_tags (object_id, bucket_id, tag_key, tag_value) SELECT NEW.id, NEW.bucket_id, key, value FROM json_each(NEW.tags);
END;

CREATE TABLE bucket_lifecycle (
    bucket_id     BIGINT PRIMARY KEY REFERENCES buckets(id) ON DELETE CASCADE,
    configuration TEXT NOT NULL,
    -- 1 when an enabled rule has an Expiration: GET and HEAD then answer x-amz-expiration.
    expires       BIGINT NOT NULL,
    -- Changes with every PUT: a process's cached copy is current while it matches.
    revision      BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);

CREATE INDEX objects_bucket_tier_key ON objects(bucket_id, tier, key);

-- What each lifecycle rule (or the default policy, rule_id NULL) did in a pass. Rows only for
-- rules that matched something; bucket and owner are kept by value, as in tiering_failures.
ALTER TABLE tiering_runs ADD COLUMN expired BIGINT NOT NULL DEFAULT 0;
ALTER TABLE tiering_runs ADD COLUMN aborted BIGINT NOT NULL DEFAULT 0;
CREATE TABLE tiering_rule_results (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id        BIGINT NOT NULL REFERENCES tiering_runs(id) ON DELETE CASCADE,
    owner_id      BIGINT,
    bucket        TEXT,
    rule_id       TEXT,
    matched       BIGINT NOT NULL,
    moved         BIGINT NOT NULL,
    move_failed   BIGINT NOT NULL,
    bytes_moved   BIGINT NOT NULL,
    expired       BIGINT NOT NULL,
    expire_failed BIGINT NOT NULL,
    bytes_expired BIGINT NOT NULL,
    aborted       BIGINT NOT NULL,
    abort_failed  BIGINT NOT NULL
);
CREATE INDEX tiering_rule_results_run ON tiering_rule_results(run_id);

-- The dashboard's file list pages by keyset in each of its sort orders.
CREATE INDEX objects_owner_name ON objects(owner_id, LOWER(display_name), id);
CREATE INDEX objects_owner_size ON objects(owner_id, size, id);
