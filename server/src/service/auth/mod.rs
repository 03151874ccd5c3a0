//! Users, roles and API tokens: who may call the REST API.
//!
//! Passwords are argon2id hashes, verified off the async threads (`Argon2Threads`). argon2 is slow on purpose,
//! so a successful Basic login is remembered for a short time under an HMAC of the
//! credentials (keyed by a secret drawn at start; never the password itself). API tokens are
//! long random secrets stored as their SHA-256 and found by one indexed lookup.
//!
//! Failed logins are counted per (client address, user name) and per client address, in the
//! database (every georep process on it counts the same failures); past a
//! limit that client's next attempts are refused without looking at the password
//! (`ServiceError::TooManyAttempts`, a 429 with Retry-After at the REST edge) until the oldest
//! failure leaves the window. No user name is locked for everyone: a guesser elsewhere cannot
//! keep its owner out. Each attempt takes its failure slot before the password is checked (so
//! parallel guesses cannot all pass the check), and argon2 runs on a few threads of georep's
//! own, each reusing one ~19 MiB memory block: when too many wait, clients that have failed
//! recently are refused first, and a client that is not guessing still gets its turn.
//!
//! Here: roles, users and tokens, the `Authenticator` (Basic, bearer, the login cache);
//! `passwords.rs` the argon2 threads and their turns; `backoff.rs` the failed-login counts;
//! `web.rs` browser sessions.
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use chrono::Utc;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{Result, Service, ServiceError};
use crate::store::{self, TokenRow, UserRow};

mod backoff;
mod passwords;
mod web;

pub use backoff::{CLIENT_FAILURES, PAIR_FAILURES};
pub use passwords::random_password;
use passwords::{argon2_turns, hash_password, Argon2Threads};
pub use web::WEB_SESSION;

/// How long a verified Basic login is remembered.
const LOGIN_CACHE: Duration = Duration::from_secs(60);
/// How long a token's owner is remembered (tokens are not revoked yet; a new one is seen at once).
const TOKEN_CACHE: Duration = Duration::from_secs(10);
/// Bounds the login cache (a flood of distinct good logins cannot grow it for ever).
const LOGIN_CACHE_MAX: usize = 10_000;
/// The longest password looked at; a longer one is a failure without any hashing.
pub const MAX_PASSWORD: usize = 1024;

pub use app::domain::Role;

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

/// 256 random bits, URL-safe base64.
fn secret() -> String {
    let mut secret = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut secret);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret)
}

