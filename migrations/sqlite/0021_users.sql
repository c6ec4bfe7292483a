-- People who sign in: a role each (admin, analyst, retailer), and a retailer's stores.
-- Email is kept lowercased and unique; password_hash is an argon2id PHC string, NULL
-- until the user sets one through a one-time link. A disabled user keeps their row (keys
-- and history point at it) but nothing they hold works.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    email         TEXT    NOT NULL UNIQUE,
    password_hash TEXT,
    role          TEXT    NOT NULL CHECK (role IN ('admin', 'analyst', 'retailer')),
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    disabled_at   INTEGER
);

CREATE TABLE user_stores (
    user_id  INTEGER NOT NULL REFERENCES users (id),
    store_id INTEGER NOT NULL REFERENCES stores (id),
    PRIMARY KEY (user_id, store_id)
);
CREATE INDEX user_stores_store ON user_stores (store_id);

-- One-time links that set a password: only the token's hash is kept.
CREATE TABLE password_links (
    token_hash TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);

-- The keys made before accounts belonged to no one: they now belong to an admin with no
-- password yet (`scanloop users reset-password --email admin@localhost` gives it one).
INSERT INTO users (email, role, created_at, updated_at)
VALUES ('admin@localhost', 'admin', CAST(strftime('%s', 'now') AS INTEGER) * 1000,
        CAST(strftime('%s', 'now') AS INTEGER) * 1000);
ALTER TABLE api_keys ADD COLUMN user_id INTEGER REFERENCES users (id);
ALTER TABLE api_keys ADD COLUMN last_used_at INTEGER;
UPDATE api_keys SET user_id = (SELECT id FROM users WHERE email = 'admin@localhost');
-- A key carries its user's role now.
ALTER TABLE api_keys DROP COLUMN role;
CREATE INDEX api_keys_user ON api_keys (user_id);
