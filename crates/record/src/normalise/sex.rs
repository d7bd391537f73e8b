//! Sex as printed: a word (男性, F) or a choice marked on a form (男・(女)).

use serde::{Deserialize, Serialize};

use super::width::to_half_width;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sex {
    Male,
    Female,
    Other,
    Unknown,
}

impl Sex {
    /// The serialised name: "male", "female", "other" or "unknown".
    pub fn as_str(&self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
            Sex::Other => "other",
            Sex::Unknown => "unknown",
        }
    }
}

/// What marks a printed choice when it stands before it: a drawn circle as
/// OCR reads it, an opening parenthesis, a tick or a filled box.
const MARKS_BEFORE: [char; 11] = ['(', '○', '◯', '◎', '●', '◉', '〇', '✓', '✔', '☑', '■'];

/// U+20DD COMBINING ENCLOSING CIRCLE: OCR's reading of a circle drawn around one character.
const ENCLOSING_CIRCLE: char = '\u{20DD}';

/// Reads 男/男性/M/Male and 女/女性/F/Female, その他 and 不明. Where a form
/// prints both 男 and 女, the marked one ("男・(女)", "◯男 女", "㊛"); both
/// printed and none or both marked gives `None`.
pub fn parse_sex(s: &str) -> Option<Sex> {
    let text = to_half_width(s);
    let text = text.trim();
    match text.to_ascii_lowercase().as_str() {
        "m" | "male" => Some(Sex::Male),
        "f" | "female" => Some(Sex::Female),
        "other" | "その他" => Some(Sex::Other),
        "unknown" | "不明" => Some(Sex::Unknown),
        _ => printed_choice(text),
    }
}

fn printed_choice(text: &str) -> Option<Sex> {
    let chars: Vec<char> = text.chars().collect();
    let printed: Vec<(Sex, bool)> = chars
        .iter()
        .enumerate()
        .filter_map(|(at, &c)| match c {
            '男' => Some((Sex::Male, is_marked(&chars, at))),
            '女' => Some((Sex::Female, is_marked(&chars, at))),
            '㊚' => Some((Sex::Male, true)),
            '㊛' => Some((Sex::Female, true)),
            _ => None,
        })
        .collect();
    the_one(printed.iter().map(|&(sex, _)| sex))
        .or_else(|| the_one(printed.iter().filter(|(_, marked)| *marked).map(|&(sex, _)| sex)))
}

/// The sex all of `sexes` agree on; `None` when empty or mixed.
fn the_one(mut sexes: impl Iterator<Item = Sex>) -> Option<Sex> {
    let first = sexes.next()?;
    sexes.all(|sex| sex == first).then_some(first)
}

fn is_marked(chars: &[char], at: usize) -> bool {
    let before = chars[..at].iter().rev().find(|c| !c.is_whitespace());
    let after = chars[at + 1..].iter().skip_while(|&&c| c == '性').find(|c| !c.is_whitespace());
    before.is_some_and(|c| MARKS_BEFORE.contains(c))
        || after.is_some_and(|&c| c == ')' || c == ENCLOSING_CIRCLE)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: Option<Sex>) {
        assert_eq!(parse_sex(input), expected, "{input}");
    }

    #[test]
    fn reads_words() {
        for input in ["男", "男性", "M", "m", "Male", "MALE", " 男 ", "Ｍ", "性別：男"] {
            check(input, Some(Sex::Male));
        }
        for input in ["女", "女性", "F", "female", "Ｆｅｍａｌｅ"] {
            check(input, Some(Sex::Female));
        }
        check("その他", Some(Sex::Other));
        check("不明", Some(Sex::Unknown));
    }

    #[test]
    fn reads_the_marked_choice() {
        for input in
            ["男・(女)", "男 ・ ◯女", "男・（女）", "男 ◎女", "㊛", "男・㊛", "男 女\u{20DD}"]
        {
            check(input, Some(Sex::Female));
        }
        for input in ["(男)・女", "○男 女", "㊚", "㊚・女", "(男性)・女性", "■男 □女"]
        {
            check(input, Some(Sex::Male));
        }
    }

    #[test]
    fn refuses_to_guess() {
        for input in
            ["男・女", "男 女", "男女", "(男・女)", "◯男 ◯女", "男性・女性(", "", "X", "Mr"]
        {
            check(input, None);
        }
    }

    #[test]
    fn names_match_serde() {
        for sex in [Sex::Male, Sex::Female, Sex::Other, Sex::Unknown] {
            let json = serde_json::to_string(&sex).expect("serialises");
            assert_eq!(json, format!("\"{}\"", sex.as_str()));
            assert_eq!(serde_json::from_str::<Sex>(&json).expect("deserialises"), sex);
        }
    }
}
