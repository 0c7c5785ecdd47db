//! A report as a manager reads it in Telegram: the summary text and the
//! chart images, labelled in the manager's language. Plain functions of the
//! figures (`crate::domain::report`).

use crate::domain::departments::Department;
use anyhow::Result;
use chrono::NaiveDate;
use chrono_tz::Tz;

use super::chart::{self, Panel, Plot, Series};
use crate::clock::local_minute as local;
use crate::domain::report::{Deadlines, Figures, Period, PeriodKind, StaffFigures};
use crate::domain::tickets::TicketKind;
use crate::i18n::{Lang, MAX_TEXT};
use crate::texts::{self, report as t};

/// A chart ready to send.
#[derive(Debug, Clone)]
pub struct Chart {
    pub file_name: String,
    pub caption: String,
    pub png: Vec<u8>,
}

/// How the period is named: `2026年11月`, `Q4 2026`, `2026-11-01 to 2026-11-09`.
#[must_use]
pub fn period_label(p: &Period, lang: Lang) -> String {
    match p.kind {
        PeriodKind::Month { year, month } => t::PERIOD_MONTH.fill(
            lang,
            &[
                ("year", &year.to_string()),
                ("month", texts::month(month).get(lang)),
            ],
        ),
        PeriodKind::Quarter { year, quarter } => t::PERIOD_QUARTER.fill(
            lang,
            &[
                ("year", &year.to_string()),
                ("quarter", &quarter.to_string()),
            ],
        ),
        PeriodKind::Range => {
            t::PERIOD_RANGE.fill(lang, &[("from", &day(p.from)), ("to", &day(p.to))])
        }
    }
}

fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// A ticket kind's name (`repair` → 报修).
#[must_use]
pub fn kind_label(kind: &str, lang: Lang) -> String {
    if kind.is_empty() {
        return t::ALL_KINDS.get(lang).to_string();
    }
    TicketKind::parse(kind).map_or_else(|| kind.to_string(), |k| k.label(lang).to_string())
}

/// A building's name; tickets without a unit are grouped as "no unit".
#[must_use]
pub fn building_label(building: &str, lang: Lang) -> String {
    if building.is_empty() {
        t::NO_UNIT.get(lang).to_string()
    } else {
        building.to_string()
    }
}

/// The roster's department in `lang` when it names one of the office's
/// departments, else as the roster wrote it.
fn department_label(department: &str, lang: Lang) -> String {
    if department.is_empty() {
        return t::NO_DEPARTMENT.get(lang).to_string();
    }
    match Department::from_user(department) {
        Some(d) => d.label(lang).to_string(),
        None => department.to_string(),
    }
}

/// `75%`, or a dash when there is nothing to judge.
#[must_use]
pub fn percent_text(p: Option<f64>, lang: Lang) -> String {
    p.map_or_else(|| t::NONE.get(lang).to_string(), |p| format!("{p:.0}%"))
}

fn score(v: Option<f64>, lang: Lang) -> String {
    v.map_or_else(|| t::NONE.get(lang).to_string(), |v| format!("{v:.2}"))
}

/// `42 min`, `5.2 h`, `3.5 days`.
#[must_use]
pub fn duration_text(minutes: Option<f64>, lang: Lang) -> String {
    let Some(m) = minutes else {
        return t::NONE.get(lang).to_string();
    };
    if m < 120.0 {
        t::MINUTES.fill(lang, &[("n", &format!("{m:.0}"))])
    } else if m < 48.0 * 60.0 {
        t::HOURS.fill(lang, &[("n", &format!("{:.1}", m / 60.0))])
    } else {
        t::DAYS.fill(lang, &[("n", &format!("{:.1}", m / 1440.0))])
    }
}

fn ratio(on_time: i64, late: i64) -> String {
    format!("{on_time}/{}", on_time + late)
}

