//! Dates as printed in Japanese documents to ISO dates: era dates in kanji
//! (令和7年10月3日, 令和八年一月三十日), letters (R7.10.3, S38.7.19), one kanji
//! (昭30.4.12), squared characters (㍼30年…), a marked era on a form
//! (明・大・(昭)・平・令 30年…) and Western dates (2025年10月3日, 2025/10/03).
//!
//! Text is searched with each character mapped on its own, so spans stay
//! character offsets into the text as given.

use std::{fmt, ops::Range, str::FromStr};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::number::{is_numeral, parse_kanji_number};
use super::width::half_width_char;

/// A day of the Gregorian calendar; serialised as "YYYY-MM-DD".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl Date {
    /// The date, if that month has that day (leap years included).
    pub fn new(year: i32, month: u32, day: u32) -> Option<Date> {
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        let days_in_month = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        (1..=days_in_month).contains(&day).then_some(Date { year, month, day })
    }

    /// Completed years from this date (a birth date) to `on`; 0 when `on` is earlier.
    pub fn age_on(&self, on: Date) -> u32 {
        let birthday_to_come = (on.month, on.day) < (self.month, self.day);
        u32::try_from(on.year - self.year - i32::from(birthday_to_come)).unwrap_or(0)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl FromStr for Date {
    type Err = DateError;

    /// Reads exactly "YYYY-MM-DD".
    fn from_str(s: &str) -> Result<Date, DateError> {
        let unreadable = || DateError::Unreadable(s.to_owned());
        let digits = |range: Range<usize>| {
            s.get(range)
                .filter(|part| part.bytes().all(|b| b.is_ascii_digit()))
                .ok_or_else(unreadable)
        };
        if s.len() != 10 || s.get(4..5) != Some("-") || s.get(7..8) != Some("-") {
            return Err(unreadable());
        }
        let year = digits(0..4)?.parse().map_err(|_| unreadable())?;
        let month = digits(5..7)?.parse().map_err(|_| unreadable())?;
        let day = digits(8..10)?.parse().map_err(|_| unreadable())?;
        Date::new(year, month, day).ok_or(DateError::Impossible { year, month, day })
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Date, D::Error> {
        String::deserialize(deserializer)?.parse().map_err(serde::de::Error::custom)
    }
}

/// The Japanese eras since the calendar reform; in the order they came.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Era {
    Meiji,
    Taisho,
    Showa,
    Heisei,
    Reiwa,
}

impl Era {
    fn first_day(self) -> Date {
        let (year, month, day) = match self {
            // Meiji was declared in autumn 1868 and counted from that New Year.
            Era::Meiji => (1868, 1, 1),
            Era::Taisho => (1912, 7, 30),
            Era::Showa => (1926, 12, 25),
            Era::Heisei => (1989, 1, 8),
            Era::Reiwa => (2019, 5, 1),
        };
        Date { year, month, day }
    }

    fn last_day(self) -> Option<Date> {
        let (year, month, day) = match self {
            Era::Meiji => (1912, 7, 29),
            Era::Taisho => (1926, 12, 24),
            Era::Showa => (1989, 1, 7),
            Era::Heisei => (2019, 4, 30),
            Era::Reiwa => return None,
        };
        Some(Date { year, month, day })
    }

    fn follows(self, earlier: Era) -> bool {
        self as u8 == earlier as u8 + 1
    }

    fn warnings(self, printed_year: u32, date: Date) -> Vec<DateWarning> {
        if date < self.first_day() {
            vec![DateWarning::BeforeEraStart { era: self }]
        } else if self.last_day().is_some_and(|last| date > last) {
            vec![DateWarning::PastEraEnd { era: self, printed_year }]
        } else {
            Vec::new()
        }
    }
}

/// A date that converted but that a person should look at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DateWarning {
    /// e.g. 平成32年: the era had ended; converted on (2020) but a person should look.
    PastEraEnd { era: Era, printed_year: u32 },
    /// A date before the era began (令和1年4月1日).
    BeforeEraStart { era: Era },
    /// The printed age (（70歳）) does not match the birth date on the document's date.
    AgeMismatch { printed_age: u32, computed_age: u32 },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error("no such date: {year}-{month}-{day}")]
    Impossible { year: i32, month: u32, day: u32 },
    #[error("not a date: {0}")]
    Unreadable(String),
}

/// A date found in text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundDate {
    pub date: Date,
    pub warnings: Vec<DateWarning>,
    /// char (not byte) offsets within the searched text
    pub span: Range<usize>,
    pub era: Option<Era>,
    /// the age printed right after, e.g. 昭和30年4月12日生 (70歳)
    pub printed_age: Option<u32>,
}

