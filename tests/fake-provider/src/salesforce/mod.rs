//! The Salesforce REST API of the org on `acme.my.salesforce.com`, under `/salesforce`:
//! `GET /services/data/vNN.0/sobjects/{Account|User}/{id}` (with `fields`) and
//! `GET /services/data/vNN.0/query?q=…` (a strict SOQL subset, see [`soql`]). Tokens come from
//! the Salesforce OAuth server of [`crate::oauth`] (under `/salesforce-login`, standing for
//! `login.salesforce.com`); a token needs the `api` (or `full`) scope. Errors are Salesforce's
//! arrays, `[{"message", "errorCode"}]`: an unknown, expired or revoked session is a 401
//! `INVALID_SESSION_ID` ("Session expired or invalid"), a token without `api` a 401
//! `INVALID_SESSION_ID` ("This session is not valid for use with the REST API").

pub mod ids;
mod model;
pub mod soql;

use axum::Router;
use axum::extract::{Path, RawQuery, State as AxumState};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use model::{ACCOUNT_FIELDS, USER_FIELDS};
pub use model::{INSTANCE_URL, LOGIN_URL, SalesforceData, org_id, user_id};

use crate::oauth::client::OauthClient;
use crate::oauth::reply::Issued;
use crate::oauth::state::real_now;
use crate::oauth::store::Grant;
use crate::oauth::{self, App};
use crate::people::Person;
use crate::state::{Inner, State};

/// Oldest and newest API versions answered (`v31.0` … `v62.0`).
const VERSIONS: std::ops::RangeInclusive<u32> = 31..=62;
/// Largest `LIMIT` (and the default batch).
const MAX_ROWS: usize = 2000;

/// The routes, relative to `/salesforce`.
pub fn router() -> Router<State> {
    Router::new()
        .route(
            "/services/data/{version}/sobjects/{object}/{id}",
            get(retrieve),
        )
        .route("/services/data/{version}/query", get(query))
        .fallback(|| async { not_found().into_response() })
}

/// Salesforce's error answer: one `{"message", "errorCode"}` in an array.
#[derive(Debug)]
struct Failure {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let body = json!([{ "message": self.message, "errorCode": self.code }]);
        let mut response = (self.status, Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Token"));
        }
        response
    }
}

fn error(status: StatusCode, code: &'static str, message: &str) -> Failure {
    Failure {
        status,
        code,
        message: message.to_owned(),
    }
}

fn not_found() -> Failure {
    error(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        "The requested resource does not exist",
    )
}

/// The caller of an API request, once its session is accepted.
fn admit(inner: &mut Inner, headers: &HeaderMap) -> Result<Person, Failure> {
    let expired = || {
        error(
            StatusCode::UNAUTHORIZED,
            "INVALID_SESSION_ID",
            "Session expired or invalid",
        )
    };
    let token = oauth::access::bearer(headers).ok_or_else(expired)?;
    let access =
        oauth::access::check(&inner.oauth, App::Salesforce, token).map_err(|_| expired())?;
    if !access.scopes.iter().any(|s| s == "api" || s == "full") {
        return Err(error(
            StatusCode::UNAUTHORIZED,
            "INVALID_SESSION_ID",
            "This session is not valid for use with the REST API",
        ));
    }
    inner.salesforce.seed();
    Ok(inner.people.get(&access.user))
}

/// `vNN.0` within the supported versions.
fn version_ok(version: &str) -> bool {
    version
        .strip_prefix('v')
        .and_then(|v| v.strip_suffix(".0"))
        .and_then(|n| n.parse::<u32>().ok())
        .is_some_and(|n| VERSIONS.contains(&n))
}

