//! Small pieces every page uses: badges, times, bars, the confirmation dialog, live updates
//! and the logged-in user.
use chrono::{DateTime, Utc};
use leptos::prelude::*;

use crate::domain::{BrickStatus, SessionStatus};
use crate::error::AppError;
use crate::failover::DrRole;
use crate::health::Health;
use crate::rpc::whoami;
use crate::views::{CheckpointState, Me};

/// Goes up whenever the server says what the pages show has changed (or, without the
/// event stream, every few seconds): resources that read it fetch again. The second field
/// says whether the stream is open already (each page's frame asks for it: one per tab).
#[derive(Clone, Copy)]
pub struct LiveTick(
    pub RwSignal<u64>,
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))] StoredValue<bool>,
);

/// The app's counter; nothing listens yet (`listen_live`, from the pages that show data: the
/// login page needs neither the stream nor its code).
pub fn provide_live_tick() {
    provide_context(LiveTick(RwSignal::new(0), StoredValue::new(false)));
}

pub fn live_tick() -> RwSignal<u64> {
    use_context::<LiveTick>()
        .map(|t| t.0)
        .unwrap_or_else(|| RwSignal::new(0))
}

/// Listens to `/rpc/live` (server-sent events), once per tab however many pages ask; falls
/// back to polling every 5 s when the stream cannot be opened or breaks for good.
pub fn listen_live() {
    #[cfg(feature = "hydrate")]
    if let Some(LiveTick(tick, open)) = use_context::<LiveTick>() {
        Effect::new(move |_| {
            use wasm_bindgen::closure::Closure;
            use wasm_bindgen::JsCast;
            if open.get_value() {
                return;
            }
            open.set_value(true);
            let poll = move || {
                let _ = set_interval_with_handle(
                    move || tick.update(|n| *n += 1),
                    std::time::Duration::from_secs(5),
                );
            };
            let Ok(source) = web_sys::EventSource::new("/rpc/live") else {
                poll();
                return;
            };
            let on_change =
                Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |_| tick.update(|n| *n += 1));
            let _ = source
                .add_event_listener_with_callback("change", on_change.as_ref().unchecked_ref());
            on_change.forget();
            let polling = std::rc::Rc::new(std::cell::Cell::new(false));
            let src = source.clone();
            let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
                // CLOSED: the browser gave up reconnecting (e.g. logged out, server gone)
                if src.ready_state() == web_sys::EventSource::CLOSED && !polling.replace(true) {
                    poll();
                }
            });
            source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
            on_error.forget();
            // the stream lives as long as the tab
            std::mem::forget(source);
        });
    }
}

/// A server call a page makes (a `ServerAction`) and the state its view reads: whether it is
/// under way, and its last outcome. Both are made once, with the call, and read with
/// `try_get`: a render effect notified just before its part of the page was disposed still
/// runs once after (reactive_graph's render effects drain their last notification), and
/// `Action::pending`/`value` on a disposed action panic, which the wasm's immediate abort
/// turns into `RuntimeError: unreachable` (seen in ui-stale: the DR panel's buttons read
/// after the session's page had dropped the panel). A disposed call reads as idle, no outcome.
pub struct Call<S>
where
    S: leptos::server_fn::ServerFn + 'static,
    S::Output: 'static,
{
    action: ServerAction<S>,
    pending: Memo<bool>,
    version: RwSignal<usize>,
    outcome: leptos::reactive::signal::MappedSignal<Option<Result<S::Output, S::Error>>>,
}

impl<S> Clone for Call<S>
where
    S: leptos::server_fn::ServerFn + 'static,
    S::Output: 'static,
{
    fn clone(&self) -> Self {
        *self
    }
}

impl<S> Copy for Call<S>
where
    S: leptos::server_fn::ServerFn + 'static,
    S::Output: 'static,
{
}