/// Every date-like run in `text`, in order. A run that is plainly a date but
/// cannot be one (令和5年2月30日) or whose era is not marked on a form
/// (明・大・昭・平・令 30年…) is an error with its char span, never a guess.
/// Year and month alone (2015年頃) are not dates.
pub fn find_dates(text: &str) -> Vec<Result<FoundDate, (Range<usize>, DateError)>> {
    DateScanner::new(text).collect()
}

/// The first date in `text`.
///
/// # Errors
///
/// [`DateError::Impossible`] when the first date does not exist, and
/// [`DateError::Unreadable`] when `text` holds no date or the era of the
/// first is left unmarked on a form.
pub fn parse_date(text: &str) -> Result<FoundDate, DateError> {
    match DateScanner::new(text).next() {
        Some(found) => found.map_err(|(_, error)| error),
        None => Err(DateError::Unreadable(text.to_owned())),
    }
}

/// [`DateWarning::AgeMismatch`] when `printed_age` is not the age on `on`,
/// the date of the document that printed it.
pub fn check_printed_age(birth: Date, printed_age: u32, on: Date) -> Option<DateWarning> {
    let computed_age = birth.age_on(on);
    (computed_age != printed_age).then_some(DateWarning::AgeMismatch { printed_age, computed_age })
}

struct DateScanner {
    /// The text with each char mapped to half width on its own, so indices are char offsets.
    chars: Vec<char>,
    at: usize,
}

impl DateScanner {
    fn new(text: &str) -> DateScanner {
        DateScanner { chars: text.chars().map(half_width_char).collect(), at: 0 }
    }
}

impl Iterator for DateScanner {
    type Item = Result<FoundDate, (Range<usize>, DateError)>;

    fn next(&mut self) -> Option<Self::Item> {
        while self.at < self.chars.len() {
            let Some(printed) = printed_date_at(&self.chars, self.at) else {
                self.at += 1;
                continue;
            };
            let span = printed.start..printed.end;
            let printed_age = printed_age_at(&self.chars, printed.end);
            self.at = printed_age.map_or(printed.end, |(_, end)| end);
            return Some(match printed.convert(&self.chars) {
                Ok((date, warnings)) => Ok(FoundDate {
                    date,
                    warnings,
                    span,
                    era: match printed.calendar {
                        Calendar::Era(era) => Some(era),
                        Calendar::Western | Calendar::UnmarkedEra => None,
                    },
                    printed_age: printed_age.map(|(age, _)| age),
                }),
                Err(error) => Err((span, error)),
            });
        }
        None
    }
}

#[derive(Debug, Clone, Copy)]
enum Calendar {
    Western,
    Era(Era),
    /// A form printed several eras and none, or more than one, is marked.
    UnmarkedEra,
}

/// A date's numbers as printed, before conversion.
struct PrintedDate {
    start: usize,
    end: usize,
    calendar: Calendar,
    year: u32,
    month: u32,
    day: u32,
}

impl PrintedDate {
    fn new(start: usize, calendar: Calendar, year: u32, tail: &Tail) -> PrintedDate {
        PrintedDate { start, end: tail.end, calendar, year, month: tail.month, day: tail.day }
    }

    fn convert(&self, chars: &[char]) -> Result<(Date, Vec<DateWarning>), DateError> {
        // Years are at most four digits (Western) or two (era): never past i32::MAX.
        let year = match self.calendar {
            Calendar::Western => self.year.cast_signed(),
            Calendar::Era(era) => era.first_day().year + self.year.cast_signed() - 1,
            Calendar::UnmarkedEra => {
                return Err(DateError::Unreadable(chars[self.start..self.end].iter().collect()));
            }
        };
        let (month, day) = (self.month, self.day);
        let date = Date::new(year, month, day).ok_or(DateError::Impossible { year, month, day })?;
        let warnings = match self.calendar {
            Calendar::Era(era) => era.warnings(self.year, date),
            Calendar::Western | Calendar::UnmarkedEra => Vec::new(),
        };
        Ok((date, warnings))
    }
}

fn printed_date_at(chars: &[char], start: usize) -> Option<PrintedDate> {
    era_date_at(chars, start)
        .or_else(|| letter_date_at(chars, start))
        .or_else(|| western_date_at(chars, start))
}

