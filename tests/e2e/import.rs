//! `propdesk import`: the office's CSV exports loaded into a fresh database,
//! every rejected row explained, re-imports that change nothing.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::NaiveDate;
use propdesk::db::testing::{fresh_database, TestDatabase};
use propdesk::domain::fees::{fees_for_person, render_fees};
use propdesk::domain::people::find_people_by_phone;
use propdesk::domain::phone::Phone;
use propdesk::domain::units::{find_unit, units_of_person, Role, UnitMatch};
use propdesk::i18n::Lang;
use propdesk::import::{
    import, run_import_command, ImportError, ImportKind, ImportOptions, ImportReport,
};
use tempfile::TempDir;

const UNITS: &str = "\
unit,building,entrance,floor,area_m2
3-2-1101,3,2,11,89.5
3-2-1102,3,2,11,120
5-1-302,5,1,3,60
";

const OWNERS: &str = "\
unit,name,phone,role
3-2-1101,张三,138 1234 5678,owner
3-2-1102,张三,+86 138-1234-5678,owner
3-2-1101,李四,13900001111,family
5-1-302,Alice Smith,+44 7911 123456,tenant
";

const FEES: &str = "\
unit,period,item,amount_due,amount_paid,due_date
3-2-1101,2026-10,property management,331.15,331.15,2026-10-31
3-2-1101,2026-11,property management,331.15,0,2026-11-30
3-2-1101,2026-11,water,45,45.00,2026-11-30
3-2-1102,2026-11,property management,444.00,100,2026-11-30
5-1-302,2026-11,物业管理费,200,50,2026/11/30
";

/// A fresh database and a folder for the files an operator would import.
struct Office {
    db: TestDatabase,
    dir: TempDir,
}

