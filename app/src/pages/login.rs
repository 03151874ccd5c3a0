//! Log in: the same users and roles as the REST API; a session cookie afterwards.
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::rpc::Login;
use crate::ui::Call;

#[component]
pub fn LoginPage() -> impl IntoView {
    let login = Call::<Login>::new();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    Effect::new(move |_| {
        if let Some(Ok(())) = login.outcome() {
            crate::views::reload_to(&crate::views::local_path(Some(&next())));
        }
    });
    view! {
        <section class="page login">
            <h1>"Log in to georep"</h1>
            <ActionForm action=login.action() attr:class="card form" attr:data-testid="login-form">
                <input type="hidden" name="next" prop:value=next/>
                <label>"User" <input type="text" name="name" required autocomplete="username" autofocus/></label>
                <label>"Password" <input type="password" name="password" required autocomplete="current-password"/></label>
                <button type="submit" class="primary" disabled=move || login.busy()>"Log in"</button>
            </ActionForm>
            {move || login.outcome().and_then(|r| r.err()).map(|e| view! {
                <p class="error" role="alert">{e.to_string()}</p>
            })}
        </section>
    }
}
