//! Routes: which department a new ticket goes to. The office settings
//! give each department routes (`repair`, `complaint/security` …); the
//! most specific route wins, and customer service takes whatever no route
//! names.

use crate::domain::departments::Department;
use crate::domain::tickets::TicketKind;

/// One route: every ticket of `kind`, or only those of `kind` with
/// `category`. Written `repair` or `complaint/security`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub kind: TicketKind,
    pub category: Option<String>,
}

impl Route {
    /// `kind` or `kind/category` (the kind as stored or by a name in any
    /// language).
    #[must_use]
    pub fn parse(text: &str) -> Option<Route> {
        let (kind, category) = match text.trim().split_once('/') {
            Some((k, c)) => (k, Some(c.trim())),
            None => (text.trim(), None),
        };
        let kind = TicketKind::from_user(kind)?;
        match category {
            Some(c) if c.is_empty() || c.contains(char::is_whitespace) => None,
            Some(c) => Some(Route {
                kind,
                category: Some(c.to_string()),
            }),
            None => Some(Route {
                kind,
                category: None,
            }),
        }
    }

    fn matches(&self, kind: TicketKind, category: Option<&str>) -> bool {
        self.kind == kind
            && match &self.category {
                None => true,
                Some(c) => Some(c.as_str()) == category,
            }
    }
}

impl std::fmt::Display for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.category {
            Some(c) => write!(f, "{}/{c}", self.kind.as_str()),
            None => f.write_str(self.kind.as_str()),
        }
    }
}

/// The department a ticket of `kind` and `category` goes to: the one with
/// a route naming both, else one naming the kind, else customer service.
/// Among equally specific routes the first department (in `routes`' order)
/// wins.
#[must_use]
pub fn route(
    routes: &[(Department, Vec<Route>)],
    kind: TicketKind,
    category: Option<&str>,
) -> Department {
    let specific = |with_category: bool| {
        routes.iter().find_map(|(d, rs)| {
            rs.iter()
                .any(|r| r.category.is_some() == with_category && r.matches(kind, category))
                .then_some(*d)
        })
    };
    specific(true)
        .or_else(|| specific(false))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn routes(pairs: &[(Department, &[&str])]) -> Vec<(Department, Vec<Route>)> {
        pairs
            .iter()
            .map(|(d, rs)| (*d, rs.iter().map(|r| Route::parse(r).unwrap()).collect()))
            .collect()
    }

    #[test]
    fn the_most_specific_route_wins_and_service_takes_the_rest() {
        let r = routes(&[
            (Department::Engineering, &["repair"]),
            (
                Department::Security,
                &["complaint/security", "repair/door_lock"],
            ),
            (Department::Cleaning, &["complaint/cleaning"]),
        ]);
        let go = |k, c| route(&r, k, c);
        assert_eq!(
            go(TicketKind::Repair, Some("water")),
            Department::Engineering
        );
        assert_eq!(go(TicketKind::Repair, None), Department::Engineering);
        assert_eq!(
            go(TicketKind::Repair, Some("door_lock")),
            Department::Security
        );
        assert_eq!(
            go(TicketKind::Complaint, Some("security")),
            Department::Security
        );
        assert_eq!(
            go(TicketKind::Complaint, Some("cleaning")),
            Department::Cleaning
        );
        assert_eq!(
            go(TicketKind::Complaint, Some("noise")),
            Department::Service
        );
        assert_eq!(go(TicketKind::Consultation, None), Department::Service);
        assert_eq!(route(&[], TicketKind::Repair, None), Department::Service);
    }

    #[test]
    fn routes_read_a_kind_and_an_optional_category() {
        assert_eq!(Route::parse("repair").unwrap().to_string(), "repair");
        assert_eq!(
            Route::parse(" complaint/security ").unwrap().to_string(),
            "complaint/security"
        );
        assert_eq!(Route::parse("报修").unwrap().to_string(), "repair");
        for bad in ["", "plumbing", "repair/", "repair/a b", "/water"] {
            assert!(Route::parse(bad).is_none(), "{bad:?}");
        }
    }
}