/// The summary message: every figure of the report in a few lines (cut to
/// Telegram's limit, the comments first).
#[must_use]
pub fn summary(f: &Figures, lang: Lang, tz: Tz) -> String {
    let mut lines = vec![t::TITLE.fill(lang, &[("period", &period_label(&f.period, lang))])];
    let tk = &f.tickets;
    if tk.total == 0 {
        lines.push(t::NO_TICKETS.get(lang).to_string());
    } else {
        let mut kinds: Vec<(String, i64)> = Vec::new();
        for row in &tk.by_kind_building {
            match kinds.iter_mut().find(|(k, _)| *k == row.kind) {
                Some((_, n)) => *n += row.tickets,
                None => kinds.push((row.kind.clone(), row.tickets)),
            }
        }
        kinds.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let kinds: Vec<String> = kinds
            .iter()
            .map(|(k, n)| {
                t::KIND_COUNT.fill(
                    lang,
                    &[("kind", &kind_label(k, lang)), ("n", &n.to_string())],
                )
            })
            .collect();
        lines.push(t::TICKETS.fill(
            lang,
            &[
                ("total", &tk.total.to_string()),
                ("kinds", &kinds.join(" · ")),
            ],
        ));
        let all = tk.overall();
        lines.push(t::DEADLINES.fill(
            lang,
            &[
                ("response", &percent_text(all.response_percent(), lang)),
                (
                    "response_n",
                    &ratio(all.response_on_time, all.response_late),
                ),
                ("resolve", &percent_text(all.resolve_percent(), lang)),
                ("resolve_n", &ratio(all.resolve_on_time, all.resolve_late)),
            ],
        ));
        lines.push(t::MEDIANS.fill(
            lang,
            &[
                ("response", &duration_text(tk.median_response_minutes, lang)),
                ("resolve", &duration_text(tk.median_resolve_minutes, lang)),
            ],
        ));
        lines.push(match tk.average_rating() {
            Some(avg) => t::RATINGS.fill(
                lang,
                &[
                    ("average", &format!("{avg:.2}")),
                    ("count", &tk.rated().to_string()),
                ],
            ),
            None => t::NO_RATINGS.get(lang).to_string(),
        });
    }
    lines.push(match f.survey_trend.last() {
        Some(q) => t::SURVEY.fill(
            lang,
            &[
                ("quarter", &q.code),
                ("mean", &score(q.mean, lang)),
                ("responses", &q.responses.to_string()),
            ],
        ),
        None => t::NO_SURVEY.get(lang).to_string(),
    });
    let b = &f.broadcasts;
    lines.push(t::BROADCASTS.fill(
        lang,
        &[
            ("notices", &b.notices.to_string()),
            ("delivered", &b.delivered.to_string()),
            ("recipients", &b.recipients.to_string()),
            ("join", &b.join.to_string()),
            ("decline", &b.decline.to_string()),
        ],
    ));
    if !f.activities.is_empty() {
        lines.push(t::ACTIVITIES_HEADER.get(lang).to_string());
        for a in &f.activities {
            lines.push(t::ACTIVITY_LINE.fill(
                lang,
                &[
                    ("title", &a.title),
                    ("date", &local(a.starts_at, tz)),
                    ("joined", &a.joined.to_string()),
                    ("capacity", &a.capacity.to_string()),
                    ("waiting", &a.waiting.to_string()),
                    ("attended", &a.attended.to_string()),
                    ("rating", &score(a.average_rating, lang)),
                    ("ratings", &a.ratings.to_string()),
                    ("comments", &a.comments.len().to_string()),
                ],
            ));
            for c in a.comments.iter().take(5) {
                let short: String = c.chars().take(80).collect();
                lines.push(t::COMMENT_LINE.fill(lang, &[("comment", &short)]));
            }
        }
    }
    people_lines(&mut lines, t::STAFF_HEADER, &f.staff, lang, |s| {
        s.name.clone()
    });
    people_lines(
        &mut lines,
        t::DEPARTMENTS_HEADER,
        &f.departments,
        lang,
        |s| department_label(&s.department, lang),
    );
    if f.activity_overdue(tz) {
        lines.push(match f.last_activity {
            Some(at) => t::ACTIVITY_OVERDUE
                .fill(lang, &[("date", &day(at.with_timezone(&tz).date_naive()))]),
            None => t::ACTIVITY_NEVER.get(lang).to_string(),
        });
    }
    cap(&lines.join("\n"))
}

