//! `propdesk check`: every problem of the dialogue folder as
//! `file:line: message`.

use std::path::Path;

use super::load::{load_dir, Problem};

/// All problems of the dialogue files in `dir`; empty when they are fine.
#[must_use]
pub fn check_dir(dir: &Path) -> Vec<Problem> {
    match load_dir(dir) {
        Ok(_) => Vec::new(),
        Err(problems) => problems,
    }
}
