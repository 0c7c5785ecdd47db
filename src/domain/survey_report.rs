//! `propdesk report survey 2026Q4`: per-question averages, response rate
//! per building, the comparison with earlier quarters, and an SVG chart of
//! the trend (hand-written; no plotting crate).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use sqlx::PgPool;

use super::surveys::{SurveyCode, QUESTIONS};

/// How the report names each question (Chinese and English, as on the form).
const LABELS: [(&str, &str); 6] = [
    ("总体满意度", "overall"),
    ("环境卫生", "cleanliness"),
    ("安全秩序", "security"),
    ("维修服务", "repairs"),
    ("员工服务态度", "staff attitude"),
    ("绿化养护", "green areas"),
];

/// One quarter's figures.
#[derive(Debug, Clone, PartialEq)]
pub struct QuarterFigures {
    pub code: String,
    pub responses: i64,
    /// Average per question (None: nobody scored it).
    pub averages: Vec<Option<f64>>,
}

impl QuarterFigures {
    /// The mean of the question averages.
    #[must_use]
    pub fn mean(&self) -> Option<f64> {
        let scored: Vec<f64> = self.averages.iter().flatten().copied().collect();
        #[allow(clippy::cast_precision_loss)]
        (!scored.is_empty()).then(|| scored.iter().sum::<f64>() / scored.len() as f64)
    }
}

/// A building's response rate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildingRate {
    pub building: String,
    pub units: i64,
    pub invited: i64,
    pub responses: i64,
}

async fn quarter(pool: &PgPool, survey_id: i64, code: &str) -> Result<QuarterFigures> {
    let responses: i64 = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM survey_responses WHERE survey_id = $1"#,
        survey_id
    )
    .fetch_one(pool)
    .await?;
    let mut averages = Vec::new();
    for q in QUESTIONS {
        let avg: Option<f64> = sqlx::query_scalar!(
            "SELECT avg((answers ->> $2)::float8) FROM survey_responses
              WHERE survey_id = $1 AND jsonb_typeof(answers -> $2) = 'number'",
            survey_id,
            q
        )
        .fetch_one(pool)
        .await
        .with_context(|| format!("averaging {q}"))?;
        averages.push(avg);
    }
    Ok(QuarterFigures {
        code: code.to_string(),
        responses,
        averages,
    })
}

async fn building_rates(pool: &PgPool, survey_id: i64) -> Result<Vec<BuildingRate>> {
    let mut rates = sqlx::query_as!(
        BuildingRate,
        r#"SELECT u.building, count(*) AS "units!",
                count(*) FILTER (WHERE EXISTS (SELECT 1 FROM reminders r
                                  WHERE r.survey_id = $1 AND r.unit_id = u.id AND r.kind = 'survey_invite'))
                    AS "invited!",
                count(*) FILTER (WHERE EXISTS (SELECT 1 FROM survey_responses s
                                  WHERE s.survey_id = $1 AND s.unit_id = u.id)) AS "responses!"
           FROM units u GROUP BY u.building"#,
        survey_id
    )
    .fetch_all(pool)
    .await
    .context("counting responses per building")?;
    // Building "10" after "9".
    rates.sort_by(|a, b| (a.building.len(), &a.building).cmp(&(b.building.len(), &b.building)));
    Ok(rates)
}

#[allow(clippy::cast_precision_loss)]
fn percent(part: i64, whole: i64) -> String {
    if whole == 0 {
        "-".into()
    } else {
        format!("{:.1}%", part as f64 * 100.0 / whole as f64)
    }
}

fn score(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{v:.2}"))
}

/// Writes the report of campaign `code` and its chart (`survey-CODE-trend.svg`
/// in `out_dir`, created if needed); returns the report text, which ends by
/// saying where the chart went.
pub async fn survey_report(pool: &PgPool, code: &str, out_dir: &Path) -> Result<String> {
    let Some(code) = SurveyCode::parse(code) else {
        bail!("{code:?} is not a survey code like 2026Q4");
    };
    let surveys: Vec<(i64, String)> = sqlx::query!(
        "SELECT id, code FROM surveys WHERE code <= $1 ORDER BY code",
        code.as_str()
    )
    .map(|r| (r.id, r.code))
    .fetch_all(pool)
    .await?;
    let Some((survey_id, _)) = surveys.iter().find(|(_, c)| c == code.as_str()).cloned() else {
        bail!("there is no survey {code}");
    };
    let mut history = Vec::new();
    for (id, c) in &surveys {
        history.push(quarter(pool, *id, c).await?);
    }
    let current = history
        .last()
        .cloned()
        .context("the survey's own quarter is missing")?;
    let previous = history.len().checked_sub(2).and_then(|i| history.get(i));

    let mut out = String::new();
    writeln!(
        out,
        "满意度调查 Survey {code}: {} responses",
        current.responses
    )?;
    writeln!(out)?;
    writeln!(out, "Per question (1–5):")?;
    for (i, (zh, en)) in LABELS.iter().enumerate() {
        let now = current.averages.get(i).copied().flatten();
        let before = previous.and_then(|p| p.averages.get(i).copied().flatten());
        let change = match (now, before) {
            (Some(a), Some(b)) => format!(
                "  ({:+.2} vs {})",
                a - b,
                previous.map_or("", |p| p.code.as_str())
            ),
            _ => String::new(),
        };
        writeln!(out, "  {zh} {en:<16} {}{change}", score(now))?;
    }
    writeln!(out, "  mean of questions    {}", score(current.mean()))?;
    writeln!(out)?;
    writeln!(
        out,
        "Response rate per building (responses / units; invited):"
    )?;
    for b in building_rates(pool, survey_id).await? {
        writeln!(
            out,
            "  building {:<6} {:>4} / {:<4} {:>7}   invited {} ({} of invited)",
            b.building,
            b.responses,
            b.units,
            percent(b.responses, b.units),
            b.invited,
            percent(b.responses, b.invited)
        )?;
    }
    writeln!(out)?;
    writeln!(out, "Earlier quarters:")?;
    for q in &history {
        writeln!(
            out,
            "  {}  responses {:>5}  overall {}  mean {}",
            q.code,
            q.responses,
            score(q.averages.first().copied().flatten()),
            score(q.mean())
        )?;
    }
    let chart = write_chart(out_dir, &code, &history)?;
    writeln!(out)?;
    writeln!(out, "Chart of the trend written to {}", chart.display())?;
    Ok(out)
}