/// 令和7年10月3日, 昭30.4.12, ㍼30年4月12日, 明・大・(昭)・平・令 30年4月12日.
fn era_date_at(chars: &[char], start: usize) -> Option<PrintedDate> {
    let choice = era_choice(chars, start)?;
    let year_at = skip_spaces(chars, choice.end);
    let year = era_year(chars, year_at)?;
    let tail = month_and_day(chars, year.end)?;
    // "説明 1.2.3" is a numbered heading, not Meiji 1.
    if tail.separated && year_at > choice.end && !choice.may_be_spaced {
        return None;
    }
    let calendar = choice.era.map_or(Calendar::UnmarkedEra, Calendar::Era);
    Some(PrintedDate::new(choice.start, calendar, year.value, &tail))
}

/// R7.10.3, S38.7.19, H31年4月30日: the letter must start a word (HbA1c,
/// E11.9 are not dates) and three numbers must follow (S83.5 is an ICD code).
fn letter_date_at(chars: &[char], start: usize) -> Option<PrintedDate> {
    let letter = *chars.get(start)?;
    let era = ERA_NAMES.iter().find(|names| names.letter == letter)?.era;
    if start.checked_sub(1).is_some_and(|before| chars[before].is_ascii_alphanumeric()) {
        return None;
    }
    if !chars.get(start + 1).is_some_and(|&c| c.is_ascii_digit() || c == '元') {
        return None;
    }
    let year = era_year(chars, start + 1)?;
    let tail = month_and_day(chars, year.end)?;
    Some(PrintedDate::new(start, Calendar::Era(era), year.value, &tail))
}

/// 2025年10月3日, 二〇二五年十月三日, 2025/10/03, 2025-10-03, 2025.10.3. The
/// year must be four digits from 1868 to 2100 and not continue a longer
/// number (03-1234-5678, 0.2025); written with separators, month and day
/// must be in range too, or it is some other number.
fn western_date_at(chars: &[char], start: usize) -> Option<PrintedDate> {
    let before = |back: usize| start.checked_sub(back).map(|at| chars[at]);
    if before(1).is_some_and(is_numeral)
        || (before(1).is_some_and(|c| matches!(c, '.' | '-' | '/' | ':' | ','))
            && before(2).is_some_and(|c| c.is_ascii_digit()))
    {
        return None;
    }
    let year = numeral(chars, start)?;
    if (year.ascii && year.len != 4) || !(1868..=2100).contains(&year.value) {
        return None;
    }
    let tail = month_and_day(chars, year.end)?;
    if tail.separated
        && (!year.ascii || !(1..=12).contains(&tail.month) || !(1..=31).contains(&tail.day))
    {
        return None;
    }
    Some(PrintedDate::new(start, Calendar::Western, year.value, &tail))
}

/// What follows the year: 年 M 月 D 日 (spaces allowed) or .M.D, /M/D, -M-D.
struct Tail {
    month: u32,
    day: u32,
    end: usize,
    separated: bool,
}

fn month_and_day(chars: &[char], year_end: usize) -> Option<Tail> {
    let nen = skip_spaces(chars, year_end);
    if chars.get(nen) == Some(&'年') {
        let month = small_numeral(chars, skip_spaces(chars, nen + 1))?;
        let tsuki = skip_spaces(chars, month.end);
        let day = small_numeral(chars, skip_spaces(chars, expect(chars, tsuki, '月')?))?;
        let end = expect(chars, skip_spaces(chars, day.end), '日')?;
        return Some(Tail { month: month.value, day: day.value, end, separated: false });
    }
    let separator = *chars.get(year_end).filter(|c| matches!(c, '.' | '/' | '-'))?;
    let month = small_numeral(chars, year_end + 1).filter(|month| month.ascii)?;
    let day = small_numeral(chars, expect(chars, month.end, separator)?).filter(|day| day.ascii)?;
    let longer_number = chars.get(day.end).is_some_and(|&c| c == separator || c == '.')
        && chars.get(day.end + 1).is_some_and(char::is_ascii_digit);
    (!longer_number).then_some(Tail {
        month: month.value,
        day: day.value,
        end: day.end,
        separated: true,
    })
}

/// An era year: 1 to 99, or 元.
fn era_year(chars: &[char], at: usize) -> Option<Numeral> {
    if chars.get(at) == Some(&'元') {
        return Some(Numeral { value: 1, end: at + 1, ascii: false, len: 1 });
    }
    small_numeral(chars, at).filter(|year| year.value >= 1)
}

/// A run of numeral characters, read whole: digits, or kanji with or without 十百千.
struct Numeral {
    value: u32,
    end: usize,
    /// Written in ASCII digits (after width mapping), not kanji.
    ascii: bool,
    len: usize,
}

