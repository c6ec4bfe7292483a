-- A visitor (an `sl_vid` browser) as each campaign knows them: when first and last seen,
-- what they did, and when they first reached each stage of the brand's funnel (aware is
-- the row itself). The visitors fold adds scans behind its watermark; the event writer,
-- the conversion writer, joins and claims add the rest in their own transactions. Every
-- write is an upsert that keeps the earliest time of each stage, so order does not matter.
CREATE TABLE visitors (
    campaign_id    BIGINT  NOT NULL,
    visitor_id     TEXT    NOT NULL,
    first_seen     BIGINT  NOT NULL,
    last_seen      BIGINT  NOT NULL,
    -- Where they came from: the channel and store of their first scan or coded visit.
    channel_id     BIGINT ,
    store_id       BIGINT ,
    -- The last coarse place they were seen in.
    country        TEXT,
    city           TEXT,
    scans          BIGINT  NOT NULL DEFAULT 0,
    events         BIGINT  NOT NULL DEFAULT 0,
    purchases      BIGINT  NOT NULL DEFAULT 0,
    interested_at  BIGINT ,
    considering_at BIGINT ,
    intending_at   BIGINT ,
    customer_at    BIGINT ,
    loyal_at       BIGINT ,
    PRIMARY KEY (campaign_id, visitor_id)
);
-- A visitor's campaigns, for the visitor's own record.
CREATE INDEX visitors_visitor ON visitors (visitor_id);

-- What was done before this table existed. Scans come from the fold, which starts at the
-- first scan still kept.
-- The first event names the channel and store they came through, the last their place.
INSERT INTO visitors (campaign_id, visitor_id, first_seen, last_seen, channel_id, store_id,
                      country, city, events, interested_at, considering_at)
SELECT g.campaign_id, g.visitor_id, g.first_at, g.last_at, f.channel_id, f.store_id,
       l.country, l.city, g.events, g.interested_at, g.considering_at
FROM (SELECT campaign_id, visitor_id, MIN(occurred_at) AS first_at,
             MAX(occurred_at) AS last_at, COUNT(*) AS events,
             MIN(CASE WHEN kind = 'view' THEN occurred_at END) AS interested_at,
             MIN(CASE WHEN kind IN ('click', 'photo') THEN occurred_at END) AS considering_at,
             MIN(id) AS first_id, MAX(id) AS last_id
      FROM events WHERE is_bot = 0 AND visitor_id IS NOT NULL
      GROUP BY campaign_id, visitor_id) g
JOIN events f ON f.id = g.first_id JOIN events l ON l.id = g.last_id;

INSERT INTO visitors (campaign_id, visitor_id, first_seen, last_seen, purchases, customer_at,
                      loyal_at)
SELECT campaign_id, visitor_id, MIN(at), MAX(at), COUNT(*), MIN(at),
       MIN(CASE WHEN n = 2 THEN at END)
FROM (SELECT campaign_id, visitor_id, at,
             ROW_NUMBER() OVER (PARTITION BY campaign_id, visitor_id ORDER BY at, id) AS n
      FROM (SELECT DISTINCT campaign_id, buyer AS visitor_id, conversion_id AS id,
                   converted_at AS at
            FROM conversion_touches WHERE buyer IS NOT NULL AND buyer NOT LIKE 'code:%'
            UNION
            SELECT campaign_id, visitor_id, id, occurred_at FROM conversions
            WHERE campaign_id IS NOT NULL AND visitor_id IS NOT NULL) bought) ranked
GROUP BY campaign_id, visitor_id
ON CONFLICT (campaign_id, visitor_id) DO UPDATE SET
    first_seen = LEAST(visitors.first_seen, excluded.first_seen),
    last_seen = GREATEST(visitors.last_seen, excluded.last_seen),
    purchases = excluded.purchases,
    customer_at = excluded.customer_at,
    loyal_at = excluded.loyal_at;

-- Joining or claiming a code's points: the browser that did it, in that campaign.
INSERT INTO visitors (campaign_id, visitor_id, first_seen, last_seen, intending_at)
SELECT campaign_id, visitor_id, MIN(at), MIN(at), MIN(at)
FROM (SELECT m.campaign_id, v.visitor_id, m.joined_at AS at
      FROM members m JOIN member_visitors v ON v.member_id = m.id
      WHERE m.campaign_id IS NOT NULL
      UNION ALL
      SELECT b.campaign_id, v.visitor_id, c.claimed_at
      FROM code_claims c JOIN codes k ON k.id = c.code_id JOIN batches b ON b.id = k.batch_id
      JOIN member_visitors v ON v.member_id = c.member_id) intents
GROUP BY campaign_id, visitor_id
ON CONFLICT (campaign_id, visitor_id) DO UPDATE SET
    first_seen = LEAST(visitors.first_seen, excluded.first_seen),
    last_seen = GREATEST(visitors.last_seen, excluded.last_seen),
    intending_at = excluded.intending_at;
