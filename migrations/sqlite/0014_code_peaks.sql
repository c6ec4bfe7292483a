-- A code's busiest hour, for the suspicious-codes report ("scanned more than M times in an
-- hour"): the fold keeps the people's scans of the latest hour a code was scanned in and
-- the most of any hour. Codes folded before this migration start counting now.
ALTER TABLE code_stats ADD COLUMN hour_at INTEGER;
ALTER TABLE code_stats ADD COLUMN hour_scans INTEGER NOT NULL DEFAULT 0;
ALTER TABLE code_stats ADD COLUMN peak_hour_at INTEGER;
ALTER TABLE code_stats ADD COLUMN peak_hour_scans INTEGER NOT NULL DEFAULT 0;
-- The report finds codes over its thresholds through these, not by reading every code;
-- the bulk (one city, one scan an hour) stays out of them.
CREATE INDEX code_stats_cities ON code_stats (cities) WHERE cities > 1;
CREATE INDEX code_stats_peak ON code_stats (peak_hour_scans) WHERE peak_hour_scans > 1;
-- The first purchase of a code, found by its token.
CREATE INDEX conversions_key ON conversions (key_kind, key_value);
