//! The trait a connector implements, and the glue `export_connector!` wires to the WIT exports.

use crate::bindings::latchkey::connector::types::CallContext;
use crate::context::Context;
use crate::error::CallError;
use crate::identity::Identity;
use crate::manifest::Manifest;
use crate::tools::Tools;

/// A connector: its manifest, its tools and its "who am I" probe.
pub trait Connector {
    /// Id, name, version, auth schemes, allowed hosts, setup instructions (tools come from
    /// [`Connector::tools`]).
    fn manifest() -> Manifest;

    /// The tools agents may call.
    fn tools() -> Tools;

    /// A cheap call that proves the credential works and says whose it is.
    fn verify(ctx: &Context) -> Result<Identity, CallError>;

    /// Non-secret facts kept on the connection from a token response (secrets already removed
    /// by the host), e.g. Salesforce's `instance_url`. None by default.
    fn connection_metadata(
        token_response: &serde_json::Value,
    ) -> Result<Vec<(String, String)>, CallError> {
        let _ = token_response;
        Ok(Vec::new())
    }
}

/// `describe`: the manifest with the router's tools.
pub fn describe<C: Connector>() -> Manifest {
    let mut manifest = C::manifest();
    manifest.tools = C::tools().list();
    manifest
}

/// Check the connector against the contract's rules the host enforces at load (its id, its
/// tool names, each declared once), so a connector that would be refused fails its own
/// `cargo test` instead: [`export_connector!`] adds a test that calls this.
pub fn check<C: Connector>() -> Result<(), String> {
    let manifest = describe::<C>();
    if let Some(problem) = latchkey_contract::connector_id_problem(&manifest.id) {
        return Err(format!("the connector's {problem}"));
    }
    let mut seen = std::collections::BTreeSet::new();
    for tool in &manifest.tools {
        if let Some(problem) = latchkey_contract::tool_name_problem(&tool.name) {
            return Err(format!("the connector's {problem}"));
        }
        if !seen.insert(tool.name.as_str()) {
            return Err(format!("tool {:?} is declared twice", tool.name));
        }
    }
    Ok(())
}

/// `call-tool`: dispatch through the router.
pub fn call_tool<C: Connector>(
    ctx: CallContext,
    name: &str,
    input: &str,
) -> Result<String, CallError> {
    C::tools().call(&Context::new(ctx), name, input)
}

/// `verify`.
pub fn verify<C: Connector>(ctx: CallContext) -> Result<Identity, CallError> {
    C::verify(&Context::new(ctx))
}

/// `connection-metadata`: parse the JSON, then ask the connector.
pub fn connection_metadata<C: Connector>(
    token_response: &str,
) -> Result<Vec<(String, String)>, CallError> {
    let json = serde_json::from_str(token_response)
        .map_err(|e| CallError::invalid_input(format!("the token response is not JSON: {e}")))?;
    C::connection_metadata(&json)
}

/// Exports a [`Connector`] as the component's `plugin` interface; write it once per plugin.
/// In the crate's own `cargo test` (host target) it also adds a test,
/// `latchkey_connector_follows_the_contract`, that fails when the host would refuse the
/// connector at load (an invalid id or tool name: see [`check`]).
#[macro_export]
macro_rules! export_connector {
    ($connector:ty) => {
        const _: () = {
            struct LatchkeyGuest;

            impl $crate::bindings::exports::latchkey::connector::plugin::Guest for LatchkeyGuest {
                fn describe() -> $crate::Manifest {
                    $crate::connector::describe::<$connector>()
                }

                fn call_tool(
                    ctx: $crate::CallContext,
                    name: ::std::string::String,
                    input: ::std::string::String,
                ) -> ::core::result::Result<::std::string::String, $crate::CallError> {
                    $crate::connector::call_tool::<$connector>(ctx, &name, &input)
                }

                fn verify(
                    ctx: $crate::CallContext,
                ) -> ::core::result::Result<$crate::Identity, $crate::CallError> {
                    $crate::connector::verify::<$connector>(ctx)
                }

                fn connection_metadata(
                    token_response: ::std::string::String,
                ) -> ::core::result::Result<
                    ::std::vec::Vec<(::std::string::String, ::std::string::String)>,
                    $crate::CallError,
                > {
                    $crate::connector::connection_metadata::<$connector>(&token_response)
                }
            }

    $crate::bindings::__export_bindings!(LatchkeyGuest with_types_in $crate::bindings);
        };

        #[cfg(all(test, not(target_arch = "wasm32")))]
        #[test]
        fn latchkey_connector_follows_the_contract() {
            if let Err(problem) = $crate::connector::check::<$connector>() {
                panic!("the host would refuse this connector: {problem}");
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::NoInput;
    use crate::testing;

    struct Demo;

    impl Connector for Demo {
        fn manifest() -> Manifest {
            Manifest::new("demo", "Demo", "0.1.0")
        }

        fn tools() -> Tools {
            Tools::new().read_only("ping", "Pong.", &[], |_: &Context, _: NoInput| {
                Ok::<_, CallError>("pong")
            })
        }

        fn verify(ctx: &Context) -> Result<Identity, CallError> {
            Ok(Identity::new(ctx.user_id()))
        }
    }

    struct BadId;

    impl Connector for BadId {
        fn manifest() -> Manifest {
            Manifest::new("google_drive", "Drive", "0.1.0")
        }

        fn tools() -> Tools {
            Demo::tools()
        }

        fn verify(ctx: &Context) -> Result<Identity, CallError> {
            Demo::verify(ctx)
        }
    }

    struct BadTool;

    impl Connector for BadTool {
        fn manifest() -> Manifest {
            Demo::manifest()
        }

        fn tools() -> Tools {
            Tools::new().read_only("List-Items", "No.", &[], |_: &Context, _: NoInput| {
                Ok::<_, CallError>("x")
            })
        }

        fn verify(ctx: &Context) -> Result<Identity, CallError> {
            Demo::verify(ctx)
        }
    }

    #[test]
    fn the_contract_rules_are_checked_as_the_host_checks_them() {
        assert_eq!(check::<Demo>(), Ok(()));
        let id = check::<BadId>().expect_err("an id with '_' is refused");
        assert!(id.contains("\"google_drive\""), "{id}");
        let tool = check::<BadTool>().expect_err("a tool name with '-' is refused");
        assert!(tool.contains("List-Items"), "{tool}");
    }

    #[test]
    fn glue_runs_the_connector() {
        let manifest = describe::<Demo>();
        assert_eq!(manifest.tools.len(), 1);
        let ctx = testing::context(&[]).as_raw().clone();
        assert_eq!(
            call_tool::<Demo>(ctx.clone(), "ping", "{}").unwrap(),
            "\"pong\""
        );
        assert_eq!(verify::<Demo>(ctx).unwrap().subject, "user-1");
        assert_eq!(
            connection_metadata::<Demo>("{\"instance_url\":\"x\"}").unwrap(),
            vec![]
        );
        assert!(matches!(
            connection_metadata::<Demo>("nope"),
            Err(CallError::InvalidInput(_))
        ));
    }
}
