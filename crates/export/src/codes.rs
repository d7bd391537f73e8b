//! A hospital's own code tables: names as printed mapped to MEDIS disease
//! codes, HOT/YJ drug codes and JLAC10 lab codes. Torikomi ships none; a
//! name not in the table is exported as text without a code.

use std::collections::HashMap;
use std::path::Path;

use unicode_normalization::UnicodeNormalization;

use crate::ExportError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CodeKind {
    Disease,
    Drug,
    Lab,
}

impl CodeKind {
    fn parse(text: &str) -> Option<CodeKind> {
        match text {
            "disease" => Some(CodeKind::Disease),
            "drug" => Some(CodeKind::Drug),
            "lab" => Some(CodeKind::Lab),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Code {
    pub code: String,
    /// The coding system as HL7 names it (MDCDX2, HOT9, YJ, JC10); empty
    /// for the kind's usual system.
    pub system: String,
}

impl Code {
    pub fn system_or<'a>(&'a self, usual: &'a str) -> &'a str {
        if self.system.is_empty() { usual } else { &self.system }
    }
}

/// Lookups by NFKC-normalised name, so full- and half-width spellings meet.
#[derive(Debug, Clone, Default)]
pub struct CodeTables {
    codes: HashMap<(CodeKind, String), Code>,
}

impl CodeTables {
    /// Reads a CSV of `kind,name,code[,system]` rows (kind: disease, drug
    /// or lab; a first row starting with `kind` is a header).
    ///
    /// # Errors
    /// A row with too few columns or an unknown kind, naming the line.
    pub fn from_csv(csv: &str, source: &Path) -> Result<CodeTables, ExportError> {
        let mut tables = CodeTables::default();
        for (index, line) in csv.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || (index == 0 && line.starts_with("kind")) {
                continue;
            }
            let columns: Vec<&str> = line.split(',').map(str::trim).collect();
            let bad_row = |why: &str| ExportError::CodeTable {
                path: source.to_owned(),
                line: index + 1,
                message: why.to_owned(),
            };
            let [kind, name, code, rest @ ..] = columns.as_slice() else {
                return Err(bad_row("expected kind,name,code[,system]"));
            };
            let kind = CodeKind::parse(kind).ok_or_else(|| bad_row("kind must be disease, drug or lab"))?;
            let system = rest.first().copied().unwrap_or("").to_owned();
            tables.codes.insert((kind, normalise(name)), Code { code: (*code).to_owned(), system });
        }
        Ok(tables)
    }

    pub fn lookup(&self, kind: CodeKind, name: &str) -> Option<&Code> {
        self.codes.get(&(kind, normalise(name)))
    }
}

fn normalise(name: &str) -> String {
    name.nfkc().filter(|c| !c.is_whitespace()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rows_and_matches_across_widths() {
        let csv = "kind,name,code,system\ndisease,胃炎,20054174,MDCDX2\nlab,ＨｂＡ１ｃ,3D046000001920402,\n";
        let tables = CodeTables::from_csv(csv, Path::new("codes.csv")).unwrap();
        assert_eq!(tables.lookup(CodeKind::Disease, "胃炎").unwrap().code, "20054174");
        assert_eq!(tables.lookup(CodeKind::Lab, "HbA1c").unwrap().system_or("JC10"), "JC10");
        assert!(tables.lookup(CodeKind::Drug, "胃炎").is_none());
    }

    #[test]
    fn a_bad_row_names_its_line() {
        let error = CodeTables::from_csv("disease,胃炎\n", Path::new("codes.csv")).unwrap_err();
        assert!(error.to_string().contains("codes.csv:1"), "{error}");
        let error = CodeTables::from_csv("kind,name,code\nsymptom,咳,1\n", Path::new("c.csv")).unwrap_err();
        assert!(error.to_string().contains("c.csv:2"), "{error}");
    }
}
