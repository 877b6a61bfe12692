//! Instants in words: seconds since the epoch as a UTC date and time, one reading (chrono's
//! proleptic Gregorian calendar) for the viewer's file times and the history's records.

/// `2026-12-03 09:40:05` for seconds since the epoch, in UTC; `@SECONDS` for an instant outside
/// the calendar's range (a tar header's mtime is whatever the image says).
pub fn utc(seconds: i64) -> String {
    match chrono::DateTime::from_timestamp(seconds, 0) {
        Some(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
        None => format!("@{seconds}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_read_as_utc_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00:00");
        assert_eq!(utc(-1), "1969-12-31 23:59:59");
        assert_eq!(utc(951_782_400 + 3661), "2000-02-29 01:01:01");
        assert_eq!(utc(1_764_754_805), "2025-12-03 09:40:05");
        assert_eq!(utc(i64::MAX), format!("@{}", i64::MAX));
    }
}
