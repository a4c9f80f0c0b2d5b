-- GENERATED FILE: every statement sqlx-session-store runs on SQLite, as built by
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
SELECT "data", "expires", "version" FROM "sessions" WHERE "sid" = ? AND "expires" > ?;

-- default / upsert
-- binds: sid, data, expires, [created], [updated], [version], custom
INSERT INTO "sessions" ("sid", "data", "expires", "created_at", "updated_at", "version") VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT ("sid") DO UPDATE SET "data" = excluded."data", "expires" = excluded."expires", "updated_at" = excluded."updated_at", "version" = excluded."version";

-- default / insert
-- binds: sid, data, expires, [created], [updated], [version], custom
INSERT INTO "sessions" ("sid", "data", "expires", "created_at", "updated_at", "version") VALUES (?, ?, ?, ?, ?, ?);

-- default / update
-- binds: data, expires, [updated], [version], custom, sid, now[, created after]
UPDATE "sessions" SET "data" = ?, "expires" = ?, "updated_at" = ?, "version" = ? WHERE "sid" = ? AND "expires" > ?;

-- default / update_data
-- binds: data, [updated], [version], custom, sid, now[, created after]
UPDATE "sessions" SET "data" = ?, "updated_at" = ?, "version" = ? WHERE "sid" = ? AND "expires" > ?;

-- default / update_if[0] (new expiry)
-- binds: the binds of `update`/`update_data`, then the version (before created after)
UPDATE "sessions" SET "data" = ?, "expires" = ?, "updated_at" = ?, "version" = ? WHERE "sid" = ? AND "expires" > ? AND "version" = ?;

-- default / update_if[1] (kept expiry)
-- binds: the binds of `update`/`update_data`, then the version (before created after)
UPDATE "sessions" SET "data" = ?, "updated_at" = ?, "version" = ? WHERE "sid" = ? AND "expires" > ? AND "version" = ?;

-- default / touch
-- binds: expires, [updated], sid, now[, expires - touch_after, expires + touch_after][, created after]
UPDATE "sessions" SET "expires" = ?, "updated_at" = ? WHERE "sid" = ? AND "expires" > ? AND ("expires" < ? OR "expires" > ?);

-- default / destroy
-- binds: sid
DELETE FROM "sessions" WHERE "sid" = ?;

-- default / count
-- binds: now[, created after] -> count
SELECT COUNT(*) FROM "sessions" WHERE "expires" > ?;

-- default / clear
-- binds: (none)
DELETE FROM "sessions";

-- default / ids
-- binds: now[, created after] -> sid
SELECT "sid" FROM "sessions" WHERE "expires" > ?;

-- default / delete_expired
-- binds: now, limit
DELETE FROM "sessions" WHERE "sid" IN (SELECT "sid" FROM "sessions" WHERE "expires" <= ? ORDER BY "expires" LIMIT ?);

-- default / delete_outlived: none (created before, limit (only with max_lifetime))

-- default / plain_ids
-- binds: pattern of hashed ids, last id seen, limit -> sid, data text
SELECT "sid", "data" FROM "sessions" WHERE "sid" NOT LIKE ? AND "sid" > ? ORDER BY "sid" LIMIT ?;

-- default / rename_id
-- binds: new sid, data, old sid
UPDATE "sessions" SET "sid" = ?, "data" = ? WHERE "sid" = ?;

-- default / list_columns
-- binds: schema or NULL, table name -> column name, declared type, is unique key
SELECT c.name, c.type, CASE WHEN (c.pk = 1 AND (SELECT COUNT(*) FROM pragma_table_info(?2, ?1) WHERE pk > 0) = 1) OR EXISTS (SELECT 1 FROM pragma_index_list(?2, ?1) il WHERE il."unique" = 1 AND il.partial = 0 AND (SELECT COUNT(*) FROM pragma_index_info(il.name, ?1)) = 1 AND (SELECT ii.name FROM pragma_index_info(il.name, ?1) ii) = c.name) THEN 1 ELSE 0 END FROM pragma_table_info(?2, ?1) c;

-- default / migrate[0]
-- binds: (none)
CREATE TABLE IF NOT EXISTS "sessions" (
    "sid" TEXT NOT NULL PRIMARY KEY,
    "data" TEXT NOT NULL,
    "expires" INTEGER NOT NULL,
    "created_at" INTEGER NOT NULL,
    "updated_at" INTEGER NOT NULL,
    "version" INTEGER NOT NULL DEFAULT 0
);

