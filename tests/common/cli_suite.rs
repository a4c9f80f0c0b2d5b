//! The `sqlx-session-store` command line (feature `cli`) on every backend: the built binary
//! run against this test's own table, its results checked through the library and raw SQL.

#![allow(dead_code)]

use std::process::Stdio;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{json, Value};
use sqlx::Pool;
use sqlx_session_store::{Column, DefaultFields, Fields, SessionHandle, SqlStore};
use tokio::io::AsyncWriteExt;

use super::backend::{Backend, Ctx};
use super::setup::{micros, pool_or_skip, raw_count};

/// Registers every test of this file for `$backend`: one `#[tokio::test]` per suite
/// function (called from `tests/{sqlite,postgres,mysql}.rs` under feature `cli`;
/// `tests/suite_registration.rs` checks the list).
#[macro_export]
macro_rules! cli_suite {
    ($backend:ty) => {
        $crate::suite_tests!($backend; cli_suite:
            migrate_then_verify,
            verify_refuses_a_missing_table_or_column,
            print_sql_prints_the_ddl_and_creates_nothing,
            stats_counts_exactly,
            purge_dry_run_counts_and_deletes_nothing,
            purge_in_batches_deletes_exactly_the_expired,
            purge_with_max_lifetime_deletes_outlived_sessions,
            list_and_revoke_by_handle_under_hashed_ids,
            unknown_columns_and_bad_values_change_nothing,
            bad_urls_are_bad_input_and_unreachable_servers_a_failure,
        );
    };
}

/// How the command line reaches each backend's test database.
pub trait CliBackend: Backend {
    /// The URL of this test's database.
    fn cli_url(ctx: &Ctx) -> String;
    /// URLs of this scheme that are bad input (they do not parse, or name no database).
    /// A password in one (`s3cret`) is never shown.
    const BAD_URLS: &'static [&'static str];
    /// A well-formed URL of a server that is not there (nothing listens on port 1).
    const UNREACHABLE_URL: Option<&'static str>;
}

impl CliBackend for super::backend::Sqlite {
    fn cli_url(ctx: &Ctx) -> String {
        format!("sqlite:{}", Self::path(ctx).display())
    }
    const BAD_URLS: &'static [&'static str] = &[
        "sqlite:/nonexistent-dir-of-sqlx-session-store/sessions.db",
        "sqlite:/tmp/x.db?mode=bogus",
    ];
    const UNREACHABLE_URL: Option<&'static str> = None;
}

impl CliBackend for super::backend::Postgres {
    fn cli_url(_ctx: &Ctx) -> String {
        Self::url()
    }
    const BAD_URLS: &'static [&'static str] = &[
        "postgres://user:s3cret@localhost:notaport/test",
        "postgresql://user@localhost/test?sslmode=bogus",
    ];
    const UNREACHABLE_URL: Option<&'static str> = Some("postgres://postgres@127.0.0.1:1/test");
}

impl CliBackend for super::backend::MySql {
    fn cli_url(_ctx: &Ctx) -> String {
        Self::url()
    }
    const BAD_URLS: &'static [&'static str] = &[
        "mysql://user:s3cret@localhost:notaport/test",
        "mariadb://user@localhost/test?ssl-mode=bogus",
    ];
    const UNREACHABLE_URL: Option<&'static str> = Some("mysql://root@127.0.0.1:1/test");
}

/// One run of the command line.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Its stdout as the one JSON document it must be.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}): {self:?}"))
    }

    #[track_caller]
    pub fn succeeded(&self) -> &Self {
        assert_eq!(self.code, 0, "{self:?}");
        self
    }

    /// Exit code 2 with one `error: ...` line on stderr and nothing on stdout.
    #[track_caller]
    pub fn bad_input(&self) -> &Self {
        assert_eq!(self.code, 2, "{self:?}");
        assert!(self.stdout.is_empty(), "{self:?}");
        assert!(
            self.stderr.starts_with("error: ") && self.stderr.trim_end().lines().count() == 1,
            "one error line: {self:?}"
        );
        self
    }
}

