//! What `/metrics` shows, in the Prometheus text format (0.0.4).
//!
//! Two kinds of figure:
//! - events this process saw (updates received, processed, parked; sends,
//!   their latency, 429s and 403s): counters and histograms kept in memory,
//!   bumped by one-line calls from intake, processor and sender, reset when
//!   the process restarts (Prometheus' `rate()` expects that);
//! - the state of the database (outbox depth per lane, parked updates,
//!   tickets opened / resolved, deadlines missed): read at scrape time, so
//!   every replica reports the same and nothing is lost over a restart.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::LazyLock;
use std::time::Duration;

use anyhow::{Context, Result};
use prometheus_client::encoding::prometheus_text;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use sqlx::PgPool;

/// The `Content-Type` of a `/metrics` answer.
pub const CONTENT_TYPE: &str = prometheus_text::CONTENT_TYPE;

/// Latency buckets in seconds: 5 ms … 40 s.
const LATENCY_BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 40.0,
];

struct Events {
    registry: Registry,
    received: Counter,
    processed: Counter,
    failed: Counter,
    parked: Counter,
    processing: Histogram,
    sent: Counter,
    send_latency: Histogram,
    too_many_requests: Counter,
    forbidden: Counter,
    /// Unix seconds of this process's last successful send (0: none yet).
    last_send: AtomicI64,
}

static EVENTS: LazyLock<Events> = LazyLock::new(|| {
    let mut registry = Registry::with_prefix("propdesk");
    let received = Counter::default();
    let processed = Counter::default();
    let failed = Counter::default();
    let parked = Counter::default();
    let processing = Histogram::new(LATENCY_BUCKETS);
    let sent = Counter::default();
    let send_latency = Histogram::new(LATENCY_BUCKETS);
    let too_many_requests = Counter::default();
    let forbidden = Counter::default();
    registry.register(
        "updates_received",
        "Updates newly stored in the inbox by this process",
        received.clone(),
    );
    registry.register(
        "updates_processed",
        "Updates whose work committed",
        processed.clone(),
    );
    registry.register(
        "updates_failed",
        "Failed attempts at an update (each is retried or parked)",
        failed.clone(),
    );
    registry.register(
        "updates_parked",
        "Updates parked after repeated failures",
        parked.clone(),
    );
    registry.register(
        "update_processing_seconds",
        "Time from claiming an update to committing its work",
        processing.clone(),
    );
    registry.register(
        "messages_sent",
        "Bot API requests Telegram accepted",
        sent.clone(),
    );
    registry.register(
        "send_seconds",
        "Time of one Bot API request, whatever its outcome",
        send_latency.clone(),
    );
    registry.register(
        "send_too_many_requests",
        "429 answers (Telegram asked to slow down)",
        too_many_requests.clone(),
    );
    registry.register(
        "send_forbidden",
        "403-like answers: the person blocked the bot or the chat is gone",
        forbidden.clone(),
    );
    Events {
        registry,
        received,
        processed,
        failed,
        parked,
        processing,
        sent,
        send_latency,
        too_many_requests,
        forbidden,
        last_send: AtomicI64::new(0),
    }
});

/// `n` updates newly stored in the inbox.
pub fn updates_received(n: u64) {
    EVENTS.received.inc_by(n);
}

/// An update's work committed after `took`.
pub fn update_processed(took: Duration) {
    EVENTS.processed.inc();
    EVENTS.processing.observe(took.as_secs_f64());
}

/// An attempt at an update failed; `parked` when it will not be retried.
pub fn update_failed(parked: bool) {
    EVENTS.failed.inc();
    if parked {
        EVENTS.parked.inc();
    }
}

/// One Bot API request answered (or not) after `took`.
pub fn send_finished(took: Duration) {
    EVENTS.send_latency.observe(took.as_secs_f64());
}

/// Telegram accepted a request.
pub fn sent() {
    EVENTS.sent.inc();
    EVENTS
        .last_send
        .store(chrono::Utc::now().timestamp(), Ordering::Relaxed);
}

