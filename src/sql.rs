//! Every statement the store runs, built once per store from the validated table model,
//! one small function each. Values are never part of the text: each is a placeholder.

use std::sync::Arc;

use crate::dialect::Dialect;
use crate::fields::ColumnKind;
use crate::ident::Ident;
use crate::options::Options;
use crate::schema::{ColumnType, CustomColumn, Table};

const TIME: ColumnType = ColumnType::Of(ColumnKind::Timestamp);
const JSON: ColumnType = ColumnType::Of(ColumnKind::Json);
const ID: ColumnType = ColumnType::SessionId;
const INT: ColumnType = ColumnType::Of(ColumnKind::Integer);

/// Whether an update writes the new expiry or keeps the stored one (inside `touch_after`,
/// so that the expiry index is left alone).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ExpiryWrite {
    New,
    Kept,
}

/// Whether an update writes over any version of the row, or only over the one its save
/// started from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Guard {
    AnyVersion,
    IfVersion,
}

/// The statements of one store, shared by its clones.
///
/// The comment on each field gives the order in which values are bound; `[updated]` and
/// `[created]` are present when the table has those columns, `custom` are the custom
/// column values in declared order.
#[derive(Debug)]
pub(crate) struct Statements {
    /// sid, now → (data text, expires micros[, version])
    pub get: Arc<str>,
    /// sid, data, expires, [created], [updated], [version], custom (insert or replace)
    pub upsert: Arc<str>,
    /// sid, data, expires, [created], [updated], [version], custom (fails on an existing sid)
    pub insert: Arc<str>,
    /// data, expires, [updated], [version], custom, sid, now (only an existing, live row)
    pub update: Arc<str>,
    /// data, [updated], [version], custom, sid, now: `update` leaving the stored expiry as
    /// it is (so the expiry index is not touched, and PostgreSQL can update the row in place)
    pub update_data: Arc<str>,
    /// `update` and `update_data` that write only over the version a save started from:
    /// their binds, then that version (before the lifetime cutoff). `None` without a
    /// version column.
    pub update_if: Option<[Arc<str>; 2]>,
    /// expires, [updated], sid, now[, expires - touch_after, expires + touch_after]
    pub touch: Arc<str>,
    /// sid
    pub destroy: Arc<str>,
    /// now[, created after] → count
    pub count: Arc<str>,
    /// (none)
    pub clear: Arc<str>,
    /// now[, created after] → sid
    pub ids: Arc<str>,
    /// now, limit
    pub delete_expired: Arc<str>,
    /// created before, limit: rows past `max_lifetime` (when set)
    pub delete_outlived: Option<Arc<str>>,
    /// pattern of hashed ids, last id seen, limit → (sid, data text) of the next rows whose
    /// id is not hashed, in id order
    pub plain_ids: Arc<str>,
    /// new sid, data, old sid
    pub rename_id: Arc<str>,
    /// schema name or NULL, table name → column names
    pub list_columns: Arc<str>,
    /// The DDL `migrate` runs.
    pub migrate: Vec<Arc<str>>,
    /// The queries on each custom column, in declared order.
    pub custom_column_queries: Vec<CustomColumnQueries>,
}

/// The statements that select sessions by a custom column's value.
#[derive(Debug)]
pub(crate) struct CustomColumnQueries {
    /// value, now[, created after] → sid
    pub ids: Arc<str>,
    /// value → rows deleted
    pub destroy: Arc<str>,
    /// value, now → (sid, data, expires micros, updated_at micros or NULL)
    pub list: Arc<str>,
}

impl Statements {
    /// With `touch_after`, `touch` skips a stored expiry inside the window; with
    /// `max_lifetime`, `get`, `update`,
    /// `update_data`, `update_if`, `touch`, `count`, `ids` and the custom-column `list` end
    /// with one more condition,
    /// `created_at > ?` (bound last).
    pub(crate) fn new<DB: Dialect>(table: &Table, options: &Options) -> Self {
        let touch_window = !options.touch_after.is_zero();
        let sql = Sql::<DB> {
            lifetime: options
                .max_lifetime
                .is_some()
                .then(|| table.created_at.as_ref().map(q::<DB>))
                .flatten(),
            ..Sql::<DB>::new(table)
        };
        Self {
            get: sql.get().into(),
            upsert: sql.upsert().into(),
            insert: sql.insert().into(),
            update: sql.update(ExpiryWrite::New, Guard::AnyVersion).into(),
            update_data: sql.update(ExpiryWrite::Kept, Guard::AnyVersion).into(),
            update_if: table.version.is_some().then(|| {
                [
                    sql.update(ExpiryWrite::New, Guard::IfVersion).into(),
                    sql.update(ExpiryWrite::Kept, Guard::IfVersion).into(),
                ]
            }),
            touch: sql.touch(touch_window).into(),
            destroy: sql.destroy().into(),
            count: sql.count().into(),
            clear: format!("DELETE FROM {}", sql.table).into(),
            ids: sql.ids().into(),
            delete_expired: DB::delete_expired_batch(table).into(),
            delete_outlived: sql.lifetime.as_ref().and_then(|_| {
                let created = table.created_at.clone()?;
                // The same batched delete, on the creation time instead of the expiry.
                let by_creation = Table {
                    expires: created,
                    ..table.clone()
                };
                Some(DB::delete_expired_batch(&by_creation).into())
            }),
            plain_ids: sql.plain_ids().into(),
            rename_id: sql.rename_id().into(),
            list_columns: DB::COLUMNS_QUERY.into(),
            migrate: DB::create_table(table)
                .into_iter()
                .map(Into::into)
                .collect(),
            custom_column_queries: table
                .custom_columns
                .iter()
                .map(|c| sql.custom_column_queries(c))
                .collect(),
        }
    }
}

