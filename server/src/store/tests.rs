//! The repository against a real SQLite file in a temporary folder and, where the test runs
//! name one (`GEOREP_TEST_PG`, started by scripts/pg.sh), a real PostgreSQL server.
use chrono::{TimeZone, Utc};
use uuid::Uuid;

use super::*;

pub(crate) fn id() -> Id {
    Uuid::new_v4().into()
}

pub(crate) async fn open() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("nested/georep.db"))
        .await
        .unwrap();
    (dir, store)
}

/// The engine a test's store is on.
pub(crate) enum Engine {
    Sqlite,
    Postgres,
}

/// What a test's store lives in, kept until the test ends.
pub(crate) enum Held {
    Dir(#[allow(dead_code)] tempfile::TempDir),
    /// A database of its own on the test server (the server goes with the test run).
    Database,
}

/// A fresh store on `engine`; None when no PostgreSQL server is given and none is required
/// (`GEOREP_REQUIRE_PG`, set by scripts/test.sh, which starts one).
pub(crate) async fn open_on(engine: Engine) -> Option<(Held, Store)> {
    match engine {
        Engine::Sqlite => {
            let (dir, store) = open().await;
            Some((Held::Dir(dir), store))
        }
        Engine::Postgres => {
            let Ok(server) = std::env::var("GEOREP_TEST_PG") else {
                assert!(
                    std::env::var_os("GEOREP_REQUIRE_PG").is_none(),
                    "GEOREP_REQUIRE_PG is set but GEOREP_TEST_PG is not"
                );
                eprintln!("not run on PostgreSQL: GEOREP_TEST_PG is not set (scripts/pg.sh)");
                return None;
            };
            let url = create_database(&server, "t_").await.unwrap();
            Some((Held::Database, Store::open_postgres(&url).await.unwrap()))
        }
    }
}

/// Runs each named `async fn(Store)` on both engines: tests `name::sqlite` and
/// `name::postgres`.
macro_rules! on_both_engines {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            use $crate::store::tests::{open_on, Engine};

            #[tokio::test]
            async fn sqlite() {
                let (_held, store) = open_on(Engine::Sqlite).await.unwrap();
                super::$name(store).await
            }

            #[tokio::test]
            async fn postgres() {
                if let Some((_held, store)) = open_on(Engine::Postgres).await {
                    super::$name(store).await
                }
            }
        }
    )*};
}
pub(crate) use on_both_engines;

/// One cluster, its host, a 2-brick master volume and one session with a detail row per brick
/// (also the seed of the service's tests).
pub(crate) struct Fixture {
    pub cluster: ClusterRow,
    pub volume: VolumeRow,
    pub bricks: Vec<BrickRow>,
    pub session: SessionRow,
}

