//! `georep install` into a temporary root, the installed binary started as its systemd unit
//! would start it (its `ExecStart`, the installed config file), `/healthz` and the installed
//! site answered, a SIGTERM, an upgrade, `uninstall` and `uninstall --purge`.
use std::io::BufRead;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common;
use georep::install::{under, BINARY, CONFIG_FILE, DATA_DIR, SHARE, SITE, UNIT_FILE};

const HASH: &str = "aW5zdGFsbGVkc2l0ZTEyMzQ";
const ADMIN_PW: &str = "install-admin-pw";

/// `georep ARGS…` (the built binary, no config file of the machine's): its output.
fn georep(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_georep"))
        .env("GEOREP_CONFIG", "/dev/null")
        .args(args)
        .output()
        .unwrap()
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

/// Every file (not folder) under `dir`.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() && !p.is_symlink() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// A site as `cargo leptos build --release` leaves it: `pkg/` with a hashed wasm, and the
/// hash file (here in the site; cargo-leptos puts it beside the binary).
fn built_site(dir: &Path) -> (PathBuf, Vec<u8>) {
    let site = dir.join("site");
    std::fs::create_dir_all(site.join("pkg")).unwrap();
    let wasm = b"\0asm\x01\0\0\0installed".to_vec();
    std::fs::write(site.join(format!("pkg/georep.{HASH}.wasm")), &wasm).unwrap();
    std::fs::write(
        site.join("hash.txt"),
        format!("js: J{HASH}\nwasm: {HASH}\ncss: C{HASH}\n"),
    )
    .unwrap();
    (site, wasm)
}

/// The unit's `ExecStart` as an argv.
fn exec_start(unit: &str) -> Vec<String> {
    let line = unit
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .expect("the unit has an ExecStart");
    line.split_whitespace().map(str::to_owned).collect()
}

/// The installed unit passes `systemd-analyze verify` (where systemd is installed, as on the
/// CI machines): a copy whose ExecStart names the binary under `root` (verify checks that it
/// exists), warnings on stderr count as failures (verify exits 0 on an unknown key).
fn verify_unit(root: &Path, unit: &str) {
    let analyze = Path::new("/usr/bin/systemd-analyze");
    if !analyze.exists() {
        eprintln!("no systemd-analyze: the unit is not verified");
        return;
    }
    let copy = root.join("verify/georep.service");
    std::fs::create_dir_all(copy.parent().unwrap()).unwrap();
    let installed = under(root, BINARY);
    std::fs::write(
        &copy,
        unit.replace(
            &format!("ExecStart={BINARY}"),
            &format!("ExecStart={}", installed.display()),
        ),
    )
    .unwrap();
    let out = Command::new(analyze)
        .args(["verify", "--man=no"])
        .arg(&copy)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && err.trim().is_empty(), "{err}");
    std::fs::remove_dir_all(copy.parent().unwrap()).unwrap();
}

