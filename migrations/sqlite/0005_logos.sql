-- Logos drawn in the centre of codes: one per campaign or batch (a batch's wins), held
-- as the PNG scanloop made from the upload, in the database so every instance draws it.
CREATE TABLE logos (
    owner       TEXT    NOT NULL CHECK (owner IN ('campaign', 'batch')),
    owner_id    INTEGER NOT NULL,
    png         BLOB    NOT NULL,
    width       INTEGER NOT NULL,
    height      INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (owner, owner_id)
);
