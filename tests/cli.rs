//! The `sqlx-session-store` command line (feature `cli`) where no database server is needed:
//! its help, usage errors, URLs, the DDL of each backend, and Ctrl-C during a purge (on an
//! SQLite file). The commands on each backend are `tests/common/cli_suite.rs`.

use std::process::{Output, Stdio};
use std::time::Duration;

use serde_json::Value;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use tokio::io::{AsyncBufReadExt, BufReader};

const BIN: &str = env!("CARGO_BIN_EXE_sqlx-session-store");

fn command(args: &[&str]) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(BIN);
    cmd.args(args)
        .env_remove("DATABASE_URL")
        .stdin(Stdio::null());
    cmd
}

async fn run(args: &[&str]) -> Output {
    command(args).output().await.expect("run the command line")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8 output")
}

/// Exit code 2, nothing on stdout, one `error: ...` line on stderr.
#[track_caller]
fn assert_bad_input(out: &Output) {
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(out.stdout.is_empty(), "{out:?}");
    assert!(
        stderr.starts_with("error: ") && stderr.trim_end().lines().count() == 1,
        "{stderr}"
    );
}

/// A fresh SQLite file path of this test.
fn sqlite_file(tag: &str) -> std::path::PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    std::env::temp_dir().join(format!(
        "sqlx_session_store_cli_{tag}_{}_{nanos:x}.db",
        std::process::id()
    ))
}

fn remove_sqlite_file(path: &std::path::Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(p);
    }
}

#[tokio::test]
async fn help_lists_the_exit_codes_and_hides_the_environments_url() {
    let out = command(&["--help"])
        .env("DATABASE_URL", "postgres://user:s3cret@localhost/db")
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let help = text(&out.stdout);
    assert!(help.contains("Exit codes:"), "{help}");
    for line in [
        "0    success",
        "1    the database",
        "2    bad input",
        "130  interrupted",
    ] {
        assert!(help.contains(line), "{line:?} in {help}");
    }
    for command in [
        "migrate",
        "print-sql",
        "verify",
        "purge",
        "stats",
        "list",
        "revoke",
    ] {
        assert!(help.contains(command), "{command} in {help}");
    }
    assert!(!help.contains("s3cret"), "{help}");
}

#[tokio::test]
async fn usage_errors_exit_with_code_2() {
    for args in [
        &[][..],
        &["--url", "sqlite::memory:"],
        &["--url", "sqlite::memory:", "frobnicate"],
        &["--url", "sqlite::memory:", "purge", "--batch", "0"],
        &[
            "--url",
            "sqlite::memory:",
            "purge",
            "--max-lifetime",
            "soon",
        ],
        &["--url", "sqlite::memory:", "stats", "--by"],
        &["--url", "sqlite::memory:", "list"],
    ] {
        let out = run(args).await;
        assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
        assert!(out.stdout.is_empty(), "{args:?}: {out:?}");
    }
}

#[tokio::test]
async fn the_url_comes_from_the_option_or_the_environment() {
    let missing = run(&["verify"]).await;
    assert_bad_input(&missing);
    assert!(text(&missing.stderr).contains("DATABASE_URL"));
    let from_env = command(&["print-sql"])
        .env("DATABASE_URL", "sqlite::memory:")
        .output()
        .await
        .unwrap();
    assert_eq!(from_env.status.code(), Some(0), "{from_env:?}");
    assert!(text(&from_env.stdout).contains("CREATE TABLE"));
}

#[tokio::test]
async fn unknown_schemes_and_urls_without_one_are_bad_input() {
    for url in ["redis://localhost/0", "sessions.db", "oracle:x"] {
        let out = run(&["--url", url, "verify"]).await;
        assert_bad_input(&out);
    }
}

