-- Whole UTC days of the hourly rollups, folded once a day is over (`db::days`), one table
-- per family a report reads instead of one cross product: a 90-day channel report walked
-- 261,000 hour x batch x country x device rows (about 220 ms); it reads 90 per batch now.
-- Reports read these for the whole days a range covers and the hourly rollups around
-- them. Event columns count people's landing views, CTA clicks and photo shares; batch 0
-- (channel 0) holds visits that came without a code.
CREATE TABLE day_batches (
    campaign_id  INTEGER NOT NULL,
    day          INTEGER NOT NULL,
    batch_id     INTEGER NOT NULL,
    channel_id   INTEGER NOT NULL,
    store_id     INTEGER,
    scans        INTEGER NOT NULL,
    bot_scans    INTEGER NOT NULL,
    new_visitors INTEGER NOT NULL,
    views        INTEGER NOT NULL,
    clicks       INTEGER NOT NULL,
    photos       INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, day, batch_id)
) WITHOUT ROWID;
CREATE TABLE day_devices (
    campaign_id INTEGER NOT NULL,
    day         INTEGER NOT NULL,
    device      TEXT    NOT NULL,
    scans       INTEGER NOT NULL,
    bot_scans   INTEGER NOT NULL,
    views       INTEGER NOT NULL,
    clicks      INTEGER NOT NULL,
    photos      INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, day, device)
) WITHOUT ROWID;
-- Events are known per country only: they are on the country's row with region and city ''.
CREATE TABLE day_places (
    campaign_id INTEGER NOT NULL,
    day         INTEGER NOT NULL,
    country     TEXT    NOT NULL,
    region      TEXT    NOT NULL,
    city        TEXT    NOT NULL,
    scans       INTEGER NOT NULL,
    bot_scans   INTEGER NOT NULL,
    views       INTEGER NOT NULL,
    clicks      INTEGER NOT NULL,
    photos      INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, day, country, region, city)
) WITHOUT ROWID;
-- The campaign's hours, for time series: 24 rows a day instead of every hour's cross product.
CREATE TABLE hour_totals (
    campaign_id  INTEGER NOT NULL,
    hour         INTEGER NOT NULL,
    scans        INTEGER NOT NULL,
    bot_scans    INTEGER NOT NULL,
    new_visitors INTEGER NOT NULL,
    views        INTEGER NOT NULL,
    clicks       INTEGER NOT NULL,
    photos       INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, hour)
) WITHOUT ROWID;
-- A channel's visitors of a day: the day's hourly sketches merged.
CREATE TABLE day_sketches (
    campaign_id INTEGER NOT NULL,
    day         INTEGER NOT NULL,
    channel_id  INTEGER NOT NULL,
    sketch      BLOB    NOT NULL,
    PRIMARY KEY (campaign_id, day, channel_id)
) WITHOUT ROWID;