-- default / migrate[1]
-- binds: (none)
CREATE INDEX IF NOT EXISTS "sessions_expires_idx" ON "sessions" ("expires");

-- ==== custom: schema-qualified table, renamed core columns, custom columns (indexed and not, every kind), max_lifetime 30 days, touch_after 1 h, version column renamed ====
-- table: app.web_sessions

-- custom / get
-- binds: sid, now[, created after] -> data text, expires micros[, version]
SELECT "payload", "expires_at", "rev" FROM "app"."web_sessions" WHERE "session_key" = ? AND "expires_at" > ? AND "born_at" > ?;

-- custom / upsert
-- binds: sid, data, expires, [created], [updated], [version], custom
INSERT INTO "app"."web_sessions" ("session_key", "payload", "expires_at", "born_at", "changed_at", "rev", "user_id", "tenant", "remember", "last_login", "meta") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT ("session_key") DO UPDATE SET "payload" = excluded."payload", "expires_at" = excluded."expires_at", "changed_at" = excluded."changed_at", "rev" = excluded."rev", "user_id" = excluded."user_id", "tenant" = excluded."tenant", "remember" = excluded."remember", "last_login" = excluded."last_login", "meta" = excluded."meta";

-- custom / insert
-- binds: sid, data, expires, [created], [updated], [version], custom
INSERT INTO "app"."web_sessions" ("session_key", "payload", "expires_at", "born_at", "changed_at", "rev", "user_id", "tenant", "remember", "last_login", "meta") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- custom / update
-- binds: data, expires, [updated], [version], custom, sid, now[, created after]
UPDATE "app"."web_sessions" SET "payload" = ?, "expires_at" = ?, "changed_at" = ?, "rev" = ?, "user_id" = ?, "tenant" = ?, "remember" = ?, "last_login" = ?, "meta" = ? WHERE "session_key" = ? AND "expires_at" > ? AND "born_at" > ?;

-- custom / update_data
-- binds: data, [updated], [version], custom, sid, now[, created after]
UPDATE "app"."web_sessions" SET "payload" = ?, "changed_at" = ?, "rev" = ?, "user_id" = ?, "tenant" = ?, "remember" = ?, "last_login" = ?, "meta" = ? WHERE "session_key" = ? AND "expires_at" > ? AND "born_at" > ?;

-- custom / update_if[0] (new expiry)
-- binds: the binds of `update`/`update_data`, then the version (before created after)
UPDATE "app"."web_sessions" SET "payload" = ?, "expires_at" = ?, "changed_at" = ?, "rev" = ?, "user_id" = ?, "tenant" = ?, "remember" = ?, "last_login" = ?, "meta" = ? WHERE "session_key" = ? AND "expires_at" > ? AND "rev" = ? AND "born_at" > ?;

-- custom / update_if[1] (kept expiry)
-- binds: the binds of `update`/`update_data`, then the version (before created after)
UPDATE "app"."web_sessions" SET "payload" = ?, "changed_at" = ?, "rev" = ?, "user_id" = ?, "tenant" = ?, "remember" = ?, "last_login" = ?, "meta" = ? WHERE "session_key" = ? AND "expires_at" > ? AND "rev" = ? AND "born_at" > ?;

-- custom / touch
-- binds: expires, [updated], sid, now[, expires - touch_after, expires + touch_after][, created after]
UPDATE "app"."web_sessions" SET "expires_at" = ?, "changed_at" = ? WHERE "session_key" = ? AND "expires_at" > ? AND ("expires_at" < ? OR "expires_at" > ?) AND "born_at" > ?;

-- custom / destroy
-- binds: sid
DELETE FROM "app"."web_sessions" WHERE "session_key" = ?;

-- custom / count
-- binds: now[, created after] -> count
SELECT COUNT(*) FROM "app"."web_sessions" WHERE "expires_at" > ? AND "born_at" > ?;

-- custom / clear
-- binds: (none)
DELETE FROM "app"."web_sessions";

-- custom / ids
-- binds: now[, created after] -> sid
SELECT "session_key" FROM "app"."web_sessions" WHERE "expires_at" > ? AND "born_at" > ?;

