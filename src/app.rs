//! Assembles the running bot: intake, processor workers, sender, scheduler —
//! one code path for `propdesk serve` and the end-to-end tests — and
//! supervises them: one failing stops them all.

use std::collections::HashMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use sqlx::PgPool;
use teloxide::prelude::*;
use teloxide::types::BotCommand;
use tokio::sync::Notify;
use tokio::task::{self, JoinSet};
use tokio_util::sync::CancellationToken;

use crate::clock::{Clock, SystemClock};
use crate::engine::Dialogues;
use crate::i18n::Lang;
use crate::intake::webhook::{self, WebhookSettings};
use crate::processor::{self, menu_commands, App, ProcessorSettings};
use crate::settings::{Secret, Settings};
use crate::{intake, sender, sender::SenderConfig};

/// Everything `serve` needs besides the database.
#[derive(Debug, Clone)]
pub struct ServeSettings {
    pub token: Secret,
    /// Another Bot API server (a local one, or the stand-in in tests).
    pub api_url: Option<url::Url>,
    pub processor: ProcessorSettings,
    pub sender: SenderConfig,
    pub workers: usize,
    /// getUpdates long-poll timeout in seconds.
    pub poll_timeout: u32,
    pub clock: Arc<dyn Clock>,
    /// Whether this process runs the scheduler (tests drive `scheduler::tick`
    /// themselves with the time they choose).
    pub run_scheduler: bool,
    /// Webhook mode instead of long polling.
    pub webhook: Option<WebhookSettings>,
    /// The dialogue folder; `serve` refuses to start if a file is invalid.
    pub dialogues_dir: PathBuf,
    /// Where `/healthz` and `/metrics` are served besides the webhook's server.
    pub metrics_listen: Option<std::net::SocketAddr>,
}

impl ServeSettings {
    /// What `serve` runs with for these flags and environment: the one
    /// place they are assembled.
    #[must_use]
    pub fn from_settings(s: &Settings) -> ServeSettings {
        let mut sender = SenderConfig::default();
        sender.limits.global_per_sec = s.rate_per_sec;
        sender.limits.private_per_sec = s.private_rate_per_sec;
        ServeSettings {
            token: s.token.clone(),
            api_url: s.api_url.clone(),
            processor: ProcessorSettings::from_settings(s),
            sender,
            workers: s.workers,
            poll_timeout: 25,
            clock: Arc::new(SystemClock),
            run_scheduler: true,
            webhook: match (&s.webhook_url, s.listen) {
                (Some(url), Some(listen)) => Some(WebhookSettings {
                    url: url.clone(),
                    listen,
                }),
                _ => None,
            },
            dialogues_dir: s.dialogues.clone(),
            metrics_listen: s.metrics_listen,
        }
    }

    /// Every flag at its default, with `token` (tests, benches).
    #[must_use]
    pub fn new(token: impl Into<String>) -> ServeSettings {
        ServeSettings::from_settings(&Settings {
            token: Secret::new(token),
            ..Settings::defaults()
        })
    }
}

/// The teloxide bot for these settings, with an HTTP timeout longer than
/// the long poll (teloxide's default 17 s would cut a 25 s poll).
pub fn build_bot(settings: &ServeSettings) -> Result<Bot> {
    let client = teloxide::net::default_reqwest_settings()
        .timeout(Duration::from_secs(u64::from(settings.poll_timeout) + 20))
        .build()
        .context("building the HTTP client")?;
    let bot = Bot::with_client(settings.token.expose(), client);
    Ok(match &settings.api_url {
        Some(url) => bot.set_api_url(url.clone()),
        None => bot,
    })
}

/// Loads and checks the dialogue files; the error lists every problem as
/// `file:line: message`.
pub fn load_dialogues(dir: &Path) -> Result<Dialogues> {
    crate::engine::load_dir(dir).map_err(|problems| {
        let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
        anyhow::anyhow!(
            "the dialogue files in {} have problems:\n{}",
            dir.display(),
            lines.join("\n")
        )
    })
}

