//! Google Drive connector: find files by name and read a file's metadata, with a service
//! account (RFC 7523) or a user's OAuth consent.

mod errors;
mod file_id;
mod query;
mod summary;

use latchkey_sdk::TokenEndpointAuth;
use latchkey_sdk::prelude::*;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

use file_id::FileId;

const API: &str = "https://www.googleapis.com/drive/v3";
const AUTHORIZE_URL: &str = "https://accounts.google.com/o/oauth2/v2/auth";
const TOKEN_URL: &str = "https://oauth2.googleapis.com/token";
const REVOKE_URL: &str = "https://oauth2.googleapis.com/revoke";
/// Google sends `iss` on authorization responses (RFC 9207).
const ISSUER: &str = "https://accounts.google.com";
/// See and download all Drive files: what every tool needs.
const DRIVE_READONLY: &str = "https://www.googleapis.com/auth/drive.readonly";

/// Sends an authenticated request and reads the JSON answer, with Google's 403s recognised.
fn send(request: Request) -> Result<Value, CallError> {
    errors::checked(request.authenticated().send()?, DRIVE_READONLY)?.json()
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ListFiles {
    /// Words the file name starts with (or one of its words does), e.g. `budget`; leave out
    /// to list everything outside the trash.
    #[schemars(length(max = 200))]
    query: Option<String>,
    /// Files per call, 1 to 100 (default 25).
    #[schemars(range(min = 1, max = 100))]
    page_size: Option<u32>,
    /// `next_page_token` of a previous call, for the files after it.
    page_token: Option<String>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct GetFile {
    id: FileId,
}

fn list_files(_: &Context, input: ListFiles) -> Result<Value, CallError> {
    let page_size = input.page_size.unwrap_or(25);
    if !(1..=100).contains(&page_size) {
        return Err(CallError::invalid_input(
            "page_size must be between 1 and 100",
        ));
    }
    if input
        .query
        .as_ref()
        .is_some_and(|q| q.chars().count() > 200)
    {
        return Err(CallError::invalid_input(
            "query must be at most 200 characters",
        ));
    }
    let mut request = Request::get(format!("{API}/files"))
        .query("q", &query::name_search(input.query.as_deref()))
        .query("pageSize", &page_size.to_string())
        .query("fields", summary::LIST_FIELDS);
    if let Some(token) = input.page_token.filter(|t| !t.is_empty()) {
        request = request.query("pageToken", &token);
    }
    Ok(summary::file_list(&send(request)?))
}

fn get_file(_: &Context, input: GetFile) -> Result<Value, CallError> {
    let request =
        Request::get(format!("{API}/files/{}", input.id)).query("fields", summary::FILE_FIELDS);
    Ok(summary::file_details(&send(request)?))
}

struct GoogleDrive;

impl Connector for GoogleDrive {
    fn manifest() -> Manifest {
        let service_account = ServiceAccountScheme::jwt_bearer(TOKEN_URL).scopes(&[DRIVE_READONLY]);
        // `access_type=offline` and `prompt=consent` make Google issue a refresh token (on
        // every consent, not only the first); `include_granted_scopes` keeps earlier grants.
        let oauth = Oauth2Scheme::new(AUTHORIZE_URL, TOKEN_URL)
            .revoke_url(REVOKE_URL)
            .issuer(ISSUER)
            .default_scopes(&[DRIVE_READONLY])
            .extra_authorize_param("access_type", "offline")
            .extra_authorize_param("prompt", "consent")
            .include_granted_scopes()
            .token_endpoint_auth(TokenEndpointAuth::ClientSecretPost);
        Manifest::new("google-drive", "Google Drive", env!("CARGO_PKG_VERSION"))
            .description("Find Google Drive files by name and read their details.")
            .auth(service_account)
            .auth(oauth)
            .allow_host("https://www.googleapis.com")
            .setup_instructions(include_str!("setup.md"))
    }

    fn tools() -> Tools {
        Tools::new()
            .read_only(
                "list_files",
                "Files whose name matches some words (or all files), outside the trash: id, \
                 name, type, size, last change and link.",
                &[DRIVE_READONLY],
                list_files,
            )
            .read_only(
                "get_file",
                "One file's details by id: type, size, dates, folder, owners, link.",
                &[DRIVE_READONLY],
                get_file,
            )
    }

    fn verify(_: &Context) -> Result<Identity, CallError> {
        let about = send(Request::get(format!("{API}/about")).query("fields", "user"))?;
        let subject = if about.pointer("/user/emailAddress").is_some() {
            "/user/emailAddress"
        } else {
            "/user/permissionId"
        };
        Ok(
            Identity::from_json(&about, subject, "/user/displayName")?.metadata_from(
                &about,
                "email",
                "/user/emailAddress",
            ),
        )
    }
}

latchkey_sdk::export_connector!(GoogleDrive);

#[cfg(test)]
mod tests {
    use super::*;
    use latchkey_sdk::{AuthScheme, ServiceAccountScheme, testing};
    use serde_json::json;

    #[test]
    fn manifest_has_a_service_account_and_oauth() {
        let manifest = GoogleDrive::manifest();
        let AuthScheme::ServiceAccount(sa) = &manifest.auth[0] else {
            panic!("service account first");
        };
        assert_eq!(
            sa,
            &ServiceAccountScheme::jwt_bearer(TOKEN_URL).scopes(&[DRIVE_READONLY])
        );
        let AuthScheme::Oauth2(oauth) = &manifest.auth[1] else {
            panic!("then OAuth");
        };
        assert_eq!(oauth.authorize_url, AUTHORIZE_URL);
        assert_eq!(oauth.revoke_url.as_deref(), Some(REVOKE_URL));
        assert_eq!(oauth.issuer.as_deref(), Some(ISSUER));
        assert!(oauth.include_granted_scopes);
        assert!(
            oauth
                .extra_authorize_params
                .contains(&("access_type".into(), "offline".into()))
        );
        assert!(
            oauth
                .extra_authorize_params
                .contains(&("prompt".into(), "consent".into()))
        );
        assert_eq!(manifest.allowed_hosts, ["https://www.googleapis.com"]);
        assert!(
            manifest
                .setup_instructions
                .contains("/v1/oauth/callback/google-drive")
        );
    }

    #[test]
    fn list_files_builds_a_safe_query() {
        testing::mock_http(|req| {
            assert!(req.authenticate);
            let url = url_params(&req.url);
            assert_eq!(url.0, "https://www.googleapis.com/drive/v3/files");
            assert_eq!(
                url.1,
                [
                    (
                        "q".to_owned(),
                        "name contains 'Bob\\'s' and trashed = false".to_owned()
                    ),
                    ("pageSize".to_owned(), "10".to_owned()),
                    ("fields".to_owned(), summary::LIST_FIELDS.to_owned()),
                    ("pageToken".to_owned(), "next-1".to_owned()),
                ]
            );
            Ok(testing::response(
                200,
                r#"{"files": [{"id": "f1", "name": "Bob's plan", "mimeType": "text/plain"}],
                    "nextPageToken": "next-2"}"#,
            ))
        });
        let input = r#"{"query": "Bob's", "page_size": 10, "page_token": "next-1"}"#;
        let out = GoogleDrive::tools()
            .call(&testing::context(&[DRIVE_READONLY]), "list_files", input)
            .unwrap();
        let out: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(out["files"][0]["name"], "Bob's plan");
        assert_eq!(out["next_page_token"], "next-2");
        let too_many = r#"{"page_size": 1000}"#;
        assert!(matches!(
            GoogleDrive::tools().call(&testing::context(&[]), "list_files", too_many),
            Err(CallError::InvalidInput(_))
        ));
        testing::clear_http();
    }

    #[test]
    fn get_file_validates_the_id_and_maps_scope_errors() {
        testing::clear_http();
        let traversal = r#"{"id": "../about"}"#;
        assert!(matches!(
            GoogleDrive::tools().call(&testing::context(&[]), "get_file", traversal),
            Err(CallError::InvalidInput(_))
        ));
        testing::mock_http(|_| {
            Ok(testing::response(
                403,
                r#"{"error": {"code": 403, "errors": [{"reason": "insufficientPermissions"}]}}"#,
            ))
        });
        let error = GoogleDrive::tools()
            .call(&testing::context(&[]), "get_file", r#"{"id": "abc"}"#)
            .unwrap_err();
        assert_eq!(error, CallError::insufficient_scope([DRIVE_READONLY]));
        testing::clear_http();
    }

    #[test]
    fn verify_reads_about_user() {
        testing::mock_http(|req| {
            assert_eq!(
                req.url,
                "https://www.googleapis.com/drive/v3/about?fields=user"
            );
            Ok(testing::response(
                200,
                &json!({"user": {"displayName": "Ada", "emailAddress": "ada@example.com",
                                 "permissionId": "123"}})
                .to_string(),
            ))
        });
        let me = GoogleDrive::verify(&testing::context(&[])).unwrap();
        assert_eq!(me.subject, "ada@example.com");
        assert_eq!(me.display_name.as_deref(), Some("Ada"));
        testing::clear_http();
    }

    /// The URL without its query, and the decoded query pairs.
    fn url_params(url: &str) -> (String, Vec<(String, String)>) {
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let pairs = query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|pair| {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                (decode(k), decode(v))
            })
            .collect();
        (base.to_owned(), pairs)
    }

    fn decode(text: &str) -> String {
        let bytes = text.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' && i + 2 < bytes.len() {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8(out).unwrap()
    }
}
