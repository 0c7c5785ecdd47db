//! `propdesk import units|owners|fees FILE.csv`: loads the office's
//! spreadsheet exports. One pipeline (decode → header → rows checked one by
//! one → batched upserts in one transaction); each kind only says how a row
//! is parsed and how a batch is written.
//!
//! Re-importing a file changes nothing: every upsert compares before it
//! writes (`… WHERE … IS DISTINCT FROM …`), and counts what it did.
//!
//! `import owners --replace` also removes the imported memberships the file
//! no longer lists (people who moved out), with the members they invited;
//! `--dry-run` lists who would go.

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

use crate::domain::households;

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
    /// Owners only: remove imported memberships the file does not list.
    pub replace: bool,
}

impl Default for ImportOptions {
    fn default() -> ImportOptions {
        ImportOptions {
            dry_run: false,
            progress: true,
            batch_size: 2_000,
            replace: false,
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
    /// `--replace`: the memberships removed (or, in a dry run, that would be).
    pub removed: Vec<Removal>,
    /// `--replace` removed nothing, and why.
    pub replace_skipped: Option<ReplaceSkipped>,
}

/// A membership `--replace` removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removal {
    pub unit: String,
    pub name: String,
    pub phone: Option<String>,
    pub role: &'static str,
    /// Removed with the owner who invited them (their name).
    pub with_inviter: Option<String>,
}

/// Why `--replace` removed nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplaceSkipped {
    /// Some rows were rejected: a rejected row would read as "no longer listed".
    RejectedRows,
    /// The file lists nobody: it would empty the estate.
    EmptyFile,
}

