//! Telegram's sending limits, kept by the sender (invariant 5): at most N
//! messages in any one-second window overall, a small token bucket per
//! private chat, and at most M messages in any minute per group.
//!
//! Pure bookkeeping over `Instant`s handed in, so it is tested without sleeping.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// The limits in force (Telegram's defaults; scaled up only against a stand-in).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimits {
    /// Messages per rolling second, all chats together.
    pub global_per_sec: u32,
    /// Sustained messages per second to one private chat.
    pub private_per_sec: f64,
    /// How many messages a private chat may get in a burst.
    pub private_burst: u32,
    /// Messages per rolling minute to one group.
    pub group_per_min: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            global_per_sec: 30,
            private_per_sec: 1.0,
            private_burst: 3,
            group_per_min: 20,
        }
    }
}

const SECOND: Duration = Duration::from_secs(1);
const MINUTE: Duration = Duration::from_secs(60);

/// Sliding-window and token-bucket state for every chat the sender touches.
#[derive(Debug)]
pub struct Limiter {
    limits: RateLimits,
    global: VecDeque<Instant>,
    private: HashMap<i64, Bucket>,
    groups: HashMap<i64, VecDeque<Instant>>,
    /// Chats Telegram told us to leave alone until then (429 retry_after).
    paused: HashMap<i64, Instant>,
    /// Paces the global rate: sends are spread over the second instead of
    /// leaving in one burst, so a reply queued behind a broadcast waits for
    /// one slot (1/30 s), not for the whole window to roll over.
    pace: Bucket,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Limiter {
    #[must_use]
    pub fn new(limits: RateLimits) -> Limiter {
        Limiter {
            limits,
            global: VecDeque::new(),
            private: HashMap::new(),
            groups: HashMap::new(),
            paused: HashMap::new(),
            pace: Bucket {
                tokens: pace_burst(limits),
                at: Instant::now(),
            },
        }
    }

    /// How many more messages may go out right now, all chats together:
    /// what the rolling second leaves, and at most what the pacing allows
    /// (`global_per_sec / 30`, at least 1, per 1/30 s).
    pub fn global_capacity(&mut self, now: Instant) -> usize {
        prune(&mut self.global, now, SECOND);
        let window = (self.limits.global_per_sec as usize).saturating_sub(self.global.len());
        // A hair of slack so float rounding never leaves a full token at 0.999….
        window.min((self.pace_tokens(now) + 1e-6).floor() as usize)
    }

    /// When the global limit next has room (None: it has room now).
    pub fn global_ready_at(&mut self, now: Instant) -> Option<Instant> {
        if self.global_capacity(now) > 0 {
            return None;
        }
        let window = (self.global.len() >= self.limits.global_per_sec as usize)
            .then(|| self.global.front().map(|t| *t + SECOND))
            .flatten();
        let tokens = self.pace_tokens(now);
        let pace = (tokens + 1e-6 < 1.0).then(|| {
            now + Duration::from_secs_f64(
                (1.0 - tokens) / f64::from(self.limits.global_per_sec.max(1)),
            )
            .max(Duration::from_micros(1))
        });
        match (window, pace) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    }

    fn pace_tokens(&self, now: Instant) -> f64 {
        let gained = now.saturating_duration_since(self.pace.at).as_secs_f64()
            * f64::from(self.limits.global_per_sec);
        (self.pace.tokens + gained).min(pace_burst(self.limits))
    }

    /// When `chat_id` may get its next message (None: now).
    pub fn chat_ready_at(&mut self, chat_id: i64, now: Instant) -> Option<Instant> {
        let paused = self.paused.get(&chat_id).copied().filter(|t| *t > now);
        if paused.is_none() {
            self.paused.remove(&chat_id);
        }
        let limit = if chat_id > 0 {
            self.private.get(&chat_id).and_then(|b| {
                let tokens = self.refilled(*b, now);
                (tokens < 1.0).then(|| {
                    now + Duration::from_secs_f64((1.0 - tokens) / self.limits.private_per_sec)
                })
            })
        } else {
            self.groups.get_mut(&chat_id).and_then(|w| {
                prune(w, now, MINUTE);
                (w.len() >= self.limits.group_per_min as usize)
                    .then(|| w.front().map(|t| *t + MINUTE))
                    .flatten()
            })
        };
        match (paused, limit) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    }

    /// Records a message sent to `chat_id` at `now` (callers skip requests
    /// Telegram does not count, such as callback answers).
    pub fn record(&mut self, chat_id: i64, now: Instant) {
        self.global.push_back(now);
        self.pace = Bucket {
            tokens: self.pace_tokens(now) - 1.0,
            at: now,
        };
        if chat_id > 0 {
            let bucket = self.private.get(&chat_id).copied().unwrap_or(Bucket {
                tokens: f64::from(self.limits.private_burst),
                at: now,
            });
            let tokens = self.refilled(bucket, now) - 1.0;
            self.private.insert(chat_id, Bucket { tokens, at: now });
        } else {
            self.groups.entry(chat_id).or_default().push_back(now);
        }
    }

    /// The send counted at `dispatched` was answered at `answered`. Telegram
    /// counted it on arrival, which may be later than dispatch (network
    /// jitter), so its place in the rolling second moves to the answer: a
    /// slot is reused only a second after Telegram surely saw the send,
    /// and Telegram's own window never sees one too many.
    pub fn answered(&mut self, dispatched: Instant, answered: Instant) {
        if let Some(i) = self.global.iter().position(|t| *t == dispatched) {
            self.global.remove(i);
        }
        let at = self.global.partition_point(|t| *t <= answered);
        self.global.insert(at, answered);
    }

    /// Telegram answered 429 for `chat_id`: leave it alone until `until`.
    pub fn pause(&mut self, chat_id: i64, until: Instant) {
        self.paused.insert(chat_id, until);
    }

    /// Chats that may not be sent to at `now` (to skip them in the queue query).
    pub fn blocked_chats(&mut self, now: Instant) -> Vec<i64> {
        let mut chats: Vec<i64> = self
            .paused
            .iter()
            .filter(|(_, t)| **t > now)
            .map(|(c, _)| *c)
            .collect();
        let private: Vec<i64> = self.private.keys().copied().collect();
        for chat in private {
            if self.chat_ready_at(chat, now).is_some() {
                chats.push(chat);
            }
        }
        let groups: Vec<i64> = self.groups.keys().copied().collect();
        for chat in groups {
            if self.chat_ready_at(chat, now).is_some() {
                chats.push(chat);
            }
        }
        self.forget_idle(now);
        chats.sort_unstable();
        chats.dedup();
        chats
    }

    /// Drops state that no longer constrains anything, so memory stays
    /// proportional to recently active chats.
    fn forget_idle(&mut self, now: Instant) {
        let burst = f64::from(self.limits.private_burst);
        let rate = self.limits.private_per_sec;
        self.private.retain(|_, b| {
            b.tokens + now.saturating_duration_since(b.at).as_secs_f64() * rate < burst
        });
        self.groups.retain(|_, w| {
            prune(w, now, MINUTE);
            !w.is_empty()
        });
        self.paused.retain(|_, t| *t > now);
    }

    fn refilled(&self, b: Bucket, now: Instant) -> f64 {
        let gained =
            now.saturating_duration_since(b.at).as_secs_f64() * self.limits.private_per_sec;
        (b.tokens + gained).min(f64::from(self.limits.private_burst))
    }
}

/// Sends allowed at once by the pacing: one 1/30 s slot's worth.
fn pace_burst(limits: RateLimits) -> f64 {
    (f64::from(limits.global_per_sec) / 30.0).ceil().max(1.0)
}

fn prune(window: &mut VecDeque<Instant>, now: Instant, span: Duration) {
    while window
        .front()
        .is_some_and(|t| now.saturating_duration_since(*t) >= span)
    {
        window.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> RateLimits {
        RateLimits {
            global_per_sec: 3,
            private_per_sec: 1.0,
            private_burst: 2,
            group_per_min: 2,
        }
    }

    #[test]
    fn global_window_admits_n_per_second() {
        let t0 = Instant::now();
        let mut l = Limiter::new(limits());
        let third = SECOND / 3;
        for i in 0..3u32 {
            let t = t0 + third * i;
            assert_eq!(l.global_capacity(t), 1);
            l.record(i64::from(i) + 1, t);
        }
        let late = t0 + SECOND - Duration::from_millis(1);
        assert_eq!(l.global_capacity(late), 0);
        assert_eq!(l.global_ready_at(late), Some(t0 + SECOND));
        assert_eq!(l.global_capacity(t0 + SECOND), 1);
    }

    #[test]
    fn global_sends_are_paced_over_the_second() {
        let t0 = Instant::now();
        let mut l = Limiter::new(RateLimits::default());
        let mut t = t0 + SECOND;
        let mut sent = 0;
        // Thirty sends take the whole second, one slot (1/30 s) apart.
        while sent < 30 {
            if l.global_capacity(t) > 0 {
                assert_eq!(l.global_capacity(t), 1, "never more than one slot at once");
                l.record(sent + 1, t);
                sent += 1;
            } else {
                t = l.global_ready_at(t).unwrap();
            }
        }
        let took = t - (t0 + SECOND);
        assert!(took >= Duration::from_millis(960), "{took:?}");
        assert!(l.global_ready_at(t).unwrap() - t <= Duration::from_millis(34));
    }

    #[test]
    fn a_slot_is_held_until_a_second_after_the_answer() {
        let t0 = Instant::now();
        let mut l = Limiter::new(limits());
        l.record(1, t0);
        l.answered(t0, t0 + Duration::from_millis(50));
        l.record(2, t0 + SECOND / 3);
        l.record(3, t0 + SECOND * 2 / 3);
        assert_eq!(
            l.global_capacity(t0 + SECOND),
            0,
            "the first send's slot is still held"
        );
        assert_eq!(
            l.global_capacity(t0 + SECOND + Duration::from_millis(50)),
            1
        );
    }

    #[test]
    fn private_chat_gets_a_burst_then_one_per_second() {
        let t0 = Instant::now();
        let mut l = Limiter::new(limits());
        assert_eq!(l.chat_ready_at(7, t0), None);
        l.record(7, t0);
        assert_eq!(l.chat_ready_at(7, t0), None);
        l.record(7, t0);
        assert_eq!(l.chat_ready_at(7, t0), Some(t0 + SECOND));
        assert_eq!(l.chat_ready_at(7, t0 + SECOND), None);
        assert_eq!(l.blocked_chats(t0), vec![7]);
    }

    #[test]
    fn group_gets_m_per_minute() {
        let t0 = Instant::now();
        let mut l = Limiter::new(limits());
        l.record(-5, t0);
        l.record(-5, t0 + SECOND);
        assert_eq!(l.chat_ready_at(-5, t0 + SECOND), Some(t0 + MINUTE));
        assert_eq!(l.chat_ready_at(-5, t0 + MINUTE), None);
    }

    #[test]
    fn a_pause_concerns_only_its_chat() {
        let t0 = Instant::now();
        let mut l = Limiter::new(limits());
        l.pause(9, t0 + 5 * SECOND);
        assert_eq!(l.chat_ready_at(9, t0), Some(t0 + 5 * SECOND));
        assert_eq!(l.chat_ready_at(10, t0), None);
        assert_eq!(l.blocked_chats(t0), vec![9]);
        assert!(l.blocked_chats(t0 + 6 * SECOND).is_empty());
    }
}
