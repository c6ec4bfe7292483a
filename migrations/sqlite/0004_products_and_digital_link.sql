-- GS1 Digital Link: products (a GTIN with its links) and batches whose codes print GS1
-- Digital Link URIs. GTINs are held as GTIN-14, the form the URIs use.
UPDATE batches SET gtin = substr('00000000000000' || gtin, -14) WHERE gtin IS NOT NULL;

CREATE TABLE products (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    gtin        TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL,
    -- JSON array of {link_type, href, title, hreflang, type, default}: read and written whole.
    links       TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- A shared batch with a GTIN prints /01/{gtin}[/10/{lot}]: that path names one batch.
CREATE UNIQUE INDEX batches_shared_digital_link ON batches (gtin, COALESCE(lot, ''))
    WHERE mode = 'shared' AND gtin IS NOT NULL;
