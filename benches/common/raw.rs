//! The hand-written raw-sqlx side of the core operations, per database: plain SQL literals
//! against the store's table, `chrono` values bound and decoded by sqlx itself where it
//! supports them (PostgreSQL `TIMESTAMPTZ`, MySQL `DATETIME(6)`; the table's SQLite
//! `INTEGER` microseconds are bound as `i64`), data parsed into a `serde_json::Value`.

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::Value;
use sqlx::Pool;
use sqlx_session_store::Dialect;

/// Lifetime of a session on the raw side (the store is built with the same).
pub const EXPIRATION: TimeDelta = TimeDelta::hours(24);
/// The raw side's touch window (the store's `touch_after` in the "skipped" case).
pub const WINDOW: TimeDelta = TimeDelta::minutes(10);

/// SQL literals an application would write, leaked to `&'static str` as literals are.
pub struct RawSql {
    pub get: &'static str,
    pub upsert: &'static str,
    pub touch: &'static str,
    pub touch_if_old: &'static str,
    pub destroy: &'static str,
    pub drop: &'static str,
}

fn leak(s: String) -> &'static str {
    s.leak()
}

pub trait Raw {
    type DB: Dialect;
    fn sql(table: &str) -> RawSql;
    async fn get(pool: &Pool<Self::DB>, sql: &RawSql, sid: &str) -> Option<(Value, DateTime<Utc>)>;
    async fn set(pool: &Pool<Self::DB>, sql: &RawSql, sid: &str, data: &Value);
    async fn touch(pool: &Pool<Self::DB>, sql: &RawSql, sid: &str) -> bool;
    async fn touch_if_old(pool: &Pool<Self::DB>, sql: &RawSql, sid: &str) -> bool;
    async fn destroy(pool: &Pool<Self::DB>, sql: &RawSql, sid: &str);
    async fn drop_table(pool: &Pool<Self::DB>, sql: &RawSql);
}

/// The raw side of one database, from its SQL text and how it binds and reads a time.
macro_rules! raw {
    ($name:ident: $db:ty, sql = $sql:path, bind = $bind:path, stored = $stored:ty, read = $read:path) => {
        pub struct $name;

        impl Raw for $name {
            type DB = $db;

            fn sql(table: &str) -> RawSql {
                $sql(table)
            }

            async fn get(
                pool: &Pool<$db>,
                sql: &RawSql,
                sid: &str,
            ) -> Option<(Value, DateTime<Utc>)> {
                let row: Option<(String, $stored)> = sqlx::query_as(sql.get)
                    .bind(sid)
                    .bind($bind(Utc::now()))
                    .fetch_optional(pool)
                    .await
                    .expect("raw get");
                row.map(|(data, expires)| {
                    (
                        serde_json::from_str(&data).expect("stored JSON"),
                        $read(expires),
                    )
                })
            }

            async fn set(pool: &Pool<$db>, sql: &RawSql, sid: &str, data: &Value) {
                let json = serde_json::to_string(data).expect("serializable");
                let now = Utc::now();
                sqlx::query(sql.upsert)
                    .bind(sid)
                    .bind(json)
                    .bind($bind(now + EXPIRATION))
                    .bind($bind(now))
                    .bind($bind(now))
                    .execute(pool)
                    .await
                    .expect("raw set");
            }

            async fn touch(pool: &Pool<$db>, sql: &RawSql, sid: &str) -> bool {
                let now = Utc::now();
                sqlx::query(sql.touch)
                    .bind($bind(now + EXPIRATION))
                    .bind($bind(now))
                    .bind(sid)
                    .bind($bind(now))
                    .execute(pool)
                    .await
                    .expect("raw touch")
                    .rows_affected()
                    > 0
            }

            async fn touch_if_old(pool: &Pool<$db>, sql: &RawSql, sid: &str) -> bool {
                let now = Utc::now();
                let expires = now + EXPIRATION;
                sqlx::query(sql.touch_if_old)
                    .bind($bind(expires))
                    .bind($bind(now))
                    .bind(sid)
                    .bind($bind(now))
                    .bind($bind(expires - WINDOW))
                    .execute(pool)
                    .await
                    .expect("raw touch")
                    .rows_affected()
                    > 0
            }

            async fn destroy(pool: &Pool<$db>, sql: &RawSql, sid: &str) {
                sqlx::query(sql.destroy)
                    .bind(sid)
                    .execute(pool)
                    .await
                    .expect("raw destroy");
            }

            async fn drop_table(pool: &Pool<$db>, sql: &RawSql) {
                sqlx::query(sql.drop)
                    .execute(pool)
                    .await
                    .expect("drop bench table");
            }
        }
    };
}

