//! What durability costs: `propdesk serve` (a child process: intake, inbox,
//! processor, outbox, sender, every step committed to PostgreSQL with fsync
//! on) against a bare teloxide `Dispatcher` (also a child process, this
//! binary run again with `PROPDESK_BENCH_BARE_BOT` set) that keeps its
//! dialogue state in memory and answers from its handler with the same
//! engine, the same texts and the same keyboards. Both talk to a Bot API
//! stand-in in this process, with Telegram's limits off on both sides.
//!
//! `cargo bench --bench pipeline [-- burst sustained conversations card]`
//! (no mode: the first three; `scripts/bench` runs them and the engine
//! micro-benchmarks and prints one table):
//!
//! - **burst**: 100 chats × 20 `/start`, all sent at once; throughput,
//!   update → reply latency, commits per update (`pg_stat_database`),
//!   peak RSS of each bot;
//! - **sustained**: 300 updates/s for 60 s of mixed traffic — `/start`, a
//!   menu button that opens the complaint dialogue, a dialogue button, a
//!   dialogue text answer, `/cancel` — from 600 owners; latency p50/p99/max;
//! - **conversations**: 10,000 owners each leave a complaint open; RSS of
//!   the bot, and the time to resume one (also after a restart);
//! - **card** (not in the default run): an owner's confirm → the ticket card
//!   in the staff group, at Telegram's default limits, in process.
//!
//! The last two lines are `burst throughput ratio: X.XX` and
//! `sustained p99 ratio: X.XX` (propdesk ÷ bare), for scripts to parse.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::Stdio;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{bail, Context, Result};
use propdesk::app::ServeSettings;
use propdesk::db::{self, Durability, EmbeddedPostgres};
use propdesk::standin::{Limits, SentMessage, StandIn, StandInConfig, TestUser};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

/// Set in the environment of the child that plays the bare bot.
const BARE_ENV: &str = "PROPDESK_BENCH_BARE_BOT";

const BURST_CHATS: i64 = 100;
const BURST_PER_CHAT: usize = 20;
const SUSTAINED_OWNERS: i64 = 600;
const SUSTAINED_RATE: f64 = 300.0;
const SUSTAINED_FOR: Duration = Duration::from_secs(60);
const CONVERSATIONS: i64 = 10_000;
const RESUMES: usize = 20;

fn main() -> Result<()> {
    if std::env::var_os(BARE_ENV).is_some() {
        return bare::main();
    }
    let mut modes: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    if modes.is_empty() {
        modes = ["burst", "sustained", "conversations"]
            .map(String::from)
            .to_vec();
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(&modes))
}

async fn run(modes: &[String]) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let cluster = Cluster::start(dir.path()).await?;
    let mut table = Table::default();
    if let Some(criterion) = std::env::var_os("PROPDESK_BENCH_CRITERION_DIR") {
        table.criterion(Path::new(&criterion));
    }
    let mut burst_ratio = None;
    let mut p99_ratio = None;
    for mode in modes {
        eprintln!("== {mode}");
        match mode.as_str() {
            "burst" => burst_ratio = Some(burst(&cluster, &mut table).await?),
            "sustained" => p99_ratio = Some(sustained(&cluster, &mut table).await?),
            "conversations" => conversations(&cluster, &mut table).await?,
            "card" => card(&cluster, &mut table).await?,
            other => bail!("unknown mode {other:?} (burst, sustained, conversations, card)"),
        }
    }
    table.print();
    if let Some(r) = burst_ratio {
        println!("burst throughput ratio: {r:.2}");
    }
    if let Some(r) = p99_ratio {
        println!("sustained p99 ratio: {r:.2}");
    }
    Ok(())
}

// ------------------------------------------------------------------ phases

/// One kind of traffic, driven through a stand-in.
type Traffic = fn(&StandIn) -> Pin<Box<dyn Future<Output = Result<Run>> + '_>>;

/// `traffic` to the bare bot, then to propdesk on database `name` with
/// `users` registered owners: (run, peak RSS) and (run, peak RSS, commits
/// per update).
async fn both(
    cluster: &Cluster,
    name: &str,
    users: i64,
    traffic: Traffic,
) -> Result<((Run, f64), (Run, f64, f64))> {
    let bare = {
        let api = standin(users).await?;
        let bot = Bot::bare(&api, cluster.dir()).await?;
        let run = traffic(&api).await?;
        let rss = bot.peak_rss_mib();
        bot.stop().await;
        (run, rss)
    };
    let db = cluster.database(name, users).await?;
    let api = standin(users).await?;
    let bot = Bot::propdesk(&api, cluster, name).await?;
    let before = commits(&db).await?;
    let mut run = traffic(&api).await?;
    let per_update = settled_commits(&db, before).await? / run.latencies.len() as f64;
    let rss = bot.peak_rss_mib();
    bot.stop().await;
    api.assert_nothing_refused();
    run.stages = stages(&db, &run).await?;
    Ok((bare, (run, rss, per_update)))
}

