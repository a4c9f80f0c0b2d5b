-- GENERATED FILE: every statement sqlx-session-store runs on MySQL / MariaDB, as built by
-- src/sql.rs (Statements::new), checked by the `golden` test in src/sql/golden.rs.
-- Do not edit by hand; regenerate and review the diff:
--     UPDATE_GOLDEN=1 cargo test --all-features --lib golden
-- Each statement is headed by `-- <table case> / <Statements field>` and its bind order
-- (`[x]`: when the table has that column or option; `custom`: custom column values).
-- Not included: the lock and transaction statements of src/dialect/*.rs (advisory
-- locks, GET_LOCK / RELEASE_LOCK, BEGIN / COMMIT), literals where they are run.

-- ==== default: `sessions`, default columns and options ====
-- table: sessions

-- default / get
-- binds: sid, now[, created after] -> data text, expires micros[, version]
SELECT `data`, TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', `expires`), `version` FROM `sessions` WHERE `sid` = ? AND `expires` > ?;

-- default / upsert
-- binds: sid, data, expires, [created], [updated], [version], custom
INSERT INTO `sessions` (`sid`, `data`, `expires`, `created_at`, `updated_at`, `version`) VALUES (?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE `data` = VALUES(`data`), `expires` = VALUES(`expires`), `updated_at` = VALUES(`updated_at`), `version` = VALUES(`version`);

-- default / insert
-- binds: sid, data, expires, [created], [updated], [version], custom
INSERT INTO `sessions` (`sid`, `data`, `expires`, `created_at`, `updated_at`, `version`) VALUES (?, ?, ?, ?, ?, ?);

-- default / update
-- binds: data, expires, [updated], [version], custom, sid, now[, created after]
UPDATE `sessions` SET `data` = ?, `expires` = ?, `updated_at` = ?, `version` = ? WHERE `sid` = ? AND `expires` > ?;

-- default / update_data
-- binds: data, [updated], [version], custom, sid, now[, created after]
UPDATE `sessions` SET `data` = ?, `updated_at` = ?, `version` = ? WHERE `sid` = ? AND `expires` > ?;

-- default / update_if[0] (new expiry)
-- binds: the binds of `update`/`update_data`, then the version (before created after)
UPDATE `sessions` SET `data` = ?, `expires` = ?, `updated_at` = ?, `version` = ? WHERE `sid` = ? AND `expires` > ? AND `version` = ?;

-- default / update_if[1] (kept expiry)
-- binds: the binds of `update`/`update_data`, then the version (before created after)
UPDATE `sessions` SET `data` = ?, `updated_at` = ?, `version` = ? WHERE `sid` = ? AND `expires` > ? AND `version` = ?;

-- default / touch
-- binds: expires, [updated], sid, now[, expires - touch_after, expires + touch_after][, created after]
UPDATE `sessions` SET `expires` = ?, `updated_at` = ? WHERE `sid` = ? AND `expires` > ? AND (`expires` < ? OR `expires` > ?);

-- default / destroy
-- binds: sid
DELETE FROM `sessions` WHERE `sid` = ?;

-- default / count
-- binds: now[, created after] -> count
SELECT COUNT(*) FROM `sessions` WHERE `expires` > ?;

-- default / clear
-- binds: (none)
DELETE FROM `sessions`;

-- default / ids
-- binds: now[, created after] -> sid
SELECT CONVERT(`sid` USING utf8mb4) FROM `sessions` WHERE `expires` > ?;

-- default / delete_expired
-- binds: now, limit
DELETE FROM `sessions` WHERE `expires` <= ? ORDER BY `expires` LIMIT ?;

-- default / delete_outlived: none (created before, limit (only with max_lifetime))

-- default / plain_ids
-- binds: pattern of hashed ids, last id seen, limit -> sid, data text
SELECT CONVERT(`sid` USING utf8mb4), `data` FROM `sessions` WHERE `sid` NOT LIKE ? AND `sid` > ? ORDER BY `sid` LIMIT ?;

-- default / rename_id
-- binds: new sid, data, old sid
UPDATE `sessions` SET `sid` = ?, `data` = ? WHERE `sid` = ?;

-- default / list_columns
-- binds: schema or NULL, table name -> column name, declared type, is unique key
SELECT CAST(c.column_name AS CHAR), CAST(CONCAT(c.column_type, IFNULL(CONCAT(' collate ', c.collation_name), '')) AS CHAR), CAST(EXISTS (SELECT 1 FROM information_schema.statistics s WHERE s.table_schema = c.table_schema AND s.table_name = c.table_name AND s.column_name = c.column_name AND s.non_unique = 0 AND s.sub_part IS NULL AND NOT EXISTS (SELECT 1 FROM information_schema.statistics o WHERE o.table_schema = s.table_schema AND o.table_name = s.table_name AND o.index_name = s.index_name AND o.seq_in_index > 1)) AS SIGNED) FROM information_schema.columns c WHERE c.table_schema = COALESCE(?, DATABASE()) AND c.table_name = ?;

-- default / migrate[0]
-- binds: (none)
CREATE TABLE IF NOT EXISTS `sessions` (
    `sid` VARBINARY(255) NOT NULL PRIMARY KEY,
    `data` LONGTEXT CHARACTER SET utf8mb4 NOT NULL,
    `expires` DATETIME(6) NOT NULL,
    `created_at` DATETIME(6) NOT NULL,
    `updated_at` DATETIME(6) NOT NULL,
    `version` BIGINT NOT NULL DEFAULT 0,
    INDEX `sessions_expires_idx` (`expires`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- ==== custom: schema-qualified table, renamed core columns, custom columns (indexed and not, every kind), max_lifetime 30 days, touch_after 1 h, version column renamed ====
-- table: app.web_sessions

-- custom / get
-- binds: sid, now[, created after] -> data text, expires micros[, version]
SELECT `payload`, TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', `expires_at`), `rev` FROM `app`.`web_sessions` WHERE `session_key` = ? AND `expires_at` > ? AND `born_at` > ?;

-- custom / upsert
-- binds: sid, data, expires, [created], [updated], [version], custom
INSERT INTO `app`.`web_sessions` (`session_key`, `payload`, `expires_at`, `born_at`, `changed_at`, `rev`, `user_id`, `tenant`, `remember`, `last_login`, `meta`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE `payload` = VALUES(`payload`), `expires_at` = VALUES(`expires_at`), `changed_at` = VALUES(`changed_at`), `rev` = VALUES(`rev`), `user_id` = VALUES(`user_id`), `tenant` = VALUES(`tenant`), `remember` = VALUES(`remember`), `last_login` = VALUES(`last_login`), `meta` = VALUES(`meta`);

-- custom / insert
-- binds: sid, data, expires, [created], [updated], [version], custom
INSERT INTO `app`.`web_sessions` (`session_key`, `payload`, `expires_at`, `born_at`, `changed_at`, `rev`, `user_id`, `tenant`, `remember`, `last_login`, `meta`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- custom / update
-- binds: data, expires, [updated], [version], custom, sid, now[, created after]
UPDATE `app`.`web_sessions` SET `payload` = ?, `expires_at` = ?, `changed_at` = ?, `rev` = ?, `user_id` = ?, `tenant` = ?, `remember` = ?, `last_login` = ?, `meta` = ? WHERE `session_key` = ? AND `expires_at` > ? AND `born_at` > ?;

-- custom / update_data
-- binds: data, [updated], [version], custom, sid, now[, created after]
UPDATE `app`.`web_sessions` SET `payload` = ?, `changed_at` = ?, `rev` = ?, `user_id` = ?, `tenant` = ?, `remember` = ?, `last_login` = ?, `meta` = ? WHERE `session_key` = ? AND `expires_at` > ? AND `born_at` > ?;

-- custom / update_if[0] (new expiry)
-- binds: the binds of `update`/`update_data`, then the version (before created after)
UPDATE `app`.`web_sessions` SET `payload` = ?, `expires_at` = ?, `changed_at` = ?, `rev` = ?, `user_id` = ?, `tenant` = ?, `remember` = ?, `last_login` = ?, `meta` = ? WHERE `session_key` = ? AND `expires_at` > ? AND `rev` = ? AND `born_at` > ?;

-- custom / update_if[1] (kept expiry)
-- binds: the binds of `update`/`update_data`, then the version (before created after)
UPDATE `app`.`web_sessions` SET `payload` = ?, `changed_at` = ?, `rev` = ?, `user_id` = ?, `tenant` = ?, `remember` = ?, `last_login` = ?, `meta` = ? WHERE `session_key` = ? AND `expires_at` > ? AND `rev` = ? AND `born_at` > ?;

-- custom / touch
-- binds: expires, [updated], sid, now[, expires - touch_after, expires + touch_after][, created after]
UPDATE `app`.`web_sessions` SET `expires_at` = ?, `changed_at` = ? WHERE `session_key` = ? AND `expires_at` > ? AND (`expires_at` < ? OR `expires_at` > ?) AND `born_at` > ?;

-- custom / destroy
-- binds: sid
DELETE FROM `app`.`web_sessions` WHERE `session_key` = ?;

-- custom / count
-- binds: now[, created after] -> count
SELECT COUNT(*) FROM `app`.`web_sessions` WHERE `expires_at` > ? AND `born_at` > ?;

-- custom / clear
-- binds: (none)
DELETE FROM `app`.`web_sessions`;

-- custom / ids
-- binds: now[, created after] -> sid
SELECT CONVERT(`session_key` USING utf8mb4) FROM `app`.`web_sessions` WHERE `expires_at` > ? AND `born_at` > ?;

-- custom / delete_expired
-- binds: now, limit
DELETE FROM `app`.`web_sessions` WHERE `expires_at` <= ? ORDER BY `expires_at` LIMIT ?;

-- custom / delete_outlived
-- binds: created before, limit (only with max_lifetime)
DELETE FROM `app`.`web_sessions` WHERE `born_at` <= ? ORDER BY `born_at` LIMIT ?;

-- custom / plain_ids
-- binds: pattern of hashed ids, last id seen, limit -> sid, data text
SELECT CONVERT(`session_key` USING utf8mb4), `payload` FROM `app`.`web_sessions` WHERE `session_key` NOT LIKE ? AND `session_key` > ? ORDER BY `session_key` LIMIT ?;

-- custom / rename_id
-- binds: new sid, data, old sid
UPDATE `app`.`web_sessions` SET `session_key` = ?, `payload` = ? WHERE `session_key` = ?;

-- custom / list_columns
-- binds: schema or NULL, table name -> column name, declared type, is unique key
SELECT CAST(c.column_name AS CHAR), CAST(CONCAT(c.column_type, IFNULL(CONCAT(' collate ', c.collation_name), '')) AS CHAR), CAST(EXISTS (SELECT 1 FROM information_schema.statistics s WHERE s.table_schema = c.table_schema AND s.table_name = c.table_name AND s.column_name = c.column_name AND s.non_unique = 0 AND s.sub_part IS NULL AND NOT EXISTS (SELECT 1 FROM information_schema.statistics o WHERE o.table_schema = s.table_schema AND o.table_name = s.table_name AND o.index_name = s.index_name AND o.seq_in_index > 1)) AS SIGNED) FROM information_schema.columns c WHERE c.table_schema = COALESCE(?, DATABASE()) AND c.table_name = ?;

-- custom / migrate[0]
-- binds: (none)
CREATE TABLE IF NOT EXISTS `app`.`web_sessions` (
    `session_key` VARBINARY(255) NOT NULL PRIMARY KEY,
    `payload` LONGTEXT CHARACTER SET utf8mb4 NOT NULL,
    `expires_at` DATETIME(6) NOT NULL,
    `born_at` DATETIME(6) NOT NULL,
    `changed_at` DATETIME(6) NOT NULL,
    `rev` BIGINT NOT NULL DEFAULT 0,
    `user_id` BIGINT NOT NULL,
    `tenant` VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
    `remember` BOOLEAN,
    `last_login` DATETIME(6),
    `meta` LONGTEXT CHARACTER SET utf8mb4,
    INDEX `web_sessions_expires_idx` (`expires_at`),
    INDEX `web_sessions_user_id_e0d0ad90_idx` (`user_id`),
    INDEX `web_sessions_tenant_aef49ef3_idx` (`tenant`),
    INDEX `web_sessions_last_login_147b4f91_idx` (`last_login`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- custom / custom_column_queries[0].ids
-- binds: value, now[, created after] -> sid
SELECT CONVERT(`session_key` USING utf8mb4) FROM `app`.`web_sessions` WHERE `user_id` = ? AND `expires_at` > ? AND `born_at` > ?;

-- custom / custom_column_queries[0].destroy
-- binds: value -> rows deleted
DELETE FROM `app`.`web_sessions` WHERE `user_id` = ?;

-- custom / custom_column_queries[0].list
-- binds: value, now[, created after] -> sid, data, expires micros, updated micros or NULL
SELECT CONVERT(`session_key` USING utf8mb4), `payload`, TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', `expires_at`), TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', `changed_at`) FROM `app`.`web_sessions` WHERE `user_id` = ? AND `expires_at` > ? AND `born_at` > ? ORDER BY `expires_at` DESC;

-- custom / custom_column_queries[1].ids
-- binds: value, now[, created after] -> sid
SELECT CONVERT(`session_key` USING utf8mb4) FROM `app`.`web_sessions` WHERE `tenant` = ? AND `expires_at` > ? AND `born_at` > ?;

-- custom / custom_column_queries[1].destroy
-- binds: value -> rows deleted
DELETE FROM `app`.`web_sessions` WHERE `tenant` = ?;

-- custom / custom_column_queries[1].list
-- binds: value, now[, created after] -> sid, data, expires micros, updated micros or NULL
SELECT CONVERT(`session_key` USING utf8mb4), `payload`, TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', `expires_at`), TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', `changed_at`) FROM `app`.`web_sessions` WHERE `tenant` = ? AND `expires_at` > ? AND `born_at` > ? ORDER BY `expires_at` DESC;

-- custom / custom_column_queries[2].ids
-- binds: value, now[, created after] -> sid
SELECT CONVERT(`session_key` USING utf8mb4) FROM `app`.`web_sessions` WHERE `remember` = ? AND `expires_at` > ? AND `born_at` > ?;

-- custom / custom_column_queries[2].destroy
-- binds: value -> rows deleted
DELETE FROM `app`.`web_sessions` WHERE `remember` = ?;

-- custom / custom_column_queries[2].list
-- binds: value, now[, created after] -> sid, data, expires micros, updated micros or NULL
SELECT CONVERT(`session_key` USING utf8mb4), `payload`, TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', `expires_at`), TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', `changed_at`) FROM `app`.`web_sessions` WHERE `remember` = ? AND `expires_at` > ? AND `born_at` > ? ORDER BY `expires_at` DESC;

-- custom / custom_column_queries[3].ids
-- binds: value, now[, created after] -> sid
SELECT CONVERT(`session_key` USING utf8mb4) FROM `app`.`web_sessions` WHERE `last_login` = ? AND `expires_at` > ? AND `born_at` > ?;

-- custom / custom_column_queries[3].destroy
-- binds: value -> rows deleted
DELETE FROM `app`.`web_sessions` WHERE `last_login` = ?;

-- custom / custom_column_queries[3].list
-- binds: value, now[, created after] -> sid, data, expires micros, updated micros or NULL
SELECT CONVERT(`session_key` USING utf8mb4), `payload`, TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', `expires_at`), TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', `changed_at`) FROM `app`.`web_sessions` WHERE `last_login` = ? AND `expires_at` > ? AND `born_at` > ? ORDER BY `expires_at` DESC;

-- custom / custom_column_queries[4].ids
-- binds: value, now[, created after] -> sid
SELECT CONVERT(`session_key` USING utf8mb4) FROM `app`.`web_sessions` WHERE `meta` = ? AND `expires_at` > ? AND `born_at` > ?;

-- custom / custom_column_queries[4].destroy
-- binds: value -> rows deleted
DELETE FROM `app`.`web_sessions` WHERE `meta` = ?;

-- custom / custom_column_queries[4].list
-- binds: value, now[, created after] -> sid, data, expires micros, updated micros or NULL
SELECT CONVERT(`session_key` USING utf8mb4), `payload`, TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', `expires_at`), TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', `changed_at`) FROM `app`.`web_sessions` WHERE `meta` = ? AND `expires_at` > ? AND `born_at` > ? ORDER BY `expires_at` DESC;

-- ==== custom_no_version: the `custom` table without a version column ====
-- table: app.web_sessions

-- custom_no_version / get
-- binds: sid, now[, created after] -> data text, expires micros[, version]
SELECT `payload`, TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', `expires_at`) FROM `app`.`web_sessions` WHERE `session_key` = ? AND `expires_at` > ? AND `born_at` > ?;

-- custom_no_version / upsert
-- binds: sid, data, expires, [created], [updated], [version], custom
INSERT INTO `app`.`web_sessions` (`session_key`, `payload`, `expires_at`, `born_at`, `changed_at`, `user_id`, `tenant`, `remember`, `last_login`, `meta`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE `payload` = VALUES(`payload`), `expires_at` = VALUES(`expires_at`), `changed_at` = VALUES(`changed_at`), `user_id` = VALUES(`user_id`), `tenant` = VALUES(`tenant`), `remember` = VALUES(`remember`), `last_login` = VALUES(`last_login`), `meta` = VALUES(`meta`);

-- custom_no_version / insert
-- binds: sid, data, expires, [created], [updated], [version], custom
INSERT INTO `app`.`web_sessions` (`session_key`, `payload`, `expires_at`, `born_at`, `changed_at`, `user_id`, `tenant`, `remember`, `last_login`, `meta`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- custom_no_version / update
-- binds: data, expires, [updated], [version], custom, sid, now[, created after]
UPDATE `app`.`web_sessions` SET `payload` = ?, `expires_at` = ?, `changed_at` = ?, `user_id` = ?, `tenant` = ?, `remember` = ?, `last_login` = ?, `meta` = ? WHERE `session_key` = ? AND `expires_at` > ? AND `born_at` > ?;

-- custom_no_version / update_data
-- binds: data, [updated], [version], custom, sid, now[, created after]
UPDATE `app`.`web_sessions` SET `payload` = ?, `changed_at` = ?, `user_id` = ?, `tenant` = ?, `remember` = ?, `last_login` = ?, `meta` = ? WHERE `session_key` = ? AND `expires_at` > ? AND `born_at` > ?;

-- custom_no_version / update_if: none (no version column)

-- custom_no_version / touch
-- binds: expires, [updated], sid, now[, expires - touch_after, expires + touch_after][, created after]
UPDATE `app`.`web_sessions` SET `expires_at` = ?, `changed_at` = ? WHERE `session_key` = ? AND `expires_at` > ? AND (`expires_at` < ? OR `expires_at` > ?) AND `born_at` > ?;

-- custom_no_version / destroy
-- binds: sid
DELETE FROM `app`.`web_sessions` WHERE `session_key` = ?;

-- custom_no_version / count
-- binds: now[, created after] -> count
SELECT COUNT(*) FROM `app`.`web_sessions` WHERE `expires_at` > ? AND `born_at` > ?;

-- custom_no_version / clear
-- binds: (none)
DELETE FROM `app`.`web_sessions`;

-- custom_no_version / ids
-- binds: now[, created after] -> sid
SELECT CONVERT(`session_key` USING utf8mb4) FROM `app`.`web_sessions` WHERE `expires_at` > ? AND `born_at` > ?;

-- custom_no_version / delete_expired
-- binds: now, limit
DELETE FROM `app`.`web_sessions` WHERE `expires_at` <= ? ORDER BY `expires_at` LIMIT ?;

-- custom_no_version / delete_outlived
-- binds: created before, limit (only with max_lifetime)
DELETE FROM `app`.`web_sessions` WHERE `born_at` <= ? ORDER BY `born_at` LIMIT ?;

-- custom_no_version / plain_ids
-- binds: pattern of hashed ids, last id seen, limit -> sid, data text
SELECT CONVERT(`session_key` USING utf8mb4), `payload` FROM `app`.`web_sessions` WHERE `session_key` NOT LIKE ? AND `session_key` > ? ORDER BY `session_key` LIMIT ?;

-- custom_no_version / rename_id
-- binds: new sid, data, old sid
UPDATE `app`.`web_sessions` SET `session_key` = ?, `payload` = ? WHERE `session_key` = ?;

-- custom_no_version / list_columns
-- binds: schema or NULL, table name -> column name, declared type, is unique key
SELECT CAST(c.column_name AS CHAR), CAST(CONCAT(c.column_type, IFNULL(CONCAT(' collate ', c.collation_name), '')) AS CHAR), CAST(EXISTS (SELECT 1 FROM information_schema.statistics s WHERE s.table_schema = c.table_schema AND s.table_name = c.table_name AND s.column_name = c.column_name AND s.non_unique = 0 AND s.sub_part IS NULL AND NOT EXISTS (SELECT 1 FROM information_schema.statistics o WHERE o.table_schema = s.table_schema AND o.table_name = s.table_name AND o.index_name = s.index_name AND o.seq_in_index > 1)) AS SIGNED) FROM information_schema.columns c WHERE c.table_schema = COALESCE(?, DATABASE()) AND c.table_name = ?;

-- custom_no_version / migrate[0]
-- binds: (none)
CREATE TABLE IF NOT EXISTS `app`.`web_sessions` (
    `session_key` VARBINARY(255) NOT NULL PRIMARY KEY,
    `payload` LONGTEXT CHARACTER SET utf8mb4 NOT NULL,
    `expires_at` DATETIME(6) NOT NULL,
    `born_at` DATETIME(6) NOT NULL,
    `changed_at` DATETIME(6) NOT NULL,
    `user_id` BIGINT NOT NULL,
    `tenant` VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
    `remember` BOOLEAN,
    `last_login` DATETIME(6),
    `meta` LONGTEXT CHARACTER SET utf8mb4,
    INDEX `web_sessions_expires_idx` (`expires_at`),
    INDEX `web_sessions_user_id_e0d0ad90_idx` (`user_id`),
    INDEX `web_sessions_tenant_aef49ef3_idx` (`tenant`),
    INDEX `web_sessions_last_login_147b4f91_idx` (`last_login`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- custom_no_version / custom_column_queries[0].ids
-- binds: value, now[, created after] -> sid
SELECT CONVERT(`session_key` USING utf8mb4) FROM `app`.`web_sessions` WHERE `user_id` = ? AND `expires_at` > ? AND `born_at` > ?;

-- custom_no_version / custom_column_queries[0].destroy
-- binds: value -> rows deleted
DELETE FROM `app`.`web_sessions` WHERE `user_id` = ?;

-- custom_no_version / custom_column_queries[0].list
-- binds: value, now[, created after] -> sid, data, expires micros, updated micros or NULL
SELECT CONVERT(`session_key` USING utf8mb4), `payload`, TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', `expires_at`), TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', `changed_at`) FROM `app`.`web_sessions` WHERE `user_id` = ? AND `expires_at` > ? AND `born_at` > ? ORDER BY `expires_at` DESC;

-- custom_no_version / custom_column_queries[1].ids
-- binds: value, now[, created after] -> sid
SELECT CONVERT(`session_key` USING utf8mb4) FROM `app`.`web_sessions` WHERE `tenant` = ? AND `expires_at` > ? AND `born_at` > ?;

-- custom_no_version / custom_column_queries[1].destroy
-- binds: value -> rows deleted
DELETE FROM `app`.`web_sessions` WHERE `tenant` = ?;

-- custom_no_version / custom_column_queries[1].list
-- binds: value, now[, created after] -> sid, data, expires micros, updated micros or NULL
SELECT CONVERT(`session_key` USING utf8mb4), `payload`, TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', `expires_at`), TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', `changed_at`) FROM `app`.`web_sessions` WHERE `tenant` = ? AND `expires_at` > ? AND `born_at` > ? ORDER BY `expires_at` DESC;

-- custom_no_version / custom_column_queries[2].ids
-- binds: value, now[, created after] -> sid
SELECT CONVERT(`session_key` USING utf8mb4) FROM `app`.`web_sessions` WHERE `remember` = ? AND `expires_at` > ? AND `born_at` > ?;

-- custom_no_version / custom_column_queries[2].destroy
-- binds: value -> rows deleted
DELETE FROM `app`.`web_sessions` WHERE `remember` = ?;

-- custom_no_version / custom_column_queries[2].list
-- binds: value, now[, created after] -> sid, data, expires micros, updated micros or NULL
SELECT CONVERT(`session_key` USING utf8mb4), `payload`, TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', `expires_at`), TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', `changed_at`) FROM `app`.`web_sessions` WHERE `remember` = ? AND `expires_at` > ? AND `born_at` > ? ORDER BY `expires_at` DESC;

-- custom_no_version / custom_column_queries[3].ids
-- binds: value, now[, created after] -> sid
SELECT CONVERT(`session_key` USING utf8mb4) FROM `app`.`web_sessions` WHERE `last_login` = ? AND `expires_at` > ? AND `born_at` > ?;

-- custom_no_version / custom_column_queries[3].destroy
-- binds: value -> rows deleted
DELETE FROM `app`.`web_sessions` WHERE `last_login` = ?;

-- custom_no_version / custom_column_queries[3].list
-- binds: value, now[, created after] -> sid, data, expires micros, updated micros or NULL
SELECT CONVERT(`session_key` USING utf8mb4), `payload`, TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', `expires_at`), TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', `changed_at`) FROM `app`.`web_sessions` WHERE `last_login` = ? AND `expires_at` > ? AND `born_at` > ? ORDER BY `expires_at` DESC;

-- custom_no_version / custom_column_queries[4].ids
-- binds: value, now[, created after] -> sid
SELECT CONVERT(`session_key` USING utf8mb4) FROM `app`.`web_sessions` WHERE `meta` = ? AND `expires_at` > ? AND `born_at` > ?;

-- custom_no_version / custom_column_queries[4].destroy
-- binds: value -> rows deleted
DELETE FROM `app`.`web_sessions` WHERE `meta` = ?;

-- custom_no_version / custom_column_queries[4].list
-- binds: value, now[, created after] -> sid, data, expires micros, updated micros or NULL
SELECT CONVERT(`session_key` USING utf8mb4), `payload`, TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', `expires_at`), TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', `changed_at`) FROM `app`.`web_sessions` WHERE `meta` = ? AND `expires_at` > ? AND `born_at` > ? ORDER BY `expires_at` DESC;

-- ==== minimal: no timestamp or version columns, one custom column, no max_lifetime, touch_after 0 (every refresh writes) ====
-- table: bare

-- minimal / get
-- binds: sid, now[, created after] -> data text, expires micros[, version]
SELECT `data`, TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', `expires`) FROM `bare` WHERE `sid` = ? AND `expires` > ?;

-- minimal / upsert
-- binds: sid, data, expires, [created], [updated], [version], custom
INSERT INTO `bare` (`sid`, `data`, `expires`, `owner`) VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE `data` = VALUES(`data`), `expires` = VALUES(`expires`), `owner` = VALUES(`owner`);

-- minimal / insert
-- binds: sid, data, expires, [created], [updated], [version], custom
INSERT INTO `bare` (`sid`, `data`, `expires`, `owner`) VALUES (?, ?, ?, ?);

-- minimal / update
-- binds: data, expires, [updated], [version], custom, sid, now[, created after]
UPDATE `bare` SET `data` = ?, `expires` = ?, `owner` = ? WHERE `sid` = ? AND `expires` > ?;

-- minimal / update_data
-- binds: data, [updated], [version], custom, sid, now[, created after]
UPDATE `bare` SET `data` = ?, `owner` = ? WHERE `sid` = ? AND `expires` > ?;

-- minimal / update_if: none (no version column)

-- minimal / touch
-- binds: expires, [updated], sid, now[, expires - touch_after, expires + touch_after][, created after]
UPDATE `bare` SET `expires` = ? WHERE `sid` = ? AND `expires` > ?;

-- minimal / destroy
-- binds: sid
DELETE FROM `bare` WHERE `sid` = ?;

-- minimal / count
-- binds: now[, created after] -> count
SELECT COUNT(*) FROM `bare` WHERE `expires` > ?;

-- minimal / clear
-- binds: (none)
DELETE FROM `bare`;

-- minimal / ids
-- binds: now[, created after] -> sid
SELECT CONVERT(`sid` USING utf8mb4) FROM `bare` WHERE `expires` > ?;

-- minimal / delete_expired
-- binds: now, limit
DELETE FROM `bare` WHERE `expires` <= ? ORDER BY `expires` LIMIT ?;

-- minimal / delete_outlived: none (created before, limit (only with max_lifetime))

-- minimal / plain_ids
-- binds: pattern of hashed ids, last id seen, limit -> sid, data text
SELECT CONVERT(`sid` USING utf8mb4), `data` FROM `bare` WHERE `sid` NOT LIKE ? AND `sid` > ? ORDER BY `sid` LIMIT ?;

-- minimal / rename_id
-- binds: new sid, data, old sid
UPDATE `bare` SET `sid` = ?, `data` = ? WHERE `sid` = ?;

-- minimal / list_columns
-- binds: schema or NULL, table name -> column name, declared type, is unique key
SELECT CAST(c.column_name AS CHAR), CAST(CONCAT(c.column_type, IFNULL(CONCAT(' collate ', c.collation_name), '')) AS CHAR), CAST(EXISTS (SELECT 1 FROM information_schema.statistics s WHERE s.table_schema = c.table_schema AND s.table_name = c.table_name AND s.column_name = c.column_name AND s.non_unique = 0 AND s.sub_part IS NULL AND NOT EXISTS (SELECT 1 FROM information_schema.statistics o WHERE o.table_schema = s.table_schema AND o.table_name = s.table_name AND o.index_name = s.index_name AND o.seq_in_index > 1)) AS SIGNED) FROM information_schema.columns c WHERE c.table_schema = COALESCE(?, DATABASE()) AND c.table_name = ?;

-- minimal / migrate[0]
-- binds: (none)
CREATE TABLE IF NOT EXISTS `bare` (
    `sid` VARBINARY(255) NOT NULL PRIMARY KEY,
    `data` LONGTEXT CHARACTER SET utf8mb4 NOT NULL,
    `expires` DATETIME(6) NOT NULL,
    `owner` VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    INDEX `bare_expires_idx` (`expires`),
    INDEX `bare_owner_6db112f0_idx` (`owner`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- minimal / custom_column_queries[0].ids
-- binds: value, now[, created after] -> sid
SELECT CONVERT(`sid` USING utf8mb4) FROM `bare` WHERE `owner` = ? AND `expires` > ?;

-- minimal / custom_column_queries[0].destroy
-- binds: value -> rows deleted
DELETE FROM `bare` WHERE `owner` = ?;

-- minimal / custom_column_queries[0].list
-- binds: value, now[, created after] -> sid, data, expires micros, updated micros or NULL
SELECT CONVERT(`sid` USING utf8mb4), `data`, TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', `expires`), NULL FROM `bare` WHERE `owner` = ? AND `expires` > ? ORDER BY `expires` DESC;