impl Office {
    async fn new() -> Office {
        Office {
            db: fresh_database().await.unwrap(),
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn file(&self, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        path
    }

    async fn try_import(
        &self,
        kind: ImportKind,
        path: &Path,
        dry_run: bool,
    ) -> Result<ImportReport, ImportError> {
        let mut conn = self.db.pool.acquire().await.unwrap();
        let opts = ImportOptions {
            dry_run,
            batch_size: 2,
            ..ImportOptions::default()
        };
        import(&mut conn, kind, path, opts).await
    }

    /// `import owners --replace` (a dry run if asked) of `content`.
    async fn replace(&self, content: &str, dry_run: bool) -> Result<ImportReport, ImportError> {
        let path = self.file("owners-new.csv", content);
        let mut conn = self.db.pool.acquire().await.unwrap();
        let opts = ImportOptions {
            dry_run,
            replace: true,
            ..ImportOptions::default()
        };
        import(&mut conn, ImportKind::Owners, &path, opts).await
    }

    async fn import(&self, kind: ImportKind, name: &str, content: &str) -> ImportReport {
        let path = self.file(name, content);
        self.try_import(kind, &path, false).await.unwrap()
    }

    async fn import_estate(&self) {
        self.import(ImportKind::Units, "units.csv", UNITS).await;
        self.import(ImportKind::Owners, "owners.csv", OWNERS).await;
        self.import(ImportKind::Fees, "fees.csv", FEES).await;
    }

    /// Every row of the imported tables, timestamps included.
    async fn snapshot(&self) -> Vec<String> {
        let mut all = Vec::new();
        for table in ["units", "people", "unit_members", "fees"] {
            let rows: Vec<String> =
                sqlx::query_scalar(&format!("SELECT t::text FROM {table} t ORDER BY t::text"))
                    .fetch_all(&self.db.pool)
                    .await
                    .unwrap();
            all.extend(rows.into_iter().map(|r| format!("{table}: {r}")));
        }
        all
    }

    async fn scalar(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql)
            .fetch_one(&self.db.pool)
            .await
            .unwrap()
    }

    /// The `FILE:LINE: reason` lines, with the file by name only (the
    /// folder is a temp dir).
    fn rejections(&self, report: &ImportReport) -> Vec<String> {
        let folder = format!("{}/", self.dir.path().display());
        report
            .rejection_lines()
            .map(|l| l.replacen(&folder, "", 1))
            .collect()
    }
}

fn counts(r: &ImportReport) -> (u64, u64, u64, u64, usize) {
    (r.read, r.inserted, r.updated, r.unchanged, r.rejected.len())
}

#[tokio::test]
async fn an_estate_imports_and_importing_it_again_changes_nothing() {
    let office = Office::new().await;
    let units = office.import(ImportKind::Units, "units.csv", UNITS).await;
    let owners = office
        .import(ImportKind::Owners, "owners.csv", OWNERS)
        .await;
    let fees = office.import(ImportKind::Fees, "fees.csv", FEES).await;
    assert_eq!(counts(&units), (3, 3, 0, 0, 0));
    assert_eq!(counts(&owners), (4, 4, 0, 0, 0));
    assert_eq!(counts(&fees), (5, 5, 0, 0, 0));
    assert_eq!(office.scalar("SELECT count(*) FROM people").await, 3);
    let before = office.snapshot().await;

    let units = office.import(ImportKind::Units, "units.csv", UNITS).await;
    let owners = office
        .import(ImportKind::Owners, "owners.csv", OWNERS)
        .await;
    let fees = office.import(ImportKind::Fees, "fees.csv", FEES).await;
    assert_eq!(counts(&units), (3, 0, 0, 3, 0));
    assert_eq!(counts(&owners), (4, 0, 0, 4, 0));
    assert_eq!(counts(&fees), (5, 0, 0, 5, 0));
    assert_eq!(office.snapshot().await, before);
    assert_eq!(office.scalar("SELECT count(*) FROM import_runs").await, 6);
}

#[tokio::test]
async fn the_same_phone_on_two_units_is_one_person_with_two_memberships() {
    let office = Office::new().await;
    office.import_estate().await;
    let zhang = Phone::parse("8613812345678").unwrap();
    let mut conn = office.db.pool.acquire().await.unwrap();
    let people = find_people_by_phone(&mut conn, &zhang).await.unwrap();
    assert_eq!(people.len(), 1);
    assert_eq!(people[0].name, "张三");
    let units = units_of_person(&mut conn, people[0].id).await.unwrap();
    let codes: Vec<(&str, Role, bool)> = units
        .iter()
        .map(|u| (u.code.as_str(), u.role, u.is_default))
        .collect();
    assert_eq!(
        codes,
        vec![
            ("3-2-1101", Role::Owner, true),
            ("3-2-1102", Role::Owner, false)
        ]
    );
}

#[tokio::test]
async fn a_changed_row_updates_and_the_rest_stay_unchanged() {
    let office = Office::new().await;
    office.import_estate().await;

    let units = office
        .import(
            ImportKind::Units,
            "units.csv",
            &UNITS.replace("120", "121.5"),
        )
        .await;
    assert_eq!(counts(&units), (3, 0, 1, 2, 0));

    // 张三 renamed (two rows, counted once); 李四 becomes a tenant; a new row.
    let owners = OWNERS.replace("张三", "张三丰").replace("family", "tenant")
        + "5-1-302,王五,0755 1234 5678,owner\n";
    let report = office
        .import(ImportKind::Owners, "owners.csv", &owners)
        .await;
    assert_eq!(counts(&report), (5, 1, 2, 2, 0));
    assert_eq!(
        office
            .scalar(
                "SELECT count(*) FROM people WHERE name = '张三丰' AND phone = '+8613812345678'"
            )
            .await,
        1
    );
    assert_eq!(
        office
            .scalar("SELECT count(*) FROM people WHERE phone = '+8675512345678'")
            .await,
        1
    );

    let fees = FEES.replace(
        "3-2-1101,2026-11,property management,331.15,0,",
        "3-2-1101,2026-11,property management,331.15,331.15,",
    );
    let report = office.import(ImportKind::Fees, "fees.csv", &fees).await;
    assert_eq!(counts(&report), (5, 0, 1, 4, 0));
    assert_eq!(
        office
            .scalar("SELECT amount_paid_cents FROM fees WHERE period = '2026-11' AND item = 'property management' AND amount_due_cents = 33115")
            .await,
        33115
    );
}

#[tokio::test]
async fn a_dry_run_counts_what_it_would_do_and_writes_nothing() {
    let office = Office::new().await;
    office.import(ImportKind::Units, "units.csv", UNITS).await;
    let before = office.snapshot().await;
    let path = office.file("fees.csv", FEES);
    let report = office
        .try_import(ImportKind::Fees, &path, true)
        .await
        .unwrap();
    assert_eq!(counts(&report), (5, 5, 0, 0, 0));
    assert!(report.summary().contains("dry run: nothing was written"));
    assert_eq!(office.snapshot().await, before);
    assert_eq!(office.scalar("SELECT count(*) FROM fees").await, 0);
    assert_eq!(office.scalar("SELECT count(*) FROM import_runs").await, 1);
}

#[tokio::test]
async fn every_bad_fee_row_is_rejected_with_its_line_and_reason() {
    let office = Office::new().await;
    office.import(ImportKind::Units, "units.csv", UNITS).await;
    let fees = "\
unit,period,item,amount_due,amount_paid,due_date
3-2-1101,2026-11,property management,331.15,0,2026-11-30
9-9-909,2026-11,property management,100,0,2026-11-30
3-2-1101,2026-11,water,-5,0,2026-11-30
3-2-1101,2026-11,gas,abc,0,2026-11-30
3-2-1101,2026-11,parking,10.005,0,2026-11-30
3-2-1101,2026-11,rubbish,10,0,2026-11-31
3-2-1101,2026-13,lift,10,0,2026-11-30
3-2-1101,2026-11,property management,331.15,0,2026-11-30
3-2-1101,2026-11,heating,10,0
3-2-1101,2026-11,,10,0,2026-11-30
3-2-1101,2026-11,internet,10,,2026-11-30
3 2 1101,2026-11,cable,10,0,2026-11-30
3-2-1102,2026-11,water,\"1,000.00\",0,2026-11-30
3-2-1102,2026-11,water,12.30,0,2026-11-30
";
    let report = office.import(ImportKind::Fees, "fees.csv", fees).await;
    assert_eq!(
        office.rejections(&report),
        vec![
            "fees.csv:3: unknown unit 9-9-909 (import it with units.csv first)",
            "fees.csv:4: amount_due -5 is negative",
            "fees.csv:5: amount_due \"abc\" is not a number",
            "fees.csv:6: amount_due 10.005 has more than 2 decimals",
            "fees.csv:7: due_date \"2026-11-31\" is not a date like 2026-11-30",
            "fees.csv:8: period \"2026-13\" is not YYYY-MM like 2026-11",
            "fees.csv:9: duplicate of line 2 (unit 3-2-1101, period 2026-11, item property management)",
            "fees.csv:10: expected 6 fields as in the header, found 5",
            "fees.csv:11: item is empty",
            "fees.csv:12: amount_paid is empty",
            "fees.csv:13: unit \"3 2 1101\" holds a space, a comma or a control character: a unit code is one label such as A栋1203 or 3-2-1101",
            "fees.csv:14: amount_due \"1,000.00\" is not a number",
        ]
    );
    assert_eq!(counts(&report), (14, 2, 0, 0, 12));
    assert!(report.summary().contains("12 rejected row(s)"));
    assert_eq!(office.scalar("SELECT count(*) FROM fees").await, 2);
}

#[tokio::test]
async fn every_bad_owner_and_unit_row_is_rejected_with_its_line_and_reason() {
    let office = Office::new().await;
    let units = "\
unit,building,entrance,floor,area_m2
3-2-1101,3,2,11,89.5
3-2-1102,3,2,eleven,89.5
3-2-1103,,2,11,89.5
3-2-1104,3,2,11,0
3-2-1105,3,2,11,abc
3-2-1101,3,2,11,89.5
A栋 1203,A,,12,89.5
";
    let report = office.import(ImportKind::Units, "units.csv", units).await;
    assert_eq!(
        office.rejections(&report),
        vec![
            "units.csv:3: floor \"eleven\" is not a whole number (-20 to 300, or empty)",
            "units.csv:4: building is empty",
            "units.csv:5: area_m2 \"0\" must be more than 0",
            "units.csv:6: area_m2 \"abc\" is not a number",
            "units.csv:7: duplicate of line 2 (unit 3-2-1101)",
            "units.csv:8: unit \"A栋 1203\" holds a space, a comma or a control character: a unit code is one label such as A栋1203 or 3-2-1101",
        ]
    );

    let owners = "\
unit,name,phone,role
3-2-1101,张三,13812345678,owner
3-2-1101,李四,12345,owner
3-2-1101,王五,13900001111,landlord
3-2-1101,,13900002222,owner
3-2-1101,张三,+86 138 1234 5678,owner
3-2-1101,张四,13812345678,family
8-8-808,赵六,13900003333,owner
";
    let report = office
        .import(ImportKind::Owners, "owners.csv", owners)
        .await;
    assert_eq!(
        office.rejections(&report),
        vec![
            "owners.csv:3: 12345 is neither an 11-digit mobile number nor a landline with area code; write numbers abroad as +<country code><number>",
            "owners.csv:4: role \"landlord\" is not owner, tenant or family",
            "owners.csv:5: name is empty",
            "owners.csv:6: duplicate of line 2 (unit 3-2-1101, phone +8613812345678)",
            "owners.csv:7: phone +8613812345678 belongs to 张三 on line 2, not 张四",
            "owners.csv:8: unknown unit 8-8-808 (import it with units.csv first)",
        ]
    );
    assert_eq!(counts(&report), (7, 1, 0, 0, 6));
}

#[tokio::test]
async fn a_missing_column_is_named_and_extra_columns_are_tolerated() {
    let office = Office::new().await;
    let path = office.file(
        "units.csv",
        "unit,building,floor,area_m2\n3-2-1101,3,11,89.5\n",
    );
    let err = office
        .try_import(ImportKind::Units, &path, false)
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .ends_with("units.csv:1: missing column entrance (the header must have unit,building,entrance,floor,area_m2)"),
        "{err}"
    );

