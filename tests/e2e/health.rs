//! `/healthz` and `/metrics`: the real binary in polling mode on
//! `--metrics-listen`, the webhook's own server, and a 503 with its reasons
//! when the database is unreachable or updates wait too long.

use std::collections::HashMap;
use std::process::Stdio;
use std::time::Duration;

use propdesk::db::testing::fresh_database;
use propdesk::intake::webhook::WebhookSettings;
use propdesk::standin::{StandIn, StandInConfig, TestUser};
use serde_json::Value;
use tokio::process::Command;
use tokio_util::sync::CancellationToken;

use crate::support::spawn_app_with;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// `name{labels}` → value, from the Prometheus text format; panics on a
/// line that is neither a comment nor a sample.
fn parse_metrics(text: &str) -> HashMap<String, f64> {
    let mut out = HashMap::new();
    for line in text
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let (name, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("not a sample: {line:?}"));
        let value: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("not a number in {line:?}"));
        assert!(
            out.insert(name.to_string(), value).is_none(),
            "{name} twice"
        );
    }
    out
}

async fn get(url: &str) -> (reqwest::StatusCode, String, String) {
    let response = reqwest::get(url).await.expect("GET");
    let status = response.status();
    let kind = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (status, kind, response.text().await.expect("body"))
}

async fn wait_until_up(url: &str) {
    for _ in 0..400 {
        if reqwest::get(url).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{url} never answered");
}

#[tokio::test]
async fn the_binary_serves_healthz_and_metrics_with_the_counters_of_its_traffic() {
    let db = fresh_database().await.unwrap();
    let api = StandIn::start(StandInConfig::unlimited()).await.unwrap();
    let port = free_port();
    let mut bot = Command::new(env!("CARGO_BIN_EXE_propdesk"))
        .arg("serve")
        .env("DATABASE_URL", &db.url)
        .env("TELOXIDE_TOKEN", api.token())
        .env("TELOXIDE_API_URL", api.api_url().as_str())
        .env(
            "PROPDESK_DIALOGUES",
            concat!(env!("CARGO_MANIFEST_DIR"), "/dialogues"),
        )
        .env("PROPDESK_METRICS_LISTEN", format!("127.0.0.1:{port}"))
        .env("PROPDESK_LOG_FORMAT", "json")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start the propdesk binary");
    let base = format!("http://127.0.0.1:{port}");
    wait_until_up(&format!("{base}/healthz")).await;

    // Traffic: ten owners say /start; one of them has blocked the bot, and
    // Telegram asks the bot to slow down once for another.
    let owners: Vec<i64> = (0..10).map(|i| 7100 + i).collect();
    for owner in &owners {
        api.add_user(TestUser::new(*owner, "Owner").language("en"));
    }
    api.block_chat(owners[0]);
    api.force_429(owners[1], 1);
    for owner in &owners {
        api.send_text(*owner, "/start").unwrap();
    }
    for owner in &owners[1..] {
        api.wait_for_message(*owner, |_| true, Duration::from_secs(30))
            .await
            .unwrap();
    }
    // Tickets are the database's: one resolved in time, one overdue.
    sqlx::query(
        "INSERT INTO tickets (kind, description, created_at, due_response_at, due_resolve_at, first_response_at, resolved_at)
         VALUES ('repair', 'in time', now() - interval '2 hours', now() - interval '1 hour', now(), now() - interval '90 minutes', now() - interval '1 hour'),
                ('complaint', 'overdue', now() - interval '3 days', now() - interval '2 days', now() - interval '1 day', NULL, NULL)",
    )
    .execute(&db.pool)
    .await
    .unwrap();

    // Counters settle once the outbox is empty.
    let mut metrics = HashMap::new();
    for _ in 0..200 {
        let (status, kind, body) = get(&format!("{base}/metrics")).await;
        assert_eq!(status, 200, "{body}");
        assert!(kind.starts_with("text/plain; version=0.0.4"), "{kind}");
        metrics = parse_metrics(&body);
        if metrics["propdesk_updates_processed_total"] >= 10.0
            && metrics["propdesk_outbox_depth{lane=\"reply\"}"] == 0.0
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let sent: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox WHERE status = 'sent'")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(metrics["propdesk_updates_received_total"], 10.0);
    assert_eq!(metrics["propdesk_updates_processed_total"], 10.0);
    assert_eq!(metrics["propdesk_updates_parked_total"], 0.0);
    assert_eq!(metrics["propdesk_update_processing_seconds_count"], 10.0);
    assert_eq!(
        metrics["propdesk_update_processing_seconds_bucket{le=\"+Inf\"}"],
        10.0
    );
    assert_eq!(metrics["propdesk_messages_sent_total"], sent as f64);
    assert!(sent >= 9, "{sent}");
    // Every attempt is timed: the sends, the 429 and the 403.
    assert!(metrics["propdesk_send_seconds_count"] >= sent as f64 + 2.0);
    assert_eq!(metrics["propdesk_send_too_many_requests_total"], 1.0);
    assert_eq!(metrics["propdesk_send_forbidden_total"], 1.0);
    for lane in ["reply", "staff", "reminder", "broadcast"] {
        assert_eq!(
            metrics[&format!("propdesk_outbox_depth{{lane=\"{lane}\"}}")],
            0.0
        );
    }
    assert_eq!(metrics["propdesk_tickets_opened_total"], 2.0);
    assert_eq!(metrics["propdesk_tickets_resolved_total"], 1.0);
    assert_eq!(
        metrics["propdesk_sla_breaches_total{deadline=\"response\"}"],
        1.0
    );
    assert_eq!(
        metrics["propdesk_sla_breaches_total{deadline=\"resolve\"}"],
        1.0
    );
    assert_eq!(metrics["propdesk_inbox_parked"], 0.0);

    let (status, kind, body) = get(&format!("{base}/healthz")).await;
    assert_eq!(status, 200, "{body}");
    assert!(kind.starts_with("application/json"), "{kind}");
    let health: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["database_reachable"], true);
    assert_eq!(health["inbox_open"], 0);
    assert_eq!(health["inbox_lag_seconds"], 0.0);
    assert_eq!(health["outbox_depth"], 0);
    assert_eq!(health["problems"], Value::Array(vec![]));
    let ago = health["last_send_seconds_ago"].as_f64().unwrap();
    assert!((0.0..30.0).contains(&ago), "{health}");
    assert!(health["last_send_at"].is_string(), "{health}");
    assert!(health["this_process_last_send_at"].is_string(), "{health}");

    bot.kill().await.unwrap();
}

#[tokio::test]
async fn healthz_is_503_with_its_reason_when_the_database_is_unreachable() {
    let nowhere = tempfile::tempdir().unwrap();
    let options = sqlx::postgres::PgConnectOptions::new()
        .socket(nowhere.path())
        .username("nobody")
        .database("nothing");
    let pool = sqlx::postgres::PgPoolOptions::new()
        .acquire_timeout(Duration::from_secs(30))
        .connect_lazy_with(options);
    let port = free_port();
    let stop = CancellationToken::new();
    let server = tokio::spawn(propdesk::health::serve(
        ([127, 0, 0, 1], port).into(),
        pool,
        stop.clone(),
    ));
    let url = format!("http://127.0.0.1:{port}/healthz");
    wait_until_up(&url).await;
    let started = std::time::Instant::now();
    let (status, _, body) = get(&url).await;
    assert_eq!(status, 503, "{body}");
    assert!(
        started.elapsed() < propdesk::health::DB_TIMEOUT + Duration::from_secs(2),
        "a dead database must not hang the health check"
    );
    let health: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(health["status"], "unhealthy");
    assert_eq!(health["database_reachable"], false);
    assert!(health["outbox_depth"].is_null());
    assert!(
        health["problems"][0].as_str().unwrap().contains("database"),
        "{health}"
    );
    let (status, _, _) = get(&format!("http://127.0.0.1:{port}/metrics")).await;
    assert_eq!(status, 503);
    stop.cancel();
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn healthz_is_unhealthy_when_an_update_has_waited_too_long() {
    let db = fresh_database().await.unwrap();
    let healthy = propdesk::health::check(&db.pool).await;
    assert_eq!(healthy.status, "ok", "{healthy:?}");
    sqlx::query(
        "INSERT INTO inbox (update_id, chat_id, user_id, kind, payload, received_at)
         VALUES (1, 5, 5, 'message', '{}', now() - interval '10 minutes')",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    let stuck = propdesk::health::check(&db.pool).await;
    assert_eq!(stuck.status, "unhealthy");
    assert!(stuck.database_reachable);
    assert_eq!(stuck.inbox_open, Some(1));
    assert!(stuck.inbox_lag_seconds.unwrap() >= 600.0, "{stuck:?}");
    assert!(stuck.problems[0].contains("oldest unprocessed update"));
}

#[tokio::test]
async fn the_webhook_server_serves_healthz_and_metrics_too() {
    let port = free_port();
    let hook = WebhookSettings {
        url: format!("http://127.0.0.1:{port}/telegram/hook")
            .parse()
            .unwrap(),
        listen: ([127, 0, 0, 1], port).into(),
    };
    let app = spawn_app_with(StandInConfig::default(), |s| s.webhook = Some(hook)).await;
    let (status, _, body) = get(&format!("http://127.0.0.1:{port}/healthz")).await;
    assert_eq!(status, 200, "{body}");
    let health: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(health["database_reachable"], true);
    let (status, _, body) = get(&format!("http://127.0.0.1:{port}/metrics")).await;
    assert_eq!(status, 200);
    assert!(parse_metrics(&body).contains_key("propdesk_updates_received_total"));
    app.finish().await;
}
