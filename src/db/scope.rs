//! Which stores' records a caller may see: every one, or a retailer's own. Reads that
//! return stores, batches and what hangs off them take a `Scope` and filter in SQL, so a
//! handler cannot forget it.

/// All records, or only those of these stores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    Stores(Vec<i64>),
}

impl Scope {
    /// Whether a record of `store_id` (none: a record of no store, such as a poster's
    /// batch) is in scope.
    pub fn admits(&self, store_id: Option<i64>) -> bool {
        match self {
            Self::All => true,
            Self::Stores(ids) => store_id.is_some_and(|id| ids.contains(&id)),
        }
    }

    /// A condition on `column` (a store id) that holds for the records in scope. The ids
    /// are integers the database gave, written into the SQL as numbers.
    pub fn sql(&self, column: &str) -> String {
        match self {
            Self::All => "1 = 1".to_owned(),
            Self::Stores(ids) if ids.is_empty() => "1 = 0".to_owned(),
            Self::Stores(ids) => {
                let ids: Vec<String> = ids.iter().map(i64::to_string).collect();
                format!("{column} IN ({})", ids.join(", "))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_retailer_s_scope_admits_only_its_stores() {
        let scope = Scope::Stores(vec![3, 7]);
        assert!(scope.admits(Some(3)));
        assert!(!scope.admits(Some(4)));
        assert!(!scope.admits(None), "a record of no store is the brand's");
        assert!(Scope::All.admits(None));
        assert_eq!(scope.sql("store_id"), "store_id IN (3, 7)");
        assert_eq!(Scope::Stores(vec![]).sql("store_id"), "1 = 0");
        assert_eq!(Scope::All.sql("store_id"), "1 = 1");
    }
}
