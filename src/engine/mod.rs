//! Dialogue model, loader, checker and the pure step function.
//!
//! The processor loads `dialogues/` once ([`load_dir`]), and for every owner
//! update calls [`step`] with the stored [`State`]; the returned replies go to
//! the outbox and the effects are carried out in the same transaction.

pub mod callback;
pub mod check;
pub mod facts;
pub mod intent;
pub mod load;
pub mod model;
mod render;
pub mod step;

pub use check::check_dir;
pub use facts::{Facts, UnitFact};
pub use load::{load_dir, Dialogues, Problem};
pub use model::{Dialogue, EffectKind};
pub use step::{
    start, start_with, step, Button, Effect, Input, Keyboard, Photo, Prefill, Reply, State, Step,
};

#[cfg(test)]
mod tests;
