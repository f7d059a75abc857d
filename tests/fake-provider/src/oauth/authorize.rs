//! The authorize endpoint (RFC 6749 §4.1.1): validates the request, then answers as the app's
//! current user at once, or shows a consent page whose form comes back here by POST.
//!
//! A bad `client_id` or `redirect_uri` gets an error page (never a redirect, RFC 6749
//! §4.1.2.1); every other problem is a redirect with `error`, `state` and (when the app sends
//! it) `iss`.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State as AxumState};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use super::app::{App, USER_SCOPE_PREFIX};
use super::consent_page;
use super::params::Params;
use super::pkce;
use super::scopes;
use super::store::{CODE_TTL_SECS, Code, random_token};
use crate::state::{Inner, State};

/// How long a consent page may wait for its answer, in seconds.
const PENDING_TTL_SECS: u64 = 600;

/// A validated authorization request, waiting for the user's answer.
#[derive(Debug, Clone)]
pub struct AuthRequest {
    pub app: App,
    pub client_id: String,
    pub redirect_uri: String,
    pub redirect_param: Option<String>,
    pub state: Option<String>,
    pub challenge: Option<String>,
    /// Requested scopes.
    pub scopes: Vec<String>,
    /// Scopes granted earlier, kept with `include_granted_scopes=true`.
    pub previous: Vec<String>,
    pub offline: bool,
    pub user: String,
    pub expires_at: u64,
}