/// Loads and checks `dir/texts.toml` and installs it as the catalogue every
/// text is read from; the error lists every problem as `file:line: message`.
pub fn load_texts(dir: &Path) -> Result<()> {
    let catalogue = crate::texts::load(dir).map_err(|problems| {
        let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
        anyhow::anyhow!(
            "the text catalogue in {} has problems:\n{}",
            dir.display(),
            lines.join("\n")
        )
    })?;
    if !crate::texts::install(catalogue) {
        tracing::debug!("a text catalogue was installed already; keeping it");
    }
    Ok(())
}

/// Every problem of the dialogue folder — dialogue files and the text
/// catalogue — as `file:line: message`; empty when it is fine.
#[must_use]
pub fn check_dir(dir: &Path) -> Vec<String> {
    let dialogues = crate::engine::check_dir(dir);
    let texts = crate::texts::check_file(dir);
    let canned = crate::domain::canned::check_file(dir);
    dialogues
        .iter()
        .map(ToString::to_string)
        .chain(texts.iter().map(ToString::to_string))
        .chain(canned.iter().map(ToString::to_string))
        .collect()
}

/// Reads and checks `dir/canned.toml`; the error lists every problem as
/// `file:line: message`.
pub fn load_canned(dir: &Path) -> Result<Vec<crate::domain::canned::Seed>> {
    crate::domain::canned::load(dir).map_err(|problems| {
        let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
        anyhow::anyhow!(
            "the canned replies in {} have problems:\n{}",
            dir.display(),
            lines.join("\n")
        )
    })
}

/// What `serve` writes to the database before it starts: the canned
/// replies the seed file adds, and the staff's command menus (queued in the
/// outbox). A database that does not answer yet is logged, not fatal: the
/// menus come with the next start or roster change, the seeds with the next
/// start.
async fn prepare_database(
    pool: &PgPool,
    seeds: &[crate::domain::canned::Seed],
    staff_chat: Option<i64>,
) {
    let work = async {
        let mut tx = pool.begin().await?;
        let added = crate::domain::canned::seed(&mut tx, seeds).await?;
        processor::features::staff::menus::refresh_all(&mut tx, staff_chat).await?;
        tx.commit().await?;
        Ok::<u64, anyhow::Error>(added)
    };
    let result = tokio::time::timeout(Duration::from_secs(10), work)
        .await
        .unwrap_or_else(|_| Err(anyhow::anyhow!("the database did not answer within 10 s")));
    match result {
        Ok(added) => tracing::info!(added, "canned replies seeded; staff command menus queued"),
        Err(e) => {
            tracing::warn!(error = %format!("{e:#}"), "could not seed canned replies or queue staff menus")
        }
    }
}