impl ImportReport {
    /// `FILE:LINE: reason`, one per rejected row.
    pub fn rejection_lines(&self) -> impl Iterator<Item = String> + '_ {
        self.rejected
            .iter()
            .map(|r| format!("{}:{}: {}", self.file, r.line, r.reason))
    }

    /// One line per removed membership: `would remove: UNIT NAME PHONE (ROLE)`
    /// in a dry run, `removed: …` otherwise.
    pub fn removal_lines(&self) -> impl Iterator<Item = String> + '_ {
        let verb = if self.dry_run {
            "would remove"
        } else {
            "removed"
        };
        self.removed.iter().map(move |r| {
            let mut line = format!("{verb}: {} {}", r.unit, r.name);
            if let Some(phone) = &r.phone {
                line.push_str(&format!(" {phone}"));
            }
            line.push_str(&format!(" ({})", r.role));
            if let Some(inviter) = &r.with_inviter {
                line.push_str(&format!(", invited by {inviter}"));
            }
            line
        })
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
        match self.replace_skipped {
            Some(ReplaceSkipped::RejectedRows) => lines.push(
                "--replace removed nobody because rows were rejected (a rejected row would count as \
                 no longer listed): fix them and run again"
                    .to_owned(),
            ),
            Some(ReplaceSkipped::EmptyFile) => lines.push(
                "--replace removed nobody: the file lists nobody, which would empty the estate"
                    .to_owned(),
            ),
            None if !self.removed.is_empty() => lines.push(format!(
                "{}: {} {} membership(s) the file no longer lists (listed above)",
                self.file,
                if self.dry_run {
                    "would remove"
                } else {
                    "removed"
                },
                self.removed.len()
            )),
            None => {}
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
    if opts.replace && kind != ImportKind::Owners {
        return Err(ImportError::ReplaceOnlyOwners);
    }
    match kind {
        ImportKind::Units => {
            let mut k = units::UnitsKind::default();
            run(&mut k, &mut tx, path, &decoded, opts, &mut report).await?;
        }
        ImportKind::Owners => {
            let mut k = owners::OwnersKind::load(&mut tx).await?;
            run(&mut k, &mut tx, path, &decoded, opts, &mut report).await?;
            if opts.replace {
                replace(&mut tx, &k.listed, &mut report).await?;
            }
        }
        ImportKind::Fees => {
            let mut k = fees::FeesKind::load(&mut tx).await?;
            run(&mut k, &mut tx, path, &decoded, opts, &mut report).await?;
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
        removed = report.removed.len(),
        dry_run = opts.dry_run,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "import finished"
    );
    Ok(report)
}

/// `--replace`: removes the imported memberships not in `listed`, unless a
/// row was rejected or the file lists nobody.
async fn replace(
    conn: &mut PgConnection,
    listed: &[(i64, i64)],
    report: &mut ImportReport,
) -> anyhow::Result<()> {
    if !report.rejected.is_empty() {
        report.replace_skipped = Some(ReplaceSkipped::RejectedRows);
        return Ok(());
    }
    if listed.is_empty() {
        report.replace_skipped = Some(ReplaceSkipped::EmptyFile);
        return Ok(());
    }
    let note = format!("import owners --replace {}", report.file);
    let removed = households::remove_unlisted(conn, listed, &note, chrono::Utc::now()).await?;
    let mut removed: Vec<Removal> = removed
        .into_iter()
        .map(|r| Removal {
            unit: r.unit_code,
            name: r.name,
            phone: r.phone,
            role: r.role.as_str(),
            with_inviter: r.with_inviter,
        })
        .collect();
    // By unit; the members someone invited right after them.
    removed.sort_by(|a, b| {
        (&a.unit, a.with_inviter.is_some(), &a.name).cmp(&(
            &b.unit,
            b.with_inviter.is_some(),
            &b.name,
        ))
    });
    report.removed = removed;
    Ok(())
}

async fn run<K: RowKind>(
    kind: &mut K,
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
    sqlx::query!(
        "INSERT INTO import_runs
            (kind, file_name, converted_from, rows_read, inserted, updated, unchanged, rejected,
             removed)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        kind.as_str(),
        &report.file,
        report.converted_from,
        count(report.read),
        count(report.inserted),
        count(report.updated),
        count(report.unchanged),
        count(report.rejected.len() as u64),
        count(report.removed.len() as u64)
    )
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
    replace: bool,
) -> anyhow::Result<ExitCode> {
    let mut conn = pool.acquire().await.context("connecting for the import")?;
    let opts = ImportOptions {
        dry_run,
        replace,
        ..ImportOptions::default()
    };
    match import(&mut conn, kind, path, opts).await {
        Ok(report) => {
            for line in report.rejection_lines() {
                eprintln!("{line}");
            }
            for line in report.removal_lines() {
                println!("{line}");
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
        send(run_import_command(
            pool,
            ImportKind::Owners,
            path,
            true,
            true,
        ));
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
            removed: vec![],
            replace_skipped: None,
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

    #[test]
    fn a_replace_dry_run_lists_who_would_go_and_says_nothing_was_written() {
        let report = ImportReport {
            file: "owners.csv".into(),
            read: 2,
            unchanged: 2,
            dry_run: true,
            removed: vec![
                Removal {
                    unit: "A栋1203".into(),
                    name: "王芳".into(),
                    phone: Some("+8613800000001".into()),
                    role: "owner",
                    with_inviter: None,
                },
                Removal {
                    unit: "A栋1203".into(),
                    name: "王小明".into(),
                    phone: None,
                    role: "family",
                    with_inviter: Some("王芳".into()),
                },
            ],
            ..ImportReport::default()
        };
        assert_eq!(
            report.removal_lines().collect::<Vec<_>>(),
            vec![
                "would remove: A栋1203 王芳 +8613800000001 (owner)",
                "would remove: A栋1203 王小明 (family), invited by 王芳",
            ]
        );
        let summary = report.summary();
        assert!(
            summary.contains("owners.csv: would remove 2 membership(s)"),
            "{summary}"
        );
        assert!(
            summary.ends_with("dry run: nothing was written"),
            "{summary}"
        );
    }
}
