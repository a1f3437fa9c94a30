-- Issue 15: object tags and bucket lifecycle configurations.

-- A tag set per object and per multipart upload, as a JSON object {"key": "value"} (at most 10
-- tags, validated by core::tagging). An overwrite replaces it with the new version's.
ALTER TABLE objects ADD COLUMN tags TEXT NOT NULL DEFAULT '{}';
ALTER TABLE multipart_uploads ADD COLUMN tags TEXT NOT NULL DEFAULT '{}';

-- The same tags, one row each, for lifecycle rules' tag filters. Kept from objects.tags by the
-- trigger below, in the statement that changes the row: no write path maintains it by hand.
CREATE TABLE object_tags (
    object_id BIGINT NOT NULL REFERENCES objects(id) ON DELETE CASCADE,
    -- The object's bucket (which never changes): a rule's tag filter reads one bucket's tags.
    bucket_id BIGINT NOT NULL,
    tag_key   TEXT COLLATE "C" NOT NULL,
    tag_value TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (object_id, tag_key)
);
CREATE INDEX object_tags_pair ON object_tags(bucket_id, tag_key, tag_value, object_id);

CREATE FUNCTION tiergate_object_tags() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF NEW.tags = OLD.tags THEN RETURN NULL; END IF;
        DELETE FROM object_tags WHERE object_id = NEW.id;
    END IF;
    IF NEW.tags <> '{}' THEN
        INSERT INTO object_tags (object_id, bucket_id, tag_key, tag_value)
            SELECT NEW.id, NEW.bucket_id, t.key, t.value FROM json_each_text(NEW.tags::json) t;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER objects_tags AFTER INSERT OR UPDATE OF tags ON objects
    FOR EACH ROW EXECUTE FUNCTION tiergate_object_tags();

-- A bucket's lifecycle configuration: core::lifecycle::LifecycleConfiguration as JSON.
CREATE TABLE bucket_lifecycle (
    bucket_id     BIGINT PRIMARY KEY REFERENCES buckets(id) ON DELETE CASCADE,
    configuration TEXT NOT NULL,
    -- 1 when an enabled rule has an Expiration: GET and HEAD then answer x-amz-expiration.
    expires       BIGINT NOT NULL,
    -- Changes with every PUT: a process's cached copy is current while it matches.
    revision      BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);

-- Rule evaluation walks one bucket's hot (or any) objects by key range.
CREATE INDEX objects_bucket_tier_key ON objects(bucket_id, tier, key);

-- What each lifecycle rule (or the default policy, rule_id NULL) did in a pass. Rows only for
-- rules that matched something; bucket and owner are kept by value, as in tiering_failures.
ALTER TABLE tiering_runs ADD COLUMN expired BIGINT NOT NULL DEFAULT 0;
ALTER TABLE tiering_runs ADD COLUMN aborted BIGINT NOT NULL DEFAULT 0;
CREATE TABLE tiering_rule_results (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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
