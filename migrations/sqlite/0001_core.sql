-- Core gateway: accounts' keys, campaigns, channels, stores, batches, codes, scans, rollups.
-- Times are UTC epoch milliseconds; flags are 0/1 integers; money is integer cents.

CREATE TABLE api_keys (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT    NOT NULL,
    prefix      TEXT    NOT NULL,
    key_hash    TEXT    NOT NULL UNIQUE,
    role        TEXT    NOT NULL DEFAULT 'admin',
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);

CREATE TABLE campaigns (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    slug            TEXT    NOT NULL UNIQUE,
    name            TEXT    NOT NULL,
    destination_url TEXT,
    fallback_url    TEXT,
    starts_at       INTEGER,
    ends_at         INTEGER,
    status          TEXT    NOT NULL DEFAULT 'active',
    landing_title   TEXT,
    landing_body    TEXT,
    cta_label       TEXT,
    cta_url         TEXT,
    created_at      INTEGER NOT NULL
);

CREATE TABLE channels (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    slug        TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE stores (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    code        TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL,
    city        TEXT,
    latitude    REAL,
    longitude   REAL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE batches (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id),
    channel_id  INTEGER NOT NULL REFERENCES channels (id),
    store_id    INTEGER REFERENCES stores (id),
    name        TEXT    NOT NULL,
    mode        TEXT    NOT NULL,
    quantity    INTEGER NOT NULL,
    cost_cents  INTEGER NOT NULL DEFAULT 0,
    gtin        TEXT,
    lot         TEXT,
    status      TEXT    NOT NULL DEFAULT 'active',
    created_at  INTEGER NOT NULL
);
CREATE INDEX batches_campaign ON batches (campaign_id);

CREATE TABLE codes (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    token         TEXT    NOT NULL UNIQUE,
    batch_id      INTEGER NOT NULL REFERENCES batches (id),
    serial        INTEGER NOT NULL,
    status        TEXT    NOT NULL DEFAULT 'active',
    first_scan_at INTEGER,
    scan_count    INTEGER NOT NULL DEFAULT 0,
    UNIQUE (batch_id, serial)
);

CREATE TABLE scans (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
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
CREATE INDEX scans_campaign_time ON scans (campaign_id, scanned_at);
CREATE INDEX scans_visitor ON scans (visitor_id, scanned_at);
CREATE INDEX scans_code ON scans (code_id);

-- Hourly counts per batch x country x device class, kept by the scan writer.
CREATE TABLE scan_rollups (
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
);
CREATE INDEX scan_rollups_campaign ON scan_rollups (campaign_id, hour);

-- Which visitors (bots excluded) were seen per campaign x channel x hour: unique visitors
-- over any hour range without reading the scans.
CREATE TABLE rollup_visitors (
    campaign_id INTEGER NOT NULL,
    channel_id  INTEGER NOT NULL,
    hour        INTEGER NOT NULL,
    visitor_id  TEXT    NOT NULL,
    PRIMARY KEY (campaign_id, channel_id, hour, visitor_id)
);

-- Every status change appends a row; each instance polls the highest id to drop its cache.
CREATE TABLE cache_invalidations (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    changed_at INTEGER NOT NULL
);
