//! The harness: a fresh database, the Bot API stand-in, and the real `serve`
//! path (intake, processor, sender) talking to it over HTTP.

use std::sync::Arc;
use std::time::Duration;

use propdesk::app::ServeSettings;
use propdesk::clock::ShiftedClock;
use propdesk::db::testing::{fresh_database, TestDatabase};
use propdesk::sender::limits::RateLimits;
use propdesk::standin::{Limits, SentMessage, StandIn, StandInConfig, TestUser};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// How long a test waits for the bot before failing.
pub const WAIT: Duration = Duration::from_secs(20);

#[allow(dead_code)] // each test module uses a different part
pub struct TestApp {
    pub db: TestDatabase,
    pub api: StandIn,
    pub clock: Arc<ShiftedClock>,
    pub settings: ServeSettings,
    stop: CancellationToken,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

/// The bot with Telegram's limits on both sides.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(StandInConfig::default(), |_| {}).await
}

/// The bot against a stand-in with `config`, after `adjust` on its settings.
pub async fn spawn_app_with(
    config: StandInConfig,
    adjust: impl FnOnce(&mut ServeSettings),
) -> TestApp {
    init_logging();
    let db = fresh_database().await.expect("test database");
    let api = StandIn::start(config).await.expect("stand-in");
    let clock = Arc::new(ShiftedClock::default());
    let mut settings = ServeSettings::new(api.token().to_string());
    settings.api_url = Some(api.api_url());
    settings.poll_timeout = 5;
    settings.clock = clock.clone();
    // Tests call `scheduler::tick` / `run_due` with the time they choose; a
    // live scheduler on the wall clock would send reminders of its own.
    settings.run_scheduler = false;
    settings.dialogues_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/dialogues").into();
    settings.processor.retry_base = Duration::from_millis(20);
    settings.processor.poll_interval = Duration::from_millis(100);
    settings.sender.poll_interval = Duration::from_millis(100);
    adjust(&mut settings);
    let mut app = TestApp {
        db,
        api,
        clock,
        settings,
        stop: CancellationToken::new(),
        task: None,
    };
    app.start();
    app.ready().await;
    app
}

/// Stand-in and bot limits scaled up together, for tests about volume, not rate.
pub fn fast_limits() -> (StandInConfig, RateLimits) {
    let config = StandInConfig {
        limits: Limits::unlimited(),
        ..StandInConfig::default()
    };
    let limits = RateLimits {
        global_per_sec: 2000,
        private_per_sec: 1000.0,
        private_burst: 1000,
        group_per_min: 10_000,
    };
    (config, limits)
}

#[allow(dead_code)]
impl TestApp {
    /// Starts (or restarts) the bot on the same database and stand-in.
    pub fn start(&mut self) {
        self.stop = CancellationToken::new();
        let pool = self.db.pool.clone();
        let settings = self.settings.clone();
        let stop = self.stop.clone();
        self.task = Some(tokio::spawn(propdesk::app::serve(pool, settings, stop)));
    }

    /// Waits until the bot polls for updates (set-up calls are done, so a
    /// fault injected now hits the test's own traffic).
    pub async fn ready(&self) {
        let deadline = tokio::time::Instant::now() + WAIT;
        while !self
            .api
            .requests()
            .iter()
            .any(|r| r.method == "getUpdates" || r.method == "setWebhook")
        {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the bot never polled"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Stops the bot cleanly and waits for it.
    pub async fn stop(&mut self) {
        self.stop.cancel();
        if let Some(task) = self.task.take() {
            task.await
                .expect("serve task")
                .expect("serve ended cleanly");
        }
    }

    /// Kills the bot without any shutdown (as a crash would).
    pub async fn crash(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
        self.stop.cancel();
    }

    /// A person with a private chat, speaking `lang` ("zh", "en" …).
    pub fn person(&self, id: i64, lang: &str) -> i64 {
        self.api
            .add_user(TestUser::new(id, &format!("User {id}")).language(lang));
        id
    }

    pub fn say(&self, user: i64, text: &str) -> i64 {
        self.api.send_text(user, text).expect("send text").update_id
    }

    /// Waits for the `n`th (1-based) message the bot sent to `chat`.
    pub async fn nth_message(&self, chat: i64, n: usize) -> SentMessage {
        let messages = self
            .api
            .wait_for_messages(chat, n, WAIT)
            .await
            .unwrap_or_else(|e| panic!("{e:#}"));
        messages[n - 1].clone()
    }

    /// Waits for a message to `chat` containing `needle`.
    pub async fn expect_message(&self, chat: i64, needle: &str) -> SentMessage {
        self.api
            .wait_for_message(chat, |m| m.body().contains(needle), WAIT)
            .await
            .unwrap_or_else(|e| panic!("waiting for {needle:?}: {e:#}"))
    }

    /// Presses the button labelled `label` on `message`.
    pub fn press(&self, user: i64, message: &SentMessage, label: &str) -> i64 {
        let data = message
            .callback_data(label)
            .unwrap_or_else(|| panic!("no button {label:?} on {:?}", message.body()));
        self.api
            .press_button(user, message.chat_id, message.message_id, &data)
            .expect("press button")
            .update_id
    }

    /// Waits until every update in the inbox is processed (or parked).
    pub async fn settle(&self) {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            // In the pipeline's order: an update leaves the stand-in's queue
            // only once it is committed to the inbox, and its replies are in
            // the outbox once it is processed. Checked the other way round,
            // an update could move from the queue to the inbox between the
            // checks and be missed.
            let queued = self.api.pending_updates();
            let open: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM inbox WHERE processed_at IS NULL AND parked_at IS NULL",
            )
            .fetch_one(&self.db.pool)
            .await
            .expect("count inbox");
            let unsent: i64 = sqlx::query_scalar(
                // Rows scheduled for later (quiet hours) are not "in flight".
                "SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')
                   AND not_before <= now() + interval '1 minute'",
            )
            .fetch_one(&self.db.pool)
            .await
            .expect("count outbox");
            if queued == 0 && open == 0 && unsent == 0 {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "not settled: {open} open updates, {unsent} unsent rows"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Makes the reply to /help impossible to store (a trigger refuses it
    /// with "simulated fault"), as a broken handler would; the trigger is
    /// `refuse_help` on `outbox`.
    pub async fn refuse_help_replies(&self) {
        sqlx::raw_sql(
            "CREATE FUNCTION refuse_help() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN
               IF NEW.request->>'text' LIKE 'I can help%' THEN RAISE EXCEPTION 'simulated fault'; END IF;
               RETURN NEW;
             END $$;
             CREATE TRIGGER refuse_help BEFORE INSERT ON outbox FOR EACH ROW EXECUTE FUNCTION refuse_help();",
        )
        .execute(&self.db.pool)
        .await
        .unwrap();
    }

    /// Changes an office setting as `propdesk settings set` would.
    pub async fn set_office_setting(&self, key: &str, value: &str) {
        let mut conn = self.db.pool.acquire().await.expect("connection");
        propdesk::domain::office_settings::set(&mut conn, key, value, "test")
            .await
            .expect("database")
            .unwrap_or_else(|e| panic!("{e}"));
    }

    /// Stops the bot and checks that the stand-in refused nothing.
    pub async fn finish(mut self) {
        self.stop().await;
        self.api.assert_nothing_refused();
        self.api.shutdown().await;
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

fn init_logging() {
    if std::env::var_os("TEST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(
                tracing_subscriber::EnvFilter::try_from_default_env()
                    .unwrap_or_else(|_| "info,sqlx=warn".into()),
            )
            .with_test_writer()
            .try_init();
    }
}
