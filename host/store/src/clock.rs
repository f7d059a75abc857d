//! Wall-clock time as Unix milliseconds, the one time format stored in the vault.

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch; a clock before 1970 reads as 0.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// RFC 3339 in UTC (`2026-11-29T20:54:25Z`), for event payloads.
pub fn rfc3339(ms: i64) -> String {
    let minutes = format_utc(ms);
    let secs = ms.div_euclid(1000).rem_euclid(60);
    format!("{}T{}:{secs:02}Z", &minutes[..10], &minutes[11..])
}

/// `YYYY-MM-DD HH:MM` in UTC, for pages (no time-zone database needed).
pub fn format_utc(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}",
        rem / 3600,
        (rem % 3600) / 60
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
    }
}
