-- gluster's own events pushed to georep (issue 21): a cluster that opted in has georep's
-- webhook registered with glustereventsd (`gluster-eventsapi webhook-add URL --bearer_token`).
-- The token is kept as its SHA-256 only: gluster holds it in clear on every node, georep only
-- needs to recognise it. last_event_* say whether pushes arrive (the UI and REST show it).
CREATE TABLE gluster_events (
    cluster_id      UUID PRIMARY KEY NOT NULL REFERENCES clusters(id) ON DELETE CASCADE,
    url             TEXT NOT NULL,
    token_sha256    TEXT NOT NULL,
    enabled_at      TIMESTAMPTZ NOT NULL,
    enabled_by      TEXT NOT NULL,
    last_event_at   TIMESTAMPTZ,
    last_event      TEXT,
    events_received BIGINT NOT NULL DEFAULT 0
);
