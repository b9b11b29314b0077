//! The government office calendar (中華民國政府行政機關辦公日曆表): which days
//! offices work, including national holidays, 補假 and Saturdays that are
//! make-up workdays (補行上班), and deadlines counted in working days on it.
//!
//! 2017-2025 ship with manyi (`assets/calendar/`, from the official open-data
//! set); later years are imported from the official yearly CSV with
//! `manyi calendar import FILE` and replace a shipped year of the same number.
//! A deadline that reaches a year with no calendar counts Monday-Friday there
//! and says so.

mod import;
pub mod roc;
pub mod taipei;

pub use import::{CalendarError, ImportedDay, import_days, parse_official_csv};
pub use roc::{RocYear, RocYearError};

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::{Datelike, NaiveDate, Weekday};
use diesel::prelude::*;
use serde::Deserialize;

use crate::db::DbConnection;
use crate::db::schema::calendar_days;

/// Days to answer in, on the office calendar: 1 to 30 (30 is the legal ceiling
/// for complex petitions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WorkingDays(u8);

impl WorkingDays {
    pub const MAX: u8 = 30;

    pub fn new(n: u32) -> Result<Self, WorkingDaysError> {
        if (1..=Self::MAX as u32).contains(&n) {
            Ok(Self(n as u8))
        } else {
            Err(WorkingDaysError(n))
        }
    }

    pub fn get(self) -> u32 {
        self.0 as u32
    }
}

/// A number of working days outside 1-30.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("working days must be between 1 and {max}, not {0}", max = WorkingDays::MAX)]
pub struct WorkingDaysError(pub u32);

impl fmt::Display for WorkingDays {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// One day of the calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Day {
    pub holiday: bool,
    /// 開國紀念日, 補假, 補行上班 … (empty for ordinary days).
    pub description: String,
}

