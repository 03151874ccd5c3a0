-- A session whose slave volume no longer exists (issue 21 item 6): gluster still lists it (its
-- master is alive), but it can replicate nowhere and a plain delete is refused while glusterd
-- holds it started. The sync of the master's cluster sets the reason when the slave volume's
-- cluster is managed, read without error, and has no volume of the session's slave uuid.
ALTER TABLE gluster_georep_session ADD COLUMN stale_reason TEXT;
ALTER TABLE gluster_georep_session ADD COLUMN stale_since TIMESTAMPTZ;
