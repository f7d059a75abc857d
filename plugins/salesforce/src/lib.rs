//! Salesforce connector: read Accounts of the user's org (by id, or by a name search), with
//! the OAuth 2.0 web server flow.
//!
//! Every org has its own API origin, the `instance_url` of the token response. The host hands
//! the secret-free token response to `connection_metadata`, which keeps `instance_url` (only an
//! `https://….my.salesforce.com` origin) and the org and user ids of the identity URL `id`;
//! tools read them from the call context and refuse to run without a valid instance.

mod errors;
mod ids;
mod instance;
mod soql;

use latchkey_sdk::prelude::*;
use latchkey_sdk::{TokenEndpointAuth, TokenResponseShape};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use errors::API;
use ids::AccountId;

const AUTHORIZE_URL: &str = "https://login.salesforce.com/services/oauth2/authorize";
const TOKEN_URL: &str = "https://login.salesforce.com/services/oauth2/token";
const REVOKE_URL: &str = "https://login.salesforce.com/services/oauth2/revoke";
/// A refresh token (Salesforce issues one only with this scope).
const REFRESH: &str = "refresh_token";
/// The REST API version this connector is written against (Summer '24).
const VERSION: &str = "v61.0";
/// Fields `get_account` reads.
const ACCOUNT_FIELDS: &str = "Id,Name,Type,Industry,Phone,Website,BillingCity,BillingCountry,\
                              AnnualRevenue,NumberOfEmployees,OwnerId,LastModifiedDate";
/// Fields `search_accounts` lists.
const SEARCH_FIELDS: &str = "Id, Name, Type, Industry, BillingCity, BillingCountry";
/// Longest name search.
const MAX_NAME: usize = 200;

/// The org's REST base, `{instance_url}/services/data/v61.0`, from the connection metadata.
fn api_base(ctx: &Context) -> Result<String, CallError> {
    let url = ctx
        .metadata("instance_url")
        .and_then(instance::checked)
        .ok_or_else(|| {
            CallError::invalid_credential(
                "the connection has no valid Salesforce instance (https://….my.salesforce.com): \
                 reconnect",
            )
        })?;
    Ok(format!("{url}/services/data/{VERSION}"))
}

/// Sends `request` with the connection's token; reads Salesforce's errors.
fn send(request: Request) -> Result<Value, CallError> {
    let response = request
        .header("Accept", "application/json")
        .authenticated()
        .send()?;
    errors::checked(response)?.json()
}

/// A record without Salesforce's `attributes`.
fn fields_of(record: &Value) -> Value {
    match record {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| *k != "attributes")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect::<Map<String, Value>>(),
        ),
        other => other.clone(),
    }
}

