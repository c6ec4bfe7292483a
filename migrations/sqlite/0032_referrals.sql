-- Browsers that came through a member's share link (`/r/{code}`), to the campaign the
-- member joined from: the first link a browser followed is the one that counts.
CREATE TABLE referral_visits (
    visitor_id  TEXT    PRIMARY KEY,
    member_id   INTEGER NOT NULL REFERENCES members (id),
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id),
    visited_at  INTEGER NOT NULL
);
CREATE INDEX referral_visits_campaign ON referral_visits (campaign_id, visited_at);
CREATE INDEX members_referred_by ON members (referred_by) WHERE referred_by IS NOT NULL;
CREATE INDEX members_campaign ON members (campaign_id, joined_at);
-- A member's purchases, found by the browsers linked to them.
CREATE INDEX conversions_visitor ON conversions (visitor_id, occurred_at) WHERE visitor_id IS NOT NULL;
