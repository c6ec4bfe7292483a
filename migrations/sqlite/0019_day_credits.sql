-- Conversions credited per campaign, UTC day of purchase and model, under the campaign's
-- own lookback window and half-life, folded once a day is over (`db::credits`): a 90-day
-- report handed 100,000 touch paths from the database to the process (300-500 ms) to
-- credit them; it reads about a hundred summed rows per day now. `family` says what
-- `item` is: a channel, batch or store id, a device class, a place (country, region and
-- city joined by a tab), the purchase hour, '' for the campaign's total, or '' for the
-- conversions that name the campaign and that no touch led to (`unattributed`, a count).
CREATE TABLE day_credits (
    campaign_id    INTEGER NOT NULL,
    model          TEXT    NOT NULL,
    day            INTEGER NOT NULL,
    family         TEXT    NOT NULL,
    item           TEXT    NOT NULL,
    window_ms      INTEGER NOT NULL,
    half_life_ms   INTEGER NOT NULL,
    conversions    INTEGER NOT NULL,
    revenue_cents  INTEGER NOT NULL,
    refunded_cents INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, model, day, family, item)
) WITHOUT ROWID;
-- Folded days whose credit changed since (a conversion reported late, a refund, new
-- attribution settings): reports credit them from the touch paths until they are folded
-- again.
CREATE TABLE stale_credit_days (
    campaign_id INTEGER NOT NULL,
    day         INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, day)
) WITHOUT ROWID;
