//! Users, roles and API tokens: who may call the REST API.
//!
//! Passwords are argon2id hashes, verified off the async threads (`Argon2Threads`). argon2 is slow on purpose,
//! so a successful Basic login is remembered for a short time under an HMAC of the
//! credentials (keyed by a secret drawn at start; never the password itself). API tokens are
//! long random secrets stored as their SHA-256 and found by one indexed lookup.
//!
//! Failed logins are counted per (client address, user name) and per client address; past a
//! limit that client's next attempts are refused without looking at the password
//! (`ServiceError::TooManyAttempts`, a 429 with Retry-After at the REST edge) until the oldest
//! failure leaves the window. No user name is locked for everyone: a guesser elsewhere cannot
//! keep its owner out. Each attempt takes its failure slot before the password is checked (so
//! parallel guesses cannot all pass the check), and argon2 runs on a few threads of georep's
//! own, each reusing one ~19 MiB memory block: when too many wait, clients that have failed
//! recently are refused first, and a client that is not guessing still gets its turn.
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, SaltString};
use argon2::Argon2;
use base64::Engine;
use chrono::Utc;
use hmac::{Hmac, Mac};
use rand::{distributions::Alphanumeric, Rng, RngCore};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{Result, Service, ServiceError};
use crate::store::{self, TokenRow, UserRow};

/// How long a verified Basic login is remembered.
const LOGIN_CACHE: Duration = Duration::from_secs(60);
/// How long a token's owner is remembered (tokens are not revoked yet; a new one is seen at once).
const TOKEN_CACHE: Duration = Duration::from_secs(10);
/// Bounds the login cache (a flood of distinct good logins cannot grow it for ever).
const LOGIN_CACHE_MAX: usize = 10_000;
/// Failed logins counted within this window...
const FAILURE_WINDOW: Duration = Duration::from_secs(300);
/// ...at most this many per client and user name (a password guesser on one account)...
pub const PAIR_FAILURES: usize = 5;
/// ...and this many per client address (one guesser trying many accounts or tokens).
pub const CLIENT_FAILURES: usize = 20;
/// Bounds the failure table (a flood of made-up user names cannot grow it for ever).
const FAILURES_MAX: usize = 100_000;
/// The longest password looked at; a longer one is a failure without any hashing.
pub const MAX_PASSWORD: usize = 1024;
/// Password verifications waiting for their turn past which a client that has failed within
/// the window is refused (429)...
const QUEUE_GUESSING: usize = 8;
/// ...and past which everyone is (each waiting login holds only its request).
const QUEUE_MAX: usize = 512;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Everything.
    Admin,
    /// Reads only.
    Viewer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "admin" => Ok(Role::Admin),
            "viewer" => Ok(Role::Viewer),
            _ => Err(ServiceError::Invalid(format!(
                "role {s:?}: admin or viewer"
            ))),
        }
    }
}

/// An authenticated caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub name: String,
    pub role: Role,
}

/// A georep user's login name: 1 to 64 of `A-Z a-z 0-9 . _ -`, not starting with `-`.
pub fn parse_login(name: &str) -> Result<&str> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('-')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if ok {
        Ok(name)
    } else {
        Err(ServiceError::Invalid(format!(
            "user name {name:?}: 1-64 of A-Z a-z 0-9 . _ -"
        )))
    }
}

/// A random password of 24 letters and digits.
pub fn random_password() -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(24)
        .map(char::from)
        .collect()
}

fn hash_password(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ServiceError::Invalid(format!("cannot hash the password: {e}")))
}

/// 256 random bits, URL-safe base64.
fn secret() -> String {
    let mut secret = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut secret);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret)
}

fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn principal(u: &UserRow) -> Option<Principal> {
    Role::parse(&u.role).ok().map(|role| Principal {
        name: u.name.clone(),
        role,
    })
}