const COLOURS: [&str; 6] = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
];

/// The trend as an SVG line chart: one line per question, the mean in bold.
#[must_use]
pub fn chart_svg(code: &SurveyCode, history: &[QuarterFigures]) -> String {
    let (w, h) = (720.0_f64, 420.0_f64);
    let (left, right, top, bottom) = (50.0, 170.0, 40.0, 50.0);
    let plot_w = w - left - right;
    let plot_h = h - top - bottom;
    #[allow(clippy::cast_precision_loss)]
    let n = history.len().max(1) as f64;
    #[allow(clippy::cast_precision_loss)]
    let x = |i: usize| {
        if n <= 1.0 {
            left + plot_w / 2.0
        } else {
            left + plot_w * i as f64 / (n - 1.0)
        }
    };
    let y = |v: f64| top + plot_h * (5.0 - v) / 4.0;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">"#
    );
    let _ = write!(s, r#"<rect width="{w}" height="{h}" fill="white"/>"#);
    let _ = write!(
        s,
        r#"<text x="{left}" y="22" font-size="15">Survey trend to {code} (average score 1–5)</text>"#
    );
    for v in 1..=5 {
        let yy = y(f64::from(v));
        let _ = write!(
            s,
            r##"<line x1="{left}" y1="{yy:.1}" x2="{:.1}" y2="{yy:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" text-anchor="end">{v}</text>"##,
            left + plot_w,
            left - 6.0,
            yy + 4.0
        );
    }
    for (i, q) in history.iter().enumerate() {
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            x(i),
            h - bottom + 20.0,
            q.code
        );
    }
    let mut series: Vec<(String, &str, f64, Vec<Option<f64>>)> = LABELS
        .iter()
        .enumerate()
        .map(|(qi, (_, en))| {
            (
                (*en).to_string(),
                COLOURS[qi],
                1.5,
                history
                    .iter()
                    .map(|q| q.averages.get(qi).copied().flatten())
                    .collect(),
            )
        })
        .collect();
    series.push((
        "mean".into(),
        "#000",
        3.0,
        history.iter().map(QuarterFigures::mean).collect(),
    ));
    for (k, (name, colour, width, values)) in series.iter().enumerate() {
        let points: Vec<String> = values
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.map(|v| format!("{:.1},{:.1}", x(i), y(v))))
            .collect();
        if points.len() > 1 {
            let _ = write!(
                s,
                r#"<polyline fill="none" stroke="{colour}" stroke-width="{width}" points="{}"/>"#,
                points.join(" ")
            );
        }
        for p in &points {
            if let Some((px, py)) = p.split_once(',') {
                let _ = write!(s, r#"<circle cx="{px}" cy="{py}" r="3" fill="{colour}"/>"#);
            }
        }
        #[allow(clippy::cast_precision_loss)]
        let ly = top + 18.0 * k as f64;
        let lx = w - right + 15.0;
        let _ = write!(
            s,
            r#"<line x1="{lx}" y1="{ly:.1}" x2="{:.1}" y2="{ly:.1}" stroke="{colour}" stroke-width="{width}"/><text x="{:.1}" y="{:.1}">{name}</text>"#,
            lx + 20.0,
            lx + 26.0,
            ly + 4.0
        );
    }
    s.push_str("</svg>\n");
    s
}

fn write_chart(out_dir: &Path, code: &SurveyCode, history: &[QuarterFigures]) -> Result<PathBuf> {
    std::fs::create_dir_all(out_dir).with_context(|| format!("creating {}", out_dir.display()))?;
    let path = out_dir.join(format!("survey-{code}-trend.svg"));
    std::fs::write(&path, chart_svg(code, history))
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chart_draws_a_line_per_question_and_the_mean() {
        let code = SurveyCode::parse("2026Q4").unwrap();
        let history = vec![
            QuarterFigures {
                code: "2026Q3".into(),
                responses: 2,
                averages: vec![Some(3.0); 6],
            },
            QuarterFigures {
                code: "2026Q4".into(),
                responses: 3,
                averages: vec![Some(4.0), None, Some(4.5), Some(4.0), Some(5.0), Some(3.5)],
            },
        ];
        let svg = chart_svg(&code, &history);
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        // cleanliness has one point only: no line for it
        assert_eq!(svg.matches("<polyline").count(), 6);
        assert!(svg.contains("2026Q3") && svg.contains(">mean<"));
        assert_eq!(history[1].mean(), Some(4.2));
    }
}