impl<S> Call<S>
where
    S: leptos::server_fn::ServerFn + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
    S::Error: Clone + Send + Sync + 'static,
{
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        let action = ServerAction::<S>::new();
        Call {
            action,
            pending: action.pending(),
            version: action.version(),
            outcome: action.value(),
        }
    }

    /// The action itself, for an `<ActionForm>`.
    pub fn action(self) -> ServerAction<S> {
        self.action
    }

    /// Whether the page that made the call is still there.
    fn alive(self) -> bool {
        self.pending.try_get_untracked().is_some()
    }

    /// Makes the call (nothing once the page that made it is gone).
    pub fn dispatch(self, input: S) {
        if self.alive() {
            self.action.dispatch(input);
        }
    }

    /// Forgets the last outcome.
    pub fn clear(self) {
        if self.alive() {
            self.action.clear();
        }
    }

    /// Whether the call is under way (tracked).
    pub fn busy(self) -> bool {
        self.pending.try_get().unwrap_or(false)
    }

    /// Whether the call is under way, untracked.
    pub fn busy_untracked(self) -> bool {
        self.pending.try_get_untracked().unwrap_or(false)
    }

    /// How many calls have come back (tracked): it goes up when a call resolves.
    pub fn version(self) -> usize {
        self.version.try_get().unwrap_or(0)
    }

    /// The last call's outcome (tracked); `None` before the first.
    pub fn outcome(self) -> Option<Result<S::Output, S::Error>> {
        self.outcome.try_get().flatten()
    }
}

/// The logged-in user, read once per page load.
#[derive(Clone, Copy)]
pub struct CurrentUser(pub Resource<Result<Option<Me>, AppError>>);

pub fn provide_current_user() {
    provide_context(CurrentUser(Resource::new(|| (), |_| whoami())));
}

/// Whether the user may change things (false until known, so a viewer never sees a button).
/// Read it inside a `Transition` so the server waits for the user before it renders.
pub fn can_act() -> Signal<bool> {
    let user = use_context::<CurrentUser>();
    Signal::derive(move || {
        user.and_then(|u| u.0.get())
            .and_then(|r| r.ok())
            .flatten()
            .is_some_and(|m| m.can_act())
    })
}

/// Its children only for a user who may change things (not in the page at all for a viewer).
#[component]
pub fn IfCanAct(children: ChildrenFn) -> impl IntoView {
    let can = can_act();
    view! { <Transition fallback=|| ()>{move || can.get().then(|| children())}</Transition> }
}

pub fn status_class(s: SessionStatus) -> &'static str {
    match s {
        SessionStatus::Active | SessionStatus::Passive => "ok",
        SessionStatus::Initializing | SessionStatus::Created | SessionStatus::NotStarted => "info",
        SessionStatus::Paused | SessionStatus::Stopped => "idle",
        SessionStatus::PartialFaulty => "warn",
        SessionStatus::Faulty => "bad",
        SessionStatus::Unknown => "unknown",
    }
}

#[component]
pub fn StatusBadge(status: SessionStatus) -> impl IntoView {
    let text = status.as_str().replace('_', " ");
    view! {
        <span class=format!("badge status-{}", status_class(status)) data-testid="status" data-status=status.as_api()>
            {text}
        </span>
    }
}

/// "failed over" / "failing back" beside a session's status; nothing in the normal role.
/// "stale" when the session's slave volume is gone (the reason in its title).
#[component]
pub fn StaleBadge(stale: Option<crate::views::Stale>) -> impl IntoView {
    stale.map(|st| {
        view! {
            <span class="badge stale status-bad" data-testid="stale" title=st.reason>
                "stale"
            </span>
        }
    })
}

