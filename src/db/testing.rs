//! Throwaway databases for tests: one PostgreSQL per test process (the
//! server at `DATABASE_URL` when set, otherwise an embedded cluster under
//! the system temp folder), and a fresh, migrated database per test.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

use anyhow::{Context, Result};
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection, PgPool};

use super::{migrate, pool, Durability, EmbeddedPostgres};

/// A fresh database with every migration applied.
pub struct TestDatabase {
    pub pool: PgPool,
    /// A URL for the same database, for child processes.
    pub url: String,
    pub name: String,
}

struct Cluster {
    /// Admin connection options and a URL builder for a database name.
    admin: PgConnectOptions,
    base_url: String,
    embedded: Option<EmbeddedPostgres>,
    template: String,
}

static CLUSTER: OnceLock<std::result::Result<Cluster, String>> = OnceLock::new();
static NEXT: AtomicU32 = AtomicU32::new(0);

/// Creates a new database from the migrated template.
pub async fn fresh_database() -> Result<TestDatabase> {
    let cluster = CLUSTER
        .get_or_init(|| {
            // Set up on a plain thread: the embedded start blocks, and the
            // template migration needs a runtime of its own.
            std::thread::spawn(|| setup().map_err(|e| format!("{e:#}")))
                .join()
                .unwrap_or_else(|_| Err("test database setup panicked".into()))
        })
        .as_ref()
        .map_err(|e| anyhow::anyhow!("{e}"))?;

    let name = format!(
        "t_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let mut admin = PgConnection::connect_with(&cluster.admin).await?;
    sqlx::query(&format!(
        "CREATE DATABASE {name} TEMPLATE {}",
        cluster.template
    ))
    .execute(&mut admin)
    .await
    .context("creating a test database")?;
    admin.close().await.ok();
    let options = cluster.admin.clone().database(&name);
    Ok(TestDatabase {
        pool: pool(options, 16).await?,
        url: cluster.url_for(&name),
        name,
    })
}

impl Cluster {
    fn url_for(&self, database: &str) -> String {
        match &self.embedded {
            Some(pg) => pg.url_for(database),
            None => replace_database(&self.base_url, database),
        }
    }
}

fn setup() -> Result<Cluster> {
    let (admin, base_url, embedded) = match std::env::var("DATABASE_URL") {
        Ok(url) if !url.is_empty() => {
            let admin: PgConnectOptions = url.parse().context("DATABASE_URL")?;
            (admin, url, None)
        }
        _ => {
            let dir = scratch_dir()?;
            let pg = EmbeddedPostgres::start(&dir, Durability::Throwaway)?;
            (pg.connect_options(), pg.url(), Some(pg))
        }
    };
    let template = format!("tpl_{}", std::process::id());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let mut conn = PgConnection::connect_with(&admin).await?;
        sqlx::query(&format!("DROP DATABASE IF EXISTS {template}"))
            .execute(&mut conn)
            .await?;
        sqlx::query(&format!("CREATE DATABASE {template}"))
            .execute(&mut conn)
            .await
            .context("creating the template database")?;
        conn.close().await.ok();
        let tpl = pool(admin.clone().database(&template), 2).await?;
        migrate(&tpl).await?;
        tpl.close().await;
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(Cluster {
        admin,
        base_url,
        embedded,
        template,
    })
}

/// `<tmp>/propdesk-test-pg/<pid>`, after removing folders of test processes
/// that are gone (a process's own cluster stops with it, but its files stay).
fn scratch_dir() -> Result<PathBuf> {
    let root = std::env::temp_dir().join("propdesk-test-pg");
    std::fs::create_dir_all(&root)?;
    for entry in std::fs::read_dir(&root)?.flatten() {
        let alive = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<i32>().ok())
            .is_some_and(|pid| {
                nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok()
            });
        if !alive {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
    let dir = root.join(std::process::id().to_string());
    let _ = std::fs::remove_dir_all(&dir);
    Ok(dir)
}

fn replace_database(url: &str, database: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            u.set_path(&format!("/{database}"));
            u.to_string()
        }
        Err(_) => url.to_string(),
    }
}
