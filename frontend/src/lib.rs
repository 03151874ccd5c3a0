//! The browser entry: hydrate the server-rendered page. Nothing else lives here.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    // the pages are lazy routes (their code a piece of the split wasm): hydration waits for the
    // page's pieces to arrive (`hydrate_body` panics on a lazy route)
    leptos::mount::hydrate_lazy(app::App);
}
