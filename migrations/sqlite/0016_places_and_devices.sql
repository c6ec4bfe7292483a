-- Breakdowns by region and device. A touch (and a conversion's stored path) keeps where
-- and on what its scan was made, so conversions are credited to places and device classes
-- as to channels. Touches folded before this migration have none: their conversions count
-- as "unknown".
ALTER TABLE touches ADD COLUMN device TEXT;
ALTER TABLE touches ADD COLUMN country TEXT;
ALTER TABLE touches ADD COLUMN region TEXT;
ALTER TABLE touches ADD COLUMN city TEXT;
ALTER TABLE conversion_touches ADD COLUMN device TEXT;
ALTER TABLE conversion_touches ADD COLUMN country TEXT;
ALTER TABLE conversion_touches ADD COLUMN region TEXT;
ALTER TABLE conversion_touches ADD COLUMN city TEXT;
-- Scans per campaign, hour and place (country, region, city; '' when unknown), folded
-- with the touches off the redirect's path: its own family, not another dimension of
-- scan_rollups, so neither multiplies the other's rows.
CREATE TABLE place_rollups (
    campaign_id INTEGER NOT NULL,
    hour        INTEGER NOT NULL,
    country     TEXT    NOT NULL,
    region      TEXT    NOT NULL,
    city        TEXT    NOT NULL,
    scans       INTEGER NOT NULL,
    bot_scans   INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, hour, country, region, city)
) WITHOUT ROWID;
-- The raw scans kept so far, up to the touches fold's watermark (the fold adds the rest).
INSERT INTO place_rollups (campaign_id, hour, country, region, city, scans, bot_scans)
SELECT campaign_id, scanned_at - scanned_at % 3600000, COALESCE(country, ''),
       COALESCE(region, ''), COALESCE(city, ''), SUM(1 - is_bot), SUM(is_bot)
FROM scans
WHERE id <= COALESCE((SELECT value FROM job_watermarks WHERE job = 'touches'), 0)
GROUP BY campaign_id, scanned_at - scanned_at % 3600000, COALESCE(country, ''),
         COALESCE(region, ''), COALESCE(city, '');
