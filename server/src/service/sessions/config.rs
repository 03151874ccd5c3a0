//! A session's options and checkpoints: `config` calls under the session's claim, each
//! answered (and stored) with what gluster's own config reads back.
use app::domain::{ActionOutcome, Checkpoint, OptionGroup, SessionOption};
use uuid::Uuid;

use super::super::audit::Audit;
use super::super::names::OptionKey;
use super::super::options;
use super::super::{Result, Service, ServiceError};
use super::{info, Ctx};
use crate::service::operations::{georep_command, Operation, Plan};
use crate::store;
use crate::sync::{Lane, Quiet, Subject};
use app::operations::OperationKind;
use futures_util::TryFutureExt;

impl Service {
    pub async fn session_options(&self, id: Uuid) -> Result<Vec<SessionOption>> {
        let mut c = self.conn().await?;
        if store::get_session(&mut c, id.into()).await?.is_none() {
            return Err(ServiceError::NotFound(format!("session {id}")));
        }
        let rows = store::config_of_session(&mut c, id.into()).await?;
        let policy = self.command_options();
        Ok(rows
            .into_iter()
            .map(|r| option_of(r.config_key, r.config_value, policy))
            .collect())
    }

    /// The option's stored value (what gluster's config read last), if SQLite has one.
    pub(in crate::service) async fn stored_option(
        &self,
        id: Uuid,
        key: &str,
    ) -> Result<Option<String>> {
        let mut c = self.conn().await?;
        let rows = store::config_of_session(&mut c, id.into()).await?;
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
        let (k, spec, v) = match parsed {
            Ok(p) => p,
            Err(e) => {
                audit.target = format!("{} {key}", ctx.target_text());
                return self.refuse(&audit, e).await;
            }
        };
        audit.target = format!("{} {k}={v}", ctx.target_text());
        if let Some(why) = options::command_refusal(spec, self.command_options()) {
            return self.refuse(&audit, ServiceError::Forbidden(why)).await;
        }
        let words = [k.dashed(), v.clone()];
        self.config_call(
            &ctx,
            &audit,
            OperationKind::OptionSet,
            k.as_str(),
            &words,
            Some((spec, Some(&v))),
        )
        .await?;
        self.option_now(id, &k).await
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
        let (k, spec) =
            match OptionKey::parse(key).and_then(|k| options::validate_reset(&k).map(|s| (k, s))) {
                Ok(p) => p,
                Err(e) => return self.refuse(&audit, e).await,
            };
        let words = [format!("!{}", k.dashed())];
        self.config_call(
            &ctx,
            &audit,
            OperationKind::OptionReset,
            k.as_str(),
            &words,
            Some((spec, None)),
        )
        .await?;
        self.option_now(id, &k).await
    }

    /// `config <words…>` as an operation of `kind` (the session's lock, its audit event).
    /// With `option`, gluster's config is read again at once and the option's value stored as
    /// gluster reads it (gluster may answer 0 without having taken a value: with the value
    /// sent, that is `NotTaken`); the rest comes from a refresh in the background.
    async fn config_call(
        &self,
        ctx: &Ctx,
        audit: &Audit,
        kind: OperationKind,
        key: &str,
        words: &[String],
        option: Option<(&options::Spec, Option<&str>)>,
    ) -> Result<Change> {
        let id = ctx.session.session_id.into_uuid();
        let quiet = Quiet::session(id, &[key]);
        let mut all = vec!["config"];
        all.extend(words.iter().map(String::as_str));
        let command = georep_command(&ctx.master.name, &ctx.slave, &all);
        let mut plan = Plan::new(kind, Subject::Session(id), Lane::Change, &audit.actor)
            .quiet(quiet.clone())
            .step(format!("config {key}"), false)
            .params(serde_json::json!({ "key": key, "value": option.and_then(|(_, v)| v) }));
        if option.is_some() {
            plan = plan.step("read gluster's config back", true);
        }
        let op = self.begin_audited(plan, audit).await?;
        let outcome = self.run_config(&op, ctx, key, &all, &command, option).await;
        let message = outcome.as_ref().ok().and_then(|c| match option {
            Some(_) => Some(c.describe(key)),
            None => c.message.clone(),
        });
        op.finish(audit, &outcome, message.as_deref()).await;
        if matches!(outcome, Ok(_) | Err(ServiceError::NotTaken { .. })) {
            self.refresh_later(ctx, quiet);
        }
        outcome
    }

    async fn run_config(
        &self,
        op: &Operation,
        ctx: &Ctx,
        key: &str,
        all: &[&str],
        command: &str,
        option: Option<(&options::Spec, Option<&str>)>,
    ) -> Result<Change> {
        let id = ctx.session.session_id.into_uuid();
        let was = self.stored_option(id, key).await?;
        self.coord().touch(&ctx.session.session_key);
        let answer = op
            .step(
                1,
                Some(command),
                self.gluster()
                    .georep_action(&ctx.target, &ctx.master.name, &ctx.slave, all)
                    .map_err(ServiceError::from),
                |a| a.message.clone(),
            )
            .await?;
        let mut change = Change {
            message: answer.message,
            was,
            reads: None,
            command: option.is_some_and(|(s, _)| s.command),
        };
        let Some((_, sent)) = option else {
            return Ok(change);
        };
        let read = georep_command(&ctx.master.name, &ctx.slave, &["config"]);
        let config = op
            .step(
                2,
                Some(&read),
                self.gluster()
                    .georep_config(&ctx.target, &ctx.master.name, &ctx.slave)
                    .map_err(ServiceError::from),
                |_| None,
            )
            .await?;
        change.reads = config.into_iter().find(|(k, _)| k == key).map(|(_, v)| v);
        let mut c = self.conn().await?;
        match &change.reads {
            Some(v) => store::set_config_value(&mut c, ctx.session.session_id, key, v).await?,
            None => store::delete_config(&mut c, ctx.session.session_id, key).await?,
        }
        // gluster answered 0 but kept another value: never georep's
        if let Some(sent) = sent {
            if !change
                .reads
                .as_deref()
                .is_some_and(|r| options::same_value(r, sent))
            {
                return Err(ServiceError::NotTaken {
                    key: key.to_owned(),
                    sent: sent.to_owned(),
                    reads: change.reads,
                });
            }
        }
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
        let words = ["checkpoint".to_owned(), label];
        let message = self
            .config_call(
                &ctx,
                &audit,
                OperationKind::Checkpoint,
                "checkpoint",
                &words,
                None,
            )
            .await?
            .message;
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
    fn describe(&self, key: &str) -> String {
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
        description: spec.map(|s| s.help).unwrap_or_default().to_owned(),
        group: spec.map_or(OptionGroup::ReadOnly, |s| s.group()),
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
