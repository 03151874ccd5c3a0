//! A mutation fuzzer over every parser of outside input: gluster's XML (each function of
//! `gluster::parse`, seeded with the real captured outputs in `fixtures/gluster/`), the /proc
//! and /proc/mounts readers, the REST request bodies (XML and JSON, seeded with valid and
//! hostile documents, `corpus/`), the UI's server-function arguments under `/rpc` (form bodies
//! as leptos decodes them), `Accept`, the names and option values.
//!
//! cargo-fuzz needs a nightly compiler that the build machine does not have, so this is the
//! same idea in stable Rust: seeds → random byte and token mutations (flips, inserts,
//! deletions, duplications, splices, a dictionary of XML and JSON tokens and gluster's tag
//! names) → every parser, under `catch_unwind`. A panic fails the test and keeps the input in
//! `$CARGO_TARGET_DIR/fuzz-crashes/`. Parsers must also keep their promises on whatever they
//! accept (a name never holds a shell character, a body never held a DTD).
//!
//! `cargo test` runs it for FUZZ_SECONDS (default 4) per process; `scripts/fuzz.sh` runs it
//! long. FUZZ_SEED replays a run.
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use georep::api::docs::{
    ActionBody, ClusterEditBody, NewClusterBody, NewSessionBody, OptionBody, SessionDoc, Sessions,
};
use georep::api::repr::{check_xml, parse_body, Format};
use georep::gluster::{parse, workers};
use georep::service::names::{HostName, OptionKey, UserName, VolumeName};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const SHELL: &str = ";&|$`<>(){}'\"\\ \t\n\r\0";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn read_dir(dir: &Path) -> Vec<Vec<u8>> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

