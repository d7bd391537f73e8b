//! Access to the SS-MIX2 reference samples in `../shared/standards/hl7`.

// Each test binary uses its own part of this module.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use torikomi_hl7::{Charset, Message, decode, encode};

/// `../shared/standards/hl7`, or `None` (with a note on stderr) where this
/// checkout has no reference material.
pub fn standards() -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/standards/hl7");
    if path.is_dir() {
        Some(path)
    } else {
        eprintln!(
            "skipping: ../shared/standards not found (looked for {})",
            path.display()
        );
        None
    }
}

/// A sample file: its name and bytes.
pub struct Sample {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Every file in `ssmix2_samples_nhoHQ/<folder>`, sorted by name.
pub fn samples(standards: &Path, folder: &str) -> Vec<Sample> {
    let directory = standards.join("ssmix2_samples_nhoHQ").join(folder);
    let mut samples: Vec<Sample> = std::fs::read_dir(&directory)
        .unwrap_or_else(|error| panic!("reading {}: {error}", directory.display()))
        .map(|entry| {
            let path = entry.unwrap().path();
            Sample {
                name: path.file_name().unwrap().to_string_lossy().into_owned(),
                bytes: std::fs::read(&path).unwrap(),
            }
        })
        .collect();
    samples.sort_by(|a, b| a.name.cmp(&b.name));
    assert!(!samples.is_empty(), "no samples in {}", directory.display());
    samples
}

/// `message` with the JIS mapping's forms of the seven JIS X 0208
/// characters the two mappings disagree on (U+2212 MINUS SIGN, U+301C WAVE
/// DASH, …) turned into the WHATWG forms (U+FF0D, U+FF5E, …). The samples'
/// UTF-8 conversion uses the JIS mapping; encoding_rs, like browsers and
/// Windows, the WHATWG one.
pub fn with_whatwg_jis_forms(message: &Message) -> Message {
    let text = String::from_utf8(encode(message, Charset::Utf8).unwrap()).unwrap();
    let whatwg: String = text
        .chars()
        .map(|character| match character {
            '\u{2212}' => '\u{FF0D}',
            '\u{301C}' => '\u{FF5E}',
            '\u{2016}' => '\u{2225}',
            '\u{2014}' => '\u{2015}',
            '\u{A2}' => '\u{FFE0}',
            '\u{A3}' => '\u{FFE1}',
            '\u{AC}' => '\u{FFE2}',
            other => other,
        })
        .collect();
    decode(whatwg.as_bytes()).unwrap()
}