    let report = office
        .import(
            ImportKind::Units,
            "units.csv",
            "area_m2,unit,note,building,entrance,floor\n89.5,3-2-1101,corner,3,2,11\n",
        )
        .await;
    assert_eq!(counts(&report), (1, 1, 0, 0, 0));
    assert_eq!(report.extra_columns, vec!["note".to_owned()]);
    assert!(report.summary().contains("ignored extra columns: note"));

    let path = office.file("empty.csv", "");
    let err = office
        .try_import(ImportKind::Fees, &path, false)
        .await
        .unwrap_err();
    assert!(matches!(err, ImportError::Empty { .. }), "{err}");
}

#[tokio::test]
async fn a_gbk_export_from_chinese_excel_is_converted_and_said_so() {
    let office = Office::new().await;
    office.import(ImportKind::Units, "units.csv", UNITS).await;
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(OWNERS);
    assert!(!unmappable);
    let path = office.file("owners-gbk.csv", gbk);
    let report = office
        .try_import(ImportKind::Owners, &path, false)
        .await
        .unwrap();
    assert_eq!(counts(&report), (4, 4, 0, 0, 0));
    assert_eq!(report.converted_from, Some("GBK"));
    assert!(report.summary().contains("converted from GBK to UTF-8"));
    assert_eq!(
        office
            .scalar("SELECT count(*) FROM people WHERE name IN ('张三', '李四')")
            .await,
        2
    );
}

