//! `propdesk import units|owners|fees FILE.csv`: loads the office's
//! spreadsheet exports. One pipeline (decode → header → rows checked one by
//! one → batched upserts in one transaction); each kind only says how a row
//! is parsed and how a batch is written.
//!
//! Re-importing a file changes nothing: every upsert compares before it
//! writes (`… WHERE … IS DISTINCT FROM …`), and counts what it did.

mod error;
mod fees;
mod kind;
mod owners;
pub mod source;
mod units;

use std::fmt;
use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use csv::{ReaderBuilder, StringRecord};
use indicatif::{ProgressBar, ProgressStyle};
use sqlx::{Connection, PgConnection, PgPool};

pub use error::ImportError;
use kind::{Counts, RowKind};
use source::{Columns, Decoded, Fields};

/// Which file is imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ImportKind {
    Units,
    Owners,
    Fees,
}

impl ImportKind {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ImportKind::Units => "units",
            ImportKind::Owners => "owners",
            ImportKind::Fees => "fees",
        }
    }
}

impl fmt::Display for ImportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How an import runs.
#[derive(Debug, Clone, Copy)]
pub struct ImportOptions {
    /// Do all the work in a transaction, then roll it back: real counts, no writes.
    pub dry_run: bool,
    /// Show a progress bar (only ever drawn when stderr is a terminal).
    pub progress: bool,
    /// Rows per upsert statement.
    pub batch_size: usize,
}

impl Default for ImportOptions {
    fn default() -> ImportOptions {
        ImportOptions {
            dry_run: false,
            progress: true,
            batch_size: 2_000,
        }
    }
}

/// A row the import refused, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The line in the file (the header is line 1).
    pub line: u64,
    pub reason: String,
}

/// What an import did (or, in a dry run, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub file: String,
    pub read: u64,
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub rejected: Vec<Rejection>,
    /// Header columns the import does not use.
    pub extra_columns: Vec<String>,
    /// The encoding the file was converted from (`GBK`), if not UTF-8.
    pub converted_from: Option<&'static str>,
    pub dry_run: bool,
}

impl ImportReport {
    /// `FILE:LINE: reason`, one per rejected row.
    pub fn rejection_lines(&self) -> impl Iterator<Item = String> + '_ {
        self.rejected
            .iter()
            .map(|r| format!("{}:{}: {}", self.file, r.line, r.reason))
    }

    /// The summary printed at the end of `propdesk import`.
    #[must_use]
    pub fn summary(&self) -> String {
        let mut lines = Vec::new();
        if let Some(encoding) = self.converted_from {
            lines.push(format!(
                "{}: converted from {encoding} to UTF-8 (check that names read correctly)",
                self.file
            ));
        }
        if !self.extra_columns.is_empty() {
            lines.push(format!(
                "{}: ignored extra columns: {}",
                self.file,
                self.extra_columns.join(", ")
            ));
        }
        lines.push(format!(
            "{}: read {}, inserted {}, updated {}, unchanged {}, rejected {}",
            self.file,
            self.read,
            self.inserted,
            self.updated,
            self.unchanged,
            self.rejected.len()
        ));
        if !self.rejected.is_empty() {
            lines.push(format!(
                "{} rejected row(s) are listed above as FILE:LINE: reason; the other rows {}. \
                 Fix those lines and run the same file again (rows already imported stay unchanged).",
                self.rejected.len(),
                if self.dry_run {
                    "would be imported"
                } else {
                    "were imported"
                }
            ));
        }
        if self.dry_run {
            lines.push("dry run: nothing was written".to_owned());
        }
        lines.join("\n")
    }
}

