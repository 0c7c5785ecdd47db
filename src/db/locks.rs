//! Advisory locks that make one replica the active intake, sender or
//! scheduler (invariant 7). The lock lives on a dedicated connection, so it
//! is released the moment that process or connection dies.

use std::time::Duration;

use anyhow::{Context, Result};
use sqlx::{Connection, PgConnection, PgPool};
use tokio_util::sync::CancellationToken;

/// Lock keys (arbitrary, fixed: "prop" in ASCII, then a number).
pub const INTAKE: i64 = 0x7072_6f70_0001;
pub const SENDER: i64 = 0x7072_6f70_0002;
pub const SCHEDULER: i64 = 0x7072_6f70_0003;

/// Holding this means holding the lock.
pub struct Leader {
    conn: PgConnection,
}

impl Leader {
    /// Whether the connection that holds the lock is still alive.
    pub async fn still_held(&mut self) -> bool {
        self.conn.ping().await.is_ok()
    }
}

/// Waits until this process holds lock `key`; `None` when `stop` fires first.
pub async fn acquire(pool: &PgPool, key: i64, stop: &CancellationToken) -> Result<Option<Leader>> {
    let mut waiting_logged = false;
    loop {
        if stop.is_cancelled() {
            return Ok(None);
        }
        let attempt = async {
            let mut conn = PgConnection::connect_with(&pool.connect_options())
                .await
                .context("connecting for an advisory lock")?;
            let got: bool =
                sqlx::query_scalar!(r#"SELECT pg_try_advisory_lock($1) AS "locked!""#, key)
                    .fetch_one(&mut conn)
                    .await?;
            Ok::<_, anyhow::Error>(got.then_some(Leader { conn }))
        };
        match attempt.await {
            Ok(Some(leader)) => return Ok(Some(leader)),
            Ok(None) if !waiting_logged => {
                tracing::info!(key, "another replica holds this role; standing by");
                waiting_logged = true;
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %format!("{e:#}"), "could not try the advisory lock"),
        }
        tokio::select! {
            () = stop.cancelled() => return Ok(None),
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}