/// What the endpoint answers.
enum Outcome {
    /// 302 to the client.
    Redirect(String),
    /// An error shown to the user (no redirect).
    ErrorPage(StatusCode, &'static str, String),
    /// The consent page.
    Page(String),
}

impl IntoResponse for Outcome {
    fn into_response(self) -> Response {
        match self {
            Outcome::Redirect(location) => (
                StatusCode::FOUND,
                [
                    (header::LOCATION, location),
                    (header::CACHE_CONTROL, "no-store".to_owned()),
                ],
            )
                .into_response(),
            Outcome::ErrorPage(status, code, description) => (
                status,
                [("x-fake-oauth-error", code)],
                Html(consent_page::error(status, code, &description)),
            )
                .into_response(),
            Outcome::Page(html) => {
                ([(header::CACHE_CONTROL, "no-store")], Html(html)).into_response()
            }
        }
    }
}

/// `GET` (the request) and `POST` (the consent form) at the app's authorize path.
pub fn routes(app: App) -> Router<State> {
    let path = app.quirks().authorize_path;
    Router::new().route(
        path,
        get(
            move |AxumState(state): AxumState<State>, RawQuery(query): RawQuery| async move {
                let params = Params::from_query(query.as_deref());
                state.with(|inner| start(inner, app, &params))
            },
        )
        .post(
            move |AxumState(state): AxumState<State>, headers: HeaderMap, body: Bytes| async move {
                match Params::from_body(&headers, &body) {
                    Ok(params) => state.with(|inner| answer(inner, app, &params)),
                    Err(e) => Outcome::ErrorPage(StatusCode::BAD_REQUEST, e.code, e.description),
                }
            },
        ),
    )
}

/// The authorize request `query` of `app`, answered (for apps routed by request shape).
pub(crate) fn answer_get(inner: &mut Inner, app: App, query: Option<&str>) -> Response {
    start(inner, app, &Params::from_query(query)).into_response()
}

/// Validates the request, then answers it or shows the consent page.
fn start(inner: &mut Inner, app: App, params: &Params) -> Outcome {
    let quirks = app.quirks();
    if let Err(e) = params.check_unique(&[]) {
        return Outcome::ErrorPage(StatusCode::BAD_REQUEST, e.code, e.description);
    }
    let Some(client_id) = params.get("client_id") else {
        return page_error("invalid_request", "Missing required parameter: client_id");
    };
    let Some(client) = inner.oauth.client(app, client_id).cloned() else {
        return Outcome::ErrorPage(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "The OAuth client was not found.".into(),
        );
    };
    let redirect_param = params.get("redirect_uri").map(str::to_owned);
    let redirect_uri = match (&redirect_param, client.redirect_uris.as_slice()) {
        (Some(uri), registered) if registered.contains(uri) => uri.clone(),
        (Some(_), _) => {
            return page_error(
                "redirect_uri_mismatch",
                "The redirect_uri is not associated with this application.",
            );
        }
        (None, [only]) => only.clone(),
        (None, _) => {
            return page_error(
                "invalid_request",
                "Missing required parameter: redirect_uri",
            );
        }
    };
    let settings = inner.oauth.settings(app).clone();
    let iss = settings.send_iss.then(|| settings.issuer.clone());
    let state = params.get("state").map(str::to_owned);
    let fail = |code: &str, description: &str| {
        Outcome::Redirect(error_location(
            &redirect_uri,
            code,
            description,
            state.as_deref(),
            iss.as_deref(),
        ))
    };

    match params.get("response_type") {
        Some("code") => {}
        None => {
            return fail(
                "invalid_request",
                "Missing required parameter: response_type",
            );
        }
        Some(_) => {
            return fail(
                "unsupported_response_type",
                "Only response_type=code is supported.",
            );
        }
    }
    let challenge = match (
        params.get("code_challenge"),
        params.get("code_challenge_method"),
    ) {
        (None, _) if client.require_pkce => {
            return fail(
                "invalid_request",
                "code_challenge is required (PKCE with S256).",
            );
        }
        (None, Some(_)) => {
            return fail(
                "invalid_request",
                "code_challenge_method without code_challenge.",
            );
        }
        (None, None) => None,
        (Some(c), Some("S256")) if pkce::is_s256_challenge(c) => Some(c.to_owned()),
        (Some(_), Some("S256")) => {
            return fail(
                "invalid_request",
                "code_challenge must be 43 base64url characters (S256).",
            );
        }
        (Some(_), _) => {
            return fail(
                "invalid_request",
                "code_challenge_method must be S256; plain is not allowed.",
            );
        }
    };
    for (name, value) in quirks.required_params {
        if params.get(name) != Some(*value) {
            return fail("invalid_request", &format!("{name} must be `{value}`."));
        }
    }
    let mut requested = if quirks.scopeless {
        Vec::new()
    } else {
        scopes::parse(app, params.get("scope"))
    };
    if let Some(param) = quirks.user_scope_param {
        let user_scopes = scopes::parse(app, params.get(param));
        let prefixed: Vec<String> = user_scopes
            .iter()
            .map(|s| format!("{USER_SCOPE_PREFIX}{s}"))
            .collect();
        requested = scopes::union(&requested, &prefixed);
    }
    if requested.is_empty() && !quirks.default_scopes.is_empty() {
        // The client's configured scopes, as Salesforce grants a connected app's.
        requested = match &client.allowed_scopes {
            Some(allowed) => allowed.clone(),
            None => quirks
                .default_scopes
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
        };
    }
    if quirks.scope_required && requested.is_empty() {
        let which = match quirks.user_scope_param {
            Some(param) => format!("scope or {param}"),
            None => "scope".to_owned(),
        };
        return fail(
            "invalid_request",
            &format!("Missing required parameter: {which}"),
        );
    }
    if let Some(bad) = requested.iter().find(|s| !client.allows(s)) {
        return fail(
            "invalid_scope",
            &format!("Scope `{bad}` is not allowed for this client."),
        );
    }
    let user = settings.consent.user.clone();
    let previous = if params.get("include_granted_scopes") == Some("true") {
        inner.oauth.store.granted_scopes(app, client_id, &user)
    } else {
        Vec::new()
    };
    let request = AuthRequest {
        app,
        client_id: client_id.to_owned(),
        redirect_uri,
        redirect_param,
        state,
        challenge,
        scopes: requested,
        previous,
        offline: params.get("access_type") == Some("offline"),
        user,
        expires_at: inner.oauth.now().saturating_add(PENDING_TTL_SECS),
    };
    if settings.consent.page {
        let id = random_token("", 24);
        let checked = settings
            .consent
            .grant
            .apply(&request.scopes)
            .unwrap_or_default();
        let html = consent_page::render(&request, &id, &checked);
        inner.oauth.pending.insert(id, request);
        return Outcome::Page(html);
    }
    let granted = settings.consent.grant.apply(&request.scopes);
    finish(inner, &request, granted)
}

/// The consent form's answer: `consent` (page id), `decision` (`allow` | `deny`), and the
/// checked `scope` boxes.
fn answer(inner: &mut Inner, app: App, params: &Params) -> Outcome {
    if let Err(e) = params.check_unique(&["scope"]) {
        return Outcome::ErrorPage(StatusCode::BAD_REQUEST, e.code, e.description);
    }
    let now = inner.oauth.now();
    let request = params
        .get("consent")
        .and_then(|id| inner.oauth.pending.remove(id))
        .filter(|request| request.app == app && request.expires_at > now);
    let Some(request) = request else {
        return page_error(
            "invalid_request",
            "This consent screen has expired or was already answered.",
        );
    };
    match params.get("decision") {
        Some("allow") => {
            let chosen = params.all("scope");
            let granted = request
                .scopes
                .iter()
                .filter(|s| chosen.contains(&s.as_str()))
                .cloned()
                .collect();
            finish(inner, &request, Some(granted))
        }
        Some("deny") => finish(inner, &request, None),
        _ => page_error("invalid_request", "decision must be `allow` or `deny`."),
    }
}

/// Redirects with a code for `granted` scopes, or with `access_denied` when `None`.
fn finish(inner: &mut Inner, request: &AuthRequest, granted: Option<Vec<String>>) -> Outcome {
    let app = request.app;
    let settings = inner.oauth.settings(app).clone();
    let iss = settings.send_iss.then_some(settings.issuer.as_str());
    let Some(granted) = granted else {
        return Outcome::Redirect(error_location(
            &request.redirect_uri,
            "access_denied",
            "The user denied access.",
            request.state.as_deref(),
            iss,
        ));
    };
    let scopes = scopes::union(&request.previous, &granted);
    let code = Code {
        app,
        client_id: request.client_id.clone(),
        redirect_param: request.redirect_param.clone(),
        redirect_uri: request.redirect_uri.clone(),
        challenge: request.challenge.clone(),
        scopes: scopes.clone(),
        user: request.user.clone(),
        expires_at: inner.oauth.now().saturating_add(CODE_TTL_SECS),
        offline: request.offline,
        used: false,
        grant: None,
    };
    let code = inner.oauth.store.add_code(code);
    inner.people.get(&request.user);
    let joined = scopes::join(app, &scopes);
    let mut pairs = vec![("code", code.as_str())];
    if let Some(state) = &request.state {
        pairs.push(("state", state));
    }
    if app.quirks().redirect_carries_scope {
        pairs.push(("scope", &joined));
    }
    if let Some(iss) = iss {
        pairs.push(("iss", iss));
    }
    Outcome::Redirect(location(&request.redirect_uri, &pairs))
}

/// A 400 error page.
fn page_error(code: &'static str, description: &str) -> Outcome {
    Outcome::ErrorPage(StatusCode::BAD_REQUEST, code, description.to_owned())
}

/// `redirect_uri` with an error response's parameters.
fn error_location(
    redirect_uri: &str,
    code: &str,
    description: &str,
    state: Option<&str>,
    iss: Option<&str>,
) -> String {
    let mut pairs = vec![("error", code), ("error_description", description)];
    if let Some(state) = state {
        pairs.push(("state", state));
    }
    if let Some(iss) = iss {
        pairs.push(("iss", iss));
    }
    location(redirect_uri, &pairs)
}

/// `base` with `pairs` appended to its query, leaving the registered URI itself untouched.
fn location(base: &str, pairs: &[(&str, &str)]) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    let separator = if base.contains('?') { '&' } else { '?' };
    format!("{base}{separator}{query}")
}

#[cfg(test)]
mod tests {
    use super::location;

    #[test]
    fn locations_keep_the_registered_uri() {
        assert_eq!(
            location("http://h/cb", &[("code", "a b"), ("state", "s&t")]),
            "http://h/cb?code=a+b&state=s%26t"
        );
        assert_eq!(
            location("http://h/cb?x=1", &[("code", "c")]),
            "http://h/cb?x=1&code=c"
        );
    }
}
