//! `/healthz` and `/metrics`: on the webhook's server in webhook mode, on
//! `--metrics-listen ADDR` in polling mode (or both).
//!
//! `/healthz` answers 200 when the database answers within
//! [`DB_TIMEOUT`] and the oldest unprocessed update is younger than
//! [`MAX_INBOX_LAG`]; otherwise 503. Either way the body is JSON with every
//! figure, so a person reading it sees why.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, Result};
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

/// How long `/healthz` waits for the database before calling it unreachable.
pub const DB_TIMEOUT: Duration = Duration::from_secs(3);

/// An update older than this still unprocessed makes the bot unhealthy:
/// owners are waiting and nothing is answering them.
pub const MAX_INBOX_LAG: Duration = Duration::from_secs(120);

/// The `/healthz` body.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Health {
    /// `ok` or `unhealthy`.
    pub status: &'static str,
    /// What is wrong, one line each (empty when healthy).
    pub problems: Vec<String>,
    pub database_reachable: bool,
    /// Age of the oldest update neither processed nor parked (0: none).
    pub inbox_lag_seconds: Option<f64>,
    /// Updates neither processed nor parked.
    pub inbox_open: Option<i64>,
    /// Updates parked for an operator (`propdesk inbox parked`).
    pub inbox_parked: Option<i64>,
    /// Outbox rows waiting or on the wire.
    pub outbox_depth: Option<i64>,
    /// The last message Telegram accepted, by any replica.
    pub last_send_at: Option<DateTime<Utc>>,
    pub last_send_seconds_ago: Option<f64>,
    /// The same, by this process.
    pub this_process_last_send_at: Option<DateTime<Utc>>,
}

/// What the database says now.
pub async fn check(pool: &PgPool) -> Health {
    let figures = tokio::time::timeout(DB_TIMEOUT, figures(pool)).await;
    let mut health = Health {
        status: "ok",
        problems: Vec::new(),
        database_reachable: false,
        inbox_lag_seconds: None,
        inbox_open: None,
        inbox_parked: None,
        outbox_depth: None,
        last_send_at: None,
        last_send_seconds_ago: None,
        this_process_last_send_at: crate::metrics::last_send(),
    };
    match figures {
        Ok(Ok(f)) => {
            health.database_reachable = true;
            health.inbox_lag_seconds = Some(f.lag);
            health.inbox_open = Some(f.open);
            health.inbox_parked = Some(f.parked);
            health.outbox_depth = Some(f.depth);
            health.last_send_at = f.last_send;
            health.last_send_seconds_ago = f.last_send_ago;
            if f.lag > MAX_INBOX_LAG.as_secs_f64() {
                health.problems.push(format!(
                    "the oldest unprocessed update is {:.0} s old (more than {} s)",
                    f.lag,
                    MAX_INBOX_LAG.as_secs()
                ));
            }
        }
        Ok(Err(e)) => health
            .problems
            .push(format!("the database is not reachable: {e:#}")),
        Err(_) => health.problems.push(format!(
            "the database did not answer within {} s",
            DB_TIMEOUT.as_secs()
        )),
    }
    if !health.problems.is_empty() {
        health.status = "unhealthy";
    }
    health
}

struct Figures {
    lag: f64,
    open: i64,
    parked: i64,
    depth: i64,
    last_send: Option<DateTime<Utc>>,
    last_send_ago: Option<f64>,
}

async fn figures(pool: &PgPool) -> Result<Figures> {
    let mut conn = pool.acquire().await.context("getting a connection")?;
    Ok(sqlx::query_as!(
        Figures,
        r#"SELECT
             COALESCE((SELECT extract(epoch FROM now() - received_at)::float8 FROM inbox
                        WHERE processed_at IS NULL AND parked_at IS NULL
                        ORDER BY update_id LIMIT 1), 0) AS "lag!",
             (SELECT count(*) FROM inbox WHERE processed_at IS NULL AND parked_at IS NULL) AS "open!",
             (SELECT count(*) FROM inbox WHERE parked_at IS NOT NULL) AS "parked!",
             (SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')) AS "depth!",
             (SELECT sent_at FROM outbox WHERE status = 'sent' ORDER BY id DESC LIMIT 1) AS last_send,
             extract(epoch FROM now() - (SELECT sent_at FROM outbox WHERE status = 'sent'
                                          ORDER BY id DESC LIMIT 1))::float8 AS last_send_ago"#
    )
    .fetch_one(&mut *conn)
    .await?)
}

/// `/healthz` and `/metrics` on `pool`.
pub fn router(pool: PgPool) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .with_state(pool)
}

async fn healthz(State(pool): State<PgPool>) -> Response {
    let health = check(&pool).await;
    let code = if health.problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, Json(health)).into_response()
}

async fn metrics(State(pool): State<PgPool>) -> Response {
    match tokio::time::timeout(DB_TIMEOUT, crate::metrics::render(&pool)).await {
        Ok(Ok(text)) => {
            ([(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)], text).into_response()
        }
        Ok(Err(e)) => {
            tracing::warn!(error = %format!("{e:#}"), "could not read the metrics");
            (StatusCode::SERVICE_UNAVAILABLE, format!("{e:#}\n")).into_response()
        }
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "the database did not answer in time\n",
        )
            .into_response(),
    }
}

/// Serves [`router`] on `listen` until `stop` fires (polling mode's
/// `--metrics-listen`).
pub async fn serve(listen: SocketAddr, pool: PgPool, stop: CancellationToken) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening for /healthz and /metrics on {listen}"))?;
    tracing::info!(%listen, "serving /healthz and /metrics");
    axum::serve(listener, router(pool))
        .with_graceful_shutdown(async move { stop.cancelled().await })
        .await
        .context("serving /healthz and /metrics")
}
