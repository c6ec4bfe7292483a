-- Every scan is written on the redirect's path, so each index a scan touches costs work
-- per group commit. Random-order writes were most of that cost: a visitor row per scan
-- and hour, an index on visitor ids, an index and a counter per code. Unique visitors now
-- come from a HyperLogLog sketch per campaign x channel x hour; per-code counts are gone
-- from the hot path. Unique visitors counted before this migration are not carried over.

DROP TABLE rollup_visitors;

CREATE TABLE visitor_sketches (
    campaign_id BIGINT NOT NULL,
    channel_id  BIGINT NOT NULL,
    hour        BIGINT NOT NULL,
    sketch      BYTEA  NOT NULL,
    PRIMARY KEY (campaign_id, channel_id, hour)
);

DROP INDEX scans_visitor;
DROP INDEX scans_code;
ALTER TABLE codes DROP COLUMN first_scan_at, DROP COLUMN scan_count;
