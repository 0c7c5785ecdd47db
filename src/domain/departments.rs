//! Departments: who works a ticket. Each ticket belongs to one department
//! (customer service, engineering, security, cleaning); which one a new
//! ticket goes to is `routes`' business, and a ticket can be transferred.

use crate::i18n::Lang;
use crate::texts::{self, Phrase};

/// One department of the office.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Department {
    /// Customer service (客服): the front desk, and every ticket no route names.
    #[default]
    Service,
    /// Engineering and maintenance (工程维修).
    Engineering,
    /// Security (秩序/安保).
    Security,
    /// Cleaning and grounds (保洁绿化).
    Cleaning,
}

impl Department {
    pub const ALL: [Department; 4] = [
        Department::Service,
        Department::Engineering,
        Department::Security,
        Department::Cleaning,
    ];

    /// The stored key (`tickets.department`, the settings' keys).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Department::Service => "service",
            Department::Engineering => "engineering",
            Department::Security => "security",
            Department::Cleaning => "cleaning",
        }
    }

    #[must_use]
    pub fn parse(key: &str) -> Option<Department> {
        Department::ALL.into_iter().find(|d| d.as_str() == key)
    }

    fn phrase(self) -> Phrase {
        match self {
            Department::Service => texts::departments::SERVICE,
            Department::Engineering => texts::departments::ENGINEERING,
            Department::Security => texts::departments::SECURITY,
            Department::Cleaning => texts::departments::CLEANING,
        }
    }

    /// Its name in `lang`: `工程维修部`, `Engineering`.
    #[must_use]
    pub fn label(self, lang: Lang) -> &'static str {
        self.phrase().get(lang)
    }

    /// What staff type (`/transfer 12 工程`) or the roster says
    /// (`staff.department`): the key, a name in any language, or a usual
    /// short word for it. Case and spaces do not matter.
    #[must_use]
    pub fn from_user(text: &str) -> Option<Department> {
        let word: String = text
            .trim()
            .trim_start_matches('#')
            .to_lowercase()
            .split_whitespace()
            .collect();
        if word.is_empty() {
            return None;
        }
        Department::ALL.into_iter().find(|d| {
            d.as_str() == word
                || Lang::ALL
                    .iter()
                    .any(|l| d.label(*l).to_lowercase().replace(' ', "") == word)
                || d.words().contains(&word.as_str())
        })
    }

    /// The usual short words for the department, as staff write them.
    fn words(self) -> &'static [&'static str] {
        match self {
            Department::Service => &[
                "客服",
                "客服部",
                "客服中心",
                "前台",
                "cs",
                "customerservice",
                "frontdesk",
            ],
            Department::Engineering => &[
                "工程",
                "工程部",
                "维修",
                "维修部",
                "工程維修",
                "維修",
                "maintenance",
                "repairs",
            ],
            Department::Security => &["保安", "安保", "秩序", "秩序部", "安保部", "保安部"],
            Department::Cleaning => &[
                "保洁",
                "保洁部",
                "環境",
                "环境",
                "环境部",
                "绿化",
                "保潔",
                "cleaners",
                "grounds",
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn departments_are_named_as_staff_write_them() {
        assert_eq!(
            Department::from_user("engineering"),
            Some(Department::Engineering)
        );
        assert_eq!(
            Department::from_user(" 工程 "),
            Some(Department::Engineering)
        );
        assert_eq!(Department::from_user("保安"), Some(Department::Security));
        assert_eq!(
            Department::from_user("Cleaning"),
            Some(Department::Cleaning)
        );
        assert_eq!(Department::from_user("客服"), Some(Department::Service));
        for d in Department::ALL {
            assert_eq!(Department::parse(d.as_str()), Some(d));
            for lang in Lang::ALL {
                assert_eq!(Department::from_user(d.label(lang)), Some(d), "{lang:?}");
            }
        }
        assert_eq!(Department::from_user("@wang"), None);
        assert_eq!(Department::from_user("3"), None);
        assert_eq!(Department::from_user(""), None);
    }
}
