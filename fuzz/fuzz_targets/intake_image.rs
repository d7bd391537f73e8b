#![no_main]
//! Any file handed to intake: format sniffing, the PNG, JPEG and TIFF
//! decoders and the limits never panic. PDFs stop at pdfium, which is not
//! loaded here (fuzzing pdfium itself is pdfium's business).

use libfuzzer_sys::fuzz_target;
use torikomi_intake::{Intake, IntakeConfig};

fuzz_target!(|data: &[u8]| {
    let Ok(mut file) = tempfile::NamedTempFile::new() else { return };
    if std::io::Write::write_all(&mut file, data).is_err() {
        return;
    }
    let config = IntakeConfig { pdfium_library: "/nonexistent/libpdfium.so".into(), ..IntakeConfig::default() };
    let _ = Intake::new(config).read_file(file.path());
});