/// Runs the command line with `args` (global options and command) and `stdin`.
async fn run_with(url: &str, args: &[&str], stdin: Option<&str>) -> Run {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_sqlx-session-store"))
        .arg("--url")
        .arg(url)
        .args(args)
        .env_remove("DATABASE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run the command line");
    let mut input = child.stdin.take().expect("stdin");
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).await.expect("write stdin");
    }
    drop(input);
    let out = child
        .wait_with_output()
        .await
        .expect("the command line ran");
    Run {
        code: out.status.code().expect("an exit code, not a signal"),
        stdout: String::from_utf8(out.stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("UTF-8 stderr"),
    }
}

/// Runs the command line on table `table` of this test's database.
async fn cli<B: CliBackend>(ctx: &Ctx, table: &str, args: &[&str]) -> Run {
    let mut all = vec!["--table", table];
    all.extend_from_slice(args);
    run_with(&B::cli_url(ctx), &all, None).await
}

/// `builder` with an indexed `user_id` column filled from the data.
fn with_user_id<DB: sqlx_session_store::Dialect>(
    builder: sqlx_session_store::Builder<DB>,
) -> sqlx_session_store::Builder<DB> {
    builder
        .column(Column::integer("user_id").indexed(true))
        .extend_default_fields(|d: &DefaultFields<'_>| {
            Fields::new().with("user_id", d.data["user_id"].as_i64())
        })
}

/// A migrated store on `table` with a `user_id` column (and hashed ids when asked).
async fn user_store<B: Backend>(
    pool: &Pool<B::DB>,
    table: &str,
    hash_ids: bool,
) -> SqlStore<B::DB> {
    let s = with_user_id(SqlStore::builder(pool.clone()).table_name(table))
        .hash_ids(hash_ids)
        .build()
        .unwrap();
    s.migrate().await.unwrap();
    s
}

/// Sets each `(id, user, expiry in minutes from now)`; the expiries as stored.
async fn set_sessions<DB: sqlx_session_store::Dialect>(
    s: &SqlStore<DB>,
    sessions: &[(&str, i64, i64)],
) -> Vec<DateTime<Utc>> {
    let mut expiries = Vec::new();
    for &(sid, user, minutes) in sessions {
        let expires = micros(Utc::now() + TimeDelta::minutes(minutes));
        s.set(sid, &json!({ "user_id": user }), Some(expires))
            .await
            .unwrap();
        expiries.push(expires);
    }
    expiries
}

/// `args` after `--hash-ids`.
fn hashed<'a>(args: &[&'a str]) -> Vec<&'a str> {
    [&["--hash-ids"][..], args].concat()
}

fn time(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().expect("an RFC 3339 string"))
        .expect("RFC 3339")
        .with_timezone(&Utc)
}

/// Live and expired sessions of three users: (id, user, expiry in minutes).
const MIXED: [(&str, i64, i64); 5] = [
    ("cli-live-a", 7, 60),
    ("cli-live-b", 7, 120),
    ("cli-live-c", 8, 180),
    ("cli-expired-d", 7, -60),
    ("cli-expired-e", 9, -120),
];

