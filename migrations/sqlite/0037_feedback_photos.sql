-- An optional photo with a rating (a broken seal, a damaged box): its two stored renditions
-- (`MediaStore` names), kept like shared photos, without metadata.
ALTER TABLE feedback ADD COLUMN photo TEXT;
ALTER TABLE feedback ADD COLUMN photo_thumb TEXT;
