//! The outboxes: alerts with their deliveries, and the job queue.

use serde_json::json;

use super::{Harness, vault};
use crate::alerts::{Alert, NewAlert, NewDelivery};
use crate::clock::now_ms;
use crate::ids::new_id;
use crate::jobs::NewJob;
use crate::{Owner, Vault};

fn incident(connection: &str, reason: &str) -> Alert {
    NewAlert {
        connection_id: connection.into(),
        connector_id: "github".into(),
        owner: Owner::User("alice".into()),
        reason: reason.into(),
        missing_scopes: vec!["repo".into()],
        detail: Some("grant revoked".into()),
    }
    .opening(now_ms())
}

fn to_both(alert: &Alert) -> Vec<NewDelivery> {
    NewDelivery::each(
        &alert.id,
        "connection.needs_reauth",
        r#"{"type":"connection.needs_reauth"}"#,
        &["ops-webhook".to_string(), "slack".to_string()],
    )
}

/// However many calls fail, one incident per (connection, reason) is open at a time.
pub async fn an_alert_is_opened_once_per_connection_and_reason(h: &dyn Harness) {
    let vault = vault(h).await;
    let alerts = vault.alerts();
    let first = incident("conn_a", "revoked");
    assert!(
        alerts
            .open_alert(&first, &to_both(&first))
            .await
            .expect("open")
    );
    let again = incident("conn_a", "revoked");
    assert!(
        !alerts
            .open_alert(&again, &to_both(&again))
            .await
            .expect("duplicate")
    );
    assert!(alerts.get_alert(&again.id).await.expect("get").is_none());
    assert_eq!(
        alerts.deliveries_of(&again.id).await.expect("none").len(),
        0,
        "a duplicate queues nothing"
    );
    let other = incident("conn_a", "scope_changed");
    assert!(
        alerts
            .open_alert(&other, &[])
            .await
            .expect("another reason")
    );
    let read = alerts
        .get_alert(&first.id)
        .await
        .expect("get")
        .expect("first");
    assert_eq!(
        (
            read.status.as_str(),
            read.missing_scopes.clone(),
            read.detail.as_deref()
        ),
        ("open", vec!["repo".to_string()], Some("grant revoked"))
    );
    assert_eq!(alerts.list_alerts(true).await.expect("list").len(), 2);

    let resolved = alerts.resolve_alerts("conn_a").await.expect("resolve");
    assert_eq!(resolved.len(), 2);
    assert!(
        resolved
            .iter()
            .all(|a| a.status == "resolved" && a.resolved_at.is_some())
    );
    assert!(alerts.list_alerts(true).await.expect("list").is_empty());
    assert_eq!(alerts.list_alerts(false).await.expect("all").len(), 2);
    let reopened = incident("conn_a", "revoked");
    assert!(
        alerts
            .open_alert(&reopened, &[])
            .await
            .expect("a new incident")
    );
}

/// An alert and its deliveries are stored together: if a delivery cannot be stored, the alert
/// is not open either (else it would be open and never delivered), and opening it later works.
pub async fn opening_an_alert_and_its_deliveries_is_one_transaction(h: &dyn Harness) {
    let vault = vault(h).await;
    let alerts = vault.alerts();
    let alert = incident("conn_a", "revoked");
    let mut deliveries = to_both(&alert);
    // The second delivery cannot be stored (its id is taken by the first): the stand-in for a
    // disk that fills up, or a crash, between the two writes.
    deliveries[1].id = deliveries[0].id.clone();
    assert!(alerts.open_alert(&alert, &deliveries).await.is_err());
    assert!(
        alerts.get_alert(&alert.id).await.expect("get").is_none(),
        "no alert without its deliveries"
    );
    assert!(alerts.list_alerts(true).await.expect("list").is_empty());
    assert!(
        alerts
            .due_deliveries(now_ms() + 1, 10)
            .await
            .expect("due")
            .is_empty()
    );
    let retry = incident("conn_a", "revoked");
    assert!(
        alerts
            .open_alert(&retry, &to_both(&retry))
            .await
            .expect("open"),
        "not mistaken for a duplicate"
    );
    assert_eq!(
        alerts
            .deliveries_of(&retry.id)
            .await
            .expect("deliveries")
            .len(),
        2
    );
}

