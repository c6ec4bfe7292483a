//! Rows read as one text. The folds read thousands of scans at a time, and sqlx hands
//! SQLite's rows over from its database thread one at a time: that hand-over cost most of
//! a fold's time. So the database joins the rows into one text and the reader splits it.

use super::Backend;

/// Between the fields of a row.
pub(super) const FIELD: char = '\u{1f}';
/// Between rows.
pub(super) const ROW: char = '\u{1e}';

/// A query answering one text, or NULL without rows: the rows of `rest` (`FROM ... WHERE
/// ...`), each its `fields` (SQL expressions that are never NULL: a NULL field would drop
/// its row) joined by [`FIELD`], the rows joined by [`ROW`] in no particular order.
pub(super) fn rows_sql(backend: Backend, fields: &[&str], rest: &str) -> String {
    let (cast, sep, aggregate) = match backend {
        Backend::Sqlite => ("", "char(31)", "group_concat(line, char(30))"),
        Backend::Postgres => ("::text", "chr(31)", "string_agg(line, chr(30))"),
    };
    let line: Vec<String> = fields.iter().map(|f| format!("({f}){cast}")).collect();
    format!(
        "SELECT {aggregate} FROM (SELECT {} AS line {rest}) packed",
        line.join(&format!(" || {sep} || "))
    )
}

/// The rows of a packed text.
pub(super) fn rows(packed: Option<&str>) -> impl Iterator<Item = &str> {
    packed
        .unwrap_or_default()
        .split(ROW)
        .filter(|row| !row.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_text_has_no_rows() {
        assert_eq!(rows(None).count(), 0);
        let packed = format!("1{FIELD}a{ROW}2{FIELD}b");
        assert_eq!(
            rows(Some(&packed)).collect::<Vec<_>>(),
            ["1\u{1f}a", "2\u{1f}b"]
        );
    }
}
