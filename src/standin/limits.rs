//! Telegram's flood limits for message-sending methods: a global rolling
//! one-second window, a token bucket per private chat and a rolling
//! one-minute window per group. Also keeps every accepted send so a
//! benchmark can measure the densest window afterwards.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// How many sends Telegram lets through; see `Limits::unlimited()` for tests
/// that are not about rates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Messages per rolling second across all chats.
    pub global_per_sec: u32,
    /// Messages a private chat may receive at once before the rate applies.
    pub private_burst: u32,
    /// Sustained messages per second to one private chat.
    pub private_per_sec: f64,
    /// Messages per rolling minute to one group.
    pub group_per_min: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            global_per_sec: 30,
            private_burst: 3,
            private_per_sec: 1.0,
            group_per_min: 20,
        }
    }
}

impl Limits {
    /// No limit at all (the log of sends is still kept).
    #[must_use]
    pub fn unlimited() -> Self {
        Self {
            global_per_sec: u32::MAX,
            private_burst: u32::MAX,
            private_per_sec: f64::INFINITY,
            group_per_min: u32::MAX,
        }
    }
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Flood control state plus the log of accepted sends.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    limits: Limits,
    global: VecDeque<Instant>,
    private: HashMap<i64, Bucket>,
    groups: HashMap<i64, VecDeque<Instant>>,
    sends: Vec<(i64, Instant)>,
    pub(crate) rejected: u64,
}

impl RateLimiter {
    pub(crate) fn new(limits: Limits) -> Self {
        Self {
            limits,
            global: VecDeque::new(),
            private: HashMap::new(),
            groups: HashMap::new(),
            sends: Vec::new(),
            rejected: 0,
        }
    }

    /// Admits one send to `chat_id` at `now`, or says how many whole seconds
    /// (at least 1) to wait. A refused send consumes nothing.
    pub(crate) fn admit(&mut self, chat_id: i64, now: Instant) -> Result<(), u64> {
        let second = Duration::from_secs(1);
        let minute = Duration::from_secs(60);
        prune(&mut self.global, now, second);
        if self.global.len() as u64 >= u64::from(self.limits.global_per_sec) {
            return Err(self.reject(wait_for_window(&self.global, now, second)));
        }
        if chat_id > 0 {
            let limits = self.limits;
            let bucket = self.private.entry(chat_id).or_insert(Bucket {
                tokens: f64::from(limits.private_burst),
                at: now,
            });
            let refill = now.duration_since(bucket.at).as_secs_f64() * limits.private_per_sec;
            bucket.tokens = (bucket.tokens + refill).min(f64::from(limits.private_burst));
            bucket.at = now;
            if bucket.tokens < 1.0 {
                let wait = (1.0 - bucket.tokens) / limits.private_per_sec;
                return Err(self.reject(Duration::from_secs_f64(wait.min(3600.0))));
            }
            bucket.tokens -= 1.0;
        } else {
            let window = self.groups.entry(chat_id).or_default();
            prune(window, now, minute);
            if window.len() as u64 >= u64::from(self.limits.group_per_min) {
                let wait = wait_for_window(window, now, minute);
                return Err(self.reject(wait));
            }
            window.push_back(now);
        }
        self.global.push_back(now);
        self.sends.push((chat_id, now));
        Ok(())
    }

    /// Counts a 429 that was decided elsewhere (a forced one).
    pub(crate) fn count_rejection(&mut self) {
        self.rejected += 1;
    }

    fn reject(&mut self, wait: Duration) -> u64 {
        self.rejected += 1;
        whole_seconds(wait)
    }

    /// The most accepted sends that fell into any window of length `window`.
    pub(crate) fn max_in_any_window(&self, window: Duration) -> usize {
        let times: Vec<Instant> = self.sends.iter().map(|(_, t)| *t).collect();
        densest(&times, window)
    }

    /// Like `max_in_any_window`, but for the busiest single chat.
    pub(crate) fn max_per_chat_in_any_window(&self, window: Duration) -> usize {
        let mut per_chat: HashMap<i64, Vec<Instant>> = HashMap::new();
        for (chat, at) in &self.sends {
            per_chat.entry(*chat).or_default().push(*at);
        }
        per_chat
            .values()
            .map(|times| densest(times, window))
            .max()
            .unwrap_or(0)
    }

    pub(crate) fn sends(&self) -> &[(i64, Instant)] {
        &self.sends
    }
}

fn prune(window: &mut VecDeque<Instant>, now: Instant, length: Duration) {
    while window
        .front()
        .is_some_and(|t| now.duration_since(*t) >= length)
    {
        window.pop_front();
    }
}

fn wait_for_window(window: &VecDeque<Instant>, now: Instant, length: Duration) -> Duration {
    window.front().map_or(Duration::ZERO, |oldest| {
        (*oldest + length).saturating_duration_since(now)
    })
}

fn whole_seconds(wait: Duration) -> u64 {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    secs.max(1)
}

/// Sliding-window maximum over sorted instants (sends are logged in order).
fn densest(times: &[Instant], window: Duration) -> usize {
    let mut best = 0;
    let mut start = 0;
    for (end, t) in times.iter().enumerate() {
        while t.duration_since(times[start]) >= window {
            start += 1;
        }
        best = best.max(end - start + 1);
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_chat_gets_a_burst_then_one_per_second() {
        let mut rl = RateLimiter::new(Limits::default());
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(rl.admit(7, t0), Ok(()));
        }
        assert_eq!(rl.admit(7, t0), Err(1));
        assert_eq!(rl.admit(7, t0 + Duration::from_millis(1000)), Ok(()));
        assert_eq!(rl.admit(8, t0), Ok(()), "another chat is not held up");
        assert_eq!(rl.rejected, 1);
    }

    #[test]
    fn group_gets_twenty_per_minute_and_global_thirty_per_second() {
        let mut rl = RateLimiter::new(Limits {
            private_burst: 100,
            ..Limits::default()
        });
        let t0 = Instant::now();
        for i in 0..20 {
            assert_eq!(rl.admit(-5, t0 + Duration::from_millis(i)), Ok(()));
        }
        assert_eq!(rl.admit(-5, t0 + Duration::from_millis(50)), Err(60));
        for chat in 1..=10 {
            assert_eq!(rl.admit(chat, t0 + Duration::from_millis(100)), Ok(()));
        }
        assert!(rl.admit(11, t0 + Duration::from_millis(100)).is_err());
        assert_eq!(rl.max_in_any_window(Duration::from_secs(1)), 30);
        assert_eq!(rl.max_per_chat_in_any_window(Duration::from_secs(1)), 20);
    }

    #[test]
    fn unlimited_admits_everything() {
        let mut rl = RateLimiter::new(Limits::unlimited());
        let t0 = Instant::now();
        for _ in 0..500 {
            assert_eq!(rl.admit(1, t0), Ok(()));
        }
        assert_eq!(rl.sends().len(), 500);
    }
}