/// Runs the bot until `stop` fires, then lets work in flight finish. If one
/// of its tasks fails, the others stop and the error names that task.
pub async fn serve(
    pool: PgPool,
    mut settings: ServeSettings,
    stop: CancellationToken,
) -> Result<()> {
    let bot = build_bot(&settings)?;
    let me = loop {
        match bot.get_me().await {
            Ok(me) => break me,
            Err(e) => {
                tracing::warn!(error = %e, "getMe failed; is the token right and Telegram reachable?");
                tokio::select! {
                    () = stop.cancelled() => return Ok(()),
                    () = tokio::time::sleep(Duration::from_secs(2)) => {}
                }
            }
        }
    };
    tracing::info!(username = %me.username(), "connected to the Bot API");
    settings.processor.bot_username = me.username().to_string();
    register_commands(&bot).await;

    load_texts(&settings.dialogues_dir)?;
    let seeds = load_canned(&settings.dialogues_dir)?;
    processor::install_command_table();
    prepare_database(&pool, &seeds, settings.processor.staff_chat_id).await;
    let app = Arc::new(App {
        settings: settings.processor.clone(),
        clock: settings.clock.clone(),
        dialogues: Arc::new(load_dialogues(&settings.dialogues_dir)?),
    });
    let inbox_wake = Arc::new(Notify::new());
    let outbox_wake = Arc::new(Notify::new());

    // Our own token: a failing task stops its siblings, not the caller's other work.
    let stop = stop.child_token();
    let mut tasks = Supervisor::new(stop.clone(), SHUTDOWN_GRACE);
    match settings.webhook.clone() {
        Some(hook) => tasks.spawn(
            "intake",
            webhook::run(
                pool.clone(),
                bot.clone(),
                hook,
                inbox_wake.clone(),
                crate::health::router(pool.clone()),
                stop.clone(),
            ),
        ),
        None => tasks.spawn(
            "intake",
            intake::run_polling(
                pool.clone(),
                bot.clone(),
                settings.poll_timeout,
                inbox_wake.clone(),
                crate::db::notifier(pool.clone(), crate::inbox::NOTIFY_CHANNEL, stop.clone()),
                stop.clone(),
            ),
        ),
    }
    if let Some(listen) = settings.metrics_listen {
        tasks.spawn(
            "metrics",
            crate::health::serve(listen, pool.clone(), stop.clone()),
        );
    }
    if settings.run_scheduler {
        tasks.spawn(
            "scheduler",
            crate::scheduler::run(pool.clone(), app.clone(), stop.clone()),
        );
    }
    // With no workers `processor::run` would end at once, which the
    // supervisor would take for a failure.
    if settings.workers > 0 {
        tasks.spawn(
            "processor",
            processor::run(
                pool.clone(),
                app,
                settings.workers,
                processor::Wakes {
                    inbox: inbox_wake,
                    outbox: outbox_wake.clone(),
                    outbox_elsewhere: crate::db::notifier(
                        pool.clone(),
                        crate::outbox::NOTIFY_CHANNEL,
                        stop.clone(),
                    ),
                },
                stop.clone(),
            ),
        );
    }
    tasks.spawn(
        "sender",
        sender::run(pool, bot, settings.sender, outbox_wake, stop.clone()),
    );
    tasks.run().await
}

/// How long the other tasks get to finish after one failed, or after a
/// shutdown was asked for, before they are aborted: a stuck task must not
/// keep a half-dead bot running, nor hold up a restart.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Runs `serve`'s long-lived tasks (intake, processor, sender, scheduler),
/// each of which should run until `stop` fires. The first one that fails —
/// returns an error, panics, or ends while not asked to stop — cancels
/// `stop` for the others, and [`Supervisor::run`] returns its cause named
/// after the task, so `propdesk serve` exits non-zero and whatever supervises
/// the process restarts it.
pub struct Supervisor {
    tasks: JoinSet<Result<()>>,
    names: HashMap<task::Id, &'static str>,
    stop: CancellationToken,
    grace: Duration,
}

impl Supervisor {
    /// Tasks get `grace` to stop after a failure, then they are aborted.
    #[must_use]
    pub fn new(stop: CancellationToken, grace: Duration) -> Supervisor {
        Supervisor {
            tasks: JoinSet::new(),
            names: HashMap::new(),
            stop,
            grace,
        }
    }

