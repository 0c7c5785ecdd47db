//! HTTP: `/bot<token>/<method>` and `/file/bot<token>/<path>` answered the
//! way Telegram answers them, the getUpdates long poll, injected faults, and
//! pushing updates to a webhook when one is set.

use std::pin::pin;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, State as AxumState};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::{Json, Router};
use serde_json::{json, Value};
use tokio::time::Instant;

use super::body::decode;
use super::records::{Outcome, RefusalRecord, RequestRecord};
use super::state::{is_message_send, ApiError};
use super::Inner;

const TERMINATED: &str =
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running";
const WEBHOOK_ACTIVE: &str =
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first";

pub(crate) fn router(inner: Arc<Inner>) -> Router {
    Router::new()
        .route("/{*path}", any(handle))
        .layer(DefaultBodyLimit::max(64 * 1024 * 1024))
        .with_state(inner)
}

fn ok(result: Value) -> Response {
    Json(json!({"ok": true, "result": result})).into_response()
}

fn error(e: &ApiError) -> Response {
    let mut body = json!({"ok": false, "error_code": e.code, "description": e.description});
    if let Some(retry_after) = e.retry_after {
        body["parameters"] = json!({ "retry_after": retry_after });
    }
    let status = StatusCode::from_u16(e.code).unwrap_or(StatusCode::BAD_REQUEST);
    (status, Json(body)).into_response()
}

/// Headers, then a body that breaks: the client sees a network error.
fn dropped() -> Response {
    let broken = futures::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::other("stand-in dropped the response"))
    });
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from_stream(broken))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

async fn handle(
    AxumState(inner): AxumState<Arc<Inner>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().trim_start_matches('/');
    if let Some(rest) = path.strip_prefix("file/bot") {
        return download(&inner, rest);
    }
    let Some((token, method)) = path.strip_prefix("bot").and_then(|r| r.split_once('/')) else {
        return error(&ApiError::new(404, "Not Found"));
    };
    if token != inner.token {
        return error(&ApiError::new(401, "Unauthorized"));
    }
    let latency = inner.lock().faults.latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let name = inner.spec.method_name(method).unwrap_or(method).to_owned();
    let decoded = match decode(&inner.spec, &name, uri.query(), content_type, &body) {
        Ok(d) => d,
        Err(detail) => {
            return refuse(
                &inner,
                &name,
                Value::Null,
                format!("Bad Request: {detail}"),
                detail,
            )
        }
    };
    if let Err(refusal) = inner.spec.check(&name, &decoded.params) {
        return refuse(
            &inner,
            &name,
            decoded.params,
            refusal.description,
            refusal.detail,
        );
    }
    if name == "getUpdates" {
        let result = get_updates(&inner, &decoded.params).await;
        return finish(&inner, &name, decoded.params, result, false);
    }
    let (result, drop_response) = {
        let mut st = inner.lock();
        if let Some(status) = take_failure(&mut st.faults.fail, &name) {
            let description = match status {
                502 => "Bad Gateway",
                503 => "Service Unavailable",
                504 => "Gateway Timeout",
                _ => "Internal Server Error",
            };
            (Err(ApiError::new(status, description)), false)
        } else {
            let result = st.call(&name, &decoded.params, &decoded);
            let drop_response = result.is_ok() && st.faults.drop_responses > 0;
            if drop_response {
                st.faults.drop_responses -= 1;
            }
            (result, drop_response)
        }
    };
    if is_message_send(&name)
        || name.starts_with("edit")
        || name == "deleteMessage"
        || name.ends_with("ForumTopic")
    {
        inner.messages.notify_waiters();
    }
    if name.ends_with("Webhook") {
        inner.updates.notify_waiters();
    }
    inner.changed();
    finish(&inner, &name, decoded.params, result, drop_response)
}

fn take_failure(rules: &mut Vec<(Option<String>, u32, u16)>, method: &str) -> Option<u16> {
    let rule = rules.iter_mut().find(|(filter, left, _)| {
        *left > 0
            && filter
                .as_deref()
                .is_none_or(|f| f.eq_ignore_ascii_case(method))
    })?;
    rule.1 -= 1;
    let status = rule.2;
    rules.retain(|(_, left, _)| *left > 0);
    Some(status)
}

fn refuse(
    inner: &Inner,
    method: &str,
    params: Value,
    description: String,
    detail: String,
) -> Response {
    let e = ApiError::new(400, description.clone());
    let mut st = inner.lock();
    st.refusals.push(RefusalRecord {
        method: method.to_owned(),
        params: params.clone(),
        description,
        detail: detail.clone(),
    });
    st.requests.push(RequestRecord {
        method: method.to_owned(),
        params,
        at: SystemTime::now(),
        outcome: Outcome::Refused(detail),
    });
    error(&e)
}