/// Where a person opens the record in Lightning Experience.
fn record_link(ctx: &Context, id: &str) -> Option<String> {
    let base = ctx.metadata("instance_url").and_then(instance::checked)?;
    ids::is_record_id(id).then(|| format!("{base}/lightning/r/Account/{id}/view"))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct GetAccount {
    id: AccountId,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct SearchAccounts {
    /// Text the Account name contains (case-insensitive), e.g. `Acme`.
    #[schemars(length(min = 1, max = 200))]
    name: String,
    /// At most this many Accounts, 1 to 50 (default 20).
    #[schemars(range(min = 1, max = 50))]
    limit: Option<u32>,
}

fn get_account(ctx: &Context, input: GetAccount) -> Result<Value, CallError> {
    let base = api_base(ctx)?;
    let request = Request::get(format!("{base}/sobjects/Account/{}", input.id))
        .query("fields", ACCOUNT_FIELDS);
    let record = send(request).map_err(|error| match error {
        CallError::Upstream(e) if e.status == 404 => CallError::upstream(
            404,
            format!("no Account with id {} (or you may not see it)", input.id),
        ),
        other => other,
    })?;
    let mut account = fields_of(&record);
    let id = account["Id"].as_str().unwrap_or_default().to_owned();
    account["url"] = record_link(ctx, &id).into();
    Ok(account)
}

fn search_accounts(ctx: &Context, input: SearchAccounts) -> Result<Value, CallError> {
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME {
        return Err(CallError::invalid_input("name must be 1 to 200 characters"));
    }
    let limit = input.limit.unwrap_or(20);
    if !(1..=50).contains(&limit) {
        return Err(CallError::invalid_input("limit must be between 1 and 50"));
    }
    let query = soql::accounts_named(name, SEARCH_FIELDS, limit).map_err(|c| {
        CallError::invalid_input(format!(
            "name contains a control character (U+{:04X})",
            u32::from(c)
        ))
    })?;
    let base = api_base(ctx)?;
    let answer = send(Request::get(format!("{base}/query")).query("q", &query))?;
    let accounts: Vec<Value> = answer["records"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|record| {
            let mut account = fields_of(record);
            let id = account["Id"].as_str().unwrap_or_default().to_owned();
            account["url"] = record_link(ctx, &id).into();
            account
        })
        .collect();
    Ok(json!({ "total": answer["totalSize"], "accounts": accounts }))
}

struct Salesforce;

impl Connector for Salesforce {
    fn manifest() -> Manifest {
        // Token responses carry no `expires_in` (sessions time out by the org's policy; a 401
        // says so) but `instance_url`, `id`, `issued_at` and `signature`. A refresh token
        // comes only with the `refresh_token` scope (asked for on every consent, a base scope);
        // a refresh gives no new one: the one from the consent stays valid.
        let oauth = Oauth2Scheme::new(AUTHORIZE_URL, TOKEN_URL)
            .revoke_url(REVOKE_URL)
            .default_scopes(&[API])
            .base_scopes(&[REFRESH])
            .token_endpoint_auth(TokenEndpointAuth::ClientSecretPost)
            .token_response(TokenResponseShape {
                error_aliases: [
                    ("invalid_client_id", "invalid_client"),
                    ("inactive_user", "invalid_grant"),
                    ("inactive_org", "invalid_grant"),
                    ("redirect_uri_mismatch", "invalid_grant"),
                ]
                .map(|(from, to)| (from.to_owned(), to.to_owned()))
                .to_vec(),
                ..TokenResponseShape::default()
            });
        Manifest::new("salesforce", "Salesforce", env!("CARGO_PKG_VERSION"))
            .description("Find and read Accounts in your Salesforce org.")
            .auth(oauth)
            .allow_host("https://*.my.salesforce.com")
            .setup_instructions(include_str!("setup.md"))
    }

    fn tools() -> Tools {
        Tools::new()
            .read_only(
                "get_account",
                "One Salesforce Account by id (15 or 18 characters, starting with 001): name, \
                 type, industry, phone, website, billing city and country, revenue, employees, \
                 owner and link.",
                &[API],
                get_account,
            )
            .read_only(
                "search_accounts",
                "Salesforce Accounts whose name contains some text, by name: id, name, type, \
                 industry, billing city and country, link.",
                &[API],
                search_accounts,
            )
    }

    fn verify(ctx: &Context) -> Result<Identity, CallError> {
        let base = api_base(ctx)?;
        let user = ctx
            .metadata("user_id")
            .filter(|id| ids::is_record_id(id) && id.starts_with("005"))
            .ok_or_else(|| {
                CallError::invalid_credential("the connection does not say which user it is")
            })?;
        let me = send(
            Request::get(format!("{base}/sobjects/User/{user}"))
                .query("fields", "Id,Username,Name,Email"),
        )?;
        Ok(Identity::from_json(&me, "/Id", "/Name")?
            .metadata_from(&me, "username", "/Username")
            .metadata_from(&me, "email", "/Email"))
    }

    fn connection_metadata(token_response: &Value) -> Result<Vec<(String, String)>, CallError> {
        instance::metadata(token_response).map_err(CallError::invalid_input)
    }
}

latchkey_sdk::export_connector!(Salesforce);

#[cfg(test)]
mod tests;
