//! Webhook mode: Telegram posts updates to us; 200 only after the commit.

use propdesk::intake::webhook::WebhookSettings;
use propdesk::standin::StandInConfig;

use crate::support::spawn_app_with;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

async fn spawn_webhook_app() -> (crate::support::TestApp, String) {
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}/telegram/hook");
    let hook = WebhookSettings {
        url: url.parse().unwrap(),
        listen: ([127, 0, 0, 1], port).into(),
    };
    let app = spawn_app_with(StandInConfig::default(), |s| s.webhook = Some(hook)).await;
    (app, url)
}

#[tokio::test]
async fn updates_posted_to_the_webhook_are_answered() {
    let (app, _) = spawn_webhook_app().await;
    let owner = app.person(3001, "en");
    let update = app.say(owner, "/start");
    let reply = app.nth_message(owner, 1).await;
    assert!(reply.body().starts_with("Hello!"));
    // Delivered again (Telegram retries when unsure): still one reply.
    app.api.redeliver(update).unwrap();
    app.settle().await;
    assert_eq!(app.api.messages(owner).len(), 1);
    let polls = app
        .api
        .requests()
        .iter()
        .filter(|r| r.method == "getUpdates")
        .count();
    assert_eq!(polls, 0, "webhook mode never polls");
    app.finish().await;
}

#[tokio::test]
async fn a_webhook_call_without_the_secret_is_refused_and_stores_nothing() {
    let (app, url) = spawn_webhook_app().await;
    let forged = serde_json::json!({
        "update_id": 999_999,
        "message": {"message_id": 1, "date": 0, "chat": {"id": 5, "type": "private", "first_name": "X"},
                    "from": {"id": 5, "is_bot": false, "first_name": "X"}, "text": "/start"}
    });
    let client = reqwest::Client::new();
    let status = client
        .post(&url)
        .json(&forged)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, reqwest::StatusCode::UNAUTHORIZED);
    let wrong = client
        .post(&url)
        .header("X-Telegram-Bot-Api-Secret-Token", "guess")
        .json(&forged)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(wrong, reqwest::StatusCode::UNAUTHORIZED);
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM inbox")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(stored, 0);
    app.finish().await;
}