fn finish(
    inner: &Inner,
    method: &str,
    params: Value,
    result: Result<Value, ApiError>,
    drop_response: bool,
) -> Response {
    let mut st = inner.lock();
    let outcome = match (&result, drop_response) {
        (Ok(_), true) => Outcome::Dropped,
        (Ok(_), false) => Outcome::Ok,
        (Err(e), _) => {
            st.record_error(method, &params, e);
            Outcome::Error {
                code: e.code,
                description: e.description.clone(),
            }
        }
    };
    st.requests.push(RequestRecord {
        method: method.to_owned(),
        params,
        at: SystemTime::now(),
        outcome,
    });
    drop(st);
    match result {
        Ok(_) if drop_response => dropped(),
        Ok(value) => ok(value),
        Err(e) => error(&e),
    }
}

fn download(inner: &Inner, rest: &str) -> Response {
    let Some((token, path)) = rest.split_once('/') else {
        return error(&ApiError::new(404, "Not Found"));
    };
    if token != inner.token {
        return error(&ApiError::new(401, "Unauthorized"));
    }
    // teloxide sends the path as one segment, `/` escaped as `%2F`.
    match inner.lock().file_bytes(&percent_decode(path)) {
        Some(bytes) => bytes.into_response(),
        None => error(&ApiError::new(404, "Not Found")),
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (other, _) => {
                out.push(other);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The long poll. A newer call ends an older one with 409, as Telegram does.
async fn get_updates(inner: &Inner, params: &Value) -> Result<Value, ApiError> {
    let timeout = params
        .get("timeout")
        .and_then(Value::as_i64)
        .unwrap_or(0)
        .clamp(0, 3600);
    let limit = params
        .get("limit")
        .and_then(Value::as_i64)
        .unwrap_or(100)
        .clamp(1, 100) as usize;
    let generation = {
        let mut st = inner.lock();
        if st.webhook.is_some() {
            return Err(ApiError::new(409, WEBHOOK_ACTIVE));
        }
        st.poll_generation += 1;
        st.confirm(params);
        st.poll_generation
    };
    inner.updates.notify_waiters();
    let deadline = Instant::now() + Duration::from_secs(timeout.unsigned_abs());
    let mut shutdown = inner.shutdown.clone();
    loop {
        let mut notified = pin!(inner.updates.notified());
        notified.as_mut().enable();
        {
            let mut st = inner.lock();
            if st.poll_generation != generation {
                return Err(ApiError::new(409, TERMINATED));
            }
            let updates = st.take_updates(limit);
            if !updates.is_empty() || Instant::now() >= deadline || *shutdown.borrow() {
                return Ok(Value::Array(updates));
            }
        }
        tokio::select! {
            () = notified => {}
            () = tokio::time::sleep_until(deadline) => {}
            _ = shutdown.changed() => {}
        }
    }
}

/// Posts queued updates to the webhook one at a time, as JSON with the
/// secret header; a non-2xx answer leaves the update queued for a retry.
pub(crate) async fn push_webhook(inner: Arc<Inner>) {
    let client = reqwest::Client::new();
    let mut shutdown = inner.shutdown.clone();
    loop {
        if *shutdown.borrow() {
            return;
        }
        let mut notified = pin!(inner.updates.notified());
        notified.as_mut().enable();
        let next = inner.lock().webhook_next();
        let Some((hook, id, update)) = next else {
            tokio::select! {
                () = notified => continue,
                _ = shutdown.changed() => return,
            }
        };
        let mut request = client
            .post(&hook.url)
            .json(&update)
            .timeout(Duration::from_secs(10));
        if let Some(secret) = &hook.secret_token {
            request = request.header("X-Telegram-Bot-Api-Secret-Token", secret);
        }
        match request.send().await {
            Ok(answer) if answer.status().is_success() => inner.lock().webhook_done(id),
            _ => {
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_millis(200)) => {}
                    _ = shutdown.changed() => return,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_count_down_and_respect_the_method_filter() {
        let mut rules = vec![(Some("sendMessage".to_owned()), 1, 502), (None, 1, 500)];
        assert_eq!(take_failure(&mut rules, "getMe"), Some(500));
        assert_eq!(take_failure(&mut rules, "getMe"), None);
        assert_eq!(take_failure(&mut rules, "SendMessage"), Some(502));
        assert!(rules.is_empty());
    }

    #[test]
    fn file_paths_are_percent_decoded() {
        assert_eq!(percent_decode("photos%2Ffile_3.jpg"), "photos/file_3.jpg");
        assert_eq!(percent_decode("a%zz/b"), "a%zz/b");
    }
}
