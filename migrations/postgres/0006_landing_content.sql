-- The landing page's calls to action besides the buy link (cta_url), its brand colours,
-- and its hero image: the names of two JPEG files under SCANLOOP_DATA_DIR/media (a phone
-- size and a double-density size) with the larger one's pixels.
ALTER TABLE campaigns ADD COLUMN store_finder_url TEXT;
ALTER TABLE campaigns ADD COLUMN join_url TEXT;
ALTER TABLE campaigns ADD COLUMN brand_color TEXT;
ALTER TABLE campaigns ADD COLUMN background_color TEXT;
ALTER TABLE campaigns ADD COLUMN hero_alt TEXT;
ALTER TABLE campaigns ADD COLUMN hero_image TEXT;
ALTER TABLE campaigns ADD COLUMN hero_small TEXT;
ALTER TABLE campaigns ADD COLUMN hero_width BIGINT;
ALTER TABLE campaigns ADD COLUMN hero_height BIGINT;
