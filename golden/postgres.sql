-- GENERATED FILE: every statement sqlx-session-store runs on PostgreSQL, as built by
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
SELECT "data"::text, "expires", "version" FROM "sessions" WHERE "sid" = $1 AND "expires" > $2::timestamptz;

-- default / upsert
-- binds: sid, data, expires, [created], [updated], [version], custom
INSERT INTO "sessions" ("sid", "data", "expires", "created_at", "updated_at", "version") VALUES ($1, $2::json, $3::timestamptz, $4::timestamptz, $5::timestamptz, $6) ON CONFLICT ("sid") DO UPDATE SET "data" = excluded."data", "expires" = excluded."expires", "updated_at" = excluded."updated_at", "version" = excluded."version";

-- default / insert
-- binds: sid, data, expires, [created], [updated], [version], custom
INSERT INTO "sessions" ("sid", "data", "expires", "created_at", "updated_at", "version") VALUES ($1, $2::json, $3::timestamptz, $4::timestamptz, $5::timestamptz, $6);

-- default / update
-- binds: data, expires, [updated], [version], custom, sid, now[, created after]
UPDATE "sessions" SET "data" = $1::json, "expires" = $2::timestamptz, "updated_at" = $3::timestamptz, "version" = $4 WHERE "sid" = $5 AND "expires" > $6::timestamptz;

-- default / update_data
-- binds: data, [updated], [version], custom, sid, now[, created after]
UPDATE "sessions" SET "data" = $1::json, "updated_at" = $2::timestamptz, "version" = $3 WHERE "sid" = $4 AND "expires" > $5::timestamptz;

-- default / update_if[0] (new expiry)
-- binds: the binds of `update`/`update_data`, then the version (before created after)
UPDATE "sessions" SET "data" = $1::json, "expires" = $2::timestamptz, "updated_at" = $3::timestamptz, "version" = $4 WHERE "sid" = $5 AND "expires" > $6::timestamptz AND "version" = $7;

-- default / update_if[1] (kept expiry)
-- binds: the binds of `update`/`update_data`, then the version (before created after)
UPDATE "sessions" SET "data" = $1::json, "updated_at" = $2::timestamptz, "version" = $3 WHERE "sid" = $4 AND "expires" > $5::timestamptz AND "version" = $6;

-- default / touch
-- binds: expires, [updated], sid, now[, expires - touch_after, expires + touch_after][, created after]
UPDATE "sessions" SET "expires" = $1::timestamptz, "updated_at" = $2::timestamptz WHERE "sid" = $3 AND "expires" > $4::timestamptz AND ("expires" < $5::timestamptz OR "expires" > $6::timestamptz);

-- default / destroy
-- binds: sid
DELETE FROM "sessions" WHERE "sid" = $1;

-- default / count
-- binds: now[, created after] -> count
SELECT COUNT(*) FROM "sessions" WHERE "expires" > $1::timestamptz;

-- default / clear
-- binds: (none)
DELETE FROM "sessions";

-- default / ids
-- binds: now[, created after] -> sid
SELECT "sid" FROM "sessions" WHERE "expires" > $1::timestamptz;

-- default / delete_expired
-- binds: now, limit
DELETE FROM "sessions" WHERE "sid" = ANY(ARRAY(SELECT "sid" FROM "sessions" WHERE "expires" <= $1::timestamptz ORDER BY "expires" LIMIT $2 FOR UPDATE SKIP LOCKED));

-- default / delete_outlived: none (created before, limit (only with max_lifetime))

-- default / plain_ids
-- binds: pattern of hashed ids, last id seen, limit -> sid, data text
SELECT "sid", "data"::text FROM "sessions" WHERE "sid" NOT LIKE $1 AND "sid" > $2 ORDER BY "sid" LIMIT $3;

-- default / rename_id
-- binds: new sid, data, old sid
UPDATE "sessions" SET "sid" = $1, "data" = $2::json WHERE "sid" = $3;