/// Telegram answered 429.
pub fn too_many_requests() {
    EVENTS.too_many_requests.inc();
}

/// Telegram answered that the chat cannot be reached (403 and friends).
pub fn forbidden() {
    EVENTS.forbidden.inc();
}

/// When this process last sent successfully.
#[must_use]
pub fn last_send() -> Option<chrono::DateTime<chrono::Utc>> {
    match EVENTS.last_send.load(Ordering::Relaxed) {
        0 => None,
        secs => chrono::DateTime::from_timestamp(secs, 0),
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LaneLabel {
    lane: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DeadlineLabel {
    deadline: &'static str,
}

/// The lane names, by the number stored in `outbox.lane`.
const LANES: [&str; 4] = ["reply", "staff", "reminder", "broadcast"];

/// Every metric, in the Prometheus text format: this process's events, then
/// the database's state read now.
pub async fn render(pool: &PgPool) -> Result<String> {
    let mut registry = Registry::with_prefix("propdesk");
    let depth = Family::<LaneLabel, Gauge>::default();
    for lane in LANES {
        depth.get_or_create(&LaneLabel { lane }).set(0);
    }
    let rows = sqlx::query!(
        r#"SELECT lane, count(*) AS "n!" FROM outbox
            WHERE status IN ('pending', 'sending') GROUP BY lane"#
    )
    .fetch_all(pool)
    .await
    .context("counting the outbox")?;
    for row in rows {
        if let Some(name) = usize::try_from(row.lane).ok().and_then(|l| LANES.get(l)) {
            depth.get_or_create(&LaneLabel { lane: name }).set(row.n);
        }
    }
    registry.register(
        "outbox_depth",
        "Outbox rows waiting or on the wire, per lane",
        depth,
    );

    let row = sqlx::query!(
        r#"SELECT count(*) AS "opened!",
                  count(resolved_at) AS "resolved!",
                  count(*) FILTER (WHERE due_response_at < COALESCE(first_response_at, now()))
                    AS "response!",
                  count(*) FILTER (WHERE due_resolve_at < COALESCE(resolved_at, now())) AS "resolve!"
             FROM tickets"#
    )
    .fetch_one(pool)
    .await
    .context("counting tickets")?;
    let counter = |n: i64| {
        let c: Counter = Counter::default();
        c.inc_by(u64::try_from(n).unwrap_or(0));
        c
    };
    registry.register("tickets_opened", "Tickets filed", counter(row.opened));
    registry.register(
        "tickets_resolved",
        "Tickets resolved",
        counter(row.resolved),
    );
    let breaches = Family::<DeadlineLabel, Counter>::default();
    for (deadline, n) in [("response", row.response), ("resolve", row.resolve)] {
        breaches
            .get_or_create(&DeadlineLabel { deadline })
            .inc_by(u64::try_from(n).unwrap_or(0));
    }
    registry.register(
        "sla_breaches",
        "Tickets that missed their response or resolve deadline",
        breaches,
    );

    let parked =
        sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM inbox WHERE parked_at IS NOT NULL"#)
            .fetch_one(pool)
            .await
            .context("counting parked updates")?;
    let parked_now: Gauge = Gauge::default();
    parked_now.set(parked);
    registry.register(
        "inbox_parked",
        "Updates parked now, waiting for an operator",
        parked_now,
    );

    let mut out = String::new();
    prometheus_text::encode(&mut out, &EVENTS.registry).context("encoding the metrics")?;
    prometheus_text::encode(&mut out, &registry).context("encoding the metrics")?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_event_registry_encodes_with_its_prefix_and_types() {
        update_processed(Duration::from_millis(3));
        too_many_requests();
        let mut out = String::new();
        prometheus_text::encode(&mut out, &EVENTS.registry).unwrap();
        assert!(out.contains("# TYPE propdesk_updates_processed_total counter"));
        assert!(out.contains("# TYPE propdesk_update_processing_seconds histogram"));
        assert!(out.contains("propdesk_update_processing_seconds_bucket{le=\"0.005\"}"));
        assert!(out.contains("propdesk_send_too_many_requests_total "));
    }
}
