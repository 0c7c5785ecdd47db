//! Departments (issue 10, item 2), in the office of `staff.rs` with an
//! engineering group of its own:
//!
//! ```text
//! a repair is filed          → its card opens in the engineering group (部门：工程维修部)
//! a noise complaint is filed → its card opens in the staff group (customer service)
//! engineering: /queue        → the repair only
//! butler:  /claim R, /transfer R 客服
//!                            → old card: ➡️ 已转至客服中心 (no buttons) + [打开工单] link
//!                              new card in the staff group; the ticket open, nobody holding it
//! owner rates a repair 2⭐    → the engineering supervisor is told, the security one is not
//! ```

use propdesk::domain::departments::Department;
use propdesk::domain::office_settings;
use propdesk::domain::staff::{self, StaffRole};
use propdesk::domain::tickets::{NewTicket, Priority, TicketId, TicketKind, TicketStatus};

use crate::abuse::next_message as next;
use crate::staff::{
    card, event_kinds, file, leak_ticket, load, office, BUTLER, GROUP, OWNER, SUPERVISOR,
};
use crate::staff_desk::last_id;
use crate::support::{TestApp, WAIT};

const ENGINEERING: i64 = -1_001_234_567_890;
const SECURITY_SUPERVISOR: i64 = 6007;
const MANAGER: i64 = 6008;

async fn set(app: &TestApp, key: &str, value: &str) {
    let mut conn = app.db.pool.acquire().await.unwrap();
    office_settings::set(&mut conn, key, value, "test")
        .await
        .unwrap()
        .unwrap();
}

/// The office with an engineering group of its own.
async fn with_engineering_group() -> TestApp {
    let app = office().await;
    app.api.add_group(ENGINEERING, "工程维修群");
    set(
        &app,
        "department.engineering.chat",
        &ENGINEERING.to_string(),
    )
    .await;
    app
}

async fn noise_complaint(app: &TestApp, update_id: i64) -> TicketId {
    let mut new = NewTicket::new(TicketKind::Complaint, "楼上每晚装修到十一点");
    new.owner_chat_id = Some(OWNER);
    new.category = Some("noise".into());
    file(app, update_id, new).await
}

#[tokio::test]
async fn tickets_go_to_their_departments_chat_and_move_with_a_transfer() {
    let app = with_engineering_group().await;
    let repair = leak_ticket(&app, 920_001, Priority::Normal).await;
    let complaint = noise_complaint(&app, 920_002).await;

    // Routed by the default routes: repairs to engineering, the rest to service.
    let eng_card = app
        .expect_message(ENGINEERING, &format!("工单 {repair} ·"))
        .await;
    assert!(
        eng_card.body().contains("部门：工程维修部"),
        "{}",
        eng_card.body()
    );
    card(&app, complaint).await;
    assert_eq!(load(&app, repair).await.department, Department::Engineering);
    assert_eq!(load(&app, complaint).await.department, Department::Service);
    app.settle().await;
    assert!(
        !app.api
            .messages(GROUP)
            .iter()
            .any(|m| m.body().contains(&format!("工单 {repair} ·"))),
        "the repair's card is in the engineering group only"
    );

    // Each chat's queue is its department's.
    let before = last_id(&app, ENGINEERING);
    app.api
        .send_text_in_group(ENGINEERING, BUTLER, "/queue")
        .unwrap();
    let queue = next(&app, ENGINEERING, before, "工单").await;
    assert!(
        queue.body().contains(&repair.to_string()),
        "{}",
        queue.body()
    );
    assert!(
        !queue.body().contains(&complaint.to_string()),
        "{}",
        queue.body()
    );

    // A wrong department name: told what there is, nothing moves.
    app.say(BUTLER, &format!("/claim {}", repair.0));
    app.expect_message(BUTLER, "由您负责").await;
    let before = last_id(&app, ENGINEERING);
    app.api
        .send_text_in_group(
            ENGINEERING,
            BUTLER,
            &format!("/transfer {} 火星部", repair.0),
        )
        .unwrap();
    let refusal = next(&app, ENGINEERING, before, "找不到").await;
    assert!(refusal.body().contains("保洁绿化部"), "{}", refusal.body());
    assert_eq!(load(&app, repair).await.department, Department::Engineering);

    // The holder hands it to customer service.
    let before = last_id(&app, ENGINEERING);
    app.api
        .send_text_in_group(ENGINEERING, BUTLER, &format!("/transfer {} 客服", repair.0))
        .unwrap();
    next(&app, ENGINEERING, before, "已转交客服中心").await;
    let moved = load(&app, repair).await;
    assert_eq!(moved.department, Department::Service);
    assert_eq!(moved.assignee, None);
    assert_eq!(moved.status, TicketStatus::Open);
    assert_eq!(moved.card_chat_id, Some(GROUP));
    assert!(event_kinds(&app, repair)
        .await
        .contains(&"department_transferred".to_string()));

    // The new card in the staff group; the old one says where it went.
    let new_card = card(&app, repair).await;
    assert!(
        new_card.reply_markup.is_some(),
        "the new card has its buttons"
    );
    let old = app
        .api
        .wait_for_message(
            ENGINEERING,
            |m| m.message_id == eng_card.message_id && m.body().contains("已转至客服中心"),
            WAIT,
        )
        .await
        .expect("the old card is edited");
    assert!(old.reply_markup.is_none(), "{:?}", old.reply_markup);
    let link = app
        .expect_message(ENGINEERING, "已从工程维修部转至客服中心")
        .await;
    let markup = serde_json::to_string(&link.reply_markup).unwrap();
    assert!(
        markup.contains(&format!(
            "https://t.me/c/{}/{}",
            GROUP.to_string().trim_start_matches("-100"),
            new_card.message_id
        )),
        "{markup}"
    );

    // Already there; and a ticket someone else holds is not the butler's to move.
    let before = last_id(&app, GROUP);
    app.api
        .send_text_in_group(GROUP, BUTLER, &format!("/transfer {} 客服中心", repair.0))
        .unwrap();
    next(&app, GROUP, before, "已经在客服中心").await;
    app.say(SUPERVISOR, &format!("/claim {}", complaint.0));
    app.expect_message(SUPERVISOR, "由您负责").await;
    let before = last_id(&app, GROUP);
    app.api
        .send_text_in_group(GROUP, BUTLER, &format!("/transfer {} 保安", complaint.0))
        .unwrap();
    next(&app, GROUP, before, "只有工单").await;
    assert_eq!(load(&app, complaint).await.department, Department::Service);
    // A supervisor may.
    let before = last_id(&app, GROUP);
    app.api
        .send_text_in_group(
            GROUP,
            SUPERVISOR,
            &format!("/assign {} security", complaint.0),
        )
        .unwrap();
    next(&app, GROUP, before, "已转交秩序安保部").await;
    assert_eq!(load(&app, complaint).await.department, Department::Security);
    app.finish().await;
}

