//! Passwords: argon2id hashes, verified on a few threads of georep's own, each reusing one
//! ~19 MiB memory block, with a bounded queue of turns (clients that failed recently are
//! refused first when it is long).
use std::sync::{Arc, Mutex};
use std::time::Duration;

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, SaltString};
use argon2::Argon2;
use rand::{distributions::Alphanumeric, Rng};

use super::{principal, remember, store, Authenticator, Principal, LOGIN_CACHE};
use crate::service::{Result, ServiceError};

/// Password verifications waiting for their turn past which a client that has failed within
/// the window is refused (429)...
const QUEUE_GUESSING: usize = 8;
/// ...and past which everyone is (each waiting login holds only its request).
const QUEUE_MAX: usize = 512;

/// A random password of 24 letters and digits.
pub fn random_password() -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(24)
        .map(char::from)
        .collect()
}

pub(super) fn hash_password(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ServiceError::Invalid(format!("cannot hash the password: {e}")))
}

impl Authenticator {
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

    /// Checks `password` with argon2 on a turn of its own; a right one is remembered under
    /// `key` (its login cache key) for `LOGIN_CACHE`.
    pub(super) async fn verify_password(
        &self,
        user: &str,
        password: &str,
        guessing: bool,
        key: [u8; 32],
    ) -> Result<Option<Principal>> {
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
}

/// Concurrent argon2 verifications: half the cores, at least one.
pub(super) fn argon2_turns() -> usize {
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
pub(super) struct Argon2Threads(std::sync::mpsc::Sender<Box<dyn FnOnce() + Send>>);

impl Argon2Threads {
    pub(super) fn spawn(n: usize) -> Self {
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

    pub(super) fn run(&self, job: impl FnOnce() + Send + 'static) {
        // a send fails only without any thread: the job's answer channel is then dropped
        // and the password counts as wrong
        let _ = self.0.send(Box::new(job));
    }
}

static DUMMY_HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::PasswordVerifier;

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
