//! An embedded PostgreSQL cluster, run from the machine's PostgreSQL binaries,
//! for when `DATABASE_URL` is unset (the one-command default) and for tests.
//!
//! The server listens only on a Unix socket inside its own folder, so it is
//! private to this installation. It is a child of a dedicated thread that
//! asks the kernel to stop it (fast shutdown) if propdesk dies, so a
//! `kill -9` of the bot never leaves an orphaned server behind.

use std::fs;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use nix::sys::signal::{kill, Signal};
use nix::unistd::{Pid, User};
use sqlx::postgres::PgConnectOptions;

/// The cluster's superuser and database.
pub const USER: &str = "propdesk";
pub const DATABASE: &str = "propdesk";
const PORT: u16 = 5432;

/// How a cluster is tuned: durable for the bot, fast for throwaway test clusters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    Durable,
    Throwaway,
}

/// A running embedded PostgreSQL server.
#[derive(Debug)]
pub struct EmbeddedPostgres {
    data_dir: PathBuf,
    /// The server we started (None when we attached to one already running).
    server: Option<Server>,
}

#[derive(Debug)]
struct Server {
    pid: Pid,
    waiter: Option<JoinHandle<()>>,
}

impl EmbeddedPostgres {
    /// Creates the cluster in `data_dir` on first use, then starts it — or
    /// attaches to the server already running there (another propdesk on the
    /// same folder).
    pub fn start(data_dir: &Path, durability: Durability) -> Result<EmbeddedPostgres> {
        let bin = find_bin_dir()?;
        fs::create_dir_all(data_dir)
            .with_context(|| format!("creating the database folder {}", data_dir.display()))?;
        let data_dir = data_dir
            .canonicalize()
            .with_context(|| format!("resolving {}", data_dir.display()))?;
        let run_as = postgres_os_user()?;
        if let Some(user) = &run_as {
            chown_tree(&data_dir, user)?;
        }

        if !data_dir.join("PG_VERSION").exists() {
            tracing::info!(dir = %data_dir.display(), "creating the embedded PostgreSQL cluster");
            let output = as_user(Command::new(bin.join("initdb")), run_as.as_ref())
                .arg("-D")
                .arg(&data_dir)
                .args(["-U", USER, "--auth=trust", "-E", "UTF8", "--no-locale"])
                .output()
                .context("running initdb")?;
            if !output.status.success() {
                bail!(
                    "initdb failed in {}: {}",
                    data_dir.display(),
                    String::from_utf8_lossy(&output.stderr).trim()
                );
            }
        }

        let mut this = EmbeddedPostgres {
            data_dir,
            server: None,
        };
        if this.running_pid().is_some() {
            tracing::info!(dir = %this.data_dir.display(), "attaching to the running embedded PostgreSQL");
            return Ok(this);
        }
        this.server = Some(this.spawn(&bin, run_as.as_ref(), durability)?);
        this.wait_ready()?;
        this.ensure_database()?;
        Ok(this)
    }

    /// Connection options for the cluster's `propdesk` database.
    #[must_use]
    pub fn connect_options(&self) -> PgConnectOptions {
        self.connect_options_for(DATABASE)
    }

    /// Connection options for another database of the cluster.
    #[must_use]
    pub fn connect_options_for(&self, database: &str) -> PgConnectOptions {
        PgConnectOptions::new()
            .socket(&self.data_dir)
            .port(PORT)
            .username(USER)
            .database(database)
    }

    /// A `postgres://` URL for the cluster's `propdesk` database (for child
    /// processes and `psql`).
    #[must_use]
    pub fn url(&self) -> String {
        self.url_for(DATABASE)
    }

    #[must_use]
    pub fn url_for(&self, database: &str) -> String {
        let socket: String =
            url::form_urlencoded::byte_serialize(self.data_dir.to_string_lossy().as_bytes())
                .collect();
        format!("postgres://{USER}@localhost:{PORT}/{database}?host={socket}")
    }

    /// Stops the server if this process started it (fast shutdown: open
    /// transactions roll back, committed work is kept).
    pub fn stop(&mut self) {
        let Some(mut server) = self.server.take() else {
            return;
        };
        let _ = kill(server.pid, Signal::SIGINT);
        if let Some(waiter) = server.waiter.take() {
            let _ = waiter.join();
        }
        tracing::info!("embedded PostgreSQL stopped");
    }

