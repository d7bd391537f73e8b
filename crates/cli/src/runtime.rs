//! Where the fetched runtime files live: `models/` in a checkout (found by
//! walking up from the working directory), or beside the installed binary.

use std::path::{Path, PathBuf};

const PDFIUM_FILE: &str = "libpdfium.so";

/// The models directory: `$TORIKOMI_MODELS`, or the nearest `models/` with
/// a manifest above the working directory or the executable.
pub fn models_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("TORIKOMI_MODELS") {
        return Some(dir.into());
    }
    let starts = [std::env::current_dir().ok(), std::env::current_exe().ok()];
    starts.into_iter().flatten().find_map(|start| {
        start.ancestors().map(|dir| dir.join("models")).find(|dir| dir.join("manifest.toml").is_file())
    })
}

/// `$TORIKOMI_PDFIUM`, then beside the executable, then `models/runtime/`.
pub fn pdfium_library() -> PathBuf {
    if let Some(path) = std::env::var_os("TORIKOMI_PDFIUM") {
        return path.into();
    }
    let beside_exe = std::env::current_exe().ok().and_then(|exe| exe.parent().map(|dir| dir.join(PDFIUM_FILE)));
    if let Some(path) = beside_exe.filter(|path| path.is_file()) {
        return path;
    }
    models_dir()
        .map(|dir| dir.join("runtime").join(PDFIUM_FILE))
        .unwrap_or_else(|| Path::new("models/runtime").join(PDFIUM_FILE))
}
