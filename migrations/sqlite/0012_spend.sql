-- Money spent on a campaign's channel over a period (media buys, store fees), beside the
-- batches' print costs. A report whose range cuts the period counts the share of it that
-- falls inside, spread evenly over the period's time.
CREATE TABLE spend (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id  INTEGER NOT NULL REFERENCES campaigns (id),
    channel_id   INTEGER NOT NULL REFERENCES channels (id),
    starts_at    INTEGER NOT NULL,
    ends_at      INTEGER NOT NULL,
    amount_cents INTEGER NOT NULL,
    currency     TEXT    NOT NULL,
    note         TEXT,
    created_at   INTEGER NOT NULL
);
CREATE INDEX spend_campaign ON spend (campaign_id, starts_at);
