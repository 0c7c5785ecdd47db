//! The database: connection pool, embedded PostgreSQL, migrations, and
//! throwaway databases for tests.

pub mod backup;
pub mod embedded;
pub mod locks;
pub mod testing;

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;

pub use embedded::{Durability, EmbeddedPostgres};

/// Every table is created by these migrations (compiled into the binary).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// A connected database and, for the embedded default, the server behind it
/// (stopped when this is dropped).
pub struct Database {
    pub pool: PgPool,
    pub embedded: Option<EmbeddedPostgres>,
}

impl Database {
    /// Connects to `database_url`, or starts the embedded cluster in
    /// `embedded_dir` when there is none.
    pub async fn open(database_url: Option<&str>, embedded_dir: &Path) -> Result<Database> {
        match database_url {
            Some(url) => {
                let options: PgConnectOptions = url
                    .parse()
                    .context("DATABASE_URL is not a valid postgres URL")?;
                Ok(Database {
                    pool: pool_when_reachable(options, 20).await?,
                    embedded: None,
                })
            }
            None => {
                let dir = embedded_dir.to_path_buf();
                let embedded = tokio::task::spawn_blocking(move || {
                    EmbeddedPostgres::start(&dir, Durability::Durable)
                })
                .await
                .context("starting the embedded PostgreSQL")??;
                Ok(Database {
                    pool: pool_when_reachable(embedded.connect_options(), 20).await?,
                    embedded: Some(embedded),
                })
            }
        }
    }

    /// Closes the pool, then stops the embedded server if we started it.
    /// A connection not given back within 5 s (a task aborted mid-query)
    /// does not hold the shutdown up: the server ends it.
    pub async fn close(mut self) {
        if tokio::time::timeout(Duration::from_secs(5), self.pool.close())
            .await
            .is_err()
        {
            tracing::warn!("database connections still busy after 5 s; closing anyway");
        }
        if let Some(mut embedded) = self.embedded.take() {
            let _ = tokio::task::spawn_blocking(move || embedded.stop()).await;
        }
    }
}

/// A pool on `options` with up to `max` connections.
pub async fn pool(options: PgConnectOptions, max: u32) -> Result<PgPool> {
    PgPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(Duration::from_secs(30))
        .connect_with(options)
        .await
        .context("connecting to PostgreSQL")
}

/// How long start-up keeps trying to reach PostgreSQL (a server still
/// starting, or restarting under a supervisor) before it gives up.
const CONNECT_PATIENCE: Duration = Duration::from_secs(60);

/// [`pool`], retried with backoff while the server is not reachable yet,
/// one log line per attempt.
pub async fn pool_when_reachable(options: PgConnectOptions, max: u32) -> Result<PgPool> {
    let started = std::time::Instant::now();
    let mut delay = Duration::from_millis(100);
    loop {
        match pool(options.clone(), max).await {
            Ok(pool) => return Ok(pool),
            Err(e) if started.elapsed() + delay < CONNECT_PATIENCE => {
                tracing::warn!(error = %format!("{e:#}"), retry_in = ?delay, "PostgreSQL is not reachable yet; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(2));
            }
            Err(e) => {
                return Err(e.context(format!(
                    "PostgreSQL was not reachable for {} s",
                    CONNECT_PATIENCE.as_secs()
                )))
            }
        }
    }
}

/// Whether `error` comes from losing the database (a restart, a failover,
/// a broken connection) rather than from a statement it refused: the
/// former is waited out and retried, the latter is a bug or a broken schema
/// and fails the task.
#[must_use]
pub fn is_connection_error(error: &anyhow::Error) -> bool {
    error
        .chain()
        .any(|cause| match cause.downcast_ref::<sqlx::Error>() {
            Some(
                sqlx::Error::Io(_)
                | sqlx::Error::Tls(_)
                | sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::WorkerCrashed
                | sqlx::Error::Protocol(_),
            ) => true,
            Some(sqlx::Error::Database(db)) => db.code().is_some_and(|code| {
                // Class 08: connection exception; 57P01–57P03: the server is
                // shutting down, crashed, or not accepting connections yet.
                code.starts_with("08") || matches!(code.as_ref(), "57P01" | "57P02" | "57P03")
            }),
            _ => cause.downcast_ref::<std::io::Error>().is_some(),
        })
}

/// Applies pending migrations (sqlx serialises concurrent runs with an
/// advisory lock, so replicas may all call this at start-up).
pub async fn migrate(pool: &PgPool) -> Result<()> {
    MIGRATOR
        .run(pool)
        .await
        .context("applying database migrations")
}

/// Forwards NOTIFYs on `channel` to `wake` until `stop` fires, reconnecting
/// after errors. Polling remains the fallback if this is down.
pub fn listen(
    pool: PgPool,
    channel: &'static str,
    wake: std::sync::Arc<tokio::sync::Notify>,
    stop: tokio_util::sync::CancellationToken,
) {
    tokio::spawn(async move {
        loop {
            let result = async {
                let mut listener = sqlx::postgres::PgListener::connect_with(&pool).await?;
                listener.listen(channel).await?;
                loop {
                    tokio::select! {
                        () = stop.cancelled() => return Ok::<_, anyhow::Error>(()),
                        n = listener.recv() => { n?; wake.notify_one(); }
                    }
                }
            }
            .await;
            if stop.is_cancelled() {
                return;
            }
            if let Err(e) = result {
                tracing::warn!(channel, error = %format!("{e:#}"), "LISTEN failed; retrying");
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
}

/// Sends a NOTIFY on `channel` from its own connection each time the
/// returned `Notify` is poked; pokes that come while one is on its way make
/// one more, not one each. This wakes the other replicas without a NOTIFY
/// inside the transactions that did the work: PostgreSQL holds a
/// database-wide lock from a notifying transaction's pre-commit until after
/// its commit record is flushed, so transactions that notify are committed
/// one after another and never share a WAL flush (group commit), which at a
/// few hundred commits a second became the pipeline's queue.
pub fn notifier(
    pool: PgPool,
    channel: &'static str,
    stop: tokio_util::sync::CancellationToken,
) -> std::sync::Arc<tokio::sync::Notify> {
    let poke = std::sync::Arc::new(tokio::sync::Notify::new());
    let poked = poke.clone();
    tokio::spawn(async move {
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                () = poked.notified() => {}
            }
            if let Err(e) = sqlx::query!("SELECT pg_notify($1, '')", channel)
                .execute(&pool)
                .await
            {
                // Polling is the fallback; the next poke tries again.
                tracing::debug!(channel, error = %e, "NOTIFY failed");
            }
        }
    });
    poke
}
