//! Telegram's sending limits, kept by the sender (invariant 5): at most N
//! messages in any one-second window overall, a small token bucket per
//! private chat, and at most M messages in any minute per group.
//!
//! Telegram counts a send when it arrives, one network trip after we
//! dispatch it. The global window is kept at dispatch, and it is as long as
//! one second plus how much that trip has varied lately (the spread of the
//! round trips answered recently): if every trip took the same time, the
//! arrivals are the dispatches shifted, and Telegram sees exactly our
//! window; when trips vary, the window widens by the variation, so no two
//! sends that arrive within one second of each other were more than
//! `global_per_sec` apart. The pace therefore does not fall as the round
//! trip grows — only as it wobbles. A 429 widens the window further until
//! Telegram has been quiet for a while.
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
    /// Recent round trips (dispatch to answer), newest last.
    trips: VecDeque<Duration>,
    /// Extra width after a 429, and when the last one came.
    backoff: Duration,
    last_429: Option<Instant>,
}

/// Round trips remembered for the spread.
const TRIPS: usize = 32;
/// The first 429 widens the window by this much; each further one doubles it.
const BACKOFF_STEP: Duration = Duration::from_millis(50);
/// The widest the window gets beyond its second.
const MAX_MARGIN: Duration = Duration::from_secs(1);
/// Without a 429 for this long, the backoff is dropped.
const BACKOFF_QUIET: Duration = Duration::from_secs(30);

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
            trips: VecDeque::with_capacity(TRIPS),
            backoff: Duration::ZERO,
            last_429: None,
        }
    }

    /// How long a dispatched send holds its place in the global window: one
    /// second, plus the recent spread of round trips, plus any backoff.
    #[must_use]
    pub fn window(&self, now: Instant) -> Duration {
        let spread = match (self.trips.iter().min(), self.trips.iter().max()) {
            (Some(min), Some(max)) => *max - *min,
            _ => Duration::ZERO,
        };
        let backoff = match self.last_429 {
            Some(at) if now.saturating_duration_since(at) < BACKOFF_QUIET => self.backoff,
            _ => Duration::ZERO,
        };
        SECOND + (spread + backoff).min(MAX_MARGIN)
    }

    /// How many more messages may go out right now, all chats together:
    /// what the rolling second leaves, and at most what the pacing allows
    /// (`global_per_sec / 30`, at least 1, per 1/30 s).
    pub fn global_capacity(&mut self, now: Instant) -> usize {
        let window = self.window(now);
        prune(&mut self.global, now, window);
        let window = (self.limits.global_per_sec as usize).saturating_sub(self.global.len());
        // A hair of slack so float rounding never leaves a full token at 0.999….
        window.min((self.pace_tokens(now) + 1e-6).floor() as usize)
    }

    /// When the global limit next has room (None: it has room now).
    pub fn global_ready_at(&mut self, now: Instant) -> Option<Instant> {
        if self.global_capacity(now) > 0 {
            return None;
        }
        let span = self.window(now);
        let window = (self.global.len() >= self.limits.global_per_sec as usize)
            .then(|| self.global.front().map(|t| *t + span))
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

    /// The send counted at `dispatched` was answered at `answered`: one more
    /// round trip for the spread that widens the window.
    pub fn answered(&mut self, dispatched: Instant, answered: Instant) {
        if self.trips.len() == TRIPS {
            self.trips.pop_front();
        }
        self.trips
            .push_back(answered.saturating_duration_since(dispatched));
    }

    /// Telegram answered 429 at `now`: our count and its count disagree, so
    /// the window widens (doubling on each further 429) until Telegram has
    /// been quiet for [`BACKOFF_QUIET`].
    pub fn throttled(&mut self, now: Instant) {
        let recent = self
            .last_429
            .is_some_and(|at| now.saturating_duration_since(at) < BACKOFF_QUIET);
        self.backoff = if recent {
            (self.backoff * 2).clamp(BACKOFF_STEP, MAX_MARGIN)
        } else {
            BACKOFF_STEP
        };
        self.last_429 = Some(now);
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

    /// Sends dispatched as fast as the limiter allows, each arriving at
    /// Telegram `trip(i)` after dispatch: (sends per second achieved, the
    /// most arrivals in any one-second window).
    fn simulate(limits: RateLimits, secs: u64, trip: impl Fn(usize) -> Duration) -> (f64, usize) {
        let t0 = Instant::now();
        let mut l = Limiter::new(limits);
        let mut t = t0;
        let end = t0 + SECOND * u32::try_from(secs).unwrap();
        let mut arrivals = Vec::new();
        let mut answers: Vec<(Instant, Instant)> = Vec::new();
        while t < end {
            // Answers that came back by now are reported, as the sender does.
            answers.retain(|(d, a)| {
                if *a <= t {
                    l.answered(*d, *a);
                    false
                } else {
                    true
                }
            });
            if l.global_capacity(t) > 0 {
                let i = arrivals.len();
                let one_way = trip(i);
                l.record(i64::try_from(i).unwrap() + 1, t);
                arrivals.push(t + one_way);
                answers.push((t, t + one_way * 2));
            } else {
                let next = l.global_ready_at(t).unwrap();
                let answer = answers.iter().map(|(_, a)| *a).min();
                t = answer
                    .map_or(next, |a| a.min(next))
                    .max(t + Duration::from_micros(1));
            }
        }
        arrivals.sort_unstable();
        let mut most = 0;
        for (i, a) in arrivals.iter().enumerate() {
            let within = arrivals[i..]
                .iter()
                .take_while(|b| **b < *a + SECOND)
                .count();
            most = most.max(within);
        }
        (arrivals.len() as f64 / secs as f64, most)
    }

    #[test]
    fn the_pace_holds_whatever_the_round_trip() {
        let limits = RateLimits::default();
        for ms in [0u64, 150, 400] {
            let (rate, most) = simulate(limits, 20, |_| Duration::from_millis(ms / 2));
            assert!(rate >= 0.95 * 30.0, "{ms} ms round trip: {rate:.2}/s");
            assert!(
                most <= 30,
                "{ms} ms round trip: {most} arrivals in a second"
            );
        }
    }

    #[test]
    fn a_wobbling_round_trip_widens_the_window_so_telegram_never_sees_too_many() {
        // One-way trips alternate between 50 and 250 ms.
        let (rate, most) = simulate(RateLimits::default(), 20, |i| {
            Duration::from_millis(if i % 2 == 0 { 50 } else { 250 })
        });
        assert!(most <= 30, "{most} arrivals in a second");
        assert!(rate >= 20.0, "{rate:.2}/s");
    }

    #[test]
    fn a_429_widens_the_window_until_telegram_is_quiet() {
        let t0 = Instant::now();
        let mut l = Limiter::new(limits());
        assert_eq!(l.window(t0), SECOND);
        l.throttled(t0);
        assert_eq!(l.window(t0), SECOND + BACKOFF_STEP);
        l.throttled(t0 + SECOND);
        assert_eq!(l.window(t0 + SECOND), SECOND + BACKOFF_STEP * 2);
        assert_eq!(l.window(t0 + SECOND + BACKOFF_QUIET), SECOND);
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
