-- Shops that post conversions to /hooks/conversions/{name}, signed with their secret. The
-- secret is kept as issued (an HMAC is checked with the secret itself); after a rotation
-- the previous one is still accepted until `previous_until`.
CREATE TABLE sources (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    name            TEXT    NOT NULL UNIQUE,
    secret          TEXT    NOT NULL,
    previous_secret TEXT,
    previous_until  INTEGER,
    created_at      INTEGER NOT NULL,
    rotated_at      INTEGER
);
