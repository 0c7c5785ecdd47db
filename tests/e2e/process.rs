//! The real `propdesk serve` binary as a child process against the stand-in
//! (as `restart.rs` and `crash.rs` run it), for the fault scenarios that
//! kill it, restart its database or run two of it.

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use propdesk::standin::StandIn;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// How one `serve` process is started.
#[derive(Debug, Clone, Default)]
pub struct BotOptions {
    /// `DATABASE_URL`.
    pub database_url: String,
    /// `RUST_LOG` (default `warn`).
    pub log: Option<String>,
    /// Webhook mode: (public URL, listen address).
    pub webhook: Option<(String, String)>,
}

/// A running `serve` whose log lines are kept (with when they arrived) for
/// the scenario to look for "intake is polling" and the like.
pub struct Bot {
    pub child: Child,
    pub lines: Arc<Mutex<Vec<(Instant, String)>>>,
}

pub fn spawn(api: &StandIn, options: &BotOptions) -> Bot {
    let mut command = Command::new(env!("CARGO_BIN_EXE_propdesk"));
    command
        .arg("serve")
        .env("DATABASE_URL", &options.database_url)
        .env("TELOXIDE_TOKEN", api.token())
        .env("TELOXIDE_API_URL", api.api_url().as_str())
        .env(
            "PROPDESK_DIALOGUES",
            concat!(env!("CARGO_MANIFEST_DIR"), "/dialogues"),
        )
        // Owners' replies are not held back by Telegram's per-chat second.
        .env("PROPDESK_RATE_PER_SEC", "2000")
        .env("PROPDESK_PRIVATE_RATE_PER_SEC", "200")
        .env_remove("PROPDESK_STAFF_CHAT_ID")
        .env_remove("PROPDESK_WEBHOOK_URL")
        .env_remove("PROPDESK_LISTEN")
        .env("RUST_LOG", options.log.as_deref().unwrap_or("warn"))
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if let Some((url, listen)) = &options.webhook {
        command
            .env("PROPDESK_WEBHOOK_URL", url)
            .env("PROPDESK_LISTEN", listen);
    }
    let mut child = command.spawn().expect("start the propdesk binary");
    let lines = Arc::new(Mutex::new(Vec::new()));
    let echo = std::env::var_os("TEST_LOG").is_some();
    for stream in [
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Unpin + Send>),
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Unpin + Send>),
    ]
    .into_iter()
    .flatten()
    {
        let lines = lines.clone();
        tokio::spawn(async move {
            let mut reader = BufReader::new(stream).lines();
            while let Ok(Some(line)) = reader.next_line().await {
                if echo {
                    eprintln!("[bot] {line}");
                }
                lines
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push((Instant::now(), line));
            }
        });
    }
    Bot { child, lines }
}

impl Bot {
    /// When a log line containing `needle` first arrived after `after`.
    pub fn logged_after(&self, needle: &str, after: Instant) -> Option<Instant> {
        self.lines
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .find(|(at, l)| *at >= after && l.contains(needle))
            .map(|(at, _)| *at)
    }

    /// Every log line containing `needle`.
    pub fn lines_with(&self, needle: &str) -> Vec<String> {
        self.lines
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|(_, l)| l.contains(needle))
            .map(|(_, l)| l.clone())
            .collect()
    }

    /// SIGKILL, and wait until the process is gone.
    pub async fn kill(&mut self) {
        self.child.start_kill().expect("SIGKILL the bot");
        self.child.wait().await.expect("reap the bot");
    }

    /// Panics if the process has exited by itself.
    pub fn assert_running(&mut self, what: &str) {
        if let Some(status) = self.child.try_wait().expect("poll the bot process") {
            let tail: Vec<String> = self
                .lines
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .iter()
                .rev()
                .take(20)
                .map(|(_, l)| l.clone())
                .collect();
            panic!("{what}: the bot exited by itself with {status}; last lines:\n{tail:#?}");
        }
    }
}

/// A small deterministic generator (SplitMix64), so a failing run can be
/// repeated with the seed it printed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// A seed from `name` in the environment, else from the clock.
    pub fn seed_from_env(name: &str) -> u64 {
        std::env::var(name)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos() as u64)
                    .unwrap_or(1)
            })
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `low..=high`.
    pub fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.next_u64() % (high - low + 1)
    }
}