#[tokio::test]
async fn a_low_rating_reaches_the_supervisor_of_the_tickets_department() {
    let app = office().await;
    app.person(SECURITY_SUPERVISOR, "zh-hans");
    app.person(MANAGER, "zh-hans");
    {
        let mut conn = app.db.pool.acquire().await.unwrap();
        staff::upsert(
            &mut conn,
            SECURITY_SUPERVISOR,
            "周主管",
            StaffRole::Supervisor,
        )
        .await
        .unwrap();
        staff::upsert(&mut conn, MANAGER, "孙经理", StaffRole::Manager)
            .await
            .unwrap();
    }
    // The manager places the two supervisors (#2, #4) in their departments.
    app.say(MANAGER, "/staff dept 2 工程");
    app.expect_message(MANAGER, "现属工程维修部").await;
    app.say(MANAGER, "/staff dept 4 保安部");
    app.expect_message(MANAGER, "现属秩序安保部").await;
    app.say(MANAGER, "/staff dept 4 火星");
    app.expect_message(MANAGER, "用法").await;
    assert_eq!(
        {
            let mut conn = app.db.pool.acquire().await.unwrap();
            staff::department_of(&mut conn, SECURITY_SUPERVISOR)
                .await
                .unwrap()
        },
        Some(Department::Security)
    );
    app.say(SUPERVISOR, "/mine");
    app.expect_message(SUPERVISOR, "没有进行中的工单").await;
    app.say(SECURITY_SUPERVISOR, "/mine");
    app.expect_message(SECURITY_SUPERVISOR, "没有进行中的工单")
        .await;

    let id = leak_ticket(&app, 920_010, Priority::Normal).await;
    card(&app, id).await;
    app.say(BUTLER, &format!("/claim {}", id.0));
    app.say(BUTLER, &format!("/resolve {} 已更换水管", id.0));
    let rating = app.expect_message(OWNER, "请为本次服务评分").await;
    app.press(OWNER, &rating, "2⭐");
    app.expect_message(SUPERVISOR, "差评回访").await;
    app.settle().await;
    assert!(!app
        .api
        .messages(SECURITY_SUPERVISOR)
        .iter()
        .any(|m| m.body().contains("差评回访")));
    app.finish().await;
}