/// A token as stored: its SHA-256, hex (API tokens, browser sessions, gluster's event tokens).
pub(crate) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn principal(u: &UserRow) -> Option<Principal> {
    Some(Principal {
        name: u.name.clone(),
        role: u.role,
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
            id: Uuid::new_v4().into(),
            name: name.clone(),
            password_hash: hash,
            role,
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
            id: Uuid::new_v4().into(),
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
        if !store::delete_token(&mut *self.conn().await?, id.into()).await? {
            return Err(ServiceError::NotFound(format!("no token {id}")));
        }
        tracing::info!(token = %id, "API token revoked");
        Ok(())
    }

    /// Removes a user with its tokens and browser logins; the last admin stays.
    pub async fn remove_user(&self, name: &str) -> Result<()> {
        // immediate: it counts the admins before it deletes one
        let mut tx = self.store().begin_immediate().await?;
        let user = store::user_by_name(&mut tx, name)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("no user {name}")))?;
        if user.role == Role::Admin {
            let admins = store::list_users(&mut tx)
                .await?
                .iter()
                .filter(|u| u.role == Role::Admin)
                .count();
            if admins <= 1 {
                return Err(ServiceError::Conflict(format!(
                    "{name} is the last admin: add another admin first"
                )));
            }
        }
        store::delete_user(&mut tx, name).await?;
        tx.commit().await?;
        tracing::info!(user = %name, "user removed");
        Ok(())
    }

    /// When no user exists: adds `admin` with `password` (or a drawn one) and returns the
    /// password to show once (None when it came from the caller or users exist).
    pub async fn ensure_first_admin(&self, password: Option<String>) -> Result<Option<String>> {
        if store::count_users(&mut *self.conn().await?).await? > 0 {
            return Ok(None);
        }
        match self.add_user("admin", Role::Admin, password).await {
            Ok((_, drawn)) => Ok(drawn),
            // another georep on the same database made it meanwhile (both started at once)
            Err(ServiceError::Store(store::StoreError::Duplicate(_))) => Ok(None),
            Err(e) => Err(e),
        }
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
        let key = name.map(|n| self.login_key(n, password));
        if let Some(p) = key.and_then(|k| recall(&self.inner.logins, &k)) {
            // right, as seen within LOGIN_CACHE: no attempt to count, but still refused while
            // this client must wait (a right guess past the limit must tell the guesser nothing)
            self.refused(
                backoff::check(self.service.store(), name, client, backoff::now_ms()).await,
                name,
                client,
            )?;
            return Ok(Some(p));
        }
        let (attempt, guessing) = self.reserve(name, client).await?;
        let found = match name.zip(key) {
            Some((name, key)) if password.len() <= MAX_PASSWORD => {
                self.verify_password(name, password, guessing, key).await
            }
            _ => Ok(None),
        };
        if !matches!(found, Ok(None)) {
            // right, or not checked (busy, store): not a failure of this client
            if let Err(e) = backoff::forgive(self.service.store(), &attempt).await {
                tracing::warn!(error = %e, "a login's failure slot was not given back");
            }
        }
        found
    }

    /// Takes this attempt's failure slot before any check (given back when it succeeds), so
    /// that parallel attempts cannot all pass the limit; with whether the client has failed
    /// within the window already.
    async fn reserve(
        &self,
        user: Option<&str>,
        client: Option<IpAddr>,
    ) -> Result<(backoff::Attempt, bool)> {
        let reserved =
            backoff::reserve(self.service.store(), user, client, backoff::now_ms()).await;
        self.refused(reserved, user, client)
    }

    /// Logs a refusal for too many failures.
    fn refused<T>(&self, r: Result<T>, user: Option<&str>, client: Option<IpAddr>) -> Result<T> {
        if let Err(ServiceError::TooManyAttempts(_)) = &r {
            tracing::warn!(user = user.unwrap_or(""), client = ?client, "login refused: too many failures");
        }
        r
    }

    /// `Authorization: Bearer`: the token's user, or None (an unknown token counts as a
    /// failure of the client, and while the client must wait it is refused: 429).
    /// Who a bearer token names when it was verified within the token cache's lifetime: no
    /// database and nothing counted (the REST fast path's; anything else calls `bearer`).
    pub fn remembered_bearer(&self, token: &str) -> Option<Principal> {
        recall(&self.inner.tokens, &token_hash(token))
    }

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
                self.reserve(None, client).await?;
                Ok(None)
            }
        }
    }
}

impl Authenticator {
    /// Forgets every login, token and browser session it remembers.
    fn forget_all(&self) {
        let i = &self.inner;
        i.logins.lock().unwrap_or_else(|e| e.into_inner()).clear();
        i.tokens.lock().unwrap_or_else(|e| e.into_inner()).clear();
        i.web.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    /// With several georep processes on one PostgreSQL database, until `stopped`: forgets what
    /// it remembers whenever another process revokes a token, removes a user or closes a
    /// browser session (and when the notices may have been missed), so that none keeps
    /// working here for the cache's lifetime. Returns at once on SQLite.
    pub async fn follow_changes(self, mut stopped: tokio::sync::watch::Receiver<bool>) {
        loop {
            let mut listener = match self.service.store().listen(store::AUTH_CHANGED).await {
                Ok(Some(l)) => l,
                Ok(None) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot listen for login changes: retrying");
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_secs(1)) => continue,
                        _ = stopped.wait_for(|s| *s) => return,
                    }
                }
            };
            self.forget_all();
            loop {
                tokio::select! {
                    told = listener.try_recv() => match told {
                        Ok(Some(_)) => self.forget_all(),
                        // reconnecting: what was told meanwhile is lost
                        Ok(None) => self.forget_all(),
                        Err(_) => break,
                    },
                    _ = stopped.wait_for(|s| *s) => return,
                }
            }
        }
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
    fn token_hash_is_sha256_hex() {
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
