-- A/B landing experiments. An experiment has 2 to 4 variants (the first is the control),
-- fixed once it starts: reports never mix two designs. `routing` is what the scans and the
-- landing page need (variants, weights, destinations, landing overrides, the winner once
-- one takes all traffic) as JSON, read with a campaign's codes; at most one experiment per
-- campaign has one. Experiments are never deleted; `experiment_log` keeps what happened to
-- each, with the figures at that moment.
CREATE TABLE experiments (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id),
    name        TEXT    NOT NULL,
    status      TEXT    NOT NULL CHECK (status IN ('running', 'stopped')),
    min_sample  INTEGER NOT NULL CHECK (min_sample > 0),
    ends_at     INTEGER,
    auto_stop   INTEGER NOT NULL,
    winner_id   INTEGER,
    routing     TEXT,
    created_by  INTEGER NOT NULL REFERENCES users (id),
    started_at  INTEGER NOT NULL,
    stopped_at  INTEGER,
    stop_reason TEXT
);
CREATE UNIQUE INDEX experiments_running ON experiments (campaign_id) WHERE status = 'running';
CREATE UNIQUE INDEX experiments_routing ON experiments (campaign_id) WHERE routing IS NOT NULL;

CREATE TABLE experiment_variants (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    experiment_id   INTEGER NOT NULL REFERENCES experiments (id),
    position        INTEGER NOT NULL,
    name            TEXT    NOT NULL,
    weight          INTEGER NOT NULL CHECK (weight BETWEEN 5 AND 95),
    landing         TEXT,
    destination_url TEXT,
    UNIQUE (experiment_id, position)
);

CREATE TABLE experiment_log (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    experiment_id INTEGER NOT NULL REFERENCES experiments (id),
    at            INTEGER NOT NULL,
    event         TEXT    NOT NULL,
    user_id       INTEGER REFERENCES users (id),
    figures       TEXT
);
CREATE INDEX experiment_log_experiment ON experiment_log (experiment_id, id);

-- The variant a person's scan or event was shown, while an experiment ran. The report
-- reads them through these partial indexes, so rows outside experiments cost nothing.
ALTER TABLE scans ADD COLUMN variant_id INTEGER;
CREATE INDEX scans_variant ON scans (variant_id, visitor_id) WHERE variant_id IS NOT NULL;
ALTER TABLE events ADD COLUMN variant_id INTEGER;
CREATE INDEX events_variant ON events (variant_id, kind) WHERE variant_id IS NOT NULL;
