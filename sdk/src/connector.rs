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