/// A deadline and whether any day on the way was assumed (no calendar for its year).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    pub date: NaiveDate,
    /// `true` when part of the count fell in a year without a calendar and
    /// Monday-Friday was assumed there: say so wherever the date is shown.
    pub assumed_weekdays: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Calendar {
    days: BTreeMap<NaiveDate, Day>,
    years: BTreeSet<i32>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ShippedDay {
    date: String,
    is_holiday: bool,
    description: String,
}

/// The shipped years, compiled into the binary.
const SHIPPED: [(i32, &str); 9] = [
    (2017, include_str!("../../assets/calendar/2017.json")),
    (2018, include_str!("../../assets/calendar/2018.json")),
    (2019, include_str!("../../assets/calendar/2019.json")),
    (2020, include_str!("../../assets/calendar/2020.json")),
    (2021, include_str!("../../assets/calendar/2021.json")),
    (2022, include_str!("../../assets/calendar/2022.json")),
    (2023, include_str!("../../assets/calendar/2023.json")),
    (2024, include_str!("../../assets/calendar/2024.json")),
    (2025, include_str!("../../assets/calendar/2025.json")),
];

impl Calendar {
    /// The years shipped with manyi (parsed once per process).
    pub fn shipped() -> Self {
        static SHIPPED_CALENDAR: std::sync::OnceLock<Calendar> = std::sync::OnceLock::new();
        SHIPPED_CALENDAR.get_or_init(Self::parse_shipped).clone()
    }

    fn parse_shipped() -> Self {
        let mut cal = Calendar::default();
        for (year, json) in SHIPPED {
            let days: Vec<ShippedDay> =
                serde_json::from_str(json).expect("the shipped calendar is valid JSON");
            for d in days {
                let date = NaiveDate::parse_from_str(&d.date, "%Y%m%d")
                    .expect("the shipped calendar has valid dates");
                cal.days.insert(
                    date,
                    Day {
                        holiday: d.is_holiday,
                        description: d.description,
                    },
                );
            }
            cal.years.insert(year);
        }
        cal
    }

    /// Shipped years with imported ones laid over them.
    pub fn load(conn: &mut DbConnection) -> QueryResult<Self> {
        let mut cal = Self::shipped();
        let imported: Vec<(NaiveDate, bool, String)> = calendar_days::table
            .order(calendar_days::day)
            .select((
                calendar_days::day,
                calendar_days::is_holiday,
                calendar_days::description,
            ))
            .load(conn)?;
        let years: BTreeSet<i32> = imported.iter().map(|d| d.0.year()).collect();
        for y in &years {
            cal.remove_year(*y);
        }
        cal.add_days(imported.into_iter().map(|(date, holiday, description)| {
            (
                date,
                Day {
                    holiday,
                    description,
                },
            )
        }));
        Ok(cal)
    }

    fn remove_year(&mut self, year: i32) {
        self.days.retain(|d, _| d.year() != year);
        self.years.remove(&year);
    }

    /// Adds whole years of days (replacing those years).
    pub fn add_days(&mut self, days: impl IntoIterator<Item = (NaiveDate, Day)>) {
        for (date, day) in days {
            self.years.insert(date.year());
            self.days.insert(date, day);
        }
    }

    pub fn years(&self) -> impl Iterator<Item = i32> + '_ {
        self.years.iter().copied()
    }

    pub fn has_year(&self, year: i32) -> bool {
        self.years.contains(&year)
    }

    pub fn day(&self, date: NaiveDate) -> Option<&Day> {
        self.days.get(&date)
    }

    /// Whether offices work that day, and whether the calendar knew (else
    /// Monday-Friday is assumed).
    pub fn is_working_day(&self, date: NaiveDate) -> (bool, bool) {
        match self.days.get(&date) {
            Some(d) => (!d.holiday, true),
            None => (
                !matches!(date.weekday(), Weekday::Sat | Weekday::Sun),
                false,
            ),
        }
    }

    /// The `n`-th working day after `received` (the day of receipt is not
    /// counted, as with any period counted in days).
    pub fn add_working_days(&self, received: NaiveDate, n: WorkingDays) -> Deadline {
        let mut date = received;
        let mut counted = 0;
        let mut assumed = false;
        while counted < n.get() {
            date = date
                .succ_opt()
                .expect("dates stay far from chrono's limits");
            let (working, known) = self.is_working_day(date);
            assumed |= !known;
            if working {
                counted += 1;
            }
        }
        Deadline {
            date,
            assumed_weekdays: assumed,
        }
    }

    /// Working days after `from` up to and including `to` (0 when `to` is not
    /// after `from`): how many working days a reply took.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        let mut n = 0;
        let mut date = from;
        while date < to {
            date = date
                .succ_opt()
                .expect("dates stay far from chrono's limits");
            if self.is_working_day(date).0 {
                n += 1;
            }
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn days(n: u32) -> WorkingDays {
        WorkingDays::new(n).unwrap()
    }

    #[test]
    fn shipped_years_are_whole() {
        let cal = Calendar::shipped();
        assert_eq!(
            cal.years().collect::<Vec<_>>(),
            (2017..=2025).collect::<Vec<_>>()
        );
        assert_eq!(cal.day(d(2024, 1, 1)).unwrap().description, "開國紀念日");
        assert!(cal.day(d(2024, 2, 29)).is_some(), "leap day present");
    }

    #[test]
    fn lunar_new_year_2024_and_its_make_up_saturday() {
        let cal = Calendar::shipped();
        // 2024-02-08 (小年夜) to 02-14 (補假) are off; Saturday 02-17 is 補行上班.
        for day in 8..=14 {
            assert!(
                !cal.is_working_day(d(2024, 2, day)).0,
                "2024-02-{day} is off"
            );
        }
        assert_eq!(cal.day(d(2024, 2, 17)).unwrap().description, "補行上班");
        assert!(cal.is_working_day(d(2024, 2, 17)).0);
        // Received Wednesday 02-07: Thu 15th, Fri 16th, Sat 17th (make-up day).
        let dl = cal.add_working_days(d(2024, 2, 7), days(3));
        assert_eq!(
            dl,
            Deadline {
                date: d(2024, 2, 17),
                assumed_weekdays: false
            }
        );
        // Five working days: ... Mon 19th, Tue 20th.
        assert_eq!(
            cal.add_working_days(d(2024, 2, 7), days(5)).date,
            d(2024, 2, 20)
        );
        // Received on a holiday (Sunday 02-11): the count starts after it.
        assert_eq!(
            cal.add_working_days(d(2024, 2, 11), days(1)).date,
            d(2024, 2, 15)
        );
    }

    #[test]
    fn make_up_saturdays_of_2023_count() {
        let cal = Calendar::shipped();
        // Friday 2023-06-16 + 1: Saturday 06-17 is 補行上班.
        assert_eq!(
            cal.add_working_days(d(2023, 6, 16), days(1)).date,
            d(2023, 6, 17)
        );
        // Ordinary Saturday 2023-06-10 is not.
        assert_eq!(
            cal.add_working_days(d(2023, 6, 9), days(1)).date,
            d(2023, 6, 12)
        );
        // 端午 2023-06-22/23 off: Wednesday 06-21 + 1 is Monday 06-26.
        assert_eq!(
            cal.add_working_days(d(2023, 6, 21), days(1)).date,
            d(2023, 6, 26)
        );
    }

    #[test]
    fn across_the_year_boundary() {
        let cal = Calendar::shipped();
        // Tue 2024-12-31 + 3: Jan 1 off; Thu 2, Fri 3, Mon 6.
        assert_eq!(
            cal.add_working_days(d(2024, 12, 31), days(3)),
            Deadline {
                date: d(2025, 1, 6),
                assumed_weekdays: false
            }
        );
        assert_eq!(cal.working_days_between(d(2024, 12, 31), d(2025, 1, 6)), 3);
    }

    #[test]
    fn a_year_without_calendar_falls_back_to_weekdays_and_says_so() {
        let cal = Calendar::shipped();
        // Tue 2025-12-30 + 5: Wed 31 (known), then 2026 unknown: Thu 1, Fri 2, Mon 5, Tue 6.
        let dl = cal.add_working_days(d(2025, 12, 30), days(5));
        assert_eq!(
            dl,
            Deadline {
                date: d(2026, 1, 6),
                assumed_weekdays: true
            }
        );
        // Entirely inside a known year: not assumed.
        assert!(
            !cal.add_working_days(d(2025, 3, 3), days(5))
                .assumed_weekdays
        );
    }

    #[test]
    fn working_days_are_bounded() {
        assert!(WorkingDays::new(0).is_err());
        assert!(WorkingDays::new(31).is_err());
        assert_eq!(WorkingDays::new(30).unwrap().get(), 30);
    }

    proptest! {
        /// A deadline is a working day, after the day of receipt, and exactly
        /// `n` working days after it.
        #[test]
        fn deadlines_are_working_days_after_receipt(offset in 0i64..3650, n in 1u32..=30) {
            let cal = Calendar::shipped();
            let received = d(2017, 1, 1) + chrono::Duration::days(offset);
            let dl = cal.add_working_days(received, days(n));
            prop_assert!(dl.date > received);
            prop_assert!(cal.is_working_day(dl.date).0);
            prop_assert_eq!(cal.working_days_between(received, dl.date), n as i64);
            // No working day is skipped: the day before the deadline has one fewer.
            let before = dl.date.pred_opt().unwrap();
            prop_assert_eq!(cal.working_days_between(received, before), n as i64 - 1);
        }
    }
}
