//! Owners, units, tickets, fees, surveys: types and their SQL.

pub mod staff;
pub mod tickets;