/// `print-sql` reaches no database (nothing listens on port 1), and each scheme, aliases
/// included, picks its dialect.
#[tokio::test]
async fn print_sql_picks_the_dialect_by_scheme_and_reaches_no_database() {
    for (url, marker) in [
        ("sqlite::memory:", "\"expires\" INTEGER"),
        ("sqlite:/nonexistent-dir/x.db", "\"expires\" INTEGER"),
        ("postgres://nobody@127.0.0.1:1/none", "TIMESTAMPTZ"),
        ("postgresql://nobody@127.0.0.1:1/none", "TIMESTAMPTZ"),
        ("mysql://nobody@127.0.0.1:1/none", "ENGINE=InnoDB"),
        ("mariadb://nobody@127.0.0.1:1/none", "ENGINE=InnoDB"),
    ] {
        let out = run(&[
            "--url",
            url,
            "--table",
            "web_sessions",
            "print-sql",
            "--json",
        ])
        .await;
        assert_eq!(out.status.code(), Some(0), "{url}: {out:?}");
        let json: Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
        assert_eq!(json["table"], "web_sessions");
        let ddl: Vec<&str> = json["statements"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        assert!(ddl[0].starts_with("CREATE TABLE"), "{url}: {ddl:?}");
        assert!(ddl.iter().any(|s| s.contains(marker)), "{url}: {ddl:?}");
        assert!(
            ddl.iter().all(|s| s.contains("web_sessions")),
            "{url}: {ddl:?}"
        );
    }
}

/// An SQLite file is created by `migrate` only; other commands on a missing file are bad
/// input and leave no file behind.
#[tokio::test]
async fn only_migrate_creates_an_sqlite_file() {
    let path = sqlite_file("create");
    let url = format!("sqlite:{}", path.display());
    for command in ["verify", "stats", "purge"] {
        assert_bad_input(&run(&["--url", &url, command]).await);
        assert!(!path.exists(), "{command} created {path:?}");
    }
    let migrated = run(&["--url", &url, "migrate"]).await;
    assert_eq!(migrated.status.code(), Some(0), "{migrated:?}");
    assert!(path.exists());
    let verified = run(&["--url", &url, "verify"]).await;
    assert_eq!(verified.status.code(), Some(0), "{verified:?}");
    remove_sqlite_file(&path);
}

/// Ctrl-C (SIGINT) during a purge stops it after the current batch: exit code 130, and the
/// count it reports is exactly what it deleted.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_stops_a_purge_after_the_current_batch() {
    const ROWS: i64 = 50_000;
    let path = sqlite_file("ctrlc");
    let url = format!("sqlite:{}", path.display());
    let migrated = run(&["--url", &url, "migrate"]).await;
    assert_eq!(migrated.status.code(), Some(0), "{migrated:?}");
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(SqliteConnectOptions::new().filename(&path))
        .await
        .unwrap();
    // Expired rows, expiring one microsecond apart from 1970 on.
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) \
         INSERT INTO sessions (sid, data, expires, created_at, updated_at, version) \
         SELECT 'cli-' || i, '{}', i, 0, 0, 0 FROM n",
    )
    .bind(ROWS)
    .execute(&pool)
    .await
    .unwrap();

    let mut child = command(&["--url", &url, "--json", "purge", "--batch", "1"])
        .kill_on_drop(true)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
    // The notice is printed once Ctrl-C is handled.
    let notice = tokio::time::timeout(Duration::from_secs(60), stderr.next_line())
        .await
        .expect("the purge's notice")
        .unwrap()
        .unwrap_or_default();
    assert!(
        notice.starts_with("deleting 50000 expired sessions"),
        "{notice}"
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    let pid = child.id().unwrap().to_string();
    let killed = tokio::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .await
        .unwrap();
    assert!(killed.success());
    let (rest, out) = tokio::time::timeout(Duration::from_secs(60), async {
        let mut rest = Vec::new();
        while let Some(line) = stderr.next_line().await.unwrap() {
            rest.push(line);
        }
        (rest, child.wait_with_output().await.unwrap())
    })
    .await
    .expect("the purge stops within a minute of Ctrl-C");
    assert_eq!(out.status.code(), Some(130), "{out:?} {rest:?}");
    assert!(
        rest.iter()
            .any(|l| l.contains("stopping after the current batch")),
        "{rest:?}"
    );
    let json: Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    assert_eq!(json["interrupted"], true, "{json}");
    assert_eq!(json["finished"], false, "{json}");
    assert_eq!(json["expired"], ROWS, "{json}");
    let deleted = json["deleted"].as_i64().unwrap();
    assert!(deleted > 0 && deleted < ROWS, "{json}");
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(left, ROWS - deleted, "the report is what was deleted");
    // The oldest went first.
    let oldest: i64 = sqlx::query_scalar("SELECT MIN(expires) FROM sessions")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(oldest, deleted + 1);
    pool.close().await;
    remove_sqlite_file(&path);
}