-- custom / delete_expired
-- binds: now, limit
DELETE FROM "app"."web_sessions" WHERE "session_key" IN (SELECT "session_key" FROM "app"."web_sessions" WHERE "expires_at" <= ? ORDER BY "expires_at" LIMIT ?);

-- custom / delete_outlived
-- binds: created before, limit (only with max_lifetime)
DELETE FROM "app"."web_sessions" WHERE "session_key" IN (SELECT "session_key" FROM "app"."web_sessions" WHERE "born_at" <= ? ORDER BY "born_at" LIMIT ?);

-- custom / plain_ids
-- binds: pattern of hashed ids, last id seen, limit -> sid, data text
SELECT "session_key", "payload" FROM "app"."web_sessions" WHERE "session_key" NOT LIKE ? AND "session_key" > ? ORDER BY "session_key" LIMIT ?;

-- custom / rename_id
-- binds: new sid, data, old sid
UPDATE "app"."web_sessions" SET "session_key" = ?, "payload" = ? WHERE "session_key" = ?;

-- custom / list_columns
-- binds: schema or NULL, table name -> column name, declared type, is unique key
SELECT c.name, c.type, CASE WHEN (c.pk = 1 AND (SELECT COUNT(*) FROM pragma_table_info(?2, ?1) WHERE pk > 0) = 1) OR EXISTS (SELECT 1 FROM pragma_index_list(?2, ?1) il WHERE il."unique" = 1 AND il.partial = 0 AND (SELECT COUNT(*) FROM pragma_index_info(il.name, ?1)) = 1 AND (SELECT ii.name FROM pragma_index_info(il.name, ?1) ii) = c.name) THEN 1 ELSE 0 END FROM pragma_table_info(?2, ?1) c;

-- custom / migrate[0]
-- binds: (none)
CREATE TABLE IF NOT EXISTS "app"."web_sessions" (
    "session_key" TEXT NOT NULL PRIMARY KEY,
    "payload" TEXT NOT NULL,
    "expires_at" INTEGER NOT NULL,
    "born_at" INTEGER NOT NULL,
    "changed_at" INTEGER NOT NULL,
    "rev" INTEGER NOT NULL DEFAULT 0,
    "user_id" INTEGER NOT NULL,
    "tenant" TEXT,
    "remember" INTEGER,
    "last_login" INTEGER,
    "meta" TEXT
);

-- custom / migrate[1]
-- binds: (none)
CREATE INDEX IF NOT EXISTS "app"."web_sessions_expires_idx" ON "web_sessions" ("expires_at");

-- custom / migrate[2]
-- binds: (none)
CREATE INDEX IF NOT EXISTS "app"."web_sessions_user_id_e0d0ad90_idx" ON "web_sessions" ("user_id");

-- custom / migrate[3]
-- binds: (none)
CREATE INDEX IF NOT EXISTS "app"."web_sessions_tenant_aef49ef3_idx" ON "web_sessions" ("tenant");

-- custom / migrate[4]
-- binds: (none)
CREATE INDEX IF NOT EXISTS "app"."web_sessions_last_login_147b4f91_idx" ON "web_sessions" ("last_login");

-- custom / custom_column_queries[0].ids
-- binds: value, now[, created after] -> sid
SELECT "session_key" FROM "app"."web_sessions" WHERE "user_id" = ? AND "expires_at" > ? AND "born_at" > ?;

-- custom / custom_column_queries[0].destroy
-- binds: value -> rows deleted
DELETE FROM "app"."web_sessions" WHERE "user_id" = ?;

-- custom / custom_column_queries[0].list
-- binds: value, now[, created after] -> sid, data, expires micros, updated micros or NULL
SELECT "session_key", "payload", "expires_at", "changed_at" FROM "app"."web_sessions" WHERE "user_id" = ? AND "expires_at" > ? AND "born_at" > ? ORDER BY "expires_at" DESC;

-- custom / custom_column_queries[1].ids
-- binds: value, now[, created after] -> sid
SELECT "session_key" FROM "app"."web_sessions" WHERE "tenant" = ? AND "expires_at" > ? AND "born_at" > ?;

-- custom / custom_column_queries[1].destroy
-- binds: value -> rows deleted
DELETE FROM "app"."web_sessions" WHERE "tenant" = ?;

