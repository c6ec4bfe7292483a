-- Channels and stores can be retired. A disabled channel or store is not offered for new
-- batches (the API refuses them); codes already printed for it keep resolving, because the
-- posters and bottles are still out there: disable their batches to send them to the
-- campaign's fallback.
ALTER TABLE channels ADD COLUMN status TEXT NOT NULL DEFAULT 'active';
ALTER TABLE stores ADD COLUMN status TEXT NOT NULL DEFAULT 'active';