fn numeral(chars: &[char], at: usize) -> Option<Numeral> {
    let run = chars.get(at..)?;
    let len = run.iter().take_while(|&&c| is_numeral(c)).count();
    let run = &run[..len];
    let value = parse_kanji_number(&run.iter().collect::<String>())?;
    Some(Numeral { value, end: at + len, ascii: run.iter().all(char::is_ascii_digit), len })
}

/// A month, day or era year: at most two digits, or kanji up to 九十九.
fn small_numeral(chars: &[char], at: usize) -> Option<Numeral> {
    numeral(chars, at).filter(|n| n.value <= 99 && (!n.ascii || n.len <= 2))
}

/// The era part of an era date, and where the year may start.
struct EraChoice {
    start: usize,
    end: usize,
    /// `None` when a form prints several eras without marking exactly one.
    era: Option<Era>,
    /// Whether a space may stand between era and a separated year (昭和 30.4.12):
    /// not after a lone one-kanji era, which is too often the end of a word.
    may_be_spaced: bool,
}

/// One era, or a form's printed row of eras (consecutive, all in one style)
/// with the one that applies marked.
fn era_choice(chars: &[char], start: usize) -> Option<EraChoice> {
    let first = era_item(chars, start)?;
    let mut items = vec![first];
    let mut last = first;
    while let Some(next) = era_item(chars, skip_list_separators(chars, last.end)) {
        if next.style != last.style || !next.era.follows(last.era) {
            break;
        }
        items.push(next);
        last = next;
    }
    if let [only] = items.as_slice() {
        return Some(EraChoice {
            start: only.token_start,
            end: only.end,
            era: Some(only.era),
            may_be_spaced: only.style != EraStyle::Kanji || only.marked,
        });
    }
    let mut marked = items.iter().filter(|item| item.marked);
    let era = match (marked.next(), marked.next()) {
        (Some(item), None) => Some(item.era),
        _ => None,
    };
    Some(EraChoice { start, end: last.end, era, may_be_spaced: true })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EraStyle {
    Full,
    Kanji,
    Squared,
}

#[derive(Debug, Clone, Copy)]
struct EraItem {
    era: Era,
    style: EraStyle,
    marked: bool,
    token_start: usize,
    end: usize,
}

/// Drawn circles as OCR reads them, when they come out before the character they surround.
const CIRCLE_MARKS: [char; 6] = ['○', '◯', '◎', '●', '◉', '〇'];

/// U+20DD COMBINING ENCLOSING CIRCLE: OCR's reading of a circle drawn around one character.
const ENCLOSING_CIRCLE: char = '\u{20DD}';

/// An era name, marked if it is circled or in parentheses: 昭, (昭), ◯昭, 昭和.
fn era_item(chars: &[char], at: usize) -> Option<EraItem> {
    let first = *chars.get(at)?;
    if first == '(' {
        let (era, style, end) = era_token(chars, at + 1)?;
        let token_start = at + 1;
        return (chars.get(end) == Some(&')')).then_some(EraItem {
            era,
            style,
            marked: true,
            token_start,
            end: end + 1,
        });
    }
    let circled_before = CIRCLE_MARKS.contains(&first);
    let token_start = at + usize::from(circled_before);
    let (era, style, end) = era_token(chars, token_start)?;
    let circled_around = chars.get(end) == Some(&ENCLOSING_CIRCLE);
    Some(EraItem {
        era,
        style,
        marked: circled_before || circled_around,
        token_start,
        end: end + usize::from(circled_around),
    })
}

struct EraNames {
    era: Era,
    full: [char; 2],
    kanji: char,
    letter: char,
    squared: char,
}

const ERA_NAMES: [EraNames; 5] = [
    EraNames { era: Era::Meiji, full: ['明', '治'], kanji: '明', letter: 'M', squared: '㍾' },
    EraNames { era: Era::Taisho, full: ['大', '正'], kanji: '大', letter: 'T', squared: '㍽' },
    EraNames { era: Era::Showa, full: ['昭', '和'], kanji: '昭', letter: 'S', squared: '㍼' },
    EraNames { era: Era::Heisei, full: ['平', '成'], kanji: '平', letter: 'H', squared: '㍻' },
    EraNames { era: Era::Reiwa, full: ['令', '和'], kanji: '令', letter: 'R', squared: '㋿' },
];

fn era_token(chars: &[char], at: usize) -> Option<(Era, EraStyle, usize)> {
    let first = *chars.get(at)?;
    ERA_NAMES.iter().find_map(|names| {
        if chars.get(at..at + 2) == Some(&names.full[..]) {
            Some((names.era, EraStyle::Full, at + 2))
        } else if first == names.kanji {
            Some((names.era, EraStyle::Kanji, at + 1))
        } else if first == names.squared {
            Some((names.era, EraStyle::Squared, at + 1))
        } else {
            None
        }
    })
}

/// The age printed after a birth date: 生 (70歳), （満70歳）, 70才.
fn printed_age_at(chars: &[char], date_end: usize) -> Option<(u32, usize)> {
    let mut at = skip_spaces(chars, date_end);
    if let Some(born) = ["生まれ", "生れ", "生"].iter().find(|born| starts_with(chars, at, born))
    {
        at = skip_spaces(chars, at + born.chars().count());
    }
    let parenthesised = chars.get(at) == Some(&'(');
    if parenthesised {
        at = skip_spaces(chars, at + 1);
    }
    if chars.get(at) == Some(&'満') {
        at = skip_spaces(chars, at + 1);
    }
    let age = numeral(chars, at).filter(|age| !age.ascii || age.len <= 3)?;
    at = skip_spaces(chars, age.end);
    if !matches!(chars.get(at), Some('歳' | '才')) {
        return None;
    }
    at += 1;
    if parenthesised && chars.get(skip_spaces(chars, at)) == Some(&')') {
        at = skip_spaces(chars, at) + 1;
    }
    Some((age.value, at))
}

fn starts_with(chars: &[char], at: usize, word: &str) -> bool {
    chars
        .get(at..)
        .is_some_and(|rest| rest.iter().copied().take(word.chars().count()).eq(word.chars()))
}

/// The index after `expected` at `at`.
fn expect(chars: &[char], at: usize, expected: char) -> Option<usize> {
    (chars.get(at) == Some(&expected)).then_some(at + 1)
}

/// OCR puts spaces between the parts of a date (令和 7年 10月 3日).
fn skip_spaces(chars: &[char], at: usize) -> usize {
    at + chars
        .get(at..)
        .map_or(0, |rest| rest.iter().take_while(|&&c| c == ' ' || c == '\t').count())
}

fn skip_list_separators(chars: &[char], at: usize) -> usize {
    let is_separator = |c: &&char| matches!(c, ' ' | '\t' | '・' | '･' | '/' | '、' | ',' | '|');
    at + chars.get(at..).map_or(0, |rest| rest.iter().take_while(is_separator).count())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(year: i32, month: u32, day: u32) -> Date {
        Date::new(year, month, day).expect("valid test date")
    }

    fn check(input: &str, expected: &str) {
        let found = parse_date(input).unwrap_or_else(|error| panic!("{input}: {error}"));
        assert_eq!(found.date.to_string(), expected, "{input}");
        assert!(found.warnings.is_empty(), "{input}: {:?}", found.warnings);
    }

    fn check_none(input: &str) {
        assert_eq!(find_dates(input), Vec::new(), "{input}");
    }

    #[test]
    fn reads_era_dates() {
        for (input, expected) in [
            ("令和7年10月3日", "2025-10-03"),
            ("令和 7年 10月 3日", "2025-10-03"),
            ("令和７年１０月３日", "2025-10-03"),
            ("令和07年10月03日", "2025-10-03"),
            ("昭和30年4月12日生", "1955-04-12"),
            ("昭和16年8月8日生 (84歳)", "1941-08-08"),
            ("平成2年7月21日", "1990-07-21"),
            ("平成31年4月30日", "2019-04-30"),
            ("令和元年5月1日", "2019-05-01"),
            ("令和八年一月三十日", "2026-01-30"),
            ("昭和三十年四月十二日", "1955-04-12"),
            ("明治45年7月29日", "1912-07-29"),
            ("大正元年7月30日", "1912-07-30"),
            ("大正15年12月24日", "1926-12-24"),
            ("昭和元年12月25日", "1926-12-25"),
            ("昭和64年1月7日", "1989-01-07"),
            ("平成元年1月8日", "1989-01-08"),
            ("令和7.10.3", "2025-10-03"),
            ("令和 7.10.3", "2025-10-03"),
            ("生年月日：昭和30年4月12日", "1955-04-12"),
        ] {
            check(input, expected);
        }
    }

    #[test]
    fn reads_era_letters_and_single_kanji() {
        for (input, expected) in [
            ("R7.10.3", "2025-10-03"),
            ("R7/10/3", "2025-10-03"),
            ("R7-10-3", "2025-10-03"),
            ("R07.10.03", "2025-10-03"),
            ("Ｒ７．１０．３", "2025-10-03"),
            ("Ｒ７／１０／３", "2025-10-03"),
            ("R7年10月3日", "2025-10-03"),
            ("R元.5.1", "2019-05-01"),
            ("S38.7.19", "1963-07-19"),
            ("S38.2.14", "1963-02-14"),
            ("H31.4.30", "2019-04-30"),
            ("M45.7.29", "1912-07-29"),
            ("T15.12.24", "1926-12-24"),
            ("昭30.4.12", "1955-04-12"),
            ("平2.7.21", "1990-07-21"),
            ("令7.10.3", "2025-10-03"),
            ("大1.8.1", "1912-08-01"),
            ("明30.1.1", "1897-01-01"),
            ("昭30年4月12日", "1955-04-12"),
            ("生年月日 S30.4.12", "1955-04-12"),
            ("(S38.7.19)", "1963-07-19"),
        ] {
            check(input, expected);
        }
    }

    #[test]
    fn reads_squared_eras() {
        for (input, expected) in [
            ("㍼30年4月12日", "1955-04-12"),
            ("㍻2年7月21日", "1990-07-21"),
            ("㋿7年10月3日", "2025-10-03"),
            ("㍽10年1月1日", "1921-01-01"),
            ("㍾40年1月1日", "1907-01-01"),
            ("㍼ 30.4.12", "1955-04-12"),
        ] {
            check(input, expected);
        }
    }

    #[test]
    fn reads_the_era_marked_on_a_form() {
        for (input, expected) in [
            ("明・大・(昭)・平・令 30年4月12日", "1955-04-12"),
            ("明・大・（昭）・平・令 30年4月12日", "1955-04-12"),
            ("明 大 ◯昭 平 令 30年 4月 12日", "1955-04-12"),
            ("明・大・昭・(平)・令\u{3000}2年7月21日", "1990-07-21"),
            ("明治・大正・○昭和・平成・令和 30年4月12日", "1955-04-12"),
            ("明・大・昭\u{20DD}・平・令 30年4月12日", "1955-04-12"),
            ("昭・平・◎令 7年10月3日", "2025-10-03"),
            ("明・大・(昭)・平・令 30.4.12", "1955-04-12"),
            ("(昭)30年4月12日", "1955-04-12"),
        ] {
            check(input, expected);
        }
    }

    #[test]
    fn refuses_an_unmarked_or_twice_marked_era() {
        for input in ["明・大・昭・平・令 30年4月12日", "明・大・(昭)・(平)・令 30年4月12日"]
        {
            assert!(matches!(parse_date(input), Err(DateError::Unreadable(_))), "{input}");
            let found = find_dates(input);
            assert_eq!(found.len(), 1, "{input}");
            assert_eq!(
                found[0].as_ref().map_err(|(span, _)| span.clone()),
                Err(0..input.chars().count())
            );
        }
    }

    #[test]
    fn reads_western_dates() {
        for (input, expected) in [
            ("2025年10月3日", "2025-10-03"),
            ("2025 年 10 月 3 日", "2025-10-03"),
            ("２０２５年１０月３日", "2025-10-03"),
            ("二〇二五年十月三日", "2025-10-03"),
            ("2025/10/03", "2025-10-03"),
            ("2025/1/3", "2025-01-03"),
            ("2025-10-03", "2025-10-03"),
            ("2025-10-03T09:30", "2025-10-03"),
            ("2025.10.3", "2025-10-03"),
            ("2025.10.3.", "2025-10-03"),
            ("１９５５／０４／１２", "1955-04-12"),
            ("2024年2月29日", "2024-02-29"),
            ("最大 2025年10月3日", "2025-10-03"),
        ] {
            check(input, expected);
        }
    }

    #[test]
    fn skips_what_is_not_a_date() {
        for input in [
            "2015年頃",
            "2015年4月",
            "令和7年10月",
            "7年10月3日",
            "10月3日",
            "0.92 mg/dL",
            "62.8",
            "E11.9",
            "HbA1c 6.5%",
            "HbA1c6.5.1",
            "S83.5",
            "H25.1",
            "03-1234-5678",
            "0120-2025-10-03",
            "154-0012",
            "1.2025.10.3",
            "2025.13.45",
            "1234/12/01",
            "2101/01/01",
            "12025/10/03",
            "2025.10.3.5",
            "説明 1.2.3",
            "不明 1.2.3",
            "大 2025",
            "AS38.7.19",
            "R 7.10.3",
            "平成",
            "",
        ] {
            check_none(input);
        }
    }

    #[test]
    fn impossible_dates_are_errors() {
        for (input, (year, month, day)) in [
            ("令和5年2月30日", (2023, 2, 30)),
            ("R7.13.1", (2025, 13, 1)),
            ("R7.0.1", (2025, 0, 1)),
            ("平成31年4月31日", (2019, 4, 31)),
            ("2023年2月29日", (2023, 2, 29)),
            ("2025/02/30", (2025, 2, 30)),
            ("2025年13月1日", (2025, 13, 1)),
        ] {
            assert_eq!(
                parse_date(input),
                Err(DateError::Impossible { year, month, day }),
                "{input}"
            );
        }
        assert_eq!(
            find_dates("受診日 令和5年2月30日"),
            vec![Err((4..13, DateError::Impossible { year: 2023, month: 2, day: 30 }))]
        );
    }

    #[test]
    fn no_date_is_unreadable() {
        assert_eq!(parse_date("検査値 0.92"), Err(DateError::Unreadable("検査値 0.92".to_owned())));
    }

    #[test]
    fn warns_of_dates_outside_their_era() {
        let found = parse_date("平成32年1月1日").expect("converts");
        assert_eq!(found.date, date(2020, 1, 1));
        assert_eq!(
            found.warnings,
            vec![DateWarning::PastEraEnd { era: Era::Heisei, printed_year: 32 }]
        );

        let found = parse_date("H31.5.1").expect("converts");
        assert_eq!(found.date, date(2019, 5, 1));
        assert_eq!(
            found.warnings,
            vec![DateWarning::PastEraEnd { era: Era::Heisei, printed_year: 31 }]
        );

        let found = parse_date("昭和65年1月1日").expect("converts");
        assert_eq!(
            found.warnings,
            vec![DateWarning::PastEraEnd { era: Era::Showa, printed_year: 65 }]
        );

        for (input, era) in [
            ("令和1年4月1日", Era::Reiwa),
            ("平成元年1月7日", Era::Heisei),
            ("昭和元年12月24日", Era::Showa),
            ("大正元年7月29日", Era::Taisho),
        ] {
            let found = parse_date(input).expect("converts");
            assert_eq!(found.warnings, vec![DateWarning::BeforeEraStart { era }], "{input}");
        }
    }

    #[test]
    fn reports_era_and_span() {
        let found = parse_date("R7.10.3").expect("converts");
        assert_eq!((found.era, found.span), (Some(Era::Reiwa), 0..7));
        let found = parse_date("作成日：2025年10月3日").expect("converts");
        assert_eq!((found.era, found.span), (None, 4..14));
        let found = parse_date("Ｒ７．１０．３").expect("converts");
        assert_eq!(found.span, 0..7);
        let found = parse_date("拡大 令和7年10月3日").expect("converts");
        assert_eq!(found.span, 3..12);
        let found = parse_date("明・大・(昭)・平・令 30年4月12日").expect("converts");
        assert_eq!((found.era, found.span), (Some(Era::Showa), 0..20));
    }

    #[test]
    fn reads_the_printed_age() {
        for (input, age) in [
            ("平成2年7月21日生 (35歳)", Some(35)),
            ("昭和16年8月8日生 (84歳)", Some(84)),
            ("昭和30年4月12日生（70歳）", Some(70)),
            ("昭和30年4月12日 70歳", Some(70)),
            ("昭和30年4月12日生 満70歳", Some(70)),
            ("昭和30年4月12日（満 70 才）", Some(70)),
            ("昭和30年4月12日生まれ 七十歳", Some(70)),
            ("S30.4.12 (70歳)", Some(70)),
            ("昭和30年4月12日生", None),
            ("昭和30年4月12日 70kg", None),
        ] {
            let found = parse_date(input).expect("converts");
            assert_eq!(found.printed_age, age, "{input}");
        }
        let found = parse_date("平成2年7月21日生 (35歳)").expect("converts");
        assert_eq!((found.date, found.span), (date(1990, 7, 21), 0..9));
    }

    #[test]
    fn finds_every_date_on_a_line() {
        let spans = |text: &str| -> Vec<(String, Range<usize>)> {
            find_dates(text)
                .into_iter()
                .map(|found| {
                    found.map(|found| (found.date.to_string(), found.span)).expect("converts")
                })
                .collect()
        };
        assert_eq!(
            spans("入院日 令和7年9月12日 退院日 令和7年9月26日"),
            vec![("2025-09-12".to_owned(), 4..13), ("2025-09-26".to_owned(), 18..27)]
        );
        assert_eq!(
            spans("採取日 R7.10.2 報告日 R7.10.3"),
            vec![("2025-10-02".to_owned(), 4..11), ("2025-10-03".to_owned(), 16..23)]
        );
        assert_eq!(
            spans("HbA1c 6.5% Cr 0.92 mg/dL (R7.10.2) TEL 03-1234-5678 〒154-0012 E11.9"),
            vec![("2025-10-02".to_owned(), 26..33)]
        );
        assert_eq!(
            spans("生年月日 S30.4.12 (70歳) 初診 2015年頃 受診 2025/10/03"),
            vec![("1955-04-12".to_owned(), 5..13), ("2025-10-03".to_owned(), 33..43)]
        );
    }

    #[test]
    fn survives_any_cut_of_a_messy_line() {
        let line = "明・大・(昭)・平・令 30年4月12日生（満70歳） R7.10.3 ２０２５／１０／０３ 03-1234-5678 令和元年5月";
        let chars: Vec<char> = line.chars().collect();
        for start in 0..chars.len() {
            for end in start..=chars.len() {
                let text: String = chars[start..end].iter().collect();
                for found in find_dates(&text) {
                    let span = found.map_or_else(|(span, _)| span, |found| found.span);
                    assert!(span.start < span.end && span.end <= end - start, "{text}");
                }
            }
        }
    }

    #[test]
    fn validates_dates() {
        assert!(Date::new(2024, 2, 29).is_some());
        assert!(Date::new(2000, 2, 29).is_some());
        assert!(Date::new(1900, 2, 29).is_none());
        assert!(Date::new(2025, 2, 29).is_none());
        assert!(Date::new(2025, 4, 31).is_none());
        assert!(Date::new(2025, 12, 31).is_some());
        assert!(Date::new(2025, 0, 1).is_none());
        assert!(Date::new(2025, 13, 1).is_none());
        assert!(Date::new(2025, 1, 0).is_none());
    }

    #[test]
    fn computes_ages() {
        let birth = date(1955, 4, 12);
        assert_eq!(birth.age_on(date(2025, 4, 11)), 69);
        assert_eq!(birth.age_on(date(2025, 4, 12)), 70);
        assert_eq!(birth.age_on(date(2025, 12, 31)), 70);
        assert_eq!(birth.age_on(date(1955, 4, 12)), 0);
        assert_eq!(birth.age_on(date(1950, 1, 1)), 0);
        let leap_day = date(2000, 2, 29);
        assert_eq!(leap_day.age_on(date(2025, 2, 28)), 24);
        assert_eq!(leap_day.age_on(date(2025, 3, 1)), 25);
    }

    #[test]
    fn checks_printed_ages() {
        let birth = date(1955, 4, 12);
        assert_eq!(check_printed_age(birth, 70, date(2025, 10, 3)), None);
        assert_eq!(
            check_printed_age(birth, 69, date(2025, 10, 3)),
            Some(DateWarning::AgeMismatch { printed_age: 69, computed_age: 70 })
        );
        assert_eq!(check_printed_age(birth, 69, date(2025, 4, 1)), None);
    }

    #[test]
    fn round_trips_through_text_and_serde() {
        let day = date(1955, 4, 12);
        assert_eq!(day.to_string(), "1955-04-12");
        assert_eq!("1955-04-12".parse::<Date>(), Ok(day));
        assert_eq!(serde_json::to_string(&day).expect("serialises"), "\"1955-04-12\"");
        assert_eq!(serde_json::from_str::<Date>("\"1955-04-12\"").expect("deserialises"), day);
        assert!(serde_json::from_str::<Date>("\"1955-02-30\"").is_err());
        assert_eq!(
            "2023-02-29".parse::<Date>(),
            Err(DateError::Impossible { year: 2023, month: 2, day: 29 })
        );
        for input in [
            "1955-4-12",
            "1955/04/12",
            "55-04-12",
            "1955-04-120",
            "+955-04-12",
            "１９５５-04-12",
            "abc€d-01",
            "",
        ] {
            assert!(matches!(input.parse::<Date>(), Err(DateError::Unreadable(_))), "{input}");
        }
    }

    #[test]
    fn serialises_warnings_with_their_kind() {
        let warning = DateWarning::PastEraEnd { era: Era::Heisei, printed_year: 32 };
        assert_eq!(
            serde_json::to_string(&warning).expect("serialises"),
            r#"{"kind":"past_era_end","era":"heisei","printed_year":32}"#
        );
    }
}
