//! The sample estate the demo starts from: three buildings of about 200
//! units, owners and family members with Chinese and English names, a year
//! of fees, staff of every role and a few open tickets — written as the
//! office's CSV exports and loaded with the real importers, the staff and
//! tickets through the same domain and processor functions the bot uses.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use chrono::{Datelike, NaiveDate};
use sqlx::PgPool;

use super::personas::{Kind, PERSONAS, STAFF_GROUP};
use crate::clock::Clock;
use crate::domain::staff::{self, StaffRole};
use crate::domain::tickets::{NewTicket, Priority, TicketKind};
use crate::import::{self, ImportKind, ImportOptions};
use crate::processor::{file_ticket, App, Ctx, ProcessorSettings};

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "林", "罗", "高",
];
const GIVEN: &[&str] = &[
    "建国", "秀英", "志强", "丽娟", "海燕", "国庆", "晓东", "美玲", "文博", "欣怡", "子轩", "雨桐",
    "俊杰", "佳慧", "明辉", "婷婷", "浩然", "思远",
];
const ENGLISH: &[&str] = &[
    "Michael Lee",
    "Sarah Johnson",
    "Kevin Tan",
    "Anna Müller",
    "James Ho",
    "Olivia Brown",
    "Daniel Kim",
    "Sophie Martin",
];

/// What was loaded, for the start-up line.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    pub units: u64,
    pub people: u64,
    pub fees: u64,
    pub tickets: usize,
}

/// One unit of the sample estate as units.csv has it.
struct SampleUnit {
    code: String,
    building: String,
    entrance: Option<u32>,
    floor: Option<u32>,
    area: f64,
}

/// Every unit of the sample estate: buildings 1–3, entrances 1–2, floors
/// 1–17, two flats a floor (`3-2-1101`, 204 flats), and eight villas of
/// row D with codes of their own (`D-01` … `D-08`: no entrance, no floor).
fn sample_units() -> Vec<SampleUnit> {
    let mut out = Vec::new();
    for building in 1..=3 {
        for entrance in 1..=2 {
            for floor in 1..=17 {
                for flat in 1..=2 {
                    let area = 68.0 + f64::from((building * 7 + floor * 3 + flat * 11) % 60) + 0.5;
                    out.push(SampleUnit {
                        code: format!("{building}-{entrance}-{floor:02}{flat:02}"),
                        building: building.to_string(),
                        entrance: Some(entrance),
                        floor: Some(floor),
                        area,
                    });
                }
            }
        }
    }
    for villa in 1..=8 {
        out.push(SampleUnit {
            code: format!("D-{villa:02}"),
            building: "D".to_owned(),
            entrance: None,
            floor: None,
            area: 210.0 + f64::from(villa * 5),
        });
    }
    out
}

/// A made-up resident name for the `n`th unit: mostly Chinese, one in
/// seven English.
fn name(n: usize) -> String {
    if n % 7 == 3 {
        ENGLISH[n / 7 % ENGLISH.len()].to_owned()
    } else {
        format!(
            "{}{}",
            SURNAMES[n % SURNAMES.len()],
            GIVEN[n / SURNAMES.len() % GIVEN.len()]
        )
    }
}

