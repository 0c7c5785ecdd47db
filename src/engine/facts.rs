//! What the runtime tells the engine about the person it is talking to: the
//! inputs of conditions and of `{placeholders}` that name facts.

use serde::{Deserialize, Serialize};

/// What the runtime knows about the person when stepping.
#[derive(Debug, Clone)]
pub struct Facts {
    pub registered: bool,
    pub units: Vec<UnitFact>,
    pub default_unit: Option<String>,
    pub timezone: chrono_tz::Tz,
    /// The office duty phone, shown at once for emergencies.
    pub duty_phone: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitFact {
    pub code: String,
    /// `owner`, `tenant` or `family`.
    pub role: String,
    /// The person's default unit: marked on a `pick_unit` button.
    #[serde(default)]
    pub is_default: bool,
}