/// Imports `path` as `kind` in one transaction on `conn` (rolled back for
/// a dry run). Rejected rows are in the report; an error means the file
/// could not be read or the database failed (then nothing was written).
pub async fn import(
    conn: &mut PgConnection,
    kind: ImportKind,
    path: &Path,
    opts: ImportOptions,
) -> Result<ImportReport, ImportError> {
    let started = Instant::now();
    let bytes = tokio::fs::read(path)
        .await
        .map_err(|source| ImportError::Unreadable {
            path: path.display().to_string(),
            source,
        })?;
    let decoded = source::decode(path, bytes)?;
    let mut report = ImportReport {
        file: path.display().to_string(),
        converted_from: decoded.converted_from,
        dry_run: opts.dry_run,
        ..ImportReport::default()
    };

    let mut tx = conn
        .begin()
        .await
        .context("starting the import transaction")?;
    match kind {
        ImportKind::Units => {
            let k = units::UnitsKind::default();
            run(k, &mut tx, path, &decoded, opts, &mut report).await?;
        }
        ImportKind::Owners => {
            let k = owners::OwnersKind::load(&mut tx).await?;
            run(k, &mut tx, path, &decoded, opts, &mut report).await?;
        }
        ImportKind::Fees => {
            let k = fees::FeesKind::load(&mut tx).await?;
            run(k, &mut tx, path, &decoded, opts, &mut report).await?;
        }
    }
    if opts.dry_run {
        tx.rollback().await.context("rolling back the dry run")?;
    } else {
        record_run(&mut tx, kind, &report).await?;
        tx.commit().await.context("committing the import")?;
    }
    tracing::info!(
        kind = kind.as_str(),
        file = %report.file,
        read = report.read,
        inserted = report.inserted,
        updated = report.updated,
        unchanged = report.unchanged,
        rejected = report.rejected.len(),
        dry_run = opts.dry_run,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "import finished"
    );
    Ok(report)
}

async fn run<K: RowKind>(
    mut kind: K,
    conn: &mut PgConnection,
    path: &Path,
    decoded: &Decoded,
    opts: ImportOptions,
    report: &mut ImportReport,
) -> Result<(), ImportError> {
    let mut reader = ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(decoded.text.as_bytes());
    let mut records = reader.records();
    let header = match records.next() {
        Some(Ok(header)) => header,
        Some(Err(err)) => {
            return Err(ImportError::BadHeader {
                path: path.display().to_string(),
                reason: err.to_string(),
            })
        }
        None => {
            return Err(ImportError::Empty {
                path: path.display().to_string(),
                expected: K::COLUMNS.join(","),
            })
        }
    };
    let columns = Columns::check(path, &header, K::COLUMNS)?;
    report.extra_columns = columns.extra.clone();

    let progress = progress_bar(opts, decoded.text.lines().count().saturating_sub(1));
    let batch_size = opts.batch_size.max(1);
    let mut batch = Vec::with_capacity(batch_size);
    let mut lines = LineCounter::new(&decoded.text);
    for result in records {
        report.read += 1;
        let record: StringRecord = match result {
            Ok(record) => record,
            Err(err) => {
                let line = err.position().map_or(0, |p| lines.at(p.byte()));
                report.rejected.push(Rejection {
                    line,
                    reason: format!("not readable as CSV: {err}"),
                });
                continue;
            }
        };
        let line = record.position().map_or(0, |p| lines.at(p.byte()));
        if record.len() != columns.width {
            report.rejected.push(Rejection {
                line,
                reason: format!(
                    "expected {} fields as in the header, found {}",
                    columns.width,
                    record.len()
                ),
            });
            continue;
        }
        match kind.parse(&Fields::new(line, &record, &columns)) {
            Ok(row) => batch.push(row),
            Err(reason) => report.rejected.push(Rejection { line, reason }),
        }
        if batch.len() >= batch_size {
            add(report, kind.write(conn, &batch).await?);
            progress.set_position(report.read);
            batch.clear();
        }
    }
    if !batch.is_empty() {
        add(report, kind.write(conn, &batch).await?);
    }
    progress.finish_and_clear();
    Ok(())
}

