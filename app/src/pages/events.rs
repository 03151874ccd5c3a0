//! The audit trail, newest first, optionally of one session.
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use uuid::Uuid;

use crate::rpc::list_events;
use crate::rpc::list_sessions;
use crate::ui::{absolute, live_tick, ErrorLine};

#[component]
pub fn EventsPage() -> impl IntoView {
    let query = use_query_map();
    let session = move || {
        query
            .read()
            .get("session")
            .and_then(|s| s.parse::<Uuid>().ok())
    };
    let tick = live_tick();
    let events = Resource::new(
        move || (session(), tick.get()),
        |(s, _)| list_events(s, Some(200)),
    );
    let sessions = Resource::new(|| (), |_| list_sessions());
    let navigate = use_navigate();
    view! {
        <section class="page">
            <div class="page-head">
                <h1>"Audit log"</h1>
                <Transition fallback=|| ()>
                    {move || sessions.get().map(|r| {
                        let navigate = navigate.clone();
                        let list = r.unwrap_or_default();
                        let current = session().map(|s| s.to_string()).unwrap_or_default();
                        view! {
                            <label>"Session "
                                <select name="session" data-testid="event-filter" on:change=move |ev| {
                                    let v = event_target_value(&ev);
                                    let to = if v.is_empty() { "/events".to_string() } else { format!("/events?session={v}") };
                                    navigate(&to, Default::default());
                                }>
                                    <option value="" selected=current.is_empty()>"all"</option>
                                    {list.into_iter().map(|s| {
                                        let id = s.id.to_string();
                                        view! {
                                            <option value=id.clone() selected=id == current>
                                                {format!("{} → {}::{}", s.master_volume, s.slave_host, s.slave_volume)}
                                            </option>
                                        }
                                    }).collect_view()}
                                </select>
                            </label>
                        }
                    })}
                </Transition>
            </div>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || events.get().map(|r| match r {
                    Err(e) => view! { <ErrorLine error=e/> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="empty">"Nothing recorded yet."</p> }.into_any(),
                    Ok(list) => view! {
                        <table class="grid" data-testid="events">
                            <thead><tr><th>"When"</th><th>"Who"</th><th>"Action"</th><th>"Target"</th><th>"Result"</th><th>"Message"</th><th>"Operation"</th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|e| view! {
                                    <tr data-testid="event" data-action=e.action.clone()>
                                        <td>{absolute(e.at)}</td>
                                        <td>{e.actor.clone()}</td>
                                        <td>{e.action.clone()}</td>
                                        <td>{match e.session_id {
                                            Some(id) => view! { <a href=format!("/sessions/{id}")>{e.target.clone()}</a> }.into_any(),
                                            None => e.target.clone().into_any(),
                                        }}</td>
                                        <td><span class=format!("badge result-{}", e.result)>{e.result.clone()}</span></td>
                                        <td>{e.message.clone().unwrap_or_default()}</td>
                                        <td>{e.operation_id.map(|op| view! {
                                            <a href=format!("/operations#op-{op}") data-testid="event-operation" title=op.to_string()>"operation"</a>
                                        })}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                })}
            </Transition>
        </section>
    }
}