/// Where propdesk's time went, from the inbox's own timestamps: sent →
/// stored by intake (`received_at`, the start of intake's transaction) →
/// handled (`processed_at`, the end of its batch's handling: the wait for a
/// worker, the claim and the batch's handlers) → the reply at the stand-in
/// (the batch's commit, the sender's wake-up, claim and send). For the typical update (the
/// median of each stage) and the slowest 1 % (the mean of each stage over
/// the updates at or past the p99 latency).
async fn stages(db: &PgPool, run: &Run) -> Result<Vec<String>> {
    if run.traced.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = run.traced.iter().map(|t| t.update_id).collect();
    let stored: HashMap<i64, (f64, f64)> = sqlx::query_as::<_, (i64, f64, f64)>(
        "SELECT update_id, extract(epoch FROM received_at)::float8,
                extract(epoch FROM processed_at)::float8
           FROM inbox WHERE update_id = ANY($1) AND processed_at IS NOT NULL",
    )
    .bind(&ids)
    .fetch_all(db)
    .await?
    .into_iter()
    .map(|(id, received, processed)| (id, (received, processed)))
    .collect();
    let epoch = |t: SystemTime| {
        t.duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs_f64()
    };
    // (latency, [to intake, to handled, to the reply]) in ms.
    let mut rows: Vec<(Duration, [f64; 3])> = run
        .traced
        .iter()
        .filter_map(|t| {
            let (received, processed) = *stored.get(&t.update_id)?;
            let sent = epoch(t.sent);
            let answered = sent + t.latency.as_secs_f64();
            Some((
                t.latency,
                [
                    (received - sent) * 1e3,
                    (processed - received) * 1e3,
                    (answered - processed) * 1e3,
                ],
            ))
        })
        .collect();
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    rows.sort_by_key(|(latency, _)| *latency);
    let slow = &rows[((rows.len() - 1) as f64 * 0.99).round() as usize..];
    let names = [
        "sent → stored by intake",
        "stored → handled (its batch done)",
        "handled → reply at the stand-in",
    ];
    let mut lines = vec![format!(
        "  where the time goes ({} updates; median of each stage / mean over the slowest {}):",
        rows.len(),
        slow.len()
    )];
    for (stage, name) in names.iter().enumerate() {
        let mut all: Vec<f64> = rows.iter().map(|(_, s)| s[stage]).collect();
        all.sort_by(f64::total_cmp);
        let median = all[all.len() / 2];
        let slow_mean = slow.iter().map(|(_, s)| s[stage]).sum::<f64>() / slow.len() as f64;
        lines.push(format!(
            "    {name:<42} {median:>9.1} ms {slow_mean:>9.1} ms"
        ));
    }
    Ok(lines)
}

/// 100 chats × 20 `/start`, all at once, to each bot.
async fn burst(cluster: &Cluster, table: &mut Table) -> Result<f64> {
    let (bare, ours) = both(cluster, "burst", BURST_CHATS, |api| {
        Box::pin(burst_traffic(api))
    })
    .await?;
    let n = ours.0.latencies.len();
    table.section(&format!(
        "burst: {BURST_CHATS} chats × {BURST_PER_CHAT} /start = {n} updates at once"
    ));
    table.both(
        "throughput, replies/s",
        bare.0.per_sec(),
        ours.0.per_sec(),
        "≥ 1.0× bare",
    );
    table.both_ms("latency p50", &bare.0, &ours.0, 0.5, "");
    table.both_ms("latency p99", &bare.0, &ours.0, 0.99, "");
    table.both("peak RSS, MiB", bare.1, ours.1, "");
    table.ours("commits per update", ours.2, "≤ 1");
    table.lines.extend(ours.0.stages.iter().cloned());
    Ok(ours.0.per_sec() / bare.0.per_sec())
}

/// 300 updates/s for 60 s of mixed traffic to each bot.
async fn sustained(cluster: &Cluster, table: &mut Table) -> Result<f64> {
    let (bare, ours) = both(cluster, "sustained", SUSTAINED_OWNERS, |api| {
        Box::pin(sustained_traffic(api))
    })
    .await?;
    table.section(&format!(
        "sustained: {SUSTAINED_RATE} updates/s for {} s, {SUSTAINED_OWNERS} owners (/start, menu button, dialogue button, dialogue text, /cancel)",
        SUSTAINED_FOR.as_secs()
    ));
    table.both(
        "updates answered",
        bare.0.latencies.len() as f64,
        ours.0.latencies.len() as f64,
        "",
    );
    table.both(
        "achieved updates/s",
        bare.0.per_sec(),
        ours.0.per_sec(),
        "300",
    );
    table.both(
        "unexpected replies",
        bare.0.unexpected as f64,
        ours.0.unexpected as f64,
        "0",
    );
    table.both_ms("latency p50", &bare.0, &ours.0, 0.5, "");
    table.both_ms(
        "latency p99",
        &bare.0,
        &ours.0,
        0.99,
        "< 50 ms, ≤ 1.5× bare",
    );
    table.both_ms("latency max", &bare.0, &ours.0, 1.0, "");
    table.both("peak RSS, MiB", bare.1, ours.1, "");
    table.ours("commits per update", ours.2, "");
    table.lines.extend(ours.0.stages.iter().cloned());
    Ok(ours.0.pct(0.99).as_secs_f64() / bare.0.pct(0.99).as_secs_f64())
}