fn people_lines(
    lines: &mut Vec<String>,
    header: texts::Phrase,
    people: &[StaffFigures],
    lang: Lang,
    name: impl Fn(&StaffFigures) -> String,
) {
    if people.is_empty() {
        return;
    }
    lines.push(header.get(lang).to_string());
    for s in people.iter().take(15) {
        lines.push(t::PEOPLE_LINE.fill(
            lang,
            &[
                ("name", &name(s)),
                ("assigned", &s.assigned.to_string()),
                ("resolved", &s.resolved.to_string()),
                ("on_time", &percent_text(s.resolve_percent(), lang)),
                ("rating", &score(s.average_rating, lang)),
            ],
        ));
    }
}

/// Cut to Telegram's limit.
fn cap(text: &str) -> String {
    if text.chars().count() <= MAX_TEXT {
        return text.to_string();
    }
    let mut out: String = text.chars().take(MAX_TEXT - 1).collect();
    out.push('…');
    out
}

fn values(v: impl IntoIterator<Item = i64>) -> Vec<Option<f64>> {
    #[allow(clippy::cast_precision_loss)]
    v.into_iter().map(|n| Some(n as f64)).collect()
}

/// The panels of the two charts: tickets and deadlines; satisfaction,
/// notices and activities. A panel with no data is left out.
#[must_use]
pub fn panels(f: &Figures, lang: Lang) -> [Vec<Panel>; 2] {
    let mut tickets = Vec::new();
    let tk = &f.tickets;
    if tk.total > 0 {
        let (kinds, buildings) = tk.kinds_and_buildings();
        tickets.push(Panel {
            title: t::PANEL_KIND_BUILDING.get(lang).to_string(),
            plot: Plot::Bars {
                categories: buildings.iter().map(|b| building_label(b, lang)).collect(),
                series: kinds
                    .iter()
                    .map(|k| Series {
                        name: kind_label(k, lang),
                        values: buildings
                            .iter()
                            .map(|b| {
                                let n = tk.count(k, b);
                                #[allow(clippy::cast_precision_loss)]
                                (n > 0).then_some(n as f64)
                            })
                            .collect(),
                    })
                    .collect(),
                percent: false,
            },
        });
        let judged: Vec<&Deadlines> = tk
            .deadlines
            .iter()
            .filter(|d| d.response_percent().is_some() || d.resolve_percent().is_some())
            .collect();
        if !judged.is_empty() {
            tickets.push(Panel {
                title: t::PANEL_DEADLINES.get(lang).to_string(),
                plot: Plot::Bars {
                    categories: judged.iter().map(|d| kind_label(&d.kind, lang)).collect(),
                    series: vec![
                        Series {
                            name: t::SERIES_RESPONSE.get(lang).to_string(),
                            values: judged.iter().map(|d| d.response_percent()).collect(),
                        },
                        Series {
                            name: t::SERIES_RESOLVE.get(lang).to_string(),
                            values: judged.iter().map(|d| d.resolve_percent()).collect(),
                        },
                    ],
                    percent: true,
                },
            });
        }
    }
    for (people, title, name) in [
        (&f.staff, t::PANEL_STAFF, true),
        (&f.departments, t::PANEL_DEPARTMENTS, false),
    ] {
        if people.is_empty() {
            continue;
        }
        let shown: Vec<&StaffFigures> = people.iter().take(8).collect();
        tickets.push(Panel {
            title: title.get(lang).to_string(),
            plot: Plot::Bars {
                categories: shown
                    .iter()
                    .map(|s| {
                        if name {
                            s.name.clone()
                        } else {
                            department_label(&s.department, lang)
                        }
                    })
                    .collect(),
                series: vec![
                    Series {
                        name: t::SERIES_ASSIGNED.get(lang).to_string(),
                        values: values(shown.iter().map(|s| s.assigned)),
                    },
                    Series {
                        name: t::SERIES_RESOLVED.get(lang).to_string(),
                        values: values(shown.iter().map(|s| s.resolved)),
                    },
                ],
                percent: false,
            },
        });
    }

    let mut people = Vec::new();
    if tk.rated() > 0 {
        people.push(Panel {
            title: t::PANEL_RATINGS.get(lang).to_string(),
            plot: Plot::Bars {
                categories: (1..=5)
                    .map(|n: i32| t::STARS.fill(lang, &[("n", &n.to_string())]))
                    .collect(),
                series: vec![Series {
                    name: t::SERIES_RATINGS.get(lang).to_string(),
                    values: values(tk.ratings),
                }],
                percent: false,
            },
        });
    }
    if !f.survey_trend.is_empty() {
        people.push(Panel {
            title: t::PANEL_SURVEY.get(lang).to_string(),
            plot: Plot::Lines {
                x: f.survey_trend.iter().map(|q| q.code.clone()).collect(),
                series: vec![Series {
                    name: t::SERIES_MEAN.get(lang).to_string(),
                    values: f.survey_trend.iter().map(|q| q.mean).collect(),
                }],
                min: 1.0,
                max: 5.0,
            },
        });
    }
    let b = &f.broadcasts;
    if b.notices > 0 {
        people.push(Panel {
            title: t::PANEL_BROADCASTS.get(lang).to_string(),
            plot: Plot::Bars {
                categories: [
                    t::SERIES_RECIPIENTS,
                    t::SERIES_DELIVERED,
                    t::SERIES_JOIN,
                    t::SERIES_DECLINE,
                ]
                .iter()
                .map(|p| p.get(lang).to_string())
                .collect(),
                series: vec![Series {
                    name: t::PANEL_BROADCASTS.get(lang).to_string(),
                    values: values([b.recipients, b.delivered, b.join, b.decline]),
                }],
                percent: false,
            },
        });
    }
    if !f.activities.is_empty() {
        let shown: Vec<_> = f.activities.iter().take(6).collect();
        people.push(Panel {
            title: t::PANEL_ACTIVITIES.get(lang).to_string(),
            plot: Plot::Bars {
                categories: shown.iter().map(|a| a.title.clone()).collect(),
                series: vec![
                    Series {
                        name: t::SERIES_JOINED.get(lang).to_string(),
                        values: values(shown.iter().map(|a| a.joined)),
                    },
                    Series {
                        name: t::SERIES_ATTENDED.get(lang).to_string(),
                        values: values(shown.iter().map(|a| a.attended)),
                    },
                    Series {
                        name: t::SERIES_WAITING.get(lang).to_string(),
                        values: values(shown.iter().map(|a| a.waiting)),
                    },
                ],
                percent: false,
            },
        });
    }
    [tickets, people]
}