-- custom / custom_column_queries[1].list
-- binds: value, now[, created after] -> sid, data, expires micros, updated micros or NULL
SELECT "session_key", "payload", "expires_at", "changed_at" FROM "app"."web_sessions" WHERE "tenant" = ? AND "expires_at" > ? AND "born_at" > ? ORDER BY "expires_at" DESC;

-- custom / custom_column_queries[2].ids
-- binds: value, now[, created after] -> sid
SELECT "session_key" FROM "app"."web_sessions" WHERE "remember" = ? AND "expires_at" > ? AND "born_at" > ?;

-- custom / custom_column_queries[2].destroy
-- binds: value -> rows deleted
DELETE FROM "app"."web_sessions" WHERE "remember" = ?;

-- custom / custom_column_queries[2].list
-- binds: value, now[, created after] -> sid, data, expires micros, updated micros or NULL
SELECT "session_key", "payload", "expires_at", "changed_at" FROM "app"."web_sessions" WHERE "remember" = ? AND "expires_at" > ? AND "born_at" > ? ORDER BY "expires_at" DESC;

-- custom / custom_column_queries[3].ids
-- binds: value, now[, created after] -> sid
SELECT "session_key" FROM "app"."web_sessions" WHERE "last_login" = ? AND "expires_at" > ? AND "born_at" > ?;

-- custom / custom_column_queries[3].destroy
-- binds: value -> rows deleted
DELETE FROM "app"."web_sessions" WHERE "last_login" = ?;

-- custom / custom_column_queries[3].list
-- binds: value, now[, created after] -> sid, data, expires micros, updated micros or NULL
SELECT "session_key", "payload", "expires_at", "changed_at" FROM "app"."web_sessions" WHERE "last_login" = ? AND "expires_at" > ? AND "born_at" > ? ORDER BY "expires_at" DESC;

-- custom / custom_column_queries[4].ids
-- binds: value, now[, created after] -> sid
SELECT "session_key" FROM "app"."web_sessions" WHERE "meta" = ? AND "expires_at" > ? AND "born_at" > ?;

-- custom / custom_column_queries[4].destroy
-- binds: value -> rows deleted
DELETE FROM "app"."web_sessions" WHERE "meta" = ?;

-- custom / custom_column_queries[4].list
-- binds: value, now[, created after] -> sid, data, expires micros, updated micros or NULL
SELECT "session_key", "payload", "expires_at", "changed_at" FROM "app"."web_sessions" WHERE "meta" = ? AND "expires_at" > ? AND "born_at" > ? ORDER BY "expires_at" DESC;

-- ==== custom_no_version: the `custom` table without a version column ====
-- table: app.web_sessions

-- custom_no_version / get
-- binds: sid, now[, created after] -> data text, expires micros[, version]
SELECT "payload", "expires_at" FROM "app"."web_sessions" WHERE "session_key" = ? AND "expires_at" > ? AND "born_at" > ?;

-- custom_no_version / upsert
-- binds: sid, data, expires, [created], [updated], [version], custom
INSERT INTO "app"."web_sessions" ("session_key", "payload", "expires_at", "born_at", "changed_at", "user_id", "tenant", "remember", "last_login", "meta") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT ("session_key") DO UPDATE SET "payload" = excluded."payload", "expires_at" = excluded."expires_at", "changed_at" = excluded."changed_at", "user_id" = excluded."user_id", "tenant" = excluded."tenant", "remember" = excluded."remember", "last_login" = excluded."last_login", "meta" = excluded."meta";

-- custom_no_version / insert
-- binds: sid, data, expires, [created], [updated], [version], custom
INSERT INTO "app"."web_sessions" ("session_key", "payload", "expires_at", "born_at", "changed_at", "user_id", "tenant", "remember", "last_login", "meta") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- custom_no_version / update
-- binds: data, expires, [updated], [version], custom, sid, now[, created after]
UPDATE "app"."web_sessions" SET "payload" = ?, "expires_at" = ?, "changed_at" = ?, "user_id" = ?, "tenant" = ?, "remember" = ?, "last_login" = ?, "meta" = ? WHERE "session_key" = ? AND "expires_at" > ? AND "born_at" > ?;

-- custom_no_version / update_data
-- binds: data, [updated], [version], custom, sid, now[, created after]
UPDATE "app"."web_sessions" SET "payload" = ?, "changed_at" = ?, "user_id" = ?, "tenant" = ?, "remember" = ?, "last_login" = ?, "meta" = ? WHERE "session_key" = ? AND "expires_at" > ? AND "born_at" > ?;

