-- Logos drawn in the centre of codes: one per campaign or batch (a batch's wins), held
-- as the PNG scanloop made from the upload, in the database so every instance draws it.
CREATE TABLE logos (
    owner       TEXT    NOT NULL CHECK (owner IN ('campaign', 'batch')),
    owner_id    BIGINT  NOT NULL,
    png         BYTEA   NOT NULL,
    width       BIGINT  NOT NULL,
    height      BIGINT  NOT NULL,
    updated_at  BIGINT  NOT NULL,
    PRIMARY KEY (owner, owner_id)
);
