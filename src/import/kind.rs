//! What each kind of file (units, owners, fees) provides to the one import
//! pipeline, and the small helpers they share.

use sqlx::PgConnection;

use super::source::Fields;

/// What one batch write did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
}

/// One kind of file: its columns, how a row is checked, how a batch is written.
pub(crate) trait RowKind {
    type Row;
    const COLUMNS: &'static [&'static str];

    /// The row, or the reason it is rejected. Called in file order, so a
    /// kind can remember earlier rows (duplicates).
    fn parse(&mut self, fields: &Fields<'_>) -> Result<Self::Row, String>;

    /// Upserts a batch of accepted rows.
    async fn write(
        &mut self,
        conn: &mut PgConnection,
        rows: &[Self::Row],
    ) -> anyhow::Result<Counts>;
}

/// Counts of a batch of `rows` rows of which the upsert returned `inserted`
/// new and `updated` changed ones; the rest compared equal.
pub(crate) fn counts(rows: usize, inserted: i64, updated: i64) -> Counts {
    let inserted = u64::try_from(inserted).unwrap_or(0);
    let updated = u64::try_from(updated).unwrap_or(0);
    Counts {
        inserted,
        updated,
        unchanged: (rows as u64).saturating_sub(inserted + updated),
    }
}

/// Remembers that `key` is on `line`; a key seen before answers the line
/// it was first seen on.
pub(crate) fn first_time<K>(
    seen: &mut std::collections::HashMap<K, u64>,
    key: K,
    line: u64,
) -> Result<(), u64>
where
    K: Eq + std::hash::Hash,
{
    match seen.entry(key) {
        std::collections::hash_map::Entry::Occupied(first) => Err(*first.get()),
        std::collections::hash_map::Entry::Vacant(slot) => {
            slot.insert(line);
            Ok(())
        }
    }
}