-- custom_no_version / update_if: none (no version column)

-- custom_no_version / touch
-- binds: expires, [updated], sid, now[, expires - touch_after, expires + touch_after][, created after]
UPDATE "app"."web_sessions" SET "expires_at" = ?, "changed_at" = ? WHERE "session_key" = ? AND "expires_at" > ? AND ("expires_at" < ? OR "expires_at" > ?) AND "born_at" > ?;

-- custom_no_version / destroy
-- binds: sid
DELETE FROM "app"."web_sessions" WHERE "session_key" = ?;

-- custom_no_version / count
-- binds: now[, created after] -> count
SELECT COUNT(*) FROM "app"."web_sessions" WHERE "expires_at" > ? AND "born_at" > ?;

-- custom_no_version / clear
-- binds: (none)
DELETE FROM "app"."web_sessions";

-- custom_no_version / ids
-- binds: now[, created after] -> sid
SELECT "session_key" FROM "app"."web_sessions" WHERE "expires_at" > ? AND "born_at" > ?;

-- custom_no_version / delete_expired
-- binds: now, limit
DELETE FROM "app"."web_sessions" WHERE "session_key" IN (SELECT "session_key" FROM "app"."web_sessions" WHERE "expires_at" <= ? ORDER BY "expires_at" LIMIT ?);

-- custom_no_version / delete_outlived
-- binds: created before, limit (only with max_lifetime)
DELETE FROM "app"."web_sessions" WHERE "session_key" IN (SELECT "session_key" FROM "app"."web_sessions" WHERE "born_at" <= ? ORDER BY "born_at" LIMIT ?);

-- custom_no_version / plain_ids
-- binds: pattern of hashed ids, last id seen, limit -> sid, data text
SELECT "session_key", "payload" FROM "app"."web_sessions" WHERE "session_key" NOT LIKE ? AND "session_key" > ? ORDER BY "session_key" LIMIT ?;

-- custom_no_version / rename_id
-- binds: new sid, data, old sid
UPDATE "app"."web_sessions" SET "session_key" = ?, "payload" = ? WHERE "session_key" = ?;

-- custom_no_version / list_columns
-- binds: schema or NULL, table name -> column name, declared type, is unique key
SELECT c.name, c.type, CASE WHEN (c.pk = 1 AND (SELECT COUNT(*) FROM pragma_table_info(?2, ?1) WHERE pk > 0) = 1) OR EXISTS (SELECT 1 FROM pragma_index_list(?2, ?1) il WHERE il."unique" = 1 AND il.partial = 0 AND (SELECT COUNT(*) FROM pragma_index_info(il.name, ?1)) = 1 AND (SELECT ii.name FROM pragma_index_info(il.name, ?1) ii) = c.name) THEN 1 ELSE 0 END FROM pragma_table_info(?2, ?1) c;

-- custom_no_version / migrate[0]
-- binds: (none)
CREATE TABLE IF NOT EXISTS "app"."web_sessions" (
    "session_key" TEXT NOT NULL PRIMARY KEY,
    "payload" TEXT NOT NULL,
    "expires_at" INTEGER NOT NULL,
    "born_at" INTEGER NOT NULL,
    "changed_at" INTEGER NOT NULL,
    "user_id" INTEGER NOT NULL,
    "tenant" TEXT,
    "remember" INTEGER,
    "last_login" INTEGER,
    "meta" TEXT
);

-- custom_no_version / migrate[1]
-- binds: (none)
CREATE INDEX IF NOT EXISTS "app"."web_sessions_expires_idx" ON "web_sessions" ("expires_at");

-- custom_no_version / migrate[2]
-- binds: (none)
CREATE INDEX IF NOT EXISTS "app"."web_sessions_user_id_e0d0ad90_idx" ON "web_sessions" ("user_id");

-- custom_no_version / migrate[3]
-- binds: (none)
CREATE INDEX IF NOT EXISTS "app"."web_sessions_tenant_aef49ef3_idx" ON "web_sessions" ("tenant");

-- custom_no_version / migrate[4]
-- binds: (none)
CREATE INDEX IF NOT EXISTS "app"."web_sessions_last_login_147b4f91_idx" ON "web_sessions" ("last_login");

