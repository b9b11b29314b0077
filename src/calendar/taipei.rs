//! The one conversion between stored instants (UTC) and Taipei time: Taiwan
//! has kept UTC+8 without daylight saving since 1979. Everything that shows
//! a date or a time, or counts a day, goes through here.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, Utc};

/// UTC+8.
pub fn offset() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

/// Taipei wall-clock time of a UTC instant.
pub fn local(utc: NaiveDateTime) -> NaiveDateTime {
    utc + chrono::Duration::hours(8)
}

/// The UTC instant of a Taipei wall-clock time.
pub fn to_utc(local: NaiveDateTime) -> NaiveDateTime {
    local - chrono::Duration::hours(8)
}

/// The Taipei calendar day of a UTC instant.
pub fn date_of(utc: NaiveDateTime) -> NaiveDate {
    local(utc).date()
}

/// Today in Taipei.
pub fn today() -> NaiveDate {
    now().date_naive()
}

/// Now, in Taipei time.
pub fn now() -> DateTime<FixedOffset> {
    Utc::now().with_timezone(&offset())
}

/// The UTC instant at which a Taipei calendar day starts (16:00 UTC the day before).
pub fn midnight_utc(date: NaiveDate) -> NaiveDateTime {
    to_utc(date.and_hms_opt(0, 0, 0).expect("midnight exists"))
}

/// `2026-12-02 04:11`, Taipei time, as the console shows instants.
pub fn minutes(utc: NaiveDateTime) -> String {
    local(utc).format("%Y-%m-%d %H:%M").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn taipei_days_start_at_16_utc_the_day_before() {
        let d = NaiveDate::from_ymd_opt(2024, 2, 8).unwrap();
        let start = midnight_utc(d);
        assert_eq!(start.to_string(), "2024-02-07 16:00:00");
        assert_eq!(date_of(start), d);
        assert_eq!(
            date_of(start - chrono::Duration::seconds(1)),
            d.pred_opt().unwrap()
        );
        assert_eq!(minutes(start), "2024-02-08 00:00");
        assert_eq!(to_utc(local(start)), start);
    }
}
