//! Owners, units, tickets, fees, surveys: types and their SQL.

pub mod broadcasts;
pub mod fees;
pub mod people;
pub mod phone;
pub mod staff;
pub mod tickets;
pub mod units;