pub async fn migrate_then_verify<B: Backend + CliBackend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    let table = ctx.table("mv");
    // Before migrate the table is missing: bad input, named in the one error line.
    let missing = cli::<B>(&ctx, &table, &["verify"]).await;
    missing.bad_input();
    assert!(missing.stderr.contains(&table), "{missing:?}");

    let migrated = cli::<B>(&ctx, &table, &["migrate"]).await;
    migrated.succeeded();
    assert!(migrated.stdout.contains(&table), "{migrated:?}");
    cli::<B>(&ctx, &table, &["verify"]).await.succeeded();
    let verified = cli::<B>(&ctx, &table, &["--json", "verify"]).await;
    assert_eq!(
        verified.succeeded().json(),
        json!({ "command": "verify", "table": table, "ok": true })
    );
    // Idempotent, and the table is the store's: the library works on it.
    let again = cli::<B>(&ctx, &table, &["migrate", "--json"]).await;
    assert_eq!(again.succeeded().json()["migrated"], true);
    let s = super::backend::store::<B>(&pool, &ctx, "mv");
    s.verify_schema().await.unwrap();
    s.set("cli-after-migrate", &json!({ "n": 1 }), None)
        .await
        .unwrap();
    assert_eq!(s.length().await.unwrap(), 1);
    B::cleanup(pool, &ctx).await;
}

pub async fn verify_refuses_a_missing_table_or_column<B: Backend + CliBackend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    // No such table.
    let absent = cli::<B>(&ctx, &ctx.table("absent"), &["verify"]).await;
    absent.bad_input();
    assert!(absent.stderr.contains("lacks the columns"), "{absent:?}");
    // An app-managed table without the timestamp and version columns.
    let table = ctx.table("partial");
    let (id, data, ts, _) = B::TYPES;
    B::exec(
        &pool,
        &format!(
            "CREATE TABLE {} (sid {id} NOT NULL PRIMARY KEY, data {data} NOT NULL, expires {ts} NOT NULL)",
            B::quote(&table)
        ),
    )
    .await;
    let partial = cli::<B>(&ctx, &table, &["--json", "verify"]).await;
    partial.bad_input();
    for column in ["created_at", "updated_at", "version"] {
        assert!(partial.stderr.contains(column), "{partial:?}");
    }
    // Every command checks the table first: bad input too, and nothing changes.
    for args in [
        &["purge"][..],
        &["stats"],
        &["list", "--where", "user_id=7"],
    ] {
        cli::<B>(&ctx, &table, args).await.bad_input();
    }
    assert_eq!(raw_count::<B>(&pool, &table).await, 0);
    B::cleanup(pool, &ctx).await;
}

pub async fn print_sql_prints_the_ddl_and_creates_nothing<B: Backend + CliBackend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    let table = ctx.table("ddl");
    let printed = cli::<B>(&ctx, &table, &["print-sql"]).await;
    printed.succeeded();
    assert!(printed.stdout.contains("CREATE TABLE"), "{printed:?}");
    assert!(printed.stdout.contains(&table), "{printed:?}");
    let s = super::backend::store::<B>(&pool, &ctx, "ddl");
    let as_json = cli::<B>(&ctx, &table, &["print-sql", "--json"]).await;
    assert_eq!(
        as_json.succeeded().json()["statements"],
        json!(s.migration_sql()),
        "the library's migration_sql"
    );
    for statement in s.migration_sql() {
        assert!(printed.stdout.contains(&statement));
    }
    // Printed, not run.
    assert!(
        s.verify_schema().await.is_err(),
        "print-sql created nothing"
    );
    B::cleanup(pool, &ctx).await;
}

