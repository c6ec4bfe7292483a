-- Unique scanners per device class, place and batch: a visitor sketch per campaign,
-- family, hour and slice, written by the touches fold (off the redirect's path), and one
-- per day in the day tier. Keyed by campaign, family and time, so a report reads one
-- contiguous range. `slice` is the device class, the batch id, or the place as
-- country, region and city joined by U+001F.
CREATE TABLE slice_sketches (
    campaign_id INTEGER NOT NULL,
    family      TEXT    NOT NULL,
    hour        INTEGER NOT NULL,
    slice       TEXT    NOT NULL,
    sketch      BLOB    NOT NULL,
    PRIMARY KEY (campaign_id, family, hour, slice)
) WITHOUT ROWID;

CREATE TABLE day_slice_sketches (
    campaign_id INTEGER NOT NULL,
    family      TEXT    NOT NULL,
    day         INTEGER NOT NULL,
    slice       TEXT    NOT NULL,
    sketch      BLOB    NOT NULL,
    PRIMARY KEY (campaign_id, family, day, slice)
) WITHOUT ROWID;
