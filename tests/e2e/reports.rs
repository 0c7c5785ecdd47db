//! Managers' reports in Telegram, on a seeded November 2025 whose every
//! figure is known:
//!
//! manager: /report 2025-11
//! bot: 📊 Office report: Nov 2025 / Tickets: 5 (…) / On time: first response 75% (3/4) …
//! bot: [photo] Tickets and deadlines (1/2)   bot: [photo] Satisfaction, notices and activities (2/2)
//! manager: [Download the spreadsheet (XLSX)]   bot: [document] report-2025-11.xlsx
//! manager: [Download as CSV]   bot: [document] report-2025-11.csv (the same figures)
//! manager: /report 2025-06
//! bot: Nothing to report for Jun 2025: no tickets, notices, activities or survey answers. (no chart)

use chrono::{DateTime, TimeZone, Utc};
use propdesk::domain::report::{self, Period};
use propdesk::reports::chart::{image_size, png_size};
use propdesk::reports::csv::BOM;
use propdesk::standin::TestUser;
use sqlx::PgPool;

use crate::support::spawn_app;

const MANAGER: i64 = 910;
const LI: i64 = 911;
const ZHAO: i64 = 912;
const BUTLER: i64 = 913;

fn local(m: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    chrono_tz::Asia::Shanghai
        .with_ymd_and_hms(2025, m, d, h, mi, 0)
        .unwrap()
        .with_timezone(&Utc)
}

async fn exec(pool: &PgPool, sql: &str) {
    sqlx::raw_sql(sql).execute(pool).await.unwrap();
}

