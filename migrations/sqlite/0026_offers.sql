-- Limited offers: the first `max_claims` people (or unique codes) to scan a campaign's
-- codes, or one batch's, go to the offer's URL; everyone after goes to its fallback (or
-- where the campaign sends them). A claim is inserted in the transaction that raises
-- `claimed`, and that UPDATE only succeeds while `claimed < max_claims`: on PostgreSQL the
-- row lock makes instances take turns, so no offer ever has one claim too many.
-- Offers are never deleted: ending one sets ended_at and ended_by.
CREATE TABLE offers (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id  INTEGER NOT NULL REFERENCES campaigns (id),
    batch_id     INTEGER REFERENCES batches (id),
    counts       TEXT    NOT NULL CHECK (counts IN ('visitors', 'codes')),
    max_claims   INTEGER NOT NULL CHECK (max_claims > 0),
    claimed      INTEGER NOT NULL DEFAULT 0 CHECK (claimed <= max_claims),
    url          TEXT    NOT NULL,
    fallback_url TEXT,
    created_by   INTEGER NOT NULL REFERENCES users (id),
    created_at   INTEGER NOT NULL,
    ended_by     INTEGER REFERENCES users (id),
    ended_at     INTEGER
);
CREATE INDEX offers_standing ON offers (campaign_id) WHERE ended_at IS NULL;
-- Who claimed: a visitor id, or a code id.
CREATE TABLE offer_claims (
    offer_id   INTEGER NOT NULL REFERENCES offers (id),
    claim_key  TEXT    NOT NULL,
    claimed_at INTEGER NOT NULL,
    PRIMARY KEY (offer_id, claim_key)
);