fn csv_files(today: NaiveDate) -> (String, String, String) {
    let units = sample_units();
    let mut units_csv = String::from("unit,building,entrance,floor,area_m2\n");
    let mut owners_csv = String::from("unit,name,phone,role\n");
    let mut fees_csv = String::from("unit,period,item,amount_due,amount_paid,due_date\n");
    let persona_units: Vec<&str> = PERSONAS
        .iter()
        .flat_map(|p| p.units.iter().copied())
        .collect();
    // The twelve periods up to this month, oldest first.
    let periods: Vec<NaiveDate> = (0..12)
        .rev()
        .filter_map(|back| {
            let months = today.year() * 12 + today.month0() as i32 - back;
            NaiveDate::from_ymd_opt(months / 12, (months % 12) as u32 + 1, 1)
        })
        .collect();
    for (n, unit) in units.iter().enumerate() {
        let (code, area) = (&unit.code, unit.area);
        let column = |v: Option<u32>| v.map(|v| v.to_string()).unwrap_or_default();
        let _ = writeln!(
            units_csv,
            "{code},{},{},{},{area:.1}",
            unit.building,
            column(unit.entrance),
            column(unit.floor)
        );
        if !persona_units.contains(&code.as_str()) {
            let _ = writeln!(
                owners_csv,
                "{code},{},+86139{:08},owner",
                name(n),
                10_000 + n
            );
            if n % 4 == 1 {
                let _ = writeln!(
                    owners_csv,
                    "{code},{},+86137{:08},family",
                    name(n + 101),
                    10_000 + n
                );
            }
        }
        for (i, period) in periods.iter().enumerate() {
            let p = period.format("%Y-%m");
            let due_date = period.with_day(25).unwrap_or(*period);
            let property = (area * 350.0).round() / 100.0;
            // The last two months are not all paid: arrears to show.
            let unpaid =
                (i == periods.len() - 1 && n % 2 == 0) || (i == periods.len() - 2 && n % 9 == 0);
            let paid = if unpaid { 0.0 } else { property };
            let _ = writeln!(
                fees_csv,
                "{code},{p},物业管理费,{property:.2},{paid:.2},{}",
                due_date.format("%Y-%m-%d")
            );
            let water = 30.0 + f64::from(((n + i) % 5) as u32) * 4.5;
            let _ = writeln!(
                fees_csv,
                "{code},{p},公共水电,{water:.2},{:.2},{}",
                if unpaid { 0.0 } else { water },
                due_date.format("%Y-%m-%d")
            );
        }
    }
    for p in PERSONAS.iter().filter(|p| !p.is_staff()) {
        for unit in p.units {
            let _ = writeln!(owners_csv, "{unit},{},{},{}", p.name, p.phone, p.role);
        }
    }
    (units_csv, owners_csv, fees_csv)
}

