//! PostgreSQL restarts mid-traffic: owners walk their dialogues against the
//! real `serve` on a PostgreSQL server of the test's own (a throwaway
//! cluster, as `db::testing` starts one), which is stopped (fast shutdown)
//! and started again 10 s later. `serve` must log, wait, reconnect and
//! catch up without exiting: every update processed once, every reply sent,
//! nothing parked because of the outage.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use propdesk::db::{Durability, EmbeddedPostgres};
use propdesk::standin::{StandIn, StandInConfig};

use crate::owners::{self, Owner};
use crate::process::{self, BotOptions};

const OWNERS: usize = 20;
const OUTAGE: Duration = Duration::from_secs(10);

async fn start_server(dir: PathBuf) -> EmbeddedPostgres {
    tokio::task::spawn_blocking(move || EmbeddedPostgres::start(&dir, Durability::Throwaway))
        .await
        .expect("join")
        .expect("start PostgreSQL")
}

#[tokio::test]
async fn postgres_stopped_mid_traffic_and_back_10_s_later_loses_nothing() {
    let data = tempfile::tempdir().expect("a temporary folder");
    let mut server = start_server(data.path().to_path_buf()).await;
    let url = server.url();
    // The test's own pool: sqlx replaces connections that died with the server.
    let pool = propdesk::db::pool(server.connect_options(), 4)
        .await
        .expect("connect");
    propdesk::db::migrate(&pool).await.expect("migrate");
    owners::seed(&pool, OWNERS).await;
    let api = StandIn::start(StandInConfig::unlimited())
        .await
        .expect("stand-in");
    let mut bot = process::spawn(
        &api,
        &BotOptions {
            database_url: url,
            ..BotOptions::default()
        },
    );

    let mut walks = Vec::new();
    for n in 0..OWNERS {
        let mut owner = Owner::new(&api, n, Duration::from_secs(90));
        let delay = Duration::from_millis(100 * n as u64);
        walks.push(tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let result = owner.walk().await;
            (owner, result)
        }));
    }

    // Let traffic get going, then stop the server under it.
    let deadline = Instant::now() + Duration::from_secs(60);
    while api.accepted_sends() < 60 {
        assert!(Instant::now() < deadline, "traffic never got going");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let sent_before = api.accepted_sends();
    let stopped_at = Instant::now();
    tokio::task::spawn_blocking(move || {
        server.stop();
        server
    })
    .await
    .expect("join");
    let stopped_in = stopped_at.elapsed();
    tokio::time::sleep(OUTAGE).await;
    bot.assert_running("during the outage");
    let sent_during = api.accepted_sends() - sent_before;
    let _server = start_server(data.path().to_path_buf()).await;
    let back = Instant::now();
    let deadline = back + Duration::from_secs(60);
    let after = api.accepted_sends();
    while api.accepted_sends() == after {
        assert!(
            Instant::now() < deadline,
            "nothing was sent after the restart"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let first_send_after = back.elapsed();

    let mut done = Vec::new();
    for walk in walks {
        let (owner, result) = walk.await.expect("an owner's task");
        if let Err(e) = result {
            panic!("owner {} did not finish: {e:#}", owner.id);
        }
        done.push(owner);
    }
    let caught_up = back.elapsed();
    owners::settle(&api, &pool, Duration::from_secs(60))
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
    bot.assert_running("after the outage");
    let tally = owners::tally(&api, &pool, &done)
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
    let warnings = bot.lines_with("WARN").len() + bot.lines_with("ERROR").len();
    println!(
        "postgres restart: stopped in {stopped_in:?} after {sent_before} sends, down {OUTAGE:?} \
         ({sent_during} sends meanwhile), first send {first_send_after:?} after it was back, \
         all {OWNERS} owners done {caught_up:?} after; {} updates each processed once, {} tickets, \
         {} parked, 0 lost; {} duplicate(s), {} reported ambiguous; serve kept running and logged \
         {warnings} warning/error line(s)",
        tally.updates, tally.tickets, tally.parked, tally.duplicates, tally.ambiguous
    );
    assert!(
        tally.duplicates <= tally.ambiguous,
        "every duplicate is reported: {tally:?}"
    );
    assert!(warnings > 0, "the outage is logged");
    bot.kill().await;
    pool.close().await;
    api.assert_nothing_refused();
    api.shutdown().await;
}
