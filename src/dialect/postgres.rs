//! PostgreSQL: `TIMESTAMPTZ` timestamps, `JSON` data, `ON CONFLICT` upserts.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::types::Oid;
use sqlx::postgres::{PgArgumentBuffer, PgTypeInfo, PgValueFormat, PgValueRef};
use sqlx::{Decode, Encode, PgConnection, Pool, Postgres, Type};

use super::bind::{self, Micros, SqlKind, SqlValue};
use super::private::Backend;
use crate::fields::ColumnKind;
use crate::schema::{ColumnType, Table};

impl super::Dialect for Postgres {}

impl Backend for Postgres {
    // `to_regclass` resolves an unqualified name through the search_path exactly as the
    // store's own statements do (information_schema with current_schema() would not).
    const COLUMNS_QUERY: &'static str =
        "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), \
         (EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = a.attrelid AND i.indisunique \
         AND i.indisvalid AND i.indimmediate AND i.indpred IS NULL \
         AND i.indnkeyatts = 1 AND i.indkey[0] = a.attnum))::int::int8 \
         FROM pg_attribute a \
         WHERE a.attrelid = to_regclass(CASE WHEN $1::text IS NULL THEN quote_ident($2::text) \
         ELSE quote_ident($1::text) || '.' || quote_ident($2::text) END)::oid \
         AND a.attnum > 0 AND NOT a.attisdropped";
    const CASE_SENSITIVE_NAMES: bool = true;
    const TIME_PARAM_KIND: SqlKind = SqlKind::Time;

    fn quote(ident: &str) -> String {
        format!("\"{}\"", ident.replace('"', "\"\""))
    }

    fn placeholder(n: usize, ty: ColumnType) -> String {
        match ty {
            ColumnType::Of(ColumnKind::Json) => format!("${n}::json"),
            ColumnType::Of(ColumnKind::Timestamp) => format!("${n}::timestamptz"),
            _ => format!("${n}"),
        }
    }

