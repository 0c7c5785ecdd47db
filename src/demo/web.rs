//! The demo page's server: the page itself (embedded at build time), a
//! small JSON API through which the page acts as Telegram users on the
//! stand-in, the chats as the stand-in holds them, live changes as
//! server-sent events, and the "what happened" trace of the last action
//! (its inbox rows, the outbox rows it caused with their lanes, and the
//! Bot API requests the bot made since).
//!
//! Every action goes through the stand-in exactly as a Telegram client's
//! would; nothing here writes what the bot would write, with one
//! exception an office makes by hand: the default unit of a resident.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use anyhow::Result;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use futures::Stream;
use serde::Deserialize;
use serde_json::{json, Value};
use sqlx::PgPool;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use super::personas::{Kind, PERSONAS, STAFF_GROUP, STAFF_GROUP_TITLE};
use crate::standin::{Outcome, StandIn, PHOTO_MAX_BYTES};

const INDEX: &str = include_str!("page/index.html");
const SCRIPT: &str = include_str!("page/app.js");
const STYLE: &str = include_str!("page/app.css");

/// How long a button press waits for the bot's answer (the toast).
const ANSWER_WAIT: Duration = Duration::from_secs(8);
/// The largest upload the page may send (bigger than Telegram's photo
/// limit, so the refusal is Telegram's and not the server's).
const UPLOAD_LIMIT: usize = 32 * 1024 * 1024;

/// What the page server shares between requests.
#[derive(Clone)]
pub struct Demo {
    api: StandIn,
    pool: PgPool,
    last: Arc<Mutex<LastAction>>,
    uploads: Arc<Mutex<Uploads>>,
}

#[derive(Debug, Clone)]
struct LastAction {
    label: String,
    update_ids: Vec<i64>,
    at: SystemTime,
}

#[derive(Default)]
struct Uploads {
    next: u64,
    files: HashMap<String, Vec<u8>>,
}

impl Demo {
    #[must_use]
    pub fn new(api: StandIn, pool: PgPool) -> Demo {
        Demo {
            api,
            pool,
            last: Arc::new(Mutex::new(LastAction {
                label: String::new(),
                update_ids: Vec::new(),
                at: SystemTime::now(),
            })),
            uploads: Arc::default(),
        }
    }

    fn begin(&self, label: String) {
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        *last = LastAction {
            label,
            update_ids: Vec::new(),
            at: SystemTime::now(),
        };
    }

    fn caused(&self, update_id: i64) {
        self.last
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .update_ids
            .push(update_id);
    }