-- custom_no_version / custom_column_queries[0].ids
-- binds: value, now[, created after] -> sid
SELECT "session_key" FROM "app"."web_sessions" WHERE "user_id" = ? AND "expires_at" > ? AND "born_at" > ?;

-- custom_no_version / custom_column_queries[0].destroy
-- binds: value -> rows deleted
DELETE FROM "app"."web_sessions" WHERE "user_id" = ?;

-- custom_no_version / custom_column_queries[0].list
-- binds: value, now[, created after] -> sid, data, expires micros, updated micros or NULL
SELECT "session_key", "payload", "expires_at", "changed_at" FROM "app"."web_sessions" WHERE "user_id" = ? AND "expires_at" > ? AND "born_at" > ? ORDER BY "expires_at" DESC;

-- custom_no_version / custom_column_queries[1].ids
-- binds: value, now[, created after] -> sid
SELECT "session_key" FROM "app"."web_sessions" WHERE "tenant" = ? AND "expires_at" > ? AND "born_at" > ?;

-- custom_no_version / custom_column_queries[1].destroy
-- binds: value -> rows deleted
DELETE FROM "app"."web_sessions" WHERE "tenant" = ?;

-- custom_no_version / custom_column_queries[1].list
-- binds: value, now[, created after] -> sid, data, expires micros, updated micros or NULL
SELECT "session_key", "payload", "expires_at", "changed_at" FROM "app"."web_sessions" WHERE "tenant" = ? AND "expires_at" > ? AND "born_at" > ? ORDER BY "expires_at" DESC;

-- custom_no_version / custom_column_queries[2].ids
-- binds: value, now[, created after] -> sid
SELECT "session_key" FROM "app"."web_sessions" WHERE "remember" = ? AND "expires_at" > ? AND "born_at" > ?;

-- custom_no_version / custom_column_queries[2].destroy
-- binds: value -> rows deleted
DELETE FROM "app"."web_sessions" WHERE "remember" = ?;

-- custom_no_version / custom_column_queries[2].list
-- binds: value, now[, created after] -> sid, data, expires micros, updated micros or NULL
SELECT "session_key", "payload", "expires_at", "changed_at" FROM "app"."web_sessions" WHERE "remember" = ? AND "expires_at" > ? AND "born_at" > ? ORDER BY "expires_at" DESC;

-- custom_no_version / custom_column_queries[3].ids
-- binds: value, now[, created after] -> sid
SELECT "session_key" FROM "app"."web_sessions" WHERE "last_login" = ? AND "expires_at" > ? AND "born_at" > ?;

-- custom_no_version / custom_column_queries[3].destroy
-- binds: value -> rows deleted
DELETE FROM "app"."web_sessions" WHERE "last_login" = ?;

-- custom_no_version / custom_column_queries[3].list
-- binds: value, now[, created after] -> sid, data, expires micros, updated micros or NULL
SELECT "session_key", "payload", "expires_at", "changed_at" FROM "app"."web_sessions" WHERE "last_login" = ? AND "expires_at" > ? AND "born_at" > ? ORDER BY "expires_at" DESC;

-- custom_no_version / custom_column_queries[4].ids
-- binds: value, now[, created after] -> sid
SELECT "session_key" FROM "app"."web_sessions" WHERE "meta" = ? AND "expires_at" > ? AND "born_at" > ?;

-- custom_no_version / custom_column_queries[4].destroy
-- binds: value -> rows deleted
DELETE FROM "app"."web_sessions" WHERE "meta" = ?;

-- custom_no_version / custom_column_queries[4].list
-- binds: value, now[, created after] -> sid, data, expires micros, updated micros or NULL
SELECT "session_key", "payload", "expires_at", "changed_at" FROM "app"."web_sessions" WHERE "meta" = ? AND "expires_at" > ? AND "born_at" > ? ORDER BY "expires_at" DESC;

-- ==== minimal: no timestamp or version columns, one custom column, no max_lifetime, touch_after 0 (every refresh writes) ====
-- table: bare

-- minimal / get
-- binds: sid, now[, created after] -> data text, expires micros[, version]
SELECT "data", "expires" FROM "bare" WHERE "sid" = ? AND "expires" > ?;

