//! The HTML the authorize endpoint shows: a consent page (works without JavaScript) and
//! error pages.

use axum::http::StatusCode;

use super::authorize::AuthRequest;

/// The consent page: app, client, user, scope checkboxes, and Allow / Deny buttons that POST
/// the form back to the authorize endpoint.
pub fn render(request: &AuthRequest, consent_id: &str, checked: &[String]) -> String {
    let quirks = request.app.quirks();
    let action = format!("{}{}", quirks.authorize_prefix, quirks.authorize_path);
    let scopes = if request.scopes.is_empty() {
        "<p>No specific permissions are requested.</p>".to_owned()
    } else {
        let boxes: String = request
            .scopes
            .iter()
            .map(|scope| {
                let tick = if checked.contains(scope) {
                    " checked"
                } else {
                    ""
                };
                format!(
                    "<li><label><input type=\"checkbox\" name=\"scope\" value=\"{0}\"{tick}> \
                     <code>{0}</code></label></li>",
                    escape(scope)
                )
            })
            .collect();
        format!("<fieldset><legend>Requested permissions</legend><ul>{boxes}</ul></fieldset>")
    };
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>Authorize {client} · {app}</title></head>\n<body><main>\
         <h1>{app}</h1>\
         <p>Signed in as <strong id=\"user\">{user}</strong></p>\
         <p><strong id=\"client\">{client}</strong> wants to access your {app} account.</p>\
         <form method=\"post\" action=\"{action}\">\
         <input type=\"hidden\" name=\"consent\" value=\"{id}\">{scopes}\
         <button type=\"submit\" name=\"decision\" value=\"allow\">Allow</button> \
         <button type=\"submit\" name=\"decision\" value=\"deny\">Deny</button>\
         </form></main></body></html>\n",
        app = escape(quirks.name),
        client = escape(&request.client_id),
        user = escape(&request.user),
        action = escape(&action),
        id = escape(consent_id),
    )
}

/// An error page that does not send the user back to the client.
pub fn error(status: StatusCode, code: &str, description: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>Error {status}</title></head>\n<body><main>\
         <h1>Error {status}: <span id=\"error\">{code}</span></h1>\
         <p id=\"error_description\">{description}</p></main></body></html>\n",
        status = status.as_u16(),
        code = escape(code),
        description = escape(description),
    )
}

/// Escapes text for HTML content and double-quoted attributes.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::app::App;

    #[test]
    fn page_escapes_and_posts_back() {
        let request = AuthRequest {
            app: App::Github,
            client_id: "<script>".into(),
            redirect_uri: "http://h/cb".into(),
            redirect_param: None,
            state: None,
            challenge: None,
            scopes: vec!["repo".into(), "gist".into()],
            previous: Vec::new(),
            offline: false,
            user: "Ada".into(),
            expires_at: 0,
        };
        let html = render(&request, "c1", &["repo".into()]);
        assert!(html.contains("&lt;script&gt;"));
        assert!(!html.contains("<script>"));
        assert!(html.contains("action=\"/github-web/login/oauth/authorize\""));
        assert!(html.contains("value=\"repo\" checked"));
        assert!(html.contains("value=\"gist\">"));
        assert!(html.contains("value=\"allow\""));
        assert!(error(StatusCode::BAD_REQUEST, "x", "<b>").contains("&lt;b&gt;"));
    }
}
