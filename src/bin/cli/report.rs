//! What a command prints: a summary for people, or one JSON document (`--json`), on stdout.

use std::io::Write;

use chrono::{DateTime, SecondsFormat, Utc};

use crate::failure::{INTERRUPTED, SUCCESS};

/// A command's result, in both forms.
pub(crate) struct Report {
    human: String,
    json: serde_json::Value,
    interrupted: bool,
}

impl Report {
    pub(crate) fn new(human: impl Into<String>, json: serde_json::Value) -> Self {
        Self {
            human: human.into(),
            json,
            interrupted: false,
        }
    }

    /// A result that stopped early (Ctrl-C): exit code 130.
    pub(crate) fn interrupted(mut self) -> Self {
        self.interrupted = true;
        self
    }

    pub(crate) fn exit_code(&self) -> u8 {
        if self.interrupted {
            INTERRUPTED
        } else {
            SUCCESS
        }
    }

    /// On stdout; a closed stdout (`| head`) is not an error.
    pub(crate) fn print(&self, json: bool) {
        let mut out = std::io::stdout().lock();
        let _ = if json {
            writeln!(out, "{}", self.json)
        } else {
            writeln!(out, "{}", self.human.trim_end())
        };
    }
}

/// An instant in JSON: RFC 3339 in UTC, to the microsecond (what every backend stores).
pub(crate) fn json_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// An instant for people, in UTC, to the second.
pub(crate) fn human_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// `n` with the noun in the singular or the plural.
pub(crate) fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A size in bytes for people: `12.0 KiB (12288 bytes)`.
pub(crate) fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return count(bytes, "byte", "bytes");
    }
    // Display only: the rounding of a float is what is wanted here.
    #[allow(clippy::cast_precision_loss)]
    let mut value = bytes as f64 / 1024.0;
    let mut unit = UNITS[0];
    for next in &UNITS[1..] {
        if value < 1024.0 {
            break;
        }
        value /= 1024.0;
        unit = next;
    }
    format!("{value:.1} {unit} ({bytes} bytes)")
}
