//! Every MML instance written for the fixture records validates against
//! the MML v4.2 schemas in ../shared, and a few are pinned as snapshots.

mod common;

use std::process::Command;

use common::{context, records, shared_standards};
use torikomi_export::Export;
use torikomi_export::mml::write_mml;

fn mml_for(name: &str) -> String {
    let record = records().into_iter().find(|(n, _)| n == name).expect("record").1;
    let context = context();
    let mut out = Vec::new();
    write_mml(&Export { record: &record, context: &context }, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn every_fixture_validates_against_mml_xsd() {
    let Some(standards) = shared_standards() else { return };
    let validator = standards.join("mml/validate_mml.sh");
    let dir = tempfile::tempdir().unwrap();
    let records = records();
    assert!(records.len() >= 6, "expected the six fixture records");
    let mut files = Vec::new();
    for (name, record) in &records {
        let path = dir.path().join(format!("{name}.xml"));
        let context = context();
        let mut out = Vec::new();
        write_mml(&Export { record, context: &context }, &mut out).unwrap();
        std::fs::write(&path, out).unwrap();
        files.push(path);
    }
    let output = Command::new("sh")
        .arg(&validator)
        .arg(standards.join("mml/schema/mml.xsd"))
        .args(&files)
        .output()
        .expect("run validate_mml.sh (needs xmllint from libxml2-utils)");
    let report = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "MML does not validate:\n{report}");
    assert_eq!(report.matches(" validates").count(), files.len(), "{report}");
}

#[test]
fn referral_carries_what_the_letter_says() {
    let mml = mml_for("referral_letter");
    for expected in [
        "<mmlRe:ReferralModule>",
        "<mmlRd:diagnosis mmlRd:code=\"I48.0\" mmlRd:system=\"ICD10\">発作性心房細動</mmlRd:diagnosis>",
        "<mmlPi:birthday>1947-11-03</mmlPi:birthday>",
        "<mmlPi:sex>female</mmlPi:sex>",
        "<confirmDate>2025-10-03T00:00:00</confirmDate>",
        "<mmlPs:duration>P30D</mmlPs:duration>",
    ] {
        assert!(mml.contains(expected), "missing {expected} in\n{mml}");
    }
}

#[test]
fn snapshots() {
    for name in ["referral_letter", "lab_report", "discharge_summary"] {
        insta::assert_snapshot!(format!("mml_{name}"), mml_for(name));
    }
}
