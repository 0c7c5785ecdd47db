//! Owners, units, tickets, fees, surveys: types and their SQL.
