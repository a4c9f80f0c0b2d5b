//! The store's SQL text, built once per store from validated identifiers.

use std::sync::Arc;

use super::private::Backend;
use crate::ident::Ident;

/// The family of a column, mapped to a concrete SQL type by each dialect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnType {
    /// The session id: the primary key.
    SessionId,
    /// JSON stored as text (the session data, or a custom JSON column).
    Json,
    /// A UTC instant.
    Timestamp,
    /// Short text (indexable on every dialect).
    Text,
    /// A 64-bit integer.
    Integer,
    /// A boolean.
    Boolean,
}

/// How a placeholder must be written for the value bound to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamKind {
    /// Bound as its own type.
    Plain,
    /// JSON, bound as text.
    Json,
    /// A timestamp, bound as the dialect's `time_value`.
    Time,
}

/// The table the store works on: its (optional) schema, its name and its core columns.
#[derive(Clone, Debug)]
pub struct TableDef {
    pub schema: Option<Ident>,
    pub table: Ident,
    pub sid: Ident,
    pub data: Ident,
    pub expires: Ident,
    pub created_at: Ident,
    pub updated_at: Ident,
}

impl Default for TableDef {
    /// The default table `sessions` with the default column names.
    fn default() -> Self {
        Self {
            schema: None,
            table: Ident::trusted(crate::config::DEFAULT_TABLE_NAME),
            sid: Ident::trusted("sid"),
            data: Ident::trusted("data"),
            expires: Ident::trusted("expires"),
            created_at: Ident::trusted("created_at"),
            updated_at: Ident::trusted("updated_at"),
        }
    }
}

impl TableDef {
    /// `"schema"."table"` or `"table"`, quoted for `DB`.
    pub fn qualified<DB: Backend>(&self) -> String {
        match &self.schema {
            Some(schema) => format!("{}.{}", DB::quote(schema.as_str()), self.quoted::<DB>()),
            None => self.quoted::<DB>(),
        }
    }

    /// The bare table name, quoted.
    pub fn quoted<DB: Backend>(&self) -> String {
        DB::quote(self.table.as_str())
    }

    /// The name of the index on the expiry column (fits: table names are at most 48 bytes).
    pub fn expires_index(&self) -> String {
        format!("{}_expires_idx", self.table.as_str())
    }

    /// The core columns with their families, in table order.
    pub fn columns(&self) -> [(&Ident, ColumnType); 5] {
        [
            (&self.sid, ColumnType::SessionId),
            (&self.data, ColumnType::Json),
            (&self.expires, ColumnType::Timestamp),
            (&self.created_at, ColumnType::Timestamp),
            (&self.updated_at, ColumnType::Timestamp),
        ]
    }

    /// A stable 64-bit key naming this table, for advisory locks.
    pub fn lock_key(&self) -> i64 {
        // FNV-1a: stable across builds and processes (unlike `DefaultHasher`).
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        let schema = self.schema.as_ref().map_or("", Ident::as_str);
        for byte in schema
            .bytes()
            .chain([b'.'])
            .chain(self.table.as_str().bytes())
        {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        hash as i64
    }
}

/// Numbers placeholders in the order values are bound.
struct Params<DB> {
    n: usize,
    _db: std::marker::PhantomData<DB>,
}

impl<DB: Backend> Params<DB> {
    fn new() -> Self {
        Self {
            n: 0,
            _db: std::marker::PhantomData,
        }
    }

