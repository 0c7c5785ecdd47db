//! Why a file could not be imported at all.

/// Why a file could not be imported at all (rejected rows are not errors).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {path}: {source}")]
    Unreadable {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is neither UTF-8 nor GBK text. Save it from Excel as \"CSV UTF-8\", or convert it: iconv -f GBK -t UTF-8 {path} > converted.csv (use its real encoding after -f)")]
    NotText { path: String },
    #[error("{path} is UTF-16 (Excel \"Unicode text\"). Save it as \"CSV UTF-8\", or convert it: iconv -f UTF-16 -t UTF-8 {path} > converted.csv")]
    Utf16 { path: String },
    #[error("{path} is empty: expected a header row {expected}")]
    Empty { path: String, expected: String },
    #[error("{path}:1: missing column {missing} (the header must have {expected})")]
    MissingColumns {
        path: String,
        missing: String,
        expected: String,
    },
    #[error("{path}:1: {reason}")]
    BadHeader { path: String, reason: String },
    #[error(
        "--replace works with owners files only (it removes memberships the file no longer lists)"
    )]
    ReplaceOnlyOwners,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}
