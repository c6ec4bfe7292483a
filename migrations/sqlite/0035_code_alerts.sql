-- Unique codes a `code.suspicious` webhook was sent for, once per reason (`cities`,
-- `per_hour`, `after_purchase`): a code past a threshold is told about once, whichever
-- instance noticed it.
CREATE TABLE code_alerts (
    code_id INTEGER NOT NULL REFERENCES codes (id),
    reason  TEXT    NOT NULL,
    sent_at INTEGER NOT NULL,
    PRIMARY KEY (code_id, reason)
) WITHOUT ROWID;
-- The watch starts at the scans folded so far: codes that looked copied before it existed
-- are in the suspicious-codes report, not sent all at once.
INSERT INTO job_watermarks (job, value)
SELECT 'code_alerts', COALESCE((SELECT value FROM job_watermarks WHERE job = 'touches'), 0);
