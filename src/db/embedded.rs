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
        let deadline = Instant::now() + START_TIMEOUT;
        let mut told = false;
        loop {
            match this.existing_server() {
                Existing::Serving(pid) => {
                    tracing::info!(dir = %this.data_dir.display(), pid = pid.as_raw(), "attaching to the embedded PostgreSQL another propdesk runs");
                    break;
                }
                Existing::Finishing(pid) if Instant::now() < deadline => {
                    if !told {
                        tracing::info!(dir = %this.data_dir.display(), pid = pid.as_raw(), "waiting for the embedded PostgreSQL of an earlier run to finish shutting down");
                        told = true;
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
                Existing::Finishing(pid) => {
                    tracing::warn!(pid = pid.as_raw(), "the embedded PostgreSQL has no propdesk behind it and did not stop; attaching to it");
                    break;
                }
                Existing::None => {
                    this.server = Some(this.spawn(&bin, run_as.as_ref(), durability)?);
                    match this.wait_ready() {
                        Ok(()) => break,
                        // Another propdesk started it between our look and
                        // our start: its server holds the folder; go round.
                        Err(_)
                            if this.existing_server() != Existing::None
                                && Instant::now() < deadline =>
                        {
                            this.forget_failed_start();
                        }
                        Err(e) => return Err(e),
                    }
                }
            }
        }
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
            // The inbox and outbox are queues: autovacuum looks every second
            // (their thresholds are in migration 0020), so claims do not
            // wade through dead rows for a minute.
            .args(["-c", "autovacuum_naptime=1"])
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

    /// What holds the data folder now, judged from `postmaster.pid` and the
    /// process it names. A file whose process is gone, or is no PostgreSQL
    /// (its pid reused after a power loss), is stale and removed.
    fn existing_server(&self) -> Existing {
        let pid_file = self.data_dir.join("postmaster.pid");
        let Ok(text) = fs::read_to_string(&pid_file) else {
            return Existing::None;
        };
        let lines: Vec<&str> = text.lines().collect();
        let Some(pid) = lines.first().and_then(|l| l.trim().parse::<i32>().ok()) else {
            // Being written by a server starting right now, or torn.
            return match fs::metadata(&pid_file).and_then(|m| m.modified()) {
                Ok(at) if at.elapsed().unwrap_or_default() < Duration::from_secs(5) => {
                    Existing::Finishing(Pid::from_raw(0))
                }
                _ => self.remove_stale(&pid_file, "unreadable"),
            };
        };
        let pid = Pid::from_raw(pid);
        if kill(pid, None).is_err() || !is_postgres(pid) {
            return self.remove_stale(&pid_file, "its process is gone");
        }
        // Line 8 is the postmaster's status: starting, stopping, ready, standby.
        let status = lines.get(7).map_or("", |l| l.trim());
        if status == "ready" && !orphaned(pid) {
            Existing::Serving(pid)
        } else {
            // Stopping, or about to: a server whose propdesk died gets the
            // death signal and shuts down (fast) on its own.
            Existing::Finishing(pid)
        }
    }

    fn remove_stale(&self, pid_file: &Path, why: &str) -> Existing {
        tracing::info!(file = %pid_file.display(), why, "removing a stale postmaster.pid");
        match fs::remove_file(pid_file) {
            Ok(()) => Existing::None,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Existing::None,
            Err(e) => {
                tracing::warn!(error = %e, "could not remove the stale postmaster.pid");
                Existing::None
            }
        }
    }

    /// After a start that lost the race for the folder.
    fn forget_failed_start(&mut self) {
        if let Some(mut server) = self.server.take() {
            if let Some(waiter) = server.waiter.take() {
                let _ = waiter.join();
            }
        }
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
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect_with(&options)
                .await
                .context("connecting to the embedded PostgreSQL")?;
            let exists = sqlx::query!(
                "SELECT 1 AS one FROM pg_database WHERE datname = $1",
                DATABASE
            )
            .fetch_optional(&mut conn)
            .await?
            .map(|r| r.one)
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

/// How long `start` waits for an earlier server to finish shutting down.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// What holds a data folder when we look at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Existing {
    None,
    /// A ready server with a live parent (another propdesk on the folder).
    Serving(Pid),
    /// A server starting up, shutting down, or orphaned by a dead propdesk.
    Finishing(Pid),
}

/// Whether `pid` runs a PostgreSQL server (its command line names it).
fn is_postgres(pid: Pid) -> bool {
    fs::read(format!("/proc/{pid}/cmdline")).map_or(true, |cmdline| {
        cmdline
            .split(|b| *b == 0)
            .next()
            .is_some_and(|exe| exe.ends_with(b"postgres") || exe.ends_with(b"postmaster"))
    })
}

/// Whether the server's parent is gone (it was re-parented to init or a
/// subreaper): then the propdesk that started it died, and the death signal
/// is taking the server down.
fn orphaned(pid: Pid) -> bool {
    let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // `pid (comm) state ppid …`; comm may hold spaces, so read after ')'.
    let ppid = stat
        .rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().nth(1))
        .and_then(|p| p.parse::<i32>().ok());
    let Some(ppid) = ppid else {
        return false;
    };
    // Adopted by init or a subreaper (systemd, a container's init).
    is_init_like(ppid)
}

/// A process that adopts orphans: pid 1 or one marked as a subreaper.
fn is_init_like(pid: i32) -> bool {
    if pid <= 1 {
        return true;
    }
    let comm = fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
    matches!(
        comm.trim(),
        "systemd" | "init" | "tini" | "dumb-init" | "docker-init"
    )
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
