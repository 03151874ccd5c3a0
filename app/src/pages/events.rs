//! The audit trail, a page of 50 events at a time (newest first), filtered by session, cluster,
//! actor, action, result and days (UTC); "Older" / "Newer" keep the filter, and the filter's
//! events download as CSV or JSON. Everything the page shows is in its URL (`/events?action=
//! pause&before=120`): a link to it shows the same page.
use chrono::{DateTime, NaiveDate, Utc};
use leptos::prelude::*;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;
use leptos_router::params::ParamsMap;

use crate::domain::{EventFilter, EventPage, EventResult};
use crate::rpc::{list_clusters, list_events, list_sessions};
use crate::ui::{absolute, live_tick, ErrorLine};

/// Events on a page.
const PAGE: i64 = 50;

/// What the URL asks for: the filter, and the page (`before` or `after` an event id).
#[derive(Clone, Debug, Default, PartialEq)]
struct Wanted {
    filter: EventFilter,
    /// The days as typed (`YYYY-MM-DD`): the date inputs show them.
    from_day: String,
    to_day: String,
    before: Option<i64>,
    after: Option<i64>,
}

impl Wanted {
    fn read(q: &ParamsMap) -> Self {
        let text = |k: &str| {
            q.get(k)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let day = |k: &str| text(k).and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok());
        let midnight = |d: NaiveDate| -> DateTime<Utc> { d.and_time(Default::default()).and_utc() };
        let (from, to) = (day("from"), day("to"));
        Wanted {
            filter: EventFilter {
                session: text("session").and_then(|s| s.parse().ok()),
                cluster: text("cluster").and_then(|c| c.parse().ok()),
                actor: text("actor"),
                action: text("action"),
                result: text("result").and_then(|r| r.parse().ok()),
                from: from.map(midnight),
                // the day itself included
                to: to.and_then(|d| d.succ_opt()).map(midnight),
            },
            from_day: from.map(|d| d.to_string()).unwrap_or_default(),
            to_day: to.map(|d| d.to_string()).unwrap_or_default(),
            before: text("before").and_then(|b| b.parse().ok()),
            after: text("after").and_then(|a| a.parse().ok()),
        }
    }

    /// The filter as this page's own query (days as typed), without a page position.
    fn query(&self) -> Vec<(&'static str, String)> {
        let f = &self.filter;
        let mut q = Vec::new();
        q.extend(f.session.map(|s| ("session", s.to_string())));
        q.extend(f.cluster.map(|c| ("cluster", c.to_string())));
        q.extend(f.actor.clone().map(|a| ("actor", a)));
        q.extend(f.action.clone().map(|a| ("action", a)));
        q.extend(f.result.map(|r| ("result", r.to_string())));
        if !self.from_day.is_empty() {
            q.push(("from", self.from_day.clone()));
        }
        if !self.to_day.is_empty() {
            q.push(("to", self.to_day.clone()));
        }
        q
    }

