-- Every scan is written on the redirect's path, so each B-tree a scan touches costs a page
-- per group commit. Random-order writes were most of that cost: a visitor row per scan
-- and hour, an index on visitor ids, an index and a counter per code. Unique visitors now
-- come from a HyperLogLog sketch per campaign x channel x hour; per-code counts are gone
-- from the hot path. Unique visitors counted before this migration are not carried over.

DROP TABLE rollup_visitors;

CREATE TABLE visitor_sketches (
    campaign_id INTEGER NOT NULL,
    channel_id  INTEGER NOT NULL,
    hour        INTEGER NOT NULL,
    sketch      BLOB    NOT NULL,
    PRIMARY KEY (campaign_id, channel_id, hour)
) WITHOUT ROWID;

DROP INDEX scans_visitor;
DROP INDEX scans_code;
ALTER TABLE codes DROP COLUMN first_scan_at;
ALTER TABLE codes DROP COLUMN scan_count;

-- Plain rowid keys: AUTOINCREMENT rewrote sqlite_sequence on every commit.
CREATE TABLE scans_new (
    id             INTEGER PRIMARY KEY,
    scanned_at     INTEGER NOT NULL,
    code_id        INTEGER NOT NULL,
    batch_id       INTEGER NOT NULL,
    campaign_id    INTEGER NOT NULL,
    channel_id     INTEGER NOT NULL,
    store_id       INTEGER,
    visitor_id     TEXT,
    is_new_visitor INTEGER NOT NULL,
    ip_prefix      TEXT,
    country        TEXT,
    region         TEXT,
    city           TEXT,
    latitude       REAL,
    longitude      REAL,
    device         TEXT    NOT NULL,
    os             TEXT,
    browser        TEXT,
    is_bot         INTEGER NOT NULL,
    referrer_host  TEXT,
    language       TEXT,
    outcome        TEXT    NOT NULL
);
INSERT INTO scans_new SELECT * FROM scans;
DROP TABLE scans;
ALTER TABLE scans_new RENAME TO scans;
CREATE INDEX scans_campaign_time ON scans (campaign_id, scanned_at);

-- One B-tree instead of a table plus its primary-key index.
CREATE TABLE scan_rollups_new (
    hour         INTEGER NOT NULL,
    batch_id     INTEGER NOT NULL,
    country      TEXT    NOT NULL,
    device       TEXT    NOT NULL,
    campaign_id  INTEGER NOT NULL,
    channel_id   INTEGER NOT NULL,
    store_id     INTEGER,
    scans        INTEGER NOT NULL,
    bot_scans    INTEGER NOT NULL,
    new_visitors INTEGER NOT NULL,
    PRIMARY KEY (hour, batch_id, country, device)
) WITHOUT ROWID;
INSERT INTO scan_rollups_new SELECT * FROM scan_rollups;
DROP TABLE scan_rollups;
ALTER TABLE scan_rollups_new RENAME TO scan_rollups;
CREATE INDEX scan_rollups_campaign ON scan_rollups (campaign_id, hour);
