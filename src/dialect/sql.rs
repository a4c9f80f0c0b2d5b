//! The store's SQL text, built once per store from validated identifiers.

use std::sync::Arc;

use super::private::Backend;
use crate::fields::CustomColumn;
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

impl ColumnType {
    /// How a value for a column of this family is bound.
    pub fn param_kind(self) -> ParamKind {
        match self {
            ColumnType::Timestamp => ParamKind::Time,
            ColumnType::Json => ParamKind::Json,
            ColumnType::SessionId
            | ColumnType::Text
            | ColumnType::Integer
            | ColumnType::Boolean => ParamKind::Plain,
        }
    }
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

/// The table the store works on: its (optional) schema, its name, its core columns
/// and the custom ones.
#[derive(Clone, Debug)]
pub struct TableDef {
    pub schema: Option<Ident>,
    pub table: Ident,
    pub sid: Ident,
    pub data: Ident,
    pub expires: Ident,
    /// `None` for an app-managed table without it.
    pub created_at: Option<Ident>,
    /// `None` for an app-managed table without it.
    pub updated_at: Option<Ident>,
    /// Custom columns, in declared order.
    pub extra: Vec<CustomColumn>,
}

/// One column of the table, as `migrate` creates it.
pub struct ColumnSpec<'a> {
    pub name: &'a Ident,
    pub ty: ColumnType,
    pub nullable: bool,
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
            created_at: Some(Ident::trusted("created_at")),
            updated_at: Some(Ident::trusted("updated_at")),
            extra: Vec::new(),
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

    /// The indexes `migrate` creates: (index name, column), the expiry one first.
    ///
    /// The expiry index is `<table>_expires_idx` whatever the column is called; a custom
    /// column's index also carries a hash of (table, column), so that no two tables'
    /// index names can meet (`a_b` + `c` and `a` + `b_c` would otherwise both be `a_b_c_idx`;
    /// PostgreSQL index names share one namespace per schema).
    pub fn indexes(&self) -> Vec<(String, &Ident)> {
        let table = self.table.as_str();
        let mut indexes = vec![(format!("{table}_expires_idx"), &self.expires)];
        for col in self.extra.iter().filter(|c| c.indexed) {
            let column = col.name.as_str();
            let pair = table.bytes().chain([b'.']).chain(column.bytes());
            let hash = fnv1a(pair) as u32;
            let mut name = format!("{table}_{column}");
            // Fits PostgreSQL's 63 bytes with `_<8 hex>_idx` (all ASCII: any cut is safe).
            name.truncate(63 - 13);
            indexes.push((format!("{name}_{hash:08x}_idx"), &col.name));
        }
        indexes
    }

    /// Every column, in table order: the core ones, then the custom ones.
    pub fn columns(&self) -> Vec<ColumnSpec<'_>> {
        let core = |name, ty| ColumnSpec {
            name,
            ty,
            nullable: false,
        };
        let mut cols = vec![
            core(&self.sid, ColumnType::SessionId),
            core(&self.data, ColumnType::Json),
            core(&self.expires, ColumnType::Timestamp),
        ];
        cols.extend(
            self.created_at
                .iter()
                .map(|c| core(c, ColumnType::Timestamp)),
        );
        cols.extend(
            self.updated_at
                .iter()
                .map(|c| core(c, ColumnType::Timestamp)),
        );
        cols.extend(self.extra.iter().map(|c| ColumnSpec {
            name: &c.name,
            ty: c.kind.column_type(),
            nullable: c.nullable,
        }));
        cols
    }

    /// `schema.table` for messages (unquoted: names are validated).
    pub fn display_name(&self) -> String {
        match &self.schema {
            Some(s) => format!("{}.{}", s.as_str(), self.table.as_str()),
            None => self.table.as_str().to_owned(),
        }
    }

    /// A stable 64-bit key naming this table, for advisory locks.
    pub fn lock_key(&self) -> i64 {
        let schema = self.schema.as_ref().map_or("", Ident::as_str);
        let name = schema
            .bytes()
            .chain([b'.'])
            .chain(self.table.as_str().bytes());
        fnv1a(name) as i64
    }
}