-- default / list_columns
-- binds: schema or NULL, table name -> column name, declared type, is unique key
SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), (EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = a.attrelid AND i.indisunique AND i.indisvalid AND i.indimmediate AND i.indpred IS NULL AND i.indnkeyatts = 1 AND i.indkey[0] = a.attnum))::int::int8 FROM pg_attribute a WHERE a.attrelid = to_regclass(CASE WHEN $1::text IS NULL THEN quote_ident($2::text) ELSE quote_ident($1::text) || '.' || quote_ident($2::text) END)::oid AND a.attnum > 0 AND NOT a.attisdropped;

-- default / migrate[0]
-- binds: (none)
CREATE TABLE IF NOT EXISTS "sessions" (
    "sid" TEXT NOT NULL PRIMARY KEY,
    "data" JSON NOT NULL,
    "expires" TIMESTAMPTZ NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "updated_at" TIMESTAMPTZ NOT NULL,
    "version" BIGINT NOT NULL DEFAULT 0
);

-- default / migrate[1]
-- binds: (none)
CREATE INDEX IF NOT EXISTS "sessions_expires_idx" ON "sessions" ("expires");

-- ==== custom: schema-qualified table, renamed core columns, custom columns (indexed and not, every kind), max_lifetime 30 days, touch_after 1 h, version column renamed ====
-- table: app.web_sessions

-- custom / get
-- binds: sid, now[, created after] -> data text, expires micros[, version]
SELECT "payload"::text, "expires_at", "rev" FROM "app"."web_sessions" WHERE "session_key" = $1 AND "expires_at" > $2::timestamptz AND "born_at" > $3::timestamptz;

-- custom / upsert
-- binds: sid, data, expires, [created], [updated], [version], custom
INSERT INTO "app"."web_sessions" ("session_key", "payload", "expires_at", "born_at", "changed_at", "rev", "user_id", "tenant", "remember", "last_login", "meta") VALUES ($1, $2::json, $3::timestamptz, $4::timestamptz, $5::timestamptz, $6, $7, $8, $9, $10::timestamptz, $11::json) ON CONFLICT ("session_key") DO UPDATE SET "payload" = excluded."payload", "expires_at" = excluded."expires_at", "changed_at" = excluded."changed_at", "rev" = excluded."rev", "user_id" = excluded."user_id", "tenant" = excluded."tenant", "remember" = excluded."remember", "last_login" = excluded."last_login", "meta" = excluded."meta";

-- custom / insert
-- binds: sid, data, expires, [created], [updated], [version], custom
INSERT INTO "app"."web_sessions" ("session_key", "payload", "expires_at", "born_at", "changed_at", "rev", "user_id", "tenant", "remember", "last_login", "meta") VALUES ($1, $2::json, $3::timestamptz, $4::timestamptz, $5::timestamptz, $6, $7, $8, $9, $10::timestamptz, $11::json);

-- custom / update
-- binds: data, expires, [updated], [version], custom, sid, now[, created after]
UPDATE "app"."web_sessions" SET "payload" = $1::json, "expires_at" = $2::timestamptz, "changed_at" = $3::timestamptz, "rev" = $4, "user_id" = $5, "tenant" = $6, "remember" = $7, "last_login" = $8::timestamptz, "meta" = $9::json WHERE "session_key" = $10 AND "expires_at" > $11::timestamptz AND "born_at" > $12::timestamptz;

-- custom / update_data
-- binds: data, [updated], [version], custom, sid, now[, created after]
UPDATE "app"."web_sessions" SET "payload" = $1::json, "changed_at" = $2::timestamptz, "rev" = $3, "user_id" = $4, "tenant" = $5, "remember" = $6, "last_login" = $7::timestamptz, "meta" = $8::json WHERE "session_key" = $9 AND "expires_at" > $10::timestamptz AND "born_at" > $11::timestamptz;

-- custom / update_if[0] (new expiry)
-- binds: the binds of `update`/`update_data`, then the version (before created after)
UPDATE "app"."web_sessions" SET "payload" = $1::json, "expires_at" = $2::timestamptz, "changed_at" = $3::timestamptz, "rev" = $4, "user_id" = $5, "tenant" = $6, "remember" = $7, "last_login" = $8::timestamptz, "meta" = $9::json WHERE "session_key" = $10 AND "expires_at" > $11::timestamptz AND "rev" = $12 AND "born_at" > $13::timestamptz;

