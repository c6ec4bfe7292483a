-- Conversions: purchases reported by shops and store tills, each with the touch path that
-- led to it, so any attribution model and window can be computed when a report is read.

-- How a campaign's reports credit conversions by default, and the currency they are in.
ALTER TABLE campaigns ADD COLUMN currency TEXT NOT NULL DEFAULT 'CNY';
ALTER TABLE campaigns ADD COLUMN attribution_model TEXT NOT NULL DEFAULT 'last_touch';
ALTER TABLE campaigns ADD COLUMN lookback_ms INTEGER NOT NULL DEFAULT 604800000;
ALTER TABLE campaigns ADD COLUMN half_life_ms INTEGER NOT NULL DEFAULT 86400000;

-- People's scans (bots left out) indexed by visitor, code and store, folded from the scans
-- with the per-code history, off the redirect's path: a conversion finds its scans here.
-- Kept for the longest lookback window (90 days). Folded behind its own watermark.
CREATE TABLE touches (
    scan_id     INTEGER PRIMARY KEY,
    touched_at  INTEGER NOT NULL,
    visitor_id  TEXT,
    code_id     INTEGER NOT NULL,
    batch_id    INTEGER NOT NULL,
    campaign_id INTEGER NOT NULL,
    channel_id  INTEGER NOT NULL,
    store_id    INTEGER
);
CREATE INDEX touches_visitor ON touches (visitor_id, touched_at) WHERE visitor_id IS NOT NULL;
CREATE INDEX touches_code ON touches (code_id, touched_at);
CREATE INDEX touches_store ON touches (store_id, touched_at) WHERE store_id IS NOT NULL;
INSERT INTO touches (scan_id, touched_at, visitor_id, code_id, batch_id, campaign_id,
    channel_id, store_id)
SELECT id, scanned_at, visitor_id, code_id, batch_id, campaign_id, channel_id, store_id
FROM scans
WHERE is_bot = 0
  AND id <= COALESCE((SELECT value FROM job_watermarks WHERE job = 'code_history'), 0)
  AND scanned_at >= CAST(strftime('%s', 'now') AS INTEGER) * 1000 - 7776000000;
INSERT INTO job_watermarks (job, value)
SELECT 'touches', value FROM job_watermarks WHERE job = 'code_history';

-- One row per (source, order): the same order reported again changes nothing. The key is
-- how the reporter named the buyer (click_id, visitor_id, token or store_code);
-- `campaign_id` is the campaign that key names when it names one (a click's, a code's).
CREATE TABLE conversions (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    source         TEXT    NOT NULL,
    order_id       TEXT    NOT NULL,
    amount_cents   INTEGER NOT NULL,
    currency       TEXT    NOT NULL,
    items          INTEGER,
    occurred_at    INTEGER NOT NULL,
    received_at    INTEGER NOT NULL,
    key_kind       TEXT    NOT NULL,
    key_value      TEXT    NOT NULL,
    key_found      INTEGER NOT NULL,
    campaign_id    INTEGER,
    visitor_id     TEXT,
    refunded_cents INTEGER NOT NULL DEFAULT 0,
    UNIQUE (source, order_id)
);
CREATE INDEX conversions_campaign ON conversions (campaign_id, occurred_at)
    WHERE campaign_id IS NOT NULL;
-- Reports read refunds apart: few conversions have any.
CREATE INDEX conversions_refunded ON conversions (occurred_at) WHERE refunded_cents > 0;

-- The scans that led to a conversion (at most the latest 100 in the 90 days before it), in
-- time order, with where each was made. Keyed for the reports' one read: a campaign's
-- touches of the conversions in a range, in order. `converted_at` and `amount_cents`
-- repeat the conversion's; `campaigns` is how many campaigns its path touches, so a report
-- reads the rest of a path only when it crosses campaigns.
CREATE TABLE conversion_touches (
    campaign_id   INTEGER NOT NULL,
    converted_at  INTEGER NOT NULL,
    conversion_id INTEGER NOT NULL,
    position      INTEGER NOT NULL,
    touched_at    INTEGER NOT NULL,
    channel_id    INTEGER NOT NULL,
    batch_id      INTEGER NOT NULL,
    store_id      INTEGER,
    code_id       INTEGER NOT NULL,
    scan_id       INTEGER,
    amount_cents  INTEGER NOT NULL,
    campaigns     INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, converted_at, conversion_id, position)
) WITHOUT ROWID;
CREATE INDEX conversion_touches_conversion ON conversion_touches (conversion_id, position);

-- Money given back on a conversion; `refund_id` (the reporter's own) makes a retried
-- refund change nothing.
CREATE TABLE refunds (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    conversion_id INTEGER NOT NULL REFERENCES conversions (id),
    amount_cents  INTEGER NOT NULL,
    refund_id     TEXT,
    reason        TEXT,
    refunded_at   INTEGER NOT NULL
);
CREATE UNIQUE INDEX refunds_refund_id ON refunds (conversion_id, refund_id)
    WHERE refund_id IS NOT NULL;