pub async fn stats_counts_exactly<B: Backend + CliBackend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    let table = ctx.table("stats");
    let s = user_store::<B>(&pool, &table, false).await;
    let expiries = set_sessions(&s, &MIXED).await;
    s.set("cli-anonymous", &json!({}), Some(expiries[0]))
        .await
        .unwrap();

    let stats = cli::<B>(&ctx, &table, &["stats", "--json"]).await;
    let j = stats.succeeded().json();
    assert_eq!(j["live"], 4, "{j}");
    assert_eq!(j["expired"], 2, "{j}");
    assert_eq!(time(&j["oldest_expiry"]), expiries[4], "{j}");
    assert_eq!(time(&j["newest_expiry"]), expiries[2], "{j}");
    assert_eq!(j["size"]["scope"], "table", "{j}");
    assert!(j["size"]["data_bytes"].as_u64().unwrap() > 0, "{j}");
    assert!(j["size"]["index_bytes"].is_u64(), "{j}");
    assert!(j.get("by").is_none(), "{j}");

    // The top values among live sessions only: user 7 has one expired session, user 9
    // only an expired one; the anonymous session's NULL counts once.
    let by = cli::<B>(&ctx, &table, &["stats", "--by", "user_id", "--json"]).await;
    let j = by.succeeded().json();
    assert_eq!(j["live"], 4);
    let top = j["by"]["top"].as_array().expect("top values").clone();
    assert_eq!(j["by"]["column"], "user_id");
    assert_eq!(top.len(), 3, "{j}");
    assert_eq!(top[0], json!({ "value": "7", "count": 2 }), "{j}");
    let rest: Vec<&Value> = top[1..].iter().collect();
    assert!(rest.contains(&&json!({ "value": "8", "count": 1 })), "{j}");
    assert!(rest.contains(&&json!({ "value": null, "count": 1 })), "{j}");

    let human = cli::<B>(&ctx, &table, &["stats", "--by", "user_id"]).await;
    let text = &human.succeeded().stdout;
    for line in ["live rows      4", "expired rows   2", "user_id", "  7 "] {
        assert!(text.contains(line), "{line:?} in {text}");
    }
    // The library agrees, and nothing was changed.
    let counts = s.row_counts().await.unwrap();
    assert_eq!((counts.live, counts.expired), (4, 2));
    let whole = s.database_size().await.unwrap().expect("a database size");
    assert!(
        whole >= j["size"]["data_bytes"].as_u64().unwrap(),
        "{whole} {j}"
    );
    assert_eq!(raw_count::<B>(&pool, &table).await, 6);
    B::cleanup(pool, &ctx).await;
}

pub async fn purge_dry_run_counts_and_deletes_nothing<B: Backend + CliBackend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    let table = ctx.table("dry");
    let s = user_store::<B>(&pool, &table, false).await;
    set_sessions(&s, &MIXED).await;
    let dry = cli::<B>(&ctx, &table, &["purge", "--dry-run", "--json"]).await;
    let j = dry.succeeded().json();
    assert_eq!(j["dry_run"], true, "{j}");
    assert_eq!(j["expired"], 2, "{j}");
    assert_eq!(j["deleted"], 0, "{j}");
    let human = cli::<B>(&ctx, &table, &["purge", "--dry-run", "--batch", "1"]).await;
    assert!(
        human
            .succeeded()
            .stdout
            .contains("2 expired sessions would be deleted"),
        "{human:?}"
    );
    assert_eq!(raw_count::<B>(&pool, &table).await, 5, "nothing deleted");
    B::cleanup(pool, &ctx).await;
}

pub async fn purge_in_batches_deletes_exactly_the_expired<B: Backend + CliBackend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    let table = ctx.table("purge");
    let s = user_store::<B>(&pool, &table, false).await;
    let live = [("cli-l1", 1, 30), ("cli-l2", 2, 60), ("cli-l3", 3, 90)];
    set_sessions(&s, &live).await;
    let expired: Vec<(String, i64, i64)> =
        (0..5).map(|i| (format!("cli-x{i}"), i, -10 - i)).collect();
    let expired: Vec<(&str, i64, i64)> = expired
        .iter()
        .map(|(s, u, m)| (s.as_str(), *u, *m))
        .collect();
    set_sessions(&s, &expired).await;

    let purged = cli::<B>(&ctx, &table, &["purge", "--batch", "2", "--json"]).await;
    let j = purged.succeeded().json();
    assert_eq!(j["deleted"], 5, "{j}");
    assert_eq!(j["expired"], 5, "{j}");
    assert_eq!(j["statements"], 3, "batches of 2, 2 and 1: {j}");
    assert_eq!(j["finished"], true, "{j}");
    assert_eq!(j["interrupted"], false, "{j}");
    assert_eq!(
        raw_count::<B>(&pool, &table).await,
        3,
        "the live rows are kept"
    );
    for (sid, _, _) in live {
        assert!(s.get(sid).await.unwrap().is_some(), "{sid} kept");
    }
    // Nothing is left to delete; the human form says so.
    let again = cli::<B>(&ctx, &table, &["purge"]).await;
    assert!(
        again
            .succeeded()
            .stdout
            .contains("deleted 0 expired sessions in 1 statement"),
        "{again:?}"
    );
    // A batch of 0 is a usage error.
    let zero = cli::<B>(&ctx, &table, &["purge", "--batch", "0"]).await;
    assert_eq!(zero.code, 2, "{zero:?}");
    assert_eq!(raw_count::<B>(&pool, &table).await, 3);
    B::cleanup(pool, &ctx).await;
}

