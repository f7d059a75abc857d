//! Wall-clock time as Unix milliseconds, the one time format stored in the vault, and its
//! display in UTC (calendar arithmetic by the `time` crate, which the gateway already links
//! for cookies).

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch; a clock before 1970 reads as 0.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// The instant `ms` as a UTC date and time; out-of-range values read as the epoch.
fn utc(ms: i64) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

/// RFC 3339 in UTC (`2026-11-29T20:54:25Z`), for event payloads.
pub fn rfc3339(ms: i64) -> String {
    let t = utc(ms);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// `YYYY-MM-DD HH:MM` in UTC, for pages (no time-zone database needed).
pub fn format_utc(ms: i64) -> String {
    let t = utc(ms);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(format_utc(0), "1970-01-01 00:00");
        assert_eq!(format_utc(1_798_457_400_000), "2026-12-28 11:30");
        assert_eq!(format_utc(951_782_400_000), "2000-02-29 00:00");
        assert_eq!(rfc3339(1_798_457_405_000), "2026-12-28T11:30:05Z");
        assert_eq!(format_utc(-1), "1969-12-31 23:59");
        assert_eq!(format_utc(i64::MAX), "1970-01-01 00:00", "out of range");
    }
}