/// FNV-1a: stable across builds and processes (unlike `DefaultHasher`).
fn fnv1a(bytes: impl Iterator<Item = u8>) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
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
/// The comment on each field gives the order in which values are bound; `[updated]` and
/// `[created]` are present when the table has those columns, `extras` are the custom
/// column values in declared order.
#[derive(Debug)]
pub struct Statements {
    /// sid, now → (data text, expires micros)
    pub get: Arc<str>,
    /// sid, data, expires, [created], [updated], extras (insert or replace)
    pub upsert: Arc<str>,
    /// sid, data, expires, [created], [updated], extras (fails on an existing sid)
    pub insert: Arc<str>,
    /// data, expires, [updated], extras, sid, now (only an existing, live row)
    pub update: Arc<str>,
    /// data, [updated], extras, sid, now: `update` leaving the stored expiry as it is
    /// (so the expiry index is not touched, and PostgreSQL can update the row in place)
    pub update_data: Arc<str>,
    /// expires, [updated], sid, now[, expires - touch_after, expires + touch_after]
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
    /// schema name or NULL, table name → column names
    pub columns: Arc<str>,
    /// DDL for `migrate`
    pub create: Vec<Arc<str>>,
    /// Queries on each custom column, in declared order.
    pub by_column: Vec<ColumnQueries>,
}

/// The statements that select sessions by a custom column's value.
#[derive(Debug)]
pub struct ColumnQueries {
    /// value, now → sid
    pub ids: Arc<str>,
    /// value → rows deleted
    pub destroy: Arc<str>,
    /// value, now → (sid, data, expires micros, updated_at micros or NULL)
    pub list: Arc<str>,
}