impl Service {
    /// Adds a user; without a password one is drawn and returned (to be shown once).
    pub async fn add_user(
        &self,
        name: &str,
        role: Role,
        password: Option<String>,
    ) -> Result<(Principal, Option<String>)> {
        let name = parse_login(name)?.to_owned();
        let (password, drawn) = match password {
            Some(p) if p.len() < 8 => {
                return Err(ServiceError::Invalid(
                    "a password has at least 8 characters".into(),
                ))
            }
            Some(p) => (p, None),
            None => {
                let p = random_password();
                (p.clone(), Some(p))
            }
        };
        let hash = tokio::task::spawn_blocking(move || hash_password(&password))
            .await
            .map_err(|e| ServiceError::Invalid(format!("cannot hash the password: {e}")))??;
        let row = UserRow {
            id: Uuid::new_v4().hyphenated(),
            name: name.clone(),
            password_hash: hash,
            role: role.as_str().into(),
            created_at: Utc::now(),
        };
        store::insert_user(&mut *self.conn().await?, &row).await?;
        tracing::info!(user = %name, role = role.as_str(), "user added");
        Ok((Principal { name, role }, drawn))
    }

    pub async fn list_users(&self) -> Result<Vec<Principal>> {
        let rows = store::list_users(&mut *self.conn().await?).await?;
        Ok(rows.iter().filter_map(principal).collect())
    }

    /// Makes an API token for a user; the token is returned once and stored hashed.
    pub async fn add_token(&self, user: &str, name: &str) -> Result<String> {
        let mut c = self.conn().await?;
        let u = store::user_by_name(&mut c, user)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("user {user}")))?;
        let token = format!("grp_{}", secret());
        let row = TokenRow {
            id: Uuid::new_v4().hyphenated(),
            user_id: u.id,
            name: name.to_owned(),
            token_hash: token_hash(&token),
            created_at: Utc::now(),
        };
        store::insert_token(&mut c, &row).await?;
        tracing::info!(user = %user, token = %name, "API token added");
        Ok(token)
    }

    /// Every API token: id, user, label, when made (the token itself is never stored).
    pub async fn list_tokens(&self) -> Result<Vec<(Uuid, String, String, chrono::DateTime<Utc>)>> {
        let rows = store::list_tokens(&mut *self.conn().await?).await?;
        Ok(rows
            .into_iter()
            .map(|(t, user)| (t.id.into_uuid(), user, t.name, t.created_at))
            .collect())
    }

    /// Revokes a token. A running server may still accept it for the few seconds it keeps a
    /// token's user in memory (`TOKEN_CACHE`, 10 s).
    pub async fn revoke_token(&self, id: Uuid) -> Result<()> {
        if !store::delete_token(&mut *self.conn().await?, id.hyphenated()).await? {
            return Err(ServiceError::NotFound(format!("no token {id}")));
        }
        tracing::info!(token = %id, "API token revoked");
        Ok(())
    }

    /// Removes a user with its tokens and browser logins; the last admin stays.
    pub async fn remove_user(&self, name: &str) -> Result<()> {
        let mut tx = self.store().begin().await?;
        let user = store::user_by_name(&mut tx, name)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("no user {name}")))?;
        if user.role == Role::Admin.as_str() {
            let admins = store::list_users(&mut tx)
                .await?
                .iter()
                .filter(|u| u.role == Role::Admin.as_str())
                .count();
            if admins <= 1 {
                return Err(ServiceError::Conflict(format!(
                    "{name} is the last admin: add another admin first"
                )));
            }
        }
        store::delete_user(&mut tx, name).await?;
        tx.commit().await.map_err(store::StoreError::from)?;
        tracing::info!(user = %name, "user removed");
        Ok(())
    }

    /// When no user exists: adds `admin` with `password` (or a drawn one) and returns the
    /// password to show once (None when it came from the caller or users exist).
    pub async fn ensure_first_admin(&self, password: Option<String>) -> Result<Option<String>> {
        if store::count_users(&mut *self.conn().await?).await? > 0 {
            return Ok(None);
        }
        let (_, drawn) = self.add_user("admin", Role::Admin, password).await?;
        Ok(drawn)
    }
}

/// Checks credentials for the REST edge, with the login cache.
#[derive(Clone)]
pub struct Authenticator {
    service: Service,
    inner: Arc<AuthInner>,
}

