-- How a purchase went, told by its buyer on the campaign's feedback page: one per
-- purchase, placed by the purchase's last scan of the campaign.
CREATE TABLE feedback (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    conversion_id INTEGER NOT NULL UNIQUE REFERENCES conversions (id),
    campaign_id   INTEGER NOT NULL REFERENCES campaigns (id),
    channel_id    INTEGER,
    batch_id      INTEGER,
    store_id      INTEGER,
    visitor_id    TEXT    NOT NULL,
    member_id     INTEGER REFERENCES members (id),
    rating        INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    comment       TEXT,
    created_at    INTEGER NOT NULL
);
CREATE INDEX feedback_campaign ON feedback (campaign_id, created_at);

-- A low rating (2 or less) opens a remedy: someone at the brand makes it right.
CREATE TABLE remedies (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    feedback_id INTEGER NOT NULL UNIQUE REFERENCES feedback (id),
    status      TEXT    NOT NULL CHECK (status IN ('open', 'in_progress', 'done')),
    handled_by  INTEGER REFERENCES users (id),
    note        TEXT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX remedies_status ON remedies (status, id);

-- The secret of a purchase's feedback link (`/feedback/{id}.{token}`), which the shop may
-- show on its order confirmation.
ALTER TABLE conversions ADD COLUMN feedback_token TEXT;