#[tokio::test]
async fn a_utf8_bom_is_accepted_and_other_encodings_are_refused_with_how_to_convert() {
    let office = Office::new().await;
    let report = office
        .import(ImportKind::Units, "units.csv", &format!("\u{feff}{UNITS}"))
        .await;
    assert_eq!(counts(&report), (3, 3, 0, 0, 0));
    assert_eq!(report.converted_from, None);

    // Excel on Windows ends lines with CRLF; line numbers still match the file.
    let crlf = format!("{UNITS}3-2-1201,3,2,x,80\n").replace('\n', "\r\n");
    let report = office.import(ImportKind::Units, "units.csv", &crlf).await;
    assert_eq!(counts(&report), (4, 0, 0, 3, 1));
    assert_eq!(
        office.rejections(&report),
        vec!["units.csv:5: floor \"x\" is not a whole number (-20 to 300, or empty)"]
    );

    let path = office.file(
        "latin1.csv",
        b"unit,name,phone,role\n3-2-1101,Caf\xE9,13812345678,owner\n",
    );
    let err = office
        .try_import(ImportKind::Owners, &path, false)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("iconv -f GBK -t UTF-8"), "{err}");
}

#[tokio::test]
async fn the_command_fails_only_when_the_file_cannot_be_read() {
    let office = Office::new().await;
    let missing = office.dir.path().join("nope.csv");
    let code = run_import_command(&office.db.pool, ImportKind::Units, &missing, false, false)
        .await
        .unwrap();
    assert_eq!(code, ExitCode::FAILURE);

    let path = office.file("units.csv", format!("{UNITS}bad,row\n"));
    let code = run_import_command(&office.db.pool, ImportKind::Units, &path, false, false)
        .await
        .unwrap();
    assert_eq!(code, ExitCode::SUCCESS);
    assert_eq!(office.scalar("SELECT count(*) FROM units").await, 3);
}

