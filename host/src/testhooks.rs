//! Test hooks: places where the end-to-end suite can make the process die on purpose, to
//! prove crash safety. Inert unless `LATCHKEY_TEST_CRASH_AT` names the point.

/// Abort the process here if `LATCHKEY_TEST_CRASH_AT` equals `point`.
pub fn crash_point(point: &str) {
    if std::env::var("LATCHKEY_TEST_CRASH_AT").is_ok_and(|p| p == point) {
        eprintln!("latchkey: test hook: crashing at {point}");
        std::process::abort();
    }
}
