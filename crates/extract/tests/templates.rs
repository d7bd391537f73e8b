//! The shipped extraction templates load: their schemas become grammars.

use std::path::PathBuf;

use torikomi_extract::Template;

#[test]
fn shipped_templates_load() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models/templates");
    for name in ["ctcae", "recist"] {
        let template = Template::load(&dir.join(format!("{name}.json"))).unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(template.name, name);
        assert!(!template.instruction.is_empty());
    }
    let broken = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(broken.path(), r#"{"name": "x", "instruction": "y"}"#).unwrap();
    assert!(Template::load(broken.path()).is_err());
}
