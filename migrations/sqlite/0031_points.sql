-- A campaign's points rules, the JSON the API took. A campaign with rules offers
-- membership on its page.
CREATE TABLE points_rules (
    campaign_id INTEGER PRIMARY KEY REFERENCES campaigns (id),
    rules       TEXT    NOT NULL,
    updated_by  INTEGER REFERENCES users (id),
    updated_at  INTEGER NOT NULL
);

-- The points ledger, append-only: every change to a member's balance with its reason and
-- the balance after it. `members.points_balance` moves in the same transaction.
CREATE TABLE points_ledger (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    member_id     INTEGER NOT NULL REFERENCES members (id),
    points        INTEGER NOT NULL CHECK (points <> 0),
    balance_after INTEGER NOT NULL CHECK (balance_after >= 0),
    -- first_scan, purchase, photo, referral_join, referral_purchase, spend, adjust or
    -- deleted (a deleted member's balance forfeited).
    reason        TEXT    NOT NULL,
    campaign_id   INTEGER REFERENCES campaigns (id),
    code_id       INTEGER REFERENCES codes (id),
    -- What earned them: a purchase, an approved photo, a member brought by a referral.
    conversion_id INTEGER REFERENCES conversions (id),
    photo_id      INTEGER,
    referred_id   INTEGER REFERENCES members (id),
    note          TEXT,
    created_by    INTEGER REFERENCES users (id),
    created_at    INTEGER NOT NULL
);
CREATE INDEX points_ledger_member ON points_ledger (member_id, id);
-- Each thing earns its points once.
CREATE UNIQUE INDEX points_ledger_conversion ON points_ledger (conversion_id, reason) WHERE conversion_id IS NOT NULL;
CREATE UNIQUE INDEX points_ledger_photo ON points_ledger (photo_id) WHERE photo_id IS NOT NULL;
CREATE UNIQUE INDEX points_ledger_referred ON points_ledger (referred_id, reason) WHERE referred_id IS NOT NULL;
CREATE INDEX points_ledger_earned ON points_ledger (member_id, campaign_id, created_at) WHERE points > 0;

-- Each unique code's first-scan points go to one member: whoever claims it first.
CREATE TABLE code_claims (
    code_id    INTEGER PRIMARY KEY REFERENCES codes (id),
    member_id  INTEGER NOT NULL REFERENCES members (id),
    -- The claimant's network (/24 or /48), for the per-network cap.
    ip_prefix  TEXT    NOT NULL,
    claimed_at INTEGER NOT NULL
);
CREATE INDEX code_claims_network ON code_claims (ip_prefix, claimed_at);