raw!(RawSqlite: sqlx::Sqlite, sql = sqlite_sql, bind = to_micros, stored = i64, read = from_micros);
raw!(RawPg: sqlx::Postgres, sql = pg_sql, bind = same, stored = DateTime<Utc>, read = same);
raw!(RawMySql: sqlx::MySql, sql = mysql_sql, bind = same, stored = DateTime<Utc>, read = same);

/// The table's SQLite `expires` is `INTEGER` microseconds since the epoch.
fn to_micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

fn from_micros(m: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(m).expect("expiry in range")
}

/// PostgreSQL and MySQL: bound and decoded as `chrono` values by sqlx itself.
fn same(t: DateTime<Utc>) -> DateTime<Utc> {
    t
}

fn sqlite_sql(t: &str) -> RawSql {
    RawSql {
        get: leak(format!(
            "SELECT data, expires FROM {t} WHERE sid = ? AND expires > ?"
        )),
        upsert: leak(format!(
            "INSERT INTO {t} (sid, data, expires, created_at, updated_at) VALUES (?, ?, ?, ?, ?) \
             ON CONFLICT (sid) DO UPDATE SET data = excluded.data, expires = excluded.expires, \
             updated_at = excluded.updated_at"
        )),
        touch: leak(format!(
            "UPDATE {t} SET expires = ?, updated_at = ? WHERE sid = ? AND expires > ?"
        )),
        touch_if_old: leak(format!(
            "UPDATE {t} SET expires = ?, updated_at = ? WHERE sid = ? AND expires > ? AND expires < ?"
        )),
        destroy: leak(format!("DELETE FROM {t} WHERE sid = ?")),
        drop: leak(format!("DROP TABLE IF EXISTS {t}")),
    }
}

fn pg_sql(t: &str) -> RawSql {
    RawSql {
        get: leak(format!(
            "SELECT data::text, expires FROM {t} WHERE sid = $1 AND expires > $2"
        )),
        upsert: leak(format!(
            "INSERT INTO {t} (sid, data, expires, created_at, updated_at) \
             VALUES ($1, $2::json, $3, $4, $5) \
             ON CONFLICT (sid) DO UPDATE SET data = excluded.data, expires = excluded.expires, \
             updated_at = excluded.updated_at"
        )),
        touch: leak(format!(
            "UPDATE {t} SET expires = $1, updated_at = $2 WHERE sid = $3 AND expires > $4"
        )),
        touch_if_old: leak(format!(
            "UPDATE {t} SET expires = $1, updated_at = $2 WHERE sid = $3 AND expires > $4 \
             AND expires < $5"
        )),
        destroy: leak(format!("DELETE FROM {t} WHERE sid = $1")),
        drop: leak(format!("DROP TABLE IF EXISTS {t}")),
    }
}

fn mysql_sql(t: &str) -> RawSql {
    RawSql {
        get: leak(format!(
            "SELECT data, expires FROM {t} WHERE sid = ? AND expires > ?"
        )),
        upsert: leak(format!(
            "INSERT INTO {t} (sid, data, expires, created_at, updated_at) VALUES (?, ?, ?, ?, ?) \
             ON DUPLICATE KEY UPDATE data = VALUES(data), expires = VALUES(expires), \
             updated_at = VALUES(updated_at)"
        )),
        touch: leak(format!(
            "UPDATE {t} SET expires = ?, updated_at = ? WHERE sid = ? AND expires > ?"
        )),
        touch_if_old: leak(format!(
            "UPDATE {t} SET expires = ?, updated_at = ? WHERE sid = ? AND expires > ? AND expires < ?"
        )),
        destroy: leak(format!("DELETE FROM {t} WHERE sid = ?")),
        drop: leak(format!("DROP TABLE IF EXISTS {t}")),
    }
}
