# bench-seed.sh — sourced by the benchmarks: the SQL of one cluster "bench" with a 2-brick
# master volume and N geo-replication sessions of 2 detail rows each, ids
# 10000000-0000-4000-8000-<N zero-padded>. One text for both engines (no printf for SQLite nor
# lpad for PostgreSQL: ids zero-padded by substr); the caller sets PRAGMA ('PRAGMA
# foreign_keys = ON;' on SQLite) and UUID (the cast of text into a UUID column: TEXT or uuid).

# bench_seed_sql N: the SQL on stdout
bench_seed_sql() {
  local SESSIONS=$1
  cat <<SQL
$PRAGMA
BEGIN;
INSERT INTO clusters (id, name, description, created_at, sync_state)
  VALUES ('00000000-0000-4000-8000-000000000001', 'bench', '', '2026-11-24T08:00:00Z', 'ok');
INSERT INTO hosts (id, cluster_id, address, connection, status)
  VALUES ('00000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000001', 'vm', 'local', 'connected');
INSERT INTO gluster_volumes (id, cluster_id, name, volume_type, status, brick_count, size_total, size_free, updated_at)
  VALUES ('00000000-0000-4000-8000-000000000003', '00000000-0000-4000-8000-000000000001', 'mastervol',
          'Distribute', 'Started', 2, 1000000, 900000, '2026-11-24T08:00:00Z');
INSERT INTO gluster_volume_bricks (id, volume_id, host_id, server_name, path, position, status) VALUES
  ('00000000-0000-4000-8000-000000000004', '00000000-0000-4000-8000-000000000003', '00000000-0000-4000-8000-000000000002', 'vm', '/srv/gl/master/b1', 0, 'online'),
  ('00000000-0000-4000-8000-000000000005', '00000000-0000-4000-8000-000000000003', '00000000-0000-4000-8000-000000000002', 'vm', '/srv/gl/master/b2', 1, 'online');
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $SESSIONS)
INSERT INTO gluster_georep_session (session_id, master_volume_id, session_key, slave_host_name,
    slave_volume_name, slave_user, status, created_at, updated_at)
  SELECT CAST('10000000-0000-4000-8000-' || substr('000000000000' || CAST(i AS TEXT),
                                                   length(CAST(i AS TEXT)) + 1) AS $UUID),
         '00000000-0000-4000-8000-000000000003',
         'a108:ssh://vm::slavevol' || CAST(i AS TEXT) || ':' || CAST(i AS TEXT), 'vm',
         'slavevol' || CAST(i AS TEXT), 'root', 'ACTIVE',
         '2026-11-24T08:00:00Z', '2026-11-24T08:44:36Z' FROM n;
INSERT INTO gluster_georep_session_details (session_id, master_brick_id, slave_host_name, status,
    checkpoint_status, crawl_status, files_pending, deletes_pending, files_skipped, entry_pending,
    data_pending, meta_pending, failures, last_synced_at, updated_at)
  SELECT s.session_id, b.id, 'vm', CASE b.position WHEN 0 THEN 'ACTIVE' ELSE 'PASSIVE' END,
         'not_completed', 'changelog_crawl', 0, 0, 0, 0, 0, 0, 0, '2026-11-24T08:44:35Z', '2026-11-24T08:44:36Z'
    FROM gluster_georep_session s CROSS JOIN gluster_volume_bricks b;
COMMIT;
SQL
}
