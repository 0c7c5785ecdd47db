//! The operator's maintenance commands: `purge`, `forget`, `backup` and
//! `restore`. Each opens the database (embedded, or `DATABASE_URL`), does
//! its one thing through `domain::retention`, `domain::erasure` or
//! `db::backup`, prints what it did, and closes it.

use std::io::{BufRead, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;

use crate::db::Database;
use crate::domain::{erasure, retention};
use crate::settings::DbArgs;

/// Opens the database (embedded when DATABASE_URL is unset) and migrates it.
async fn open(args: &DbArgs) -> Result<Database> {
    let db = Database::open(args.database_url.as_deref(), &args.data_dir).await?;
    crate::db::migrate(&db.pool).await?;
    Ok(db)
}

/// The URL child programs (pg_dump, pg_restore) connect with.
fn url_of(args: &DbArgs, db: &Database) -> String {
    match (&args.database_url, &db.embedded) {
        (Some(url), _) => url.clone(),
        (None, Some(pg)) => pg.url(),
        (None, None) => String::new(),
    }
}

/// `propdesk purge --older-than AGE [--dry-run]`.
pub async fn purge(args: &DbArgs, older_than: &str, dry_run: bool) -> Result<ExitCode> {
    let age = match retention::parse_age(older_than) {
        Ok(age) => age,
        Err(e) => {
            eprintln!("propdesk: {e}");
            return Ok(ExitCode::FAILURE);
        }
    };
    let db = open(args).await?;
    let cutoff = chrono::Utc::now() - age;
    let result = retention::purge(&db.pool, cutoff, dry_run).await;
    db.close().await;
    let purged = result?;
    let verb = if dry_run { "would delete" } else { "deleted" };
    println!(
        "{verb} {} processed updates and {} delivered messages older than {} ({older_than})",
        purged.inbox,
        purged.outbox,
        cutoff.format("%Y-%m-%d %H:%M UTC")
    );
    Ok(ExitCode::SUCCESS)
}

/// `propdesk forget --telegram-id ID [--yes]`.
pub async fn forget(args: &DbArgs, telegram_id: i64, yes: bool) -> Result<ExitCode> {
    if !yes && !confirmed(telegram_id)? {
        eprintln!("propdesk: nothing was erased");
        return Ok(ExitCode::FAILURE);
    }
    let db = open(args).await?;
    let result = async {
        let mut tx = db.pool.begin().await?;
        let erased = erasure::forget(
            &mut tx,
            telegram_id,
            None,
            erasure::RequestedBy::CommandLine,
        )
        .await?;
        tx.commit().await?;
        Ok::<_, anyhow::Error>(erased)
    }
    .await;
    db.close().await;
    let erased = result?;
    if !erased.found() {
        println!("nothing is stored about Telegram id {telegram_id}");
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "erased Telegram id {telegram_id}: {} person, {} tickets kept anonymised, {} updates and {} messages emptied or deleted, {} photos, {} other rows",
        erased.people, erased.tickets, erased.updates, erased.messages, erased.photos, erased.other
    );
    if erased.is_staff {
        println!("note: {telegram_id} is also on the staff roster, which is kept");
    }
    Ok(ExitCode::SUCCESS)
}

/// Asks on the terminal; true only for "yes".
fn confirmed(telegram_id: i64) -> Result<bool> {
    print!(
        "Erase everything stored about Telegram id {telegram_id}? This cannot be undone. Type yes: "
    );
    std::io::stdout().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim().eq_ignore_ascii_case("yes"))
}

/// `propdesk backup FILE`.
pub async fn backup(args: &DbArgs, file: &Path) -> Result<ExitCode> {
    let db = open(args).await?;
    let url = url_of(args, &db);
    let file_owned = file.to_path_buf();
    let result =
        tokio::task::spawn_blocking(move || crate::db::backup::backup(&url, &file_owned)).await;
    db.close().await;
    let written = result??;
    println!("wrote {} ({} bytes)", file.display(), written.bytes);
    Ok(ExitCode::SUCCESS)
}

/// `propdesk restore FILE [--force]`.
pub async fn restore(args: &DbArgs, file: &Path, force: bool) -> Result<ExitCode> {
    let db = open(args).await?;
    let url = url_of(args, &db);
    let result = crate::db::backup::restore(&db.pool, &url, file, force).await;
    let outcome = match result {
        // The backup may be older than this propdesk: bring it up to date.
        Ok(Ok(())) => crate::db::migrate(&db.pool).await.map(|()| Ok(())),
        other => other,
    };
    db.close().await;
    match outcome? {
        Ok(()) => {
            println!("restored {}", file.display());
            Ok(ExitCode::SUCCESS)
        }
        Err(refused) => {
            eprintln!("propdesk: {refused}");
            Ok(ExitCode::FAILURE)
        }
    }
}