/// The installed binary started as the unit starts it, with the paths under `root`. The
/// config file it reads sets `listen` (port 0); the database and the site come from
/// variables (which win over the file: the file names the final paths), the probe's mounts
/// in `probe` (what the unit's RuntimeDirectory, removed at the stop, holds).
fn start_as_the_unit(root: &Path, probe: &Path) -> common::Served {
    let unit = std::fs::read_to_string(under(root, UNIT_FILE)).unwrap();
    let argv = exec_start(&unit);
    let mut child = Command::new(under(root, &argv[0]))
        .args(argv[1..].iter().map(|a| {
            if a.starts_with('/') {
                under(root, a).into_os_string()
            } else {
                a.into()
            }
        }))
        .env_remove("GEOREP_LISTEN")
        .env_remove("GEOREP_CONFIG")
        .env("GEOREP_DATABASE", under(root, DATA_DIR).join("georep.db"))
        .env("GEOREP_SITE_ROOT", under(root, SITE))
        .env("GEOREP_PROBE_MOUNT_DIR", probe)
        .env("GEOREP_ADMIN_PASSWORD", ADMIN_PW)
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    let mut log = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while let Ok(line) = rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        let at = line
            .find("listening on http://")
            .map(|at| at + "listening on ".len());
        log.push(line.clone());
        if let Some(at) = at {
            // the reader goes on draining the pipe, its sends unheard
            let base = line[at..].trim().to_owned();
            let log = std::sync::Arc::new(std::sync::Mutex::new(log));
            return common::Served { child, base, log };
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the installed georep did not start: {log:#?}");
}

#[tokio::test]
async fn install_start_answer_upgrade_uninstall() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let (site, wasm) = built_site(dir.path());
    let root_arg = root.to_str().unwrap();
    let site_arg = site.to_str().unwrap();

    // no site, no install: nothing is written
    let out = georep(&["install", "--root", root_arg, "--site", "/nonexistent"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no built site in /nonexistent"), "{err}");
    assert!(!root.exists(), "nothing installed without a site");

    let out = georep(&["install", "--root", root_arg, "--site", site_arg]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8(out.stdout).unwrap();
    for (what, path) in [
        ("installed", BINARY),
        ("installed", SITE),
        ("installed", UNIT_FILE),
        ("installed", CONFIG_FILE),
        ("made", DATA_DIR),
    ] {
        let line = format!("{what}\t{}", under(&root, path).display());
        assert!(said.lines().any(|l| l == line), "{line:?} in {said}");
    }
    // the binary is this build, executable; the site carries its hashed names
    let binary = under(&root, BINARY);
    assert_eq!(mode(&binary), 0o755);
    assert_eq!(
        std::fs::metadata(&binary).unwrap().len(),
        std::fs::metadata(env!("CARGO_BIN_EXE_georep"))
            .unwrap()
            .len()
    );
    let installed_site = under(&root, SITE);
    assert_eq!(
        std::fs::read(installed_site.join(format!("pkg/georep.{HASH}.wasm"))).unwrap(),
        wasm
    );
    assert!(installed_site.join("hash.txt").is_file());
    assert_eq!(mode(&under(&root, DATA_DIR)), 0o700);
    assert_eq!(
        std::fs::read_to_string(under(&root, CONFIG_FILE)).unwrap(),
        georep::install::CONFIG
    );

    // the unit: root, hardened as far as mounting and ssh allow, restarted on failure
    let unit = std::fs::read_to_string(under(&root, UNIT_FILE)).unwrap();
    assert_eq!(unit, georep::install::UNIT);
    assert_eq!(
        exec_start(&unit),
        [BINARY, "--config", CONFIG_FILE, "serve"]
    );
    for line in [
        "Restart=on-failure",
        "User=root",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ProtectHome=read-only",
        "PrivateTmp=yes",
        "StateDirectory=georep",
        "DeviceAllow=/dev/fuse rw",
    ] {
        assert!(unit.lines().any(|l| l == line), "{line} in the unit");
    }
    verify_unit(&root, &unit);

    // the installed config file is read: `listen` set there, no flag or variable gives it
    let config = under(&root, CONFIG_FILE);
    let mut text = std::fs::read_to_string(&config).unwrap();
    text = text.replace("# listen = \"127.0.0.1:3000\"", "listen = \"127.0.0.1:0\"");
    std::fs::write(&config, &text).unwrap();

    // killed when dropped, should an assertion fail while it runs
    let mut served = start_as_the_unit(&root, &dir.path().join("probe"));
    let base = served.base.clone();
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    assert!(!base.ends_with(":3000") && !base.ends_with(":0"), "{base}");
    let r = reqwest::get(format!("{base}/healthz")).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "ok\n");
    // the installed site: its hashed wasm kept a year, and linked by the pages
    let r = reqwest::get(format!("{base}/pkg/georep.{HASH}.wasm"))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(r.bytes().await.unwrap().as_ref(), wasm.as_slice());
    let page = reqwest::get(format!("{base}/login"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(&format!("/pkg/georep.{HASH}.wasm")), "{page}");
    // the database in the installed data folder, the admin from the variable
    assert!(under(&root, DATA_DIR).join("georep.db").is_file());
    let r = reqwest::Client::new()
        .get(format!("{base}/api/clusters"))
        .basic_auth("admin", Some(ADMIN_PW))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // systemd stops it with SIGTERM: a clean exit
    // SAFETY: kill(2) on the child this test started and has not yet waited for.
    assert_eq!(
        unsafe { libc::kill(served.child.id() as i32, libc::SIGTERM) },
        0
    );
    let t0 = Instant::now();
    let status = loop {
        if let Some(s) = served.child.try_wait().unwrap() {
            break s;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(15),
            "no exit after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "{status}");

    // an upgrade keeps the config file as the admin left it, and the data; a kept config the
    // new georep would refuse stops the upgrade before anything changes
    std::fs::write(&config, format!("{text}bogus = 1\n")).unwrap();
    let binary_time = std::fs::metadata(&binary).unwrap().modified().unwrap();
    let out = georep(&["install", "--root", root_arg, "--site", site_arg]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("{}: line ", config.display()))
            && err.contains("unknown key `bogus`"),
        "{err}"
    );
    assert_eq!(
        std::fs::metadata(&binary).unwrap().modified().unwrap(),
        binary_time,
        "nothing changed"
    );
    std::fs::write(&config, &text).unwrap();
    let out = georep(&["install", "--root", root_arg, "--site", site_arg]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8(out.stdout).unwrap();
    assert!(
        said.contains(&format!("kept\t{}", config.display())),
        "{said}"
    );
    assert!(
        said.contains(&format!("kept\t{}", under(&root, DATA_DIR).display())),
        "{said}"
    );
    assert_eq!(std::fs::read_to_string(&config).unwrap(), text);
    assert!(under(&root, DATA_DIR).join("georep.db").is_file());

    // uninstall: the binary, the site, the unit and its `enable` link go; config and data stay
    let wants = under(&root, "/etc/systemd/system/multi-user.target.wants");
    std::fs::create_dir_all(&wants).unwrap();
    std::os::unix::fs::symlink(UNIT_FILE, wants.join("georep.service")).unwrap();
    let out = georep(&["uninstall", "--root", root_arg]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for gone in [BINARY, SHARE, UNIT_FILE] {
        assert!(!under(&root, gone).exists(), "{gone} removed");
    }
    assert!(std::fs::symlink_metadata(wants.join("georep.service")).is_err());
    assert_eq!(std::fs::read_to_string(&config).unwrap(), text);
    let data = under(&root, DATA_DIR);
    assert!(data.join("georep.db").is_file(), "the data is kept");
    let mut left: Vec<PathBuf> = files_under(&root)
        .into_iter()
        .filter(|f| !f.starts_with(&data))
        .collect();
    left.sort();
    assert_eq!(left, std::slice::from_ref(&config));

    // --purge: the config and the data too; nothing of georep's is left
    let out = georep(&["uninstall", "--root", root_arg, "--purge"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!under(&root, "/etc/georep").exists());
    assert!(!data.exists());
    assert_eq!(files_under(&root), Vec::<PathBuf>::new());
}

/// A config file georep cannot take stops it before anything starts: one line naming the
/// file, the line and the key; exit status 1.
#[test]
fn a_bad_config_file_stops_georep_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("georep.toml");
    let db = dir.path().join("georep.db");
    for (text, says) in [
        (
            "listen = \"127.0.0.1:0\"\nsync-interval = 0\n",
            "line 2: `sync-interval`: invalid value \"0\": 0 is not in 1..=3600",
        ),
        ("sync_interval = 5\n", "line 1: unknown key `sync_interval`"),
    ] {
        std::fs::write(&file, text).unwrap();
        let out = georep(&[
            "--config",
            file.to_str().unwrap(),
            "--database",
            db.to_str().unwrap(),
            "serve",
        ]);
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with(&format!("georep: {}: {says}", file.display())),
            "{err}"
        );
        assert!(!db.exists(), "nothing opened");
    }
}

/// Without `--site`, install takes the site of the binary's own build, as cargo-leptos leaves
/// it: `target/site` beside `target/release/georep`, and the `hash.txt` beside the binary,
/// which the installed site then carries.
#[test]
fn install_takes_the_site_and_hash_file_of_its_build() {
    let dir = tempfile::tempdir().unwrap();
    let (site, wasm) = built_site(&dir.path().join("target"));
    let release = dir.path().join("target/release");
    std::fs::create_dir_all(&release).unwrap();
    std::fs::rename(site.join("hash.txt"), release.join("hash.txt")).unwrap();
    // the binary as it would be there: linked, else copied by a child process (a file this
    // process wrote could be open in a child another test thread forks: ETXTBSY on its exec,
    // see `common::write_executable`); its own path is what it looks beside
    let exe = release.join("georep");
    if std::fs::hard_link(env!("CARGO_BIN_EXE_georep"), &exe).is_err() {
        let cp = Command::new("cp")
            .arg(env!("CARGO_BIN_EXE_georep"))
            .arg(&exe)
            .status()
            .unwrap();
        assert!(cp.success());
    }
    let root = dir.path().join("root");
    let out = Command::new(&exe)
        .env("GEOREP_CONFIG", "/dev/null")
        .args(["install", "--root", root.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let installed = under(&root, SITE);
    assert_eq!(
        std::fs::read(installed.join(format!("pkg/georep.{HASH}.wasm"))).unwrap(),
        wasm
    );
    assert_eq!(
        std::fs::read_to_string(installed.join("hash.txt")).unwrap(),
        std::fs::read_to_string(release.join("hash.txt")).unwrap()
    );
}
