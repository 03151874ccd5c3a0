//! Parse + reconcile time of one sync cycle for a session of 10, 1,000 and 10,000 bricks:
//! `volume info` and `status detail` XML shaped like gluster 10's (see tests/fixtures), parsed
//! and reconciled into a real SQLite file, and, when `GEOREP_BENCH_PG` names a PostgreSQL
//! server (a URL like scripts/pg.sh's `GEOREP_TEST_PG`), into a fresh database on it too (one
//! per brick count, dropped after). Two cases per engine: an idle cycle (nothing changed) and
//! a busy one (every brick's counters moved): ids `ENGINE/idle/BRICKS` and
//! `ENGINE/all-counters-changed/BRICKS`, beside `parse-only/BRICKS` (no database).
//!
//!     cargo bench -p georep --bench reconcile
//!     GEOREP_BENCH_PG=postgres://georep@127.0.0.1:PORT/postgres \
//!         cargo bench -p georep --bench reconcile
use std::collections::HashMap;
use std::fmt::Write;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use georep::gluster::parse;
use georep::store::{self, ClusterRow, HostRow, Id, Store};
use georep::sync::reconcile::{reconcile, Snapshot};
use uuid::Uuid;

const NODE: &str = "10ee48f8-310b-4ea0-9b7d-31242ddd2ddc";
const MASTER: &str = "08aa161c-9880-47a9-84f2-dac2e3c1630b";

fn volume_info(bricks: usize) -> String {
    let mut x = String::from("<?xml version=\"1.0\"?><cliOutput><opRet>0</opRet><opErrno>0</opErrno><opErrstr/><volInfo><volumes><volume>");
    write!(x, "<name>mastervol</name><id>{MASTER}</id><status>1</status><statusStr>Started</statusStr><snapshotCount>0</snapshotCount><brickCount>{bricks}</brickCount><distCount>1</distCount><replicaCount>1</replicaCount><arbiterCount>0</arbiterCount><disperseCount>0</disperseCount><redundancyCount>0</redundancyCount><type>0</type><typeStr>Distribute</typeStr><transport>0</transport><bricks>").unwrap();
    for i in 0..bricks {
        write!(x, "<brick uuid=\"{NODE}\">vm:/srv/b{i}<name>vm:/srv/b{i}</name><hostUuid>{NODE}</hostUuid><isArbiter>0</isArbiter></brick>").unwrap();
    }
    x.push_str("</bricks><optCount>0</optCount><options/></volume><count>1</count></volumes></volInfo></cliOutput>");
    x
}

fn status_detail(bricks: usize, data: usize) -> String {
    let mut x = String::from("<?xml version=\"1.0\"?><cliOutput><opRet>0</opRet><opErrno>0</opErrno><opErrstr/><geoRep><volume><name>mastervol</name><sessions><session>");
    write!(x, "<session_secondary>{NODE}:ssh://vm::slavevol:a10873cc-0900-4522-9c17-2439b5ec9564</session_secondary>").unwrap();
    for i in 0..bricks {
        write!(x, "<pair><primary_node>vm</primary_node><primary_brick>/srv/b{i}</primary_brick><secondary_user>root</secondary_user><secondary>vm::slavevol</secondary><secondary_node/><status>Active</status><crawl_status>Changelog Crawl</crawl_status><entry>0</entry><data>{data}</data><meta>0</meta><failures>0</failures><checkpoint_completed>N/A</checkpoint_completed><primary_node_uuid>{NODE}</primary_node_uuid><last_synced>2026-11-24 08:44:35</last_synced><checkpoint_time>N/A</checkpoint_time><checkpoint_completion_time>N/A</checkpoint_completion_time></pair>").unwrap();
    }
    x.push_str("</session></sessions></volume></geoRep></cliOutput>");
    x
}

fn snapshot(host: Id, info: &str, status: &str) -> Snapshot {
    Snapshot {
        queried_host: Some(host),
        peers: parse::parse_pool_list(&format!("<cliOutput><opRet>0</opRet><opErrno>0</opErrno><opErrstr/><peerStatus><peer><uuid>{NODE}</uuid><hostname>localhost</hostname><connected>1</connected></peer></peerStatus></cliOutput>")).unwrap(),
        volumes: parse::parse_volume_info(info).unwrap(),
        status: Vec::new(),
        georep: parse::parse_georep_status(status).unwrap(),
        configs: HashMap::new(),
    }
}

/// Where a case's store lives: an SQLite file in a temporary folder, or a database of its own
/// on the PostgreSQL server `GEOREP_BENCH_PG` names (dropped after the case).
enum Engine {
    Sqlite,
    Postgres(String),
}

