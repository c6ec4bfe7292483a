-- Which visitors (bots excluded) scanned a campaign's codes from which city on which day,
-- folded from scans with the per-code history, off the redirect's path. The photo page
-- counts the people of the viewer's city over the last seven days from it; rows older than
-- eight days are pruned by the same fold.
CREATE TABLE city_visitors (
    campaign_id INTEGER NOT NULL,
    country     TEXT   NOT NULL,
    city        TEXT   NOT NULL,
    day         INTEGER NOT NULL,
    visitor_id  TEXT   NOT NULL,
    PRIMARY KEY (campaign_id, country, city, day, visitor_id)
);
CREATE INDEX city_visitors_day ON city_visitors (day);
