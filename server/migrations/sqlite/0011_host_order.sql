-- The order hosts were registered in, as a column both engines have (it was SQLite's rowid):
-- a cluster is reached the way the host it was registered by is.
ALTER TABLE hosts ADD COLUMN seq INTEGER;
UPDATE hosts SET seq = rowid;
CREATE TRIGGER hosts_seq AFTER INSERT ON hosts WHEN NEW.seq IS NULL
BEGIN
    UPDATE hosts SET seq = NEW.rowid WHERE rowid = NEW.rowid;
END;