struct AuthInner {
    key: [u8; 32],
    failures: Mutex<Failures>,
    /// Turns at argon2: as many as half the cores (the rest serve everything else)...
    turns: Arc<tokio::sync::Semaphore>,
    /// ...each taken on one of as many threads of georep's own.
    argon2: Argon2Threads,
    /// Logins waiting for a turn.
    waiting: std::sync::atomic::AtomicUsize,
    logins: Mutex<HashMap<[u8; 32], (Principal, Instant)>>,
    /// Token hash → its user, for `TOKEN_CACHE`.
    tokens: Mutex<HashMap<String, (Principal, Instant)>>,
    /// Browser session cookie hash → its user, for `TOKEN_CACHE` at most.
    web: Mutex<HashMap<String, (Principal, Instant)>>,
    /// The SHA-256 of the token that may read `/metrics` only (`serve --metrics-token-file`).
    metrics_token: Option<String>,
}

impl Authenticator {
    pub fn new(service: Service) -> Self {
        Self::with_metrics_token(service, None)
    }

    /// With a token that may read `/metrics` and nothing else.
    pub fn with_metrics_token(service: Service, token: Option<&str>) -> Self {
        let mut key = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut key);
        Authenticator {
            service,
            inner: Arc::new(AuthInner {
                key,
                failures: Mutex::new(Failures::default()),
                turns: Arc::new(tokio::sync::Semaphore::new(argon2_turns())),
                argon2: Argon2Threads::spawn(argon2_turns()),
                waiting: Default::default(),
                logins: Mutex::new(HashMap::new()),
                tokens: Mutex::new(HashMap::new()),
                web: Mutex::new(HashMap::new()),
                metrics_token: token.map(token_hash),
            }),
        }
    }

    /// May this bearer token read `/metrics`: the metrics token, or any user's API token
    /// (an unknown one counts as a failure of the client, as for the API).
    pub async fn scraper(&self, token: &str, client: Option<IpAddr>) -> Result<bool> {
        // hashes compared: the comparison's time tells nothing about the token
        if self.inner.metrics_token.as_deref() == Some(token_hash(token).as_str()) {
            return Ok(true);
        }
        Ok(self.bearer(token, client).await?.is_some())
    }

    fn login_key(&self, user: &str, password: &str) -> [u8; 32] {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.inner.key).expect("any key length");
        mac.update(user.as_bytes());
        mac.update(b"\0");
        mac.update(password.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// A user name and password (HTTP Basic, and the UI's login): the user, or None for a
    /// wrong name or password; `TooManyAttempts` while this client has failed too often for
    /// this user name or overall (the password is then not even checked), or while argon2 is
    /// busy and this client has failed recently.
    pub async fn basic(
        &self,
        user: &str,
        password: &str,
        client: Option<IpAddr>,
    ) -> Result<Option<Principal>> {
        // a name that cannot exist is counted for the client only (the failure table keeps
        // no made-up text of any length) and, like an over-long password, costs no lookup
        // and no hashing
        let name = parse_login(user).ok();
        let (attempt, guessing) = self.reserve(name, client)?;
        let found = match name {
            Some(name) if password.len() <= MAX_PASSWORD => {
                self.verify_password(name, password, guessing).await
            }
            _ => Ok(None),
        };
        if !matches!(found, Ok(None)) {
            // right, or not checked (busy, store): not a failure of this client
            self.failures().release(name, client, attempt);
        }
        found
    }

    fn failures(&self) -> std::sync::MutexGuard<'_, Failures> {
        self.inner
            .failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// Takes this attempt's failure slot before any check (given back when it succeeds), so
    /// that parallel attempts cannot all pass the limit; with whether the client has failed
    /// within the window already.
    fn reserve(&self, user: Option<&str>, client: Option<IpAddr>) -> Result<(Instant, bool)> {
        let now = Instant::now();
        let mut failures = self.failures();
        let guessing = failures.guessing(client, now);
        match failures.reserve(user, client, now) {
            Ok(()) => Ok((now, guessing)),
            Err(wait) => {
                tracing::warn!(user = user.unwrap_or(""), client = ?client, "login refused: too many failures");
                Err(ServiceError::TooManyAttempts(wait))
            }
        }
    }

    /// A turn at argon2 (held until the verification ends, even if the request is dropped);
    /// refused while too many wait, sooner for a client that has been guessing.
    async fn turn(&self, guessing: bool) -> Result<tokio::sync::OwnedSemaphorePermit> {
        use std::sync::atomic::Ordering;
        struct Waiting<'a>(&'a std::sync::atomic::AtomicUsize);
        impl Drop for Waiting<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::SeqCst);
            }
        }
        let ahead = self.inner.waiting.fetch_add(1, Ordering::SeqCst);
        let _waiting = Waiting(&self.inner.waiting);
        let room = if guessing { QUEUE_GUESSING } else { QUEUE_MAX };
        if ahead >= room {
            tracing::warn!(
                waiting = ahead,
                guessing,
                "login refused: password checks busy"
            );
            return Err(ServiceError::TooManyAttempts(Duration::from_secs(1)));
        }
        self.inner
            .turns
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| ServiceError::TooManyAttempts(Duration::from_secs(1)))
    }

    async fn verify_password(
        &self,
        user: &str,
        password: &str,
        guessing: bool,
    ) -> Result<Option<Principal>> {
        let key = self.login_key(user, password);
        if let Some(p) = recall(&self.inner.logins, &key) {
            return Ok(Some(p));
        }
        let row = store::user_by_name(&mut *self.service.conn().await?, user).await?;
        // an unknown user costs the same argon2 verification as a known one, so the answer's
        // time does not tell which user names exist
        let hash = row.as_ref().map(|r| r.password_hash.clone());
        let password = password.to_owned();
        let turn = self.turn(guessing).await?;
        let (answer, good) = tokio::sync::oneshot::channel();
        self.inner.argon2.run(move || {
            let _turn = turn;
            let hash = hash.unwrap_or_else(|| {
                DUMMY_HASH
                    .get_or_init(|| hash_password(&random_password()).unwrap_or_default())
                    .clone()
            });
            let _ = answer.send(verify(&hash, password.as_bytes()));
        });
        let good = good.await.unwrap_or(false);
        let Some(p) = row.as_ref().filter(|_| good).and_then(principal) else {
            return Ok(None);
        };
        remember(&self.inner.logins, key, &p, LOGIN_CACHE);
        Ok(Some(p))
    }

    /// `Authorization: Bearer`: the token's user, or None (an unknown token counts as a
    /// failure of the client, and while the client must wait it is refused: 429).
    pub async fn bearer(&self, token: &str, client: Option<IpAddr>) -> Result<Option<Principal>> {
        let hash = token_hash(token);
        if let Some(p) = recall(&self.inner.tokens, &hash) {
            return Ok(Some(p));
        }
        // looked up even for a client that must wait: a token is 256 random bits, so a right
        // one is no guess (and its automation keeps working beside a guesser on the same
        // address), and the lookup costs what any request does
        let row = store::user_by_token_hash(&mut *self.service.conn().await?, &hash).await?;
        match row.as_ref().and_then(principal) {
            Some(p) => {
                remember(&self.inner.tokens, hash, &p, TOKEN_CACHE);
                Ok(Some(p))
            }
            None => {
                self.reserve(None, client)?;
                Ok(None)
            }
        }
    }
}