pub async fn purge_with_max_lifetime_deletes_outlived_sessions<B: Backend + CliBackend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    let table = ctx.table("outlived");
    let s = user_store::<B>(&pool, &table, false).await;
    set_sessions(&s, &[("cli-old", 1, 60), ("cli-new", 2, 60)]).await;
    // Created two hours ago, however recently touched.
    B::exec(
        &pool,
        &format!(
            "UPDATE {} SET created_at = {} WHERE sid = 'cli-old'",
            B::quote(&table),
            B::TWO_HOURS_AGO
        ),
    )
    .await;
    let plain = cli::<B>(&ctx, &table, &["purge", "--dry-run", "--json"]).await;
    assert_eq!(plain.succeeded().json()["expired"], 0, "{plain:?}");
    let args = ["purge", "--max-lifetime", "3600", "--json"];
    let dry = cli::<B>(&ctx, &table, &[&args[..], &["--dry-run"]].concat()).await;
    assert_eq!(dry.succeeded().json()["expired"], 1, "{dry:?}");
    // The library's counts under max_lifetime agree (the condition's value bound last).
    let capped = with_user_id(SqlStore::builder(pool.clone()).table_name(&table))
        .max_lifetime(std::time::Duration::from_secs(3600))
        .build()
        .unwrap();
    let counts = capped.row_counts().await.unwrap();
    assert_eq!((counts.live, counts.expired), (1, 1));
    assert_eq!(
        capped.top_values("user_id", 10).await.unwrap(),
        [(Some("2".to_owned()), 1)]
    );
    let purged = cli::<B>(&ctx, &table, &args).await;
    let j = purged.succeeded().json();
    assert_eq!(j["deleted"], 1, "{j}");
    // One statement for the expired rows (none), one for the outlived.
    assert_eq!(j["statements"], 2, "{j}");
    assert_eq!(raw_count::<B>(&pool, &table).await, 1);
    assert!(s.get("cli-new").await.unwrap().is_some());
    B::cleanup(pool, &ctx).await;
}

