//! Webhook intake: Telegram POSTs each update to us; we answer 200 only
//! after the update is committed to the inbox (invariant 1), so a crash
//! before the commit makes Telegram deliver it again. Every replica may
//! listen (behind a load balancer): the inbox's primary key absorbs
//! duplicates.

use std::net::SocketAddr;
use std::sync::Arc;

use crate::telegram::update::Incoming;
use anyhow::{Context, Result};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use sqlx::PgPool;
use teloxide::prelude::*;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::ALLOWED_UPDATES;
use crate::inbox;

/// Where Telegram should post, and where we listen.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// The public URL (its path is the route we serve).
    pub url: url::Url,
    pub listen: SocketAddr,
}

const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";

#[derive(Clone)]
struct Shared {
    pool: PgPool,
    secret: String,
    wake: Arc<Notify>,
}

/// Registers the webhook and serves it, with `extra`'s routes (`/healthz`,
/// `/metrics`), until `stop` fires.
pub async fn run(
    pool: PgPool,
    bot: Bot,
    settings: WebhookSettings,
    wake: Arc<Notify>,
    extra: Router,
    stop: CancellationToken,
) -> Result<()> {
    let secret = secret_for(bot.token());
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .with_context(|| format!("listening for the webhook on {}", settings.listen))?;
    bot.set_webhook(settings.url.clone())
        .secret_token(secret.clone())
        .allowed_updates(ALLOWED_UPDATES)
        .await
        .context("registering the webhook with Telegram")?;
    tracing::info!(url = %settings.url, listen = %settings.listen, "webhook registered");

    let path = match settings.url.path() {
        "" => "/",
        p => p,
    }
    .to_string();
    let app = Router::new()
        .route(&path, post(receive))
        .with_state(Shared { pool, secret, wake })
        .merge(extra);
    axum::serve(listener, app)
        .with_graceful_shutdown(async move { stop.cancelled().await })
        .await
        .context("serving the webhook")?;
    Ok(())
}

async fn receive(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let given = headers.get(SECRET_HEADER).and_then(|v| v.to_str().ok());
    if given != Some(shared.secret.as_str()) {
        tracing::warn!("webhook call without the right secret token refused");
        return StatusCode::UNAUTHORIZED;
    }
    let update = match parse_update(&body) {
        Ok(update) => update,
        Err(e) => {
            tracing::warn!(error = %e, "webhook body is not an update");
            return StatusCode::BAD_REQUEST;
        }
    };
    let stored = async {
        let mut tx = shared.pool.begin().await?;
        let new = inbox::insert(&mut tx, &update).await?;
        tx.commit().await?;
        crate::metrics::updates_received(u64::from(new));
        Ok::<_, anyhow::Error>(())
    }
    .await;
    match stored {
        Ok(()) => {
            shared.wake.notify_one();
            StatusCode::OK
        }
        Err(e) => {
            // Telegram will deliver it again.
            tracing::error!(error = %format!("{e:#}"), "could not store a webhook update");
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }
}

/// Reads a webhook body as an update, kept as Telegram sent it (see
/// `telegram::update`). Fuzzed in `tests/fuzz.rs` and `fuzz/`.
pub fn parse_update(body: &[u8]) -> Result<Incoming, String> {
    Incoming::from_bytes(body)
}

/// The secret Telegram sends with every webhook call: derived from the bot
/// token, so every replica agrees without sharing anything else, and
/// nobody without the token can forge a call.
#[must_use]
pub fn secret_for(token: &str) -> String {
    let fnv = |seed: u64| {
        token.bytes().fold(seed, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    };
    format!(
        "{:016x}{:016x}",
        fnv(0xcbf2_9ce4_8422_2325),
        fnv(0x8422_2325_cbf2_9ce4)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_secret_is_stable_per_token_and_in_telegrams_alphabet() {
        let a = secret_for("123:abc");
        assert_eq!(a, secret_for("123:abc"));
        assert_ne!(a, secret_for("123:abd"));
        assert_eq!(a.len(), 32);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
    }
}