/// Deliveries come due, are retried at the time asked, and end delivered or given up.
pub async fn deliveries_are_retried_then_delivered_or_given_up(h: &dyn Harness) {
    let vault = vault(h).await;
    let alerts = vault.alerts();
    let alert = incident("conn_a", "revoked");
    let queued = to_both(&alert);
    assert!(alerts.open_alert(&alert, &queued).await.expect("open"));
    let now = now_ms() + 1;
    let due = alerts.due_deliveries(now, 10).await.expect("due");
    assert_eq!(due.len(), 2);
    assert_eq!(
        due[0].message_id, due[1].message_id,
        "one message, two destinations"
    );
    assert!(
        due.iter()
            .all(|d| d.attempts == 0 && d.alert_id == alert.id)
    );
    assert_eq!(
        alerts.due_deliveries(now, 1).await.expect("limited").len(),
        1
    );
    assert!(
        alerts
            .next_delivery_at()
            .await
            .expect("next")
            .is_some_and(|at| at <= now)
    );

    let (ok, flaky) = (&due[0], &due[1]);
    alerts.delivered(&ok.id).await.expect("delivered");
    alerts
        .delivery_failed(&flaky.id, "503", Some(now + 60_000))
        .await
        .expect("retry later");
    assert!(
        alerts
            .due_deliveries(now, 10)
            .await
            .expect("due")
            .is_empty(),
        "not before its time"
    );
    assert_eq!(
        alerts.next_delivery_at().await.expect("next"),
        Some(now + 60_000)
    );
    let later = alerts.due_deliveries(now + 60_000, 10).await.expect("due");
    assert_eq!((later.len(), later[0].attempts), (1, 1));
    alerts
        .delivery_failed(&flaky.id, "gone", None)
        .await
        .expect("give up");
    assert_eq!(alerts.next_delivery_at().await.expect("next"), None);

    let mut states: Vec<_> = alerts
        .deliveries_of(&alert.id)
        .await
        .expect("states")
        .into_iter()
        .map(|s| {
            (
                s.destination,
                s.status,
                s.attempts,
                s.last_error,
                s.delivered_at.is_some(),
            )
        })
        .collect();
    states.sort();
    let by_dest = |d: &str| {
        if d == ok.destination {
            ("delivered", 1, None, true)
        } else {
            ("failed", 2, Some("gone".to_string()), false)
        }
    };
    for (dest, status, attempts, error, delivered) in states {
        assert_eq!(
            (status.as_str(), attempts, error, delivered),
            by_dest(&dest),
            "{dest}"
        );
    }

    let extra = NewDelivery::each(
        &alert.id,
        "connection.reauthorized",
        "{}",
        &["slack".to_string()],
    );
    alerts.enqueue(&extra).await.expect("enqueue");
    let due = alerts.due_deliveries(now_ms() + 1, 10).await.expect("due");
    assert_eq!(
        due.iter().map(|d| d.event.as_str()).collect::<Vec<_>>(),
        vec!["connection.reauthorized"]
    );
}

fn job(user: &str, key: Option<&str>) -> NewJob {
    NewJob {
        id: new_id("job"),
        actor: "key_agent".into(),
        idempotency_key: key.map(str::to_string),
        user_id: user.into(),
        tool: "github_get_user".into(),
        connector_id: Some("github".into()),
        input: json!({"n": 1}),
    }
}

async fn status(vault: &Vault, id: &str) -> String {
    vault
        .jobs()
        .get(id)
        .await
        .expect("get")
        .expect("job")
        .status
}

