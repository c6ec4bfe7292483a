-- Redirect rules: an ordered JSON list per campaign and per batch (checked when saved),
-- read into every instance's code cache with its codes; a batch's rules come before its
-- campaign's. NULL: no rules.
ALTER TABLE campaigns ADD COLUMN rules TEXT;
ALTER TABLE batches ADD COLUMN rules TEXT;