-- custom / update_if[1] (kept expiry)
-- binds: the binds of `update`/`update_data`, then the version (before created after)
UPDATE "app"."web_sessions" SET "payload" = $1::json, "changed_at" = $2::timestamptz, "rev" = $3, "user_id" = $4, "tenant" = $5, "remember" = $6, "last_login" = $7::timestamptz, "meta" = $8::json WHERE "session_key" = $9 AND "expires_at" > $10::timestamptz AND "rev" = $11 AND "born_at" > $12::timestamptz;

-- custom / touch
-- binds: expires, [updated], sid, now[, expires - touch_after, expires + touch_after][, created after]
UPDATE "app"."web_sessions" SET "expires_at" = $1::timestamptz, "changed_at" = $2::timestamptz WHERE "session_key" = $3 AND "expires_at" > $4::timestamptz AND ("expires_at" < $5::timestamptz OR "expires_at" > $6::timestamptz) AND "born_at" > $7::timestamptz;

-- custom / destroy
-- binds: sid
DELETE FROM "app"."web_sessions" WHERE "session_key" = $1;

-- custom / count
-- binds: now[, created after] -> count
SELECT COUNT(*) FROM "app"."web_sessions" WHERE "expires_at" > $1::timestamptz AND "born_at" > $2::timestamptz;

-- custom / clear
-- binds: (none)
DELETE FROM "app"."web_sessions";

-- custom / ids
-- binds: now[, created after] -> sid
SELECT "session_key" FROM "app"."web_sessions" WHERE "expires_at" > $1::timestamptz AND "born_at" > $2::timestamptz;

-- custom / delete_expired
-- binds: now, limit
DELETE FROM "app"."web_sessions" WHERE "session_key" = ANY(ARRAY(SELECT "session_key" FROM "app"."web_sessions" WHERE "expires_at" <= $1::timestamptz ORDER BY "expires_at" LIMIT $2 FOR UPDATE SKIP LOCKED));

-- custom / delete_outlived
-- binds: created before, limit (only with max_lifetime)
DELETE FROM "app"."web_sessions" WHERE "session_key" = ANY(ARRAY(SELECT "session_key" FROM "app"."web_sessions" WHERE "born_at" <= $1::timestamptz ORDER BY "born_at" LIMIT $2 FOR UPDATE SKIP LOCKED));

-- custom / plain_ids
-- binds: pattern of hashed ids, last id seen, limit -> sid, data text
SELECT "session_key", "payload"::text FROM "app"."web_sessions" WHERE "session_key" NOT LIKE $1 AND "session_key" > $2 ORDER BY "session_key" LIMIT $3;

-- custom / rename_id
-- binds: new sid, data, old sid
UPDATE "app"."web_sessions" SET "session_key" = $1, "payload" = $2::json WHERE "session_key" = $3;

-- custom / list_columns
-- binds: schema or NULL, table name -> column name, declared type, is unique key
SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), (EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = a.attrelid AND i.indisunique AND i.indisvalid AND i.indimmediate AND i.indpred IS NULL AND i.indnkeyatts = 1 AND i.indkey[0] = a.attnum))::int::int8 FROM pg_attribute a WHERE a.attrelid = to_regclass(CASE WHEN $1::text IS NULL THEN quote_ident($2::text) ELSE quote_ident($1::text) || '.' || quote_ident($2::text) END)::oid AND a.attnum > 0 AND NOT a.attisdropped;

-- custom / migrate[0]
-- binds: (none)
CREATE TABLE IF NOT EXISTS "app"."web_sessions" (
    "session_key" TEXT NOT NULL PRIMARY KEY,
    "payload" JSON NOT NULL,
    "expires_at" TIMESTAMPTZ NOT NULL,
    "born_at" TIMESTAMPTZ NOT NULL,
    "changed_at" TIMESTAMPTZ NOT NULL,
    "rev" BIGINT NOT NULL DEFAULT 0,
    "user_id" BIGINT NOT NULL,
    "tenant" TEXT,
    "remember" BOOLEAN,
    "last_login" TIMESTAMPTZ,
    "meta" JSON
);

