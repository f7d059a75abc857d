//! Client authentication at the token and revocation endpoints (RFC 6749 §2.3): exactly the
//! method the client registered, nothing else.

use axum::http::HeaderMap;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::app::App;
use super::client::{ClientAuth, OauthClient};
use super::error::{Case, OauthError};
use super::params::Params;
use super::state::OauthState;

/// The client id a request presents (Basic user name or `client_id`), for the journal.
pub fn presented_id(headers: &HeaderMap, params: &Params) -> Option<String> {
    basic_credentials(headers)
        .map(|(id, _)| id)
        .or_else(|| params.get("client_id").map(str::to_owned))
}

/// The client, if it authenticated the way it registered.
pub fn authenticate(
    oauth: &OauthState,
    app: App,
    headers: &HeaderMap,
    params: &Params,
) -> Result<OauthClient, OauthError> {
    let basic = match headers.get("authorization") {
        None => None,
        Some(_) => Some(basic_credentials(headers).ok_or_else(|| {
            OauthError::invalid_client("The Authorization header is not valid HTTP Basic.")
        })?),
    };
    let body_id = params.get("client_id");
    let body_secret = params.get("client_secret");
    if basic.is_some() && body_secret.is_some() {
        return Err(OauthError::invalid_request(
            "The client used more than one authentication method.",
        ));
    }
    let client_id = match (&basic, body_id) {
        (Some((id, _)), Some(body)) if id != body => {
            return Err(OauthError::invalid_client(
                "client_id differs from the authenticated client.",
            ));
        }
        (Some((id, _)), _) => id.as_str(),
        (None, Some(body)) => body,
        (None, None) => return Err(OauthError::invalid_client("Missing client_id.")),
    };
    let client = oauth.client(app, client_id).cloned().ok_or_else(|| {
        OauthError::invalid_client("The OAuth client was not found.").case(Case::UnknownClient)
    })?;
    let secret = client.client_secret.as_deref().unwrap_or_default();
    let ok = match client.method() {
        ClientAuth::Basic => basic.as_ref().is_some_and(|(_, s)| s == secret),
        ClientAuth::Post => basic.is_none() && body_secret == Some(secret),
        ClientAuth::None => basic.is_none() && body_secret.is_none(),
    };
    if ok {
        Ok(client)
    } else {
        Err(OauthError::invalid_client(format!(
            "Client authentication failed (this client uses client_secret_{}).",
            match client.method() {
                ClientAuth::Basic => "basic",
                ClientAuth::Post => "post",
                ClientAuth::None => "none: a public client",
            }
        ))
        .case(Case::BadSecret))
    }
}

/// `(id, secret)` from `Authorization: Basic …`, each form-urlencoded-decoded (RFC 6749 §2.3.1).
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get("authorization")?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((form_decode(id), form_decode(secret)))
}

/// Undoes `application/x-www-form-urlencoded` encoding of one value.
fn form_decode(text: &str) -> String {
    url::form_urlencoded::parse(format!("v={text}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oauth_with(client: OauthClient) -> OauthState {
        let mut oauth = OauthState::default();
        oauth.clients.insert(client.client_id.clone(), client);
        oauth
    }

    fn basic(id: &str, secret: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let value = format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")));
        headers.insert("authorization", value.parse().unwrap());
        headers
    }

    #[test]
    fn each_method_only() {
        let client = OauthClient::new(App::Notion, "n", "s+1", "http://h/cb");
        let oauth = oauth_with(client);
        // Basic, with the secret form-encoded ("+" is a space unless escaped).
        assert!(
            authenticate(
                &oauth,
                App::Notion,
                &basic("n", "s%2B1"),
                &Params::default()
            )
            .is_ok()
        );
        assert!(
            authenticate(
                &oauth,
                App::Notion,
                &basic("n", "wrong"),
                &Params::default()
            )
            .is_err()
        );
        let post = Params::from_query(Some("client_id=n&client_secret=s%2B1"));
        let err = authenticate(&oauth, App::Notion, &HeaderMap::new(), &post).unwrap_err();
        assert_eq!(err.code, "invalid_client");
        let both = Params::from_query(Some("client_secret=s%2B1"));
        let err = authenticate(&oauth, App::Notion, &basic("n", "s%2B1"), &both).unwrap_err();
        assert_eq!(err.code, "invalid_request");
        assert!(
            authenticate(
                &oauth,
                App::Github,
                &basic("n", "s%2B1"),
                &Params::default()
            )
            .is_err()
        );

        let public = OauthClient {
            client_secret: None,
            ..OauthClient::new(App::Google, "p", "", "http://h/cb").auth_method(ClientAuth::None)
        };
        let oauth = oauth_with(public);
        let id_only = Params::from_query(Some("client_id=p"));
        assert!(authenticate(&oauth, App::Google, &HeaderMap::new(), &id_only).is_ok());
        let with_secret = Params::from_query(Some("client_id=p&client_secret=x"));
        assert!(authenticate(&oauth, App::Google, &HeaderMap::new(), &with_secret).is_err());
        let mut garbage = HeaderMap::new();
        garbage.insert("authorization", "Basic !!!".parse().unwrap());
        assert!(authenticate(&oauth, App::Google, &garbage, &id_only).is_err());
    }
}