impl Engine {
    fn name(&self) -> &'static str {
        match self {
            Engine::Sqlite => "sqlite",
            Engine::Postgres(_) => "postgres",
        }
    }
}

/// A case's database, removed on `drop_db`.
enum Held {
    Dir(tempfile::TempDir),
    /// Its URL.
    Database(String),
}

/// A fresh store on `engine`.
async fn open(engine: &Engine) -> (Held, Store) {
    match engine {
        Engine::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let store = Store::open(&dir.path().join("bench.db")).await.unwrap();
            (Held::Dir(dir), store)
        }
        Engine::Postgres(server) => {
            let url = store::create_database(server, "bench_").await.unwrap();
            let store = Store::open_postgres(&url).await.unwrap();
            (Held::Database(url), store)
        }
    }
}

/// Closes `store` and removes its database.
async fn drop_db(held: Held, store: Store) {
    store.close().await;
    match held {
        Held::Dir(dir) => drop(dir),
        Held::Database(url) => store::drop_database(&url).await.unwrap(),
    }
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut engines = vec![Engine::Sqlite];
    match std::env::var("GEOREP_BENCH_PG") {
        Ok(server) => engines.push(Engine::Postgres(server)),
        Err(_) => eprintln!("reconcile: SQLite only (GEOREP_BENCH_PG names no PostgreSQL server)"),
    }
    let mut group = c.benchmark_group("parse+reconcile");
    group.sample_size(10);
    for bricks in [10usize, 1_000, 10_000] {
        let info = volume_info(bricks);
        let statuses = [status_detail(bricks, 0), status_detail(bricks, 1)];
        let parse_host: Id = Uuid::new_v4().into();
        group.bench_with_input(BenchmarkId::new("parse-only", bricks), &bricks, |b, _| {
            b.iter(|| {
                snapshot(parse_host, &info, &statuses[0])
                    .georep
                    .volumes
                    .len()
            })
        });
        for engine in &engines {
            reconcile_cases(&rt, &mut group, engine, bricks, &info, &statuses);
        }
    }
    group.finish();
}

/// The idle and the busy case of `bricks` bricks on a fresh database of `engine`.
fn reconcile_cases(
    rt: &tokio::runtime::Runtime,
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    engine: &Engine,
    bricks: usize,
    info: &str,
    statuses: &[String; 2],
) {
    let (held, store, cluster, host) = rt.block_on(async {
        let (held, store) = open(engine).await;
        let cluster = Uuid::new_v4().into();
        let host = Uuid::new_v4().into();
        let mut c = store.conn().await.unwrap();
        let now = chrono::Utc::now();
        store::insert_cluster(
            &mut c,
            &ClusterRow {
                id: cluster,
                name: "bench".into(),
                description: String::new(),
                created_at: now,
                sync_state: "ok".parse().unwrap(),
                sync_error: None,
                synced_at: None,
            },
        )
        .await
        .unwrap();
        store::insert_host(
            &mut c,
            &HostRow {
                id: host,
                cluster_id: cluster,
                address: "vm".into(),
                gluster_uuid: None,
                connection: "local".parse().unwrap(),
                ssh_user: "root".into(),
                ssh_port: 22,
                status: "unknown".parse().unwrap(),
                last_seen_at: None,
            },
        )
        .await
        .unwrap();
        (held, store, cluster, host)
    });
    let cycle = |status: &str| {
        let (store, info) = (store.clone(), info.to_owned());
        let status = status.to_owned();
        async move {
            let snap = snapshot(host, &info, &status);
            let mut tx = store.begin().await.unwrap();
            let r = reconcile(&mut tx, cluster, &snap, chrono::Utc::now())
                .await
                .unwrap();
            tx.commit().await.unwrap();
            r.writes
        }
    };
    rt.block_on(cycle(&statuses[0]));
    let engine = engine.name();
    group.bench_with_input(
        BenchmarkId::new(format!("{engine}/idle"), bricks),
        &bricks,
        |b, _| b.to_async(rt).iter(|| cycle(&statuses[0])),
    );
    let mut flip = 0usize;
    group.bench_with_input(
        BenchmarkId::new(format!("{engine}/all-counters-changed"), bricks),
        &bricks,
        |b, _| {
            b.to_async(rt).iter(|| {
                flip ^= 1;
                cycle(&statuses[flip])
            })
        },
    );
    rt.block_on(drop_db(held, store));
}

criterion_group!(benches, bench);
criterion_main!(benches);
