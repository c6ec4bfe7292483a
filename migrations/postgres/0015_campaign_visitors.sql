-- Each campaign's visitors and when each first scanned it, for repeat-purchase cohorts
-- (visitors grouped by the week of their first scan). The touches fold adds visitors as it
-- passes their scans; visitor_cohorts counts the new ones per hour, so a cohort's size is a
-- sum over a few hundred rows, not a count over millions of visitors.
CREATE TABLE campaign_visitors (
    campaign_id BIGINT  NOT NULL,
    visitor_id  TEXT    NOT NULL,
    first_seen  BIGINT  NOT NULL,
    PRIMARY KEY (campaign_id, visitor_id)
);
CREATE TABLE visitor_cohorts (
    campaign_id BIGINT  NOT NULL,
    hour        BIGINT  NOT NULL,
    visitors    BIGINT  NOT NULL,
    PRIMARY KEY (campaign_id, hour)
);
-- People's scans kept so far (up to the touches fold's watermark; the fold adds the rest).
INSERT INTO campaign_visitors (campaign_id, visitor_id, first_seen)
SELECT campaign_id, visitor_id, MIN(scanned_at) FROM scans
WHERE is_bot = 0 AND visitor_id IS NOT NULL
  AND id <= COALESCE((SELECT value FROM job_watermarks WHERE job = 'touches'), 0)
GROUP BY campaign_id, visitor_id;
INSERT INTO visitor_cohorts (campaign_id, hour, visitors)
SELECT campaign_id, first_seen - first_seen % 3600000, COUNT(*) FROM campaign_visitors
GROUP BY campaign_id, first_seen - first_seen % 3600000;
