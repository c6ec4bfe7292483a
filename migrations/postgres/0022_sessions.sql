-- Signed-in browsers. The cookie holds a random secret; only its SHA-256 is kept here, so
-- every instance can check it and a leaked table signs no one in. A session ends at
-- expires_at (absolute), after the idle time since last_seen_at (the server's setting),
-- when its user signs out, or when the user is disabled or sets a new password.
-- csrf_token goes into the session's forms and must come back with every change.
CREATE TABLE sessions (
    id_hash      TEXT PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users (id),
    csrf_token   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);