/// The chart images of the report (none when it has nothing to show).
pub fn charts(f: &Figures, lang: Lang, tz: Tz) -> Result<Vec<Chart>> {
    let period = period_label(&f.period, lang);
    let title = t::CHART_TITLE.fill(lang, &[("period", &period)]);
    let subtitle = t::CHART_SUBTITLE.fill(
        lang,
        &[
            ("from", &day(f.period.from)),
            ("to", &day(f.period.to)),
            ("timezone", tz.name()),
        ],
    );
    let groups = panels(f, lang);
    let names = [("tickets", t::CHART_TICKETS), ("people", t::CHART_PEOPLE)];
    let drawn: Vec<_> = groups
        .iter()
        .zip(names)
        .filter(|(p, _)| !p.is_empty())
        .collect();
    let of = drawn.len();
    let stem = f
        .period
        .code()
        .unwrap_or_else(|| format!("{}_{}", day(f.period.from), day(f.period.to)));
    drawn
        .into_iter()
        .enumerate()
        .map(|(i, (panels, (name, caption)))| {
            Ok(Chart {
                file_name: format!("report-{stem}-{name}.png"),
                caption: t::CHART_CAPTION.fill(
                    lang,
                    &[
                        ("title", caption.get(lang)),
                        ("n", &(i + 1).to_string()),
                        ("of", &of.to_string()),
                    ],
                ),
                png: chart::render(
                    &format!("{title} · {}", caption.get(lang)),
                    &subtitle,
                    panels,
                )?,
            })
        })
        .collect()
}
