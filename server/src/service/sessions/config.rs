//! A session's options and checkpoints: `config` calls under the session's claim, each
//! answered (and stored) with what gluster's own config reads back.
use app::domain::{ActionOutcome, Checkpoint, SessionOption};
use uuid::Uuid;

use super::super::audit::Audit;
use super::super::names::OptionKey;
use super::super::options;
use super::super::{Result, Service, ServiceError};
use super::{info, Ctx};
use crate::store;
use crate::sync::{Lane, Quiet, Subject};

impl Service {
    pub async fn session_options(&self, id: Uuid) -> Result<Vec<SessionOption>> {
        let mut c = self.conn().await?;
        if store::get_session(&mut c, id.hyphenated()).await?.is_none() {
            return Err(ServiceError::NotFound(format!("session {id}")));
        }
        let rows = store::config_of_session(&mut c, id.hyphenated()).await?;
        let policy = self.command_options();
        Ok(rows
            .into_iter()
            .map(|r| option_of(r.config_key, r.config_value, policy))
            .collect())
    }

    /// The option's stored value (what gluster's config read last), if SQLite has one.
    async fn stored_option(&self, id: Uuid, key: &str) -> Result<Option<String>> {
        let mut c = self.conn().await?;
        let rows = store::config_of_session(&mut c, id.hyphenated()).await?;
        Ok(rows
            .into_iter()
            .find(|r| r.config_key == key)
            .map(|r| r.config_value))
    }

    async fn option_now(&self, id: Uuid, key: &OptionKey) -> Result<SessionOption> {
        let value = self.stored_option(id, key.as_str()).await?;
        let spec = options::spec(key);
        Ok(option_of(
            key.as_str().to_owned(),
            value
                .or(spec.map(|s| s.default.to_owned()))
                .unwrap_or_default(),
            self.command_options(),
        ))
    }

    /// Sets one option (validated against gluster 10's rules and this server's command option
    /// policy before gluster sees it). Answers, and stores, what gluster's config reads back.
    pub(in crate::service) async fn set_option_now(
        &self,
        actor: &str,
        id: Uuid,
        key: &str,
        value: &str,
    ) -> Result<SessionOption> {
        let ctx = self.session_scope(id).await?;
        let mut audit = ctx.audit(actor, "option_set");
        let parsed = OptionKey::parse(key)
            .and_then(|k| options::validate_set(&k, value).map(|(s, v)| (k, s, v)));
        let outcome = match parsed {
            Ok((k, spec, v)) => {
                audit.target = format!("{} {k}={v}", ctx.target_text());
                if let Some(why) = options::command_refusal(spec, self.command_options()) {
                    let refused: Result<(OptionKey, Change)> = Err(ServiceError::Forbidden(why));
                    return self.finish_option(&audit, id, refused).await;
                }
                let set = self
                    .config_call(&ctx, k.as_str(), &[&k.dashed(), &v], Some(spec))
                    .await;
                match set {
                    // gluster answered 0 but kept another value: never georep's
                    Ok(change)
                        if !change
                            .reads
                            .as_deref()
                            .is_some_and(|r| options::same_value(r, &v)) =>
                    {
                        Err(ServiceError::NotTaken {
                            key: k.to_string(),
                            sent: v,
                            reads: change.reads,
                        })
                    }
                    other => other.map(|change| (k, change)),
                }
            }
            Err(e) => {
                audit.target = format!("{} {key}", ctx.target_text());
                Err(e)
            }
        };
        self.finish_option(&audit, id, outcome).await
    }

    /// Resets one option to its default (`config '!key'`); answers, and stores, what
    /// gluster's config reads back.
    pub(in crate::service) async fn reset_option_now(
        &self,
        actor: &str,
        id: Uuid,
        key: &str,
    ) -> Result<SessionOption> {
        let ctx = self.session_scope(id).await?;
        let mut audit = ctx.audit(actor, "option_reset");
        audit.target = format!("{} {key}", ctx.target_text());
        let outcome =
            match OptionKey::parse(key).and_then(|k| options::validate_reset(&k).map(|s| (k, s))) {
                Ok((k, spec)) => self
                    .config_call(&ctx, k.as_str(), &[&format!("!{}", k.dashed())], Some(spec))
                    .await
                    .map(|change| (k, change)),
                Err(e) => Err(e),
            };
        self.finish_option(&audit, id, outcome).await
    }

    async fn finish_option(
        &self,
        audit: &Audit,
        id: Uuid,
        outcome: Result<(OptionKey, Change)>,
    ) -> Result<SessionOption> {
        let message = outcome.as_ref().ok().map(|(k, change)| change.describe(k));
        self.record(audit, &outcome, message.as_deref()).await;
        let (key, _) = outcome?;
        self.option_now(id, &key).await
    }