pub(crate) async fn seed(store: &Store) -> Fixture {
    let now = Utc.with_ymd_and_hms(2026, 11, 24, 8, 44, 35).unwrap();
    let cluster = ClusterRow {
        id: id(),
        name: "site-a".into(),
        description: "primary site".into(),
        created_at: now,
        sync_state: "unknown".parse().unwrap(),
        sync_error: None,
        synced_at: None,
    };
    let host = HostRow {
        id: id(),
        cluster_id: cluster.id,
        address: "vm".into(),
        gluster_uuid: Some(id()),
        connection: "local".parse().unwrap(),
        ssh_user: "root".into(),
        ssh_port: 22,
        status: "connected".parse().unwrap(),
        last_seen_at: Some(now),
    };
    let volume = VolumeRow {
        id: id(),
        cluster_id: cluster.id,
        name: "mastervol".into(),
        volume_type: "Distribute".into(),
        status: "Started".into(),
        brick_count: 2,
        replica_count: 1,
        disperse_count: 0,
        size_total: Some(1 << 30),
        size_free: None,
        updated_at: now,
    };
    let bricks: Vec<BrickRow> = (0..2)
        .map(|i| BrickRow {
            id: id(),
            volume_id: volume.id,
            host_id: Some(host.id),
            host_uuid: host.gluster_uuid,
            server_name: "vm".into(),
            path: format!("/srv/gl/master/b{}", i + 1),
            position: i,
            status: "online".parse().unwrap(),
            size_total: None,
            size_free: None,
        })
        .collect();
    let session = SessionRow {
        session_id: id(),
        master_volume_id: volume.id,
        session_key: "10ee:ssh://vm::slavevol:a108".into(),
        slave_host_uuid: None,
        slave_host_name: "vm".into(),
        slave_volume_id: None,
        slave_volume_name: "slavevol".into(),
        slave_user: "root".into(),
        status: "ACTIVE".parse().unwrap(),
        created_at: now,
        updated_at: now,
        stale_reason: None,
        stale_since: None,
    };
    let mut tx = store.begin().await.unwrap();
    insert_cluster(&mut tx, &cluster).await.unwrap();
    insert_host(&mut tx, &host).await.unwrap();
    upsert_volume(&mut tx, &volume).await.unwrap();
    for b in &bricks {
        upsert_brick(&mut tx, b).await.unwrap();
    }
    insert_session(&mut tx, &session).await.unwrap();
    for b in &bricks {
        upsert_session_detail(&mut tx, &detail(session.session_id, b.id, now))
            .await
            .unwrap();
    }
    for (k, v) in [("sync_jobs", "3"), ("sync_method", "tarssh")] {
        upsert_config(
            &mut tx,
            &ConfigRow {
                session_id: session.session_id,
                config_key: k.into(),
                config_value: v.into(),
                default_value: None,
                read_only: false,
            },
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    Fixture {
        cluster,
        volume,
        bricks,
        session,
    }
}

pub(crate) fn detail(session_id: Id, brick_id: Id, now: chrono::DateTime<Utc>) -> SessionDetailRow {
    SessionDetailRow {
        session_id,
        master_brick_id: brick_id,
        slave_host_uuid: None,
        slave_host_name: Some("vm".into()),
        status: "ACTIVE".parse().unwrap(),
        checkpoint_status: Some("not_completed".into()),
        crawl_status: Some("changelog_crawl".into()),
        files_synced: None,
        files_pending: Some(240),
        bytes_pending: None,
        deletes_pending: Some(0),
        files_skipped: Some(0),
        entry_pending: Some(0),
        data_pending: Some(240),
        meta_pending: Some(0),
        failures: Some(0),
        last_synced_at: Some(now),
        checkpoint_time: None,
        checkpoint_completed_at: None,
        updated_at: now,
    }
}

async fn insert_and_read_back(store: Store) {
    let f = seed(&store).await;
    let mut c = store.conn().await.unwrap();

    assert_eq!(
        get_cluster(&mut c, f.cluster.id).await.unwrap(),
        Some(f.cluster.clone())
    );
    let summaries = list_cluster_summaries(&mut c).await.unwrap();
    assert_eq!(summaries.len(), 1);
    assert_eq!(
        (
            summaries[0].host_count,
            summaries[0].volume_count,
            summaries[0].session_count
        ),
        (1, 1, 1)
    );

    assert_eq!(
        volumes_of_cluster(&mut c, f.cluster.id).await.unwrap(),
        vec![f.volume.clone()]
    );
    assert_eq!(
        bricks_of_volume(&mut c, f.volume.id).await.unwrap(),
        f.bricks
    );
    assert_eq!(
        get_session(&mut c, f.session.session_id).await.unwrap(),
        Some(f.session.clone())
    );
    assert_eq!(
        sessions_of_cluster(&mut c, f.cluster.id).await.unwrap(),
        vec![f.session.clone()]
    );

    let details = details_of_session(&mut c, f.session.session_id)
        .await
        .unwrap();
    assert_eq!(details.len(), 2);
    assert_eq!(
        details[0].master_brick_id, f.bricks[0].id,
        "ordered by brick position"
    );
    assert_eq!(details[0].data_pending, Some(240));
    assert_eq!(
        details[0].files_synced, None,
        "what gluster does not report stays NULL"
    );

    let config = config_of_session(&mut c, f.session.session_id)
        .await
        .unwrap();
    let pairs: Vec<_> = config
        .iter()
        .map(|r| (r.config_key.as_str(), r.config_value.as_str()))
        .collect();
    assert_eq!(pairs, [("sync_jobs", "3"), ("sync_method", "tarssh")]);
}

async fn upserts_update_in_place(store: Store) {
    let f = seed(&store).await;
    let mut c = store.conn().await.unwrap();

    let mut d = detail(f.session.session_id, f.bricks[1].id, f.session.updated_at);
    d.status = "PAUSED".parse().unwrap();
    d.data_pending = Some(0);
    upsert_session_detail(&mut c, &d).await.unwrap();
    let details = details_of_session(&mut c, f.session.session_id)
        .await
        .unwrap();
    assert_eq!(details.len(), 2);
    assert_eq!(details[1], d);

    let mut s = f.session.clone();
    s.status = "PAUSED".parse().unwrap();
    update_session(&mut c, &s).await.unwrap();
    assert_eq!(
        get_session(&mut c, s.session_id)
            .await
            .unwrap()
            .unwrap()
            .status,
        "PAUSED"
    );
}

/// What live pages poll (several processes: the same database, the same answer).
async fn the_fingerprint_moves_with_what_pages_show_only(store: Store) {
    let f = seed(&store).await;
    let mut c = store.conn().await.unwrap();
    let before = fingerprint(&mut c).await.unwrap();
    assert_eq!(
        fingerprint(&mut c).await.unwrap(),
        before,
        "a read moves nothing"
    );
    let mut s = f.session.clone();
    s.status = "PAUSED".parse().unwrap();
    s.updated_at += chrono::Duration::seconds(1);
    update_session(&mut c, &s).await.unwrap();
    let paused = fingerprint(&mut c).await.unwrap();
    assert_ne!(paused, before);
    let mut d = detail(f.session.session_id, f.bricks[0].id, f.session.updated_at);
    d.status = "PAUSED".parse().unwrap();
    d.updated_at += chrono::Duration::seconds(2);
    upsert_session_detail(&mut c, &d).await.unwrap();
    assert_ne!(fingerprint(&mut c).await.unwrap(), paused);
}

/// What the REST document cache compares: a commit, by any process, moves it.
async fn every_commit_moves_the_generation(store: Store) {
    let f = seed(&store).await;
    let before = store.generation().await.unwrap();
    let mut c = store.conn().await.unwrap();
    let mut s = f.session.clone();
    s.status = "PAUSED".parse().unwrap();
    update_session(&mut c, &s).await.unwrap();
    let after = store.generation().await.unwrap();
    assert!(!before.serves(after), "{before:?} still serves {after:?}");
}

async fn deleting_a_session_cascades_to_details_and_config(store: Store) {
    let f = seed(&store).await;
    let mut c = store.conn().await.unwrap();

    assert!(delete_session(&mut c, f.session.session_id).await.unwrap());
    assert_eq!(
        get_session(&mut c, f.session.session_id).await.unwrap(),
        None
    );
    assert!(details_of_session(&mut c, f.session.session_id)
        .await
        .unwrap()
        .is_empty());
    assert!(config_of_session(&mut c, f.session.session_id)
        .await
        .unwrap()
        .is_empty());
    // the master volume and its bricks stay
    assert_eq!(
        bricks_of_volume(&mut c, f.volume.id).await.unwrap().len(),
        2
    );
    assert!(
        !delete_session(&mut c, f.session.session_id).await.unwrap(),
        "second delete finds nothing"
    );
}

async fn deleting_a_cluster_cascades_to_everything_below_it(store: Store) {
    let f = seed(&store).await;
    let mut c = store.conn().await.unwrap();

    assert!(delete_cluster(&mut c, f.cluster.id).await.unwrap());
    for table in [
        "hosts",
        "gluster_volumes",
        "gluster_volume_bricks",
        "gluster_georep_session",
        "gluster_georep_session_details",
        "gluster_georep_config",
    ] {
        let n: i64 =
            crate::on!(c => |db| sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(db).await)
            .unwrap();
        assert_eq!(n, 0, "{table} not emptied");
    }
}

async fn duplicates_and_dangling_references_are_refused(store: Store) {
    let f = seed(&store).await;
    let mut c = store.conn().await.unwrap();

    let mut twin = f.cluster.clone();
    twin.id = id();
    assert!(matches!(
        insert_cluster(&mut c, &twin).await,
        Err(StoreError::Duplicate(_))
    ));

    let mut twin = f.session.clone();
    twin.session_id = id();
    assert!(matches!(
        insert_session(&mut c, &twin).await,
        Err(StoreError::Duplicate(_))
    ));

    // foreign keys are on: a session of an unknown volume is refused
    let mut orphan = f.session.clone();
    orphan.session_id = id();
    orphan.session_key = "other".into();
    orphan.master_volume_id = id();
    assert!(insert_session(&mut c, &orphan).await.is_err());
}

#[tokio::test]
async fn database_is_in_wal_mode_with_foreign_keys() {
    let (_dir, store) = open().await;
    let mut c = store.conn().await.unwrap();
    let mode: String = crate::on!(c => |db| sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(db).await)
    .unwrap();
    let fk: i64 = crate::on!(c => |db| sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(db).await)
    .unwrap();
    assert_eq!((mode.as_str(), fk), ("wal", 1));
}

async fn record_cluster_sync_keeps_the_error(store: Store) {
    let f = seed(&store).await;
    let mut c = store.conn().await.unwrap();
    let at = Utc::now();
    record_cluster_sync(&mut c, f.cluster.id, at, Some("glusterd is down"))
        .await
        .unwrap();
    let row = get_cluster(&mut c, f.cluster.id).await.unwrap().unwrap();
    assert_eq!(
        (row.sync_state.as_str(), row.sync_error.as_deref()),
        ("error", Some("glusterd is down"))
    );
    record_cluster_sync(&mut c, f.cluster.id, at, None)
        .await
        .unwrap();
    let row = get_cluster(&mut c, f.cluster.id).await.unwrap().unwrap();
    assert_eq!((row.sync_state.as_str(), row.sync_error), ("ok", None));
}

async fn a_volume_is_found_by_host_address_or_by_brick_server_name(store: Store) {
    let f = seed(&store).await;
    let mut c = store.conn().await.unwrap();
    // registered by IP, while gluster names its bricks (and geo-rep its slave host) by name
    let mut host = hosts_of_cluster(&mut c, f.cluster.id)
        .await
        .unwrap()
        .remove(0);
    host.address = "10.77.0.3".into();
    update_host(&mut c, &host).await.unwrap();
    for by in ["10.77.0.3", "VM", "vm"] {
        let v = volume_by_host_and_name(&mut c, by, "mastervol")
            .await
            .unwrap();
        assert_eq!(v.map(|v| v.id), Some(f.volume.id), "{by}");
    }
    assert!(volume_by_host_and_name(&mut c, "node9", "mastervol")
        .await
        .unwrap()
        .is_none());
    assert!(volume_by_host_and_name(&mut c, "vm", "othervol")
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn every_commit_is_counted_and_reads_are_not() {
    let (_dir, store) = open().await;
    let f = seed(&store).await;
    let before = commits();
    let mut c = store.conn().await.unwrap();
    get_session(&mut c, f.session.session_id).await.unwrap();
    // other tests of this process may commit meanwhile: only "at least" holds across them
    let mut tx = store.begin().await.unwrap();
    set_session_status(
        &mut tx,
        f.session.session_id,
        "PAUSED",
        "Paused",
        Utc::now(),
    )
    .await
    .unwrap();
    let inside = commits();
    tx.commit().await.unwrap();
    assert!(commits() > before, "a commit moves the count");
    assert!(commits() > inside, "counted once visible, after the commit");
}

on_both_engines!(
    insert_and_read_back,
    upserts_update_in_place,
    the_fingerprint_moves_with_what_pages_show_only,
    every_commit_moves_the_generation,
    deleting_a_session_cascades_to_details_and_config,
    deleting_a_cluster_cascades_to_everything_below_it,
    duplicates_and_dangling_references_are_refused,
    record_cluster_sync_keeps_the_error,
    a_volume_is_found_by_host_address_or_by_brick_server_name,
);
