//! The scheduler: what happens because time passed, not because someone
//! wrote. Overdue pings and escalations, closing resolved tickets after the
//! reopen window, the daily digest, and releasing and finishing broadcasts. One replica runs it (advisory lock
//! `db::locks::SCHEDULER`); `tick` takes `now` as an input so tests move time
//! instead of sleeping, and every message is queued in the transaction that
//! records it was sent, so each goes out exactly once.

pub mod broadcasts;
mod deadlines;
mod digest;
pub mod monthly_report;

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::db::locks;
use crate::processor::App;

/// How often the leader looks at the clock.
pub const TICK_EVERY: Duration = Duration::from_secs(1);

/// How often the leader deletes processed updates past the inbox's
/// retention. Finding them reads the whole inbox (an index on
/// `processed_at` would cost every update a write), so not every tick:
/// a 30-day inbox is large, and retention needs no second's precision.
pub const PRUNE_EVERY: Duration = Duration::from_secs(60);

/// What one tick did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TickReport {
    /// Overdue pings posted in the staff group.
    pub pings: usize,
    /// Tickets escalated to supervisors.
    pub escalations: usize,
    /// Resolved tickets closed after the reopen window.
    pub closed: u64,
    /// Daily digests sent (0 or 1).
    pub digests: usize,
    /// Suggestion-box acknowledgements queued to owners.
    pub acknowledgements: usize,
    /// Unfinished dialogues expired (owners told).
    pub drafts_expired: u64,
    /// Monthly arrears reminders queued.
    pub fee_reminders: u64,
    /// Broadcast progress messages edited and broadcasts finished.
    pub broadcast_updates: u64,
    /// Visit reminders, survey invitations and survey reminders queued.
    pub visit_and_survey_messages: u64,
    /// Low-rating follow-ups past their deadline, chased.
    pub follow_ups_chased: usize,
    /// Managers sent the monthly report.
    pub monthly_reports: usize,
    /// Activity reminders queued.
    pub activity_reminders: u64,
    /// Ticket topics deleted by hand, opened again.
    pub topics_reopened: usize,
}

/// Does everything that is due at `now`.
pub async fn tick(pool: &PgPool, app: &App, now: DateTime<Utc>) -> Result<TickReport> {
    let mut report = TickReport::default();
    let (pings, escalations) = deadlines::ping_overdue(pool, app, now)
        .await
        .context("pinging overdue tickets")?;
    report.pings = pings;
    report.escalations = escalations;
    report.closed = deadlines::close_resolved(pool, app, now)
        .await
        .context("closing resolved tickets")?;
    if let Some((sent, acks)) = digest::send_if_due(pool, app, now)
        .await
        .context("sending the daily digest")?
    {
        report.digests = sent;
        report.acknowledgements = acks;
    }
    // Each job in its own transaction: what it queued and what it recorded
    // as done commit together.
    let mut tx = pool.begin().await?;
    report.drafts_expired =
        crate::processor::conversation::expire_drafts(&mut tx, now, app.settings.draft_ttl)
            .await
            .context("expiring unanswered questions and unfinished drafts")?;
    tx.commit().await?;
    let mut tx = pool.begin().await?;
    report.fee_reminders = crate::processor::features::reminders::run_due(&mut tx, app, now)
        .await
        .context("queueing arrears reminders")?;
    tx.commit().await?;
    let mut tx = pool.begin().await?;
    report.broadcast_updates = broadcasts::run_due(&mut tx, app, now)
        .await
        .context("releasing scheduled broadcasts and updating their progress")?;
    tx.commit().await?;
    let mut tx = pool.begin().await?;
    report.visit_and_survey_messages =
        crate::processor::features::visits::run_due(&mut tx, app, now)
            .await
            .context("sending visit and survey reminders")?;
    tx.commit().await?;
    let mut tx = pool.begin().await?;
    report.follow_ups_chased =
        crate::processor::features::staff::followup::chase_overdue(&mut tx, app, now)
            .await
            .context("chasing overdue low-rating follow-ups")?;
    tx.commit().await?;
    let mut tx = pool.begin().await?;
    report.activity_reminders = crate::processor::features::activities::run_due(&mut tx, app, now)
        .await
        .context("reminding those who joined an activity")?;
    tx.commit().await?;
    let mut tx = pool.begin().await?;
    report.topics_reopened =
        crate::processor::features::staff::lost_topics::reopen_lost(&mut tx, app, now)
            .await
            .context("opening again the ticket topics deleted by hand")?
            .topics;
    tx.commit().await?;
    let mut tx = pool.begin().await?;
    report.monthly_reports = monthly_report::send_if_due(&mut tx, app, now)
        .await
        .context("sending the monthly report")?;
    crate::outbox::prune_files(&mut tx, now)
        .await
        .context("pruning uploaded files")?;
    tx.commit().await?;
    Ok(report)
}

/// Ticks every `TICK_EVERY` while this replica holds the scheduler lock,
/// until `stop` fires.
pub async fn run(pool: PgPool, app: Arc<App>, stop: CancellationToken) -> Result<()> {
    while !stop.is_cancelled() {
        let Some(mut leader) = locks::acquire(&pool, locks::SCHEDULER, &stop).await? else {
            return Ok(());
        };
        tracing::info!("scheduler: this replica runs deadlines and digests");
        let mut pruned_at: Option<std::time::Instant> = None;
        loop {
            if !leader.still_held().await {
                tracing::warn!("scheduler: lost the lock connection; trying again");
                break;
            }
            match tick(&pool, &app, app.clock.now()).await {
                Ok(r) if r != TickReport::default() => tracing::info!(?r, "scheduler tick"),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %format!("{e:#}"), "scheduler tick failed"),
            }
            if pruned_at.is_none_or(|at| at.elapsed() >= PRUNE_EVERY) {
                pruned_at = Some(std::time::Instant::now());
                match crate::inbox::prune(&pool, app.clock.now()).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(deleted = n, "inbox pruned"),
                    Err(e) => {
                        tracing::error!(error = %format!("{e:#}"), "pruning the inbox failed")
                    }
                }
            }
            tokio::select! {
                () = stop.cancelled() => return Ok(()),
                () = tokio::time::sleep(TICK_EVERY) => {}
            }
        }
    }
    Ok(())
}