/// The table's quoted names, and the statements built from them.
struct Sql<'t, DB> {
    model: &'t Table,
    /// The qualified, quoted table name.
    table: String,
    sid: String,
    data: String,
    expires: String,
    updated_at: Option<String>,
    version: Option<String>,
    /// The quoted `created_at` column when `max_lifetime` is set.
    lifetime: Option<String>,
    _db: std::marker::PhantomData<DB>,
}

impl<'t, DB: Dialect> Sql<'t, DB> {
    fn new(model: &'t Table) -> Self {
        Self {
            model,
            table: DB::qualified(model),
            sid: q::<DB>(&model.sid),
            data: q::<DB>(&model.data),
            expires: q::<DB>(&model.expires),
            updated_at: model.updated_at.as_ref().map(q::<DB>),
            version: model.version.as_ref().map(q::<DB>),
            lifetime: None,
            _db: std::marker::PhantomData,
        }
    }

    fn get(&self) -> String {
        let mut p = Placeholders::<DB>::default();
        let version = self
            .version
            .as_ref()
            .map_or_else(String::new, |v| format!(", {v}"));
        format!(
            "SELECT {}, {}{version} FROM {} WHERE {} = {} AND {} > {}",
            DB::json_expr(&self.data),
            DB::time_expr(&self.expires),
            self.table,
            self.sid,
            p.next(ID),
            self.expires,
            p.next(TIME),
        ) + self.within_lifetime(&mut p).as_str()
    }

    /// ` AND created_at > ?` when `max_lifetime` is set, else nothing.
    fn within_lifetime(&self, p: &mut Placeholders<DB>) -> String {
        self.lifetime
            .as_ref()
            .map_or_else(String::new, |c| format!(" AND {c} > {}", p.next(TIME)))
    }

    /// Every column, in table order: the order `RowValues::insert_args` binds them.
    fn insert(&self) -> String {
        let cols = self.model.columns();
        let mut p = Placeholders::<DB>::default();
        let names: Vec<String> = cols.iter().map(|c| q::<DB>(c.name)).collect();
        let values: Vec<String> = cols.iter().map(|c| p.next(c.ty)).collect();
        format!(
            "INSERT INTO {} ({}) VALUES ({})",
            self.table,
            names.join(", "),
            values.join(", ")
        )
    }

    fn upsert(&self) -> String {
        let rewritten: Vec<String> = self
            .data_columns(ExpiryWrite::New)
            .into_iter()
            .map(|(c, _)| c)
            .collect();
        format!(
            "{} {}",
            self.insert(),
            DB::upsert_clause(&self.sid, &rewritten)
        )
    }

    /// The columns a write of the session data sets, with their types, in bind order:
    /// data, [expires], [updated_at], [version], custom columns.
    fn data_columns(&self, expiry: ExpiryWrite) -> Vec<(String, ColumnType)> {
        let mut cols = vec![(self.data.clone(), JSON)];
        if expiry == ExpiryWrite::New {
            cols.push((self.expires.clone(), TIME));
        }
        cols.extend(self.updated_at.iter().map(|c| (c.clone(), TIME)));
        cols.extend(self.version.iter().map(|c| (c.clone(), INT)));
        cols.extend(
            self.model
                .custom_columns
                .iter()
                .map(|c| (q::<DB>(&c.name), ColumnType::Of(c.kind))),
        );
        cols
    }

    /// Only an existing, live row: a destroyed or expired session is never revived.
    /// `Guard::IfVersion`: only while the row's version is the one bound after `now`.
    fn update(&self, expiry: ExpiryWrite, guard: Guard) -> String {
        let mut p = Placeholders::<DB>::default();
        let sets: Vec<String> = self
            .data_columns(expiry)
            .into_iter()
            .map(|(c, ty)| format!("{c} = {}", p.next(ty)))
            .collect();
        format!(
            "UPDATE {} SET {} WHERE {} = {} AND {} > {}",
            self.table,
            sets.join(", "),
            self.sid,
            p.next(ID),
            self.expires,
            p.next(TIME)
        ) + self.same_version(guard, &mut p).as_str()
            + self.within_lifetime(&mut p).as_str()
    }

