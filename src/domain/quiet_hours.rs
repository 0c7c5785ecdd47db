//! Quiet hours: the local hours (an office setting, `quiet_hours`) when
//! nothing that is not urgent is sent to owners — broadcasts, arrears
//! reminders, survey invitations. One definition for all of them.

use anyhow::{Context, Result};
use chrono::{DateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// When non-urgent notices wait (local time); `start > end` spans midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl QuietHours {
    /// `21:00-08:00`; an empty range (`00:00-00:00`) turns quiet hours off.
    pub fn parse(text: &str) -> Result<QuietHours> {
        let (a, b) = text
            .split_once('-')
            .with_context(|| format!("quiet hours {text:?}: expected HH:MM-HH:MM"))?;
        let time = |s: &str| {
            NaiveTime::parse_from_str(s.trim(), "%H:%M")
                .with_context(|| format!("quiet hours {text:?}: {s:?} is not HH:MM"))
        };
        Ok(QuietHours {
            start: time(a)?,
            end: time(b)?,
        })
    }

    #[must_use]
    pub fn contains(&self, t: NaiveTime) -> bool {
        if self.start <= self.end {
            t >= self.start && t < self.end
        } else {
            t >= self.start || t < self.end
        }
    }

    /// The first instant at or after `at` outside quiet hours.
    #[must_use]
    pub fn release(&self, at: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
        let local = at.with_timezone(&tz);
        if !self.contains(local.time()) {
            return at;
        }
        let mut date = local.date_naive();
        if self.start > self.end && local.time() >= self.start {
            date = date.succ_opt().unwrap_or(date);
        }
        tz.from_local_datetime(&date.and_time(self.end))
            .earliest()
            .map_or(at, |t| t.with_timezone(&Utc))
    }

    #[must_use]
    pub fn label(&self) -> String {
        format!(
            "{}–{}",
            self.start.format("%H:%M"),
            self.end.format("%H:%M")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shanghai(d: u32, h: u32, m: u32) -> DateTime<Utc> {
        chrono_tz::Asia::Shanghai
            .with_ymd_and_hms(2026, 12, d, h, m, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn quiet_hours_span_midnight_and_release_at_their_end() {
        let q = QuietHours::parse("21:00-08:00").unwrap();
        let tz = chrono_tz::Asia::Shanghai;
        assert_eq!(q.release(shanghai(1, 20, 59), tz), shanghai(1, 20, 59));
        assert_eq!(q.release(shanghai(1, 21, 0), tz), shanghai(2, 8, 0));
        assert_eq!(q.release(shanghai(2, 3, 30), tz), shanghai(2, 8, 0));
        assert_eq!(q.release(shanghai(2, 8, 0), tz), shanghai(2, 8, 0));
    }

    #[test]
    fn an_empty_range_turns_them_off_and_bad_text_is_refused() {
        let off = QuietHours::parse("00:00-00:00").unwrap();
        assert!(!off.contains(NaiveTime::from_hms_opt(3, 0, 0).unwrap()));
        assert!(QuietHours::parse("9pm-8am").is_err());
        assert!(QuietHours::parse("21:00").is_err());
    }
}