    fn column_type(ty: ColumnType) -> &'static str {
        match ty {
            ColumnType::SessionId | ColumnType::Of(ColumnKind::Text) => "TEXT",
            ColumnType::Of(ColumnKind::Json) => "JSON",
            ColumnType::Of(ColumnKind::Timestamp) => "TIMESTAMPTZ",
            ColumnType::Of(ColumnKind::Integer) => "BIGINT",
            ColumnType::Of(ColumnKind::Boolean) => "BOOLEAN",
        }
    }

    fn column_problem(ty: ColumnType, declared: &str) -> Option<String> {
        match ty {
            ColumnType::Of(ColumnKind::Timestamp)
                if !(declared.starts_with("timestamp") && declared.ends_with("with time zone")) =>
            {
                Some(format!(
                    "is `{declared}`, whose instants depend on the connection's TimeZone; \
                     the store needs TIMESTAMPTZ"
                ))
            }
            _ => None,
        }
    }

    fn holds_i64(declared: &str) -> bool {
        declared.eq_ignore_ascii_case("bigint") || declared.eq_ignore_ascii_case("int8")
    }

    fn time_expr(quoted_col: &str) -> String {
        // Read as it is stored: `TIMESTAMPTZ` in binary, decoded by `Micros`.
        quoted_col.to_owned()
    }

    fn json_expr(quoted_col: &str) -> String {
        format!("{quoted_col}::text")
    }

    fn unclamped_time_param(t: DateTime<Utc>) -> SqlValue {
        // Binary `TIMESTAMPTZ`: an instant, whatever the session's TimeZone.
        SqlValue::Time(Some(t.timestamp_micros()))
    }

    fn upsert_clause(quoted_key: &str, quoted_cols: &[String]) -> String {
        super::shared_sql::on_conflict_clause(quoted_key, quoted_cols)
    }

    fn delete_expired_batch(table: &Table) -> String {
        // No DELETE ... LIMIT in PostgreSQL: pick a bounded set of keys through the expiry
        // index; SKIP LOCKED lets concurrent reapers take disjoint batches instead of waiting.
        // `= ANY(ARRAY(subquery))` makes the keys an InitPlan probed through the primary
        // key; `IN (subquery)` is planned as a hash semi-join over a sequential scan of the
        // whole table, once per batch.
        let t = Self::qualified(table);
        let sid = Self::quote(table.sid.as_str());
        let expires = Self::quote(table.expires.as_str());
        format!(
            "DELETE FROM {t} WHERE {sid} = ANY(ARRAY(SELECT {sid} FROM {t} \
             WHERE {expires} <= $1::timestamptz ORDER BY {expires} LIMIT $2 FOR UPDATE SKIP LOCKED))"
        )
    }

    fn create_table(table: &Table) -> Vec<String> {
        let mut stmts = vec![super::shared_sql::create_table_sql::<Self>(table, "")];
        for (index, column) in table.indexes() {
            stmts.push(format!(
                "CREATE INDEX IF NOT EXISTS {} ON {} ({})",
                Self::quote(&index),
                Self::qualified(table),
                Self::quote(column.as_str())
            ));
        }
        stmts
    }

    async fn migrate(
        pool: &Pool<Self>,
        ddl: &[Arc<str>],
        lock_key: i64,
    ) -> Result<(), sqlx::Error> {
        // Concurrent `CREATE TABLE IF NOT EXISTS` can fail in PostgreSQL (a unique
        // violation in the catalog), so callers queue on a transaction-scoped advisory lock.
        let mut tx = pool.begin().await?;
        // Unnamed statements (`persistent: false`): a migration runs once, and through a
        // transaction pooler a named one would outlive its transaction on the server.
        bind::execute_with::<Self>(
            &mut *tx,
            Arc::from("SELECT pg_advisory_xact_lock($1)"),
            &[SqlValue::Int(Some(lock_key))],
            false,
        )
        .await?;
        for stmt in ddl {
            bind::execute_with::<Self>(&mut *tx, stmt.clone(), &[], false).await?;
        }
        tx.commit().await
    }

    async fn try_reaper_lock(conn: &mut PgConnection, lock_key: i64) -> Result<bool, sqlx::Error> {
        // Session-level, so that each batch still commits on its own.
        let rows = bind::fetch_with::<Self>(
            conn,
            Arc::from("SELECT pg_try_advisory_lock($1)"),
            &[SqlValue::Int(Some(lock_key))],
            &[SqlKind::Bool],
            true,
        )
        .await?;
        Ok(rows.first().and_then(|r| r.first()) == Some(&SqlValue::Bool(Some(true))))
    }

    async fn release_reaper_lock(
        conn: &mut PgConnection,
        lock_key: i64,
    ) -> Result<(), sqlx::Error> {
        bind::fetch_with::<Self>(
            conn,
            Arc::from("SELECT pg_advisory_unlock($1)"),
            &[SqlValue::Int(Some(lock_key))],
            &[SqlKind::Bool],
            true,
        )
        .await
        .map(drop)
    }

    super::forward_run!();

    fn is_transient(e: &sqlx::Error) -> bool {
        // serialization_failure, deadlock_detected
        e.as_database_error()
            .and_then(|d| d.code())
            .is_some_and(|code| code == "40001" || code == "40P01")
    }

    fn is_server_gone(e: &sqlx::Error) -> bool {
        // admin_shutdown, crash_shutdown, cannot_connect_now, and the connection exceptions
        // (class 08) a server or pooler sends before it closes the connection.
        match e {
            sqlx::Error::Io(_) => true,
            e => e
                .as_database_error()
                .and_then(|d| d.code())
                .is_some_and(|code| {
                    matches!(&*code, "57P01" | "57P02" | "57P03") || code.starts_with("08")
                }),
        }
    }
}

/// The OID of `TIMESTAMPTZ` (a built-in type: the same on every server).
const TIMESTAMPTZ: Oid = Oid(1184);

/// Microseconds from the Unix epoch to PostgreSQL's (2000-01-01 00:00:00 UTC), the origin
/// of `TIMESTAMPTZ`'s binary form.
const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;

impl Type<Postgres> for Micros {
    fn type_info() -> PgTypeInfo {
        PgTypeInfo::with_oid(TIMESTAMPTZ)
    }

    fn compatible(ty: &PgTypeInfo) -> bool {
        // `timestamp without time zone` is refused by the schema check; decode only the
        // zone-independent type.
        *ty == PgTypeInfo::with_oid(TIMESTAMPTZ)
    }
}

impl Encode<'_, Postgres> for Micros {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        // Stored times are clamped to years 1000-9999 before they get here: no overflow.
        buf.extend_from_slice(&self.0.saturating_sub(PG_EPOCH_MICROS).to_be_bytes());
        Ok(IsNull::No)
    }

    fn size_hint(&self) -> usize {
        std::mem::size_of::<i64>()
    }
}

impl<'r> Decode<'r, Postgres> for Micros {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        if value.format() != PgValueFormat::Binary {
            // The store reads rows through prepared statements only, which return binary.
            return Err("TIMESTAMPTZ in text form".into());
        }
        let bytes: [u8; 8] = value
            .as_bytes()?
            .try_into()
            .map_err(|_| "TIMESTAMPTZ of a size other than 8 bytes")?;
        // `infinity` / `-infinity` are i64::MAX / MIN: the sum saturates (no overflow), and
        // the out-of-range instant is then `Error::CorruptRow` where it is read.
        Ok(Micros(
            i64::from_be_bytes(bytes).saturating_add(PG_EPOCH_MICROS),
        ))
    }
}
