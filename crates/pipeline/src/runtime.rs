//! Where the fetched runtime files live: `models/` in a checkout (found by
//! walking up from the working directory), or beside the installed binary.

use std::path::{Path, PathBuf};

use torikomi_intake::IntakeConfig;
use torikomi_ocr::{EngineChoice, PpOcrConfig};

use crate::ConverterConfig;

const PDFIUM_FILE: &str = "libpdfium.so";

/// The `dest` of the manifest's default model (`default = true`).
pub const DEFAULT_MODEL_FILE: &str = "gemma-3-270m-q4_k_m.gguf";

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

/// Where the database, originals and exports live: `$TORIKOMI_DATA_DIR`,
/// else `$XDG_DATA_HOME/torikomi`, else `~/.local/share/torikomi`. The
/// command line and the desktop app share it.
pub fn data_dir() -> PathBuf {
    std::env::var_os("TORIKOMI_DATA_DIR").map(PathBuf::from).unwrap_or_else(|| {
        std::env::var_os("XDG_DATA_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".local/share")))
            .unwrap_or_else(|| PathBuf::from("."))
            .join("torikomi")
    })
}

/// A converter that uses the runtime files found here and `engine`.
pub fn converter_config(engine: EngineChoice) -> ConverterConfig {
    let models = models_dir().unwrap_or_else(|| PathBuf::from("models"));
    ConverterConfig {
        intake: IntakeConfig { pdfium_library: pdfium_library(), ..Default::default() },
        ocr: engine,
        ppocr: PpOcrConfig::in_models_dir(&models),
        ..Default::default()
    }
}

/// Tesseract's OpenMP threads spin against each other and against our
/// one-document-per-core workers: a page took 10.7 s with them and 3.4 s
/// without. libgomp reads `OMP_THREAD_LIMIT` once, when it is loaded, which
/// is before `main`; so every front end starts itself again with it set,
/// first thing in `main`.
pub fn restart_with_one_openmp_thread() {
    use std::os::unix::process::CommandExt;
    if std::env::var_os("OMP_THREAD_LIMIT").is_some() {
        return;
    }
    let Ok(exe) = std::env::current_exe() else { return };
    let error = std::process::Command::new(exe)
        .args(std::env::args_os().skip(1))
        .env("OMP_THREAD_LIMIT", "1")
        .exec();
    // Still here: run on, only slower.
    tracing::debug!(%error, "could not restart with OMP_THREAD_LIMIT=1");
}
