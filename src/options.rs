//! The store's validated options, and the one home of their defaults.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use crate::at_rest::AtRest;

/// Default session lifetime when the caller gives no expiry: 24 hours.
pub const DEFAULT_EXPIRATION: Duration = Duration::from_secs(24 * 60 * 60);
/// Default interval between expiry sweeps: 15 minutes.
pub const DEFAULT_CHECK_EXPIRATION_INTERVAL: Duration = Duration::from_secs(15 * 60);
/// Default largest serialized session accepted by `set`: 4 MiB.
pub const DEFAULT_MAX_DATA_SIZE: usize = 4 * 1024 * 1024;
/// Default number of rows one cleanup statement deletes at most.
pub const DEFAULT_DELETE_BATCH_SIZE: u32 = 1_000;
/// Default number of sessions whose last loaded or written state one store instance
/// remembers, to skip writes of unchanged sessions through the front ends: 10,000.
pub const DEFAULT_TRACKED_SESSIONS: usize = 10_000;

/// The longest default touch window: a session saved unchanged within this much of its
/// stored expiry writes nothing (see [`Builder::touch_after`](crate::Builder::touch_after)):
/// 10 minutes.
pub const DEFAULT_TOUCH_AFTER_MAX: Duration = Duration::from_secs(10 * 60);
/// The default touch window is the session's lifetime (from now to its new expiry) divided
/// by this, at most [`DEFAULT_TOUCH_AFTER_MAX`]: 5 %.
pub(crate) const DEFAULT_TOUCH_AFTER_DIVISOR: i32 = 20;

/// Default bound on one store operation (getting a connection, its statement, retries):
/// 5 seconds.
pub const DEFAULT_OPERATION_TIMEOUT: Duration = Duration::from_secs(5);
/// How many times a statement that lost a race (deadlock, serialization failure) is run
/// again, at most, within the operation timeout.
pub(crate) const TRANSIENT_RETRIES: u32 = 5;
/// How many times a statement whose server connection could not serve (it broke, or the
/// server is leaving) is run again on a fresh connection, at most, within the operation
/// timeout.
pub(crate) const FAILOVER_RETRIES: u32 = 5;

/// The validated options of a store.
#[derive(Clone, Debug)]
pub(crate) struct Options {
    pub expiration: TimeDelta,
    pub check_expiration_interval: Duration,
    pub disable_touch: bool,
    /// How close a stored expiry may be to a new one for a refresh to write nothing.
    pub touch_after: TouchWindow,
    pub max_data_size: usize,
    pub delete_batch_size: u32,
    pub single_reaper: bool,
    pub tracked_sessions: usize,
    pub operation_timeout: Duration,
    /// No session is served longer than this after its creation (`None`: no bound).
    pub max_lifetime: Option<TimeDelta>,
    /// Each statement in a transaction of its own (for transaction poolers).
    pub transaction_pooling: bool,
    /// A merged save fails when another writer changed one of its keys.
    pub strict_merge: bool,
    /// Ids hashed, data encrypted.
    pub at_rest: AtRest,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            // 24 h always fits a TimeDelta.
            expiration: TimeDelta::from_std(DEFAULT_EXPIRATION).unwrap_or(TimeDelta::MAX),
            check_expiration_interval: DEFAULT_CHECK_EXPIRATION_INTERVAL,
            disable_touch: false,
            touch_after: TouchWindow::ShareOfLifetime,
            max_data_size: DEFAULT_MAX_DATA_SIZE,
            delete_batch_size: DEFAULT_DELETE_BATCH_SIZE,
            single_reaper: false,
            tracked_sessions: DEFAULT_TRACKED_SESSIONS,
            operation_timeout: DEFAULT_OPERATION_TIMEOUT,
            max_lifetime: None,
            transaction_pooling: false,
            strict_merge: false,
            at_rest: AtRest::default(),
        }
    }
}

/// How close a stored expiry may be to a new one for an expiry refresh to write nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TouchWindow {
    /// This window for every session (zero: every refresh writes).
    Fixed(TimeDelta),
    /// A twentieth of the session's own lifetime (from now to its new expiry), at most
    /// [`DEFAULT_TOUCH_AFTER_MAX`]: the default.
    ShareOfLifetime,
}

impl TouchWindow {
    /// Whether every refresh writes (the touch statement then has no window).
    pub(crate) fn is_zero(self) -> bool {
        matches!(self, TouchWindow::Fixed(window) if window <= TimeDelta::zero())
    }

    /// The window around `expires`, a new expiry given at `now`.
    pub(crate) fn around(self, expires: DateTime<Utc>, now: DateTime<Utc>) -> TimeDelta {
        match self {
            TouchWindow::Fixed(window) => window,
            TouchWindow::ShareOfLifetime => {
                // 10 minutes always fit a TimeDelta.
                let max = TimeDelta::from_std(DEFAULT_TOUCH_AFTER_MAX).unwrap_or(TimeDelta::MAX);
                ((expires - now) / DEFAULT_TOUCH_AFTER_DIVISOR).clamp(TimeDelta::zero(), max)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_window_is_a_twentieth_of_the_lifetime_at_most_ten_minutes() {
        let now = Utc::now();
        let window = |lifetime: TimeDelta| TouchWindow::ShareOfLifetime.around(now + lifetime, now);
        assert_eq!(window(TimeDelta::hours(1)), TimeDelta::seconds(180));
        assert_eq!(window(TimeDelta::minutes(20)), TimeDelta::seconds(60));
        assert_eq!(window(TimeDelta::minutes(200)), TimeDelta::seconds(600));
        assert_eq!(window(TimeDelta::weeks(2)), TimeDelta::seconds(600));
        assert_eq!(window(TimeDelta::seconds(-5)), TimeDelta::zero());
        assert!(!TouchWindow::ShareOfLifetime.is_zero());
        assert!(TouchWindow::Fixed(TimeDelta::zero()).is_zero());
        let fixed = TouchWindow::Fixed(TimeDelta::seconds(7));
        assert!(!fixed.is_zero());
        assert_eq!(
            fixed.around(now + TimeDelta::weeks(2), now),
            TimeDelta::seconds(7)
        );
    }
}