-- custom / migrate[1]
-- binds: (none)
CREATE INDEX IF NOT EXISTS "web_sessions_expires_idx" ON "app"."web_sessions" ("expires_at");

-- custom / migrate[2]
-- binds: (none)
CREATE INDEX IF NOT EXISTS "web_sessions_user_id_e0d0ad90_idx" ON "app"."web_sessions" ("user_id");

-- custom / migrate[3]
-- binds: (none)
CREATE INDEX IF NOT EXISTS "web_sessions_tenant_aef49ef3_idx" ON "app"."web_sessions" ("tenant");

-- custom / migrate[4]
-- binds: (none)
CREATE INDEX IF NOT EXISTS "web_sessions_last_login_147b4f91_idx" ON "app"."web_sessions" ("last_login");

-- custom / custom_column_queries[0].ids
-- binds: value, now[, created after] -> sid
SELECT "session_key" FROM "app"."web_sessions" WHERE "user_id" = $1 AND "expires_at" > $2::timestamptz AND "born_at" > $3::timestamptz;

-- custom / custom_column_queries[0].destroy
-- binds: value -> rows deleted
DELETE FROM "app"."web_sessions" WHERE "user_id" = $1;

-- custom / custom_column_queries[0].list
-- binds: value, now[, created after] -> sid, data, expires micros, updated micros or NULL
SELECT "session_key", "payload"::text, "expires_at", "changed_at" FROM "app"."web_sessions" WHERE "user_id" = $1 AND "expires_at" > $2::timestamptz AND "born_at" > $3::timestamptz ORDER BY "expires_at" DESC;

-- custom / custom_column_queries[1].ids
-- binds: value, now[, created after] -> sid
SELECT "session_key" FROM "app"."web_sessions" WHERE "tenant" = $1 AND "expires_at" > $2::timestamptz AND "born_at" > $3::timestamptz;

-- custom / custom_column_queries[1].destroy
-- binds: value -> rows deleted
DELETE FROM "app"."web_sessions" WHERE "tenant" = $1;

-- custom / custom_column_queries[1].list
-- binds: value, now[, created after] -> sid, data, expires micros, updated micros or NULL
SELECT "session_key", "payload"::text, "expires_at", "changed_at" FROM "app"."web_sessions" WHERE "tenant" = $1 AND "expires_at" > $2::timestamptz AND "born_at" > $3::timestamptz ORDER BY "expires_at" DESC;

-- custom / custom_column_queries[2].ids
-- binds: value, now[, created after] -> sid
SELECT "session_key" FROM "app"."web_sessions" WHERE "remember" = $1 AND "expires_at" > $2::timestamptz AND "born_at" > $3::timestamptz;

-- custom / custom_column_queries[2].destroy
-- binds: value -> rows deleted
DELETE FROM "app"."web_sessions" WHERE "remember" = $1;

-- custom / custom_column_queries[2].list
-- binds: value, now[, created after] -> sid, data, expires micros, updated micros or NULL
SELECT "session_key", "payload"::text, "expires_at", "changed_at" FROM "app"."web_sessions" WHERE "remember" = $1 AND "expires_at" > $2::timestamptz AND "born_at" > $3::timestamptz ORDER BY "expires_at" DESC;

-- custom / custom_column_queries[3].ids
-- binds: value, now[, created after] -> sid
SELECT "session_key" FROM "app"."web_sessions" WHERE "last_login" = $1::timestamptz AND "expires_at" > $2::timestamptz AND "born_at" > $3::timestamptz;

-- custom / custom_column_queries[3].destroy
-- binds: value -> rows deleted
DELETE FROM "app"."web_sessions" WHERE "last_login" = $1::timestamptz;

-- custom / custom_column_queries[3].list
-- binds: value, now[, created after] -> sid, data, expires micros, updated micros or NULL
SELECT "session_key", "payload"::text, "expires_at", "changed_at" FROM "app"."web_sessions" WHERE "last_login" = $1::timestamptz AND "expires_at" > $2::timestamptz AND "born_at" > $3::timestamptz ORDER BY "expires_at" DESC;