    fn next(&mut self, kind: ParamKind) -> String {
        self.n += 1;
        DB::param(self.n, kind)
    }
}

/// Every statement the store runs, built once per store and shared.
///
/// The comment on each field gives the order in which values are bound.
#[derive(Debug)]
pub struct Statements {
    /// sid, now → (data text, expires micros)
    pub get: Arc<str>,
    /// sid, data, expires, created_at, updated_at (insert or replace data and expiry)
    pub upsert: Arc<str>,
    /// sid, data, expires, created_at, updated_at (fails on an existing sid)
    pub insert: Arc<str>,
    /// data, expires, updated_at, sid (only an existing row)
    pub update: Arc<str>,
    /// expires, updated_at, sid, now[, expires - touch_after]
    pub touch: Arc<str>,
    /// sid
    pub destroy: Arc<str>,
    /// now → count
    pub count: Arc<str>,
    /// (none)
    pub clear: Arc<str>,
    /// now → sid
    pub ids: Arc<str>,
    /// now, limit
    pub delete_expired: Arc<str>,
    /// DDL for `migrate`
    pub create: Vec<Arc<str>>,
}

impl Statements {
    pub fn new<DB: Backend>(def: &TableDef, touch_window: bool) -> Self {
        let t = def.qualified::<DB>();
        let q = |c: &Ident| DB::quote(c.as_str());
        let (sid, data, expires) = (q(&def.sid), q(&def.data), q(&def.expires));
        let (created_at, updated_at) = (q(&def.created_at), q(&def.updated_at));

        let get = {
            let mut p = Params::<DB>::new();
            format!(
                "SELECT {}, {} FROM {t} WHERE {sid} = {} AND {expires} > {}",
                DB::json_expr(&data),
                DB::time_expr(&expires),
                p.next(ParamKind::Plain),
                p.next(ParamKind::Time),
            )
        };

        let insert = {
            let mut p = Params::<DB>::new();
            format!(
                "INSERT INTO {t} ({sid}, {data}, {expires}, {created_at}, {updated_at}) \
                 VALUES ({}, {}, {}, {}, {})",
                p.next(ParamKind::Plain),
                p.next(ParamKind::Json),
                p.next(ParamKind::Time),
                p.next(ParamKind::Time),
                p.next(ParamKind::Time),
            )
        };
        let upsert = format!(
            "{insert} {}",
            DB::upsert_clause(&sid, &[data.clone(), expires.clone(), updated_at.clone()])
        );

        let update = {
            let mut p = Params::<DB>::new();
            format!(
                "UPDATE {t} SET {data} = {}, {expires} = {}, {updated_at} = {} WHERE {sid} = {}",
                p.next(ParamKind::Json),
                p.next(ParamKind::Time),
                p.next(ParamKind::Time),
                p.next(ParamKind::Plain),
            )
        };

        let touch = {
            let mut p = Params::<DB>::new();
            let mut sql = format!(
                "UPDATE {t} SET {expires} = {}, {updated_at} = {} WHERE {sid} = {} AND {expires} > {}",
                p.next(ParamKind::Time),
                p.next(ParamKind::Time),
                p.next(ParamKind::Plain),
                p.next(ParamKind::Time),
            );
            if touch_window {
                sql += &format!(" AND {expires} < {}", p.next(ParamKind::Time));
            }
            sql
        };

        let mut p = Params::<DB>::new();
        let destroy = format!("DELETE FROM {t} WHERE {sid} = {}", p.next(ParamKind::Plain));
        let mut p = Params::<DB>::new();
        let count = format!(
            "SELECT COUNT(*) FROM {t} WHERE {expires} > {}",
            p.next(ParamKind::Time)
        );
        let mut p = Params::<DB>::new();
        let ids = format!(
            "SELECT {sid} FROM {t} WHERE {expires} > {}",
            p.next(ParamKind::Time)
        );

        Self {
            get: get.into(),
            upsert: upsert.into(),
            insert: insert.into(),
            update: update.into(),
            touch: touch.into(),
            destroy: destroy.into(),
            count: count.into(),
            clear: format!("DELETE FROM {t}").into(),
            ids: ids.into(),
            delete_expired: DB::delete_expired_batch(def).into(),
            create: DB::create_table(def).into_iter().map(Into::into).collect(),
        }
    }
}

/// `ON CONFLICT (key) DO UPDATE SET c = excluded.c, ...` (PostgreSQL and SQLite).
pub fn on_conflict_clause(quoted_key: &str, quoted_cols: &[String]) -> String {
    let sets: Vec<String> = quoted_cols
        .iter()
        .map(|c| format!("{c} = excluded.{c}"))
        .collect();
    format!(
        "ON CONFLICT ({quoted_key}) DO UPDATE SET {}",
        sets.join(", ")
    )
}

/// `CREATE TABLE IF NOT EXISTS` with the core columns; `extra` is appended inside the
/// parentheses (MySQL's inline index).
pub fn create_table_sql<DB: Backend>(def: &TableDef, extra: &str) -> String {
    let columns: Vec<String> = def
        .columns()
        .iter()
        .map(|(name, ty)| {
            let key = if *ty == ColumnType::SessionId {
                " PRIMARY KEY"
            } else {
                ""
            };
            format!(
                "    {} {} NOT NULL{key}",
                DB::quote(name.as_str()),
                DB::column_type(*ty)
            )
        })
        .collect();
    format!(
        "CREATE TABLE IF NOT EXISTS {} (\n{}{extra}\n)",
        def.qualified::<DB>(),
        columns.join(",\n")
    )
}
