-- A campaign's tracking: `full`, or `none` for labels that may not track their readers
-- (EU wine e-labels). A scan of a `none` campaign's code is not a row of `scans`: it only
-- adds one to its code's count for the hour, here. Campaign and batch are kept on the row
-- so a campaign's counts are read without a join to every code.
ALTER TABLE campaigns ADD COLUMN tracking TEXT NOT NULL DEFAULT 'full'
    CHECK (tracking IN ('full', 'none'));
-- Links the brand must show (ingredients, allergens, recycling): a JSON list of
-- {"label", "url"}. The only calls to action of a no-tracking campaign's page.
ALTER TABLE campaigns ADD COLUMN info_links TEXT;
CREATE TABLE counted_scans (
    code_id     INTEGER NOT NULL,
    hour        INTEGER NOT NULL,
    campaign_id INTEGER NOT NULL,
    batch_id    INTEGER NOT NULL,
    scans       INTEGER NOT NULL,
    PRIMARY KEY (code_id, hour)
);
CREATE INDEX counted_scans_campaign ON counted_scans (campaign_id, hour);
