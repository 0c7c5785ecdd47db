//! What owners, staff and managers can do: each feature owns its branch of
//! the router and its callbacks, and writes through `domain`. Features sit
//! on the processor's core (`context`, `conversation`, `reply`) and never the
//! other way round.

pub mod activities;
pub mod broadcast;
pub mod dialogue;
pub mod erasure;
pub mod household;
pub mod incidents;
pub mod intents;
pub mod limits;
pub mod menu;
pub mod outage_notices;
pub mod outages;
pub mod reminders;
pub mod reports;
pub mod staff;
pub mod surveys;
pub mod visits;