fn param(query: Option<&str>, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// `fields=A,B` as a list checked against `known`; every field when absent.
fn field_list(
    requested: Option<String>,
    known: &[&str],
    object: &str,
) -> Result<Vec<String>, Failure> {
    let Some(requested) = requested else {
        return Ok(known.iter().map(|f| (*f).to_owned()).collect());
    };
    let mut fields = Vec::new();
    for field in requested
        .split(',')
        .map(str::trim)
        .filter(|f| !f.is_empty())
    {
        if !known.iter().any(|k| k.eq_ignore_ascii_case(field)) {
            return Err(error(
                StatusCode::BAD_REQUEST,
                "INVALID_FIELD",
                &format!("No such column '{field}' on entity '{object}'."),
            ));
        }
        fields.push(field.to_owned());
    }
    Ok(fields)
}

async fn retrieve(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    Path((version, object, id)): Path<(String, String, String)>,
    RawQuery(query): RawQuery,
) -> Response {
    state
        .with(|inner| {
            let person = admit(inner, &headers)?;
            if !version_ok(&version) {
                return Err(not_found());
            }
            let short = ids::canonical(&id).ok_or_else(|| {
                error(
                    StatusCode::NOT_FOUND,
                    "NOT_FOUND",
                    &format!(
                        "Provided external ID field does not exist or is not accessible: {id}"
                    ),
                )
            })?;
            let requested = param(query.as_deref(), "fields");
            match object.as_str() {
                "Account" => {
                    let fields = field_list(requested, ACCOUNT_FIELDS, "Account")?;
                    let account = inner.salesforce.account(short).ok_or_else(not_found)?;
                    Ok(Json(model::record(
                        "Account",
                        &version,
                        &account.id,
                        &account.fields,
                        &fields,
                    )))
                }
                "User" => {
                    let fields = field_list(requested, USER_FIELDS, "User")?;
                    // Users see themselves (the fake keeps no directory of everyone else).
                    let me = user_id(&person);
                    if !me.starts_with(short) {
                        return Err(not_found());
                    }
                    Ok(Json(model::record(
                        "User",
                        &version,
                        &me,
                        &model::user_fields(&person),
                        &fields,
                    )))
                }
                other => Err(error(
                    StatusCode::NOT_FOUND,
                    "NOT_FOUND",
                    &format!(
                        "The requested resource does not exist: sObject type '{other}' is not \
                         supported."
                    ),
                )),
            }
        })
        .into_response()
}

async fn query(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    Path(version): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    state
        .with(|inner| {
            admit(inner, &headers)?;
            if !version_ok(&version) {
                return Err(not_found());
            }
            let text = param(raw.as_deref(), "q").ok_or_else(|| {
                error(
                    StatusCode::BAD_REQUEST,
                    "MALFORMED_QUERY",
                    "A query string has to be specified",
                )
            })?;
            let parsed = soql::parse(&text).map_err(|soql::Malformed(why)| {
                error(StatusCode::BAD_REQUEST, "MALFORMED_QUERY", &why)
            })?;
            if parsed.object != "Account" {
                return Err(error(
                    StatusCode::BAD_REQUEST,
                    "INVALID_TYPE",
                    &format!("sObject type '{}' is not supported.", parsed.object),
                ));
            }
            let mentioned = parsed
                .fields
                .iter()
                .chain(parsed.filter.as_ref().map(|f| &f.field))
                .chain(parsed.order.as_ref().map(|(f, _)| f));
            for field in mentioned {
                if !ACCOUNT_FIELDS.iter().any(|k| k.eq_ignore_ascii_case(field)) {
                    return Err(error(
                        StatusCode::BAD_REQUEST,
                        "INVALID_FIELD",
                        &format!("No such column '{field}' on entity 'Account'."),
                    ));
                }
            }
            let mut rows: Vec<&model::Account> = inner
                .salesforce
                .accounts
                .iter()
                .filter(|a| {
                    parsed
                        .filter
                        .as_ref()
                        .is_none_or(|f| f.matches(&a.text(&f.field)))
                })
                .collect();
            if let Some((field, ascending)) = &parsed.order {
                rows.sort_by_key(|a| a.text(field).to_lowercase());
                if !ascending {
                    rows.reverse();
                }
            }
            let limit = parsed.limit.unwrap_or(MAX_ROWS).min(MAX_ROWS);
            let records: Vec<Value> = rows
                .iter()
                .take(limit)
                .map(|a| model::record("Account", &version, &a.id, &a.fields, &parsed.fields))
                .collect();
            Ok(Json(json!({
                "totalSize": records.len(),
                "done": true,
                "records": records,
            })))
        })
        .into_response()
}

/// Every Account of the org, with all its fields.
pub fn accounts(inner: &mut Inner) -> Vec<Value> {
    inner.salesforce.seed();
    inner
        .salesforce
        .accounts
        .iter()
        .map(|a| Value::Object(a.fields.clone()))
        .collect()
}

/// The fields Salesforce adds to a token response: `instance_url`, the identity URL `id`,
/// `issued_at` (milliseconds) and `signature` (HMAC-SHA256 of `id` + `issued_at` under the
/// client secret, base64).
pub fn oauth_token_fields(
    inner: &mut Inner,
    grant: &Grant,
    client: &OauthClient,
    issued: &mut Issued,
) {
    let person = inner.people.get(&grant.user);
    let id = format!("{LOGIN_URL}/id/{}/{}", org_id(), user_id(&person));
    let issued_at = (u128::from(real_now()) * 1000).to_string();
    let secret = client.client_secret.as_deref().unwrap_or_default();
    let signature = STANDARD.encode(hmac_sha256(
        secret.as_bytes(),
        format!("{id}{issued_at}").as_bytes(),
    ));
    issued.extra.insert(
        "instance_url".into(),
        inner.salesforce.instance_url().to_string().into(),
    );
    issued.extra.insert("id".into(), id.into());
    issued.extra.insert("issued_at".into(), issued_at.into());
    issued.extra.insert("signature".into(), signature.into());
}

/// HMAC-SHA256 (RFC 2104), as Salesforce signs `id` + `issued_at`.
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    // HMAC takes keys of any length.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC accepts any key");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231() {
        // RFC 4231 test case 2.
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn versions() {
        assert!(version_ok("v61.0"));
        assert!(!version_ok("v61"));
        assert!(!version_ok("v99.0"));
        assert!(!version_ok("61.0"));
    }
}
