//! Golden files of the SQL each dialect runs: `golden/<dialect>.sql` holds every statement
//! of [`Statements`] for a few tables, so that a reviewer sees the SQL (and how a change to
//! the builder changes it) without reading the builder. The test renders the statements
//! again and compares them with the file; `UPDATE_GOLDEN=1` writes the file instead.
//!
//! Regenerate: `UPDATE_GOLDEN=1 cargo test --all-features --lib golden`.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use sqlx::Pool;

use super::Statements;
use crate::dialect::Dialect;
use crate::{Column, SqlStore};

/// One labelled statement of the rendering (or a note that a statement is absent).
struct Entry {
    label: String,
    /// The bind order, from the field's documentation.
    binds: &'static str,
    sql: Option<String>,
}

/// The tables the files cover: (name, what it is, the builder's settings).
type Case<DB> = (
    &'static str,
    &'static str,
    fn(crate::Builder<DB>) -> crate::Builder<DB>,
);

fn cases<DB: Dialect>() -> Vec<Case<DB>> {
    vec![
        ("default", "`sessions`, default columns and options", |b| b),
        (
            "custom",
            "schema-qualified table, renamed core columns, custom columns (indexed and not, \
             every kind), max_lifetime 30 days, touch_after 1 h, version column renamed",
            |b| customised(b).version_column("rev"),
        ),
        (
            "custom_no_version",
            "the `custom` table without a version column",
            |b| customised(b).without_version_column(),
        ),
        (
            "minimal",
            "no timestamp or version columns, one custom column, no max_lifetime, touch_after 0 \
             (every refresh writes)",
            |b| {
                b.table_name("bare")
                    .touch_after(Duration::ZERO)
                    .without_timestamp_columns()
                    .without_version_column()
                    .column(Column::text("owner").nullable(false).indexed(true))
            },
        ),
    ]
}

fn customised<DB: Dialect>(b: crate::Builder<DB>) -> crate::Builder<DB> {
    b.schema_name("app")
        .table_name("web_sessions")
        .sid_column("session_key")
        .data_column("payload")
        .expires_column("expires_at")
        .created_at_column("born_at")
        .updated_at_column("changed_at")
        .column(Column::integer("user_id").nullable(false).indexed(true))
        .column(Column::text("tenant").indexed(true))
        .column(Column::boolean("remember"))
        .column(Column::timestamp("last_login").indexed(true))
        .column(Column::json("meta"))
        .max_lifetime(Duration::from_secs(30 * 24 * 3600))
        .touch_after(Duration::from_secs(3600))
}

fn entries(s: &Statements) -> Vec<Entry> {
    let one = |label: &str, binds, sql: &str| Entry {
        label: label.to_owned(),
        binds,
        sql: Some(sql.to_owned()),
    };
    let maybe = |label: &str, binds, sql: Option<&str>| Entry {
        label: label.to_owned(),
        binds,
        sql: sql.map(str::to_owned),
    };
    let mut out = vec![
        one(
            "get",
            "sid, now[, created after] -> data text, expires micros[, version]",
            &s.get,
        ),
        one(
            "upsert",
            "sid, data, expires, [created], [updated], [version], custom",
            &s.upsert,
        ),
        one(
            "insert",
            "sid, data, expires, [created], [updated], [version], custom",
            &s.insert,
        ),
        one(
            "update",
            "data, expires, [updated], [version], custom, sid, now[, created after]",
            &s.update,
        ),
        one(
            "update_data",
            "data, [updated], [version], custom, sid, now[, created after]",
            &s.update_data,
        ),
    ];
    let update_if = "the binds of `update`/`update_data`, then the version (before created after)";
    match &s.update_if {
        Some([new, kept]) => {
            out.push(one("update_if[0] (new expiry)", update_if, new));
            out.push(one("update_if[1] (kept expiry)", update_if, kept));
        }
        None => out.push(maybe("update_if", "no version column", None)),
    }
    out.extend([
        one("touch", "expires, [updated], sid, now[, expires - touch_after, expires + touch_after][, created after]", &s.touch),
        one("destroy", "sid", &s.destroy),
        one("count", "now[, created after] -> count", &s.count),
        one("clear", "(none)", &s.clear),
        one("ids", "now[, created after] -> sid", &s.ids),
        one("delete_expired", "now, limit", &s.delete_expired),
        maybe("delete_outlived", "created before, limit (only with max_lifetime)", s.delete_outlived.as_deref()),
        one("plain_ids", "pattern of hashed ids, last id seen, limit -> sid, data text", &s.plain_ids),
        one("rename_id", "new sid, data, old sid", &s.rename_id),
        one("list_columns", "schema or NULL, table name -> column name, declared type, is unique key", &s.list_columns),
    ]);
    for (i, ddl) in s.migrate.iter().enumerate() {
        out.push(one(&format!("migrate[{i}]"), "(none)", ddl));
    }
    for (i, c) in s.custom_column_queries.iter().enumerate() {
        let label = |what| format!("custom_column_queries[{i}].{what}");
        out.push(one(
            &label("ids"),
            "value, now[, created after] -> sid",
            &c.ids,
        ));
        out.push(one(&label("destroy"), "value -> rows deleted", &c.destroy));
        out.push(one(
            &label("list"),
            "value, now[, created after] -> sid, data, expires micros, updated micros or NULL",
            &c.list,
        ));
    }
    out
}

