//! Web security of the real binary (no gluster: its command is `false`): the headers and the
//! page's CSP nonce, the same-origin check on state-changing requests, login rate limiting,
//! and no password, hash or token in any answer or log line.
use reqwest::{Method, StatusCode};

use crate::common;

const ADMIN_PW: &str = "security-admin-pw-1";
const VIEWER_PW: &str = "security-viewer-pw-1";

struct Server {
    served: common::Served,
    _dir: tempfile::TempDir,
    token: String,
}

fn spawn() -> Server {
    spawn_with(&[])
}

/// The same with more `serve` arguments.
fn spawn_with(serve: &[&str]) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("georep.db");
    let mut args = vec!["--sync-interval", "3600", "--probe-interval", "0"];
    args.extend_from_slice(serve);
    let served = common::serve_apart(&db, &["--gluster-command", "false"], &args, ADMIN_PW);
    common::add_user(&db, "viewer", "viewer", VIEWER_PW);
    let token = common::georep_ok(&db, &["token", "add", "admin", "--name", "sec"]);
    Server {
        served,
        _dir: dir,
        token,
    }
}

impl Server {
    fn req(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        reqwest::Client::new().request(method, format!("{}{path}", self.served.base))
    }
}

#[tokio::test]
async fn headers_csp_nonce_and_same_origin() {
    let s = spawn();
    // every answer: the page, the API (a fault too), a missing file, the health check
    for path in ["/", "/sessions", "/api", "/pkg/missing.js", "/healthz"] {
        let r = s.req(Method::GET, path).send().await.unwrap();
        let h = r.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        let csp = h["content-security-policy"].to_str().unwrap().to_owned();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(
            !csp.contains("'unsafe-inline'") && !csp.contains("'unsafe-eval'"),
            "{csp}"
        );
    }
    // the page: its CSP names a fresh nonce, and every inline script carries it
    let mut nonces = Vec::new();
    for _ in 0..2 {
        let r = s.req(Method::GET, "/").send().await.unwrap();
        let csp = r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        let html = r.text().await.unwrap();
        let nonce = csp
            .split("'nonce-")
            .nth(1)
            .and_then(|r| r.split('\'').next())
            .unwrap_or_else(|| panic!("no nonce in {csp}"))
            .to_owned();
        let scripts = html.matches("<script").count();
        assert!(scripts > 0, "{html}");
        assert_eq!(
            html.matches(&format!("<script nonce=\"{nonce}\"")).count()
                + html
                    .matches(&format!("<script type=\"module\" nonce=\"{nonce}\""))
                    .count(),
            scripts,
            "every inline script has the nonce: {html}"
        );
        nonces.push(nonce);
    }
    assert_ne!(nonces[0], nonces[1], "a nonce per page");

    // state-changing server functions: a cross-site browser request is refused (before the
    // login gate: no session cookie is even looked at)
    const PASSES: bool = false;
    const REFUSED: bool = true;
    let rpc = |h: &[(&'static str, String)]| {
        let mut r = s.req(Method::POST, "/rpc/list_events");
        for (k, v) in h {
            r = r.header(*k, v);
        }
        r.send()
    };
    let same = s.served.base.clone();
    for (headers, want) in [
        (vec![], PASSES),
        (vec![("origin", same.clone())], PASSES),
        (vec![("sec-fetch-site", "same-origin".into())], PASSES),
        (vec![("origin", "http://evil.example".into())], REFUSED),
        (vec![("sec-fetch-site", "cross-site".into())], REFUSED),
        (
            vec![
                ("sec-fetch-site", "same-site".into()),
                ("origin", same.clone()),
            ],
            REFUSED,
        ),
    ] {
        // passed on: the login gate answers (401 without a session cookie)
        let status = rpc(&headers).await.unwrap().status();
        assert_eq!(
            status == StatusCode::FORBIDDEN,
            want,
            "{headers:?}: {status}"
        );
    }
    // the REST API too (Basic credentials a browser cached would otherwise ride along)
    let r = s
        .req(
            Method::POST,
            &format!(
                "/api/clusters/{}/glustervolumes/{}/georeplication-sessions/{}/stop",
                uuid::Uuid::new_v4(),
                uuid::Uuid::new_v4(),
                uuid::Uuid::new_v4()
            ),
        )
        .basic_auth("admin", Some(ADMIN_PW))
        .header("origin", "http://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("<reason>Forbidden</reason>"));
}

/// Failed logins back off per (client, user name) and per client, never for a user name
/// everywhere: a guesser cannot lock the admin out. Behind a trusted proxy (here: loopback)
/// the client is who `X-Forwarded-For` names.
#[tokio::test]
async fn failed_logins_back_off_per_client_and_no_secret_is_shown() {
    let s = spawn_with(&["--trusted-proxy", "127.0.0.1"]);
    let (guesser, owner) = ("192.0.2.66", "198.51.100.7");
    let api = |from: &str, user: &str, pw: &str| {
        s.req(Method::GET, "/api/clusters")
            .header("x-forwarded-for", from)
            .basic_auth(user, Some(pw))
            .send()
    };
    // this client and user: 5 failures, then 429 with Retry-After, even for the right password
    for _ in 0..5 {
        assert_eq!(api(guesser, "admin", "wrong").await.unwrap().status(), 401);
    }
    let r = api(guesser, "admin", ADMIN_PW).await.unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=301).contains(&retry), "{retry}");
    assert!(r.text().await.unwrap().contains("too many"));
    // the admin from their own client is served (before: 429 for 5 minutes, for everyone)
    assert_eq!(api(owner, "admin", ADMIN_PW).await.unwrap().status(), 200);
    // another user from the guesser's address still gets in (this address has 5 of 20)
    assert_eq!(
        api(guesser, "viewer", VIEWER_PW).await.unwrap().status(),
        200
    );
    // a token is not a password: the admin's token works from there too
    let r = s
        .req(Method::GET, "/api/clusters")
        .header("x-forwarded-for", guesser)
        .bearer_auth(&s.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // per address: 20 failures over any names (an over-long password is one, unhashed),
    // then everyone from there waits, and only from there
    assert_eq!(
        api(guesser, "guess", &"x".repeat(4096))
            .await
            .unwrap()
            .status(),
        401
    );
    for i in 1..15 {
        assert_eq!(
            api(guesser, &format!("guess{i}"), "x")
                .await
                .unwrap()
                .status(),
            401
        );
    }
    assert_eq!(
        api(guesser, "viewer", VIEWER_PW).await.unwrap().status(),
        429
    );
    assert_eq!(api(owner, "viewer", VIEWER_PW).await.unwrap().status(), 200);
    // a right token is no guess: served from there still, a wrong one refused
    let bearer = |token: String| {
        s.req(Method::GET, "/api/clusters")
            .header("x-forwarded-for", guesser)
            .bearer_auth(token)
            .send()
    };
    assert_eq!(bearer(s.token.clone()).await.unwrap().status(), 200);
    assert_eq!(bearer("grp_guess".into()).await.unwrap().status(), 429);
    // the browser's login follows the same rules
    let login = |from: &str, pw: &str| {
        s.req(Method::POST, "/rpc/login")
            .header("x-forwarded-for", from)
            .header("accept", "application/json")
            .form(&[("name", "admin"), ("password", pw)])
            .send()
    };
    assert_eq!(login(guesser, ADMIN_PW).await.unwrap().status(), 409);
    assert_eq!(login(owner, ADMIN_PW).await.unwrap().status(), 200);

    // parallel guesses from a new client: each takes its slot before the password is checked,
    // so at most 20 are checked at all (before: every one that arrived before the first
    // answer passed the check)
    let flood = (0..64).map(|i| api("203.0.113.5", &format!("made-up-{i}"), "x"));
    let statuses: Vec<u16> = futures_util::future::join_all(flood)
        .await
        .into_iter()
        .map(|r| r.unwrap().status().as_u16())
        .collect();
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert!((1..=20).contains(&checked), "{statuses:?}");
    assert_eq!(checked + refused, 64, "{statuses:?}");

    // nothing secret in any answer: documents, faults, the OpenAPI description, metrics
    let mut bodies = String::new();
    for (method, path) in [
        (Method::GET, "/api/openapi.json"),
        (Method::GET, "/metrics"),
        (Method::GET, "/"),
        (Method::GET, "/api/nothing"),
        (Method::POST, "/rpc/list_events"),
    ] {
        bodies += &s
            .req(method, path)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
    }
    let log = s.served.log.lock().unwrap().join("\n");
    for (what, text) in [("answers", &bodies), ("log", &log)] {
        for secret in [
            ADMIN_PW,
            VIEWER_PW,
            s.token.as_str(),
            "$argon2",
            "password_hash",
        ] {
            assert!(!text.contains(secret), "{what} contain {secret:?}");
        }
    }
    assert!(
        log.contains("too many failures"),
        "refusals are logged: {log}"
    );
}

/// One body limit in front of every route, answered with 413 after the body was read (the
/// connection stays usable): small for the server functions (the anonymous login among them),
/// 1 MiB for the REST API, and the pages take none.
#[tokio::test]
async fn bodies_over_their_limit_are_413_on_every_route() {
    let s = spawn();
    let http = reqwest::Client::new();
    let post = |path: &str, body: Vec<u8>, content_type: &'static str| {
        http.post(format!("{}{path}", s.served.base))
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let form = "application/x-www-form-urlencoded";
    // a login of 64 KiB: refused before the password is looked at
    let long = format!("name=admin&password={}", "x".repeat(64 << 10));
    let r = post("/rpc/login", long.into_bytes(), form).await.unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let e: serde_json::Value = r.json().await.unwrap();
    assert!(e["Invalid"].as_str().unwrap().contains("at most"), "{e}");
    // 5 MiB to a server function: read and dropped, then 413 (leptos read ~4 MB, then 400)
    let r = post("/rpc/list_events", vec![b'x'; 5 << 20], form)
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // the REST API: 413 over 1 MiB, as a fault in the representation asked for
    let r = http
        .post(format!("{}/api/clusters", s.served.base))
        .bearer_auth(&s.token)
        .header("content-type", "application/json")
        .header("accept", "application/json")
        .body(vec![b' '; (1 << 20) + 1])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let f: serde_json::Value = r.json().await.unwrap();
    assert_eq!(f["reason"], "Body too large", "{f}");
    // a page takes no body
    let r = post("/", vec![b'x'; 64 << 10], form).await.unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // a body within the limit still reaches the server function
    let r = post("/rpc/login", b"name=admin&password=wrong".to_vec(), form)
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

/// `X-Forwarded-For` from a client that is not a configured proxy is ignored: a guesser cannot
/// become a new client by writing it.
#[tokio::test]
async fn forwarded_for_from_a_stranger_is_ignored() {
    let s = spawn();
    let api = |from: String, pw: &str| {
        s.req(Method::GET, "/api/clusters")
            .header("x-forwarded-for", from)
            .basic_auth("admin", Some(pw))
            .send()
    };
    for i in 0..5 {
        assert_eq!(
            api(format!("192.0.2.{i}"), "wrong").await.unwrap().status(),
            401
        );
    }
    // still the same client (loopback) for the same user
    assert_eq!(
        api("198.51.100.7".into(), ADMIN_PW).await.unwrap().status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}

/// `/metrics` names every session, volume and brick path: it wants a bearer token, the
/// metrics token (`--metrics-token-file`, good for nothing else) or a user's API token.
#[tokio::test]
async fn metrics_need_a_bearer_token() {
    let secrets = tempfile::tempdir().unwrap();
    let file = secrets.path().join("metrics-token");
    let metrics_token = "metrics-scrape-token-0123456789";
    std::fs::write(&file, format!("{metrics_token}\n")).unwrap();
    let s = spawn_with(&["--metrics-token-file", file.to_str().unwrap()]);
    let scrape = |auth: Option<String>| {
        let mut r = s.req(Method::GET, "/metrics");
        if let Some(a) = auth {
            r = r.header("authorization", a);
        }
        r.send()
    };
    let r = scrape(None).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Bearer"));
    let basic = format!(
        "Basic {}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            format!("admin:{ADMIN_PW}")
        )
    );
    for refused in [
        basic,
        "Bearer grp_wrong".into(),
        format!("Bearer {metrics_token}x"),
    ] {
        assert_eq!(
            scrape(Some(refused.clone())).await.unwrap().status(),
            401,
            "{refused}"
        );
    }
    for token in [metrics_token, s.token.as_str()] {
        let r = scrape(Some(format!("Bearer {token}"))).await.unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text"));
        let body = r.text().await.unwrap();
        // no session yet: no sample, only the end marker
        assert!(body.trim_end().ends_with("# EOF"), "{body}");
        assert!(!body.contains("georep_session_health{"), "{body}");
    }
    // the metrics token opens nothing else
    let r = s
        .req(Method::GET, "/api/clusters")
        .bearer_auth(metrics_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

/// HTTPS with a certificate made here: the login cookie is `__Host-` and `Secure` (and only
/// that name opens a session), and the first admin's password comes from a file: it is no
/// flag any more (argv is visible in `ps`).
#[tokio::test]
async fn tls_with_a_secure_host_cookie_and_no_password_on_argv() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("georep.db");
    // refused as an unknown flag (before: a server started with it)
    let mut argv = common::georep(&db)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--admin-password",
            ADMIN_PW,
        ])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut refused = None;
    for _ in 0..100 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        refused = argv.try_wait().unwrap();
        if refused.is_some() {
            break;
        }
    }
    if refused.is_none() {
        let _ = argv.kill();
    }
    let out = argv.wait_with_output().unwrap();
    assert!(
        refused.is_some_and(|s| !s.success()),
        "--admin-password was taken"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("--admin-password"));

    let self_signed = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let cert_pem = self_signed.cert.pem();
    let files = tempfile::tempdir().unwrap();
    let (cert, key, password) = (
        files.path().join("cert.pem"),
        files.path().join("key.pem"),
        files.path().join("admin-password"),
    );
    std::fs::write(&cert, &cert_pem).unwrap();
    std::fs::write(&key, self_signed.signing_key.serialize_pem()).unwrap();
    std::fs::write(&password, format!("{ADMIN_PW}\n")).unwrap();
    let path = |p: &std::path::Path| p.to_str().unwrap().to_owned();
    let served = common::serve_apart(
        &db,
        &["--gluster-command", "false"],
        &[
            "--sync-interval",
            "3600",
            "--probe-interval",
            "0",
            "--admin-password-file",
            &path(&password),
            "--tls-cert",
            &path(&cert),
            "--tls-key",
            &path(&key),
        ],
        "",
    );
    assert!(
        served.base.starts_with("https://127.0.0.1:"),
        "{}",
        served.base
    );
    let https = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(cert_pem.as_bytes()).unwrap())
        .build()
        .unwrap();
    let r = https
        .get(format!("{}/healthz", served.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = https
        .post(format!("{}/rpc/login", served.base))
        .header("accept", "application/json")
        .form(&[("name", "admin"), ("password", ADMIN_PW)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "the password from the file");
    let set = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(set.starts_with("__Host-georep_session="), "{set}");
    for part in ["; Secure", "; Path=/", "; HttpOnly", "; SameSite=Strict"] {
        assert!(set.contains(part), "{part} in {set}");
    }
    assert!(!set.contains("Domain"), "{set}");
    let cookie = set.split(';').next().unwrap().to_owned();
    let whoami = |cookie: String| {
        https
            .post(format!("{}/rpc/whoami", served.base))
            .header("cookie", cookie)
            .send()
    };
    let r = whoami(cookie.clone()).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["name"],
        "admin"
    );
    // the same value under the plain name is no login over TLS
    let plain = cookie.replacen("__Host-", "", 1);
    assert_eq!(whoami(plain).await.unwrap().status(), 401);
    // plain HTTP on the TLS port gets no answer
    let plain_http = served.base.replacen("https://", "http://", 1);
    assert!(reqwest::get(format!("{plain_http}/healthz")).await.is_err());
}
