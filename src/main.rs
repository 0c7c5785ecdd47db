//! `propdesk`: parse the command line, load settings, run one command.

// Failures are errors with context, never a crash: only tests may unwrap
// (clippy.toml), and a provably impossible case says why at its `allow`.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::ExitCode;

use anyhow::Result;
use clap::Parser;
use tokio_util::sync::CancellationToken;

use propdesk::config::{Cli, Command, InboxCommand, ReportCommand, SettingsCommand, StaffCommand};
use propdesk::config::{LogFormat, StaffRoleArg};
use propdesk::db::Database;
use propdesk::domain::office_settings;
use propdesk::domain::staff::StaffRole;
use propdesk::i18n::Lang;
use propdesk::settings::{DbArgs, Settings};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let logs = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_new(&cli.log)
                .unwrap_or_else(|_| propdesk::settings::DEFAULT_LOG.into()),
        )
        .with_writer(std::io::stderr);
    match cli.log_format {
        LogFormat::Json => logs.json().init(),
        LogFormat::Text => logs.init(),
    }
    match run(cli.command).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("propdesk: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> Result<ExitCode> {
    match command {
        Command::Serve(args) => serve(*args).await,
        Command::Demo(args) => {
            let stop = CancellationToken::new();
            tokio::spawn(stop_on_signal(stop.clone()));
            propdesk::demo::run(args, stop)
                .await
                .map(|()| ExitCode::SUCCESS)
        }
        Command::Migrate(db) => {
            let db = open(&db).await?;
            db.close().await;
            println!("migrations applied");
            Ok(ExitCode::SUCCESS)
        }
        Command::Check { dir } => Ok(check(&dir)),
        Command::Settings(SettingsCommand::Show { db }) => {
            let db = open(&db).await?;
            let mut conn = db.pool.acquire().await?;
            let lines = office_settings::show(&mut conn, Lang::En).await;
            drop(conn);
            db.close().await;
            let lines = lines?;
            let key_width = lines.iter().map(|l| l.key.len()).max().unwrap_or(0);
            let value_width = lines.iter().map(|l| l.value.len()).max().unwrap_or(0);
            let default_width = lines.iter().map(|l| l.default.len()).max().unwrap_or(0);
            println!(
                "{:key_width$}  {:value_width$}  {:default_width$}  meaning",
                "key", "value", "default"
            );
            for l in lines {
                println!(
                    "{:key_width$}  {:value_width$}  {:default_width$}  {}",
                    l.key, l.value, l.default, l.meaning
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Settings(SettingsCommand::Set { db, key, value, by }) => {
            let db = open(&db).await?;
            let result = set_office_setting(&db, &key, &value, &by).await;
            db.close().await;
            match result? {
                Ok(change) => {
                    println!("{}: {} → {}", change.key, change.old, change.new);
                    Ok(ExitCode::SUCCESS)
                }
                Err(refusal) => {
                    eprintln!("propdesk: {}", refusal.sentence(Lang::En));
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        Command::Console(args) => {
            let db = open(&args.db).await?;
            let result = propdesk::console::run(&db.pool, &args).await;
            db.close().await;
            result.map(|()| ExitCode::SUCCESS)
        }
        Command::Import(args) => {
            let db = open(&args.db).await?;
            let result = propdesk::import::run_import_command(
                &db.pool,
                args.kind,
                &args.file,
                args.dry_run,
                args.replace,
            )
            .await;
            db.close().await;
            result
        }
        Command::Staff(StaffCommand::Add {
            db,
            telegram_id,
            name,
            role,
            department,
        }) => {
            let db = open(&db).await?;
            let role = match role {
                StaffRoleArg::Assistant => StaffRole::Assistant,
                StaffRoleArg::Butler => StaffRole::Butler,
                StaffRoleArg::Supervisor => StaffRole::Supervisor,
                StaffRoleArg::Manager => StaffRole::Manager,
            };
            propdesk::processor::install_command_table();
            let member = propdesk::processor::features::staff::menus::add_member(
                &db.pool,
                telegram_id,
                &name,
                role,
                department.as_deref(),
            )
            .await;
            db.close().await;
            let member = member?;
            println!(
                "staff #{}: {} ({}), Telegram id {telegram_id}",
                member.staff_no,
                member.name,
                member.role.as_str()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Report(ReportCommand::Tickets {
            db,
            from,
            to,
            timezone,
            csv,
        }) => {
            let db = open(&db).await?;
            let lines = propdesk::reports::tickets(&db.pool, from, to, timezone).await?;
            db.close().await;
            print!("{}", propdesk::reports::render(&lines, csv));
            Ok(ExitCode::SUCCESS)
        }
        Command::Report(ReportCommand::Survey { db, code, out }) => {
            let db = open(&db).await?;
            let result =
                propdesk::domain::survey_report::survey_report(&db.pool, &code, &out).await;
            db.close().await;
            println!("{}", result?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Purge {
            db,
            older_than,
            dry_run,
        } => propdesk::maintenance::purge(&db, &older_than, dry_run).await,
        Command::Forget {
            db,
            telegram_id,
            yes,
        } => propdesk::maintenance::forget(&db, telegram_id, yes).await,
        Command::Backup { db, file } => propdesk::maintenance::backup(&db, &file).await,
        Command::Restore { db, file, force } => {
            propdesk::maintenance::restore(&db, &file, force).await
        }
        Command::Inbox(InboxCommand::Parked { db }) => {
            let db = open(&db).await?;
            let parked = propdesk::inbox::list_parked(&db.pool).await?;
            if parked.is_empty() {
                println!("no parked updates");
            }
            for p in parked {
                println!(
                    "{}\t{}\tchat {}\t{} attempts\tparked {}\t{}",
                    p.update_id,
                    p.kind,
                    p.chat_id.map_or("-".into(), |c| c.to_string()),
                    p.attempts,
                    p.parked_at.format("%Y-%m-%d %H:%M:%S"),
                    p.last_error
                );
            }
            db.close().await;
            Ok(ExitCode::SUCCESS)
        }
        Command::Inbox(InboxCommand::Replay { db, update_id }) => {
            let db = open(&db).await?;
            let replayed = propdesk::inbox::replay_parked(&db.pool, update_id).await?;
            db.close().await;
            if replayed {
                println!("update {update_id} is queued again");
                Ok(ExitCode::SUCCESS)
            } else {
                eprintln!("propdesk: update {update_id} is not parked");
                Ok(ExitCode::FAILURE)
            }
        }
    }
}

/// `propdesk settings set`: one transaction, committed only if it changed.
async fn set_office_setting(
    db: &Database,
    key: &str,
    value: &str,
    by: &str,
) -> Result<Result<office_settings::Change, office_settings::SetError>> {
    let mut tx = db.pool.begin().await?;
    let result = office_settings::set(&mut tx, key, value, by).await?;
    if result.is_ok() {
        tx.commit().await?;
    }
    Ok(result)
}

/// `propdesk check [DIR]`: the dialogue files and `texts.toml`, one
/// `file:line: message` per problem, exit 1 if any.
fn check(dir: &std::path::Path) -> ExitCode {
    let problems = propdesk::app::check_dir(dir);
    if problems.is_empty() {
        let count = propdesk::engine::load_dir(dir).map_or(0, |d| d.len());
        let texts = propdesk::texts::ALL.len();
        println!(
            "{}: {count} dialogues, {texts} texts, no problems",
            dir.display()
        );
        return ExitCode::SUCCESS;
    }
    for problem in &problems {
        println!("{problem}");
    }
    eprintln!("{} problem(s) in {}", problems.len(), dir.display());
    ExitCode::FAILURE
}

/// Opens the database (embedded when DATABASE_URL is unset) and migrates it.
async fn open(args: &DbArgs) -> Result<Database> {
    let db = Database::open(args.database_url.as_deref(), &args.data_dir).await?;
    propdesk::db::migrate(&db.pool).await?;
    Ok(db)
}

async fn serve(args: Settings) -> Result<ExitCode> {
    if args.token.is_empty() {
        eprintln!("propdesk: {}", propdesk::settings::NO_TOKEN);
        return Ok(ExitCode::FAILURE);
    }
    Settings::warn_retired();
    // Refuse to start with broken dialogues or texts before touching
    // anything else.
    propdesk::app::load_dialogues(&args.dialogues)?;
    propdesk::app::load_texts(&args.dialogues)?;
    let db = open(&args.db).await?;
    let settings = propdesk::app::ServeSettings::from_settings(&args);

    let stop = CancellationToken::new();
    tokio::spawn(stop_on_signal(stop.clone()));
    let result = propdesk::app::serve(db.pool.clone(), settings, stop.clone()).await;
    let asked = std::time::Instant::now();
    db.close().await;
    if stop.is_cancelled() {
        tracing::info!(database_closed_in = ?asked.elapsed(), "shut down");
    }
    result.map(|()| ExitCode::SUCCESS)
}

/// SIGINT (Ctrl-C) or SIGTERM (systemd, docker) start a clean shutdown:
/// intake stops taking updates, updates and sends in flight finish (within
/// `app::SHUTDOWN_GRACE`), the embedded PostgreSQL stops, exit 0. A second
/// signal exits at once (what is committed is kept; the rest comes again).
async fn stop_on_signal(stop: CancellationToken) {
    use tokio::signal::unix::{signal, SignalKind};
    let Ok(mut term) = signal(SignalKind::terminate()) else {
        return;
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    tracing::info!(grace = ?propdesk::app::SHUTDOWN_GRACE, "shutting down: finishing work in flight");
    stop.cancel();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    tracing::warn!("second signal: exiting without waiting");
    // The embedded PostgreSQL gets its death signal from the kernel and
    // shuts down (fast) by itself.
    std::process::exit(130);
}
