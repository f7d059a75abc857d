//! Authentication of callers (agents and operators) and, later, of users with their apps.

pub mod api_keys;