#[tokio::test]
async fn an_owner_sees_the_fees_of_both_their_units() {
    let office = Office::new().await;
    office.import_estate().await;
    let mut conn = office.db.pool.acquire().await.unwrap();
    let zhang = &find_people_by_phone(&mut conn, &Phone::parse("+8613812345678").unwrap())
        .await
        .unwrap()[0];
    let fees = fees_for_person(&mut conn, zhang.id).await.unwrap();
    assert_eq!(fees.len(), 2);
    let today = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
    let en = render_fees(&fees, Lang::En, today);
    assert!(en.contains("🏠 3-2-1101 · 89.5 m² · owner"), "{en}");
    assert!(en.contains("computed as 89.5 m² × ¥3.70/m²"), "{en}");
    assert!(en.contains("🏠 3-2-1102 · 120 m² · owner"), "{en}");
    assert!(en.contains("computed as 120 m² × ¥3.70/m²"), "{en}");
    assert!(en.ends_with("Total arrears, all units: ¥675.15"), "{en}");
    // Only their own units: the tenant's unit 5-1-302 is not shown.
    assert!(!en.contains("5-1-302"), "{en}");
    let zh = render_fees(&fees, Lang::Zh, today);
    assert!(zh.contains("计费：120 m² × ¥3.70/m²"), "{zh}");
    assert!(zh.ends_with("全部房屋欠费合计：¥675.15"), "{zh}");
}

#[tokio::test]
async fn unit_codes_of_any_form_import_with_building_entrance_and_floor_from_their_columns() {
    let office = Office::new().await;
    let units = "\
unit,building,entrance,floor,area_m2
A栋1203,A,,12,89.5
12-502,12,,5,76
D-07,D,,,210
3-2-1101,3,2,11,89.5
B2-车位-015,B,,-2,12.5
";
    let report = office.import(ImportKind::Units, "units.csv", units).await;
    assert_eq!(counts(&report), (5, 5, 0, 0, 0), "{:?}", report.rejected);
    let rows: Vec<(String, String, Option<String>, Option<i32>)> =
        sqlx::query_as("SELECT code, building, entrance, floor FROM units ORDER BY code")
            .fetch_all(&office.db.pool)
            .await
            .unwrap();
    let row = |c: &str, b: &str, e: Option<&str>, f: Option<i32>| {
        (c.to_owned(), b.to_owned(), e.map(str::to_owned), f)
    };
    assert_eq!(
        rows,
        vec![
            row("12-502", "12", None, Some(5)),
            row("3-2-1101", "3", Some("2"), Some(11)),
            row("A栋1203", "A", None, Some(12)),
            row("B2-车位-015", "B", None, Some(-2)),
            row("D-07", "D", None, None),
        ]
    );
    // Owners and fees name them verbatim.
    let owners = "\
unit,name,phone,role
A栋1203,王芳,13800000001,owner
B2-车位-015,王芳,13800000001,owner
D-07,Villa Owner,13800000002,owner
";
    let report = office
        .import(ImportKind::Owners, "owners.csv", owners)
        .await;
    assert_eq!(counts(&report), (3, 3, 0, 0, 0), "{:?}", report.rejected);
    let fees = "unit,period,item,amount_due,amount_paid,due_date\nD-07,2026-11,物业管理费,800,0,2026-11-30\n";
    let report = office.import(ImportKind::Fees, "fees.csv", fees).await;
    assert_eq!(counts(&report), (1, 1, 0, 0, 0), "{:?}", report.rejected);
    // What owners type finds the office's code.
    let mut conn = office.db.pool.acquire().await.unwrap();
    for (typed, code) in [
        ("a栋 1203", "A栋1203"),
        ("A-1203", "A栋1203"),
        ("3栋2单元1101", "3-2-1101"),
        ("12号楼502", "12-502"),
        ("d7", "D-07"),
        ("b2车位015", "B2-车位-015"),
    ] {
        match find_unit(&mut conn, typed).await.unwrap() {
            UnitMatch::Found(u) => assert_eq!(u.code, code, "{typed}"),
            other => panic!("{typed}: {other:?}"),
        }
    }
    drop(conn);
    // Importing the same file again changes nothing.
    let report = office.import(ImportKind::Units, "units.csv", units).await;
    assert_eq!(counts(&report), (5, 0, 0, 5, 0));
}

