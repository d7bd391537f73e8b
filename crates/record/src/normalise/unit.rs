//! Lab and dose units to one spelling: mg/dl, ㎎/㎗ and ｍｇ／ｄＬ all become mg/dL.

use unicode_normalization::UnicodeNormalization;

use super::width::to_half_width;

/// The spellings units are canonicalised to, one part between slashes each.
/// Matching ignores case and reads u as μ, so no two may differ only in that.
const UNIT_PARTS: [&str; 28] = [
    "g", "mg", "μg", "ng", "pg", "kg", "L", "dL", "mL", "μL", "fL", "IU", "mIU", "μIU", "U", "mU",
    "kU", "mEq", "mmol", "μmol", "nmol", "pmol", "mOsm", "min", "mmHg", "mm", "cm", "1.73m2",
];

/// Width to half, squared unit symbols spelled out (㎎ → mg, ㎗ → dL), the
/// micro sign and u written as μ (U+03BC), and the usual case of lab units:
/// "mg/dl" → "mg/dL", "iu/l" → "IU/L", "10³/µl" → "10^3/μL",
/// "ml/min/1.73m²" → "mL/min/1.73m2". Unknown parts (%, ℃, 錠, 万) are kept as they are.
pub fn normalise_unit(s: &str) -> String {
    let mut unit = String::new();
    for c in to_half_width(s).chars().filter(|c| !c.is_whitespace()) {
        if is_compatibility_unit_symbol(c) {
            unit.extend(std::iter::once(c).nfkc());
        } else {
            unit.push(c);
        }
    }
    unit.split('/').map(canonical_part).collect::<Vec<_>>().join("/")
}

/// ㎎ ㎖ ㎡ and the like, µ (the micro sign) and ℓ: characters whose NFKC form is
/// the plain spelling. Superscripts are left for [`canonical_part`], which
/// must tell 10³ from m².
fn is_compatibility_unit_symbol(c: char) -> bool {
    matches!(c, '\u{3380}'..='\u{33DF}' | 'µ' | 'ℓ')
}

fn canonical_part(part: &str) -> String {
    if let Some(exponent) = power_of_ten(part) {
        return format!("10^{exponent}");
    }
    let part: String = part.chars().map(|c| superscript_digit(c).unwrap_or(c)).collect();
    let key = match_key(&part);
    UNIT_PARTS.iter().find(|known| match_key(known) == key).map_or(part, |&known| known.to_owned())
}

/// The exponent of "10^3", "×10³", "x10*3" (a count per volume).
fn power_of_ten(part: &str) -> Option<String> {
    let exponent = part.trim_start_matches(['x', 'X', '×', '*']).strip_prefix("10")?;
    let digits = match exponent.strip_prefix(['^', '*']) {
        Some(written_inline) => written_inline.to_owned(),
        None => exponent.chars().map(superscript_digit).collect::<Option<String>>()?,
    };
    (!digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())).then_some(digits)
}

fn superscript_digit(c: char) -> Option<char> {
    match c {
        '⁰' => Some('0'),
        '¹' => Some('1'),
        '²' => Some('2'),
        '³' => Some('3'),
        '⁴'..='⁹' => char::from_u32(u32::from(c) - u32::from('⁴') + u32::from('4')),
        _ => None,
    }
}

fn match_key(part: &str) -> String {
    part.chars().map(|c| if c == 'μ' { 'u' } else { c.to_ascii_lowercase() }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: &str) {
        assert_eq!(normalise_unit(input), expected, "{input}");
    }

    #[test]
    fn canonicalises_lab_units() {
        for (input, expected) in [
            ("mg/dl", "mg/dL"),
            ("MG/DL", "mg/dL"),
            ("ｍｇ／ｄｌ", "mg/dL"),
            ("mg / dl", "mg/dL"),
            ("g/dl", "g/dL"),
            ("ml", "mL"),
            ("iu/l", "IU/L"),
            ("u/l", "U/L"),
            ("U/l", "U/L"),
            ("/ul", "/μL"),
            ("/µl", "/μL"),
            ("/μl", "/μL"),
            ("/uL", "/μL"),
            ("10^3/μl", "10^3/μL"),
            ("10³/µL", "10^3/μL"),
            ("×10^4/ul", "10^4/μL"),
            ("x10*3/uL", "10^3/μL"),
            ("万/μl", "万/μL"),
            ("meq/l", "mEq/L"),
            ("mmol/l", "mmol/L"),
            ("μmol/l", "μmol/L"),
            ("ng/ml", "ng/mL"),
            ("pg/ml", "pg/mL"),
            ("miu/ml", "mIU/mL"),
            ("uIU/ml", "μIU/mL"),
            ("µg/ml", "μg/mL"),
            ("ml/min/1.73m²", "mL/min/1.73m2"),
            ("ml/min/1.73m2", "mL/min/1.73m2"),
            ("mL/分/1.73㎡", "mL/分/1.73m2"),
            ("fl", "fL"),
            ("mmhg", "mmHg"),
        ] {
            check(input, expected);
        }
    }

    #[test]
    fn spells_out_squared_symbols() {
        for (input, expected) in [
            ("㎎", "mg"),
            ("㎖", "mL"),
            ("㎎/㎗", "mg/dL"),
            ("㎍", "μg"),
            ("㎍/㎖", "μg/mL"),
            ("/㎕", "/μL"),
            ("mg/dℓ", "mg/dL"),
            ("µg", "μg"),
        ] {
            check(input, expected);
        }
    }

    #[test]
    fn keeps_other_units() {
        for (input, expected) in [
            ("%", "%"),
            ("％", "%"),
            ("℃", "℃"),
            ("錠", "錠"),
            ("mg/日", "mg/日"),
            ("cells/ul", "cells/μL"),
            ("/HPF", "/HPF"),
            ("M", "M"),
            ("10", "10"),
        ] {
            check(input, expected);
        }
    }
}
