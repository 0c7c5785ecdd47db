//! Supervision: when one of `serve`'s tasks fails, the real binary stops the
//! others and exits non-zero with that task's name and cause, so whatever
//! supervises it (systemd, docker) restarts it — instead of a bot that keeps
//! taking updates and never answers.

use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use propdesk::db::testing::fresh_database;
use propdesk::standin::{StandIn, StandInConfig};
use tokio::process::{Child, Command};

/// Generous for a loaded machine; a healthy failure takes well under a second.
const EXIT_WITHIN: Duration = Duration::from_secs(20);

fn spawn_bot(url: &str, api: &StandIn, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_propdesk"))
        .arg("serve")
        .args(args)
        .env("DATABASE_URL", url)
        .env("TELOXIDE_TOKEN", api.token())
        .env("TELOXIDE_API_URL", api.api_url().as_str())
        .env(
            "PROPDESK_DIALOGUES",
            concat!(env!("CARGO_MANIFEST_DIR"), "/dialogues"),
        )
        .env("RUST_LOG", "info,sqlx=warn")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start the propdesk binary")
}

/// Waits for the process to exit on its own; its stderr without colours.
async fn exit_of(bot: Child) -> (Output, String) {
    let started = Instant::now();
    let output = tokio::time::timeout(EXIT_WITHIN, bot.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("propdesk serve still runs after {EXIT_WITHIN:?}"))
        .expect("wait for propdesk");
    let stderr = strip_ansi(&String::from_utf8_lossy(&output.stderr));
    eprintln!("exited after {:?}:\n{stderr}", started.elapsed());
    (output, stderr)
}

fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI sequences end with a letter.
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Whether the supervisor logged `task` as having stopped cleanly.
fn stopped(stderr: &str, task: &str) -> bool {
    let field = format!("task=\"{task}\"");
    stderr
        .lines()
        .any(|l| l.contains(" stopped ") && l.contains(&field))
}

#[tokio::test]
async fn serve_exits_non_zero_naming_the_intake_when_the_webhook_port_is_taken() {
    let db = fresh_database().await.unwrap();
    let api = StandIn::start(StandInConfig::unlimited()).await.unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let url = format!("http://{addr}/telegram");

    let bot = spawn_bot(
        &db.url,
        &api,
        &["--webhook-url", &url, "--listen", &addr.to_string()],
    );
    let (output, stderr) = exit_of(bot).await;

    assert!(!output.status.success(), "exit status {}", output.status);
    assert!(
        stderr.contains(&format!(
            "propdesk: the intake task failed: listening for the webhook on {addr}: "
        )),
        "the last words name the task and the cause:\n{stderr}"
    );
    for task in ["processor", "sender", "scheduler"] {
        assert!(stopped(&stderr, task), "{task} did not stop:\n{stderr}");
    }
    drop(taken);
}

#[tokio::test]
async fn serve_exits_non_zero_naming_the_sender_when_the_outbox_table_is_gone() {
    let db = fresh_database().await.unwrap();
    let api = StandIn::start(StandInConfig::unlimited()).await.unwrap();
    let mut bot = spawn_bot(&db.url, &api, &[]);
    let deadline = Instant::now() + EXIT_WITHIN;
    // Intake drops any webhook right before its first long poll (which the
    // stand-in records only when it ends).
    while !api.requests().iter().any(|r| r.method == "deleteWebhook") {
        if Instant::now() > deadline || bot.try_wait().unwrap().is_some() {
            let _ = bot.start_kill();
            let (_, stderr) = exit_of(bot).await;
            let methods: Vec<String> = api.requests().into_iter().map(|r| r.method).collect();
            panic!("the bot never polled; it called {methods:?}:\n{stderr}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // The sender alone depends on this table while nobody writes: intake
    // keeps polling happily, which used to leave a bot that never answers.
    sqlx::query("ALTER TABLE outbox RENAME TO outbox_gone")
        .execute(&db.pool)
        .await
        .unwrap();
    let (output, stderr) = exit_of(bot).await;

    assert!(!output.status.success(), "exit status {}", output.status);
    let last = stderr
        .lines()
        .rfind(|l| l.starts_with("propdesk: "))
        .unwrap_or_default();
    assert!(
        last.starts_with("propdesk: the sender task failed: ") && last.contains("\"outbox\""),
        "the last words name the task and the cause:\n{stderr}"
    );
    for task in ["intake", "processor", "scheduler"] {
        assert!(stopped(&stderr, task), "{task} did not stop:\n{stderr}");
    }
}
