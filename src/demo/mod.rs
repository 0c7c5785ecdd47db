//! `propdesk demo`: propdesk without Telegram. It starts the embedded
//! PostgreSQL in the demo's own folder, loads a sample estate
//! (`estate`), starts the Bot API stand-in on 127.0.0.1 with the demo's
//! people (`personas`), runs the real `serve` path against it, and serves
//! a Telegram-like page (`web`, `page/`) where a visitor acts as owners,
//! staff in the group and a manager, and sees what the pipeline did.

pub mod estate;
pub mod personas;
pub mod web;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::app::ServeSettings;
use crate::clock::{Clock, SystemClock};
use crate::config::DemoArgs;
use crate::db::Database;
use crate::standin::{Limits, StandIn, StandInConfig, TestUser};

pub use personas::{BOT_USERNAME, TOKEN};

/// A running demo: the page's address and how to stop it.
pub struct Running {
    pub address: SocketAddr,
    pub api: StandIn,
    pub pool: PgPool,
    stop: CancellationToken,
    tasks: Vec<tokio::task::JoinHandle<Result<()>>>,
    db: Option<Database>,
}

/// The one sentence for a page address another program holds.
#[must_use]
pub fn port_taken(addr: SocketAddr) -> String {
    format!(
        "{addr} is taken (another `propdesk demo` may be running there): open that one, or pick another address with --listen 127.0.0.1:{}",
        addr.port().wrapping_add(1)
    )
}

/// `propdesk demo`: starts everything, prints the address, runs until `stop`.
pub async fn run(args: DemoArgs, stop: CancellationToken) -> Result<()> {
    let running = start(&args, stop.clone()).await?;
    println!(
        "propdesk demo: open http://{}/ in a browser (Ctrl-C stops it)",
        running.address
    );
    stop.cancelled().await;
    running.shutdown().await
}

/// Starts the demo; the page answers once this returns.
pub async fn start(args: &DemoArgs, stop: CancellationToken) -> Result<Running> {
    // The address first: a second demo on the same port stops here, before
    // it touches the database.
    let listener = match tokio::net::TcpListener::bind(args.listen).await {
        Ok(l) => l,
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
            anyhow::bail!("{}", port_taken(args.listen))
        }
        Err(e) => return Err(e).with_context(|| format!("listening on {}", args.listen)),
    };
    let address = listener.local_addr()?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);

    // Never DATABASE_URL: the demo must not touch a real installation.
    let db = Database::open(None, &args.data_dir.join("postgres")).await?;
    crate::db::migrate(&db.pool).await?;
    if args.reset {
        estate::wipe(&db.pool).await?;
    }
    if !estate::is_loaded(&db.pool).await? {
        let loaded = estate::load(&db.pool, &args.data_dir.join("sample"), clock.clone()).await?;
        tracing::info!(
            units = loaded.units,
            people = loaded.people,
            fees = loaded.fees,
            tickets = loaded.tickets,
            "loaded the sample estate"
        );
    }

    let api = StandIn::start(StandInConfig {
        token: TOKEN.to_owned(),
        limits: Limits::default(),
        bot_username: BOT_USERNAME.to_owned(),
    })
    .await?;
    for p in personas::PERSONAS {
        let user = TestUser::new(p.telegram_id, p.name)
            .language(p.language_code)
            .username(&format!("demo{}", p.telegram_id));
        // Linked residents and staff have started the bot long ago, as
        // they would have on Telegram; the unregistered have not.
        if p.kind == personas::Kind::Unregistered {
            api.add_user(user);
        } else {
            api.add_started_user(user);
        }
    }
    api.add_group(personas::STAFF_GROUP, personas::STAFF_GROUP_TITLE);
    continue_numbering(&db.pool, &api).await?;

    let mut settings = ServeSettings::new(TOKEN);
    settings.api_url = Some(api.api_url());
    settings.poll_timeout = 10;
    settings.clock = clock;
    settings.dialogues_dir = absolute(&args.dialogues);
    settings.processor.staff_chat_id = Some(personas::STAFF_GROUP);
    settings.processor.poll_interval = Duration::from_millis(200);
    settings.sender.poll_interval = Duration::from_millis(200);
    let bot = tokio::spawn(crate::app::serve(db.pool.clone(), settings, stop.clone()));

    let page = web::Demo::new(api.clone(), db.pool.clone());
    let web_stop = stop.clone();
    let web = tokio::spawn(async move { web::serve(listener, page, web_stop).await });
    Ok(Running {
        address,
        api,
        pool: db.pool.clone(),
        stop,
        tasks: vec![bot, web],
        db: Some(db),
    })
}

impl Running {
    /// Stops the page, the bot, the stand-in and the database.
    pub async fn shutdown(mut self) -> Result<()> {
        self.stop.cancel();
        let mut first_error = None;
        for task in self.tasks.drain(..) {
            match task.await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    first_error.get_or_insert(e);
                }
                Err(e) => {
                    first_error.get_or_insert(anyhow::anyhow!("a demo task failed: {e}"));
                }
            }
        }
        self.api.shutdown().await;
        if let Some(db) = self.db.take() {
            db.close().await;
        }
        first_error.map_or(Ok(()), Err)
    }
}

/// A fresh stand-in numbers updates and messages from 1; after an earlier
/// run the inbox and outbox know higher ones, so it goes on after them
/// (the earlier run's chats themselves are not shown again).
async fn continue_numbering(pool: &PgPool, api: &StandIn) -> Result<()> {
    let last_update = sqlx::query_scalar!("SELECT max(update_id) FROM inbox")
        .fetch_one(pool)
        .await?;
    let chats = sqlx::query!(
        r#"SELECT chat_id AS "chat_id!", max(id) AS "last!" FROM (
               SELECT chat_id, message_id AS id FROM outbox WHERE message_id IS NOT NULL
               UNION ALL
               SELECT chat_id, (payload #>> '{message,message_id}')::bigint FROM inbox
                WHERE chat_id IS NOT NULL
           ) m WHERE id IS NOT NULL GROUP BY chat_id"#
    )
    .fetch_all(pool)
    .await?;
    let chats: Vec<(i64, i64)> = chats.into_iter().map(|r| (r.chat_id, r.last)).collect();
    api.continue_numbering(last_update.unwrap_or(0), &chats);
    Ok(())
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_second_demo_on_a_taken_port_says_so_in_one_sentence_and_starts_nothing() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let folder =
            std::env::temp_dir().join(format!("propdesk-demo-port-{}", std::process::id()));
        let args = DemoArgs {
            listen: taken.local_addr().unwrap(),
            reset: false,
            data_dir: folder.clone(),
            dialogues: "dialogues".into(),
        };
        let Err(e) = start(&args, CancellationToken::new()).await else {
            panic!("a demo started on a taken port");
        };
        let text = format!("{e:#}");
        assert!(
            text.contains("is taken") && text.contains("--listen"),
            "{text}"
        );
        assert!(!text.contains(". "), "one sentence: {text}");
        assert!(!folder.exists(), "no database was created");
    }
}
