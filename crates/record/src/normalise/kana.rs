//! Kana readings of names (フリガナ): one script, full width, single spaces.

use super::width::{collapse_spaces, to_half_width};

/// Hiragana and half-width katakana to full-width katakana, with whitespace
/// collapsed to single ASCII spaces and trimmed: "やまだ　ﾀﾛｳ" → "ヤマダ タロウ".
pub fn to_katakana(s: &str) -> String {
    let katakana: String = to_half_width(s).chars().map(hiragana_to_katakana).collect();
    collapse_spaces(&katakana)
}

/// Whether `s` is a kana reading: hiragana or katakana (either width), with
/// only ー, ・ and spaces besides, and at least one kana.
pub fn is_kana_reading(s: &str) -> bool {
    let mut has_kana = false;
    for c in s.chars() {
        if is_kana(c) {
            has_kana = true;
        } else if !(c.is_whitespace() || matches!(c, 'ー' | 'ｰ' | '・' | '･' | 'ﾞ' | 'ﾟ'))
        {
            return false;
        }
    }
    has_kana
}

fn hiragana_to_katakana(c: char) -> char {
    match c {
        // The katakana block repeats the hiragana one 0x60 higher.
        'ぁ'..='ゖ' | 'ゝ' | 'ゞ' => char::from_u32(u32::from(c) + 0x60).unwrap_or(c),
        _ => c,
    }
}

fn is_kana(c: char) -> bool {
    matches!(c, 'ぁ'..='ゖ' | 'ゝ' | 'ゞ' | 'ァ'..='ヺ' | 'ヽ' | 'ヾ' | 'ｦ'..='ｯ' | 'ｱ'..='ﾝ')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_to_katakana() {
        for (input, expected) in [
            ("やまだ たろう", "ヤマダ タロウ"),
            ("ヤマダ　タロウ", "ヤマダ タロウ"),
            ("ﾔﾏﾀﾞ ﾀﾛｳ", "ヤマダ タロウ"),
            ("  さとう\u{3000}\u{3000}けんじ ", "サトウ ケンジ"),
            ("ぢゅんいちろう", "ヂュンイチロウ"),
            ("ゔぃくとりあ", "ヴィクトリア"),
            ("スミス・じょん", "スミス・ジョン"),
        ] {
            assert_eq!(to_katakana(input), expected, "{input}");
        }
    }

    #[test]
    fn recognises_kana_readings() {
        for input in ["ヤマダ タロウ", "やまだ　たろう", "ﾔﾏﾀﾞ ﾀﾛｳ", "スミス・ジョン", "ユーコ"]
        {
            assert!(is_kana_reading(input), "{input}");
        }
        for input in ["", " ", "ー・", "山田 タロウ", "YAMADA", "ヤマダ1"] {
            assert!(!is_kana_reading(input), "{input}");
        }
    }
}