/// Many workers claiming at once: each job goes to exactly one of them.
pub async fn a_job_is_claimed_once(h: &dyn Harness) {
    let vault = vault(h).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let (j, created) = vault
            .jobs()
            .submit(&job("alice", None))
            .await
            .expect("submit");
        assert!(created);
        ids.push(j.id);
    }
    let now = now_ms() + 1;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let v = vault.clone();
        tasks.push(tokio::spawn(async move {
            v.jobs().claim(now).await.expect("claim")
        }));
    }
    let mut claimed = Vec::new();
    for t in tasks {
        if let Some(j) = t.await.expect("task") {
            assert_eq!((j.status.as_str(), j.attempts), ("running", 1));
            claimed.push(j.id);
        }
    }
    claimed.sort();
    ids.sort();
    assert_eq!(claimed, ids, "every job once, none twice");
}

/// Idempotent submission, parking and resuming, retries not before their time, restarts.
pub async fn jobs_park_resume_retry_and_recover(h: &dyn Harness) {
    let vault = vault(h).await;
    let jobs = vault.jobs();
    let (first, created) = jobs
        .submit(&job("alice", Some("k1")))
        .await
        .expect("submit");
    assert!(created);
    assert_eq!(
        (first.status.as_str(), &first.input),
        ("queued", &json!({"n": 1}))
    );
    let (same, created) = jobs.submit(&job("alice", Some("k1"))).await.expect("again");
    assert!(!created);
    assert_eq!(same.id, first.id, "the idempotency key finds the first job");
    // Later by the clock, so "oldest first" is well defined.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let (bobs, _) = jobs.submit(&job("bob", None)).await.expect("submit");

    let now = now_ms() + 1_000;
    let claimed = jobs.claim(now).await.expect("claim").expect("a job");
    assert_eq!(claimed.id, first.id, "oldest first");
    let problem = json!({"code": "reauthorization_required"});
    jobs.block(&first.id, "github", &problem)
        .await
        .expect("block");
    assert!(jobs.blocked_on("github", "alice").await.expect("blocked"));
    assert!(!jobs.blocked_on("github", "bob").await.expect("not bob"));
    assert_eq!(
        jobs.blocked_users("github").await.expect("users"),
        vec!["alice".to_string()]
    );
    let parked = jobs.get(&first.id).await.expect("get").expect("job");
    assert_eq!(
        (parked.status.as_str(), parked.error.as_ref()),
        ("auth_blocked", Some(&problem))
    );
    assert_eq!(
        jobs.resume("github", &["bob".into()])
            .await
            .expect("resume"),
        0
    );
    assert_eq!(
        jobs.resume("github", &["alice".into()])
            .await
            .expect("resume"),
        1
    );
    assert_eq!(status(&vault, &first.id).await, "queued");

    // Both queued now. Bob's is retried later; alice's runs.
    jobs.requeue(&bobs.id, now + 60_000).await.expect("requeue");
    let a = jobs.claim(now).await.expect("claim").expect("alice's");
    assert_eq!(a.id, first.id);
    assert!(
        jobs.claim(now).await.expect("claim").is_none(),
        "bob's waits for its time"
    );
    assert_eq!(
        jobs.next_runnable().await.expect("next"),
        Some(now + 60_000)
    );
    // A restart: alice's was running.
    assert_eq!(jobs.recover().await.expect("recover"), 1);
    assert_eq!(status(&vault, &first.id).await, "queued");
    let a = jobs
        .claim(now)
        .await
        .expect("claim")
        .expect("alice's again");
    assert_eq!(a.attempts, 3);
    jobs.finish(&a.id, "succeeded", Some(&json!({"ok": true})), None)
        .await
        .expect("finish");
    let done = jobs.get(&a.id).await.expect("get").expect("job");
    assert_eq!(
        (done.status.as_str(), done.result.as_ref()),
        ("succeeded", Some(&json!({"ok": true})))
    );
    assert!(done.finished_at.is_some());
    let b = jobs
        .claim(now + 60_000)
        .await
        .expect("claim")
        .expect("bob's, due");
    assert_eq!(b.id, bobs.id);
    jobs.finish(&b.id, "failed", None, Some(&json!({"code": "x"})))
        .await
        .expect("finish");
    assert_eq!(status(&vault, &b.id).await, "failed");
    assert_eq!(jobs.next_runnable().await.expect("next"), None);
    assert!(jobs.get("job_missing").await.expect("get").is_none());
}
