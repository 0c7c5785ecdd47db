//! The dialogue loader's public entry point on arbitrary TOML: one file in
//! a folder of its own; loading and checking never panic and agree.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(dir) = tempfile_dir() else {
        return;
    };
    if std::fs::write(dir.join("fuzzed.toml"), data).is_err() {
        return;
    }
    let problems = propdesk::engine::check_dir(&dir);
    let loaded = propdesk::engine::load_dir(&dir);
    assert_eq!(loaded.is_ok(), problems.is_empty());
    let _ = std::fs::remove_dir_all(&dir);
});

fn tempfile_dir() -> std::io::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("propdesk-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