/// November 2025: five tickets (one cancelled, one from October outside
/// the month), three rated; two survey quarters; one notice with RSVP; one
/// activity with a waiting list; staff in two departments and one without.
async fn seed_november(pool: &PgPool) {
    exec(
        pool,
        "INSERT INTO units (code, building, entrance, floor, area_m2) VALUES
           ('1-1-101', '1', '1', 1, 80), ('1-1-201', '1', '1', 2, 80), ('2-1-101', '2', '1', 1, 80);
         INSERT INTO staff (telegram_user_id, name, role, department) VALUES
           (910, 'Wang', 'manager', '客服部'), (911, 'Li', 'butler', '工程部'), (912, 'Zhao', 'butler', NULL),
           (913, 'Sun', 'butler', NULL);
         INSERT INTO people (name, phone, telegram_user_id, language) VALUES
           ('Owner A', '+8613900000001', 5001, 'en'), ('Owner B', '+8613900000002', 5002, 'zh'),
           ('Owner C', '+8613900000003', 5003, 'en');",
    )
    .await;
    let unit = |code: &str| format!("(SELECT id FROM units WHERE code = '{code}')");
    let ts = |t: DateTime<Utc>| format!("'{}'::timestamptz", t.to_rfc3339());
    let ticket = |kind: &str,
                  unit_sql: String,
                  status: &str,
                  created: DateTime<Utc>,
                  due_resp: DateTime<Utc>,
                  resp: Option<DateTime<Utc>>,
                  due_res: DateTime<Utc>,
                  res: Option<DateTime<Utc>>,
                  rating: Option<i32>,
                  assignee: Option<i64>| {
        format!(
            "INSERT INTO tickets (kind, unit_id, status, created_at, due_response_at, first_response_at,
                                  due_resolve_at, resolved_at, rating, assignee)
             VALUES ('{kind}', {unit_sql}, '{status}', {}, {}, {}, {}, {}, {}, {});",
            ts(created),
            ts(due_resp),
            resp.map_or("NULL".into(), ts),
            ts(due_res),
            res.map_or("NULL".into(), ts),
            rating.map_or("NULL".into(), |r| r.to_string()),
            assignee.map_or("NULL".into(), |a| a.to_string()),
        )
    };
    let sql = [
        // Repair, on time twice, 5 stars.
        ticket(
            "repair",
            unit("1-1-101"),
            "resolved",
            local(11, 3, 10, 0),
            local(11, 3, 10, 30),
            Some(local(11, 3, 10, 20)),
            local(11, 3, 14, 0),
            Some(local(11, 3, 13, 0)),
            Some(5),
            Some(LI),
        ),
        // Repair, late twice, 3 stars.
        ticket(
            "repair",
            unit("1-1-201"),
            "resolved",
            local(11, 5, 9, 0),
            local(11, 5, 9, 30),
            Some(local(11, 5, 10, 0)),
            local(11, 5, 13, 0),
            Some(local(11, 6, 9, 0)),
            Some(3),
            Some(LI),
        ),
        // Complaint: answered on time, never resolved, deadline passed.
        ticket(
            "complaint",
            unit("2-1-101"),
            "claimed",
            local(11, 10, 9, 0),
            local(11, 10, 13, 0),
            Some(local(11, 10, 9, 30)),
            local(11, 12, 9, 0),
            None,
            None,
            Some(ZHAO),
        ),
        // Consultation without a unit, on time twice, 4 stars.
        ticket(
            "consultation",
            "NULL".into(),
            "resolved",
            local(11, 20, 9, 0),
            local(11, 20, 11, 0),
            Some(local(11, 20, 9, 10)),
            local(11, 21, 9, 0),
            Some(local(11, 20, 10, 0)),
            Some(4),
            Some(MANAGER),
        ),
        // Cancelled: counted, never judged.
        ticket(
            "complaint",
            unit("1-1-101"),
            "cancelled",
            local(11, 28, 9, 0),
            local(11, 28, 13, 0),
            None,
            local(11, 30, 9, 0),
            None,
            None,
            None,
        ),
        // October: outside the month.
        ticket(
            "repair",
            unit("2-1-101"),
            "resolved",
            local(10, 30, 9, 0),
            local(10, 30, 9, 30),
            Some(local(10, 30, 11, 0)),
            local(10, 31, 9, 0),
            Some(local(11, 2, 9, 0)),
            Some(1),
            Some(LI),
        ),
    ]
    .join("\n");
    exec(pool, &sql).await;
    exec(
        pool,
        &format!(
            "INSERT INTO surveys (code, started_at) VALUES ('2025Q3', {}), ('2025Q4', {});
             INSERT INTO survey_responses (survey_id, unit_id, answers, created_at) VALUES
               ((SELECT id FROM surveys WHERE code = '2025Q3'), {}, '{{\"overall\": 3, \"cleanliness\": 3}}', {}),
               ((SELECT id FROM surveys WHERE code = '2025Q4'), {}, '{{\"overall\": 4, \"cleanliness\": 5}}', {}),
               ((SELECT id FROM surveys WHERE code = '2025Q4'), {}, '{{\"overall\": 5, \"cleanliness\": 4}}', {});",
            ts(local(8, 1, 9, 0)),
            ts(local(11, 1, 9, 0)),
            unit("1-1-101"),
            ts(local(8, 2, 9, 0)),
            unit("1-1-101"),
            ts(local(11, 2, 9, 0)),
            unit("2-1-101"),
            ts(local(11, 3, 9, 0)),
        ),
    )
    .await;
    // One notice with RSVP to three owners: two delivered (one joined, one
    // declined), one failed.
    exec(
        pool,
        &format!(
            "INSERT INTO broadcasts (id, author_user_id, author_chat_id, status, audience, text, rsvp,
                                     recipients, confirmed_at, starts_at)
             VALUES (1, 910, 910, 'done', '{{\"kind\": \"all\"}}', 'Tree planting', TRUE, 3, {0}, {0});
             INSERT INTO outbox (id, chat_id, lane, request, status) VALUES
               (1, 5001, 3, '{{}}', 'sent'), (2, 5002, 3, '{{}}', 'sent'), (3, 5003, 3, '{{}}', 'failed');
             INSERT INTO broadcast_recipients (broadcast_id, chat_id, language, outbox_id, rsvp) VALUES
               (1, 5001, 'en', 1, 'join'), (1, 5002, 'zh', 2, 'decline'), (1, 5003, 'en', 3, NULL);
             INSERT INTO activities (id, title, starts_at, place, capacity, created_by, created_at)
             VALUES (1, '植树', {1}, 'North lawn', 2, 910, {0});
             INSERT INTO activity_rsvps (activity_id, chat_id, status, joined_at, attended, rating, comment, feedback_at)
             VALUES (1, 5001, 'joined', {0}, TRUE, 5, 'Great', {1}),
                    (1, 5002, 'joined', {0}, FALSE, NULL, NULL, NULL),
                    (1, 5003, 'waiting', {0}, NULL, NULL, NULL, NULL);",
            ts(local(11, 15, 10, 0)),
            ts(local(11, 22, 14, 0)),
        ),
    )
    .await;
    // The rows above chose their ids: move the sequences past them, so what
    // the bot writes next does not collide.
    exec(
        pool,
        "SELECT setval(pg_get_serial_sequence('outbox', 'id'), (SELECT max(id) FROM outbox));
         SELECT setval(pg_get_serial_sequence('broadcasts', 'id'), (SELECT max(id) FROM broadcasts));
         SELECT setval(pg_get_serial_sequence('activities', 'id'), (SELECT max(id) FROM activities));",
    )
    .await;
}