/// 10,000 owners leave a complaint open; what the bot weighs, and how fast
/// one of them goes on.
async fn conversations(cluster: &Cluster, table: &mut Table) -> Result<()> {
    let db = cluster.database("conversations", CONVERSATIONS).await?;
    let api = standin(CONVERSATIONS).await?;
    let bot = Bot::propdesk(&api, cluster, "conversations").await?;
    let started = Instant::now();
    let mut owners = Owners::new(&api, CONVERSATIONS);
    // /start, then the Complaint button: each owner is left at the category question.
    for step in 0..2 {
        for owner in 1..=CONVERSATIONS {
            owners.act(owner, step)?;
        }
        owners.settle(Duration::from_secs(600)).await?;
    }
    let opened = started.elapsed();
    let open: i64 = sqlx::query_scalar("SELECT count(*) FROM conversations")
        .fetch_one(&db)
        .await?;
    if open < CONVERSATIONS {
        bail!("only {open} conversations are open");
    }
    let rss_now = bot.rss_mib();
    let peak = bot.peak_rss_mib();
    let resume = owners.resume(1, 2).await?;
    bot.stop().await;

    // A fresh process: every conversation is read from the database.
    let bot = Bot::propdesk(&api, cluster, "conversations").await?;
    let fresh_rss = bot.rss_mib();
    let resume_after_restart = owners.resume(CONVERSATIONS / 2, 2).await?;
    let fresh_peak = bot.peak_rss_mib();
    bot.stop().await;
    api.assert_nothing_refused();

    table.section(&format!(
        "{CONVERSATIONS} conversations in progress (opened with {} updates in {:.1} s)",
        2 * CONVERSATIONS,
        opened.as_secs_f64()
    ));
    table.ours("RSS with them open, MiB", rss_now, "< 50");
    table.ours("peak RSS while opening them, MiB", peak, "< 50");
    table.ours(
        "resume one (next answer → reply), p50 ms",
        ms(resume.pct(0.5)),
        "",
    );
    table.ours("resume one, max ms", ms(resume.pct(1.0)), "");
    table.ours("RSS of a restarted bot, MiB", fresh_rss, "< 50");
    table.ours("peak RSS after resuming in it, MiB", fresh_peak, "< 50");
    table.ours(
        "resume one after the restart, p50 ms",
        ms(resume_after_restart.pct(0.5)),
        "",
    );
    table.ours(
        "resume one after the restart, max ms",
        ms(resume_after_restart.pct(1.0)),
        "",
    );
    Ok(())
}

// ------------------------------------------------------------------ traffic

/// Latencies from an update accepted by the stand-in to its reply.
struct Run {
    wall: Duration,
    latencies: Vec<Duration>,
    /// Replies that were not what the step expects.
    unexpected: usize,
    /// Each answered update: its id, when it was sent, how long its reply took.
    traced: Vec<Traced>,
    /// propdesk's runs: the table lines saying where the time went.
    stages: Vec<String>,
}

#[derive(Debug, Clone, Copy)]
struct Traced {
    update_id: i64,
    sent: SystemTime,
    latency: Duration,
}

impl Run {
    fn per_sec(&self) -> f64 {
        self.latencies.len() as f64 / self.wall.as_secs_f64()
    }

