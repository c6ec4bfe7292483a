-- Batches are generated in chunks by a background job: `generation` says how far
-- (generating, ready, failed), `codes_generated` is the committed progress, and the lease
-- names the process generating it and until when, so a dead process's batch is resumed.
ALTER TABLE batches
    ADD COLUMN generation TEXT NOT NULL DEFAULT 'ready',
    ADD COLUMN codes_generated BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN lease_owner TEXT,
    ADD COLUMN lease_until BIGINT;
UPDATE batches SET codes_generated = (SELECT COUNT(*) FROM codes WHERE codes.batch_id = batches.id);
CREATE INDEX batches_generating ON batches (generation) WHERE generation <> 'ready';

-- Per-code scan history, folded from the scans by a background job (never on the
-- redirect's path). First and last scan, scans and cities count people, not bots.
CREATE TABLE code_stats (
    code_id       BIGINT PRIMARY KEY,
    scans         BIGINT NOT NULL,
    bot_scans     BIGINT NOT NULL,
    first_scan_at BIGINT,
    first_country TEXT,
    first_city    TEXT,
    last_scan_at  BIGINT,
    cities        BIGINT NOT NULL
);

-- The distinct places ("CN/Shanghai") each code was scanned from.
CREATE TABLE code_cities (
    code_id BIGINT NOT NULL,
    place   TEXT   NOT NULL,
    PRIMARY KEY (code_id, place)
);

-- How far each background job has read (the history fold: the last folded scan id).
CREATE TABLE job_watermarks (
    job   TEXT   PRIMARY KEY,
    value BIGINT NOT NULL
);
