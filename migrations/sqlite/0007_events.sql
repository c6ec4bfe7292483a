-- What a scanned visitor did next on the campaign's pages: a landing view, a click on a
-- call to action (the buy-online click with the click id a purchase is attributed by),
-- and later photo shares and location consent. Written in groups like scans. The code
-- (and so channel, batch and store) is the one whose scan led to the page, when known.
CREATE TABLE events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    occurred_at  INTEGER  NOT NULL,
    kind         TEXT    NOT NULL,
    action       TEXT,
    campaign_id  INTEGER  NOT NULL,
    channel_id   INTEGER,
    batch_id     INTEGER,
    store_id     INTEGER,
    code_id      INTEGER,
    visitor_id   TEXT,
    is_bot       INTEGER  NOT NULL,
    click_id     TEXT,
    country      TEXT,
    city         TEXT,
    device       TEXT    NOT NULL
);
-- A purchase reported with a click id finds its click.
CREATE UNIQUE INDEX events_click_id ON events (click_id) WHERE click_id IS NOT NULL;

-- Events counted per hour like scan_rollups, so funnels never read raw events. batch_id
-- 0 and channel_id 0 mean a visit that came without a code; action '' a kind without one.
CREATE TABLE event_rollups (
    hour         INTEGER  NOT NULL,
    campaign_id  INTEGER  NOT NULL,
    batch_id     INTEGER  NOT NULL,
    kind         TEXT    NOT NULL,
    action       TEXT    NOT NULL,
    country      TEXT    NOT NULL,
    device       TEXT    NOT NULL,
    channel_id   INTEGER  NOT NULL,
    store_id     INTEGER,
    events       INTEGER  NOT NULL,
    bot_events   INTEGER  NOT NULL,
    PRIMARY KEY (hour, campaign_id, batch_id, kind, action, country, device)
);
CREATE INDEX event_rollups_campaign ON event_rollups (campaign_id, hour);
