//! `propdesk report tickets --from DATE --to DATE [--csv]`: what the office
//! did in a period — tickets filed by status, kind and building, median time
//! to first response and to resolution, average rating.

use anyhow::Result;
use chrono::{NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use sqlx::PgPool;

#[derive(sqlx::FromRow)]
struct KeyCount {
    key: String,
    n: i64,
}

/// One row of the report: a section, a key, a value.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub section: &'static str,
    pub key: String,
    pub value: String,
}

/// The report for tickets filed from `from` to `to` (both inclusive, local
/// days in `tz`).
pub async fn tickets(pool: &PgPool, from: NaiveDate, to: NaiveDate, tz: Tz) -> Result<Vec<Line>> {
    let start = tz
        .from_local_datetime(&from.and_time(NaiveTime::MIN))
        .earliest()
        .map_or_else(Utc::now, |d| d.with_timezone(&Utc));
    let end = tz
        .from_local_datetime(&(to + chrono::Duration::days(1)).and_time(NaiveTime::MIN))
        .earliest()
        .map_or_else(Utc::now, |d| d.with_timezone(&Utc));
    let mut lines = Vec::new();
    for (section, expr) in [
        ("status", "t.status"),
        ("kind", "t.kind"),
        ("building", "COALESCE(u.building, '-')"),
    ] {
        // The grouping expression is spliced in, so the rows are read into a
        // `FromRow` type rather than checked by a macro.
        let rows: Vec<KeyCount> = sqlx::query_as(&format!(
            "SELECT {expr} AS key, count(*) AS n FROM tickets t LEFT JOIN units u ON u.id = t.unit_id
              WHERE t.created_at >= $1 AND t.created_at < $2 GROUP BY 1 ORDER BY 1"
        ))
        .bind(start)
        .bind(end)
        .fetch_all(pool)
        .await?;
        for r in rows {
            lines.push(Line {
                section,
                key: r.key,
                value: r.n.to_string(),
            });
        }
    }
    let r = sqlx::query!(
        r#"SELECT count(*) AS "total!",
                percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM first_response_at - created_at))
                    FILTER (WHERE first_response_at IS NOT NULL) AS response,
                percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM resolved_at - created_at))
                    FILTER (WHERE resolved_at IS NOT NULL) AS resolve,
                avg(rating)::float8 AS rating, count(rating) AS "rated!"
           FROM tickets WHERE created_at >= $1 AND created_at < $2"#,
        start,
        end
    )
    .fetch_one(pool)
    .await?;
    let minutes = |secs: Option<f64>| secs.map_or("-".to_string(), |s| format!("{:.0}", s / 60.0));
    lines.push(Line {
        section: "total",
        key: "tickets".into(),
        value: r.total.to_string(),
    });
    lines.push(Line {
        section: "median_minutes",
        key: "first_response".into(),
        value: minutes(r.response),
    });
    lines.push(Line {
        section: "median_minutes",
        key: "resolution".into(),
        value: minutes(r.resolve),
    });
    lines.push(Line {
        section: "rating",
        key: "average".into(),
        value: r.rating.map_or("-".into(), |a| format!("{a:.2}")),
    });
    lines.push(Line {
        section: "rating",
        key: "count".into(),
        value: r.rated.to_string(),
    });
    Ok(lines)
}

/// The lines as `section,key,value` CSV (with a header) or as aligned text.
#[must_use]
pub fn render(lines: &[Line], csv: bool) -> String {
    let mut out = String::new();
    if csv {
        out.push_str("section,key,value\n");
        for l in lines {
            let key = if l.key.contains([',', '"', '\n']) {
                format!("\"{}\"", l.key.replace('"', "\"\""))
            } else {
                l.key.clone()
            };
            out.push_str(&format!("{},{key},{}\n", l.section, l.value));
        }
    } else {
        let mut section = "";
        for l in lines {
            if l.section != section {
                section = l.section;
                out.push_str(&format!("{section}:\n"));
            }
            out.push_str(&format!("  {:<20} {}\n", l.key, l.value));
        }
    }
    out
}
