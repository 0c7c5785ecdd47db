//! `propdesk backup FILE` / `propdesk restore FILE [--force]`: the whole
//! database in PostgreSQL's custom dump format, with the machine's
//! `pg_dump` and `pg_restore` (found as the embedded server's binaries are:
//! the embedded cluster's own folder first, so the versions match).
//!
//! A backup is written next to FILE and renamed over it once complete, so a
//! failed backup never replaces a good one. A restore checks the file is a
//! dump first, refuses a database that holds data or that another process
//! (a running `serve`) is connected to unless `--force`, and runs in one
//! transaction: it either replaces everything or changes nothing.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use sqlx::PgPool;

/// Finds a PostgreSQL client program: next to the server binaries the
/// embedded cluster uses, else on `PATH`, else the newest
/// `/usr/lib/postgresql/*/bin`.
pub fn find_tool(name: &str) -> Result<PathBuf> {
    if let Ok(dir) = super::embedded::find_bin_dir() {
        if dir.join(name).is_file() {
            return Ok(dir.join(name));
        }
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            if dir.join(name).is_file() {
                return Ok(dir.join(name));
            }
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            Some((version, e.path().join("bin").join(name)))
        })
        .filter(|(_, tool)| tool.is_file())
        .collect();
    versions.sort();
    versions.pop().map(|(_, tool)| tool).with_context(|| {
        format!(
            "{name} was not found on PATH or under /usr/lib/postgresql/*/bin: install the \
             PostgreSQL client programs (e.g. `apt-get install postgresql-client`)"
        )
    })
}

/// What a backup wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub bytes: u64,
}

/// Dumps the database at `url` to `file`.
pub fn backup(url: &str, file: &Path) -> Result<Written> {
    let pg_dump = find_tool("pg_dump")?;
    let partial = partial_name(file);
    let output = Command::new(&pg_dump)
        .arg("--format=custom")
        .arg("--no-owner")
        .arg("--no-privileges")
        .arg("--file")
        .arg(&partial)
        .arg("--dbname")
        .arg(url)
        .output()
        .with_context(|| format!("running {}", pg_dump.display()))?;
    if !output.status.success() {
        let _ = std::fs::remove_file(&partial);
        bail!(
            "pg_dump failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    std::fs::rename(&partial, file)
        .with_context(|| format!("moving the backup to {}", file.display()))?;
    let bytes = std::fs::metadata(file)?.len();
    Ok(Written { bytes })
}

fn partial_name(file: &Path) -> PathBuf {
    let mut name = file.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    file.with_file_name(name)
}

/// Why a restore was refused (nothing was changed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("{0} is not a propdesk backup (pg_restore cannot read it): {1}")]
    NotADump(String, String),
    #[error("the database is in use by {0} other connection(s) (is `propdesk serve` running?): stop it first, or pass --force")]
    InUse(i64),
    #[error("the database holds data ({0} people, {1} tickets, {2} updates): restoring replaces all of it; pass --force to do so")]
    HasData(i64, i64, i64),
}

/// Restores `file` into the database at `url` (reached by `pool` for the
/// checks). `Ok(Err(_))`: refused, nothing changed.
pub async fn restore(
    pool: &PgPool,
    url: &str,
    file: &Path,
    force: bool,
) -> Result<std::result::Result<(), Refused>> {
    let pg_restore = find_tool("pg_restore")?;
    let listed = Command::new(&pg_restore)
        .arg("--list")
        .arg(file)
        .output()
        .with_context(|| format!("running {}", pg_restore.display()))?;
    if !listed.status.success() {
        return Ok(Err(Refused::NotADump(
            file.display().to_string(),
            String::from_utf8_lossy(&listed.stderr).trim().to_owned(),
        )));
    }
    if !force {
        let others = sqlx::query_scalar!(
            r#"SELECT count(*) AS "n!" FROM pg_stat_activity
                WHERE datname = current_database() AND pid <> pg_backend_pid()
                  AND backend_type = 'client backend'"#
        )
        .fetch_one(pool)
        .await?;
        // The pool's own idle connections are this process's.
        let ours = i64::from(pool.size()) - 1;
        if others > ours {
            return Ok(Err(Refused::InUse(others - ours)));
        }
        let held = sqlx::query!(
            r#"SELECT (SELECT count(*) FROM people) AS "people!",
                      (SELECT count(*) FROM tickets) AS "tickets!",
                      (SELECT count(*) FROM inbox) AS "updates!""#
        )
        .fetch_one(pool)
        .await?;
        if held.people + held.tickets + held.updates > 0 {
            return Ok(Err(Refused::HasData(
                held.people,
                held.tickets,
                held.updates,
            )));
        }
    }
    let output = Command::new(&pg_restore)
        .arg("--clean")
        .arg("--if-exists")
        .arg("--no-owner")
        .arg("--no-privileges")
        .arg("--single-transaction")
        .arg("--exit-on-error")
        .arg("--dbname")
        .arg(url)
        .arg(file)
        .output()
        .with_context(|| format!("running {}", pg_restore.display()))?;
    if !output.status.success() {
        bail!(
            "pg_restore failed (nothing was changed): {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_backup_is_written_beside_its_file_first() {
        assert_eq!(
            partial_name(Path::new("/x/propdesk.dump")),
            PathBuf::from("/x/propdesk.dump.partial")
        );
    }
}
