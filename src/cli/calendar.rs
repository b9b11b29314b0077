//! `manyi calendar import | show | deadline`: the government office calendar.

use anyhow::Context;

use super::CalendarCommand;
use crate::config::Settings;

pub fn calendar_command(settings: &Settings, command: &CalendarCommand) -> anyhow::Result<()> {
    use crate::calendar::{self, Calendar, WorkingDays};
    let mut conn = super::connect(settings)?;
    match command {
        CalendarCommand::Import { file } => {
            let bytes = std::fs::read(file).with_context(|| format!("{}", file.display()))?;
            let name = file.display().to_string();
            let days = calendar::parse_official_csv(&name, &bytes)?;
            let years = calendar::import_days(&mut conn, &name, &days)?;
            let holidays = days.iter().filter(|d| d.holiday).count();
            println!(
                "imported {} days ({holidays} off) for {}",
                days.len(),
                years
                    .iter()
                    .map(i32::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            Ok(())
        }
        CalendarCommand::Show { year } => {
            let cal = Calendar::load(&mut conn)?;
            anyhow::ensure!(
                cal.has_year(*year),
                "no calendar for {year}: import the official CSV with `manyi calendar import FILE`"
            );
            let mut date = chrono::NaiveDate::from_ymd_opt(*year, 1, 1).context("year")?;
            while chrono::Datelike::year(&date) == *year {
                let day = cal.day(date).expect("a known year is whole");
                let weekend = matches!(
                    chrono::Datelike::weekday(&date),
                    chrono::Weekday::Sat | chrono::Weekday::Sun
                );
                if day.holiday != weekend || !day.description.is_empty() {
                    println!(
                        "{}\t{}\t{}",
                        date,
                        if day.holiday { "off" } else { "work" },
                        day.description
                    );
                }
                date = date.succ_opt().context("date")?;
            }
            Ok(())
        }
        CalendarCommand::Deadline { received, days } => {
            let cal = Calendar::load(&mut conn)?;
            let n = WorkingDays::new(*days).map_err(anyhow::Error::msg)?;
            let dl = cal.add_working_days(*received, n);
            if dl.assumed_weekdays {
                println!(
                    "{} (no calendar for part of the period: Monday-Friday assumed)",
                    dl.date
                );
            } else {
                println!("{}", dl.date);
            }
            Ok(())
        }
    }
}