    /// `config <words…>` under the session's lock. With `option`, gluster's config is read
    /// again at once and the option's value stored as gluster reads it (gluster may answer 0
    /// without having taken a value); the rest comes from a refresh in the background.
    async fn config_call(
        &self,
        ctx: &Ctx,
        key: &str,
        words: &[&str],
        option: Option<&options::Spec>,
    ) -> Result<Change> {
        let id = ctx.session.session_id.into_uuid();
        let quiet = Quiet::session(id, &[key]);
        let _claim = self.claim(
            Subject::Session(id),
            Lane::Change,
            &format!("config {key}"),
            quiet.clone(),
        )?;
        let mut all = vec!["config"];
        all.extend_from_slice(words);
        let was = self.stored_option(id, key).await?;
        self.coord().touch(&ctx.session.session_key);
        let answer = self
            .gluster()
            .georep_action(&ctx.target, &ctx.master.name, &ctx.slave, &all)
            .await?;
        let mut change = Change {
            message: answer.message,
            was,
            reads: None,
            command: option.is_some_and(|s| s.command),
        };
        if option.is_some() {
            let config = self
                .gluster()
                .georep_config(&ctx.target, &ctx.master.name, &ctx.slave)
                .await?;
            change.reads = config.into_iter().find(|(k, _)| k == key).map(|(_, v)| v);
            let mut c = self.conn().await?;
            match &change.reads {
                Some(v) => store::set_config_value(&mut c, ctx.session.session_id, key, v).await?,
                None => store::delete_config(&mut c, ctx.session.session_id, key).await?,
            }
        }
        self.refresh_later(ctx, quiet);
        Ok(change)
    }

    /// Sets a checkpoint: now, or a given time (gluster reads the label in the master node's
    /// local time; the lab's is UTC).
    pub(in crate::service) async fn set_checkpoint_now(
        &self,
        actor: &str,
        id: Uuid,
        at: Checkpoint,
    ) -> Result<ActionOutcome> {
        let ctx = self.session_scope(id).await?;
        let label = match at {
            Checkpoint::Now => "now".to_owned(),
            Checkpoint::At(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
        };
        let mut audit = ctx.audit(actor, "checkpoint");
        audit.target = format!("{} checkpoint={label}", ctx.target_text());
        let outcome = self
            .config_call(&ctx, "checkpoint", &["checkpoint", &label], None)
            .await
            .map(|change| change.message);
        let message = outcome.as_ref().ok().cloned().flatten();
        self.record(&audit, &outcome, message.as_deref()).await;
        let message = outcome?;
        Ok(ActionOutcome {
            session: self.stored_session(id).await?.as_ref().map(info),
            message,
        })
    }
}

/// What a `config` call did: gluster's note, and for an option its value before (as stored)
/// and as gluster's config reads it after.
struct Change {
    message: Option<String>,
    was: Option<String>,
    reads: Option<String>,
    command: bool,
}

impl Change {
    /// The audit message: old and new value (a command option says so), gluster's note.
    fn describe(&self, key: &OptionKey) -> String {
        let shown = |v: &Option<String>| {
            v.as_deref()
                .map_or("(not listed)".into(), |v| format!("{v:?}"))
        };
        let kind = if self.command { "command option " } else { "" };
        let mut m = format!(
            "{kind}{key}: {} -> {}",
            shown(&self.was),
            shown(&self.reads)
        );
        if let Some(note) = &self.message {
            m.push_str("; gluster: ");
            m.push_str(note);
        }
        m
    }
}

fn option_of(key: String, value: String, policy: options::CommandOptions) -> SessionOption {
    let spec = OptionKey::parse(&key).ok().and_then(|k| options::spec(&k));
    SessionOption {
        command_option: spec.is_some_and(|s| s.command),
        refused_reason: spec.and_then(|s| options::command_refusal(s, policy)),
        default_value: spec.map(|s| s.default.to_owned()),
        allowed_values: spec
            .map(|s| options::allowed_values(s.kind))
            .unwrap_or_default(),
        // an option gluster lists that gluster 10's table does not know cannot be validated
        read_only: spec.is_none_or(|s| !s.settable()),
        description: options::description(&key).to_owned(),
        min: spec.and_then(|s| match s.kind {
            options::Kind::Int { min, .. } => Some(min),
            _ => None,
        }),
        max: spec.and_then(|s| match s.kind {
            options::Kind::Int { max, .. } => Some(max),
            _ => None,
        }),
        key,
        value,
    }
}
