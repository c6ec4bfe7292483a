-- Recall notices: every scan of a batch's codes (or of a serial range of them) goes to a
-- notice page while the notice stands. Rows are never deleted: lifting one sets lifted_at
-- and lifted_by, so the table is the log of who put which notice up and who took it down.
-- A whole batch is the range 1 to its size. Standing notices of a batch do not overlap
-- (checked when one is put up, with the batch row written first so two cannot race).
CREATE TABLE notices (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    batch_id    INTEGER NOT NULL REFERENCES batches (id),
    from_serial INTEGER NOT NULL,
    to_serial   INTEGER NOT NULL,
    title_en    TEXT,
    title_zh    TEXT,
    text_en     TEXT,
    text_zh     TEXT,
    url         TEXT,
    created_by  INTEGER NOT NULL REFERENCES users (id),
    created_at  INTEGER NOT NULL,
    lifted_by   INTEGER REFERENCES users (id),
    lifted_at   INTEGER
);
CREATE INDEX notices_standing ON notices (batch_id, from_serial) WHERE lifted_at IS NULL;