    /// This page's address with the filter and one more parameter.
    fn href(&self, more: Option<(&'static str, String)>) -> String {
        with_query("/events", self.query().into_iter().chain(more))
    }

    /// The download of the filter's events in `format` (csv, json).
    fn export(&self, format: &str) -> String {
        let pairs = [("format", format.to_owned())];
        with_query(
            "/events/export",
            pairs.into_iter().chain(self.filter.to_query()),
        )
    }
}

fn with_query(path: &str, pairs: impl Iterator<Item = (&'static str, String)>) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        q.append_pair(k, &v);
    }
    match q.finish() {
        q if q.is_empty() => path.to_owned(),
        q => format!("{path}?{q}"),
    }
}

#[component]
pub fn EventsPage() -> impl IntoView {
    let query = use_query_map();
    let wanted = Memo::new(move |_| Wanted::read(&query.read()));
    let tick = live_tick();
    let events = Resource::new(
        move || (wanted.get(), tick.get()),
        |(w, _)| list_events(Some(w.filter), w.before, w.after, Some(PAGE)),
    );
    view! {
        <section class="page">
            <div class="page-head">
                <h1>"Audit log"</h1>
                <span class="actions">
                    <a href=move || wanted.read().export("csv") download rel="external" data-testid="export-csv">"Export CSV"</a>
                    " "
                    <a href=move || wanted.read().export("json") download rel="external" data-testid="export-json">"Export JSON"</a>
                </span>
            </div>
            <Filters wanted=wanted/>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || events.get().map(|r| match r {
                    Err(e) => view! { <ErrorLine error=e/> }.into_any(),
                    Ok(page) => view! { <Page page=page wanted=wanted.get_untracked()/> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

/// The filter form: a GET of this page (client-side once hydrated), which starts at the newest
/// page of the new filter. Outside what live updates re-render: what the admin types stays.
#[component]
fn Filters(wanted: Memo<Wanted>) -> impl IntoView {
    let sessions = Resource::new(|| (), |_| list_sessions());
    let clusters = Resource::new(|| (), |_| list_clusters());
    let w = move || wanted.get();
    view! {
        <div class="card filters" data-testid="event-filters">
            <Form method="get" action="/events">
                <Transition fallback=|| ()>
                    {move || sessions.get().map(|r| {
                        let list = r.unwrap_or_default();
                        view! {
                            <label>"Session "
                                <select name="session" data-testid="event-filter">
                                    <option value="" selected=move || w().filter.session.is_none()
                                        prop:selected=move || w().filter.session.is_none()>"all"</option>
                                    {list.into_iter().map(|s| {
                                        let id = s.id;
                                        let on = move || w().filter.session == Some(id);
                                        view! {
                                            <option value=id.to_string() selected=on prop:selected=on>
                                                {format!("{} -> {}::{}", s.master_volume, s.slave_host, s.slave_volume)}
                                            </option>
                                        }
                                    }).collect_view()}
                                </select>
                            </label>
                        }
                    })}
                </Transition>
                <Transition fallback=|| ()>
                    {move || clusters.get().map(|r| {
                        let list = r.unwrap_or_default();
                        view! {
                            <label>"Cluster "
                                <select name="cluster" data-testid="filter-cluster">
                                    <option value="" selected=move || w().filter.cluster.is_none()
                                        prop:selected=move || w().filter.cluster.is_none()>"all"</option>
                                    {list.into_iter().map(|c| {
                                        let id = c.id;
                                        let on = move || w().filter.cluster == Some(id);
                                        view! { <option value=id.to_string() selected=on prop:selected=on>{c.name}</option> }
                                    }).collect_view()}
                                </select>
                            </label>
                        }
                    })}
                </Transition>
                <label>"Who "
                    <input type="text" name="actor" size="10" placeholder="admin, sync…" data-testid="filter-actor"
                        value=move || w().filter.actor.unwrap_or_default()
                        prop:value=move || w().filter.actor.unwrap_or_default()/>
                </label>
                <label>"Action "
                    <input type="text" name="action" size="14" placeholder="pause, option_set…" data-testid="filter-action"
                        value=move || w().filter.action.unwrap_or_default()
                        prop:value=move || w().filter.action.unwrap_or_default()/>
                </label>
                <label>"Result "
                    <select name="result" data-testid="filter-result">
                        <option value="" selected=move || w().filter.result.is_none()
                            prop:selected=move || w().filter.result.is_none()>"any"</option>
                        {EventResult::ALL.iter().map(|r| {
                            let r = *r;
                            let on = move || w().filter.result == Some(r);
                            view! { <option value=r.as_str() selected=on prop:selected=on>{r.as_str()}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <label>"From (UTC) "
                    <input type="date" name="from" data-testid="filter-from"
                        value=move || w().from_day prop:value=move || w().from_day/>
                </label>
                <label>"To (UTC) "
                    <input type="date" name="to" data-testid="filter-to"
                        value=move || w().to_day prop:value=move || w().to_day/>
                </label>
                <button type="submit" data-testid="filter-apply">"Filter"</button>
                <a href="/events" data-testid="filter-clear">"Clear"</a>
            </Form>
        </div>
    }
}

/// One page of events, with the links to its neighbours.
#[component]
fn Page(page: EventPage, wanted: Wanted) -> impl IntoView {
    let EventPage {
        events,
        older,
        newer,
    } = page;
    let paging = view! {
        <nav class="paging" aria-label="pages">
            {newer.map(|a| view! { <a href=wanted.href(Some(("after", a.to_string()))) data-testid="events-newer">"← Newer"</a> })}
            " "
            {older.map(|b| view! { <a href=wanted.href(Some(("before", b.to_string()))) data-testid="events-older">"Older →"</a> })}
        </nav>
    };
    if events.is_empty() {
        return view! {
            <p class="empty" data-testid="no-events">"Nothing recorded that this filter selects."</p>
            {paging}
        }
        .into_any();
    }
    view! {
        <table class="grid" data-testid="events">
            <thead><tr><th>"When"</th><th>"Who"</th><th>"Action"</th><th>"Target"</th><th>"Result"</th><th>"Message"</th><th>"Operation"</th></tr></thead>
            <tbody>
                {events.into_iter().map(|e| view! {
                    <tr data-testid="event" data-id=e.id.to_string() data-action=e.action.clone() data-result=e.result.as_str()>
                        <td>{absolute(e.at)}</td>
                        <td>{e.actor.clone()}</td>
                        <td>{e.action.clone()}</td>
                        <td>{match e.session_id {
                            Some(id) => view! { <a href=format!("/sessions/{id}")>{e.target.clone()}</a> }.into_any(),
                            None => e.target.clone().into_any(),
                        }}</td>
                        <td><span class=format!("badge result-{}", e.result)>{e.result.as_str()}</span></td>
                        <td>{e.message.clone().unwrap_or_default()}</td>
                        <td>{e.operation_id.map(|op| view! {
                            <a href=format!("/operations#op-{op}") data-testid="event-operation" title=op.to_string()>"operation"</a>
                        })}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
        {paging}
    }
    .into_any()
}