/// Whether the database already holds the sample estate.
pub async fn is_loaded(pool: &PgPool) -> Result<bool> {
    let loaded = sqlx::query_scalar!(r#"SELECT EXISTS (SELECT 1 FROM units) AS "loaded!""#)
        .fetch_one(pool)
        .await?;
    Ok(loaded)
}

/// Empties every table (the schema stays, migrations stay applied).
pub async fn wipe(pool: &PgPool) -> Result<()> {
    let tables = sqlx::query_scalar!(
        r#"SELECT quote_ident(tablename) AS "table!" FROM pg_tables
            WHERE schemaname = 'public' AND tablename <> '_sqlx_migrations'"#
    )
    .fetch_all(pool)
    .await?;
    if tables.is_empty() {
        return Ok(());
    }
    sqlx::query(&format!(
        "TRUNCATE {} RESTART IDENTITY CASCADE",
        tables.join(", ")
    ))
    .execute(pool)
    .await
    .context("emptying the demo database")?;
    Ok(())
}

/// Loads the sample estate into an empty database; `scratch` holds the
/// CSV files on the way.
pub async fn load(pool: &PgPool, scratch: &Path, clock: Arc<dyn Clock>) -> Result<Loaded> {
    let now = clock.now();
    let (units, owners, fees) = csv_files(now.date_naive());
    std::fs::create_dir_all(scratch).with_context(|| format!("creating {}", scratch.display()))?;
    let mut loaded = Loaded::default();
    let mut conn = pool.acquire().await?;
    for (kind, file, text) in [
        (ImportKind::Units, "units.csv", units),
        (ImportKind::Owners, "owners.csv", owners),
        (ImportKind::Fees, "fees.csv", fees),
    ] {
        let path = scratch.join(file);
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        let opts = ImportOptions {
            progress: false,
            ..ImportOptions::default()
        };
        let report = import::import(&mut conn, kind, &path, opts)
            .await
            .map_err(|e| anyhow::anyhow!("importing the sample {kind}: {e}"))?;
        if !report.rejected.is_empty() {
            let lines: Vec<String> = report.rejection_lines().collect();
            anyhow::bail!("the sample {kind} has rejected rows:\n{}", lines.join("\n"));
        }
        match kind {
            ImportKind::Units => loaded.units = report.inserted,
            ImportKind::Owners => loaded.people = report.inserted,
            ImportKind::Fees => loaded.fees = report.inserted,
        }
    }
    // The registered residents: linked to Telegram as the registration
    // dialogue would have linked them.
    for p in PERSONAS.iter().filter(|p| p.kind == Kind::Resident) {
        sqlx::query!(
            "UPDATE people SET telegram_user_id = $1, language = $2 WHERE phone = $3",
            p.telegram_id,
            p.lang(),
            p.phone
        )
        .execute(&mut *conn)
        .await?;
    }
    for p in PERSONAS {
        let role = match p.kind {
            Kind::Staff("assistant") => StaffRole::Assistant,
            Kind::Staff("butler") => StaffRole::Butler,
            Kind::Staff("supervisor") => StaffRole::Supervisor,
            Kind::Staff(_) => StaffRole::Manager,
            _ => continue,
        };
        staff::upsert(&mut conn, p.telegram_id, p.name, role).await?;
    }
    drop(conn);
    loaded.tickets = open_tickets(pool, clock).await?;
    Ok(loaded)
}

/// A few tickets other residents filed by phone, waiting in the queue.
async fn open_tickets(pool: &PgPool, clock: Arc<dyn Clock>) -> Result<usize> {
    let mut settings = ProcessorSettings::defaults();
    settings.staff_chat_id = Some(STAFF_GROUP);
    let app = App {
        settings,
        clock: clock.clone(),
        dialogues: Arc::default(),
    };
    let samples = [
        (
            TicketKind::Repair,
            "3-1-0302",
            Some("water"),
            Priority::Urgent,
            "卫生间天花板渗水，楼上可能漏水",
        ),
        (
            TicketKind::Repair,
            "2-2-1601",
            Some("door_lock"),
            Priority::Normal,
            "单元门门禁刷卡没反应",
        ),
        (
            TicketKind::Complaint,
            "1-2-0402",
            None,
            Priority::Normal,
            "Dog barking every night after 11 pm in the next flat",
        ),
    ];
    let mut filed = 0;
    for (i, (kind, unit, category, priority, text)) in samples.into_iter().enumerate() {
        let sample = sqlx::query!(
            "SELECT u.id, (SELECT m.person_id FROM unit_members m
                            WHERE m.unit_id = u.id AND m.role = 'owner' LIMIT 1) AS person_id
               FROM units u WHERE u.code = $1",
            unit
        )
        .fetch_one(pool)
        .await
        .with_context(|| format!("the sample unit {unit}"))?;
        let (unit_id, person_id) = (sample.id, sample.person_id);
        let mut new = NewTicket::new(kind, text);
        new.unit_id = Some(unit_id);
        new.person_id = person_id;
        new.category = category.map(str::to_owned);
        new.priority = priority;
        new.channel = crate::domain::tickets::Channel::Phone;
        let mut tx = pool.begin().await?;
        {
            let mut ctx = Ctx {
                conn: &mut tx,
                app: &app,
                // Telegram's update ids are positive: these never collide.
                update_id: -1 - i as i64,
                now: clock.now(),
                thread: None,
            };
            file_ticket(&mut ctx, new).await?;
        }
        tx.commit().await?;
        filed += 1;
    }
    Ok(filed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_has_about_two_hundred_units_and_a_year_of_fees() {
        let today = NaiveDate::from_ymd_opt(2026, 3, 10).unwrap();
        let (units, owners, fees) = csv_files(today);
        assert_eq!(units.lines().count() - 1, 212);
        assert!(owners.lines().count() > 212);
        assert!(owners.lines().any(|l| l.contains("Emily Chen")));
        assert!(fees.contains("2025-04") && fees.contains("2026-03"));
        assert!(!fees.contains("2025-03"));
        assert_eq!(fees.lines().count() - 1, 212 * 12 * 2);
    }

    #[test]
    fn villas_have_codes_of_their_own_and_no_entrance_or_floor() {
        let (units, _, _) = csv_files(NaiveDate::from_ymd_opt(2026, 3, 10).unwrap());
        assert!(units.lines().any(|l| l.starts_with("3-2-1101,3,2,11,")));
        assert!(units.lines().any(|l| l.starts_with("D-07,D,,,")), "{units}");
    }
}
