//! The year of the Republic of China calendar (民國) in which people count:
//! 民國113年 = 2024. Gregorian − 1911, in one place.

use std::fmt;

use serde::Serialize;

/// Not a ROC year the service works with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct RocYearError(String);

/// A year of the Republic of China calendar (民國): 113 = 2024.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct RocYear(i32);

impl RocYear {
    /// Years 1-200 (1912-2111).
    pub fn new(year: i32) -> Result<Self, RocYearError> {
        if (1..=200).contains(&year) {
            Ok(RocYear(year))
        } else {
            Err(RocYearError(format!(
                "`{year}` is not a ROC year (民國 1-200, e.g. 113 for 2024)"
            )))
        }
    }

    pub fn parse(s: &str) -> Result<Self, RocYearError> {
        let y = s
            .trim()
            .parse::<i32>()
            .map_err(|_| RocYearError(format!("`{s}` is not a ROC year (e.g. 113 for 2024)")))?;
        Self::new(y)
    }

    pub fn from_gregorian(y: i32) -> Self {
        RocYear(y - 1911)
    }

    pub fn get(self) -> i32 {
        self.0
    }

    pub fn gregorian(self) -> i32 {
        self.0 + 1911
    }
}

impl fmt::Display for RocYear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A date as citizens read it on a public page: 民國115年12月2日.
pub fn roc_date(d: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    format!("民國{}年{}月{}日", d.year() - 1911, d.month(), d.day())
}

/// The same date in English: 2 December 2026.
pub fn english_date(d: chrono::NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_in_the_roc_calendar_and_in_english() {
        let d = chrono::NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        assert_eq!(roc_date(d), "民國115年12月2日");
        assert_eq!(english_date(d), "2 December 2026");
        let d = chrono::NaiveDate::from_ymd_opt(2024, 1, 31).unwrap();
        assert_eq!(roc_date(d), "民國113年1月31日");
    }

    #[test]
    fn roc_years_parse_and_convert() {
        assert_eq!(RocYear::parse(" 113 ").unwrap().gregorian(), 2024);
        assert_eq!(RocYear::from_gregorian(2024).get(), 113);
        assert!(RocYear::new(0).is_err() && RocYear::new(201).is_err());
        assert!(RocYear::parse("2024年").is_err());
    }
}
