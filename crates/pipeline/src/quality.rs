//! How close OCR text is to the truth. Both measures compare NFKC-normalised
//! text with all whitespace removed, so full- and half-width forms and line
//! breaks do not count as errors.

use std::collections::HashMap;

use unicode_normalization::UnicodeNormalization;

pub fn normalise(text: &str) -> Vec<char> {
    text.nfkc().filter(|c| !c.is_whitespace()).collect()
}

/// Character error rate in reading order: edit distance over the length of
/// the truth. Wrong reading order costs here, not in [`char_f1`].
pub fn character_error_rate(truth: &str, read: &str) -> f64 {
    let truth = normalise(truth);
    let read = normalise(read);
    if truth.is_empty() {
        return if read.is_empty() { 0.0 } else { 1.0 };
    }
    edit_distance(&truth, &read) as f64 / truth.len() as f64
}

/// F1 of the character multisets: recognition quality regardless of order.
pub fn char_f1(truth: &str, read: &str) -> f64 {
    let count = |chars: Vec<char>| {
        let mut counts = HashMap::<char, usize>::new();
        for c in chars {
            *counts.entry(c).or_default() += 1;
        }
        counts
    };
    let truth = count(normalise(truth));
    let read = count(normalise(read));
    let truth_total: usize = truth.values().sum();
    let read_total: usize = read.values().sum();
    let shared: usize = truth.iter().map(|(c, n)| (*n).min(*read.get(c).unwrap_or(&0))).sum();
    if truth_total == 0 || read_total == 0 || shared == 0 {
        return if truth_total == read_total { 1.0 } else { 0.0 };
    }
    let precision = shared as f64 / read_total as f64;
    let recall = shared as f64 / truth_total as f64;
    2.0 * precision * recall / (precision + recall)
}

fn edit_distance(a: &[char], b: &[char]) -> usize {
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        current[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn width_and_spacing_are_not_errors() {
        assert_eq!(character_error_rate("ＨｂＡ１ｃ　７.２％", "HbA1c 7.2%"), 0.0);
    }

    #[test]
    fn order_costs_cer_but_not_f1() {
        assert!(character_error_rate("左列右列", "右列左列") > 0.4);
        assert_eq!(char_f1("左列右列", "右列左列"), 1.0);
    }

    #[test]
    fn one_wrong_character_in_ten() {
        assert!((character_error_rate("HbA1c7.2%値", "HbAlc7.2%値") - 0.1).abs() < 1e-9);
    }
}
