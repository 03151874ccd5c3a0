-- The audit trail read a page at a time (keyset on id, newest first) and filtered (issue 21):
-- a cluster's or an action's events without a scan of the whole trail, and a time range, which
-- is also what the retention deletes by. A session's events: events_by_session (0002).
CREATE INDEX events_by_cluster ON events(cluster_id, id);
CREATE INDEX events_by_action ON events(action, id);
CREATE INDEX events_by_time ON events(at);