-- custom / custom_column_queries[4].ids
-- binds: value, now[, created after] -> sid
SELECT "session_key" FROM "app"."web_sessions" WHERE "meta" = $1::json AND "expires_at" > $2::timestamptz AND "born_at" > $3::timestamptz;

-- custom / custom_column_queries[4].destroy
-- binds: value -> rows deleted
DELETE FROM "app"."web_sessions" WHERE "meta" = $1::json;

-- custom / custom_column_queries[4].list
-- binds: value, now[, created after] -> sid, data, expires micros, updated micros or NULL
SELECT "session_key", "payload"::text, "expires_at", "changed_at" FROM "app"."web_sessions" WHERE "meta" = $1::json AND "expires_at" > $2::timestamptz AND "born_at" > $3::timestamptz ORDER BY "expires_at" DESC;

-- ==== custom_no_version: the `custom` table without a version column ====
-- table: app.web_sessions

-- custom_no_version / get
-- binds: sid, now[, created after] -> data text, expires micros[, version]
SELECT "payload"::text, "expires_at" FROM "app"."web_sessions" WHERE "session_key" = $1 AND "expires_at" > $2::timestamptz AND "born_at" > $3::timestamptz;

-- custom_no_version / upsert
-- binds: sid, data, expires, [created], [updated], [version], custom
INSERT INTO "app"."web_sessions" ("session_key", "payload", "expires_at", "born_at", "changed_at", "user_id", "tenant", "remember", "last_login", "meta") VALUES ($1, $2::json, $3::timestamptz, $4::timestamptz, $5::timestamptz, $6, $7, $8, $9::timestamptz, $10::json) ON CONFLICT ("session_key") DO UPDATE SET "payload" = excluded."payload", "expires_at" = excluded."expires_at", "changed_at" = excluded."changed_at", "user_id" = excluded."user_id", "tenant" = excluded."tenant", "remember" = excluded."remember", "last_login" = excluded."last_login", "meta" = excluded."meta";

-- custom_no_version / insert
-- binds: sid, data, expires, [created], [updated], [version], custom
INSERT INTO "app"."web_sessions" ("session_key", "payload", "expires_at", "born_at", "changed_at", "user_id", "tenant", "remember", "last_login", "meta") VALUES ($1, $2::json, $3::timestamptz, $4::timestamptz, $5::timestamptz, $6, $7, $8, $9::timestamptz, $10::json);

-- custom_no_version / update
-- binds: data, expires, [updated], [version], custom, sid, now[, created after]
UPDATE "app"."web_sessions" SET "payload" = $1::json, "expires_at" = $2::timestamptz, "changed_at" = $3::timestamptz, "user_id" = $4, "tenant" = $5, "remember" = $6, "last_login" = $7::timestamptz, "meta" = $8::json WHERE "session_key" = $9 AND "expires_at" > $10::timestamptz AND "born_at" > $11::timestamptz;

-- custom_no_version / update_data
-- binds: data, [updated], [version], custom, sid, now[, created after]
UPDATE "app"."web_sessions" SET "payload" = $1::json, "changed_at" = $2::timestamptz, "user_id" = $3, "tenant" = $4, "remember" = $5, "last_login" = $6::timestamptz, "meta" = $7::json WHERE "session_key" = $8 AND "expires_at" > $9::timestamptz AND "born_at" > $10::timestamptz;

-- custom_no_version / update_if: none (no version column)

-- custom_no_version / touch
-- binds: expires, [updated], sid, now[, expires - touch_after, expires + touch_after][, created after]
UPDATE "app"."web_sessions" SET "expires_at" = $1::timestamptz, "changed_at" = $2::timestamptz WHERE "session_key" = $3 AND "expires_at" > $4::timestamptz AND ("expires_at" < $5::timestamptz OR "expires_at" > $6::timestamptz) AND "born_at" > $7::timestamptz;

-- custom_no_version / destroy
-- binds: sid
DELETE FROM "app"."web_sessions" WHERE "session_key" = $1;

-- custom_no_version / count
-- binds: now[, created after] -> count
SELECT COUNT(*) FROM "app"."web_sessions" WHERE "expires_at" > $1::timestamptz AND "born_at" > $2::timestamptz;

