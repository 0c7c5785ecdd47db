//! Simulated owners for the fault scenarios (soak, PostgreSQL restart,
//! replicas): each is imported as the office's CSV would leave them, then
//! walks the four full dialogues against the stand-in — registration with
//! their own contact (arrears reminders on), a complaint with a photo, a repair with a time window,
//! the satisfaction survey — and counts the updates it caused.
//!
//! An owner only ever waits for "the next bot message after the last one I
//! looked at that contains …", so a duplicate sent around a fault does not
//! throw it off; the duplicates are counted by the scenario afterwards.

use std::time::Duration;

use anyhow::{Context, Result};
use propdesk::standin::{SentMessage, StandIn, TestUser};
use sqlx::PgPool;

/// The first Telegram id of the simulated owners.
pub const FIRST_ID: i64 = 700_000;

/// The tickets and survey responses one owner's walk files.
pub const TICKETS_PER_OWNER: i64 = 2;
pub const SURVEYS_PER_OWNER: i64 = 1;

/// Owner `n` (0-based): Telegram id, phone, unit code.
#[must_use]
pub fn owner(n: usize) -> (i64, String, String) {
    let n64 = i64::try_from(n).expect("a small owner number");
    let building = 1 + n / 100;
    let floor = 1 + (n % 100) / 4;
    let room = 1 + n % 4;
    (
        FIRST_ID + n64,
        format!("+86138{:08}", n),
        format!("{building}-1-{floor:02}{room:02}"),
    )
}

/// Imports `count` owners (unit, person without Telegram, membership).
pub async fn seed(pool: &PgPool, count: usize) {
    for n in 0..count {
        let (_, phone, code) = owner(n);
        let parts: Vec<&str> = code.split('-').collect();
        let floor: i32 = parts[2][..2].parse().expect("floor");
        let unit: i64 = sqlx::query_scalar(
            "INSERT INTO units (code, building, entrance, floor, area_m2)
             VALUES ($1, $2, $3, $4, 90.0) RETURNING id",
        )
        .bind(&code)
        .bind(parts[0])
        .bind(parts[1])
        .bind(floor)
        .fetch_one(pool)
        .await
        .expect("insert unit");
        let person: i64 =
            sqlx::query_scalar("INSERT INTO people (name, phone) VALUES ($1, $2) RETURNING id")
                .bind(format!("Owner {n}"))
                .bind(&phone)
                .fetch_one(pool)
                .await
                .expect("insert person");
        sqlx::query(
            "INSERT INTO unit_members (unit_id, person_id, role, is_default)
             VALUES ($1, $2, 'owner', false)",
        )
        .bind(unit)
        .bind(person)
        .execute(pool)
        .await
        .expect("insert member");
    }
}

/// One owner's side of their private chat.
pub struct Owner {
    pub api: StandIn,
    pub id: i64,
    phone: String,
    /// The last bot message looked at.
    last: i64,
    /// Every update this owner caused, in order.
    pub updates: Vec<i64>,
    /// How long one expected message may take (faults included).
    patience: Duration,
}

impl Owner {
    pub fn new(api: &StandIn, n: usize, patience: Duration) -> Owner {
        let (id, phone, _) = owner(n);
        api.add_user(TestUser::new(id, &format!("Owner {n}")).language("en"));
        Owner {
            api: api.clone(),
            id,
            phone,
            last: 0,
            updates: Vec::new(),
            patience,
        }
    }

    fn say(&mut self, text: &str) -> Result<()> {
        let sent = self.api.send_text(self.id, text)?;
        self.updates.push(sent.update_id);
        Ok(())
    }

    async fn expect(&mut self, needle: &str) -> Result<SentMessage> {
        let last = self.last;
        let message = self
            .api
            .wait_for_message(
                self.id,
                |m| m.message_id > last && m.body().contains(needle),
                self.patience,
            )
            .await
            .with_context(|| format!("owner {} waiting for {needle:?}", self.id))?;
        self.last = message.message_id;
        Ok(message)
    }

    fn press(&mut self, message: &SentMessage, label: &str) -> Result<()> {
        let data = message
            .callback_data(label)
            .with_context(|| format!("no button {label:?} on {:?}", message.body()))?;
        let pressed = self
            .api
            .press_button(self.id, message.chat_id, message.message_id, &data)?;
        self.updates.push(pressed.update_id);
        Ok(())
    }