/// A report's CSV file as its blocks: (name, rows with the header first).
fn csv_blocks(bytes: &[u8]) -> Vec<(String, Vec<Vec<String>>)> {
    let text = std::str::from_utf8(bytes.strip_prefix(BOM).unwrap_or(bytes)).unwrap();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut blocks: Vec<(String, Vec<Vec<String>>)> = Vec::new();
    let mut new_block = true;
    for record in reader.records() {
        let record: Vec<String> = record.unwrap().iter().map(str::to_string).collect();
        if record.iter().all(String::is_empty) {
            new_block = true;
        } else if new_block {
            blocks.push((record[0].clone(), Vec::new()));
            new_block = false;
        } else {
            blocks.last_mut().unwrap().1.push(record);
        }
    }
    blocks
}

#[tokio::test]
async fn a_seeded_month_reports_every_figure_it_holds() {
    let app = spawn_app().await;
    let pool = &app.db.pool;
    seed_november(pool).await;
    let tz = chrono_tz::Asia::Shanghai;
    let mut conn = pool.acquire().await.unwrap();
    let f = report::figures(&mut conn, Period::month(2025, 11).unwrap(), tz, Utc::now())
        .await
        .unwrap();
    drop(conn);
    let tk = &f.tickets;
    assert_eq!(tk.total, 5);
    let cell = |k: &str, b: &str| tk.count(k, b);
    assert_eq!(
        (
            cell("repair", "1"),
            cell("complaint", "2"),
            cell("complaint", "1"),
            cell("consultation", "")
        ),
        (2, 1, 1, 1)
    );
    assert_eq!(tk.by_kind_building.len(), 4);
    let all = tk.overall();
    assert_eq!(
        (
            all.tickets,
            all.response_on_time,
            all.response_late,
            all.resolve_on_time,
            all.resolve_late
        ),
        (5, 3, 1, 2, 2)
    );
    assert_eq!(all.response_percent(), Some(75.0));
    assert_eq!(all.resolve_percent(), Some(50.0));
    let kind = |k: &str| tk.deadlines.iter().find(|d| d.kind == k).unwrap().clone();
    let repair = kind("repair");
    assert_eq!(
        (
            repair.tickets,
            repair.response_on_time,
            repair.response_late
        ),
        (2, 1, 1)
    );
    assert_eq!((repair.resolve_on_time, repair.resolve_late), (1, 1));
    let complaint = kind("complaint");
    assert_eq!(
        (
            complaint.tickets,
            complaint.response_on_time,
            complaint.response_late,
            complaint.resolve_on_time,
            complaint.resolve_late
        ),
        (2, 1, 0, 0, 1)
    );
    let consultation = kind("consultation");
    assert_eq!(
        (consultation.response_on_time, consultation.resolve_on_time),
        (1, 1)
    );
    // Responses after 20, 60, 30, 10 minutes; resolutions after 180, 1440, 60.
    assert_eq!(tk.median_response_minutes, Some(25.0));
    assert_eq!(tk.median_resolve_minutes, Some(180.0));
    assert_eq!(tk.ratings, [0, 0, 1, 1, 1]);
    assert_eq!(tk.average_rating(), Some(4.0));
    assert_eq!(f.survey_responses, 2);
    let trend: Vec<(String, i64, Option<f64>)> = f
        .survey_trend
        .iter()
        .map(|q| (q.code.clone(), q.responses, q.mean))
        .collect();
    assert_eq!(
        trend,
        vec![
            ("2025Q3".into(), 1, Some(3.0)),
            ("2025Q4".into(), 2, Some(4.5))
        ]
    );
    let b = &f.broadcasts;
    assert_eq!(
        (
            b.notices,
            b.recipients,
            b.delivered,
            b.with_rsvp,
            b.join,
            b.decline,
            b.recalled
        ),
        (1, 3, 2, 1, 1, 1, 0)
    );
    let [a] = f.activities.as_slice() else {
        panic!("{:?}", f.activities)
    };
    assert_eq!(
        (
            a.title.as_str(),
            a.capacity,
            a.joined,
            a.waiting,
            a.attended,
            a.ratings,
            a.average_rating
        ),
        ("植树", 2, 2, 1, 1, 1, Some(5.0))
    );
    assert_eq!(a.comments, vec!["Great".to_string()]);
    /// Name, department, assigned, resolved, on time, late, rating.
    type StaffRow = (String, String, i64, i64, i64, i64, Option<f64>);
    let staff: Vec<StaffRow> = f
        .staff
        .iter()
        .map(|s| {
            (
                s.name.clone(),
                s.department.clone(),
                s.assigned,
                s.resolved,
                s.resolve_on_time,
                s.resolve_late,
                s.average_rating,
            )
        })
        .collect();
    assert_eq!(
        staff,
        vec![
            ("#2 Li".into(), "工程部".into(), 2, 2, 1, 1, Some(4.0)),
            ("#1 Wang".into(), "客服部".into(), 1, 1, 1, 0, Some(4.0)),
            ("#3 Zhao".into(), String::new(), 1, 0, 0, 1, None),
        ]
    );
    let departments: Vec<(String, i64, Option<f64>)> = f
        .departments
        .iter()
        .map(|d| (d.department.clone(), d.assigned, d.resolve_percent()))
        .collect();
    assert_eq!(
        departments,
        vec![
            ("工程部".into(), 2, Some(50.0)),
            ("客服部".into(), 1, Some(100.0)),
            (String::new(), 1, Some(0.0)),
        ]
    );
    assert!(!f.is_empty() && !f.activity_overdue(tz));

    // The same month in Telegram: the summary names the figures, two charts
    // follow as PNG photos of the size their panels make, and the
    // spreadsheet comes on request.
    app.api
        .add_started_user(TestUser::new(MANAGER, "Wang").language("en"));
    app.say(MANAGER, "/report 2025-11");
    let summary = app.expect_message(MANAGER, "Office report: Nov 2025").await;
    for line in [
        "Tickets: 5 (Complaint 2 · Repair 2 · Question 1)",
        "On time: first response 75% (3/4), resolution 50% (2/4)",
        "Median time: to first response 25 min, to resolution 3.0 h",
        "Ratings: 4.00 on average (3 given)",
        "Survey 2025Q4: 4.50 on average (2 answers)",
        "Notices: 1, delivered to 2 of 3; RSVP join 1 · can't come 1",
        "• 植树 (2025-11-22 14:00): joined 2/2, waiting 1, attended 1, rating 5.00 (1), 1 comment",
        "“Great”",
        "• #2 Li: 2 / 2 / 50% / 4.00",
        "• #3 Zhao: 1 / 0 / 0% / —",
        // The roster writes 工程部; the English report names the department in English.
        "• Engineering: 2 / 2 / 50% / 4.00",
        "• no department: 1 / 0 / 0% / —",
    ] {
        assert!(
            summary.body().contains(line),
            "{line:?} missing from\n{}",
            summary.body()
        );
    }
    assert!(!summary.body().contains("six months"), "{}", summary.body());
    let photos = app
        .api
        .wait_for_messages(MANAGER, 3, crate::support::WAIT)
        .await
        .unwrap();
    let photos: Vec<_> = photos.iter().filter(|m| m.method == "sendPhoto").collect();
    assert_eq!(photos.len(), 2);
    // Tickets: by building and kind, on time, per staff, per department;
    // the other: ratings, survey, notices, activities.
    for (photo, panels, caption) in [
        (photos[0], 4, "Tickets and deadlines (1/2)"),
        (photos[1], 4, "Satisfaction, notices and activities (2/2)"),
    ] {
        assert_eq!(photo.caption.as_deref(), Some(caption));
        let file = photo.file.as_ref().unwrap();
        let png = app.api.file_bytes(&file.file_id).unwrap();
        assert_eq!(png_size(&png), Some(image_size(panels)), "{caption}");
    }
    app.press(MANAGER, &summary, "Download the spreadsheet (XLSX)");
    let doc = app
        .api
        .wait_for_message(
            MANAGER,
            |m| m.method == "sendDocument",
            crate::support::WAIT,
        )
        .await
        .unwrap();
    assert_eq!(doc.caption.as_deref(), Some("Office report: Nov 2025"));
    let xlsx_message = doc.message_id;
    let xlsx = app.api.file_bytes(&doc.file.unwrap().file_id).unwrap();
    assert!(xlsx.starts_with(b"PK"), "an XLSX file is a zip archive");

    // The same figures as CSV, block by block, headed in English.
    app.press(MANAGER, &summary, "Download as CSV");
    let doc = app
        .api
        .wait_for_message(
            MANAGER,
            |m| m.method == "sendDocument" && m.message_id != xlsx_message,
            crate::support::WAIT,
        )
        .await
        .unwrap();
    assert_eq!(doc.caption.as_deref(), Some("Office report: Nov 2025"));
    let bytes = app.api.file_bytes(&doc.file.unwrap().file_id).unwrap();
    assert!(bytes.starts_with(BOM), "Excel reads UTF-8 only after a BOM");
    let blocks = csv_blocks(&bytes);
    let block = |name: &str| -> Vec<Vec<String>> {
        let b = blocks.iter().find(|(n, _)| n == name);
        let mut rows = b.unwrap_or_else(|| panic!("no block {name}")).1.clone();
        rows[1..].sort();
        rows
    };
    let rows = |lines: &[&str]| -> Vec<Vec<String>> {
        lines
            .iter()
            .map(|l| l.split(',').map(str::to_string).collect())
            .collect()
    };
    assert_eq!(
        block("Tickets"),
        rows(&[
            "Kind,Building,Tickets",
            "Complaint,1,1",
            "Complaint,2,1",
            "Question,no unit,1",
            "Repair,1,2",
        ])
    );
    assert_eq!(
        block("Deadlines"),
        rows(&[
            "Kind,Tickets,Responded on time,Responded late,Resolved on time,Resolved late",
            "All,5,3,1,2,2",
            "Complaint,2,1,0,0,1",
            "Question,1,1,0,1,0",
            "Repair,2,1,1,1,1",
        ])
    );
    assert_eq!(block("Staff"), rows(&[
        "Name,Department,Assigned,Resolved,Resolved on time,Resolved late,On time %,Average rating",
        "#1 Wang,客服部,1,1,1,0,100,4",
        "#2 Li,工程部,2,2,1,1,50,4",
        "#3 Zhao,no department,1,0,0,1,0,",
    ]));
    assert_eq!(
        block("Departments"),
        rows(&[
            "Department,Assigned,Resolved,Resolved on time,Resolved late,On time %,Average rating",
            "no department,1,0,0,1,0,",
            "客服部,1,1,1,0,100,4",
            "工程部,2,2,1,1,50,4",
        ])
    );
    assert_eq!(
        block("Survey"),
        rows(&["Quarter,Answers,Average", "2025Q3,1,3", "2025Q4,2,4.5",])
    );
    assert_eq!(
        block("Activities"),
        rows(&[
            "Activity,When,Place,Capacity,Joined,Waiting,Attended,Ratings,Average rating",
            "植树,2025-11-22 14:00,North lawn,2,2,1,1,1,5",
        ])
    );
    assert_eq!(block("Comments"), rows(&["Activity,Comment", "植树,Great"]));
    let summary_rows = block("Summary");
    assert!(
        summary_rows
            .iter()
            .any(|r| r == &["Tickets: 5 (Complaint 2 · Repair 2 · Question 1)"]),
        "{summary_rows:?}"
    );
    // A Chinese-speaking manager's file: the same figures, Chinese labels.
    let zh = propdesk::reports::csv::file(&f, propdesk::i18n::Lang::Zh, tz).unwrap();
    let zh = csv_blocks(&zh);
    let (name, tickets) = &zh[1];
    assert_eq!(name, "工单");
    assert_eq!(tickets[0], ["类型", "楼栋", "工单数"]);
    assert!(
        tickets.contains(&vec!["报修".to_string(), "1".into(), "2".into()]),
        "{tickets:?}"
    );

    // A month with nothing in it says so, with no chart; and no activity
    // on record by then is a warning.
    app.say(MANAGER, "/report 2025-06");
    let empty = app
        .expect_message(MANAGER, "Nothing to report for Jun 2025")
        .await;
    assert!(
        empty.body().contains("no public-welfare activity"),
        "{}",
        empty.body()
    );
    app.settle().await;
    let photos = app
        .api
        .messages(MANAGER)
        .iter()
        .filter(|m| m.method == "sendPhoto")
        .count();
    assert_eq!(photos, 2, "no chart for an empty month");
    app.finish().await;
}

