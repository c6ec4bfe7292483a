-- Outbound webhooks: the brand's endpoints, the events each wants, and the secret its
-- deliveries are signed with (kept, since every delivery is signed with it; shown once).
-- Deleting one disables it: its deliveries stay in the log.
CREATE TABLE webhooks (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    url        TEXT    NOT NULL,
    -- Event names, space-separated.
    events     TEXT    NOT NULL,
    secret     TEXT    NOT NULL,
    status     TEXT    NOT NULL CHECK (status IN ('active', 'failing', 'disabled')),
    created_by INTEGER NOT NULL REFERENCES users (id),
    created_at INTEGER NOT NULL
);

-- The outbox: one row per event and webhook, written in the transaction that made the
-- event, so a restart loses nothing. A worker sends the pending ones whose time has come,
-- taking each by moving its `next_attempt_at` forward (a lease), so two instances never
-- send one at the same time; a failure is retried later, with growing waits.
CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id      INTEGER NOT NULL REFERENCES webhooks (id),
    event           TEXT    NOT NULL,
    payload         TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    state           TEXT    NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    last_attempt_at INTEGER,
    last_status     INTEGER,
    last_error      TEXT,
    delivered_at    INTEGER
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, id);