    async fn answer(&mut self, needle: &str, label: &str) -> Result<SentMessage> {
        let prompt = self.expect(needle).await?;
        self.press(&prompt, label)?;
        Ok(prompt)
    }

    async fn open(&mut self, label: &str) -> Result<()> {
        self.say("/start")?;
        self.answer("property service desk", label).await?;
        Ok(())
    }

    /// The four dialogues, start to end.
    pub async fn walk(&mut self) -> Result<()> {
        // Registration with the owner's own contact.
        self.open("Register").await?;
        self.expect("Share my phone number").await?;
        let shared = self
            .api
            .share_contact(self.id, &self.phone.clone(), Some(self.id))?;
        self.updates.push(shared.update_id);
        self.expect("Your account is now linked").await?;
        self.answer("remind you here each month", "Yes").await?;
        self.expect("fee reminders are on").await?;

        // A complaint with a photo.
        self.open("Complaint").await?;
        self.answer("What is the complaint about?", "Noise").await?;
        self.expect("Please describe what happened").await?;
        self.say("The flat upstairs drills after 22:00 every night.")?;
        self.expect("Send photos if you have any").await?;
        let photo = self.api.send_photo(self.id, None)?;
        self.updates.push(photo.update_id);
        self.answer("Received 1 photo", "Done").await?;
        self.answer("Where is it?", "My unit").await?;
        self.answer("Please check your complaint", "Yes").await?;
        self.expect("Your complaint has been filed, number").await?;

        // A repair with a time window.
        self.open("Repair").await?;
        self.answer("is this one of these emergencies", "None of these")
            .await?;
        self.answer("What needs repairing?", "Door / lock").await?;
        self.expect("Please describe the problem").await?;
        self.say("The front door lock sticks.")?;
        self.answer("Send photos so the technician can prepare", "Skip")
            .await?;
        self.answer("Where is the repair?", "My unit").await?;
        self.answer("may the technician enter", "Yes").await?;
        let slots = self.expect("When would suit you?").await?;
        let first = slots
            .buttons()
            .into_iter()
            .find(|b| b.callback_data.as_deref().is_some_and(|d| d.contains(":t")))
            .context("a time window button")?;
        self.press(&slots, &first.text)?;
        self.answer("Please check your repair request", "Yes")
            .await?;
        self.expect("Your repair request is filed").await?;

        // The survey.
        self.open("Survey").await?;
        for step in ["1/6", "2/6", "3/6", "4/6", "5/6", "6/6"] {
            self.answer(step, "4 ★").await?;
        }
        self.answer("Anything else to tell us?", "Skip").await?;
        self.answer("Submit anonymously?", "No").await?;
        self.expect("Thank you for your feedback").await?;
        Ok(())
    }
}

/// What the owners' walks left in the database and the stand-in, checked
/// against what they should have: every update stored and processed once,
/// nothing parked, every reply sent, duplicates counted.
#[derive(Debug, Default)]
pub struct Tally {
    pub owners: usize,
    pub updates: usize,
    pub tickets: i64,
    pub surveys: i64,
    /// Bot messages the owners received beyond the outbox rows that created them.
    pub duplicates: i64,
    /// Sends the outbox recorded as of unknown fate (in flight at a kill).
    pub ambiguous: i64,
    pub parked: i64,
}