#[tokio::test]
async fn bad_report_periods_and_non_managers_are_refused_with_the_reason() {
    let app = spawn_app().await;
    seed_november(&app.db.pool).await;
    for id in [MANAGER, BUTLER] {
        app.api
            .add_started_user(TestUser::new(id, "Staff").language("en"));
    }
    app.say(BUTLER, "/report 2025-11");
    app.expect_message(BUTLER, "only managers can see reports")
        .await;

    app.say(MANAGER, "/report");
    let ask = app.expect_message(MANAGER, "Which period?").await;
    app.press(MANAGER, &ask, "Dates of my choice…");
    app.expect_message(MANAGER, "Send the first and last day")
        .await;
    app.say(MANAGER, "last week");
    app.expect_message(MANAGER, "I could not read “last week” as a period")
        .await;
    app.say(MANAGER, "2025-11-30 2025-11-01");
    app.expect_message(MANAGER, "The last day comes before the first one")
        .await;
    app.say(MANAGER, "2023-01-01 2025-01-01");
    app.expect_message(MANAGER, "A report covers at most 366 days")
        .await;
    app.say(MANAGER, "2099-01-01 2099-01-31");
    app.expect_message(MANAGER, "That period has not started yet")
        .await;
    app.say(MANAGER, "2025-11-01 2025-11-09");
    let summary = app
        .expect_message(MANAGER, "Office report: 2025-11-01 to 2025-11-09")
        .await;
    assert!(
        summary.body().contains("Tickets: 2 (Repair 2)"),
        "{}",
        summary.body()
    );
    app.settle().await;
    let conversations: i64 = sqlx::query_scalar("SELECT count(*) FROM conversations")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(conversations, 0, "the question is answered");
    app.finish().await;
}

