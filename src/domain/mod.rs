//! Owners, units, tickets, fees, surveys: types and their SQL.

pub mod abuse;
pub mod activities;
pub mod broadcasts;
pub mod canned;
pub mod chats;
pub mod decimal;
pub mod departments;
pub mod erasure;
pub mod erasure_requests;
pub mod fees;
pub mod households;
pub mod incidents;
pub mod office_settings;
pub mod people;
pub mod phone;
pub mod quiet_hours;
pub mod report;
pub mod retention;
pub mod routes;
pub mod staff;
pub mod suggestions;
pub mod survey_report;
pub mod surveys;
pub mod tickets;
pub mod units;
pub mod visits;