#[component]
pub fn DrBadge(role: Option<DrRole>) -> impl IntoView {
    role.map(|r| {
        let (class, text, title) = match r {
            DrRole::FailedOver => (
                "warn",
                "failed over",
                "the slave volume takes writes; the session does not replicate",
            ),
            DrRole::FailingBack => (
                "info",
                "failing back",
                "a failback brings the slave's writes back to the master",
            ),
        };
        view! {
            <span class=format!("badge dr status-{class}") data-testid="dr-role" data-role=r.as_str() title=title>
                {text}
            </span>
        }
    })
}

#[component]
pub fn BrickBadge(status: BrickStatus) -> impl IntoView {
    let class = match status {
        BrickStatus::Active | BrickStatus::Passive => "ok",
        BrickStatus::Initializing | BrickStatus::Created => "info",
        BrickStatus::Paused | BrickStatus::Stopped => "idle",
        BrickStatus::Faulty | BrickStatus::Offline => "bad",
        BrickStatus::Unknown => "unknown",
    };
    view! { <span class=format!("badge status-{class}") data-testid="brick-status">{status.as_str()}</span> }
}

#[component]
pub fn HealthBadge(health: Option<Health>) -> impl IntoView {
    let (class, text) = match health {
        Some(Health::Healthy) => ("ok", "healthy"),
        Some(Health::Lagging) => ("warn", "lagging"),
        Some(Health::Stalled) => ("bad", "stalled"),
        Some(Health::Faulty) => ("bad", "faulty"),
        Some(Health::Unknown) | None => ("unknown", "unknown"),
    };
    view! { <span class=format!("badge health status-{class}") data-testid="health">{text}</span> }
}

#[component]
pub fn CheckpointBadge(state: CheckpointState, time: Option<DateTime<Utc>>) -> impl IntoView {
    let (class, text) = match state {
        CheckpointState::None => ("unknown", "none"),
        CheckpointState::Pending => ("info", "pending"),
        CheckpointState::Completed => ("ok", "completed"),
    };
    view! {
        <span class=format!("badge status-{class}") title=time.map(absolute).unwrap_or_default() data-testid="checkpoint">
            {text}
        </span>
    }
}

