-- The default sqlx-session-store schema; `SqlStore::migrate()` runs exactly this.
-- Timestamps are DATETIME(6) holding UTC (never TIMESTAMP, which follows the session time_zone).
-- `version` changes with each write of new data (a random number; 0 for rows other programs insert): see "Concurrent requests" in the README.
-- `sid` is VARBINARY so ids compare exactly (case and trailing spaces); `data` is LONGTEXT (over 64 KiB).
CREATE TABLE IF NOT EXISTS `sessions` (
    `sid` VARBINARY(255) NOT NULL PRIMARY KEY,
    `data` LONGTEXT CHARACTER SET utf8mb4 NOT NULL,
    `expires` DATETIME(6) NOT NULL,
    `created_at` DATETIME(6) NOT NULL,
    `updated_at` DATETIME(6) NOT NULL,
    `version` BIGINT NOT NULL DEFAULT 0,
    INDEX `sessions_expires_idx` (`expires`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
