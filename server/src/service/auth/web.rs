//! Browser sessions: a login's cookie (stored hashed), looked up per request, ended at logout.
use std::net::IpAddr;
use std::time::Duration;

use chrono::Utc;

use super::TOKEN_CACHE;
use super::{principal, recall, remember, secret, store, token_hash, Authenticator, Principal};
use crate::service::{Result, ServiceError};

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
