//! What the integration tests share: the lab host, the raw CLI, the lab script and the labs'
//! locks; the georep binary, its CLI and a server of it on port 0.
pub mod lab2;
pub mod rest;

use std::fs::File;
use std::process::Command;

pub fn host() -> String {
    std::env::var("LAB_HOST").unwrap_or_else(|_| {
        String::from_utf8(Command::new("hostname").output().unwrap().stdout)
            .unwrap()
            .trim()
            .to_owned()
    })
}

/// The raw gluster CLI as an admin would type it (`gluster --mode=script ARGS…`, out of band
/// for georep): success and stdout followed by stderr. glusterd refuses any command while
/// another holds its cluster lock (a background sync's status read, gsyncd's own calls), and
/// an admin would simply retry, so this does too. So for a request the CLI gave up on after its
/// 120 s: a CI run saw glusterd answer nothing for two minutes while a georep's status read and
/// a geo-replication create (whose staging asks glusterd again, through gsyncd) ran together;
/// the create failed in staging and made nothing, and a second try is what an admin would do.
pub fn gluster(args: &[&str]) -> (bool, String) {
    let mut timed_out = 0;
    for attempt in 1.. {
        let out = Command::new("gluster")
            .arg("--mode=script")
            .args(args)
            .output()
            .expect("gluster CLI");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        // a session's status while another command holds the master volume's lock: the bare
        // "geo-replication command failed" (see `GlusterError::is_bare_georep_failure`)
        let busy = georep::gluster::is_lock_conflict(&text)
            || text.trim() == "geo-replication command failed";
        if !out.status.success() && text.contains("Request timed out") && timed_out < 2 {
            timed_out += 1;
            continue;
        }
        if out.status.success() || !busy || attempt == 20 {
            return (out.status.success(), text);
        }
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
    unreachable!()
}

/// `gluster --mode=script --xml ARGS…`'s output (retried while glusterd is busy).
pub fn gluster_xml(args: &[&str]) -> String {
    let mut all = vec!["--xml"];
    all.extend_from_slice(args);
    gluster(&all).1
}

/// gluster's own value of an option of the session `mastervol → HOST::slave` (its `config`).
/// A refused read (glusterd busy in a way the CLI reports otherwise, e.g. right after a
/// create) is retried like an admin would; the key absent from a good answer is None.
pub fn session_option(slave: &str, key: &str) -> Option<String> {
    let slave = format!("{}::{slave}", host());
    let mut xml = String::new();
    for _ in 0..20 {
        xml = gluster_xml(&["volume", "geo-replication", "mastervol", &slave, "config"]);
        if xml.contains("<opRet>0</opRet>") {
            break;
        }
        eprintln!("session_option: gluster refused, retrying: {}", xml.trim());
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    let open = format!("<{key}>");
    let start = xml.find(&open)? + open.len();
    Some(xml[start..].split('<').next()?.to_owned())
}

/// `bash scripts/gluster-lab.sh ARGS…`, asserted to succeed.
pub fn lab_script(args: &[&str]) {
    let out = Command::new("bash")
        .arg(lab_script_path())
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "gluster-lab.sh {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

pub fn lab_script_path() -> &'static str {
    concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/gluster-lab.sh")
}

/// `bash scripts/gluster-lab.sh volume-delete SLAVE` when dropped, however the test ends:
/// the test's own slave volume and any session on it are gone.
pub struct DeleteVolume(pub &'static str);

impl Drop for DeleteVolume {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(lab_script_path())
            .args(["volume-delete", self.0])
            .output();
    }
}

/// The lab is one glusterd for the whole machine: every test that changes it holds this
/// lock (across the test threads of this process, other test processes and the other
/// worktrees' runs, so parallel runs cannot trip over each other's geo-rep transactions).
/// Blocking: take it from `spawn_blocking` or before the runtime.
pub struct LabLock(#[allow(dead_code)] File); // held until dropped, never read

pub fn lab_lock() -> LabLock {
    lock_file("/var/lib/georep-lab/tests.lock")
}

/// An exclusive `flock` on PATH (made if need be), waited for. `flock` locks belong to the
/// open file, not to the process: each call opens the file anew, so a second taker waits
/// even on another thread of this same process (a POSIX `fcntl` lock would not exclude it).
fn lock_file(path: &str) -> LabLock {
    std::fs::create_dir_all(std::path::Path::new(path).parent().unwrap()).unwrap();
    let f = File::create(path).unwrap();
    f.lock()
        .unwrap_or_else(|e| panic!("lab test lock {path}: {e}"));
    LabLock(f)
}

pub async fn lab_lock_async() -> LabLock {
    tokio::task::spawn_blocking(lab_lock).await.unwrap()
}

/// The two-cluster lab (`scripts/gluster-lab2.sh`) shares nothing with the single-machine
/// lab (its nodes run their own glusterd in their own namespaces): its tests take this lock
/// instead, so they neither wait for nor disturb the single-machine lab's tests.
pub async fn lab2_lock_async() -> LabLock {
    tokio::task::spawn_blocking(|| lock_file("/var/lib/georep-lab/clusters/tests.lock"))
        .await
        .unwrap()
}

/// The labs' locks exclude the test threads of one process from each other (all the tests
/// are one binary now), shown on a lock file of its own.
#[test]
fn lab_locks_exclude_threads_of_this_process() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tests.lock");
    let path = path.to_str().unwrap().to_owned();
    let held = lock_file(&path);
    let (tx, rx) = std::sync::mpsc::channel();
    let waiter = {
        let path = path.clone();
        std::thread::spawn(move || {
            let second = lock_file(&path);
            tx.send(()).unwrap();
            drop(second);
        })
    };
    assert!(
        rx.recv_timeout(std::time::Duration::from_millis(300))
            .is_err(),
        "a second thread took the lock while it was held"
    );
    drop(held);
    rx.recv_timeout(std::time::Duration::from_secs(10))
        .expect("the second thread gets the lock once it is released");
    waiter.join().unwrap();
}

/// A `georep serve` on port 0 over `db`: the child, its base URL and its log lines so far.
pub struct Served {
    pub child: std::process::Child,
    pub base: String,
    pub log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // a failed test shows what its server said last (a 503's "see the server log")
        if std::thread::panicking() {
            let log = self.log.lock().unwrap_or_else(|e| e.into_inner());
            let tail = &log[log.len().saturating_sub(40)..];
            eprintln!(
                "--- the last {} lines of georep's log:\n{}",
                tail.len(),
                tail.join("\n")
            );
        }
    }
}

/// Whether this run's tests put georep on PostgreSQL (`GEOREP_TEST_ENGINE=postgres`, with the
/// server scripts/pg.sh started in `GEOREP_TEST_PG`) instead of SQLite files.
pub fn on_postgres() -> bool {
    std::env::var("GEOREP_TEST_ENGINE").is_ok_and(|e| e == "postgres")
}

/// Whether a PostgreSQL server is given for the tests (`GEOREP_TEST_PG`); when it is not, a
/// test that needs one says so and passes, unless `GEOREP_REQUIRE_PG` (scripts/test.sh) is set.
pub fn pg_given(test: &str) -> bool {
    if std::env::var_os("GEOREP_TEST_PG").is_some() {
        return true;
    }
    assert!(
        std::env::var_os("GEOREP_REQUIRE_PG").is_none(),
        "{test}: GEOREP_REQUIRE_PG is set but GEOREP_TEST_PG is not"
    );
    eprintln!("{test}: not run: no PostgreSQL (GEOREP_TEST_PG; scripts/pg.sh)");
    false
}

/// What georep is given as `--database` for a test's database file `db`: the file, or on
/// PostgreSQL (`on_postgres`, or a file named `*.pg`) a database of its own named after the
/// file (made on first use, with psql). Two `*.pg` files of the same name in two folders are
/// one database: two georep processes, each with its own folder, sharing it.
pub fn database_arg(db: &std::path::Path) -> std::ffi::OsString {
    let named_pg = db.extension().is_some_and(|e| e == "pg");
    if !on_postgres() && !named_pg {
        return db.into();
    }
    use std::hash::{Hash, Hasher};
    let server = std::env::var("GEOREP_TEST_PG")
        .expect("a PostgreSQL test needs GEOREP_TEST_PG (scripts/pg.sh)");
    let mut h = std::collections::hash_map::DefaultHasher::new();
    if named_pg {
        db.file_name().hash(&mut h);
    } else {
        db.hash(&mut h);
    }
    let name = format!("t_{:016x}", h.finish());
    let psql = |sql: String| {
        let out = Command::new("psql")
            .args([server.as_str(), "-qAt", "-v", "ON_ERROR_STOP=1", "-c", &sql])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "psql: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    if psql(format!(
        "SELECT 1 FROM pg_database WHERE datname = '{name}'"
    ))
    .is_empty()
    {
        psql(format!("CREATE DATABASE {name} TEMPLATE template0"));
    }
    let (base, _) = server.rsplit_once('/').unwrap();
    format!("{base}/{name}").into()
}