pub async fn list_and_revoke_by_handle_under_hashed_ids<B: Backend + CliBackend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    let table = ctx.table("hashed");
    let s = user_store::<B>(&pool, &table, true).await;
    let sessions = [
        ("cli-secret-phone", 7, 60),
        ("cli-secret-laptop", 7, 120),
        ("cli-secret-tablet", 7, 180),
        ("cli-secret-theirs", 8, 60),
        ("cli-secret-gone", 7, -60),
    ];
    let expiries = set_sessions(&s, &sessions).await;
    let mine = s.sessions_where("user_id", 7).await.unwrap();
    assert_eq!(mine.len(), 3);
    let handle_of = |expires: DateTime<Utc>| {
        mine.iter()
            .find(|i| i.expires == expires)
            .map(|i| i.handle)
            .unwrap()
    };
    let (phone, laptop, tablet) = (
        handle_of(expiries[0]),
        handle_of(expiries[1]),
        handle_of(expiries[2]),
    );
    let theirs = s.sessions_where("user_id", 8).await.unwrap()[0].handle;

    let listed = cli::<B>(
        &ctx,
        &table,
        &hashed(&["list", "--where", "user_id=7", "--json"]),
    )
    .await;
    let j = listed.succeeded().json();
    assert_eq!(j["column"], "user_id");
    assert_eq!(j["value"], 7);
    let rows = j["sessions"].as_array().unwrap();
    let handles: Vec<SessionHandle> = rows
        .iter()
        .map(|r| r["handle"].as_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!(handles, [tablet, laptop, phone], "latest expiry first");
    assert_eq!(time(&rows[0]["expires"]), expiries[2]);
    assert!(rows[0]["updated_at"].is_string());
    let human = cli::<B>(&ctx, &table, &hashed(&["list", "--where", "user_id=7"])).await;
    let text = &human.succeeded().stdout;
    assert!(text.contains("3 live sessions with user_id = 7"), "{text}");
    for h in [phone, laptop, tablet] {
        assert!(text.contains(&h.to_string()), "{text}");
    }
    // Neither the ids nor their stored digests are ever printed.
    for out in [&listed.stdout, &listed.stderr, &human.stdout, &human.stderr] {
        assert!(!out.contains("cli-secret") && !out.contains("b3:"), "{out}");
    }

    // One device, by its handle: exactly that one ends.
    let laptop_text = laptop.to_string();
    let revoke = [
        "revoke",
        "--where",
        "user_id=7",
        "--handle",
        &laptop_text,
        "--json",
    ];
    let ended = cli::<B>(&ctx, &table, &hashed(&revoke)).await;
    assert_eq!(ended.succeeded().json()["ended"], 1, "{ended:?}");
    assert!(s.get("cli-secret-laptop").await.unwrap().is_none());
    for sid in ["cli-secret-phone", "cli-secret-tablet", "cli-secret-theirs"] {
        assert!(s.get(sid).await.unwrap().is_some(), "{sid} kept");
    }
    let again = cli::<B>(&ctx, &table, &hashed(&revoke)).await;
    assert_eq!(again.succeeded().json()["ended"], 0, "{again:?}");
    // Another user's handle ends nothing under this user.
    let theirs_text = theirs.to_string();
    let other = [
        "revoke",
        "--where",
        "user_id=7",
        "--handle",
        &theirs_text,
        "--json",
    ];
    let other = cli::<B>(&ctx, &table, &hashed(&other)).await;
    assert_eq!(other.succeeded().json()["ended"], 0, "{other:?}");
    assert!(s.get("cli-secret-theirs").await.unwrap().is_some());

    // By id, as the cookie carries it: hashed under --hash-ids, so without it no row matches.
    let plain = cli::<B>(
        &ctx,
        &table,
        &["revoke", "--id", "cli-secret-phone", "--json"],
    )
    .await;
    assert_eq!(plain.succeeded().json()["ended"], 0, "{plain:?}");
    assert!(s.get("cli-secret-phone").await.unwrap().is_some());
    let by_id = cli::<B>(
        &ctx,
        &table,
        &hashed(&["revoke", "--id", "cli-secret-phone", "--json"]),
    )
    .await;
    assert_eq!(by_id.succeeded().json()["ended"], 1, "{by_id:?}");
    assert!(s.get("cli-secret-phone").await.unwrap().is_none());
    // From stdin.
    let mut all = vec!["--table", table.as_str()];
    all.extend(hashed(&["revoke", "--id", "-"]));
    let from_stdin = run_with(&B::cli_url(&ctx), &all, Some("cli-secret-tablet\n")).await;
    assert!(
        from_stdin.succeeded().stdout.contains("ended 1 session"),
        "{from_stdin:?}"
    );
    assert!(s.get("cli-secret-tablet").await.unwrap().is_none());

    // All of one user's sessions, live or expired.
    let everywhere = cli::<B>(
        &ctx,
        &table,
        &hashed(&["revoke", "--where", "user_id=7", "--json"]),
    )
    .await;
    assert_eq!(everywhere.succeeded().json()["ended"], 1, "the expired one");
    let listed = cli::<B>(
        &ctx,
        &table,
        &hashed(&["list", "--where", "user_id=7", "--json"]),
    )
    .await;
    assert_eq!(listed.succeeded().json()["sessions"], json!([]));
    assert_eq!(
        raw_count::<B>(&pool, &table).await,
        1,
        "only user 8's is left"
    );
    B::cleanup(pool, &ctx).await;
}

