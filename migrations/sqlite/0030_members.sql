-- Members: consumers who joined with a phone number or an email and a one-time code, and
-- consented to the text of `consent_version`. Deleting a member forgets the contact (both
-- columns emptied, `deleted_at` set) and keeps the row, so counts stay whole.
CREATE TABLE members (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    -- E.164 (`+8613812345678`) or a lowercased address; at most one of them.
    phone           TEXT,
    email           TEXT,
    consent_version TEXT    NOT NULL,
    consented_at    INTEGER NOT NULL,
    joined_at       INTEGER NOT NULL,
    -- The campaign whose page they joined from.
    campaign_id     INTEGER REFERENCES campaigns (id),
    -- Their share link's code (`/r/{code}`).
    referral_code   TEXT    NOT NULL UNIQUE,
    referred_by     INTEGER REFERENCES members (id),
    points_balance  INTEGER NOT NULL DEFAULT 0 CHECK (points_balance >= 0),
    -- Every point ever earned, which the tiers are reached by; spending does not lower it.
    points_earned   INTEGER NOT NULL DEFAULT 0 CHECK (points_earned >= 0),
    deleted_at      INTEGER
);
CREATE UNIQUE INDEX members_phone ON members (phone) WHERE phone IS NOT NULL;
CREATE UNIQUE INDEX members_email ON members (email) WHERE email IS NOT NULL;

-- The browsers (`sl_vid`) a member signed in from: one member per browser, the latest.
CREATE TABLE member_visitors (
    visitor_id TEXT    PRIMARY KEY,
    member_id  INTEGER NOT NULL REFERENCES members (id),
    linked_at  INTEGER NOT NULL
);
CREATE INDEX member_visitors_member ON member_visitors (member_id);

-- A member signed in on a phone: the `sl_member` cookie, kept as its SHA-256.
CREATE TABLE member_sessions (
    token_hash TEXT    PRIMARY KEY,
    member_id  INTEGER NOT NULL REFERENCES members (id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX member_sessions_member ON member_sessions (member_id);

-- The one-time code last sent to a contact, kept as a SHA-256 of contact and code, with
-- the consent given when it was asked for. Five wrong tries lock the contact for a while.
CREATE TABLE one_time_codes (
    contact         TEXT    PRIMARY KEY,
    code_hash       TEXT    NOT NULL,
    consent_version TEXT    NOT NULL,
    campaign_id     INTEGER NOT NULL REFERENCES campaigns (id),
    visitor_id      TEXT    NOT NULL,
    sent_at         INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    failures        INTEGER NOT NULL,
    locked_until    INTEGER
);
