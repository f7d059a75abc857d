//! Connecting without OAuth: just-in-time links, the connect page with a pasted key, shared
//! group credentials, and the return_to allowlist.

mod common;

use reqwest::StatusCode;
use serde_json::json;

use common::stack;

/// A client that does not follow redirects, like a test browser that inspects each hop.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

#[tokio::test]
async fn a_user_connects_an_api_key_app_through_the_link_and_the_call_then_works() {
    let s = stack("").await;
    s.fake.add_linear_key("lin_api_bob", "Bob");

    let (status, problem) = s.gw.call("linear_get_viewer", "bob", json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    assert_eq!(problem["code"], "authorization_required");
    let link = problem["connect_url"]
        .as_str()
        .expect("connect_url")
        .to_string();
    let auth_id = problem["authorization"]["id"]
        .as_str()
        .expect("authorization id")
        .to_string();
    assert!(link.starts_with(&s.gw.base_url), "{link}");

    // The same user asking again gets the same pending link, not a new one each time.
    let (_, again) = s.gw.call("linear_list_issues", "bob", json!({})).await;
    assert_eq!(again["connect_url"], problem["connect_url"]);

    let b = browser();
    let page = b.get(&link).send().await.expect("page");
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(page.headers()["referrer-policy"], "no-referrer");
    let html = page.text().await.expect("html");
    assert!(html.contains("Connect Linear"), "{html}");
    assert!(
        html.contains("API key"),
        "the connector's own label is shown"
    );
    assert!(
        html.contains("<h2") || html.contains("<ol>") || html.contains("<p>"),
        "instructions rendered as HTML"
    );

    // A wrong key is checked with the app and refused, not stored.
    let wrong = b
        .post(format!("{link}/credential"))
        .form(&[("kind", "api_key"), ("secret", "lin_api_wrong")])
        .send()
        .await
        .expect("post");
    assert_eq!(wrong.status(), StatusCode::BAD_REQUEST);
    assert!(wrong.text().await.expect("html").contains("did not accept"));
    let (_, pending) =
        s.gw.get(&format!("/v1/authorizations/{auth_id}"), &s.gw.agent_key)
            .await;
    assert_eq!(pending["status"], "pending");

    let ok = b
        .post(format!("{link}/credential"))
        .form(&[("kind", "api_key"), ("secret", "lin_api_bob")])
        .send()
        .await
        .expect("post");
    assert_eq!(ok.status(), StatusCode::OK);
    assert!(
        ok.text()
            .await
            .expect("html")
            .contains("Linear is connected")
    );

    let (_, done) =
        s.gw.get(
            &format!("/v1/authorizations/{auth_id}?wait=5"),
            &s.gw.agent_key,
        )
        .await;
    assert_eq!(done["status"], "completed", "{done}");
    assert!(done["connection_id"].as_str().is_some());
    // The connection keeps what the connector's verify said of the account, as after OAuth.
    let (_, listed) =
        s.gw.get("/v1/admin/connections?user_id=bob", &s.gw.admin_key)
            .await;
    let metadata = &listed["connections"][0]["metadata"];
    assert_eq!(metadata["account"], "Bob", "{listed}");
    assert!(metadata["email"].as_str().is_some(), "{listed}");

    let (status, body) = s.gw.call("linear_get_viewer", "bob", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // The link works once.
    let reused = b.get(&link).send().await.expect("reuse");
    assert_eq!(reused.status(), StatusCode::GONE);
    // A forged link token is not a link.
    let forged = b.get(format!("{link}x")).send().await.expect("forged");
    assert_eq!(forged.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_agent_can_wait_for_the_user_to_finish_connecting() {
    let s = stack("").await;
    s.fake.add_linear_key("lin_api_erin", "Erin");
    let (_, problem) = s.gw.call("linear_get_viewer", "erin", json!({})).await;
    let link = problem["connect_url"].as_str().expect("link").to_string();
    let id = problem["authorization"]["id"]
        .as_str()
        .expect("id")
        .to_string();

    let waiter = {
        let http = s.gw.http.clone();
        let url = format!("{}/v1/authorizations/{id}?wait=20", s.gw.base_url);
        let key = s.gw.agent_key.clone();
        tokio::spawn(async move {
            let r = http.get(url).bearer_auth(key).send().await.expect("wait");
            r.json::<serde_json::Value>().await.expect("json")
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(
        !waiter.is_finished(),
        "the long poll returns only when something happens"
    );
    browser()
        .post(format!("{link}/credential"))
        .form(&[("kind", "api_key"), ("secret", "lin_api_erin")])
        .send()
        .await
        .expect("connect");
    let done = waiter.await.expect("join");
    assert_eq!(done["status"], "completed", "{done}");
}

#[tokio::test]
async fn a_group_shares_a_connection_only_under_an_explicit_policy() {
    let s = stack("").await;
    s.fake.add_linear_key("lin_api_team", "Team");
    let admin = s.gw.admin_key.clone();

    // The group exists, with carol in it, but shares nothing yet.
    let (status, _) =
        s.gw.put_json(
            "/v1/admin/groups/eng",
            &admin,
            &json!({"members": ["carol"], "shared_connectors": []}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = s
        .gw
        .post(
            "/v1/admin/connections",
            &admin,
            &json!({"connector": "linear", "group_id": "eng", "credential": {"type": "api_key", "key": "lin_api_team"}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, _) = s.gw.call("linear_get_viewer", "carol", json!({})).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "no policy: the group connection is not used"
    );

    s.gw.put_json(
        "/v1/admin/groups/eng",
        &admin,
        &json!({"members": ["carol"], "shared_connectors": ["linear"]}),
    )
    .await;
    let (status, body) = s.gw.call("linear_get_viewer", "carol", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["connection"]["owner"],
        json!({"kind": "group", "id": "eng"}),
        "the response says which one"
    );
    assert!(s.gw.wait_for_log("using connection").await);

    // Not a member: no access to the group's credential.
    let (status, _) = s.gw.call("linear_get_viewer", "dave", json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // A user's own connection comes first.
    s.fake.add_linear_key("lin_api_carol", "Carol");
    s.gw.set_api_key("linear", "carol", "lin_api_carol");
    let (_, body) = s.gw.call("linear_get_viewer", "carol", json!({})).await;
    assert_eq!(
        body["connection"]["owner"],
        json!({"kind": "user", "id": "carol"})
    );
}

#[tokio::test]
async fn return_to_is_only_allowed_toward_configured_origins() {
    let s = stack("[connect]\nallowed_return_origins = [\"https://app.example.com\"]\n").await;
    let agent = s.gw.agent_key.clone();
    for bad in [
        "https://evil.example.com/",
        "https://app.example.com.evil.com/",
        "https://user@app.example.com/",
        "javascript:alert(1)",
        "//evil.example.com",
    ] {
        let (status, body) =
            s.gw.post(
                "/v1/connect-sessions",
                &agent,
                &json!({"connector": "linear", "user_id": "bob", "return_to": bad}),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
    }
    let (status, body) = s
        .gw
        .post(
            "/v1/connect-sessions",
            &agent,
            &json!({"connector": "linear", "user_id": "bob", "return_to": "https://app.example.com/done"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // After connecting, the browser goes back there.
    s.fake.add_linear_key("lin_api_bob", "Bob");
    let link = body["url"].as_str().expect("url");
    let done = browser()
        .post(format!("{link}/credential"))
        .form(&[("kind", "api_key"), ("secret", "lin_api_bob")])
        .send()
        .await
        .expect("post");
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert!(
        done.headers()["location"]
            .to_str()
            .expect("loc")
            .starts_with("https://app.example.com/done?")
    );
    // Agents may not create links for groups; operators may.
    let (status, _) =
        s.gw.post(
            "/v1/connect-sessions",
            &agent,
            &json!({"connector": "linear", "group_id": "eng"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

/// An agent retrying a call for a user who has not connected gets the same link each time
/// (one pending consent, not a new row per call), whatever the configured link lifetime.
#[tokio::test]
async fn retries_get_the_same_link_with_a_short_link_lifetime_too() {
    let s = stack("[connect]\nsession_ttl_minutes = 5\n").await;
    let mut links = Vec::new();
    for _ in 0..3 {
        let (status, problem) =
            s.gw.call("notion_search", "carol", json!({"query": "x"}))
                .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
        links.push(
            problem["connect_url"]
                .as_str()
                .expect("connect_url")
                .to_string(),
        );
    }
    assert!(links.iter().all(|l| l == &links[0]), "{links:?}");
}
