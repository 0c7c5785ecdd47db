//! Reading an office spreadsheet export as text: UTF-8 (with or without a
//! BOM), or GBK/GB18030 as Chinese Excel saves CSV, converted explicitly.

use std::collections::HashMap;
use std::path::Path;

use csv::StringRecord;

use super::error::ImportError;

/// A file's text and the encoding it was converted from, if it was not UTF-8.
#[derive(Debug)]
pub struct Decoded {
    pub text: String,
    pub converted_from: Option<&'static str>,
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Decodes `bytes` read from `path`: UTF-8 as is (a BOM is dropped), GBK /
/// GB18030 converted; anything else refused with how to convert it.
pub fn decode(path: &Path, bytes: Vec<u8>) -> Result<Decoded, ImportError> {
    let not_text = || ImportError::NotText {
        path: path.display().to_string(),
    };
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return Err(ImportError::Utf16 {
            path: path.display().to_string(),
        });
    }
    let bytes = match bytes.strip_prefix(UTF8_BOM) {
        Some(rest) => rest.to_vec(),
        None => bytes,
    };
    let decoded = match String::from_utf8(bytes) {
        Ok(text) => Decoded {
            text,
            converted_from: None,
        },
        Err(err) => {
            let bytes = err.into_bytes();
            match encoding_rs::GB18030.decode_without_bom_handling_and_without_replacement(&bytes) {
                Some(text) => Decoded {
                    text: text.into_owned(),
                    converted_from: Some("GBK"),
                },
                None => return Err(not_text()),
            }
        }
    };
    // A NUL or other control character means binary data, not a CSV export.
    if decoded
        .text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(not_text());
    }
    Ok(decoded)
}

/// Where each expected column is in the header row.
#[derive(Debug)]
pub struct Columns {
    index: HashMap<&'static str, usize>,
    pub width: usize,
    pub extra: Vec<String>,
}

impl Columns {
    /// Checks a header row against the columns a kind needs, in any order;
    /// extra columns are tolerated and listed.
    pub fn check(
        path: &Path,
        header: &StringRecord,
        expected: &'static [&'static str],
    ) -> Result<Columns, ImportError> {
        let names: Vec<String> = header.iter().map(|h| h.trim().to_lowercase()).collect();
        let mut index = HashMap::new();
        let mut extra = Vec::new();
        for (i, name) in names.iter().enumerate() {
            match expected.iter().find(|e| **e == name.as_str()) {
                Some(e) if index.contains_key(e) => {
                    return Err(ImportError::BadHeader {
                        path: path.display().to_string(),
                        reason: format!("column {name} appears twice"),
                    })
                }
                Some(e) => {
                    index.insert(*e, i);
                }
                None => extra.push(if name.is_empty() {
                    format!("(unnamed column {})", i + 1)
                } else {
                    name.clone()
                }),
            }
        }
        let missing: Vec<&str> = expected
            .iter()
            .copied()
            .filter(|e| !index.contains_key(e))
            .collect();
        if !missing.is_empty() {
            return Err(ImportError::MissingColumns {
                path: path.display().to_string(),
                missing: missing.join(", "),
                expected: expected.join(","),
            });
        }
        Ok(Columns {
            index,
            width: names.len(),
            extra,
        })
    }
}

/// One data row of the file: its line number and fields by column name.
pub struct Fields<'a> {
    pub line: u64,
    record: &'a StringRecord,
    columns: &'a Columns,
}

impl<'a> Fields<'a> {
    pub fn new(line: u64, record: &'a StringRecord, columns: &'a Columns) -> Fields<'a> {
        Fields {
            line,
            record,
            columns,
        }
    }

    /// The trimmed value of `column` ("" if absent).
    pub fn get(&self, column: &str) -> &'a str {
        self.columns
            .index
            .get(column)
            .and_then(|i| self.record.get(*i))
            .map_or("", str::trim)
    }

    /// The value of `column`, refused when empty.
    pub fn required(&self, column: &str) -> Result<&'a str, String> {
        match self.get(column) {
            "" => Err(format!("{column} is empty")),
            value => Ok(value),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_bytes(bytes: &[u8]) -> Result<Decoded, ImportError> {
        decode(Path::new("x.csv"), bytes.to_vec())
    }

    #[test]
    fn utf8_with_or_without_bom_is_read_as_is() {
        let plain = decode_bytes("unit,name\n3-2-1101,张三\n".as_bytes()).unwrap();
        assert_eq!(plain.converted_from, None);
        let mut bom = UTF8_BOM.to_vec();
        bom.extend_from_slice("unit,name\n".as_bytes());
        let with_bom = decode_bytes(&bom).unwrap();
        assert_eq!(with_bom.text, "unit,name\n");
        assert_eq!(with_bom.converted_from, None);
    }

    #[test]
    fn gbk_is_converted_and_said_so() {
        let (gbk, _, _) = encoding_rs::GBK.encode("unit,name\n3-2-1101,张三\n");
        let decoded = decode_bytes(&gbk).unwrap();
        assert_eq!(decoded.text, "unit,name\n3-2-1101,张三\n");
        assert_eq!(decoded.converted_from, Some("GBK"));
    }

    #[test]
    fn other_encodings_and_binary_are_refused() {
        // Latin-1 "Café," : 0xE9 followed by a comma is not GBK either.
        assert!(matches!(
            decode_bytes(b"name\nCaf\xE9,1\n"),
            Err(ImportError::NotText { .. })
        ));
        assert!(matches!(
            decode_bytes(b"\x00\x01\x02binary"),
            Err(ImportError::NotText { .. })
        ));
        assert!(matches!(
            decode_bytes(b"\xFF\xFEu\x00n\x00"),
            Err(ImportError::Utf16 { .. })
        ));
    }

    #[test]
    fn headers_name_the_missing_column_and_list_extras() {
        let expected: &[&str] = &["unit", "name", "phone", "role"];
        let header = StringRecord::from(vec!["Unit", " name", "role", "note"]);
        match Columns::check(Path::new("owners.csv"), &header, expected) {
            Err(ImportError::MissingColumns { missing, .. }) => assert_eq!(missing, "phone"),
            other => panic!("{other:?}"),
        }
        let header = StringRecord::from(vec!["role", "phone", "name", "unit", "note"]);
        let columns = Columns::check(Path::new("owners.csv"), &header, expected).unwrap();
        assert_eq!(columns.extra, vec!["note".to_owned()]);
        let record = StringRecord::from(vec!["owner", " 138 ", "", "3-2-1101", "x"]);
        let fields = Fields::new(2, &record, &columns);
        assert_eq!(fields.get("phone"), "138");
        assert_eq!(fields.required("name"), Err("name is empty".to_owned()));
    }
}