-- custom_no_version / clear
-- binds: (none)
DELETE FROM "app"."web_sessions";

-- custom_no_version / ids
-- binds: now[, created after] -> sid
SELECT "session_key" FROM "app"."web_sessions" WHERE "expires_at" > $1::timestamptz AND "born_at" > $2::timestamptz;

-- custom_no_version / delete_expired
-- binds: now, limit
DELETE FROM "app"."web_sessions" WHERE "session_key" = ANY(ARRAY(SELECT "session_key" FROM "app"."web_sessions" WHERE "expires_at" <= $1::timestamptz ORDER BY "expires_at" LIMIT $2 FOR UPDATE SKIP LOCKED));

-- custom_no_version / delete_outlived
-- binds: created before, limit (only with max_lifetime)
DELETE FROM "app"."web_sessions" WHERE "session_key" = ANY(ARRAY(SELECT "session_key" FROM "app"."web_sessions" WHERE "born_at" <= $1::timestamptz ORDER BY "born_at" LIMIT $2 FOR UPDATE SKIP LOCKED));

-- custom_no_version / plain_ids
-- binds: pattern of hashed ids, last id seen, limit -> sid, data text
SELECT "session_key", "payload"::text FROM "app"."web_sessions" WHERE "session_key" NOT LIKE $1 AND "session_key" > $2 ORDER BY "session_key" LIMIT $3;

-- custom_no_version / rename_id
-- binds: new sid, data, old sid
UPDATE "app"."web_sessions" SET "session_key" = $1, "payload" = $2::json WHERE "session_key" = $3;

-- custom_no_version / list_columns
-- binds: schema or NULL, table name -> column name, declared type, is unique key
SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), (EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = a.attrelid AND i.indisunique AND i.indisvalid AND i.indimmediate AND i.indpred IS NULL AND i.indnkeyatts = 1 AND i.indkey[0] = a.attnum))::int::int8 FROM pg_attribute a WHERE a.attrelid = to_regclass(CASE WHEN $1::text IS NULL THEN quote_ident($2::text) ELSE quote_ident($1::text) || '.' || quote_ident($2::text) END)::oid AND a.attnum > 0 AND NOT a.attisdropped;

-- custom_no_version / migrate[0]
-- binds: (none)
CREATE TABLE IF NOT EXISTS "app"."web_sessions" (
    "session_key" TEXT NOT NULL PRIMARY KEY,
    "payload" JSON NOT NULL,
    "expires_at" TIMESTAMPTZ NOT NULL,
    "born_at" TIMESTAMPTZ NOT NULL,
    "changed_at" TIMESTAMPTZ NOT NULL,
    "user_id" BIGINT NOT NULL,
    "tenant" TEXT,
    "remember" BOOLEAN,
    "last_login" TIMESTAMPTZ,
    "meta" JSON
);

-- custom_no_version / migrate[1]
-- binds: (none)
CREATE INDEX IF NOT EXISTS "web_sessions_expires_idx" ON "app"."web_sessions" ("expires_at");

-- custom_no_version / migrate[2]
-- binds: (none)
CREATE INDEX IF NOT EXISTS "web_sessions_user_id_e0d0ad90_idx" ON "app"."web_sessions" ("user_id");

-- custom_no_version / migrate[3]
-- binds: (none)
CREATE INDEX IF NOT EXISTS "web_sessions_tenant_aef49ef3_idx" ON "app"."web_sessions" ("tenant");

-- custom_no_version / migrate[4]
-- binds: (none)
CREATE INDEX IF NOT EXISTS "web_sessions_last_login_147b4f91_idx" ON "app"."web_sessions" ("last_login");

-- custom_no_version / custom_column_queries[0].ids
-- binds: value, now[, created after] -> sid
SELECT "session_key" FROM "app"."web_sessions" WHERE "user_id" = $1 AND "expires_at" > $2::timestamptz AND "born_at" > $3::timestamptz;

-- custom_no_version / custom_column_queries[0].destroy
-- binds: value -> rows deleted
DELETE FROM "app"."web_sessions" WHERE "user_id" = $1;

