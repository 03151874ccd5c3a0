//! Clusters → volumes: type, status, bricks, and the part each volume plays in geo-replication.
use leptos::prelude::*;

use crate::rpc::list_volumes;
use crate::ui::{live_tick, ErrorLine};
use crate::views::VolumeView;

#[component]
pub fn VolumesPage() -> impl IntoView {
    let tick = live_tick();
    let volumes = Resource::new(move || tick.get(), |_| list_volumes());
    view! {
        <section class="page">
            <h1>"Volumes"</h1>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || volumes.get().map(|r| match r {
                    Err(e) => view! { <ErrorLine error=e/> }.into_any(),
                    Ok(list) if list.is_empty() => view! {
                        <p class="empty">"No volumes yet: register a cluster; its volumes appear after the first sync."</p>
                    }.into_any(),
                    Ok(list) => view! { <VolumeTable volumes=list/> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

#[component]
fn VolumeTable(volumes: Vec<VolumeView>) -> impl IntoView {
    view! {
        <table class="grid" data-testid="volumes">
            <thead>
                <tr>
                    <th>"Cluster"</th><th>"Volume"</th><th>"Type"</th><th>"Status"</th>
                    <th>"Bricks"</th><th>"Geo-replication"</th>
                </tr>
            </thead>
            <tbody>
                {volumes.into_iter().map(|v| view! { <VolumeRow v/> }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn VolumeRow(v: VolumeView) -> impl IntoView {
    let status_class = match v.status.as_str() {
        "Started" => "ok",
        "Stopped" => "idle",
        _ => "info",
    };
    let href = format!("/volumes/{}", v.id);
    view! {
        <tr data-testid="volume" data-name=v.name.clone()>
            <td>{v.cluster_name.clone()}</td>
            <td><a href=href><strong>{v.name.clone()}</strong></a></td>
            <td>{v.volume_type.clone()}</td>
            <td><span class=format!("badge status-{status_class}")>{v.status.clone()}</span></td>
            <td>
                <ul class="bricks">
                    {v.bricks.iter().map(|b| view! {
                        <li class=format!("brick brick-{}", b.status) title=b.status.to_string()>
                            <span class="dot" aria-hidden="true"></span>
                            {format!("{}:{}", b.server, b.path)}
                            <span class="sr-only">{format!(" ({})", b.status)}</span>
                        </li>
                    }).collect_view()}
                </ul>
            </td>
            <td>
                {(v.master_of > 0).then(|| view! {
                    <span class="marker master" data-testid="marker-master">{format!("master of {}", v.master_of)}</span>
                })}
                {(v.slave_of > 0).then(|| view! {
                    <span class="marker slave" data-testid="marker-slave">{format!("slave of {}", v.slave_of)}</span>
                })}
            </td>
        </tr>
    }
}