-- minimal / upsert
-- binds: sid, data, expires, [created], [updated], [version], custom
INSERT INTO "bare" ("sid", "data", "expires", "owner") VALUES (?, ?, ?, ?) ON CONFLICT ("sid") DO UPDATE SET "data" = excluded."data", "expires" = excluded."expires", "owner" = excluded."owner";

-- minimal / insert
-- binds: sid, data, expires, [created], [updated], [version], custom
INSERT INTO "bare" ("sid", "data", "expires", "owner") VALUES (?, ?, ?, ?);

-- minimal / update
-- binds: data, expires, [updated], [version], custom, sid, now[, created after]
UPDATE "bare" SET "data" = ?, "expires" = ?, "owner" = ? WHERE "sid" = ? AND "expires" > ?;

-- minimal / update_data
-- binds: data, [updated], [version], custom, sid, now[, created after]
UPDATE "bare" SET "data" = ?, "owner" = ? WHERE "sid" = ? AND "expires" > ?;

-- minimal / update_if: none (no version column)

-- minimal / touch
-- binds: expires, [updated], sid, now[, expires - touch_after, expires + touch_after][, created after]
UPDATE "bare" SET "expires" = ? WHERE "sid" = ? AND "expires" > ?;

-- minimal / destroy
-- binds: sid
DELETE FROM "bare" WHERE "sid" = ?;

-- minimal / count
-- binds: now[, created after] -> count
SELECT COUNT(*) FROM "bare" WHERE "expires" > ?;

-- minimal / clear
-- binds: (none)
DELETE FROM "bare";

-- minimal / ids
-- binds: now[, created after] -> sid
SELECT "sid" FROM "bare" WHERE "expires" > ?;

-- minimal / delete_expired
-- binds: now, limit
DELETE FROM "bare" WHERE "sid" IN (SELECT "sid" FROM "bare" WHERE "expires" <= ? ORDER BY "expires" LIMIT ?);

-- minimal / delete_outlived: none (created before, limit (only with max_lifetime))

-- minimal / plain_ids
-- binds: pattern of hashed ids, last id seen, limit -> sid, data text
SELECT "sid", "data" FROM "bare" WHERE "sid" NOT LIKE ? AND "sid" > ? ORDER BY "sid" LIMIT ?;

-- minimal / rename_id
-- binds: new sid, data, old sid
UPDATE "bare" SET "sid" = ?, "data" = ? WHERE "sid" = ?;

-- minimal / list_columns
-- binds: schema or NULL, table name -> column name, declared type, is unique key
SELECT c.name, c.type, CASE WHEN (c.pk = 1 AND (SELECT COUNT(*) FROM pragma_table_info(?2, ?1) WHERE pk > 0) = 1) OR EXISTS (SELECT 1 FROM pragma_index_list(?2, ?1) il WHERE il."unique" = 1 AND il.partial = 0 AND (SELECT COUNT(*) FROM pragma_index_info(il.name, ?1)) = 1 AND (SELECT ii.name FROM pragma_index_info(il.name, ?1) ii) = c.name) THEN 1 ELSE 0 END FROM pragma_table_info(?2, ?1) c;

-- minimal / migrate[0]
-- binds: (none)
CREATE TABLE IF NOT EXISTS "bare" (
    "sid" TEXT NOT NULL PRIMARY KEY,
    "data" TEXT NOT NULL,
    "expires" INTEGER NOT NULL,
    "owner" TEXT NOT NULL
);

-- minimal / migrate[1]
-- binds: (none)
CREATE INDEX IF NOT EXISTS "bare_expires_idx" ON "bare" ("expires");

-- minimal / migrate[2]
-- binds: (none)
CREATE INDEX IF NOT EXISTS "bare_owner_6db112f0_idx" ON "bare" ("owner");

-- minimal / custom_column_queries[0].ids
-- binds: value, now[, created after] -> sid
SELECT "sid" FROM "bare" WHERE "owner" = ? AND "expires" > ?;

-- minimal / custom_column_queries[0].destroy
-- binds: value -> rows deleted
DELETE FROM "bare" WHERE "owner" = ?;

-- minimal / custom_column_queries[0].list
-- binds: value, now[, created after] -> sid, data, expires micros, updated micros or NULL
SELECT "sid", "data", "expires", NULL FROM "bare" WHERE "owner" = ? AND "expires" > ? ORDER BY "expires" DESC;
