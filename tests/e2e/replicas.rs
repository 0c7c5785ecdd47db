//! Two replicas on one database: two real `serve` processes, in polling
//! mode and in webhook mode (behind a small round-robin balancer, as a
//! deployment would put them). Owners walk their dialogues across both;
//! then the replica holding the sender (and in polling mode the poller) is
//! SIGKILLed, twice, the other taking over each time.
//!
//! Checked: no update processed twice and every reply sent (exact ticket
//! counts, nothing parked), no message sent twice while both run, after a
//! kill no more duplicates than the sends in flight (reported ambiguous),
//! and each role taken over within 10 s of its holder's death — measured
//! from the kill to the survivor's "intake is polling" / "sender is active",
//! and end to end as the time an owner's /start sent right after the kill
//! waits for its answer.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use propdesk::db::testing::fresh_database;
use propdesk::standin::{StandIn, StandInConfig, TestUser};

use crate::owners::{self, Owner};
use crate::process::{self, Bot, BotOptions};

const INTAKE: &str = "intake is polling Telegram";
const SENDER: &str = "sender is active";
/// Owners who walk while both replicas run, then while they are killed.
const CALM: usize = 10;
const STORMY: usize = 10;
const FAILOVER_LIMIT: Duration = Duration::from_secs(10);

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

#[derive(Clone)]
struct Balancer {
    backends: Vec<String>,
    next: Arc<AtomicUsize>,
    client: reqwest::Client,
}

/// Forwards each webhook call to the next backend, or the other when that
/// one does not answer (a dead replica): what a load balancer does.
async fn forward(State(lb): State<Balancer>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let first = lb.next.fetch_add(1, Ordering::Relaxed);
    for i in 0..lb.backends.len() {
        let url = &lb.backends[(first + i) % lb.backends.len()];
        let mut request = lb.client.post(url).body(body.clone());
        for name in ["content-type", "x-telegram-bot-api-secret-token"] {
            if let Some(v) = headers.get(name) {
                request = request.header(name, v);
            }
        }
        if let Ok(answer) = request.send().await {
            return StatusCode::from_u16(answer.status().as_u16())
                .unwrap_or(StatusCode::BAD_GATEWAY);
        }
    }
    StatusCode::BAD_GATEWAY
}

async fn start_balancer(backends: Vec<String>) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the balancer");
    let addr = listener.local_addr().expect("balancer address");
    let lb = Balancer {
        backends,
        next: Arc::new(AtomicUsize::new(0)),
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .expect("an HTTP client"),
    };
    let app = Router::new()
        .route("/telegram/hook", post(forward))
        .with_state(lb);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    addr
}

/// Which of `bots` logged `needle` since it started (the role's holder).
fn holder(bots: &[Bot], needle: &str, since: &[Instant]) -> Option<usize> {
    (0..bots.len()).find(|i| bots[*i].logged_after(needle, since[*i]).is_some())
}

async fn wait_for_holder(bots: &[Bot], needle: &str, since: &[Instant]) -> usize {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(i) = holder(bots, needle, since) {
            return i;
        }
        assert!(Instant::now() < deadline, "nobody took the role {needle:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn walk_all(api: &StandIn, from: usize, count: usize) -> Vec<Owner> {
    let mut walks = Vec::new();
    for n in from..from + count {
        let mut owner = Owner::new(api, n, Duration::from_secs(60));
        let delay = Duration::from_millis(80 * (n - from) as u64);
        walks.push(tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let result = owner.walk().await;
            (owner, result)
        }));
    }
    let mut done = Vec::new();
    for walk in walks {
        let (owner, result) = walk.await.expect("an owner's task");
        if let Err(e) = result {
            panic!("owner {} did not finish: {e:#}", owner.id);
        }
        done.push(owner);
    }
    done
}

/// One failover: what was measured.
#[derive(Debug)]
struct Failover {
    killed: usize,
    intake: Option<Duration>,
    sender: Duration,
    probe: Duration,
}