    /// Starts `task`; `name` is what logs and the error call it.
    pub fn spawn<F>(&mut self, name: &'static str, task: F)
    where
        F: Future<Output = Result<()>> + Send + 'static,
    {
        let handle = self.tasks.spawn(task);
        self.names.insert(handle.id(), name);
    }

    /// Waits for every task. `Ok` if they all ended cleanly after `stop`
    /// fired; otherwise the first failure, as "the NAME task failed: cause".
    pub async fn run(mut self) -> Result<()> {
        let mut first_error: Option<anyhow::Error> = None;
        let mut deadline: Option<tokio::time::Instant> = None;
        loop {
            let joined = match deadline {
                // A shutdown asked from outside (SIGTERM) gets the same
                // grace: work in flight finishes, a stuck task is aborted.
                None => tokio::select! {
                    joined = self.tasks.join_next_with_id() => joined,
                    () = self.stop.cancelled() => {
                        deadline = Some(tokio::time::Instant::now() + self.grace);
                        continue;
                    }
                },
                Some(at) => match tokio::time::timeout_at(at, self.tasks.join_next_with_id()).await
                {
                    Ok(joined) => joined,
                    Err(_elapsed) => {
                        let mut stuck: Vec<&str> = self.names.values().copied().collect();
                        stuck.sort_unstable();
                        tracing::error!(?stuck, grace = ?self.grace, "tasks did not stop in time; aborting them");
                        self.tasks.abort_all();
                        while self.tasks.join_next().await.is_some() {}
                        break;
                    }
                },
            };
            let Some(joined) = joined else { break };
            let (id, outcome) = match joined {
                Ok((id, outcome)) => (id, outcome),
                Err(e) => (e.id(), Err(join_error_cause(e))),
            };
            let name = self.names.remove(&id).unwrap_or("unnamed");
            let cause = match outcome {
                Ok(()) if self.stop.is_cancelled() => {
                    tracing::info!(task = name, "stopped");
                    continue;
                }
                Ok(()) => anyhow::anyhow!("it ended before it was asked to stop"),
                Err(e) => e,
            };
            let error = cause.context(format!("the {name} task failed"));
            tracing::error!(task = name, error = %format!("{error:#}"), "stopping the other tasks");
            if deadline.is_none() && !self.stop.is_cancelled() {
                deadline = Some(tokio::time::Instant::now() + self.grace);
            }
            self.stop.cancel();
            first_error.get_or_insert(error);
        }
        first_error.map_or(Ok(()), Err)
    }
}

/// Why a task ended without returning: a panic (with its message) or an abort.
fn join_error_cause(e: task::JoinError) -> anyhow::Error {
    if !e.is_panic() {
        return anyhow::anyhow!("it was cancelled");
    }
    let payload = e.into_panic();
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a non-text payload".to_owned());
    anyhow::anyhow!("it panicked: {message}")
}

/// setMyCommands in Chinese (the default) and each language with a menu
/// code of its own (see [`Lang::telegram_menu_code`]). Failure is logged,
/// not fatal: the commands still work, Telegram just does not list them.
async fn register_commands(bot: &Bot) {
    let each = Lang::ALL
        .into_iter()
        .filter_map(|l| l.telegram_menu_code().map(|code| (l, Some(code))));
    for (lang, code) in std::iter::once((Lang::default(), None)).chain(each) {
        let commands = menu_commands(lang)
            .into_iter()
            .map(|(c, d)| BotCommand::new(c, d));
        let mut request = bot.set_my_commands(commands);
        if let Some(code) = code {
            request = request.language_code(code);
        }
        if let Err(e) = request.await {
            tracing::warn!(error = %e, ?code, "setMyCommands failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    fn until_stopped(stop: &CancellationToken) -> impl Future<Output = Result<()>> {
        let stop = stop.clone();
        async move {
            stop.cancelled().await;
            Ok(())
        }
    }

    async fn run_within(tasks: Supervisor, limit: Duration) -> Result<()> {
        tokio::time::timeout(limit, tasks.run())
            .await
            .expect("the supervisor returned in time")
    }

    #[tokio::test]
    async fn a_task_failing_after_others_started_stops_them_and_is_named() {
        let stop = CancellationToken::new();
        let mut tasks = Supervisor::new(stop.clone(), Duration::from_secs(30));
        tasks.spawn("intake", until_stopped(&stop));
        tasks.spawn("processor", until_stopped(&stop));
        tasks.spawn("sender", async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            anyhow::bail!("relation \"outbox\" does not exist")
        });
        let error = run_within(tasks, Duration::from_secs(5)).await.unwrap_err();
        assert_eq!(
            format!("{error:#}"),
            "the sender task failed: relation \"outbox\" does not exist"
        );
        assert!(stop.is_cancelled());
    }

    #[tokio::test]
    async fn a_panicking_task_is_reported_with_its_message() {
        let stop = CancellationToken::new();
        let mut tasks = Supervisor::new(stop.clone(), Duration::from_secs(30));
        tasks.spawn("intake", until_stopped(&stop));
        tasks.spawn("scheduler", async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            panic!("digest time out of range")
        });
        let error = run_within(tasks, Duration::from_secs(5)).await.unwrap_err();
        assert_eq!(
            format!("{error:#}"),
            "the scheduler task failed: it panicked: digest time out of range"
        );
    }

    #[tokio::test]
    async fn a_task_ending_before_it_was_asked_to_stop_is_a_failure() {
        let stop = CancellationToken::new();
        let mut tasks = Supervisor::new(stop.clone(), Duration::from_secs(30));
        tasks.spawn("intake", until_stopped(&stop));
        tasks.spawn("processor", async { Ok(()) });
        let error = run_within(tasks, Duration::from_secs(5)).await.unwrap_err();
        assert_eq!(
            format!("{error:#}"),
            "the processor task failed: it ended before it was asked to stop"
        );
    }

    #[tokio::test]
    async fn a_task_ignoring_stop_after_a_failure_is_aborted_after_the_grace() {
        let stop = CancellationToken::new();
        let mut tasks = Supervisor::new(stop.clone(), Duration::from_millis(100));
        tasks.spawn("intake", std::future::pending());
        tasks.spawn("sender", async {
            anyhow::bail!("lost the sender lock's connection")
        });
        let started = Instant::now();
        let error = run_within(tasks, Duration::from_secs(5)).await.unwrap_err();
        assert_eq!(
            format!("{error:#}"),
            "the sender task failed: lost the sender lock's connection"
        );
        assert!(started.elapsed() >= Duration::from_millis(100));
    }

    #[tokio::test]
    async fn tasks_ending_after_stop_fired_end_serve_cleanly() {
        let stop = CancellationToken::new();
        let mut tasks = Supervisor::new(stop.clone(), Duration::from_secs(30));
        tasks.spawn("intake", until_stopped(&stop));
        tasks.spawn("sender", until_stopped(&stop));
        stop.cancel();
        run_within(tasks, Duration::from_secs(5)).await.unwrap();
    }

    #[tokio::test]
    async fn a_task_stuck_after_a_requested_shutdown_is_aborted_after_the_grace() {
        let stop = CancellationToken::new();
        let mut tasks = Supervisor::new(stop.clone(), Duration::from_millis(200));
        tasks.spawn("intake", until_stopped(&stop));
        // A send that never comes back.
        tasks.spawn("sender", std::future::pending());
        let started = Instant::now();
        stop.cancel();
        run_within(tasks, Duration::from_secs(5)).await.unwrap();
        let took = started.elapsed();
        assert!(
            took >= Duration::from_millis(200) && took < Duration::from_secs(2),
            "{took:?}"
        );
    }

    /// The repository's dialogue folder copied, with `texts.toml` broken by
    /// replacing `from` with `to`.
    fn folder_with_texts(from: &str, to: &str) -> tempfile::TempDir {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("dialogues");
        let dir = tempfile::tempdir().unwrap();
        for entry in std::fs::read_dir(&repo).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|x| x == "toml") {
                let mut text = std::fs::read_to_string(&path).unwrap();
                if path.ends_with(crate::texts::FILE_NAME) {
                    assert!(text.contains(from));
                    text = text.replacen(from, to, 1);
                }
                std::fs::write(dir.path().join(path.file_name().unwrap()), text).unwrap();
            }
        }
        dir
    }

    #[test]
    fn serve_refuses_a_catalogue_with_a_missing_language() {
        let dir = folder_with_texts(
            r#"menu = { zh = "主菜单：", en = "Main menu:", zh-Hant = "主菜單：" }"#,
            r#"menu = { zh = "主菜单：", zh-Hant = "主菜單：" }"#,
        );
        let err = load_texts(dir.path()).unwrap_err().to_string();
        let file = dir.path().join("texts.toml");
        assert!(
            err.contains(&format!(
                "{}:2: missing language: `menu` has no `en` text",
                file.display()
            )),
            "{err}"
        );
        assert_eq!(
            check_dir(dir.path()).len(),
            1,
            "{:?}",
            check_dir(dir.path())
        );
    }

    #[test]
    fn serve_refuses_a_folder_without_a_catalogue() {
        let dir = folder_with_texts("", "");
        std::fs::remove_file(dir.path().join("texts.toml")).unwrap();
        let err = load_texts(dir.path()).unwrap_err().to_string();
        assert!(err.contains("cannot read the text catalogue"), "{err}");
    }

    #[test]
    fn the_repository_folder_checks_clean() {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("dialogues");
        assert_eq!(check_dir(&repo), Vec::<String>::new());
    }
}
