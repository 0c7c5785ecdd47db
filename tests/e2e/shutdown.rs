//! Graceful shutdown of the real binary on its embedded PostgreSQL: SIGTERM
//! in the middle of traffic ends it with exit code 0 within the grace, the
//! embedded server is stopped (its `postmaster.pid` gone), and after a
//! restart every update is processed exactly once and every reply is
//! delivered exactly once.

use std::process::Stdio;
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use propdesk::db::{Durability, EmbeddedPostgres};
use propdesk::standin::{StandIn, StandInConfig, TestUser};
use tokio::process::{Child, Command};

/// Owners who write while the bot runs, and while it shuts down.
const BEFORE: i64 = 40;
const DURING: i64 = 20;

fn spawn_bot(data_dir: &std::path::Path, api: &StandIn) -> Child {
    Command::new(env!("CARGO_BIN_EXE_propdesk"))
        .arg("serve")
        .env_remove("DATABASE_URL")
        .env("PROPDESK_DATA_DIR", data_dir)
        .env("TELOXIDE_TOKEN", api.token())
        .env("TELOXIDE_API_URL", api.api_url().as_str())
        .env(
            "PROPDESK_DIALOGUES",
            concat!(env!("CARGO_MANIFEST_DIR"), "/dialogues"),
        )
        .env("RUST_LOG", "warn,propdesk=info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start the propdesk binary")
}

/// Sends SIGTERM and waits for the exit: (exit code, time taken, stderr).
async fn terminate(bot: Child) -> (Option<i32>, Duration, String) {
    let pid = Pid::from_raw(i32::try_from(bot.id().expect("a running bot")).unwrap());
    let asked = Instant::now();
    kill(pid, Signal::SIGTERM).expect("SIGTERM");
    let output = tokio::time::timeout(Duration::from_secs(30), bot.wait_with_output())
        .await
        .expect("propdesk still runs 30 s after SIGTERM")
        .expect("wait for propdesk");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output.status.code(), asked.elapsed(), stderr)
}

fn owner(i: i64) -> i64 {
    8000 + i
}

#[tokio::test]
async fn sigterm_mid_traffic_exits_0_stops_postgres_and_loses_nothing() {
    let data = tempfile::tempdir().expect("a temporary folder");
    let api = StandIn::start(StandInConfig::unlimited())
        .await
        .expect("stand-in");
    // Each send takes a while, so sends are in flight when the signal comes.
    api.set_latency(Duration::from_millis(150));
    for i in 0..BEFORE + DURING {
        api.add_user(TestUser::new(owner(i), "Owner").language("en"));
    }
    let bot = spawn_bot(data.path(), &api);
    // 60 s: the first run creates the cluster and migrates it.
    api.send_text(owner(0), "/start").unwrap();
    api.wait_for_message(owner(0), |_| true, Duration::from_secs(60))
        .await
        .expect("the bot answers");
    for i in 1..BEFORE {
        api.send_text(owner(i), "/start").unwrap();
    }
    // Mid-traffic: some answered, not all.
    let deadline = Instant::now() + Duration::from_secs(20);
    while (0..BEFORE)
        .filter(|i| !api.messages(owner(*i)).is_empty())
        .count()
        < 5
    {
        assert!(Instant::now() < deadline, "the bot answered nobody");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let answered_before = (0..BEFORE)
        .filter(|i| !api.messages(owner(*i)).is_empty())
        .count();
    let writers = {
        let api = api.clone();
        tokio::spawn(async move {
            for i in BEFORE..BEFORE + DURING {
                api.send_text(owner(i), "/start").unwrap();
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    let (code, took, stderr) = terminate(bot).await;
    writers.await.unwrap();
    eprintln!("{stderr}");
    println!(
        "SIGTERM with {answered_before}/{BEFORE} owners answered: exit {code:?} after {took:?}"
    );
    assert_eq!(code, Some(0), "exit code after SIGTERM");
    assert!(
        took < propdesk::app::SHUTDOWN_GRACE + Duration::from_secs(3),
        "shutdown took {took:?}"
    );
    assert!(stderr.contains("shutting down"), "{stderr}");
    assert!(stderr.contains("embedded PostgreSQL stopped"), "{stderr}");
    assert!(
        !data.path().join("postmaster.pid").exists(),
        "the embedded PostgreSQL is still running (postmaster.pid left)"
    );
    assert!(
        !stderr.contains("aborting"),
        "a task had to be aborted: {stderr}"
    );

    // Started again, it answers everyone the first run did not.
    let bot = spawn_bot(data.path(), &api);
    for i in 0..BEFORE + DURING {
        api.wait_for_message(owner(i), |_| true, Duration::from_secs(60))
            .await
            .unwrap_or_else(|e| panic!("owner {i} never answered: {e:#}"));
    }
    // Nothing more is on its way.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (code, _, stderr) = terminate(bot).await;
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!data.path().join("postmaster.pid").exists());

    // The database's account: every update processed once, each reply sent
    // once and received once.
    let dir = data.path().to_path_buf();
    let mut pg =
        tokio::task::spawn_blocking(move || EmbeddedPostgres::start(&dir, Durability::Durable))
            .await
            .unwrap()
            .unwrap();
    let pool = propdesk::db::pool(pg.connect_options(), 2).await.unwrap();
    let (total, processed, once, parked): (i64, i64, i64, i64) = sqlx::query_as(
        "SELECT count(*), count(processed_at), count(*) FILTER (WHERE attempts = 1),
                count(parked_at) FROM inbox",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(total, BEFORE + DURING, "updates stored");
    assert_eq!(processed, total, "updates processed");
    assert_eq!(once, total, "each processed in one attempt");
    assert_eq!(parked, 0);
    let (rows, sent, ambiguous): (i64, i64, i64) = sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE status = 'sent'), count(*) FILTER (WHERE ambiguous > 0)
           FROM outbox",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(sent, rows, "every outbox row sent");
    assert_eq!(ambiguous, 0, "no send was cut off by the shutdown");
    let received: usize = (0..BEFORE + DURING)
        .map(|i| api.messages(owner(i)).len())
        .sum();
    assert_eq!(
        usize::try_from(rows).unwrap(),
        received,
        "messages received vs outbox rows: a duplicate or a loss"
    );
    pool.close().await;
    pg.stop();
    api.assert_nothing_refused();
}