    /// ` AND version = ?` when asked for and the table has the column, else nothing.
    fn same_version(&self, guard: Guard, p: &mut Placeholders<DB>) -> String {
        match &self.version {
            Some(v) if guard == Guard::IfVersion => format!(" AND {v} = {}", p.next(INT)),
            _ => String::new(),
        }
    }

    fn touch(&self, window: bool) -> String {
        let mut p = Placeholders::<DB>::default();
        let mut sets = vec![format!("{} = {}", self.expires, p.next(TIME))];
        sets.extend(
            self.updated_at
                .iter()
                .map(|c| format!("{c} = {}", p.next(TIME))),
        );
        let mut sql = format!(
            "UPDATE {} SET {} WHERE {} = {} AND {} > {}",
            self.table,
            sets.join(", "),
            self.sid,
            p.next(ID),
            self.expires,
            p.next(TIME),
        );
        if window {
            // Skip only when the stored expiry is within the window on either side.
            let e = &self.expires;
            sql += &format!(" AND ({e} < {} OR {e} > {})", p.next(TIME), p.next(TIME));
        }
        sql + self.within_lifetime(&mut p).as_str()
    }

    fn plain_ids(&self) -> String {
        let mut p = Placeholders::<DB>::default();
        format!(
            "SELECT {}, {} FROM {} WHERE {} NOT LIKE {} AND {} > {} ORDER BY {} LIMIT {}",
            DB::key_expr(&self.sid),
            DB::json_expr(&self.data),
            self.table,
            self.sid,
            p.next(ID),
            self.sid,
            p.next(ID),
            self.sid,
            p.next(INT),
        )
    }

    fn rename_id(&self) -> String {
        let mut p = Placeholders::<DB>::default();
        format!(
            "UPDATE {} SET {} = {}, {} = {} WHERE {} = {}",
            self.table,
            self.sid,
            p.next(ID),
            self.data,
            p.next(JSON),
            self.sid,
            p.next(ID),
        )
    }

    fn destroy(&self) -> String {
        let mut p = Placeholders::<DB>::default();
        format!(
            "DELETE FROM {} WHERE {} = {}",
            self.table,
            self.sid,
            p.next(ID)
        )
    }

    fn count(&self) -> String {
        let mut p = Placeholders::<DB>::default();
        format!(
            "SELECT COUNT(*) FROM {} WHERE {} > {}",
            self.table,
            self.expires,
            p.next(TIME)
        ) + self.within_lifetime(&mut p).as_str()
    }

    fn ids(&self) -> String {
        let mut p = Placeholders::<DB>::default();
        format!(
            "SELECT {} FROM {} WHERE {} > {}",
            DB::key_expr(&self.sid),
            self.table,
            self.expires,
            p.next(TIME)
        ) + self.within_lifetime(&mut p).as_str()
    }

    fn custom_column_queries(&self, col: &CustomColumn) -> CustomColumnQueries {
        let (t, e) = (&self.table, &self.expires);
        let c = q::<DB>(&col.name);
        let ty = ColumnType::Of(col.kind);
        let sid = DB::key_expr(&self.sid);
        let updated = self
            .updated_at
            .as_deref()
            .map_or_else(|| "NULL".to_owned(), DB::time_expr);
        let mut p = Placeholders::<DB>::default();
        let ids = format!(
            "SELECT {sid} FROM {t} WHERE {c} = {} AND {e} > {}{}",
            p.next(ty),
            p.next(TIME),
            self.within_lifetime(&mut p),
        );
        let mut p = Placeholders::<DB>::default();
        let destroy = format!("DELETE FROM {t} WHERE {c} = {}", p.next(ty));
        let mut p = Placeholders::<DB>::default();
        let list = format!(
            "SELECT {sid}, {}, {}, {updated} FROM {t} WHERE {c} = {} AND {e} > {}{} ORDER BY {e} DESC",
            DB::json_expr(&self.data),
            DB::time_expr(e),
            p.next(ty),
            p.next(TIME),
            self.within_lifetime(&mut p),
        );
        CustomColumnQueries {
            ids: ids.into(),
            destroy: destroy.into(),
            list: list.into(),
        }
    }
}

fn q<DB: Dialect>(ident: &Ident) -> String {
    DB::quote(ident.as_str())
}

/// Numbers placeholders in the order values are bound.
struct Placeholders<DB> {
    n: usize,
    _db: std::marker::PhantomData<DB>,
}

impl<DB> Default for Placeholders<DB> {
    fn default() -> Self {
        Self {
            n: 0,
            _db: std::marker::PhantomData,
        }
    }
}

impl<DB: Dialect> Placeholders<DB> {
    fn next(&mut self, ty: ColumnType) -> String {
        self.n += 1;
        DB::placeholder(self.n, ty)
    }
}

/// The statements of each dialect as golden files (`golden/*.sql`).
#[cfg(all(
    test,
    feature = "sqlite",
    feature = "postgres",
    feature = "mysql",
    feature = "runtime-tokio"
))]
mod golden;