pub fn absolute(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// "3 min ago" (now is the browser's clock after hydration, the server's before).
pub fn relative(t: DateTime<Utc>) -> String {
    let s = (Utc::now() - t).num_seconds();
    match s {
        i64::MIN..=-1 => "just now".into(),
        0..=59 => format!("{s} s ago"),
        60..=3599 => format!("{} min ago", s / 60),
        3600..=86_399 => format!("{} h ago", s / 3600),
        _ => format!("{} d ago", s / 86_400),
    }
}

/// A time both ways: relative in the text, absolute beside it.
#[component]
pub fn When(t: Option<DateTime<Utc>>) -> impl IntoView {
    match t {
        None => view! { <span class="muted">"n/a"</span> }.into_any(),
        Some(t) => view! {
            <time datetime=t.to_rfc3339()>
                {relative(t)}
                <span class="muted abs">{absolute(t)}</span>
            </time>
        }
        .into_any(),
    }
}

/// A labelled bar for a pending count, scaled to `scale` (the largest of its kind on the page).
#[component]
pub fn PendingBar(label: &'static str, value: Option<i64>, scale: i64) -> impl IntoView {
    match value {
        None => view! {
            <div class="bar na" data-testid="bar" data-kind=label>
                <span class="bar-label">{label}</span>
                <span class="muted">"n/a"</span>
            </div>
        }
        .into_any(),
        Some(v) => {
            // a <meter> (no inline style: the CSP allows none)
            let class = if label == "failures" && v > 0 {
                "bad"
            } else {
                ""
            };
            view! {
                <div class="bar" data-testid="bar" data-kind=label>
                    <span class="bar-label">{label}</span>
                    <meter class=class min="0" max=scale.max(v) value=v aria-label=label></meter>
                    <span class="bar-value">{v}</span>
                </div>
            }
            .into_any()
        }
    }
}

/// The page title: how many sessions are not healthy first, as mail and chat tabs say unread
/// messages (`(2) georep`).
pub fn title_for(not_healthy: usize) -> String {
    match not_healthy {
        0 => "georep".to_owned(),
        n => format!("({n}) georep"),
    }
}

/// The favicon (an SVG data URL: the CSP's `img-src` allows `data:`): two arrows, one site to
/// the other; with a red badge and the number (9+ beyond nine) while sessions are not healthy.
pub fn favicon_for(not_healthy: usize) -> String {
    let badge =
        match not_healthy {
            0 => String::new(),
            n => {
                format!(
            "<circle cx='23' cy='9' r='9' fill='#c62828' stroke='#fff' stroke-width='1.5'/>\
             <text x='23' y='13' font-size='{}' font-family='sans-serif' font-weight='bold' \
             text-anchor='middle' fill='#fff'>{}</text>",
            if n > 9 { 9 } else { 12 },
            if n > 9 { "9+".to_owned() } else { n.to_string() }
        )
            }
        };
    let svg = format!(
        "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'>\
         <rect x='1' y='1' width='30' height='30' rx='7' fill='#2f6fb0'/>\
         <path d='M7 12h14l-4-4M25 20H11l4 4' stroke='#fff' stroke-width='2.6' fill='none' \
         stroke-linecap='round' stroke-linejoin='round'/>{badge}</svg>"
    );
    format!(
        "data:image/svg+xml,{}",
        percent_encoding::utf8_percent_encode(&svg, percent_encoding::NON_ALPHANUMERIC)
    )
}

/// The title and favicon of every page, kept up to date by live updates.
#[component]
pub fn HealthInTitle() -> impl IntoView {
    use leptos_meta::{Link, Title};
    let tick = live_tick();
    let count = Resource::new(move || tick.get(), |_| crate::rpc::not_healthy());
    // the last number known: no flicker back to none while a refresh is under way
    let n = move || count.get().and_then(Result::ok).flatten().unwrap_or(0);
    view! {
        <Transition fallback=|| view! { <Title text=title_for(0)/><Link rel="icon" href=favicon_for(0)/> }>
            {move || {
                let n = n();
                view! {
                    <Title text=title_for(n)/>
                    <Link rel="icon" type_="image/svg+xml" href=favicon_for(n)/>
                }
            }}
        </Transition>
    }
}

/// An error in words, for people.
#[component]
pub fn ErrorLine(error: AppError) -> impl IntoView {
    view! { <p class="error" role="alert">{error.to_string()}</p> }
}

/// A modal confirmation: a title, a text, optional extra controls (Force…), Confirm/Cancel.
/// Escape cancels; the confirm button has the focus when it opens.
#[component]
pub fn Dialog(
    title: String,
    #[prop(into)] on_cancel: Callback<()>,
    children: Children,
) -> impl IntoView {
    let label = title.clone();
    view! {
        <div class="overlay" on:keydown=move |ev| if ev.key() == "Escape" { on_cancel.run(()) }>
            <div class="dialog" role="dialog" aria-modal="true" aria-label=label data-testid="dialog">
                <h2>{title}</h2>
                {children()}
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_and_favicon_say_how_many_sessions_are_not_healthy() {
        assert_eq!(title_for(0), "georep");
        assert_eq!(title_for(2), "(2) georep");
        let plain = favicon_for(0);
        assert!(plain.starts_with("data:image/svg+xml,%3Csvg"));
        assert!(!plain.contains("circle"));
        let decoded = |u: &str| {
            percent_encoding::percent_decode_str(u)
                .decode_utf8()
                .unwrap()
                .into_owned()
        };
        assert!(decoded(&favicon_for(3)).contains("fill='#fff'>3</text>"));
        assert!(decoded(&favicon_for(12)).contains(">9+</text>"));
        // nothing a data URL would cut short
        assert!(!favicon_for(3).contains(['#', '<', '>', '\'', '"', ' ']));
    }
}