/// The engine a test puts georep's store on (the lifecycle and health suites run on both in
/// one run; the rest on SQLite, or all on PostgreSQL with `GEOREP_TEST_ENGINE=postgres`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// A test's database file in DIR on ENGINE, as `database_arg` reads it: on PostgreSQL a
/// `*.pg` named after DIR, so a database of the test's own.
pub fn db_on(dir: &std::path::Path, engine: Engine) -> std::path::PathBuf {
    match engine {
        Engine::Sqlite => dir.join("georep.db"),
        Engine::Postgres => dir.join(format!("{}.pg", dir.file_name().unwrap().to_string_lossy())),
    }
}

/// Two tests that run INNER (an `async fn(Engine)`) on each engine: SQLITE on SQLite,
/// POSTGRES on PostgreSQL (when `pg_given`), on the multi-threaded runtime of the lab tests.
#[allow(unused_macros)] // benches/actions.rs includes this module and runs no engine pair
macro_rules! on_both_engines {
    ($sqlite:ident, $postgres:ident => $inner:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn $sqlite() {
            $inner(crate::common::Engine::Sqlite).await
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn $postgres() {
            if crate::common::pg_given(stringify!($postgres)) {
                $inner(crate::common::Engine::Postgres).await
            }
        }
    };
}

/// The store of a test's database file `db` (on PostgreSQL: the database `database_arg` names).
pub async fn open_store(db: &std::path::Path) -> georep::store::Store {
    let arg = database_arg(db);
    georep::store::Store::open_any(std::path::Path::new(&arg))
        .await
        .unwrap()
}

/// The georep binary on `db` (no address or admin password from the caller's environment,
/// no config file, not even the machine's /etc/georep/georep.toml; its log filter is
/// `GEOREP_TEST_LOG`, e.g. `info,georep::gluster=debug` to see each call).
pub fn georep(db: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_georep"));
    cmd.env_remove("GEOREP_LISTEN")
        .env_remove("GEOREP_DATABASE")
        .env_remove("GEOREP_ADMIN_PASSWORD")
        .env("GEOREP_CONFIG", "/dev/null")
        .env(
            "RUST_LOG",
            std::env::var("GEOREP_TEST_LOG").unwrap_or("info".into()),
        )
        .arg("--database")
        .arg(database_arg(db))
        .arg("--state-dir")
        .arg(db.parent().unwrap());
    cmd
}

/// `georep ARGS…` on `db`, asserted to succeed: its stdout, trimmed (a drawn token, …).
pub fn georep_ok(db: &std::path::Path, args: &[&str]) -> String {
    let out = georep(db).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "georep {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// `georep user add NAME --role ROLE --password-stdin` with `password`.
pub fn add_user(db: &std::path::Path, name: &str, role: &str, password: &str) {
    use std::io::Write;
    let mut add = georep(db)
        .args(["user", "add", name, "--role", role, "--password-stdin"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(add.stdin.take().unwrap(), "{password}").unwrap();
    assert!(add.wait_with_output().unwrap().status.success());
}

/// Starts `georep [global…] serve --listen 127.0.0.1:0 [serve…]` with the first admin's
/// password and waits for the address it logs.
pub fn serve(
    db: &std::path::Path,
    global: &[&str],
    serve: &[&str],
    admin_password: &str,
) -> Served {
    serve_log(db, global, serve, admin_password, None)
}

/// `serve` with its own log filter (`RUST_LOG`) when `log` is given.
pub fn serve_log(
    db: &std::path::Path,
    global: &[&str],
    serve: &[&str],
    admin_password: &str,
    log: Option<&str>,
) -> Served {
    use std::io::BufRead;
    let site = db.parent().unwrap();
    let mut cmd = georep(db);
    if let Some(filter) = log {
        cmd.env("RUST_LOG", filter);
    }
    let mut child = cmd
        .env("GEOREP_ADMIN_PASSWORD", admin_password)
        .args(global)
        .args(["serve", "--listen", "127.0.0.1:0", "--site-root"])
        .arg(site)
        .args(serve)
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let lines = log.clone();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            // http:// or https://
            if let Some(at) = line.find("listening on http") {
                let _ = tx.send(line[at + "listening on ".len()..].trim().to_owned());
            }
            lines.lock().unwrap().push(line);
        }
    });
    let base = rx
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("server did not start");
    Served { child, base, log }
}

/// `serve` for a lab test of DR operations: a sync every 2 s, no scheduled probe (the test's
/// own are the only checkpoints), alerts to `hook`, gluster calls up to 60 s.
pub fn serve_alerting(db: &std::path::Path, hook: &str, admin_password: &str) -> Served {
    // its own probe folder: a server of another test owning the shared one sweeps mounts it
    // did not make
    serve_apart(
        db,
        &["--gluster-timeout", "60"],
        &[
            "--sync-interval",
            "2",
            "--probe-interval",
            "0",
            "--alert-webhook",
            hook,
        ],
        admin_password,
    )
}

/// `serve` for a server that never reaches the lab (a fake gluster or none): its probe mount
/// folder is its own, beside `db`. Every georep's health scheduler claims its mount folder
/// and then unmounts the mounts there its own database does not need; with the default
/// folder such a server, running at the same time as a lab test in this process, could
/// unmount that test's probe mount under /run/georep/probe.
pub fn serve_apart(
    db: &std::path::Path,
    global: &[&str],
    serve_args: &[&str],
    admin_password: &str,
) -> Served {
    serve_apart_log(db, global, serve_args, admin_password, None)
}

/// `serve_apart` with its own log filter when `log` is given.
pub fn serve_apart_log(
    db: &std::path::Path,
    global: &[&str],
    serve_args: &[&str],
    admin_password: &str,
    log: Option<&str>,
) -> Served {
    let probes = db.parent().unwrap().join("probe");
    let mut args = vec!["--probe-mount-dir", probes.to_str().unwrap()];
    args.extend_from_slice(serve_args);
    serve_log(db, global, &args, admin_password, log)
}

/// Writes the script TEXT to PATH, executable (a fake `gluster`). A child process writes it:
/// written from this process, the file would be open for writing in any child another test
/// thread forks meanwhile, until that child's exec, and running the script then fails with
/// ETXTBSY ("Text file busy"), the hazard of writing and running a file in a process that
/// forks on several threads (all the tests are one process).
pub fn write_executable(path: &std::path::Path, text: &str) {
    use std::io::Write;
    let mut child = Command::new("sh")
        .args(["-c", r#"cat > "$1" && chmod 755 "$1""#, "sh"])
        .arg(path)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("sh");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    assert!(
        child.wait().unwrap().success(),
        "writing {}",
        path.display()
    );
}

/// Registers the lab's glusterd (this machine, local CLI) as cluster "lab".
pub async fn register_lab(service: &georep::service::Service) {
    let lab = app::domain::NewCluster {
        name: "lab".into(),
        description: String::new(),
        host: host(),
        connection: app::domain::Connection::Local,
        ssh_user: None,
        ssh_port: None,
    };
    service
        .register_cluster("tests", lab, true)
        .await
        .expect("the lab answers: run scripts/gluster-lab.sh up first");
}

/// A loopback webhook receiver: its URL, and the JSON bodies it got.
pub async fn receiver() -> (
    String,
    std::sync::Arc<std::sync::Mutex<Vec<serde_json::Value>>>,
) {
    let got: std::sync::Arc<std::sync::Mutex<Vec<serde_json::Value>>> = Default::default();
    let g = got.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |axum::Json(v): axum::Json<serde_json::Value>| {
            let g = g.clone();
            async move {
                g.lock().unwrap().push(v);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/hook"), got)
}

/// `mastervol → HOST::slave`'s workers as gluster's status detail shows them now.
pub fn cli_pairs(slave: &str) -> Vec<georep::gluster::model::GeorepPair> {
    let xml = cli_raw(slave);
    georep::gluster::parse::parse_georep_status(&xml)
        .map(|s| s.sessions().flat_map(|(_, s)| s.pairs.clone()).collect())
        .unwrap_or_default()
}

/// gluster's status detail of `mastervol → HOST::slave`, verbatim.
pub fn cli_raw(slave: &str) -> String {
    gluster_xml(&[
        "volume",
        "geo-replication",
        "mastervol",
        &format!("{}::{slave}", host()),
        "status",
        "detail",
    ])
}

/// What gluster itself says about the session `mastervol -> HOST::slave`: its workers'
/// statuses (empty: no such session).
pub fn georep_statuses(slave: &str) -> Vec<String> {
    let xml = gluster_xml(&[
        "volume",
        "geo-replication",
        "mastervol",
        &format!("{}::{slave}", host()),
        "status",
    ]);
    xml.split("<status>")
        .skip(1)
        .filter_map(|s| s.split("</status>").next())
        .map(str::to_owned)
        .collect()
}

/// The href of the lab's `mastervol` once the sync of `base` (a server whose admin has
/// `password`) lists it and `slave` on its first cluster.
pub async fn mastervol_href(base: &str, password: &str, slave: &str) -> String {
    let get = |path: String| async move {
        let text = reqwest::Client::new()
            .get(format!("{base}{path}"))
            .basic_auth("admin", Some(password))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        text
    };
    let clusters: georep::api::docs::Clusters =
        quick_xml::de::from_str(&get("/api/clusters".into()).await).unwrap();
    let cluster = clusters.clusters[0].href.clone();
    let t0 = std::time::Instant::now();
    loop {
        let vols: georep::api::docs::Volumes =
            quick_xml::de::from_str(&get(format!("{cluster}/glustervolumes")).await).unwrap();
        let has = |n: &str| {
            vols.volumes
                .iter()
                .find(|v| v.name == n)
                .map(|v| v.href.clone())
        };
        if let (Some(m), Some(_)) = (has("mastervol"), has(slave)) {
            return m;
        }
        assert!(
            t0.elapsed() < std::time::Duration::from_secs(30),
            "volumes not synced"
        );
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
}

/// The href of volume `name` once georep's sync lists it (a new one: another id).
pub async fn volume_href(api: &rest::Rest, cluster: &str, name: &str, not: Option<&str>) -> String {
    let t0 = std::time::Instant::now();
    loop {
        let vols: georep::api::docs::Volumes = api.get(&format!("{cluster}/glustervolumes")).await;
        if let Some(v) = vols
            .volumes
            .iter()
            .find(|v| v.name == name && Some(v.href.as_str()) != not)
        {
            return v.href.clone();
        }
        assert!(
            t0.elapsed() < std::time::Duration::from_secs(60),
            "{name} not synced"
        );
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
}

/// `gluster --mode=script WORDS`, which must succeed.
pub fn gluster_ok(words: &[&str]) {
    let (ok, out) = gluster(words);
    assert!(ok, "gluster {words:?}: {out}");
}

/// A georep of its own over the lab (registered as `lab`): `sync_interval` seconds between
/// cycles, no probes; its REST API as the admin and the lab cluster's href.
pub struct LabServer {
    // dropped first: the server before its folder
    pub served: Served,
    pub api: rest::Rest,
    pub cluster: String,
    pub _dir: tempfile::TempDir,
}

pub async fn lab_server(sync_interval: &str, password: &str) -> LabServer {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("georep.db");
    georep_ok(&db, &["cluster", "add", "--name", "lab", "--host", &host()]);
    let served = serve_apart(
        &db,
        &["--gluster-timeout", "60"],
        &["--sync-interval", sync_interval, "--probe-interval", "0"],
        password,
    );
    let api = rest::Rest::new(&served.base, password);
    let clusters: georep::api::docs::Clusters = api.get("/api/clusters").await;
    let cluster = clusters.clusters[0].href.clone();
    LabServer {
        served,
        api,
        cluster,
        _dir: dir,
    }
}

/// The audit trail of session `id`, newest first, at most `limit` events.
pub async fn session_events(
    service: &georep::service::Service,
    id: uuid::Uuid,
    limit: i64,
) -> Vec<app::domain::Event> {
    service
        .events(
            &app::domain::EventFilter::of_session(id),
            app::domain::EventCursor::Newest,
            limit,
        )
        .await
        .unwrap()
        .events
}

/// Sets the session at HREF S to sync with tarssh through REST (Debian's rsync 3.5 syncs empty
/// files: FINDINGS P8), which must answer 200.
/// Creates (through `api`, with force) the session `master` (a volume's href) → this host's
/// volume `slave`, and finds it through `reader` (the same server, or another on the same
/// database): its href and id.
pub async fn create_lab_session(
    api: &rest::Rest,
    reader: &rest::Rest,
    master: &str,
    slave: &str,
) -> (String, uuid::Uuid) {
    let created = api
        .call(
            reqwest::Method::POST,
            &format!("{master}/georeplication-sessions"),
            Some(&format!(
                "<georeplication-session><slave_host_name>{}</slave_host_name><slavevolume>{slave}</slavevolume><force>true</force></georeplication-session>",
                host()
            )),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let list: georep::api::docs::Sessions = reader
        .get(&format!("{master}/georeplication-sessions"))
        .await;
    let doc = list
        .sessions
        .iter()
        .find(|s| s.slavevolume == slave)
        .expect("the session just created");
    (doc.href.clone(), doc.id)
}

pub async fn set_tarssh(api: &rest::Rest, s: &str) {
    set_option(api, s, "sync_method", "tarssh").await
}

/// `PUT S/options/KEY` with VALUE through API, asserted to succeed.
pub async fn set_option(api: &rest::Rest, s: &str, key: &str, value: &str) {
    let set = api
        .call(
            reqwest::Method::PUT,
            &format!("{s}/options/{key}"),
            Some(&format!("<option><value>{value}</value></option>")),
        )
        .await;
    assert_eq!(set.status, 200, "{}", set.text);
}