impl Statements {
    pub fn new<DB: Backend>(def: &TableDef, touch_window: bool) -> Self {
        let t = def.qualified::<DB>();
        let q = |c: &Ident| DB::quote(c.as_str());
        let (sid, data, expires) = (q(&def.sid), q(&def.data), q(&def.expires));
        let updated_at = def.updated_at.as_ref().map(q);

        // The row's columns as written by insert/upsert/update, with their placeholder kinds.
        let mut written = vec![
            (data.clone(), ParamKind::Json),
            (expires.clone(), ParamKind::Time),
        ];
        written.extend(updated_at.iter().map(|c| (c.clone(), ParamKind::Time)));
        let extras: Vec<(String, ParamKind)> = def
            .extra
            .iter()
            .map(|c| (q(&c.name), c.kind.param_kind()))
            .collect();

        let mut p = Params::<DB>::new();
        let get = format!(
            "SELECT {}, {} FROM {t} WHERE {sid} = {} AND {expires} > {}",
            DB::json_expr(&data),
            DB::time_expr(&expires),
            p.next(ParamKind::Plain),
            p.next(ParamKind::Time),
        );

        // Every column, in table order: the order `RowValues::insert_args` binds them.
        let insert = {
            let cols = def.columns();
            let mut p = Params::<DB>::new();
            let names: Vec<String> = cols.iter().map(|c| q(c.name)).collect();
            let params: Vec<String> = cols.iter().map(|c| p.next(c.ty.param_kind())).collect();
            format!(
                "INSERT INTO {t} ({}) VALUES ({})",
                names.join(", "),
                params.join(", ")
            )
        };
        let on_update: Vec<String> = written
            .iter()
            .chain(&extras)
            .map(|(c, _)| c.clone())
            .collect();
        let upsert = format!("{insert} {}", DB::upsert_clause(&sid, &on_update));

        let update_of = |with_expires: bool| {
            let mut p = Params::<DB>::new();
            let sets: Vec<String> = written
                .iter()
                .chain(&extras)
                .filter(|(c, _)| with_expires || *c != expires)
                .map(|(c, k)| format!("{c} = {}", p.next(*k)))
                .collect();
            format!(
                "UPDATE {t} SET {} WHERE {sid} = {} AND {expires} > {}",
                sets.join(", "),
                p.next(ParamKind::Plain),
                p.next(ParamKind::Time)
            )
        };
        let update = update_of(true);
        let update_data = update_of(false);

        let touch = {
            let mut p = Params::<DB>::new();
            let mut sets = vec![format!("{expires} = {}", p.next(ParamKind::Time))];
            sets.extend(
                updated_at
                    .iter()
                    .map(|c| format!("{c} = {}", p.next(ParamKind::Time))),
            );
            let mut sql = format!(
                "UPDATE {t} SET {} WHERE {sid} = {} AND {expires} > {}",
                sets.join(", "),
                p.next(ParamKind::Plain),
                p.next(ParamKind::Time),
            );
            if touch_window {
                // Skip only when the stored expiry is within the window on either side.
                sql += &format!(
                    " AND ({expires} < {} OR {expires} > {})",
                    p.next(ParamKind::Time),
                    p.next(ParamKind::Time)
                );
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
            "SELECT {} FROM {t} WHERE {expires} > {}",
            DB::key_expr(&sid),
            p.next(ParamKind::Time)
        );

        let sid_out = DB::key_expr(&sid);
        let updated_expr = updated_at
            .as_deref()
            .map_or_else(|| "NULL".to_owned(), DB::time_expr);
        let by_column = def
            .extra
            .iter()
            .map(|col| {
                let c = q(&col.name);
                let kind = col.kind.param_kind();
                let mut p = Params::<DB>::new();
                let ids = format!(
                    "SELECT {sid_out} FROM {t} WHERE {c} = {} AND {expires} > {}",
                    p.next(kind),
                    p.next(ParamKind::Time)
                );
                let mut p = Params::<DB>::new();
                let destroy = format!("DELETE FROM {t} WHERE {c} = {}", p.next(kind));
                let mut p = Params::<DB>::new();
                let list = format!(
                    "SELECT {sid_out}, {}, {}, {updated_expr} FROM {t} \
                     WHERE {c} = {} AND {expires} > {} ORDER BY {expires} DESC",
                    DB::json_expr(&data),
                    DB::time_expr(&expires),
                    p.next(kind),
                    p.next(ParamKind::Time)
                );
                ColumnQueries {
                    ids: ids.into(),
                    destroy: destroy.into(),
                    list: list.into(),
                }
            })
            .collect();

        Self {
            get: get.into(),
            upsert: upsert.into(),
            insert: insert.into(),
            update: update.into(),
            update_data: update_data.into(),
            touch: touch.into(),
            destroy: destroy.into(),
            count: count.into(),
            clear: format!("DELETE FROM {t}").into(),
            ids: ids.into(),
            delete_expired: DB::delete_expired_batch(def).into(),
            columns: DB::COLUMNS_QUERY.into(),
            create: DB::create_table(def).into_iter().map(Into::into).collect(),
            by_column,
        }
    }
}

/// `ON CONFLICT (key) DO UPDATE SET c = excluded.c, ...` (PostgreSQL and SQLite).
#[cfg(any(feature = "sqlite", feature = "postgres"))]
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

/// `CREATE TABLE IF NOT EXISTS` with every column; `extra` is appended inside the
/// parentheses (MySQL's inline indexes).
pub fn create_table_sql<DB: Backend>(def: &TableDef, extra: &str) -> String {
    let columns: Vec<String> = def
        .columns()
        .iter()
        .map(|col| {
            let constraint = match (col.ty, col.nullable) {
                (ColumnType::SessionId, _) => " NOT NULL PRIMARY KEY",
                (_, false) => " NOT NULL",
                (_, true) => "",
            };
            format!(
                "    {} {}{constraint}",
                DB::quote(col.name.as_str()),
                DB::column_type(col.ty)
            )
        })
        .collect();
    format!(
        "CREATE TABLE IF NOT EXISTS {} (\n{}{extra}\n)",
        def.qualified::<DB>(),
        columns.join(",\n")
    )
}
