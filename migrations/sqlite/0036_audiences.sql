-- Saved filters over a campaign's visitors (stage, city, channel, tier, last seen), counted
-- when read and exported as CSV or sent to a webhook. `filter` is the JSON the API took.
CREATE TABLE audiences (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id),
    name        TEXT    NOT NULL,
    filter      TEXT    NOT NULL,
    created_by  INTEGER REFERENCES users (id),
    created_at  INTEGER NOT NULL
);
CREATE INDEX audiences_campaign ON audiences (campaign_id);