/// Concurrent argon2 verifications: half the cores, at least one.
fn argon2_turns() -> usize {
    std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1))
}

/// Checks `password` against a PHC argon2 hash as `PasswordVerifier` does, in this thread's
/// own memory block, allocated once and reused: a verification needs ~19 MiB, and allocating
/// it each time left glibc holding a dozen such blocks (RSS 35 → 250 MB after 100 sequential
/// logins, never returned).
fn verify(hash: &str, password: &[u8]) -> bool {
    use argon2::password_hash::{Error, Output};
    use argon2::{Algorithm, Block, Params, Version};
    thread_local! {
        static MEMORY: std::cell::RefCell<Vec<Block>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    let check = || -> Option<bool> {
        let h = PasswordHash::new(hash).ok()?;
        let params = Params::try_from(&h).ok()?;
        let algorithm = Algorithm::try_from(h.algorithm).ok()?;
        let version = h.version.map(Version::try_from).transpose().ok()?;
        let (salt, expected) = (h.salt?, h.hash?);
        let mut salt_bytes = [0u8; 64];
        let salt = salt.decode_b64(&mut salt_bytes).ok()?;
        let argon2 = Argon2::new(algorithm, version.unwrap_or_default(), params.clone());
        let computed = MEMORY.with(|memory| {
            let mut memory = memory.borrow_mut();
            if memory.len() < params.block_count() {
                memory.resize(params.block_count(), Block::default());
            }
            Output::init_with(expected.len(), |out| {
                argon2
                    .hash_password_into_with_memory(password, salt, out, &mut memory[..])
                    .map_err(|_| Error::Password)
            })
            .ok()
        })?;
        // Output compares in constant time
        Some(computed == expected)
    };
    check().unwrap_or(false)
}

/// A few threads that only verify passwords. Not tokio's blocking pool: each verification
/// allocates ~19 MiB, and glibc keeps what a thread freed in that thread's arena, so
/// verifications spread over the pool's many threads left memory on each (a login flood with
/// one turn at a time still grew RSS to 410 MB); each of these keeps one block (`verify`).
struct Argon2Threads(std::sync::mpsc::Sender<Box<dyn FnOnce() + Send>>);

impl Argon2Threads {
    fn spawn(n: usize) -> Self {
        let (tx, rx) = std::sync::mpsc::channel::<Box<dyn FnOnce() + Send>>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..n {
            let rx = rx.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("georep-argon2-{i}"))
                .spawn(move || loop {
                    let job = rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
                    match job {
                        Ok(job) => job(),
                        // the authenticator is gone
                        Err(_) => break,
                    }
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a password thread");
            }
        }
        Argon2Threads(tx)
    }

    fn run(&self, job: impl FnOnce() + Send + 'static) {
        // a send fails only without any thread: the job's answer channel is then dropped
        // and the password counts as wrong
        let _ = self.0.send(Box::new(job));
    }
}

static DUMMY_HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Recent failed logins (and attempts under way) by client and user name, and by client.
#[derive(Default)]
struct Failures {
    by_pair: HashMap<(Option<IpAddr>, String), VecDeque<Instant>>,
    by_client: HashMap<IpAddr, VecDeque<Instant>>,
}

impl Failures {
    /// How long until this client may try this user name again, or None when it may now.
    fn blocked(
        &mut self,
        user: Option<&str>,
        client: Option<IpAddr>,
        now: Instant,
    ) -> Option<Duration> {
        let pair_wait = user
            .and_then(|u| self.by_pair.get_mut(&(client, u.to_owned())))
            .and_then(|q| wait(q, PAIR_FAILURES, now));
        let client_wait = client
            .and_then(|c| self.by_client.get_mut(&c))
            .and_then(|q| wait(q, CLIENT_FAILURES, now));
        pair_wait.max(client_wait)
    }

    /// Whether this client has failed within the window.
    fn guessing(&mut self, client: Option<IpAddr>, now: Instant) -> bool {
        client
            .and_then(|c| self.by_client.get_mut(&c))
            .is_some_and(|q| {
                wait(q, CLIENT_FAILURES, now);
                !q.is_empty()
            })
    }

    /// Counts an attempt as a failure from `now` on, unless the client must wait.
    fn reserve(
        &mut self,
        user: Option<&str>,
        client: Option<IpAddr>,
        now: Instant,
    ) -> std::result::Result<(), Duration> {
        match self.blocked(user, client, now) {
            Some(wait) => Err(wait),
            None => {
                self.record(user, client, now);
                Ok(())
            }
        }
    }

    fn record(&mut self, user: Option<&str>, client: Option<IpAddr>, now: Instant) {
        if self.by_pair.len() + self.by_client.len() >= FAILURES_MAX {
            let live = |q: &mut VecDeque<Instant>| {
                q.retain(|t| now.duration_since(*t) < FAILURE_WINDOW);
                !q.is_empty()
            };
            self.by_pair.retain(|_, q| live(q));
            self.by_client.retain(|_, q| live(q));
        }
        if let Some(u) = user {
            if self.by_pair.len() < FAILURES_MAX {
                self.by_pair
                    .entry((client, u.to_owned()))
                    .or_default()
                    .push_back(now);
            }
        }
        if let Some(c) = client {
            self.by_client.entry(c).or_default().push_back(now);
        }
    }

    /// An attempt reserved `at` succeeded: the pair's failures are forgotten, and the client's
    /// reserved slot given back.
    fn release(&mut self, user: Option<&str>, client: Option<IpAddr>, at: Instant) {
        if let Some(u) = user {
            self.by_pair.remove(&(client, u.to_owned()));
        }
        if let Some(q) = client.and_then(|c| self.by_client.get_mut(&c)) {
            if let Some(i) = q.iter().rposition(|t| *t == at) {
                q.remove(i);
            }
        }
    }
}

/// Drops failures older than the window; with `limit` or more left, the time until the
/// oldest one leaves it.
fn wait(q: &mut VecDeque<Instant>, limit: usize, now: Instant) -> Option<Duration> {
    while q
        .front()
        .is_some_and(|t| now.duration_since(*t) >= FAILURE_WINDOW)
    {
        q.pop_front();
    }
    (q.len() >= limit).then(|| FAILURE_WINDOW - now.duration_since(q[q.len() - limit]))
}

/// How long a browser login lasts (absolute, from the login).
pub const WEB_SESSION: Duration = Duration::from_secs(12 * 3600);

impl Authenticator {
    /// A browser login: the password is checked as for Basic; the new session's cookie value
    /// is returned once (stored hashed).
    /// Failed logins count as for Basic (`client`: the browser's address).
    pub async fn open_web_session(
        &self,
        user: &str,
        password: &str,
        client: Option<IpAddr>,
    ) -> Result<Option<(Principal, String)>> {
        let Some(p) = self.basic(user, password, client).await? else {
            return Ok(None);
        };
        let mut c = self.service.conn().await?;
        let row = store::user_by_name(&mut c, user)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("user {user}")))?;
        let cookie = secret();
        let now = Utc::now();
        let until = now + chrono::Duration::from_std(WEB_SESSION).expect("12 h");
        store::insert_web_session(&mut c, &token_hash(&cookie), row.id, now, until).await?;
        tracing::info!(user = %user, "browser login");
        Ok(Some((p, cookie)))
    }

    /// The user of a browser session cookie value, while it has not expired or been ended.
    pub async fn web_session(&self, cookie: &str) -> Result<Option<Principal>> {
        let hash = token_hash(cookie);
        if let Some(p) = recall(&self.inner.web, &hash) {
            return Ok(Some(p));
        }
        let row =
            store::user_by_web_session(&mut *self.service.conn().await?, &hash, Utc::now()).await?;
        let Some((user, expires)) = row else {
            return Ok(None);
        };
        let p = principal(&user);
        if let Some(p) = &p {
            // never remembered past the session's own end
            let left = (expires - Utc::now()).to_std().unwrap_or_default();
            remember(&self.inner.web, hash, p, TOKEN_CACHE.min(left));
        }
        Ok(p)
    }

    /// Ends a browser session (logout): gone from the store and the cache at once.
    pub async fn close_web_session(&self, cookie: &str) -> Result<()> {
        let hash = token_hash(cookie);
        self.inner
            .web
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&hash);
        store::delete_web_session(&mut *self.service.conn().await?, &hash).await?;
        Ok(())
    }
}