pub async fn unknown_columns_and_bad_values_change_nothing<B: Backend + CliBackend>(ctx: Ctx) {
    let pool = pool_or_skip!(B, ctx);
    let table = ctx.table("badcol");
    let s = user_store::<B>(&pool, &table, false).await;
    set_sessions(&s, &[("cli-u1", 7, 60), ("cli-u2", 7, -60)]).await;
    let h = s.sessions_where("user_id", 7).await.unwrap()[0]
        .handle
        .to_string();
    // Each refused by the command line itself, before a store is built with the column.
    let unknown = "has no column \"nosuch\"";
    let core = "one of the store's own columns";
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["stats", "--by", "nosuch"], unknown),
        (vec!["list", "--where", "nosuch=7"], unknown),
        (vec!["revoke", "--where", "nosuch=7"], unknown),
        (
            vec!["revoke", "--where", "nosuch=7", "--handle", &h],
            unknown,
        ),
        // The store's own columns are never listed or matched.
        (vec!["stats", "--by", "sid"], core),
        (vec!["revoke", "--where", "sid=cli-u1"], core),
        (vec!["revoke", "--where", "data={}"], core),
        (vec!["list", "--where", "expires=0"], core),
        // A value that does not fit the column.
        (vec!["revoke", "--where", "user_id=seven"], "holds integers"),
    ];
    for (args, why) in &cases {
        let run = cli::<B>(&ctx, &table, args).await;
        run.bad_input();
        assert!(run.stderr.contains(why), "{why:?}: {run:?}");
    }
    // A table name that is no identifier.
    let args = [
        "--table",
        "x; DROP TABLE y",
        "revoke",
        "--where",
        "user_id=7",
    ];
    run_with(&B::cli_url(&ctx), &args, None).await.bad_input();
    // Usage errors (clap's): exit code 2 too.
    for args in [
        &["revoke", "--where", "user_id=7", "--handle", "nothex"][..],
        &["revoke", "--handle", &h],
        &["revoke"],
        &["revoke", "--where", "user_id=7", "--id", "cli-u1"],
        &["list", "--where", "=7"],
    ] {
        let run = cli::<B>(&ctx, &table, args).await;
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
        assert!(run.stdout.is_empty(), "{run:?}");
    }
    assert_eq!(raw_count::<B>(&pool, &table).await, 2, "nothing deleted");
    assert_eq!(s.ids_where("user_id", 7).await.unwrap(), ["cli-u1"]);
    B::cleanup(pool, &ctx).await;
}

pub async fn bad_urls_are_bad_input_and_unreachable_servers_a_failure<B: Backend + CliBackend>(
    ctx: Ctx,
) {
    let pool = pool_or_skip!(B, ctx);
    for url in B::BAD_URLS {
        for command in ["verify", "stats", "migrate"] {
            let run = run_with(url, &[command], None).await;
            run.bad_input();
            assert!(!run.stderr.contains("s3cret"), "no password shown: {run:?}");
        }
    }
    if let Some(url) = B::UNREACHABLE_URL {
        let run = run_with(url, &["--table", &ctx.table("gone"), "verify"], None).await;
        assert_eq!(run.code, 1, "{run:?}");
        assert!(run.stderr.starts_with("error: "), "{run:?}");
        // No database is needed to print the DDL.
        let printed = run_with(url, &["print-sql"], None).await;
        assert!(printed.succeeded().stdout.contains("CREATE TABLE"));
    }
    B::cleanup(pool, &ctx).await;
}