    fn last(&self) -> LastAction {
        self.last.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// The page's routes.
pub fn router(demo: Demo) -> Router {
    Router::new()
        .route("/", get(|| async { Html(INDEX) }))
        .route(
            "/app.js",
            get(|| async { asset("text/javascript", SCRIPT) }),
        )
        .route("/app.css", get(|| async { asset("text/css", STYLE) }))
        .route("/api/setup", get(setup))
        .route("/api/chat/{chat}", get(chat))
        .route("/api/events", get(events))
        .route("/api/trace", get(trace))
        .route("/api/file/{file_id}", get(file))
        .route("/api/send", post(send))
        .route("/api/press", post(press))
        .route("/api/contact", post(contact))
        .route("/api/upload", post(upload))
        .route("/api/photos", post(photos))
        .route("/api/language", post(language))
        .route("/api/unit", post(unit))
        .layer(DefaultBodyLimit::max(UPLOAD_LIMIT))
        .with_state(demo)
}

/// Serves the page on `listener` until `stop`.
pub async fn serve(listener: TcpListener, demo: Demo, stop: CancellationToken) -> Result<()> {
    axum::serve(listener, router(demo))
        .with_graceful_shutdown(async move { stop.cancelled().await })
        .await?;
    Ok(())
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

/// A refusal the page shows: Telegram's words as Telegram gives them (the
/// page adds its own zh/en explanation for the codes it knows), or ours.
fn refused(status: StatusCode, message: impl std::fmt::Display) -> Response {
    let message = message.to_string();
    let code = if message.contains("PHOTO_SAVE_FILE_INVALID") {
        Some("photo_too_big")
    } else {
        None
    };
    (status, Json(json!({"error": message, "code": code}))).into_response()
}

/// A refusal of the page's own, by `code` (the page words it in zh or en).
fn ours(status: StatusCode, code: &'static str, english: &str) -> Response {
    (status, Json(json!({"error": english, "code": code}))).into_response()
}

fn failed(e: impl std::fmt::Display) -> Response {
    refused(StatusCode::INTERNAL_SERVER_ERROR, e)
}

/// The chats on the left and who may act in each.
async fn setup(State(demo): State<Demo>) -> Response {
    let counts = sqlx::query!(
        r#"SELECT (SELECT count(*) FROM units) AS "units!", (SELECT count(*) FROM people) AS "people!",
                  (SELECT count(*) FROM fees) AS "fees!",
                  (SELECT count(*) FROM tickets WHERE ticket_is_active(status)) AS "open_tickets!""#
    )
    .fetch_one(&demo.pool)
    .await;
    let (units, people, fees, open_tickets) = match counts {
        Ok(c) => (c.units, c.people, c.fees, c.open_tickets),
        Err(e) => return failed(e),
    };
    let defaults: Vec<(i64, String)> = sqlx::query!(
        r#"SELECT p.telegram_user_id AS "user!", u.code FROM unit_members m
             JOIN people p ON p.id = m.person_id JOIN units u ON u.id = m.unit_id
            WHERE m.is_default AND p.telegram_user_id IS NOT NULL"#
    )
    .map(|r| (r.user, r.code))
    .fetch_all(&demo.pool)
    .await
    .unwrap_or_default();
    let people_json: Vec<Value> = PERSONAS
        .iter()
        .map(|p| {
            let (kind, role) = match p.kind {
                Kind::Resident => ("resident", p.role),
                Kind::Unregistered => ("unregistered", p.role),
                Kind::Staff(role) => ("staff", role),
            };
            json!({
                "id": p.telegram_id, "name": p.name, "lang": p.lang(), "kind": kind,
                "role": role, "phone": p.phone, "units": p.units,
                "default_unit": defaults.iter().find(|(id, _)| *id == p.telegram_id).map(|(_, u)| u),
            })
        })
        .collect();
    Json(json!({
        "bot": super::personas::BOT_USERNAME,
        "group": {"id": STAFF_GROUP, "title": STAFF_GROUP_TITLE},
        "people": people_json,
        "estate": {"units": units, "people": people, "fees": fees, "open_tickets": open_tickets},
        "photo_max_bytes": PHOTO_MAX_BYTES,
    }))
    .into_response()
}

/// Both sides of one chat as they stand now.
async fn chat(State(demo): State<Demo>, Path(chat): Path<i64>) -> Response {
    Json(
        json!({"chat": chat, "messages": demo.api.chat_log(chat), "pinned": demo.api.pinned(chat)}),
    )
    .into_response()
}

/// Server-sent events: `change` whenever the stand-in changed (the page
/// then reloads what it shows), at most every 100 ms.
async fn events(State(demo): State<Demo>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let changes = demo.api.subscribe();
    let stream = futures::stream::unfold(changes, |mut changes| async move {
        changes.changed().await.ok()?;
        tokio::time::sleep(Duration::from_millis(100)).await;
        let n = *changes.borrow_and_update();
        Some((
            Ok(Event::default().event("change").data(n.to_string())),
            changes,
        ))
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

async fn file(State(demo): State<Demo>, Path(file_id): Path<String>) -> Response {
    match demo.api.file_bytes(&file_id) {
        Some(bytes) => {
            let kind = if bytes.starts_with(b"\x89PNG") {
                "image/png"
            } else {
                "image/jpeg"
            };
            ([(header::CONTENT_TYPE, kind)], bytes).into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

#[derive(Deserialize)]
struct SendBody {
    chat: i64,
    user: i64,
    text: String,
}

async fn send(State(demo): State<Demo>, Json(b): Json<SendBody>) -> Response {
    if b.text.trim().is_empty() {
        return refused(
            StatusCode::BAD_REQUEST,
            "Bad Request: message text is empty",
        );
    }
    demo.begin(format!("{} → {}", name(b.user), short(&b.text)));
    match demo.api.send_text_in(b.chat, b.user, &b.text) {
        Ok(sent) => {
            demo.caused(sent.update_id);
            Json(json!({"update_id": sent.update_id, "message_id": sent.message_id}))
                .into_response()
        }
        Err(e) => refused(StatusCode::BAD_REQUEST, format!("{e:#}")),
    }
}

#[derive(Deserialize)]
struct PressBody {
    chat: i64,
    user: i64,
    message_id: i64,
    data: String,
    #[serde(default)]
    label: String,
}

/// Presses an inline button and waits for the bot's answer (the toast).
async fn press(State(demo): State<Demo>, Json(b): Json<PressBody>) -> Response {
    demo.begin(format!("{} presses [{}]", name(b.user), b.label));
    let pressed = match demo.api.press_button(b.user, b.chat, b.message_id, &b.data) {
        Ok(p) => p,
        Err(e) => return refused(StatusCode::BAD_REQUEST, format!("{e:#}")),
    };
    demo.caused(pressed.update_id);
    let mut changes = demo.api.subscribe();
    let deadline = tokio::time::Instant::now() + ANSWER_WAIT;
    loop {
        let answer = demo
            .api
            .callback_answers()
            .into_iter()
            .find(|a| a.callback_query_id == pressed.callback_query_id);
        if let Some(a) = answer {
            return Json(json!({"text": a.text, "show_alert": a.show_alert})).into_response();
        }
        if tokio::time::timeout_at(deadline, changes.changed())
            .await
            .is_err()
        {
            return Json(json!({"text": null, "unanswered": true})).into_response();
        }
    }
}

#[derive(Deserialize)]
struct ContactBody {
    user: i64,
}

/// The "share my phone" button: the user's own contact, with their id.
async fn contact(State(demo): State<Demo>, Json(b): Json<ContactBody>) -> Response {
    let Some(p) = super::personas::find(b.user) else {
        return ours(StatusCode::BAD_REQUEST, "unknown_user", "unknown user");
    };
    let phone = if p.phone.is_empty() {
        format!("+861390000{}", p.telegram_id)
    } else {
        p.phone.to_owned()
    };
    demo.begin(format!("{} shares their phone", p.name));
    match demo.api.share_contact(b.user, &phone, Some(b.user)) {
        Ok(sent) => {
            demo.caused(sent.update_id);
            Json(json!({"update_id": sent.update_id})).into_response()
        }
        Err(e) => refused(StatusCode::BAD_REQUEST, format!("{e:#}")),
    }
}

/// One file of an upload, kept until `/api/photos` sends it.
async fn upload(State(demo): State<Demo>, body: Bytes) -> Response {
    if body.is_empty() {
        return refused(
            StatusCode::BAD_REQUEST,
            "Bad Request: file must be non-empty",
        );
    }
    let mut uploads = demo.uploads.lock().unwrap_or_else(|e| e.into_inner());
    uploads.next += 1;
    let token = format!("u{}", uploads.next);
    // Only the last few uploads are kept.
    if uploads.files.len() > 20 {
        uploads.files.clear();
    }
    uploads.files.insert(token.clone(), body.to_vec());
    Json(json!({"upload": token, "bytes": body.len()})).into_response()
}

#[derive(Deserialize)]
struct PhotosBody {
    chat: i64,
    user: i64,
    uploads: Vec<String>,
    #[serde(default)]
    caption: Option<String>,
}

/// Sends uploaded photos: one photo, or an album.
async fn photos(State(demo): State<Demo>, Json(b): Json<PhotosBody>) -> Response {
    let files: Option<Vec<Vec<u8>>> = {
        let mut uploads = demo.uploads.lock().unwrap_or_else(|e| e.into_inner());
        b.uploads.iter().map(|t| uploads.files.remove(t)).collect()
    };
    let Some(files) = files else {
        return refused(
            StatusCode::BAD_REQUEST,
            "the upload is gone; choose the photo again",
        );
    };
    let n = files.len();
    demo.begin(format!("{} sends {n} photo(s)", name(b.user)));
    let caption = b.caption.filter(|c| !c.trim().is_empty());
    match demo
        .api
        .upload_photos(b.user, b.chat, files, caption.as_deref())
    {
        Ok(sent) => {
            for s in &sent {
                demo.caused(s.update_id);
            }
            Json(json!({"sent": sent.len()})).into_response()
        }
        Err(e) => refused(StatusCode::BAD_REQUEST, format!("{e:#}")),
    }
}

#[derive(Deserialize)]
struct LanguageBody {
    user: i64,
    lang: String,
}

/// One click for what takes two in Telegram: `/lang`, then the language's
/// button on the bot's answer.
async fn language(State(demo): State<Demo>, Json(b): Json<LanguageBody>) -> Response {
    demo.begin(format!("{} switches to {}", name(b.user), b.lang));
    let sent = match demo.api.send_text(b.user, "/lang") {
        Ok(s) => s,
        Err(e) => return refused(StatusCode::BAD_REQUEST, format!("{e:#}")),
    };
    demo.caused(sent.update_id);
    let wanted = format!("l:{}", b.lang);
    let after = sent.message_id;
    let found = demo
        .api
        .wait_for_message(
            b.user,
            |m| {
                m.message_id > after
                    && m.buttons().iter().any(|x| {
                        x.callback_data
                            .as_deref()
                            .is_some_and(|d| d.ends_with(&wanted))
                    })
            },
            ANSWER_WAIT,
        )
        .await;
    let Ok(message) = found else {
        return refused(
            StatusCode::GATEWAY_TIMEOUT,
            "the bot did not offer the languages",
        );
    };
    let Some(data) = message
        .buttons()
        .into_iter()
        .filter_map(|x| x.callback_data)
        .find(|d| d.ends_with(&wanted))
    else {
        return ours(StatusCode::BAD_REQUEST, "no_languages", "no such language");
    };
    match demo
        .api
        .press_button(b.user, b.user, message.message_id, &data)
    {
        Ok(p) => {
            demo.caused(p.update_id);
            Json(json!({"ok": true})).into_response()
        }
        Err(e) => refused(StatusCode::BAD_REQUEST, format!("{e:#}")),
    }
}

#[derive(Deserialize)]
struct UnitBody {
    user: i64,
    unit: String,
}

/// The office changes a resident's default unit (what "my unit" means in
/// their requests), as it would in its records.
async fn unit(State(demo): State<Demo>, Json(b): Json<UnitBody>) -> Response {
    let result = sqlx::query!(
        "UPDATE unit_members m SET is_default = (u.code = $2)
           FROM people p, units u
          WHERE p.id = m.person_id AND u.id = m.unit_id AND p.telegram_user_id = $1
            AND EXISTS (SELECT 1 FROM unit_members m2 JOIN units u2 ON u2.id = m2.unit_id
                         WHERE m2.person_id = p.id AND u2.code = $2)",
        b.user,
        b.unit
    )
    .execute(&demo.pool)
    .await;
    match result {
        Ok(r) if r.rows_affected() > 0 => Json(json!({"unit": b.unit})).into_response(),
        Ok(_) => refused(
            StatusCode::BAD_REQUEST,
            format!("{} is not their unit", b.unit),
        ),
        Err(e) => failed(e),
    }
}

/// The last action, made visible: its inbox rows, the outbox rows they
/// caused (with lanes), and every Bot API request the bot made since.
async fn trace(State(demo): State<Demo>) -> Response {
    let last = demo.last();
    let inbox = sqlx::query_as!(
        InboxRow,
        "SELECT update_id, kind, chat_id, received_at, processed_at, attempts, last_error, parked_at
           FROM inbox WHERE update_id = ANY($1) ORDER BY update_id",
        &last.update_ids
    )
    .fetch_all(&demo.pool)
    .await;
    let outbox = sqlx::query_as!(
        OutboxRow,
        "SELECT id, chat_id, lane, status, request->>'method' AS method, attempts, message_id, last_error,
                created_at, sent_at
           FROM outbox WHERE update_id = ANY($1) ORDER BY id",
        &last.update_ids
    )
    .fetch_all(&demo.pool)
    .await;
    let (inbox, outbox) = match (inbox, outbox) {
        (Ok(i), Ok(o)) => (i, o),
        (Err(e), _) | (_, Err(e)) => return failed(e),
    };
    let requests: Vec<Value> = demo
        .api
        .requests()
        .into_iter()
        .filter(|r| r.at >= last.at && r.method != "getUpdates")
        .take(40)
        .map(|r| {
            let ms = r.at.duration_since(last.at).map_or(0, |d| d.as_millis());
            let outcome = match &r.outcome {
                Outcome::Ok => "ok".to_owned(),
                Outcome::Refused(d) => format!("refused: {d}"),
                Outcome::Error { code, description } => format!("{code} {description}"),
                Outcome::Dropped => "dropped".to_owned(),
            };
            json!({"method": r.method, "after_ms": ms, "chat_id": r.params.get("chat_id"),
                   "params": r.params, "outcome": outcome})
        })
        .collect();
    Json(json!({
        "label": last.label,
        "update_ids": last.update_ids,
        "inbox": inbox.iter().map(InboxRow::json).collect::<Vec<_>>(),
        "outbox": outbox.iter().map(OutboxRow::json).collect::<Vec<_>>(),
        "requests": requests,
    }))
    .into_response()
}

struct InboxRow {
    update_id: i64,
    kind: String,
    chat_id: Option<i64>,
    received_at: DateTime<Utc>,
    processed_at: Option<DateTime<Utc>>,
    attempts: i32,
    last_error: Option<String>,
    parked_at: Option<DateTime<Utc>>,
}

impl InboxRow {
    fn json(&self) -> Value {
        let took = self
            .processed_at
            .map(|p| (p - self.received_at).num_milliseconds());
        json!({"update_id": self.update_id, "kind": self.kind, "chat_id": self.chat_id,
               "processed": self.processed_at.is_some(), "processed_after_ms": took,
               "attempts": self.attempts, "last_error": self.last_error,
               "parked": self.parked_at.is_some()})
    }
}

struct OutboxRow {
    id: i64,
    chat_id: i64,
    lane: i16,
    status: String,
    method: Option<String>,
    attempts: i32,
    message_id: Option<i64>,
    last_error: Option<String>,
    created_at: DateTime<Utc>,
    sent_at: Option<DateTime<Utc>>,
}

impl OutboxRow {
    fn json(&self) -> Value {
        let lane = match self.lane {
            0 => "0 reply",
            1 => "1 staff",
            2 => "2 reminder",
            _ => "3 broadcast",
        };
        json!({"id": self.id, "chat_id": self.chat_id, "lane": lane, "status": self.status,
               "method": self.method, "attempts": self.attempts, "message_id": self.message_id,
               "last_error": self.last_error,
               "sent_after_ms": self.sent_at.map(|s| (s - self.created_at).num_milliseconds())})
    }
}

fn name(user: i64) -> String {
    super::personas::find(user).map_or_else(|| user.to_string(), |p| p.name.to_owned())
}

fn short(text: &str) -> String {
    let mut s: String = text.chars().take(40).collect();
    if text.chars().count() > 40 {
        s.push('…');
    }
    format!("“{s}”")
}
