//! The two-cluster lab (`scripts/gluster-lab2.sh`) as the tests drive it: the script, gluster
//! on one node as an admin there, and nodes brought back whatever a test did.
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

pub fn lab2_path() -> &'static str {
    concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/gluster-lab2.sh")
}

/// Where the lab keeps each node's state (`LAB2_STATE` of the script): NODE/glusterd,
/// NODE/ssh (its root's .ssh), NODE/log.
pub fn lab2_state() -> &'static str {
    "/var/lib/georep-lab/clusters"
}

/// `bash scripts/gluster-lab2.sh ARGS…`, asserted to succeed; its stdout.
pub fn lab2(args: &[&str]) -> String {
    let t0 = Instant::now();
    let out = Command::new("bash")
        .arg(lab2_path())
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "gluster-lab2.sh {args:?}: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!(
        "timing: gluster-lab2.sh {args:?}: {} ms",
        t0.elapsed().as_millis()
    );
    stdout
}

/// `gluster --mode=script --xml ARGS…` on NODE (out of band, as an admin on that node).
pub fn node_cli(node: &str, args: &[&str]) -> String {
    let mut all = vec!["exec", node, "gluster", "--mode=script", "--xml"];
    all.extend_from_slice(args);
    let out = Command::new("bash")
        .arg(lab2_path())
        .args(&all)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Texts of every `<tag>` in `xml`, in order.
pub fn texts(xml: &str, tag: &str) -> Vec<String> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    xml.split(&open)
        .skip(1)
        .filter_map(|s| s.split(&close).next())
        .map(str::to_owned)
        .collect()
}

/// Brings stopped nodes back whatever happened, so the lab is left usable.
pub struct NodesBack(pub Vec<&'static str>);

impl Drop for NodesBack {
    fn drop(&mut self) {
        for n in &self.0 {
            let _ = Command::new("bash")
                .arg(lab2_path())
                .args(["node-start", n])
                .output();
        }
    }
}

/// A glusterfs mount of VOLUME from HOST on this machine (`/mnt/georep-TAG/VOLUME`: each test
/// its own), unmounted when dropped.
pub struct Mount(pub PathBuf);

impl Mount {
    pub fn new(tag: &str, host: &str, volume: &str) -> Mount {
        let dir = PathBuf::from(format!("/mnt/georep-{tag}/{volume}"));
        let _ = Command::new("umount").arg("-l").arg(&dir).status();
        std::fs::create_dir_all(&dir).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "glusterfs", &format!("{host}:/{volume}")])
            .arg(&dir)
            .status()
            .unwrap()
            .success();
        assert!(ok, "mount {host}:/{volume}");
        Mount(dir)
    }

    pub fn write(&self, name: &str, text: &str) {
        std::fs::write(self.0.join(name), text)
            .unwrap_or_else(|e| panic!("write {name} on {}: {e}", self.0.display()));
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// The lab's pools registered in the database `db` with the georep CLI, over ssh: `site-a` by
/// node1 (the master pool), `site-b` by node3 (the slave pool).
pub fn register_sites(db: &std::path::Path) {
    for (name, host) in [("site-a", "node1"), ("site-b", "node3")] {
        super::georep_ok(
            db,
            &[
                "cluster",
                "add",
                "--name",
                name,
                "--host",
                host,
                "--connection",
                "ssh",
            ],
        );
    }
}

/// Where the lab keeps the bricks: `BRICKS/NODE/VOLUME/b1` (`LAB2_ROOT` of the script).
pub const BRICKS: &str = "/srv/georep-lab2";

/// The text of NAME on the first brick of VOLUME (on NODES) that has it.
pub fn on_brick(nodes: &[&str], volume: &str, name: &str) -> Option<String> {
    nodes.iter().find_map(|n| {
        std::fs::read_to_string(
            std::path::Path::new(BRICKS)
                .join(n)
                .join(volume)
                .join("b1")
                .join(name),
        )
        .ok()
    })
}

/// Waits until NAME holds TEXT on a brick of VOLUME.
pub async fn arrives(
    nodes: &[&str],
    volume: &str,
    name: &str,
    text: &str,
    budget: std::time::Duration,
) {
    let t0 = Instant::now();
    while on_brick(nodes, volume, name).as_deref() != Some(text) {
        assert!(
            t0.elapsed() < budget,
            "{name} = {text:?} did not reach {volume} within {budget:?}: {:?}",
            on_brick(nodes, volume, name)
        );
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
}

/// A fresh write on the master reaches the slave: NAME written with TEXT through a mount of
/// node1 (`Mount` under TAG) of c2master, then on node3's brick of c2slave. glusterfs 10.3
/// stalls a worker's live changelog delivery now and then (FINDINGS P10), mid-run too: when
/// the file has not arrived after 60 s, georep's own remedy runs as an admin would ask for it
/// (a probe of session S, which finds the stall, then the guided restart), and the file must
/// arrive after that.
pub async fn replicates(api: &super::rest::Rest, s: &str, tag: &str, name: &str, text: &str) {
    let mnt = Mount::new(tag, "node1", "c2master");
    mnt.write(name, text);
    drop(mnt);
    let t0 = Instant::now();
    while t0.elapsed() < std::time::Duration::from_secs(60) {
        if on_brick(&["node3"], "c2slave", name).as_deref() == Some(text) {
            eprintln!(
                "timing: {name} on the slave after {} ms",
                t0.elapsed().as_millis()
            );
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    let probe = api
        .call(reqwest::Method::POST, &format!("{s}/probe"), None)
        .await;
    eprintln!(
        "{name} not replicated within 60 s: probe {} {}",
        probe.status, probe.text
    );
    if probe.text.contains("stalled") {
        let restart = api
            .call(reqwest::Method::POST, &format!("{s}/restart-stalled"), None)
            .await;
        assert_eq!(restart.status, 200, "{}", restart.text);
    }
    arrives(
        &["node3"],
        "c2slave",
        name,
        text,
        std::time::Duration::from_secs(180),
    )
    .await;
}
