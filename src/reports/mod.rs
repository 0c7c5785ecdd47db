//! What the office did in a period, for managers: the command-line ticket
//! report (`cli`), and the report `/report` and the monthly job send in
//! Telegram — its figures (`crate::domain::report`), the summary text
//! (`present`), the charts as PNG (`chart`, drawn with the font in
//! `assets/fonts/`), and its tables (`tables`) as a spreadsheet (`xlsx`)
//! or a CSV file (`csv`).

pub mod chart;
mod cli;
pub mod csv;
pub mod present;
pub mod tables;
pub mod xlsx;

pub use cli::{render, tickets, Line};
