//! The CSV importer's reading of a file: decoding (UTF-8, BOM, GBK), the
//! header check and the field parsers, on arbitrary bytes.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use propdesk::domain::fees::{parse_due_date, Cents, Period};
use propdesk::domain::phone::Phone;
use propdesk::domain::units::{Area, Role, UnitCode};
use propdesk::import::source::{decode, Columns, Fields};

const COLUMNS: &[&str] = &["unit", "name", "phone", "role"];

fuzz_target!(|data: &[u8]| {
    let path = Path::new("fuzzed.csv");
    let Ok(decoded) = decode(path, data.to_vec()) else {
        return;
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(decoded.text.as_bytes());
    let mut records = reader.records();
    let Some(Ok(header)) = records.next() else {
        return;
    };
    let Ok(columns) = Columns::check(path, &header, COLUMNS) else {
        return;
    };
    for (i, record) in records.filter_map(Result::ok).enumerate() {
        if record.len() != columns.width {
            continue;
        }
        let fields = Fields::new(i as u64 + 2, &record, &columns);
        for column in COLUMNS {
            let value = fields.get(column);
            let _ = UnitCode::parse(value);
            let _ = Area::parse(value);
            let _ = Role::parse(value);
            let _ = Phone::parse(value);
            let _ = Period::parse(value);
            let _ = Cents::parse(value, column);
            let _ = parse_due_date(value);
        }
    }
});