/// The blocks of the file, each a `-- label` line, a bind comment and the statement;
/// blocks are separated by blank lines.
fn render<DB: Dialect>(dialect: &str, pool: Pool<DB>) -> (String, Vec<(String, String)>) {
    let mut header = String::new();
    let _ = write!(
        header,
        "-- GENERATED FILE: every statement sqlx-session-store runs on {dialect}, as built by\n\
         -- src/sql.rs (Statements::new), checked by the `golden` test in src/sql/golden.rs.\n\
         -- Do not edit by hand; regenerate and review the diff:\n\
         --     UPDATE_GOLDEN=1 cargo test --all-features --lib golden\n\
         -- Each statement is headed by `-- <table case> / <Statements field>` and its bind order\n\
         -- (`[x]`: when the table has that column or option; `custom`: custom column values).\n\
         -- Not included: the lock and transaction statements of src/dialect/*.rs (advisory\n\
         -- locks, GET_LOCK / RELEASE_LOCK, BEGIN / COMMIT), literals where they are run."
    );
    let mut blocks = Vec::new();
    for (name, about, settings) in cases::<DB>() {
        let store = settings(SqlStore::builder(pool.clone()))
            .build()
            .unwrap_or_else(|e| panic!("case {name}: {e}"));
        blocks.push((
            format!("{name} (table)"),
            format!(
                "-- ==== {name}: {about} ====\n-- table: {}",
                store.table().display_name()
            ),
        ));
        for e in entries(store.statements()) {
            let label = format!("{name} / {}", e.label);
            let body = match &e.sql {
                Some(sql) => format!("-- {label}\n-- binds: {}\n{sql};", e.binds),
                None => format!("-- {label}: none ({})", e.binds),
            };
            blocks.push((label, body));
        }
    }
    (header, blocks)
}

fn check<DB: Dialect>(dialect: &str, file: &str, pool: Pool<DB>) {
    let (header, blocks) = render(dialect, pool);
    let rendered = std::iter::once(header)
        .chain(blocks.iter().map(|(_, b)| b.clone()))
        .collect::<Vec<_>>()
        .join("\n\n")
        + "\n";
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "golden", file]
        .iter()
        .collect();
    if std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().expect("golden/")).expect("create golden/");
        std::fs::write(&path, &rendered).unwrap_or_else(|e| panic!("write {path:?}: {e}"));
        return;
    }
    let regenerate = "regenerate with `UPDATE_GOLDEN=1 cargo test --all-features --lib golden` \
                      and review the diff";
    let stored = match std::fs::read_to_string(&path) {
        Ok(s) => s.replace("\r\n", "\n"),
        Err(e) => panic!("cannot read {}: {e}; {regenerate}", path.display()),
    };
    if stored == rendered {
        return;
    }
    // The file's blocks, split as they were joined: the header, then one per statement.
    let stored_blocks: Vec<&str> = stored.trim_end().split("\n\n").collect();
    let rendered_blocks: Vec<&str> = rendered.trim_end().split("\n\n").collect();
    let labels: Vec<&str> = std::iter::once("(file header)")
        .chain(blocks.iter().map(|(l, _)| l.as_str()))
        .collect();
    let first = (0..stored_blocks.len().max(rendered_blocks.len()))
        .find(|&i| stored_blocks.get(i) != rendered_blocks.get(i))
        .unwrap_or(0);
    let label = labels
        .get(first)
        .copied()
        .unwrap_or("(past the last statement)");
    panic!(
        "golden/{file} does not match the statements src/sql.rs builds for {dialect}: \
         the first difference is in `{label}`.\n\
         --- golden/{file}:\n{}\n--- built now:\n{}\n\
         If the change is intended, {regenerate}.",
        stored_blocks.get(first).unwrap_or(&"(nothing)"),
        rendered_blocks.get(first).unwrap_or(&"(nothing)"),
    );
}

// `connect_lazy` never connects; the pools only let the public builder make the stores.

#[tokio::test]
async fn sqlite() {
    let pool = sqlx::SqlitePool::connect_lazy("sqlite::memory:").expect("lazy pool");
    check("SQLite", "sqlite.sql", pool);
}

#[tokio::test]
async fn postgres() {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .connect_lazy("postgres://postgres@127.0.0.1:5432/test")
        .expect("lazy pool");
    check("PostgreSQL", "postgres.sql", pool);
}

#[tokio::test]
async fn mysql() {
    let pool = sqlx::mysql::MySqlPoolOptions::new()
        .connect_lazy("mysql://root@127.0.0.1:3306/test")
        .expect("lazy pool");
    check("MySQL / MariaDB", "mysql.sql", pool);
}