-- custom_no_version / custom_column_queries[0].list
-- binds: value, now[, created after] -> sid, data, expires micros, updated micros or NULL
SELECT "session_key", "payload"::text, "expires_at", "changed_at" FROM "app"."web_sessions" WHERE "user_id" = $1 AND "expires_at" > $2::timestamptz AND "born_at" > $3::timestamptz ORDER BY "expires_at" DESC;

-- custom_no_version / custom_column_queries[1].ids
-- binds: value, now[, created after] -> sid
SELECT "session_key" FROM "app"."web_sessions" WHERE "tenant" = $1 AND "expires_at" > $2::timestamptz AND "born_at" > $3::timestamptz;

-- custom_no_version / custom_column_queries[1].destroy
-- binds: value -> rows deleted
DELETE FROM "app"."web_sessions" WHERE "tenant" = $1;

-- custom_no_version / custom_column_queries[1].list
-- binds: value, now[, created after] -> sid, data, expires micros, updated micros or NULL
SELECT "session_key", "payload"::text, "expires_at", "changed_at" FROM "app"."web_sessions" WHERE "tenant" = $1 AND "expires_at" > $2::timestamptz AND "born_at" > $3::timestamptz ORDER BY "expires_at" DESC;

-- custom_no_version / custom_column_queries[2].ids
-- binds: value, now[, created after] -> sid
SELECT "session_key" FROM "app"."web_sessions" WHERE "remember" = $1 AND "expires_at" > $2::timestamptz AND "born_at" > $3::timestamptz;

-- custom_no_version / custom_column_queries[2].destroy
-- binds: value -> rows deleted
DELETE FROM "app"."web_sessions" WHERE "remember" = $1;

-- custom_no_version / custom_column_queries[2].list
-- binds: value, now[, created after] -> sid, data, expires micros, updated micros or NULL
SELECT "session_key", "payload"::text, "expires_at", "changed_at" FROM "app"."web_sessions" WHERE "remember" = $1 AND "expires_at" > $2::timestamptz AND "born_at" > $3::timestamptz ORDER BY "expires_at" DESC;

-- custom_no_version / custom_column_queries[3].ids
-- binds: value, now[, created after] -> sid
SELECT "session_key" FROM "app"."web_sessions" WHERE "last_login" = $1::timestamptz AND "expires_at" > $2::timestamptz AND "born_at" > $3::timestamptz;

-- custom_no_version / custom_column_queries[3].destroy
-- binds: value -> rows deleted
DELETE FROM "app"."web_sessions" WHERE "last_login" = $1::timestamptz;

-- custom_no_version / custom_column_queries[3].list
-- binds: value, now[, created after] -> sid, data, expires micros, updated micros or NULL
SELECT "session_key", "payload"::text, "expires_at", "changed_at" FROM "app"."web_sessions" WHERE "last_login" = $1::timestamptz AND "expires_at" > $2::timestamptz AND "born_at" > $3::timestamptz ORDER BY "expires_at" DESC;

-- custom_no_version / custom_column_queries[4].ids
-- binds: value, now[, created after] -> sid
SELECT "session_key" FROM "app"."web_sessions" WHERE "meta" = $1::json AND "expires_at" > $2::timestamptz AND "born_at" > $3::timestamptz;

-- custom_no_version / custom_column_queries[4].destroy
-- binds: value -> rows deleted
DELETE FROM "app"."web_sessions" WHERE "meta" = $1::json;

-- custom_no_version / custom_column_queries[4].list
-- binds: value, now[, created after] -> sid, data, expires micros, updated micros or NULL
SELECT "session_key", "payload"::text, "expires_at", "changed_at" FROM "app"."web_sessions" WHERE "meta" = $1::json AND "expires_at" > $2::timestamptz AND "born_at" > $3::timestamptz ORDER BY "expires_at" DESC;

-- ==== minimal: no timestamp or version columns, one custom column, no max_lifetime, touch_after 0 (every refresh writes) ====
-- table: bare

-- minimal / get
-- binds: sid, now[, created after] -> data text, expires micros[, version]
SELECT "data"::text, "expires" FROM "bare" WHERE "sid" = $1 AND "expires" > $2::timestamptz;

