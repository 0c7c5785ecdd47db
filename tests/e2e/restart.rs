//! The one-command default survives crashes: the real binary on its embedded
//! PostgreSQL (no `DATABASE_URL`) is killed with SIGKILL and started again at
//! once, as systemd's `Restart=always` would, twenty times in a row. Each run
//! answers an owner before it is killed, so every restart reached a working
//! bot, and nothing an owner sent is lost.

use std::process::Stdio;
use std::time::{Duration, Instant};

use propdesk::db::{Durability, EmbeddedPostgres};
use propdesk::standin::{StandIn, StandInConfig, TestUser};
use tokio::process::{Child, Command};

const RESTARTS: usize = 20;
/// systemd's default `RestartSec` is 100 ms; we come back faster than that.
const RESTART_DELAY: Duration = Duration::from_millis(50);

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
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("start the propdesk binary")
}

#[tokio::test]
async fn serve_killed_and_restarted_at_once_twenty_times_comes_back_every_time() {
    let data = tempfile::tempdir().expect("a temporary folder");
    let api = StandIn::start(StandInConfig::unlimited())
        .await
        .expect("stand-in");
    let mut restarted_within = Vec::new();
    let mut bot = spawn_bot(data.path(), &api);
    for round in 0..=RESTARTS {
        let owner = 1000 + i64::try_from(round).expect("a small round number");
        api.add_user(TestUser::new(owner, "Owner").language("en"));
        api.send_text(owner, "/start").expect("send /start");
        // 60 s: the first run creates the cluster (initdb) and migrates it.
        let answered = api
            .wait_for_message(owner, |_| true, Duration::from_secs(60))
            .await;
        assert!(
            answered.is_ok(),
            "round {round}: the bot did not answer after a restart: {answered:?}"
        );
        if let Some(status) = bot.try_wait().expect("poll the bot process") {
            panic!("round {round}: the bot exited by itself with {status}");
        }
        if round == RESTARTS {
            break;
        }
        let killed = Instant::now();
        bot.kill().await.expect("SIGKILL the bot");
        tokio::time::sleep(RESTART_DELAY).await;
        bot = spawn_bot(data.path(), &api);
        restarted_within.push(killed.elapsed());
    }
    bot.kill().await.expect("SIGKILL the bot");
    let slowest = restarted_within.iter().max().copied().unwrap_or_default();
    println!("{RESTARTS} restarts, each started again within {slowest:?} of the kill");
    assert_eq!(restarted_within.len(), RESTARTS);
    api.assert_nothing_refused();
}

#[tokio::test]
async fn a_stale_postmaster_pid_left_by_a_power_loss_does_not_stop_the_start() {
    let data = tempfile::tempdir().expect("a temporary folder");
    let dir = data.path().to_path_buf();
    let first = {
        let dir = dir.clone();
        tokio::task::spawn_blocking(move || EmbeddedPostgres::start(&dir, Durability::Throwaway))
    };
    let mut first = first.await.expect("join").expect("first start");
    first.stop();
    // After a power loss the file names a pid that now belongs to some
    // other process, and says the server was ready.
    let mut other = std::process::Command::new("sleep")
        .arg("60")
        .spawn()
        .expect("start another process");
    let me = other.id();
    std::fs::write(
        dir.join("postmaster.pid"),
        format!(
            "{me}\n{}\n1764600000\n5432\n{}\n\n  5432001 0\nready   \n",
            dir.display(),
            dir.display()
        ),
    )
    .expect("write a stale postmaster.pid");
    let second = {
        let dir = dir.clone();
        tokio::task::spawn_blocking(move || EmbeddedPostgres::start(&dir, Durability::Throwaway))
    };
    let mut second = second
        .await
        .expect("join")
        .expect("start despite the stale file");
    let pool = propdesk::db::pool(second.connect_options(), 1)
        .await
        .expect("connect to the new server");
    let one: i32 = sqlx::query_scalar("SELECT 1")
        .fetch_one(&pool)
        .await
        .expect("a query");
    assert_eq!(one, 1);
    pool.close().await;
    second.stop();
    let _ = other.kill();
    let _ = other.wait();
}
