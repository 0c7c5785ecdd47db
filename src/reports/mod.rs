//! What the office did in a period, for managers: the command-line ticket
//! report (`cli`), and the report `/report` and the monthly job send in
//! Telegram — its figures (`crate::domain::report`), the summary text
//! (`summary`), the charts as PNG (`chart`, drawn with the font in
//! `assets/fonts/`) and the spreadsheet (`xlsx`).

pub mod chart;
mod cli;
pub mod present;
pub mod xlsx;

pub use cli::{render, tickets, Line};
