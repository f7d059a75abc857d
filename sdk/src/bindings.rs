//! Raw bindings generated from `wit/` (the single source of the contract), for authors who
//! want the WIT types as they are. Everything here is re-exported in friendlier places.

wit_bindgen::generate!({
    path: "../wit",
    world: "connector",
    pub_export_macro: true,
    export_macro_name: "__export_bindings",
    default_bindings_module: "latchkey_sdk::bindings",
    additional_derives: [PartialEq],
});