async fn two_replicas(webhook: bool) {
    let mode = if webhook { "webhook" } else { "polling" };
    let db = fresh_database().await.expect("test database");
    owners::seed(&db.pool, CALM + STORMY).await;
    let api = StandIn::start(StandInConfig::unlimited())
        .await
        .expect("stand-in");
    let ports = [free_port(), free_port()];
    let lb = if webhook {
        let backends = ports
            .iter()
            .map(|p| format!("http://127.0.0.1:{p}/telegram/hook"))
            .collect();
        Some(start_balancer(backends).await)
    } else {
        None
    };
    let options = |i: usize| BotOptions {
        database_url: db.url.clone(),
        log: Some("info,sqlx=warn".into()),
        webhook: lb.map(|addr| {
            (
                format!("http://{addr}/telegram/hook"),
                format!("127.0.0.1:{}", ports[i]),
            )
        }),
    };
    let mut since = [Instant::now(), Instant::now()];
    let mut bots = vec![process::spawn(&api, &options(0))];
    // The first takes the roles; the second starts as the standby.
    let _ = wait_for_holder(&bots, SENDER, &since).await;
    since[1] = Instant::now();
    bots.push(process::spawn(&api, &options(1)));
    let deadline = Instant::now() + Duration::from_secs(30);
    while bots[1]
        .logged_after("another replica holds this role", since[1])
        .is_none()
        && bots[1]
            .logged_after("webhook registered", since[1])
            .is_none()
    {
        assert!(
            Instant::now() < deadline,
            "the second replica never came up"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Both running: no message twice.
    let calm = walk_all(&api, 0, CALM).await;
    owners::settle(&api, &db.pool, Duration::from_secs(30))
        .await
        .unwrap_or_else(|e| panic!("{mode}: {e:#}"));
    let calm_tally = owners::tally(&api, &db.pool, &calm)
        .await
        .unwrap_or_else(|e| panic!("{mode}: {e:#}"));
    assert_eq!(
        calm_tally.duplicates, 0,
        "{mode}: a message was sent twice while both replicas ran"
    );

    // Kill the sender's holder twice while owners walk.
    let stormy = {
        let api = api.clone();
        tokio::spawn(async move { walk_all(&api, CALM, STORMY).await })
    };
    let mut failovers = Vec::new();
    let mut in_flight = 0i64;
    for round in 0..2 {
        tokio::time::sleep(Duration::from_millis(1_500)).await;
        let victim = wait_for_holder(&bots, SENDER, &since).await;
        let other = 1 - victim;
        let polled_by_victim = !webhook && holder(&bots, INTAKE, &since) == Some(victim);
        bots[victim].kill().await;
        let killed = Instant::now();
        in_flight +=
            sqlx::query_scalar::<_, i64>("SELECT count(*) FROM outbox WHERE status = 'sending'")
                .fetch_one(&db.pool)
                .await
                .expect("count sends in flight");
        // An owner asks right after the kill.
        let probe = 990_000 + round;
        api.add_user(TestUser::new(probe, "Probe").language("en"));
        api.send_text(probe, "/start").expect("send /start");
        let answered = api
            .wait_for_message(
                probe,
                |m| m.body().contains("property service desk"),
                Duration::from_secs(30),
            )
            .await;
        let probe_waited = killed.elapsed();
        answered.unwrap_or_else(|e| panic!("{mode} round {round}: the probe got no answer: {e:#}"));
        let took = |needle: &str| {
            bots[other]
                .logged_after(needle, killed)
                .map(|at| at.saturating_duration_since(killed))
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while took(SENDER).is_none() || (polled_by_victim && took(INTAKE).is_none()) {
            assert!(
                Instant::now() < deadline,
                "{mode}: the survivor never took over"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        failovers.push(Failover {
            killed: victim,
            intake: if polled_by_victim { took(INTAKE) } else { None },
            sender: took(SENDER).unwrap_or_default(),
            probe: probe_waited,
        });
        bots[other].assert_running("the survivor");
        // The killed one comes back as the standby.
        since[victim] = Instant::now();
        bots[victim] = process::spawn(&api, &options(victim));
    }
    let stormy = stormy.await.expect("the owners' walks");
    owners::settle(&api, &db.pool, Duration::from_secs(60))
        .await
        .unwrap_or_else(|e| panic!("{mode}: {e:#}"));
    let tally = owners::tally(&api, &db.pool, &stormy)
        .await
        .unwrap_or_else(|e| panic!("{mode}: {e:#}"));
    println!(
        "two replicas ({mode}): calm: {} owners, {} updates, {} tickets, 0 duplicates; \
         with kills: {} updates, {} tickets, {} parked, 0 lost, {} duplicate(s), \
         {in_flight} send(s) in flight at the kills, {} reported ambiguous; failovers: {}",
        calm_tally.owners,
        calm_tally.updates,
        calm_tally.tickets,
        tally.updates,
        tally.tickets,
        tally.parked,
        tally.duplicates,
        tally.ambiguous,
        failovers
            .iter()
            .map(|f| format!(
                "replica {} killed: poller took over in {:?}, sender in {:?}, an owner's /start \
                 sent at the kill answered in {:?}",
                f.killed, f.intake, f.sender, f.probe
            ))
            .collect::<Vec<_>>()
            .join("; "),
    );
    assert!(tally.duplicates <= in_flight, "{mode}: {tally:?}");
    for f in &failovers {
        assert!(f.sender <= FAILOVER_LIMIT, "{mode}: {f:?}");
        assert!(
            f.intake.is_none_or(|t| t <= FAILOVER_LIMIT),
            "{mode}: {f:?}"
        );
        assert!(f.probe <= FAILOVER_LIMIT, "{mode}: {f:?}");
    }
    for bot in &mut bots {
        bot.kill().await;
    }
    api.assert_nothing_refused();
    api.shutdown().await;
}

#[tokio::test]
async fn two_polling_replicas_share_one_database_and_fail_over_within_10_s() {
    two_replicas(false).await;
}

#[tokio::test]
async fn two_webhook_replicas_behind_a_balancer_fail_over_within_10_s() {
    two_replicas(true).await;
}
