//! CSV import throughput: generates an estate (10,000 units, 20,000 owners,
//! 100,000 fee rows) deterministically, imports it into a throwaway durable
//! embedded PostgreSQL, and in the same run times a plain `COPY` of the same
//! fees file into a scratch table, the floor any import is measured against.
//!
//! Run: `cargo bench --bench import` (figures go to docs/benchmarks.md).

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use propdesk::db::{self, Durability, EmbeddedPostgres};
use propdesk::import::{import, ImportKind, ImportOptions, ImportReport};
use sqlx::PgConnection;

const BUILDINGS: u32 = 20;
const ENTRANCES: u32 = 2;
const FLOORS: u32 = 25;
const ROOMS: u32 = 10;
/// 10,000 units × 5 periods × 2 items.
const PERIODS: u32 = 5;
const ITEMS: [&str; 2] = ["property management", "water"];

fn units() -> Vec<(String, u32, u32, u32, u32)> {
    let mut units = Vec::new();
    for b in 1..=BUILDINGS {
        for e in 1..=ENTRANCES {
            for f in 1..=FLOORS {
                for r in 1..=ROOMS {
                    units.push((format!("{b}-{e}-{f}{r:02}"), b, e, f, r));
                }
            }
        }
    }
    units
}

fn write_files(dir: &Path) -> Result<()> {
    let units = units();
    let mut csv = String::from("unit,building,entrance,floor,area_m2\n");
    for (code, b, e, f, r) in &units {
        // 60.00 to 149.75 m², quarter metres.
        let area = 6000 + (r * 37 + f * 11) % 360 * 25;
        let _ = writeln!(csv, "{code},{b},{e},{f},{}.{:02}", area / 100, area % 100);
    }
    std::fs::write(dir.join("units.csv"), csv)?;

    // Two people per unit: an owner and a family member. Every tenth owner
    // owns the next unit too (same phone: one person, two memberships).
    let mut csv = String::from("unit,name,phone,role\n");
    for (i, (code, ..)) in units.iter().enumerate() {
        let owner = if i % 10 == 9 { i - 1 } else { i };
        let _ = writeln!(csv, "{code},业主{owner},139 {:08},owner", owner);
        let _ = writeln!(csv, "{code},家属{i},+86 137-{:08},family", i);
    }
    std::fs::write(dir.join("owners.csv"), csv)?;

    let mut csv = String::from("unit,period,item,amount_due,amount_paid,due_date\n");
    for (i, (code, _, _, f, r)) in units.iter().enumerate() {
        let area = 6000 + (r * 37 + f * 11) % 360 * 25;
        for month in 1..=PERIODS {
            for item in ITEMS {
                let due = match item {
                    "water" => 2000 + (i as u32 * 7 + month * 13) % 8000,
                    _ => area * 37 / 10, // ¥3.70 per m²
                };
                let paid = if (i as u32 + month).is_multiple_of(4) {
                    0
                } else {
                    due
                };
                let _ = writeln!(
                    csv,
                    "{code},2026-{month:02},{item},{}.{:02},{}.{:02},2026-{month:02}-28",
                    due / 100,
                    due % 100,
                    paid / 100,
                    paid % 100
                );
            }
        }
    }
    std::fs::write(dir.join("fees.csv"), csv)?;
    Ok(())
}

async fn timed_import(
    conn: &mut PgConnection,
    kind: ImportKind,
    path: &Path,
) -> Result<(ImportReport, Duration)> {
    let opts = ImportOptions {
        progress: false,
        ..ImportOptions::default()
    };
    let started = Instant::now();
    let report = import(conn, kind, path, opts)
        .await
        .with_context(|| format!("importing {}", path.display()))?;
    Ok((report, started.elapsed()))
}

async fn timed_copy(conn: &mut PgConnection, path: &Path) -> Result<Duration> {
    sqlx::query(
        "CREATE TABLE scratch_fees (unit text, period text, item text,
             amount_due numeric, amount_paid numeric, due_date date)",
    )
    .execute(&mut *conn)
    .await?;
    let started = Instant::now();
    let bytes = tokio::fs::read(path).await?;
    let mut copy = conn
        .copy_in_raw("COPY scratch_fees FROM STDIN WITH (FORMAT csv, HEADER true)")
        .await?;
    copy.send(bytes).await?;
    copy.finish().await?;
    Ok(started.elapsed())
}

fn line(what: &str, rows: u64, took: Duration, note: &str) -> String {
    let secs = took.as_secs_f64();
    format!(
        "| {what} | {rows} | {:.2} s | {:.0} | {note} |",
        secs,
        rows as f64 / secs
    )
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let files = dir.path().join("files");
    std::fs::create_dir_all(&files)?;
    write_files(&files)?;

    let pg_dir = dir.path().join("pg");
    let mut pg =
        tokio::task::spawn_blocking(move || EmbeddedPostgres::start(&pg_dir, Durability::Durable))
            .await??;
    let pool = db::pool(pg.connect_options(), 2).await?;
    db::migrate(&pool).await?;
    let mut conn = pool.acquire().await?;

    let (units, t_units) =
        timed_import(&mut conn, ImportKind::Units, &files.join("units.csv")).await?;
    let (owners, t_owners) =
        timed_import(&mut conn, ImportKind::Owners, &files.join("owners.csv")).await?;
    let (fees, t_fees) = timed_import(&mut conn, ImportKind::Fees, &files.join("fees.csv")).await?;
    let (again, t_again) =
        timed_import(&mut conn, ImportKind::Fees, &files.join("fees.csv")).await?;
    let t_copy = timed_copy(&mut conn, &files.join("fees.csv")).await?;

    for r in [&units, &owners, &fees, &again] {
        anyhow::ensure!(r.rejected.is_empty(), "{}", r.summary());
    }
    anyhow::ensure!(fees.inserted == 100_000, "{}", fees.summary());
    anyhow::ensure!(again.unchanged == 100_000, "{}", again.summary());

    println!("| what | rows | wall time | rows/s | note |");
    println!("|---|---:|---:|---:|---|");
    println!(
        "{}",
        line("units.csv import", units.read, t_units, "all inserted")
    );
    println!(
        "{}",
        line(
            "owners.csv import",
            owners.read,
            t_owners,
            &format!("{} memberships inserted", owners.inserted)
        )
    );
    println!(
        "{}",
        line("fees.csv import", fees.read, t_fees, "all inserted")
    );
    println!(
        "{}",
        line("fees.csv re-import", again.read, t_again, "all unchanged")
    );
    println!(
        "{}",
        line(
            "COPY fees.csv into a scratch table",
            100_000,
            t_copy,
            "no checks, no upsert"
        )
    );
    println!();
    println!(
        "fees import ÷ COPY: {:.1}×; re-import ÷ COPY: {:.1}×",
        t_fees.as_secs_f64() / t_copy.as_secs_f64(),
        t_again.as_secs_f64() / t_copy.as_secs_f64()
    );

    drop(conn);
    pool.close().await;
    tokio::task::spawn_blocking(move || pg.stop()).await?;
    Ok(())
}