    fn pct(&self, p: f64) -> Duration {
        let mut l = self.latencies.clone();
        l.sort();
        l.get(((l.len().max(1) - 1) as f64 * p).round() as usize)
            .copied()
            .unwrap_or_default()
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

async fn standin(users: i64) -> Result<StandIn> {
    let api = StandIn::start(StandInConfig {
        limits: Limits::unlimited(),
        ..StandInConfig::default()
    })
    .await?;
    for id in 1..=users {
        api.add_user(TestUser::new(id, "Owner").language("en"));
    }
    Ok(api)
}

/// Every chat's `/start`s sent as fast as possible; waits for every reply.
async fn burst_traffic(api: &StandIn) -> Result<Run> {
    let mut cursor = 0;
    let mut asked: HashMap<i64, VecDeque<(Instant, SystemTime, i64)>> = HashMap::new();
    let start = Instant::now();
    for _ in 0..BURST_PER_CHAT {
        for chat in 1..=BURST_CHATS {
            let sent = SystemTime::now();
            let update_id = api.send_text(chat, "/start")?.update_id;
            asked
                .entry(chat)
                .or_default()
                .push_back((Instant::now(), sent, update_id));
        }
        tokio::task::yield_now().await;
    }
    let total = BURST_CHATS as usize * BURST_PER_CHAT;
    let mut latencies = Vec::with_capacity(total);
    let mut traced = Vec::with_capacity(total);
    let mut last = start;
    let deadline = Instant::now() + Duration::from_secs(300);
    while latencies.len() < total {
        if Instant::now() > deadline {
            bail!("only {} of {total} replies within 300 s", latencies.len());
        }
        let new = api.messages_since(cursor);
        cursor += new.len();
        for m in new {
            if let Some((at, sent, update_id)) =
                asked.get_mut(&m.chat_id).and_then(VecDeque::pop_front)
            {
                let latency = m.sent_at.saturating_duration_since(at);
                latencies.push(latency);
                traced.push(Traced {
                    update_id,
                    sent,
                    latency,
                });
                last = last.max(m.sent_at);
            }
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    Ok(Run {
        wall: last.saturating_duration_since(start),
        latencies,
        unexpected: 0,
        traced,
        stages: Vec::new(),
    })
}

/// What an owner does at each step of the cycle, and the reply it waits for.
const CYCLE: [(Action, &str); 5] = [
    (Action::Text("/start"), "property service desk"),
    (Action::Press("Complaint"), "What is the complaint about?"),
    (Action::Press("Noise"), "Please describe"),
    (
        Action::Text("The lift on floor 3 is noisy at night."),
        "Send photos",
    ),
    (Action::Text("/cancel"), "Cancelled."),
];

#[derive(Clone, Copy)]
enum Action {
    Text(&'static str),
    /// The button with this label on the owner's last message.
    Press(&'static str),
}

/// Simulated owners: where each is in the cycle, the reply it waits for.
struct Owners<'a> {
    api: &'a StandIn,
    step: Vec<usize>,
    last: Vec<Option<SentMessage>>,
    /// The update an owner waits on a reply to: when and which.
    waiting: Vec<Option<(Instant, SystemTime, i64)>>,
    cursor: usize,
    latencies: Vec<Duration>,
    traced: Vec<Traced>,
    unexpected: usize,
    outstanding: usize,
}

impl<'a> Owners<'a> {
    fn new(api: &'a StandIn, n: i64) -> Owners<'a> {
        let n = n as usize + 1;
        Owners {
            api,
            step: vec![0; n],
            last: vec![None; n],
            waiting: vec![None; n],
            cursor: api.messages_since(0).len(),
            latencies: Vec::new(),
            traced: Vec::new(),
            unexpected: 0,
            outstanding: 0,
        }
    }

    fn idle(&self, owner: i64) -> bool {
        self.waiting[owner as usize].is_none()
    }

    /// Does step `step` of the cycle as `owner`.
    fn act(&mut self, owner: i64, step: usize) -> Result<()> {
        let i = owner as usize;
        self.step[i] = step;
        let sent = SystemTime::now();
        let update_id = match CYCLE[step].0 {
            Action::Text(text) => self.api.send_text(owner, text)?.update_id,
            Action::Press(label) => {
                let message = self.last[i].as_ref().with_context(|| {
                    format!("owner {owner} has no message to press {label:?} on")
                })?;
                let data = message
                    .callback_data(label)
                    .with_context(|| format!("no button {label:?} on {:?}", message.body()))?;
                self.api
                    .press_button(owner, owner, message.message_id, &data)?
                    .update_id
            }
        };
        self.waiting[i] = Some((Instant::now(), sent, update_id));
        self.outstanding += 1;
        Ok(())
    }

    /// Takes in the replies that arrived.
    fn collect(&mut self) {
        let new = self.api.messages_since(self.cursor);
        self.cursor += new.len();
        for m in new {
            let Ok(i) = usize::try_from(m.chat_id) else {
                continue;
            };
            let Some((at, sent, update_id)) = self.waiting.get_mut(i).and_then(Option::take) else {
                continue;
            };
            self.outstanding -= 1;
            let latency = m.sent_at.saturating_duration_since(at);
            self.latencies.push(latency);
            self.traced.push(Traced {
                update_id,
                sent,
                latency,
            });
            if m.body().contains(CYCLE[self.step[i]].1) {
                self.step[i] = (self.step[i] + 1) % CYCLE.len();
            } else {
                // Lost track of this owner: /cancel brings both bots back
                // to the menu.
                self.unexpected += 1;
                self.step[i] = CYCLE.len() - 1;
            }
            self.last[i] = Some(m);
        }
    }

    /// Waits until every owner has its reply.
    async fn settle(&mut self, patience: Duration) -> Result<()> {
        let deadline = Instant::now() + patience;
        loop {
            self.collect();
            if self.outstanding == 0 {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!(
                    "{} replies still missing after {patience:?}",
                    self.outstanding
                );
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    /// Owners `from`, `from + 1` … take step `step` one at a time; the time
    /// each waited for its reply.
    async fn resume(&mut self, from: i64, step: usize) -> Result<Run> {
        let first = self.latencies.len();
        let start = Instant::now();
        for owner in from..from + RESUMES as i64 {
            self.act(owner, step)?;
            self.settle(Duration::from_secs(30)).await?;
        }
        Ok(Run {
            wall: start.elapsed(),
            latencies: self.latencies.split_off(first),
            unexpected: 0,
            traced: Vec::new(),
            stages: Vec::new(),
        })
    }
}

/// `SUSTAINED_RATE` updates a second for `SUSTAINED_FOR`, each from the
/// next owner (round robin) that has its previous reply.
async fn sustained_traffic(api: &StandIn) -> Result<Run> {
    let mut owners = Owners::new(api, SUSTAINED_OWNERS);
    let start = Instant::now();
    let mut sent: u64 = 0;
    let mut next_owner: i64 = 0;
    let mut stalled: u64 = 0;
    while start.elapsed() < SUSTAINED_FOR {
        owners.collect();
        let due = (start.elapsed().as_secs_f64() * SUSTAINED_RATE) as u64;
        while sent < due {
            let mut picked = None;
            for _ in 0..SUSTAINED_OWNERS {
                next_owner = next_owner % SUSTAINED_OWNERS + 1;
                if owners.idle(next_owner) {
                    picked = Some(next_owner);
                    break;
                }
            }
            let Some(owner) = picked else {
                stalled += 1;
                break;
            };
            let step = owners.step[owner as usize];
            owners.act(owner, step)?;
            sent += 1;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let wall = start.elapsed();
    owners.settle(Duration::from_secs(60)).await?;
    if stalled > 0 {
        eprintln!("sustained: every owner was waiting {stalled} times (the bot fell behind)");
    }
    Ok(Run {
        wall,
        latencies: owners.latencies,
        unexpected: owners.unexpected,
        traced: owners.traced,
        stages: Vec::new(),
    })
}

// ------------------------------------------------------------------ the bots

/// A bot running as a child process.
struct Bot {
    child: tokio::process::Child,
    pid: u32,
    log: PathBuf,
}

impl Bot {
    /// This binary again, as the bare teloxide bot.
    async fn bare(api: &StandIn, dir: &Path) -> Result<Bot> {
        let mut command = tokio::process::Command::new(std::env::current_exe()?);
        command.env(BARE_ENV, "1");
        Bot::spawn(command, api, &dir.join("bare.log")).await
    }

    /// `propdesk serve` on database `database`, limits off.
    async fn propdesk(api: &StandIn, cluster: &Cluster, database: &str) -> Result<Bot> {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_propdesk"));
        command
            .arg("serve")
            .env("DATABASE_URL", cluster.pg.url_for(database))
            .env("PROPDESK_DATA_DIR", cluster.dir().join("unused"))
            .env("PROPDESK_RATE_PER_SEC", "100000")
            .env("PROPDESK_PRIVATE_RATE_PER_SEC", "100000")
            .env("PROPDESK_INBOUND_PER_MINUTE", "100000");
        Bot::spawn(command, api, &cluster.dir().join(format!("{database}.log"))).await
    }

    async fn spawn(mut command: tokio::process::Command, api: &StandIn, log: &Path) -> Result<Bot> {
        let polls_before = api.polls();
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)?;
        command
            .env("TELOXIDE_TOKEN", api.token())
            .env("TELOXIDE_API_URL", api.api_url().as_str())
            .env(
                "PROPDESK_DIALOGUES",
                concat!(env!("CARGO_MANIFEST_DIR"), "/dialogues"),
            )
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .kill_on_drop(true);
        let child = command.spawn().context("starting the bot")?;
        let pid = child.id().context("the bot has no pid")?;
        let bot = Bot {
            child,
            pid,
            log: log.to_path_buf(),
        };
        // Ready when it polls.
        let started = Instant::now();
        while api.polls() <= polls_before {
            if started.elapsed() > Duration::from_secs(60) {
                let log = std::fs::read_to_string(&bot.log).unwrap_or_default();
                bail!("the bot did not poll within 60 s; its log:\n{log}");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        eprintln!("bot ready in {:.1} s", started.elapsed().as_secs_f64());
        Ok(bot)
    }

    fn status_kib(&self, field: &str) -> f64 {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid)).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix(field))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    }

    /// Resident memory now.
    fn rss_mib(&self) -> f64 {
        self.status_kib("VmRSS:") / 1024.0
    }

    /// The most resident memory the process has had.
    fn peak_rss_mib(&self) -> f64 {
        self.status_kib("VmHWM:") / 1024.0
    }

    /// SIGTERM, and SIGKILL if it does not end within 15 s.
    async fn stop(mut self) {
        if let Ok(pid) = i32::try_from(self.pid) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGTERM,
            );
        }
        if tokio::time::timeout(Duration::from_secs(15), self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
        }
    }
}

// ------------------------------------------------------------------ database

/// One embedded PostgreSQL with fsync on (the test clusters turn it off);
/// a database per phase.
struct Cluster {
    dir: PathBuf,
    pg: EmbeddedPostgres,
}

impl Cluster {
    async fn start(dir: &Path) -> Result<Cluster> {
        let data = dir.join("pg");
        let pg = tokio::task::spawn_blocking(move || {
            EmbeddedPostgres::start(&data, Durability::Durable)
        })
        .await??;
        Ok(Cluster {
            dir: dir.to_path_buf(),
            pg,
        })
    }

    fn dir(&self) -> &Path {
        &self.dir
    }

    /// A migrated database named `name` with `owners` registered owners,
    /// Telegram ids 1…`owners`, one unit each.
    async fn database(&self, name: &str, owners: i64) -> Result<PgPool> {
        let admin = db::pool(self.pg.connect_options(), 2).await?;
        sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
            .execute(&admin)
            .await?;
        admin.close().await;
        let pool = db::pool(self.pg.connect_options_for(name), 4).await?;
        db::migrate(&pool).await?;
        sqlx::raw_sql(&format!(
            "INSERT INTO units (code, building, entrance, floor, area_m2)
               SELECT 'B-' || i, '1', '1', 1 + i % 30, 90 FROM generate_series(1, {owners}) i;
             INSERT INTO people (name, phone, telegram_user_id)
               SELECT 'Owner ' || i, '+86139' || lpad(i::text, 8, '0'), i
                 FROM generate_series(1, {owners}) i;
             INSERT INTO unit_members (unit_id, person_id, role, is_default)
               SELECT u.id, p.id, 'owner', TRUE
                 FROM people p JOIN units u ON u.code = 'B-' || p.telegram_user_id;"
        ))
        .execute(&pool)
        .await?;
        Ok(pool)
    }
}

/// Transactions committed in this database so far.
async fn commits(pool: &PgPool) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()",
    )
    .fetch_one(pool)
    .await?)
}

/// Commits since `before`, once the bot's backends have reported theirs
/// (PostgreSQL flushes a busy backend's counts at most once a second).
async fn settled_commits(pool: &PgPool, before: i64) -> Result<f64> {
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // This reading's own transaction is not the bot's.
    Ok((commits(pool).await? - before - 1) as f64)
}

// ------------------------------------------------------------------ table

#[derive(Default)]
struct Table {
    lines: Vec<String>,
}

impl Table {
    fn section(&mut self, title: &str) {
        self.lines.push(String::new());
        self.lines.push(title.to_string());
        self.lines.push(format!(
            "  {:<44} {:>12} {:>12} {:>8}  {}",
            "", "bare", "propdesk", "ratio", "target"
        ));
    }

    fn both(&mut self, what: &str, bare: f64, ours: f64, target: &str) {
        self.lines.push(format!(
            "  {what:<44} {bare:>12.1} {ours:>12.1} {:>8.2}  {target}",
            ours / bare
        ));
    }

    fn both_ms(&mut self, what: &str, bare: &Run, ours: &Run, p: f64, target: &str) {
        self.both(
            &format!("{what}, ms"),
            ms(bare.pct(p)),
            ms(ours.pct(p)),
            target,
        );
    }

    fn ours(&mut self, what: &str, value: f64, target: &str) {
        self.lines.push(format!(
            "  {what:<44} {:>12} {value:>12.2} {:>8}  {target}",
            "", ""
        ));
    }

    /// The engine micro-benchmarks' medians, from criterion's results.
    fn criterion(&mut self, dir: &Path) {
        let mut rows = Vec::new();
        for group in ["step", "start", "load_and_check"] {
            let Ok(entries) = std::fs::read_dir(dir.join(group)) else {
                continue;
            };
            for entry in entries.flatten() {
                let file = entry.path().join("new").join("estimates.json");
                let Ok(text) = std::fs::read_to_string(&file) else {
                    continue;
                };
                let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) else {
                    continue;
                };
                if let Some(ns) = json["median"]["point_estimate"].as_f64() {
                    rows.push((
                        format!("{group}/{}", entry.file_name().to_string_lossy()),
                        ns,
                    ));
                }
            }
        }
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        self.lines.push(String::new());
        self.lines
            .push("engine (criterion, median per call)".to_string());
        for (name, ns) in rows {
            let shown = if ns >= 1e6 {
                format!("{:.2} ms", ns / 1e6)
            } else {
                format!("{:.2} µs", ns / 1e3)
            };
            self.lines.push(format!("  {name:<44} {shown:>25}"));
        }
    }

    fn print(&self) {
        for line in &self.lines {
            println!("{line}");
        }
    }
}

// ------------------------------------------------------------------ confirm → card

const GROUP: i64 = -100_555;
const CARD_OWNERS: i64 = 15;

/// Registered owners each walk the complaint dialogue; the clock starts
/// when they press Yes on the confirmation and stops when the card reaches
/// the staff group (Telegram's default limits, `serve` in this process).
async fn card(cluster: &Cluster, table: &mut Table) -> Result<()> {
    let pool = cluster.database("card", CARD_OWNERS).await?;
    let api = StandIn::start(StandInConfig::default()).await?;
    api.add_group(GROUP, "staff");
    for id in 1..=CARD_OWNERS {
        api.add_user(TestUser::new(id, "Owner").language("en"));
    }
    let mut settings = ServeSettings::new(api.token().to_string());
    settings.api_url = Some(api.api_url());
    settings.dialogues_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/dialogues").into();
    settings.processor.staff_chat_id = Some(GROUP);
    let stop = CancellationToken::new();
    let serve = tokio::spawn(propdesk::app::serve(pool.clone(), settings, stop.clone()));
    tokio::time::sleep(Duration::from_millis(500)).await;

    let mut latencies = Vec::new();
    for owner in 1..=CARD_OWNERS {
        api.send_text(owner, "/start")?;
        press(&api, owner, "property service desk", "Complaint").await?;
        press(&api, owner, "What is the complaint about?", "Noise").await?;
        wait(&api, owner, "Please describe").await?;
        api.send_text(owner, "The lift on floor 3 is noisy at night.")?;
        press(&api, owner, "Send photos", "Skip").await?;
        press(&api, owner, "Where is it?", "My unit").await?;
        let cards_before = api.messages(GROUP).len();
        let confirmed = press(&api, owner, "Please check your complaint", "Yes").await?;
        let cards = api
            .wait_for_messages(GROUP, cards_before + 1, Duration::from_secs(60))
            .await?;
        latencies.push(
            cards[cards_before]
                .sent_at
                .saturating_duration_since(confirmed),
        );
    }
    api.assert_nothing_refused();
    stop.cancel();
    let _ = serve.await;
    pool.close().await;
    let run = Run {
        wall: Duration::ZERO,
        latencies,
        unexpected: 0,
        traced: Vec::new(),
        stages: Vec::new(),
    };
    table.section(&format!(
        "confirm → card in the staff group ({CARD_OWNERS} complaints, Telegram's limits)"
    ));
    table.ours("p50, ms", ms(run.pct(0.5)), "");
    table.ours("max, ms", ms(run.pct(1.0)), "");
    Ok(())
}

async fn wait(api: &StandIn, chat: i64, needle: &str) -> Result<SentMessage> {
    api.wait_for_message(chat, |m| m.body().contains(needle), Duration::from_secs(60))
        .await
        .with_context(|| format!("chat {chat} waiting for {needle:?}"))
}

/// Waits for the newest message containing `needle` and presses `label`;
/// returns when the press was made.
async fn press(api: &StandIn, chat: i64, needle: &str, label: &str) -> Result<Instant> {
    wait(api, chat, needle).await?;
    let message = api
        .messages(chat)
        .into_iter()
        .rev()
        .find(|m| m.body().contains(needle))
        .context("the message just seen")?;
    let data = message
        .callback_data(label)
        .with_context(|| format!("no button {label:?} on {:?}", message.body()))?;
    let at = Instant::now();
    api.press_button(chat, chat, message.message_id, &data)?;
    Ok(at)
}

// ------------------------------------------------------------------ the bare bot

/// The bare bot: teloxide's polling `Dispatcher` (one chat in order, chats in
/// parallel), dialogue state in a map in memory, the same engine, texts and
/// keyboards as propdesk, answers sent from the handler. It keeps nothing.
mod bare {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};

    use anyhow::Result;
    use chrono::Utc;
    use propdesk::engine::{self, Dialogues, Facts, Input, State, Step, UnitFact};
    use propdesk::i18n::Lang;
    use propdesk::outbox::Request;
    use propdesk::processor::features::dialogue::{dialogue_for_menu, requests_for};
    use propdesk::processor::features::menu::main_menu;
    use propdesk::telegram::callback::Callback;
    use propdesk::texts;
    use teloxide::prelude::*;

    struct Shared {
        dialogues: Dialogues,
        states: Mutex<HashMap<ChatId, State>>,
    }

    pub fn main() -> Result<()> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        runtime.block_on(async {
            let url: url::Url = std::env::var("TELOXIDE_API_URL")?.parse()?;
            let bot = Bot::from_env().set_api_url(url);
            let dir = std::env::var("PROPDESK_DIALOGUES")?;
            let shared = Arc::new(Shared {
                dialogues: propdesk::app::load_dialogues(std::path::Path::new(&dir))?,
                states: Mutex::new(HashMap::new()),
            });
            let handler = dptree::entry()
                .branch(Update::filter_message().endpoint(on_message))
                .branch(Update::filter_callback_query().endpoint(on_callback));
            Dispatcher::builder(bot, handler)
                .dependencies(dptree::deps![shared])
                .build()
                .dispatch()
                .await;
            Ok(())
        })
    }

    fn facts() -> Facts {
        Facts {
            registered: true,
            default_unit: Some("B-1".into()),
            units: vec![UnitFact {
                code: "B-1".into(),
                role: "owner".into(),
                is_default: true,
            }],
            timezone: chrono_tz::Asia::Shanghai,
            duty_phone: "0755-8888 0000".into(),
        }
    }

    fn lang_of(user: Option<&teloxide::types::User>) -> Lang {
        Lang::from_language_code(user.and_then(|u| u.language_code.as_deref()))
    }

    async fn on_message(bot: Bot, msg: Message, shared: Arc<Shared>) -> ResponseResult<()> {
        let chat = msg.chat.id;
        let lang = lang_of(msg.from.as_ref());
        let text = msg.text().unwrap_or_default().trim().to_string();
        let requests = {
            let mut states = shared.states.lock().unwrap_or_else(|e| e.into_inner());
            match (text.as_str(), states.get(&chat).cloned()) {
                ("/start" | "/menu", _) => vec![Request::text_with(
                    texts::WELCOME.get(lang),
                    main_menu(lang),
                )],
                ("/cancel", None) => vec![Request::text_with(
                    texts::NOTHING_TO_CANCEL.get(lang),
                    main_menu(lang),
                )],
                ("/cancel", Some(state)) => {
                    step(&shared, &mut states, chat, &state, &Input::Cancel, lang)
                }
                (_, Some(state)) => step(
                    &shared,
                    &mut states,
                    chat,
                    &state,
                    &Input::Text(text.clone()),
                    lang,
                ),
                (_, None) => vec![Request::text_with(
                    texts::UNKNOWN_TEXT.get(lang),
                    main_menu(lang),
                )],
            }
        };
        send(&bot, chat, requests).await
    }

    async fn on_callback(bot: Bot, q: CallbackQuery, shared: Arc<Shared>) -> ResponseResult<()> {
        bot.answer_callback_query(q.id.clone()).await?;
        let Some(chat) = q.message.as_ref().map(|m| m.chat().id) else {
            return Ok(());
        };
        let lang = lang_of(Some(&q.from));
        let requests = {
            let mut states = shared.states.lock().unwrap_or_else(|e| e.into_inner());
            match q.data.as_deref().and_then(Callback::decode) {
                Some(Callback::Menu(item)) => {
                    match dialogue_for_menu(item.as_str()).and_then(|id| shared.dialogues.get(id)) {
                        Some(dialogue) => {
                            let started = engine::start(dialogue, lang, &facts(), Utc::now());
                            settle(&mut states, chat, started, lang)
                        }
                        None => Vec::new(),
                    }
                }
                Some(Callback::Dialogue(data)) => match states.get(&chat).cloned() {
                    Some(state) => step(
                        &shared,
                        &mut states,
                        chat,
                        &state,
                        &Input::Button(data),
                        lang,
                    ),
                    None => vec![Request::text(texts::BUTTON_EXPIRED.get(lang))],
                },
                _ => Vec::new(),
            }
        };
        send(&bot, chat, requests).await
    }

    fn step(
        shared: &Shared,
        states: &mut HashMap<ChatId, State>,
        chat: ChatId,
        state: &State,
        input: &Input,
        lang: Lang,
    ) -> Vec<Request> {
        let Some(dialogue) = shared.dialogues.get(&state.dialogue) else {
            return Vec::new();
        };
        let next = engine::step(dialogue, state, input, &facts(), Utc::now());
        settle(states, chat, next, lang)
    }

    fn settle(
        states: &mut HashMap<ChatId, State>,
        chat: ChatId,
        step: Step,
        lang: Lang,
    ) -> Vec<Request> {
        let ended = step.state.is_none();
        match step.state {
            Some(state) => {
                states.insert(chat, state);
            }
            None => {
                states.remove(&chat);
            }
        }
        requests_for(step.replies, ended, lang)
    }

    async fn send(bot: &Bot, chat: ChatId, requests: Vec<Request>) -> ResponseResult<()> {
        for request in requests {
            if let Request::SendMessage {
                text, reply_markup, ..
            } = request
            {
                let mut send = bot.send_message(chat, text);
                if let Some(markup) = reply_markup {
                    send = send.reply_markup(markup);
                }
                send.await?;
            }
        }
        Ok(())
    }
}
