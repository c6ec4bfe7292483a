-- What a campaign's team planned with (counts per funnel step, rates between steps, CPA,
-- ROAS and revenue), as the JSON object `PUT /api/v1/campaigns/{id}/targets` took.
CREATE TABLE campaign_targets (
    campaign_id BIGINT PRIMARY KEY REFERENCES campaigns (id),
    targets     TEXT   NOT NULL,
    updated_at  BIGINT NOT NULL
);