/// Line numbers from byte offsets. The csv crate's own line count is one
/// short on CRLF files (Excel on Windows), so lines are counted in the text
/// itself; offsets only grow, so each byte is scanned once.
struct LineCounter<'a> {
    text: &'a [u8],
    byte: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str) -> LineCounter<'a> {
        LineCounter {
            text: text.as_bytes(),
            byte: 0,
            line: 1,
        }
    }

    /// The 1-based line of `byte` (at or after the previous call's).
    fn at(&mut self, byte: u64) -> u64 {
        let mut byte = usize::try_from(byte)
            .unwrap_or(usize::MAX)
            .clamp(self.byte, self.text.len());
        // On CRLF files a record's position can point at the previous
        // line's '\n'; a record never starts with a line break.
        while matches!(self.text.get(byte), Some(b'\r' | b'\n')) {
            byte += 1;
        }
        let newlines = self.text[self.byte..byte]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        self.line += newlines as u64;
        self.byte = byte;
        self.line
    }
}

fn add(report: &mut ImportReport, counts: Counts) {
    report.inserted += counts.inserted;
    report.updated += counts.updated;
    report.unchanged += counts.unchanged;
}

fn progress_bar(opts: ImportOptions, rows: usize) -> ProgressBar {
    if !opts.progress || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(rows as u64);
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} rows {per_sec} eta {eta}")
    {
        bar.set_style(style);
    }
    bar
}

async fn record_run(
    conn: &mut PgConnection,
    kind: ImportKind,
    report: &ImportReport,
) -> anyhow::Result<()> {
    let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    sqlx::query(
        "INSERT INTO import_runs
            (kind, file_name, converted_from, rows_read, inserted, updated, unchanged, rejected)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(kind.as_str())
    .bind(&report.file)
    .bind(report.converted_from)
    .bind(count(report.read))
    .bind(count(report.inserted))
    .bind(count(report.updated))
    .bind(count(report.unchanged))
    .bind(count(report.rejected.len() as u64))
    .execute(conn)
    .await
    .context("recording the import run")?;
    Ok(())
}

/// `propdesk import KIND FILE [--dry-run]`: imports, prints each rejected
/// row to stderr as `FILE:LINE: reason` and the summary to stdout. Fails
/// (exit 1) only when the file could not be read at all; rejected rows are
/// a normal outcome. Database failures are returned as errors.
pub async fn run_import_command(
    pool: &PgPool,
    kind: ImportKind,
    path: &Path,
    dry_run: bool,
) -> anyhow::Result<ExitCode> {
    let mut conn = pool.acquire().await.context("connecting for the import")?;
    let opts = ImportOptions {
        dry_run,
        ..ImportOptions::default()
    };
    match import(&mut conn, kind, path, opts).await {
        Ok(report) => {
            for line in report.rejection_lines() {
                eprintln!("{line}");
            }
            println!("{}", report.summary());
            Ok(ExitCode::SUCCESS)
        }
        Err(ImportError::Unexpected(err)) => Err(err),
        Err(err) => {
            eprintln!("{err}");
            Ok(ExitCode::FAILURE)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The import can run on a spawned task (compile-time check).
    #[allow(dead_code)]
    fn import_futures_are_send(conn: &mut PgConnection, pool: &PgPool, path: &Path) {
        fn send<T: Send>(_: T) {}
        send(import(
            conn,
            ImportKind::Fees,
            path,
            ImportOptions::default(),
        ));
        send(run_import_command(pool, ImportKind::Owners, path, true));
    }

    #[test]
    fn the_summary_says_what_happened_and_what_rejected_rows_mean() {
        let report = ImportReport {
            file: "fees.csv".into(),
            read: 5,
            inserted: 2,
            updated: 1,
            unchanged: 1,
            rejected: vec![Rejection {
                line: 4,
                reason: "amount_due -5 is negative".into(),
            }],
            extra_columns: vec![],
            converted_from: Some("GBK"),
            dry_run: false,
        };
        assert_eq!(
            report.rejection_lines().collect::<Vec<_>>(),
            vec!["fees.csv:4: amount_due -5 is negative"]
        );
        let summary = report.summary();
        assert!(summary.contains("fees.csv: converted from GBK to UTF-8"));
        assert!(
            summary.contains("fees.csv: read 5, inserted 2, updated 1, unchanged 1, rejected 1")
        );
        assert!(summary.contains("the other rows were imported"));
    }
}