#[tokio::test]
async fn replace_with_a_dry_run_lists_who_would_go_and_then_removes_them() {
    let office = Office::new().await;
    office.import_estate().await;
    let pool = &office.db.pool;
    // Bound outside the file: by staff (stays), and invited by 张三 (goes
    // with 张三 from 3-2-1102).
    sqlx::query(
        "WITH s AS (INSERT INTO people (name, phone) VALUES ('Bound By Staff', '+8613700000001') RETURNING id),
              i AS (INSERT INTO people (name) VALUES ('Invited Kid') RETURNING id)
         INSERT INTO unit_members (unit_id, person_id, role, source, invited_by)
         SELECT (SELECT id FROM units WHERE code = '5-1-302'), s.id, 'tenant', 'staff', NULL FROM s
         UNION ALL
         SELECT (SELECT id FROM units WHERE code = '3-2-1102'), i.id, 'family', 'invite',
                (SELECT id FROM people WHERE phone = '+8613812345678') FROM i",
    )
    .execute(pool)
    .await
    .unwrap();
    // 张三 sold 3-2-1102; Alice moved out of 5-1-302.
    let new_file = "\
unit,name,phone,role
3-2-1101,张三,138 1234 5678,owner
3-2-1101,李四,13900001111,family
";
    let before = office.snapshot().await;
    let dry = office.replace(new_file, true).await.unwrap();
    let expected = vec![
        "would remove: 3-2-1102 张三 +8613812345678 (owner)",
        "would remove: 3-2-1102 Invited Kid (family), invited by 张三",
        "would remove: 5-1-302 Alice Smith +447911123456 (tenant)",
    ];
    assert_eq!(dry.removal_lines().collect::<Vec<_>>(), expected);
    assert!(
        dry.summary().contains("would remove 3 membership(s)"),
        "{}",
        dry.summary()
    );
    assert_eq!(office.snapshot().await, before, "a dry run writes nothing");

    let done = office.replace(new_file, false).await.unwrap();
    assert_eq!(
        done.removal_lines().collect::<Vec<_>>(),
        expected
            .iter()
            .map(|l| l.replacen("would remove", "removed", 1))
            .collect::<Vec<_>>()
    );
    let left: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT u.code, p.name, m.source FROM unit_members m
           JOIN units u ON u.id = m.unit_id JOIN people p ON p.id = m.person_id
          ORDER BY u.code, p.name",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let left: Vec<(&str, &str, &str)> = left
        .iter()
        .map(|(u, p, s)| (u.as_str(), p.as_str(), s.as_str()))
        .collect();
    assert_eq!(
        left,
        vec![
            ("3-2-1101", "张三", "import"),
            ("3-2-1101", "李四", "import"),
            ("5-1-302", "Bound By Staff", "staff"),
        ]
    );
    assert_eq!(
        office
            .scalar("SELECT removed FROM import_runs ORDER BY id DESC LIMIT 1")
            .await,
        3
    );
    assert_eq!(
        office
            .scalar("SELECT count(*) FROM unit_member_log WHERE action = 'unbound' AND actor_kind = 'import'")
            .await,
        3
    );

    // A rejected row: --replace removes nobody (it would read as "moved out").
    let report = office
        .replace(&format!("{new_file}3-2-1101,,13900002222,owner\n"), false)
        .await
        .unwrap();
    assert!(report.removed.is_empty());
    assert!(report
        .summary()
        .contains("--replace removed nobody because rows were rejected"));
    // --replace is for owners files only.
    let path = office.file("units.csv", UNITS);
    let mut conn = office.db.pool.acquire().await.unwrap();
    let opts = ImportOptions {
        replace: true,
        ..ImportOptions::default()
    };
    let err = import(&mut conn, ImportKind::Units, &path, opts)
        .await
        .unwrap_err();
    assert!(matches!(err, ImportError::ReplaceOnlyOwners), "{err}");
}
