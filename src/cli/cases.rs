//! `manyi cases purge-personal`: removing petitioners' personal data from old
//! cases, and the `--older-than` cut-off it takes.

use anyhow::Context;

use crate::config::Settings;

pub fn purge_personal(settings: &Settings, before: chrono::NaiveDate) -> anyhow::Result<()> {
    let mut conn = super::connect(settings)?;
    let n = crate::cases::views::purge_personal(&mut conn, before)?;
    println!("personal data removed from {n} case(s) received before {before}");
    Ok(())
}

/// `5y`, `18m`, `90d` before `today`.
pub(super) fn cutoff(age: &str, today: chrono::NaiveDate) -> anyhow::Result<chrono::NaiveDate> {
    let age = age.trim();
    let (num, unit) = age.split_at(age.len().saturating_sub(1));
    let n: u32 = num
        .parse()
        .with_context(|| format!("--older-than: `{age}` is not like 5y, 18m or 90d"))?;
    let date = match unit {
        "y" => today.checked_sub_months(chrono::Months::new(12 * n)),
        "m" => today.checked_sub_months(chrono::Months::new(n)),
        "d" => today.checked_sub_days(chrono::Days::new(n as u64)),
        _ => None,
    };
    date.with_context(|| format!("--older-than: `{age}` is not like 5y, 18m or 90d"))
}

#[cfg(test)]
mod tests {
    use super::cutoff;
    use chrono::NaiveDate;

    #[test]
    fn cutoffs() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        assert_eq!(
            cutoff("5y", today).unwrap(),
            NaiveDate::from_ymd_opt(2021, 11, 24).unwrap()
        );
        assert_eq!(
            cutoff("18m", today).unwrap(),
            NaiveDate::from_ymd_opt(2025, 5, 24).unwrap()
        );
        assert_eq!(
            cutoff("90d", today).unwrap(),
            NaiveDate::from_ymd_opt(2026, 8, 26).unwrap()
        );
        assert!(cutoff("5", today).is_err());
        assert!(cutoff("fivey", today).is_err());
    }
}
