-- The variants report. A touch (and a conversion's stored path) keeps the experiment
-- variant its scan was shown, so conversions are credited to variants as to channels,
-- under any model and window, and the credit tier folds them as one more family.
ALTER TABLE touches ADD COLUMN variant_id INTEGER;
ALTER TABLE conversion_touches ADD COLUMN variant_id INTEGER;
UPDATE touches SET variant_id = (SELECT s.variant_id FROM scans s WHERE s.id = touches.scan_id)
WHERE scan_id IN (SELECT id FROM scans WHERE variant_id IS NOT NULL);
UPDATE conversion_touches
SET variant_id = (SELECT s.variant_id FROM scans s WHERE s.id = conversion_touches.scan_id)
WHERE scan_id IN (SELECT id FROM scans WHERE variant_id IS NOT NULL);
-- Days the tier folded before paths had variants are credited again.
INSERT INTO stale_credit_days (campaign_id, day)
SELECT DISTINCT campaign_id, converted_at - converted_at % 86400000 FROM conversion_touches
WHERE variant_id IS NOT NULL
ON CONFLICT DO NOTHING;
