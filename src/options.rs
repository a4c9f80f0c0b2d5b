//! The store's validated options, and the one home of their defaults.

use std::time::Duration;

use chrono::TimeDelta;

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

/// Default bound on one store operation (getting a connection, its statement, retries):
/// 5 seconds.
pub const DEFAULT_OPERATION_TIMEOUT: Duration = Duration::from_secs(5);
/// How many times a statement that lost a race (deadlock, serialization failure) is run
/// again, at most, within the operation timeout.
pub(crate) const TRANSIENT_RETRIES: u32 = 5;

/// The validated options of a store.
#[derive(Clone, Debug)]
pub(crate) struct Options {
    pub expiration: TimeDelta,
    pub check_expiration_interval: Duration,
    pub disable_touch: bool,
    /// Zero: every expiry refresh writes.
    pub touch_after: TimeDelta,
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
            touch_after: TimeDelta::zero(),
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