/// Request bodies: valid ones of each kind and the bodies of the hostile corpus.
fn body_seeds() -> Vec<Vec<u8>> {
    let mut seeds: Vec<Vec<u8>> = [
        "<georeplication-session><slave_host_name>vm</slave_host_name><slavevolume>slavevol2</slavevolume><slave_user>root</slave_user><force>false</force><start>true</start></georeplication-session>",
        "{\"slave_host_name\":\"vm\",\"slavevolume\":\"slavevol2\",\"slave_user\":\"geo\",\"force\":true,\"start\":false}",
        "<action><force>true</force></action>",
        "<action><time>2026-11-24T08:44:35Z</time></action>",
        "{\"time\":\"now\"}",
        "<option><value>5</value></option>",
        "{\"value\":\"tarssh\"}",
        "<cluster><name>site-b</name><host>node3</host><connection>ssh</connection><ssh_user>geo</ssh_user><ssh_port>2222</ssh_port><verify>false</verify></cluster>",
        "{\"name\":\"site-c\",\"host_key\":{\"host\":\"node3\",\"fingerprint\":\"SHA256:sA55ynBTDWueQFaCi2JETzYdhAD5FM5Kkr9kvFvYxKg\"}}",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    for f in std::fs::read_dir(corpus).unwrap() {
        let p = f.unwrap().path();
        if p.extension().is_some_and(|e| e == "cases") {
            let text = std::fs::read_to_string(&p).unwrap();
            // the body of each case: after its `expect` line; macros left as they are
            for case in text.split("\n=== ") {
                if let Some((_, body)) = case.split_once("\nexpect ") {
                    if let Some((_, body)) = body.split_once('\n') {
                        if body.len() < 4096 {
                            seeds.push(body.as_bytes().to_vec());
                        }
                    }
                }
            }
        }
    }
    seeds
}

/// Tokens a mutation may insert: markup and JSON syntax, gluster's tag names and values.
fn dictionary(seeds: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let mut words: Vec<Vec<u8>> = [
        "<",
        ">",
        "</",
        "/>",
        "&",
        "&amp;",
        "&lt;",
        "&#0;",
        "&#x110000;",
        "&lol;",
        "<!DOCTYPE x [<!ENTITY lol \"lol\">]>",
        "<![CDATA[",
        "]]>",
        "<?xml version=\"1.0\"?>",
        "<?pi?>",
        "<!--",
        "-->",
        "=\"",
        "\"",
        "'",
        "xmlns:x=\"u\"",
        "{",
        "}",
        "[",
        "]",
        ":",
        ",",
        "null",
        "true",
        "false",
        "-1",
        "0",
        "18446744073709551616",
        "-9223372036854775809",
        "1e999",
        "NaN",
        "N/A",
        "\\u0000",
        "\\ud800",
        "\u{0}",
        "\u{feff}",
        "\u{202e}",
        "é",
        "::",
        "ssh://",
        "@",
        "$(id)",
        "..",
        "<opRet>-1</opRet>",
        "<opErrno>0</opErrno>",
        "<opErrstr>x</opErrstr>",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    // every tag name of the seeds, as start and end tags
    let mut names = std::collections::BTreeSet::new();
    for s in seeds {
        let text = String::from_utf8_lossy(s);
        for part in text.split('<').skip(1) {
            let name: String = part
                .trim_start_matches('/')
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
                .collect();
            if !name.is_empty() {
                names.insert(name);
            }
        }
    }
    for n in names {
        words.push(format!("<{n}>").into_bytes());
        words.push(format!("</{n}>").into_bytes());
        words.push(format!("<{n}/>").into_bytes());
    }
    words
}

struct Mutator {
    rng: StdRng,
    dict: Vec<Vec<u8>>,
}

impl Mutator {
    /// One to eight mutations of a seed, sometimes spliced with another.
    fn mutate(&mut self, seed: &[u8], other: &[u8]) -> Vec<u8> {
        let mut d = seed.to_vec();
        for _ in 0..self.rng.gen_range(1..=8) {
            let len = d.len();
            let at = if len == 0 {
                0
            } else {
                self.rng.gen_range(0..=len)
            };
            match self.rng.gen_range(0..9) {
                0 if len > 0 => {
                    let i = self.rng.gen_range(0..len);
                    d[i] ^= 1 << self.rng.gen_range(0..8);
                }
                1 if len > 0 => {
                    let i = self.rng.gen_range(0..len);
                    d[i] = self.rng.gen();
                }
                2 => {
                    let n = self.rng.gen_range(1..16);
                    let bytes: Vec<u8> = (0..n).map(|_| self.rng.gen()).collect();
                    d.splice(at..at, bytes);
                }
                3 if len > 0 => {
                    let end = (at + self.rng.gen_range(1..64)).min(len);
                    d.drain(at.min(end)..end);
                }
                4 if len > 0 => {
                    // duplicate a range (repeated elements, deeper nesting)
                    let start = self.rng.gen_range(0..len);
                    let end = (start + self.rng.gen_range(1..256)).min(len);
                    let chunk = d[start..end].to_vec();
                    for _ in 0..self.rng.gen_range(1..4) {
                        d.splice(at..at, chunk.iter().copied());
                    }
                }
                5 | 6 => {
                    let w = self.dict[self.rng.gen_range(0..self.dict.len())].clone();
                    d.splice(at..at, w);
                }
                7 if !other.is_empty() => {
                    // splice: this one's head, the other's tail
                    let from = self.rng.gen_range(0..other.len());
                    d.truncate(at);
                    d.extend_from_slice(&other[from..]);
                }
                8 => d.truncate(at),
                _ => {}
            }
        }
        d
    }
}

/// One target: a name and what it does with an input (panics on a broken promise).
/// A target returns whether anything accepted the input (how deep the mutants get).
type Target = (&'static str, Vec<Vec<u8>>, fn(&[u8]) -> bool);

fn text(d: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(d)
}

fn gluster_xml(d: &[u8]) -> bool {
    let t = text(d);
    [
        parse::check_envelope(&t).is_ok(),
        parse::parse_pool_list(&t).is_ok(),
        parse::parse_volume_info(&t).is_ok(),
        parse::parse_volume_status(&t).is_ok(),
        parse::parse_georep_status(&t).is_ok(),
        parse::parse_georep_config(&t).is_ok(),
        parse::parse_action(&t).is_ok(),
    ]
    .contains(&true)
}

fn proc_files(d: &[u8]) -> bool {
    let argv = workers::split_cmdline(d);
    let worker = workers::parse_worker(1, &argv).is_some();
    worker || !georep::gluster::mount::parse_mounts(&text(d)).is_empty()
}

fn request_bodies(d: &[u8]) -> bool {
    let mut accepted = false;
    for format in [Format::Xml, Format::Json] {
        if let Ok(b) = parse_body::<NewSessionBody>(format, d) {
            accepted = true;
            // what the service then does with the names: never a shell character through
            for n in [&b.slave_host_name, &b.slavevolume] {
                let ok = HostName::parse(n).is_ok() || VolumeName::parse(n).is_ok();
                assert!(!ok || !n.trim().contains(|c| SHELL.contains(c)), "{n:?}");
            }
        }
        accepted |= parse_body::<ActionBody>(format, d).is_ok();
        accepted |= parse_body::<OptionBody>(format, d).is_ok();
        if let Ok(b) = parse_body::<NewClusterBody>(format, d) {
            accepted = true;
            if let Ok((c, _)) = b.into_new() {
                let ok = HostName::parse(&c.host).is_ok();
                assert!(
                    !ok || !c.host.trim().contains(|c| SHELL.contains(c)),
                    "{:?}",
                    c.host
                );
            }
        }
        accepted |= parse_body::<ClusterEditBody>(format, d).is_ok();
    }
    if let Ok(t) = std::str::from_utf8(d) {
        if check_xml(t, "action").is_ok() {
            // what the check accepted holds no DTD as the XML reader sees it
            let mut r = quick_xml::Reader::from_str(t);
            while let Ok(e) = r.read_event() {
                match e {
                    quick_xml::events::Event::DocType(_) => panic!("a DTD passed the check"),
                    quick_xml::events::Event::Eof => break,
                    _ => {}
                }
            }
        }
    }
    accepted
}

fn response_docs(d: &[u8]) -> bool {
    // the documents' own deserializers (what a client of the API runs)
    let t = text(d);
    let xml = georep::xml::from_str::<SessionDoc>(&t).is_ok();
    let list = georep::xml::from_str::<Sessions>(&t).is_ok();
    xml | list | serde_json::from_slice::<SessionDoc>(d).is_ok()
}

fn headers_and_names(d: &[u8]) -> bool {
    let mut any = false;
    if let Ok(v) = axum::http::HeaderValue::from_bytes(d) {
        let mut h = axum::http::HeaderMap::new();
        h.insert(axum::http::header::ACCEPT, v);
        let _ = Format::from_headers(&h);
    }
    let t = text(d);
    for s in [&*t, t.lines().next().unwrap_or("")] {
        let accepted = [
            HostName::parse(s).map(|n| n.as_str().to_owned()),
            VolumeName::parse(s).map(|n| n.as_str().to_owned()),
            UserName::parse(s).map(|n| n.as_str().to_owned()),
            OptionKey::parse(s).map(|n| n.as_str().to_owned()),
        ];
        for n in accepted.into_iter().flatten() {
            any = true;
            assert!(
                !n.contains(|c| SHELL.contains(c)) && !n.starts_with('-'),
                "{n:?}"
            );
        }
        if let Ok(key) = OptionKey::parse("ssh_options") {
            if let Ok((_, v)) = georep::service::options::validate_set(&key, s) {
                assert!(
                    !v.contains(|c: char| ";&|$`<>(){}'\"\\\n\0".contains(c)),
                    "{v:?}"
                );
            }
        }
    }
    any
}

/// The UI's server-function arguments, decoded exactly as leptos decodes a form body
/// (`serde_qs`, depth 5, into each function's generated argument struct); what a create
/// accepts then goes through the service's names, which never pass a shell character.
fn rpc_args(d: &[u8]) -> bool {
    let t = text(d);
    let qs = serde_qs::Config::new(5, false);
    let mut accepted = false;
    if let Ok(c) = qs.deserialize_str::<app::rpc::CreateSession>(&t) {
        accepted = true;
        for n in [&c.slave_host, &c.slave_volume] {
            let ok = HostName::parse(n).is_ok() || VolumeName::parse(n).is_ok();
            assert!(!ok || !n.trim().contains(|c| SHELL.contains(c)), "{n:?}");
        }
    }
    accepted |= qs.deserialize_str::<app::rpc::SetSessionOption>(&t).is_ok();
    accepted |= qs
        .deserialize_str::<app::rpc::ResetSessionOption>(&t)
        .is_ok();
    accepted |= qs.deserialize_str::<app::rpc::SessionAction>(&t).is_ok();
    accepted |= qs.deserialize_str::<app::rpc::SetCheckpoint>(&t).is_ok();
    accepted |= qs.deserialize_str::<app::rpc::AddCluster>(&t).is_ok();
    accepted |= qs.deserialize_str::<app::rpc::EditCluster>(&t).is_ok();
    accepted |= qs.deserialize_str::<app::rpc::RemoveCluster>(&t).is_ok();
    accepted |= qs.deserialize_str::<app::rpc::ListEvents>(&t).is_ok();
    accepted |= qs
        .deserialize_str::<app::rpc::GetSessionOverview>(&t)
        .is_ok();
    accepted |= qs.deserialize_str::<app::rpc::Login>(&t).is_ok();
    accepted |= qs.deserialize_str::<app::rpc::CheckEligibility>(&t).is_ok();
    accepted |= qs.deserialize_str::<app::rpc::GetLagHistory>(&t).is_ok();
    accepted
}

/// Form bodies of the server functions: valid ones and those of `corpus/rpc.cases`.
fn rpc_seeds() -> Vec<Vec<u8>> {
    let id = "6f0c2f4e-4c55-4b54-9d8b-0f4f3c1f3a11";
    let mut seeds: Vec<Vec<u8>> = [
        format!("master_volume_id={id}&slave_host=vm&slave_volume=slavevol2&slave_user=geo&force=false&start=true"),
        format!("id={id}&key=sync_jobs&value=5"),
        format!("id={id}&key=rsync_options&value=--bwlimit%3D100"),
        format!("id={id}&key=sync_jobs"),
        format!("id={id}&action=pause&force=false&reset_sync_time=false"),
        format!("id={id}&at=now"),
        format!("id={id}&at[at]=2026-11-24T08%3A44%3A35Z"),
        "name=site-a&host=node1&connection=ssh&description=DR".to_owned(),
        "name=site-a&host=node1&connection=ssh&ssh_user=geo&ssh_port=2222&no_verify=on".to_owned(),
        format!("id={id}&edit[name]=site-b&edit[ssh_port]=2200&edit[host_key][host]=node1&edit[host_key][fingerprint]=SHA256%3Aabc&verify=false"),
        format!("id={id}&force=true"),
        format!("filter[session]={id}&filter[result]=refused&before=120&limit=50"),
        format!("filter[health]=stalled&filter[status]=partial_faulty&filter[cluster]={id}&filter[master_volume]=mastervol&sort=recovery_point&order=desc"),
        "name=admin&password=secret-pw&next=%2Fsessions".to_owned(),
        format!("master_volume_id={id}&slave_host=vm&slave_volume=slavevol"),
        format!("id={id}&since=2026-11-24T08%3A44%3A35Z"),
    ]
    .into_iter()
    .map(String::into_bytes)
    .collect();
    let cases = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/rpc.cases"),
    )
    .unwrap();
    for case in cases.split("\n=== ") {
        if let Some((_, body)) = case.split_once("\nexpect ") {
            if let Some((_, body)) = body.split_once('\n') {
                seeds.push(body.as_bytes().to_vec());
            }
        }
    }
    seeds
}

/// Runs every target for `budget` in turn (round robin, so each gets its share); returns
/// per target the inputs run, how many something accepted, and the slowest one.
fn fuzz(budget: Duration, seed: u64) -> Vec<(&'static str, u64, u64, Duration)> {
    let gluster_seeds = read_dir(&fixtures().join("gluster"));
    let proc_seeds = read_dir(&fixtures().join("proc"));
    let bodies = body_seeds();
    let names: Vec<Vec<u8>> = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/names.list"),
    )
    .unwrap()
    .lines()
    .chain([
        "vm",
        "slavevol2",
        "root",
        "sync-jobs",
        "application/json;q=0.5, */*",
    ])
    .map(|l| l.as_bytes().to_vec())
    .collect();
    // response documents: the fixtures' shapes are not ours, so seed with our own
    let docs = vec![
        br#"<georeplication-session id="6f0c2f4e-4c55-4b54-9d8b-0f4f3c1f3a11" href="/x"><id>6f0c2f4e-4c55-4b54-9d8b-0f4f3c1f3a11</id><host>6f0c2f4e-4c55-4b54-9d8b-0f4f3c1f3a12</host><slavevolume>s</slavevolume><status>active</status><master_volume id="6f0c2f4e-4c55-4b54-9d8b-0f4f3c1f3a13" href="/v"><name>m</name></master_volume><session_key>k</session_key><slave_host_name>vm</slave_host_name><slave_host_uuid/><slave_volume_id/><slave_user>root</slave_user><checkpoint_completed>false</checkpoint_completed><updated>2026-11-24T08:44:36Z</updated></georeplication-session>"#.to_vec(),
    ];
    let mut all_seeds: Vec<Vec<u8>> = gluster_seeds.clone();
    all_seeds.extend(bodies.iter().cloned());
    let targets: Vec<Target> = vec![
        ("gluster XML parsers", gluster_seeds, gluster_xml),
        ("/proc cmdline and mounts", proc_seeds, proc_files),
        ("request bodies", bodies, request_bodies),
        ("server-function arguments (/rpc)", rpc_seeds(), rpc_args),
        ("response documents", docs, response_docs),
        ("Accept, names, option values", names, headers_and_names),
    ];
    let mut m = Mutator {
        rng: StdRng::seed_from_u64(seed),
        dict: dictionary(&all_seeds),
    };
    let mut stats: Vec<(&'static str, u64, u64, Duration)> = targets
        .iter()
        .map(|t| (t.0, 0, 0, Duration::ZERO))
        .collect();
    let start = Instant::now();
    let crash_dir = Path::new(&std::env::var("CARGO_TARGET_DIR").unwrap_or("target".into()))
        .join("fuzz-crashes");
    'outer: while start.elapsed() < budget {
        for (i, (name, seeds, run)) in targets.iter().enumerate() {
            for _ in 0..200 {
                let a = &seeds[m.rng.gen_range(0..seeds.len())];
                let b = &seeds[m.rng.gen_range(0..seeds.len())];
                // now and then the seed itself, else a mutant of it
                let input = if m.rng.gen_ratio(1, 50) {
                    a.clone()
                } else {
                    m.mutate(a, b)
                };
                let t0 = Instant::now();
                let result = catch_unwind(AssertUnwindSafe(|| run(&input)));
                let took = t0.elapsed();
                stats[i].1 += 1;
                stats[i].2 += u64::from(matches!(result, Ok(true)));
                stats[i].3 = stats[i].3.max(took);
                if let Err(payload) = result {
                    let why = payload
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_default();
                    std::fs::create_dir_all(&crash_dir).unwrap();
                    let path = crash_dir.join(format!(
                        "{}-{seed}-{}",
                        name.replace([' ', '/', ','], "_"),
                        stats[i].1
                    ));
                    std::fs::write(&path, &input).unwrap();
                    let _ = std::panic::take_hook();
                    panic!("{name}: {why}: on input {} (seed {seed})", path.display());
                }
                if start.elapsed() >= budget {
                    break 'outer;
                }
            }
        }
    }
    stats
}

#[test]
fn parsers_survive_mutated_input() {
    let secs: u64 = std::env::var("FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(4);
    let seed: u64 = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    let started = Instant::now();
    // panics are caught and reported with their input; the default hook would print each one
    // (and quick-xml's, which georep::xml catches on purpose, by the thousand)
    std::panic::set_hook(Box::new(|_| {}));
    let stats = fuzz(Duration::from_secs(secs), seed);
    let _ = std::panic::take_hook();
    let total: u64 = stats.iter().map(|s| s.1).sum();
    eprintln!(
        "fuzz: {total} inputs in {:.0?}, 0 crashes (seed {seed})",
        started.elapsed()
    );
    for (name, n, accepted, slowest) in &stats {
        eprintln!(
            "fuzz:   {name}: {n} inputs ({:.1} % accepted), slowest {slowest:?}",
            100.0 * *accepted as f64 / (*n).max(1) as f64
        );
        assert!(*n > 0, "{name} never ran");
        // a parser that takes a second on a small input is a denial of service
        assert!(
            *slowest < Duration::from_secs(2),
            "{name}: an input took {slowest:?}"
        );
    }
}