    fn spawn(&self, bin: &Path, run_as: Option<&User>, durability: Durability) -> Result<Server> {
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.data_dir.join("server.log"))
            .context("opening the PostgreSQL log")?;
        if let Some(user) = run_as {
            let _ = nix::unistd::chown(
                &self.data_dir.join("server.log"),
                Some(user.uid),
                Some(user.gid),
            );
        }
        let mut cmd = as_user(Command::new(bin.join("postgres")), run_as);
        cmd.arg("-D")
            .arg(&self.data_dir)
            .args(["-c", "listen_addresses="])
            .arg("-c")
            .arg(format!(
                "unix_socket_directories={}",
                self.data_dir.display()
            ))
            .args(["-c", &format!("port={PORT}")])
            .args(["-c", "max_connections=300"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        if durability == Durability::Throwaway {
            cmd.args(["-c", "fsync=off", "-c", "synchronous_commit=off"])
                .args(["-c", "full_page_writes=off"]);
        }
        // SAFETY: prctl is async-signal-safe; it runs in the child between
        // fork and exec, after the uid change (which would otherwise clear it).
        unsafe {
            cmd.pre_exec(|| {
                nix::sys::prctl::set_pdeathsig(Signal::SIGINT).map_err(std::io::Error::from)
            });
        }

        // The death signal fires when the *thread* that forked the server
        // ends, so a dedicated thread forks it and lives as long as it does.
        let (pid_tx, pid_rx) = mpsc::channel();
        let waiter = std::thread::Builder::new()
            .name("embedded-postgres".into())
            .spawn(move || match cmd.spawn() {
                Ok(mut child) => {
                    let _ = pid_tx.send(Ok(child.id()));
                    let _ = child.wait();
                }
                Err(e) => {
                    let _ = pid_tx.send(Err(e));
                }
            })
            .context("starting the PostgreSQL supervisor thread")?;
        let pid = pid_rx
            .recv()
            .context("the PostgreSQL supervisor thread ended")?
            .context("starting postgres")?;
        let pid = Pid::from_raw(i32::try_from(pid).context("postgres pid out of range")?);
        Ok(Server {
            pid,
            waiter: Some(waiter),
        })
    }

    /// The pid in `postmaster.pid` if that process is alive.
    fn running_pid(&self) -> Option<Pid> {
        let text = fs::read_to_string(self.data_dir.join("postmaster.pid")).ok()?;
        let pid: i32 = text.lines().next()?.trim().parse().ok()?;
        let pid = Pid::from_raw(pid);
        kill(pid, None).ok().map(|()| pid)
    }

    fn wait_ready(&self) -> Result<()> {
        let socket = self.data_dir.join(format!(".s.PGSQL.{PORT}"));
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if socket.exists() && self.data_dir.join("postmaster.pid").exists() {
                let pid_file =
                    fs::read_to_string(self.data_dir.join("postmaster.pid")).unwrap_or_default();
                if pid_file.contains("ready") {
                    return Ok(());
                }
            }
            if let Some(server) = &self.server {
                if server.waiter.as_ref().is_some_and(JoinHandle::is_finished) {
                    bail!(
                        "PostgreSQL exited during start-up; its log says:\n{}",
                        self.log_tail()
                    );
                }
            }
            if Instant::now() > deadline {
                bail!(
                    "PostgreSQL did not become ready within 60 s; its log says:\n{}",
                    self.log_tail()
                );
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// `initdb -U propdesk` creates only the `postgres` database.
    fn ensure_database(&self) -> Result<()> {
        let options = self.connect_options_for("postgres");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("building a runtime for database creation")?;
        runtime.block_on(async move {
            use sqlx::{Connection, Row};
            let mut conn = sqlx::PgConnection::connect_with(&options)
                .await
                .context("connecting to the embedded PostgreSQL")?;
            let exists = sqlx::query("SELECT 1 AS one FROM pg_database WHERE datname = $1")
                .bind(DATABASE)
                .fetch_optional(&mut conn)
                .await?
                .map(|r| r.get::<i32, _>("one"))
                .is_some();
            if !exists {
                sqlx::query(&format!("CREATE DATABASE {DATABASE}"))
                    .execute(&mut conn)
                    .await
                    .context("creating the propdesk database")?;
            }
            conn.close().await.ok();
            Ok::<_, anyhow::Error>(())
        })
    }

    fn log_tail(&self) -> String {
        let log = fs::read_to_string(self.data_dir.join("server.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(15)..].join("\n")
    }
}

impl Drop for EmbeddedPostgres {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Finds the folder holding `initdb` and `postgres`: `PATH` first (resolving
/// symlinks, so a `/usr/local/bin/initdb` link leads to its real folder), then
/// `/usr/lib/postgresql/<newest>/bin`.
pub fn find_bin_dir() -> Result<PathBuf> {
    let has_server = |dir: &Path| dir.join("initdb").is_file() && dir.join("postgres").is_file();
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            let initdb = dir.join("initdb");
            if let Ok(real) = initdb.canonicalize() {
                if let Some(parent) = real.parent() {
                    if has_server(parent) {
                        return Ok(parent.to_path_buf());
                    }
                }
            }
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            Some((version, e.path().join("bin")))
        })
        .filter(|(_, bin)| has_server(bin))
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin).ok_or_else(|| {
        anyhow!(
            "PostgreSQL server binaries (initdb, postgres) were not found on PATH or under \
             /usr/lib/postgresql/*/bin: install them (e.g. `apt-get install postgresql`) \
             or set DATABASE_URL to an existing database"
        )
    })
}

/// PostgreSQL refuses to run as root; as root we run it as `postgres`.
fn postgres_os_user() -> Result<Option<User>> {
    if !nix::unistd::geteuid().is_root() {
        return Ok(None);
    }
    let user = User::from_name("postgres")
        .context("looking up the postgres OS user")?
        .ok_or_else(|| {
            anyhow!(
                "running as root, the embedded PostgreSQL must run as the `postgres` OS user, \
                 which does not exist: create it (`useradd --system postgres`) or set DATABASE_URL"
            )
        })?;
    Ok(Some(user))
}

fn as_user(mut cmd: Command, user: Option<&User>) -> Command {
    if let Some(user) = user {
        cmd.uid(user.uid.as_raw()).gid(user.gid.as_raw());
        cmd.env("HOME", &user.dir);
    }
    cmd
}

fn chown_tree(dir: &Path, user: &User) -> Result<()> {
    let meta = fs::metadata(dir)?;
    use std::os::unix::fs::MetadataExt;
    if meta.uid() == user.uid.as_raw() {
        return Ok(());
    }
    nix::unistd::chown(dir, Some(user.uid), Some(user.gid))
        .with_context(|| format!("giving {} to the postgres user", dir.display()))?;
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            chown_tree(&path, user)?;
        } else {
            nix::unistd::chown(&path, Some(user.uid), Some(user.gid))?;
        }
    }
    Ok(())
}
