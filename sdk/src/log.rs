//! Structured logs into the host's tracing, tagged there with the connector and call.
//!
//! `latchkey_sdk::log::info!("found {} pages", n);` — never log secrets or whole bodies.

pub use crate::bindings::latchkey::connector::log::Level;

/// Sends one log line to the host (to stderr outside the sandbox).
pub fn write(level: Level, message: &str) {
    #[cfg(target_arch = "wasm32")]
    crate::bindings::latchkey::connector::log::log(level, message);
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("[{level:?}] {message}");
}

#[doc(hidden)]
#[macro_export]
macro_rules! __latchkey_log_trace {
    ($($arg:tt)+) => { $crate::log::write($crate::log::Level::Trace, &::std::format!($($arg)+)) };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __latchkey_log_debug {
    ($($arg:tt)+) => { $crate::log::write($crate::log::Level::Debug, &::std::format!($($arg)+)) };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __latchkey_log_info {
    ($($arg:tt)+) => { $crate::log::write($crate::log::Level::Info, &::std::format!($($arg)+)) };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __latchkey_log_warn {
    ($($arg:tt)+) => { $crate::log::write($crate::log::Level::Warn, &::std::format!($($arg)+)) };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __latchkey_log_error {
    ($($arg:tt)+) => { $crate::log::write($crate::log::Level::Error, &::std::format!($($arg)+)) };
}

/// Logs at trace level, `format!`-style.
pub use crate::__latchkey_log_trace as trace;

/// Logs at debug level, `format!`-style.
pub use crate::__latchkey_log_debug as debug;

/// Logs at info level, `format!`-style.
pub use crate::__latchkey_log_info as info;

/// Logs at warn level, `format!`-style.
pub use crate::__latchkey_log_warn as warn;

/// Logs at error level, `format!`-style.
pub use crate::__latchkey_log_error as error;

#[cfg(test)]
mod tests {
    #[test]
    fn macros_format_outside_the_sandbox() {
        crate::log::info!("{} pages", 3);
        crate::log::error!("plain");
    }
}