/// Waits until the stand-in's queue, the inbox and the outbox are all empty.
pub async fn settle(api: &StandIn, pool: &PgPool, timeout: Duration) -> Result<()> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let queued = api.pending_updates();
        let open: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM inbox WHERE processed_at IS NULL AND parked_at IS NULL",
        )
        .fetch_one(pool)
        .await?;
        let unsent: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')
               AND not_before <= now() + interval '1 minute'",
        )
        .fetch_one(pool)
        .await?;
        if queued == 0 && open == 0 && unsent == 0 {
            return Ok(());
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "not settled after {timeout:?}: {queued} queued, {open} open updates, {unsent} unsent rows"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Counts and checks the outcome of `owners`' walks; fails on any loss.
pub async fn tally(api: &StandIn, pool: &PgPool, owners: &[Owner]) -> Result<Tally> {
    let ids: Vec<i64> = owners.iter().map(|o| o.id).collect();
    let mut expected: Vec<i64> = owners.iter().flat_map(|o| o.updates.clone()).collect();
    expected.sort_unstable();
    let stored: Vec<(i64, bool, bool)> = sqlx::query_as(
        "SELECT update_id, processed_at IS NOT NULL, parked_at IS NOT NULL
           FROM inbox WHERE chat_id = ANY($1) ORDER BY update_id",
    )
    .bind(&ids)
    .fetch_all(pool)
    .await?;
    let stored_ids: Vec<i64> = stored.iter().map(|r| r.0).collect();
    anyhow::ensure!(
        stored_ids == expected,
        "the inbox does not hold exactly the owners' {} updates: {} stored",
        expected.len(),
        stored_ids.len()
    );
    let parked = stored.iter().filter(|r| r.2).count() as i64;
    let unprocessed = stored.iter().filter(|r| !r.1).count();
    anyhow::ensure!(parked == 0, "{parked} update(s) parked");
    anyhow::ensure!(unprocessed == 0, "{unprocessed} update(s) never processed");

    // Effects: exactly one complaint and one repair per owner, one survey.
    let per_owner: Vec<(i64, String, i64)> = sqlx::query_as(
        "SELECT p.telegram_user_id, t.kind, count(*) FROM tickets t
           JOIN people p ON p.id = t.person_id
          WHERE p.telegram_user_id = ANY($1) GROUP BY 1, 2",
    )
    .bind(&ids)
    .fetch_all(pool)
    .await?;
    let tickets: i64 = per_owner.iter().map(|r| r.2).sum();
    let twice: Vec<&(i64, String, i64)> = per_owner.iter().filter(|r| r.2 != 1).collect();
    anyhow::ensure!(twice.is_empty(), "tickets filed more than once: {twice:?}");
    let expected_tickets = TICKETS_PER_OWNER * owners.len() as i64;
    anyhow::ensure!(
        tickets == expected_tickets,
        "{tickets} tickets, expected {expected_tickets}"
    );
    let surveys: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM survey_responses s JOIN people p ON p.id = s.person_id
          WHERE p.telegram_user_id = ANY($1)",
    )
    .bind(&ids)
    .fetch_one(pool)
    .await?;
    anyhow::ensure!(
        surveys == SURVEYS_PER_OWNER * owners.len() as i64,
        "{surveys} survey responses for {} owners",
        owners.len()
    );

    // Replies: every outbox row of the owners' chats sent, none given up.
    let statuses: Vec<(String, i64)> = sqlx::query_as(
        "SELECT status, count(*) FROM outbox WHERE chat_id = ANY($1) GROUP BY status",
    )
    .bind(&ids)
    .fetch_all(pool)
    .await?;
    let unsent: i64 = statuses
        .iter()
        .filter(|(s, _)| s != "sent")
        .map(|(_, n)| n)
        .sum();
    if unsent > 0 {
        let why: Vec<(String, Option<String>, Option<String>, i64)> = sqlx::query_as(
            "SELECT status, request->>'method', last_error, count(*) FROM outbox
              WHERE chat_id = ANY($1) AND status <> 'sent' GROUP BY 1, 2, 3 ORDER BY 4 DESC",
        )
        .bind(&ids)
        .fetch_all(pool)
        .await?;
        anyhow::bail!("outbox rows not sent: {statuses:?}; why: {why:#?}");
    }
    let created: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM outbox WHERE chat_id = ANY($1)
            AND request->>'method' IN ('send_message', 'send_photo')",
    )
    .bind(&ids)
    .fetch_one(pool)
    .await?;
    let received: i64 = ids.iter().map(|id| api.messages(*id).len() as i64).sum();
    let ambiguous: i64 = sqlx::query_scalar(
        "SELECT COALESCE(sum(ambiguous), 0)::bigint FROM outbox WHERE chat_id = ANY($1)",
    )
    .bind(&ids)
    .fetch_one(pool)
    .await?;
    anyhow::ensure!(
        received >= created,
        "{received} messages received for {created} outbox rows: replies lost"
    );
    Ok(Tally {
        owners: owners.len(),
        updates: expected.len(),
        tickets,
        surveys,
        duplicates: received - created,
        ambiguous,
        parked,
    })
}