#[tokio::test]
async fn the_monthly_report_reaches_every_manager_once_on_the_first() {
    let app = spawn_app().await;
    let pool = &app.db.pool;
    seed_november(pool).await;
    exec(
        pool,
        "INSERT INTO staff (telegram_user_id, name, role) VALUES (914, 'Zhou', 'manager')",
    )
    .await;
    app.api
        .add_started_user(TestUser::new(MANAGER, "Wang").language("en"));
    app.api
        .add_started_user(TestUser::new(914, "Zhou").language("zh"));
    exec(pool, "INSERT INTO chats (chat_id, kind, language) VALUES (910, 'private', 'en'), (914, 'private', 'zh')").await;
    let processor = propdesk::processor::App {
        settings: app.settings.processor.clone(),
        clock: app.clock.clone(),
        dialogues: std::sync::Arc::new(
            propdesk::app::load_dialogues(&app.settings.dialogues_dir).unwrap(),
        ),
    };
    let tz = chrono_tz::Asia::Shanghai;
    let at = |d, h| {
        tz.with_ymd_and_hms(2025, 12, d, h, 0, 0)
            .unwrap()
            .with_timezone(&Utc)
    };
    let tick = |now| {
        let pool = pool.clone();
        let processor = &processor;
        async move {
            let mut tx = pool.begin().await.unwrap();
            let n = propdesk::scheduler::monthly_report::send_if_due(&mut tx, processor, now)
                .await
                .unwrap();
            tx.commit().await.unwrap();
            n
        }
    };
    assert_eq!(tick(at(1, 8)).await, 0, "not before nine");
    assert_eq!(tick(at(1, 9)).await, 2);
    assert_eq!(tick(at(1, 10)).await, 0, "once a month");
    assert_eq!(tick(at(2, 9)).await, 0);
    let en = app
        .expect_message(MANAGER, "Your monthly report: Nov 2025")
        .await;
    assert!(en.body().contains("Tickets: 5"), "{}", en.body());
    let zh = app.expect_message(914, "每月报表：2025年11月").await;
    assert!(zh.body().contains("工单 5 件"), "{}", zh.body());
    app.settle().await;
    // The charts in each language, kept for a look in the temporary folder
    // (`propdesk-report-examples/`; nothing is written into the repository).
    let target = std::env::temp_dir().join("propdesk-report-examples");
    let _ = std::fs::create_dir_all(&target);
    for (chat, lang) in [(MANAGER, "en"), (914, "zh")] {
        let photos: Vec<_> = app
            .api
            .messages(chat)
            .into_iter()
            .filter(|m| m.method == "sendPhoto")
            .collect();
        assert_eq!(photos.len(), 2);
        for (i, photo) in photos.iter().enumerate() {
            let file = photo.file.as_ref().unwrap();
            let png = app.api.file_bytes(&file.file_id).unwrap();
            let _ = std::fs::write(
                target.join(format!("report-example-{lang}-{}.png", i + 1)),
                png,
            );
        }
    }
    app.finish().await;
}
