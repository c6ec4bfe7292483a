-- Photos consumers share on a campaign's photo page. The files (a display size and a
-- thumbnail, JPEG without metadata) live under SCANLOOP_DATA_DIR/media. The place is the
-- uploader's city by GeoIP: the city is shown to others, its coordinates only order the
-- gallery by distance and are never shown. The visitor id lets the uploader delete it.
CREATE TABLE photos (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id INTEGER  NOT NULL REFERENCES campaigns (id),
    visitor_id  TEXT    NOT NULL,
    status      TEXT    NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    caption     TEXT,
    image       TEXT    NOT NULL,
    thumb       TEXT    NOT NULL,
    width       INTEGER  NOT NULL,
    height      INTEGER  NOT NULL,
    country     TEXT,
    city        TEXT,
    latitude    REAL,
    longitude   REAL,
    code_id     INTEGER,
    channel_id  INTEGER,
    created_at  INTEGER  NOT NULL,
    reviewed_at INTEGER
);
CREATE INDEX photos_campaign ON photos (campaign_id, status, id);
CREATE INDEX photos_status ON photos (status, id);

-- Whether the landing page offers photo sharing, and whether new photos are shown at once.
ALTER TABLE campaigns ADD COLUMN photo_sharing INTEGER NOT NULL DEFAULT 1;
ALTER TABLE campaigns ADD COLUMN photo_auto_approve INTEGER NOT NULL DEFAULT 0;
