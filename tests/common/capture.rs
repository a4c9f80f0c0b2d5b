//! A process-wide tracing subscriber that records the crate's own events, so that tests
//! can read what the store logged (levels, messages, fields) without a logging backend.
//!
//! Events from all tests of a binary land in one list; tests tell theirs apart by the
//! `table` field, which every event of the store and the reaper carries.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, Once};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

/// One recorded event.
#[derive(Clone, Debug)]
pub struct Captured {
    pub target: String,
    pub level: Level,
    pub message: String,
    /// Every field but `message`, formatted (strings without quotes).
    pub fields: BTreeMap<String, String>,
}

impl Captured {
    /// Records an event: its target, level, message and every other field.
    pub fn of(event: &Event<'_>) -> Self {
        let mut visitor = Fields::default();
        event.record(&mut visitor);
        Captured {
            target: event.metadata().target().to_owned(),
            level: *event.metadata().level(),
            message: visitor.message,
            fields: visitor.fields,
        }
    }

    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }

    pub fn u64_field(&self, name: &str) -> Option<u64> {
        self.field(name).and_then(|v| v.parse().ok())
    }

    /// The message and every field, for "never logs X" checks.
    pub fn text(&self) -> String {
        let mut s = self.message.clone();
        for (k, v) in &self.fields {
            s += &format!(" {k}={v}");
        }
        s
    }
}

static EVENTS: Mutex<Vec<Captured>> = Mutex::new(Vec::new());

/// Installs the recorder as the global default (once per test binary).
pub fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Fails only if another global subscriber is set; the tests then see no events.
        let _ = tracing::subscriber::set_global_default(Recorder::default());
    });
}

const SQLX_QUERY: &str = "sqlx::query";
static STATEMENTS: AtomicBool = AtomicBool::new(false);

/// Installs the recorder and also records sqlx's log of each statement it runs.
pub fn install_with_statements() {
    install();
    STATEMENTS.store(true, Ordering::Relaxed);
}

/// One statement sqlx ran, as its log reports it.
#[derive(Clone, Debug)]
pub struct Statement {
    pub sql: String,
    pub rows_affected: u64,
}

/// Every statement sqlx has run so far that names `quoted_table` (by every test of this
/// binary; table names are unique per test), in order.
pub fn statements_on(quoted_table: &str) -> Vec<Statement> {
    EVENTS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .filter(|e| e.target == SQLX_QUERY)
        .filter_map(|e| {
            // sqlx puts a long statement in `db.statement`, a short one in `summary`.
            let sql = match e.field("db.statement") {
                Some(s) if !s.trim().is_empty() => s.trim(),
                _ => e.field("summary")?.trim(),
            };
            sql.contains(quoted_table).then(|| Statement {
                sql: sql.to_owned(),
                rows_affected: e.u64_field("rows_affected").unwrap_or(0),
            })
        })
        .collect()
}

/// The UPDATE statements sqlx has run on `quoted_table` so far, in order.
pub fn updates_of(quoted_table: &str) -> Vec<Statement> {
    let prefix = format!("UPDATE {quoted_table} SET ");
    statements_on(quoted_table)
        .into_iter()
        .filter(|s| s.sql.starts_with(&prefix))
        .collect()
}

/// Every event recorded so far (the crate's, and sqlx's statements when recorded).
pub fn all_events() -> Vec<Captured> {
    EVENTS.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// The events recorded so far whose `table` field is `table`.
pub fn events_for(table: &str) -> Vec<Captured> {
    EVENTS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .filter(|e| e.field("table") == Some(table))
        .cloned()
        .collect()
}

#[derive(Default)]
struct Recorder {
    next_span: AtomicU64,
}

impl Subscriber for Recorder {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        // sqlx's own log of every statement it runs, kept only when a test asks for it.
        metadata.target().starts_with("sqlx_session_store") || metadata.target() == SQLX_QUERY
    }

    fn new_span(&self, _span: &Attributes<'_>) -> Id {
        Id::from_u64(self.next_span.fetch_add(1, Ordering::Relaxed) + 1)
    }

    fn record(&self, _span: &Id, _values: &Record<'_>) {}

    fn record_follows_from(&self, _span: &Id, _follows: &Id) {}

    fn event(&self, event: &Event<'_>) {
        if event.metadata().target() == SQLX_QUERY && !STATEMENTS.load(Ordering::Relaxed) {
            return;
        }
        let captured = Captured::of(event);
        EVENTS
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(captured);
    }

    fn enter(&self, _span: &Id) {}

    fn exit(&self, _span: &Id) {}
}

#[derive(Default)]
struct Fields {
    message: String,
    fields: BTreeMap<String, String>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.put(field, format!("{value:?}"));
    }
}

impl Fields {
    fn put(&mut self, field: &Field, value: String) {
        if field.name() == "message" {
            self.message = value;
        } else {
            self.fields.insert(field.name().to_owned(), value);
        }
    }
}