-- minimal / upsert
-- binds: sid, data, expires, [created], [updated], [version], custom
INSERT INTO "bare" ("sid", "data", "expires", "owner") VALUES ($1, $2::json, $3::timestamptz, $4) ON CONFLICT ("sid") DO UPDATE SET "data" = excluded."data", "expires" = excluded."expires", "owner" = excluded."owner";

-- minimal / insert
-- binds: sid, data, expires, [created], [updated], [version], custom
INSERT INTO "bare" ("sid", "data", "expires", "owner") VALUES ($1, $2::json, $3::timestamptz, $4);

-- minimal / update
-- binds: data, expires, [updated], [version], custom, sid, now[, created after]
UPDATE "bare" SET "data" = $1::json, "expires" = $2::timestamptz, "owner" = $3 WHERE "sid" = $4 AND "expires" > $5::timestamptz;

-- minimal / update_data
-- binds: data, [updated], [version], custom, sid, now[, created after]
UPDATE "bare" SET "data" = $1::json, "owner" = $2 WHERE "sid" = $3 AND "expires" > $4::timestamptz;

-- minimal / update_if: none (no version column)

-- minimal / touch
-- binds: expires, [updated], sid, now[, expires - touch_after, expires + touch_after][, created after]
UPDATE "bare" SET "expires" = $1::timestamptz WHERE "sid" = $2 AND "expires" > $3::timestamptz;

-- minimal / destroy
-- binds: sid
DELETE FROM "bare" WHERE "sid" = $1;

-- minimal / count
-- binds: now[, created after] -> count
SELECT COUNT(*) FROM "bare" WHERE "expires" > $1::timestamptz;

-- minimal / clear
-- binds: (none)
DELETE FROM "bare";

-- minimal / ids
-- binds: now[, created after] -> sid
SELECT "sid" FROM "bare" WHERE "expires" > $1::timestamptz;

-- minimal / delete_expired
-- binds: now, limit
DELETE FROM "bare" WHERE "sid" = ANY(ARRAY(SELECT "sid" FROM "bare" WHERE "expires" <= $1::timestamptz ORDER BY "expires" LIMIT $2 FOR UPDATE SKIP LOCKED));

-- minimal / delete_outlived: none (created before, limit (only with max_lifetime))

-- minimal / plain_ids
-- binds: pattern of hashed ids, last id seen, limit -> sid, data text
SELECT "sid", "data"::text FROM "bare" WHERE "sid" NOT LIKE $1 AND "sid" > $2 ORDER BY "sid" LIMIT $3;

-- minimal / rename_id
-- binds: new sid, data, old sid
UPDATE "bare" SET "sid" = $1, "data" = $2::json WHERE "sid" = $3;

-- minimal / list_columns
-- binds: schema or NULL, table name -> column name, declared type, is unique key
SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), (EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = a.attrelid AND i.indisunique AND i.indisvalid AND i.indimmediate AND i.indpred IS NULL AND i.indnkeyatts = 1 AND i.indkey[0] = a.attnum))::int::int8 FROM pg_attribute a WHERE a.attrelid = to_regclass(CASE WHEN $1::text IS NULL THEN quote_ident($2::text) ELSE quote_ident($1::text) || '.' || quote_ident($2::text) END)::oid AND a.attnum > 0 AND NOT a.attisdropped;

-- minimal / migrate[0]
-- binds: (none)
CREATE TABLE IF NOT EXISTS "bare" (
    "sid" TEXT NOT NULL PRIMARY KEY,
    "data" JSON NOT NULL,
    "expires" TIMESTAMPTZ NOT NULL,
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
SELECT "sid" FROM "bare" WHERE "owner" = $1 AND "expires" > $2::timestamptz;

-- minimal / custom_column_queries[0].destroy
-- binds: value -> rows deleted
DELETE FROM "bare" WHERE "owner" = $1;

-- minimal / custom_column_queries[0].list
-- binds: value, now[, created after] -> sid, data, expires micros, updated micros or NULL
SELECT "sid", "data"::text, "expires", NULL FROM "bare" WHERE "owner" = $1 AND "expires" > $2::timestamptz ORDER BY "expires" DESC;
