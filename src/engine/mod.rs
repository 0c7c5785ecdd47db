//! Dialogue model, loader, checker and the pure step function.