type Remembered<K> = Mutex<HashMap<K, (Principal, Instant)>>;

fn recall<K: std::hash::Hash + Eq>(cache: &Remembered<K>, key: &K) -> Option<Principal> {
    let cache = cache.lock().unwrap_or_else(|e| e.into_inner());
    cache
        .get(key)
        .filter(|(_, until)| *until > Instant::now())
        .map(|(p, _)| p.clone())
}

/// Remembers a verified caller for `ttl`; the cache is bounded (expired entries go first).
fn remember<K: std::hash::Hash + Eq>(cache: &Remembered<K>, key: K, p: &Principal, ttl: Duration) {
    let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
    let now = Instant::now();
    if cache.len() >= LOGIN_CACHE_MAX {
        cache.retain(|_, (_, until)| *until > now);
        if cache.len() >= LOGIN_CACHE_MAX {
            cache.clear();
        }
    }
    cache.insert(key, (p.clone(), now + ttl));
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::PasswordVerifier;

    #[test]
    fn login_names() {
        for ok in ["admin", "ops.team", "a-b_c", "X1"] {
            assert!(parse_login(ok).is_ok(), "{ok}");
        }
        for bad in ["", "-x", "a b", "a:b", "é", &"a".repeat(65)] {
            assert!(parse_login(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn failures_block_per_client_and_user_then_per_client_then_expire() {
        let mut f = Failures::default();
        let t0 = Instant::now();
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..PAIR_FAILURES {
            assert_eq!(f.reserve(Some("admin"), Some(a), t0), Ok(()));
        }
        // this client waits for this user; the user from another client does not, nor another
        // user from this client
        assert_eq!(f.blocked(Some("admin"), Some(a), t0), Some(FAILURE_WINDOW));
        assert_eq!(f.reserve(Some("admin"), Some(a), t0), Err(FAILURE_WINDOW));
        assert_eq!(f.blocked(Some("admin"), Some(b), t0), None);
        assert_eq!(f.blocked(Some("ops"), Some(a), t0), None);
        let later = t0 + Duration::from_secs(100);
        assert_eq!(
            f.blocked(Some("admin"), Some(a), later),
            Some(FAILURE_WINDOW - Duration::from_secs(100))
        );
        assert_eq!(f.blocked(Some("admin"), Some(a), t0 + FAILURE_WINDOW), None);
        // a success forgets the pair's failures and gives the client its slot back
        assert!(!f.guessing(Some(b), t0));
        f.reserve(Some("ops"), Some(b), t0).unwrap();
        assert!(f.guessing(Some(b), t0));
        let t1 = t0 + Duration::from_millis(1);
        f.reserve(Some("ops"), Some(b), t1).unwrap();
        f.release(Some("ops"), Some(b), t1);
        assert!(!f.by_pair.contains_key(&(Some(b), "ops".to_owned())));
        assert_eq!(f.by_client[&b], [t0]);
        // many user names from one address: the address waits, others do not
        for i in 1..CLIENT_FAILURES {
            f.reserve(Some(&format!("u{i}")), Some(b), t0).unwrap();
        }
        assert!(f.blocked(Some("fresh"), Some(b), t0).is_some());
        assert_eq!(f.blocked(Some("fresh"), Some(a), t0), None);
        assert_eq!(f.blocked(Some("fresh"), Some(b), t0 + FAILURE_WINDOW), None);
    }

    #[test]
    fn attempts_under_way_count_before_their_answer() {
        // parallel guesses each take a slot before the password is checked: past the limit
        // the next ones are refused even though none has been answered yet
        let mut f = Failures::default();
        let now = Instant::now();
        let c: IpAddr = "192.0.2.9".parse().unwrap();
        let passed = (0..64)
            .filter(|i| {
                f.reserve(Some(&format!("made-up-{i}")), Some(c), now)
                    .is_ok()
            })
            .count();
        assert_eq!(passed, CLIENT_FAILURES);
        let passed = (0..64)
            .filter(|_| f.reserve(Some("admin"), None, now).is_ok())
            .count();
        assert_eq!(passed, PAIR_FAILURES);
    }

    #[test]
    fn token_hash_is_sha256_hex() {
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"));
        let parsed = PasswordHash::new(&h).unwrap();
        assert!(Argon2::default()
            .verify_password(b"correct horse", &parsed)
            .is_ok());
        assert!(Argon2::default()
            .verify_password(b"wrong", &parsed)
            .is_err());
        assert_eq!(random_password().len(), 24);
        // georep's own verification, in reused memory, agrees
        assert!(verify(&h, b"correct horse"));
        assert!(verify(&h, b"correct horse"), "twice in the same memory");
        assert!(!verify(&h, b"wrong"));
        assert!(!verify("not a hash", b"correct horse"));
    }
}
