//! Rust bindings generated from `wit/`, the single source of the connector contract.
//! Only the plugin module sees these types; the rest of the host uses `plugin::types`.

wasmtime::component::bindgen!({
    path: "../../wit",
    world: "connector",
});
