//! Every suite function is registered, once, in its own file's macro.
//!
//! A suite file `tests/common/NAME_suite.rs` holds its tests as `pub async fn TEST<B: ...>`
//! (or `pub fn TEST<B: ...>`) and a `macro_rules! NAME_suite` that generates one test per
//! function. A function missing from the macro would never run, silently; this test reads
//! the files (no database, no feature needed) and names what is missing, what is listed
//! without existing, and what is listed twice. It also checks that each suite's macro is
//! called from somewhere (a test binary, `store_suite!`, ...).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The suite files: `tests/common/*_suite.rs`.
fn suite_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/common");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("read tests/common")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "rs")
                && p.file_stem()
                    .and_then(|s| s.to_str())
                    .is_some_and(|s| s.ends_with("_suite"))
        })
        .collect();
    files.sort();
    files
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The body of `macro_rules! NAME { ... }` in `src` (braces matched), and `src` without it.
fn split_macro(src: &str, name: &str) -> Option<(String, String)> {
    let head = format!("macro_rules! {name} {{");
    let start = src.find(&head)?;
    let open = start + head.len();
    let mut depth = 1usize;
    for (i, c) in src[open..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    let end = open + i;
                    let body = src[open..end].to_owned();
                    let rest = format!("{}{}", &src[..start], &src[end + 1..]);
                    return Some((body, rest));
                }
            }
            _ => {}
        }
    }
    None
}

/// The suite functions defined in `src` (outside the macro): top-level
/// `pub async fn NAME<B` / `pub fn NAME<B`, generic over a backend.
fn defined(src: &str) -> Vec<String> {
    src.lines()
        .filter_map(|line| {
            let rest = line
                .strip_prefix("pub async fn ")
                .or_else(|| line.strip_prefix("pub fn "))?;
            let name: String = rest.chars().take_while(|&c| is_ident_char(c)).collect();
            rest[name.len()..].starts_with("<B").then_some(name)
        })
        .collect()
}

/// The functions a suite macro registers, in order:
/// - each list after `$backend;` (and an optional `module:`) up to the closing `)`, as in
///   `$crate::suite_tests!($backend; checks_suite: a, b, c)`;
/// - each path `common::MODULE::NAME::<`, as in `common::outage_suite::NAME::<$backend>(..)`.
fn listed(body: &str, module: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = body;
    while let Some(at) = rest.find("$backend;") {
        rest = &rest[at + "$backend;".len()..];
        let end = rest.find(')').expect("a list closed by `)`");
        let mut list = rest[..end].trim();
        // An optional `module:` before the names.
        if let Some(colon) = list.find(':') {
            let before = list[..colon].trim();
            if !before.is_empty() && before.chars().all(is_ident_char) {
                list = &list[colon + 1..];
            }
        }
        for item in list.split(',') {
            let item = item.trim();
            if item.is_empty() {
                continue;
            }
            assert!(
                item.chars().all(is_ident_char),
                "an unexpected item {item:?} in a list of {module}'s macro"
            );
            names.push(item.to_owned());
        }
        rest = &rest[end..];
    }
    let path = format!("common::{module}::");
    let mut rest = body;
    while let Some(at) = rest.find(&path) {
        rest = &rest[at + path.len()..];
        let name: String = rest.chars().take_while(|&c| is_ident_char(c)).collect();
        // `common::MODULE::$test` is the generator's own call, not a registration.
        if !name.is_empty() && rest[name.len()..].starts_with("::<") {
            names.push(name);
        }
    }
    names
}

/// Every `.rs` file under `tests/`, but `skip`.
fn all_test_sources(skip: &Path) -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut out = Vec::new();
    for dir in [root.clone(), root.join("common")] {
        for e in std::fs::read_dir(&dir).expect("read a tests directory") {
            let path = e.expect("a directory entry").path();
            if path.extension().is_some_and(|e| e == "rs") && path != skip {
                let src = std::fs::read_to_string(&path).expect("read a test file");
                out.push((path, src));
            }
        }
    }
    out
}

/// What is wrong with one suite file's registration, one line each (empty: nothing).
fn problems(path: &Path) -> Vec<String> {
    let module = path.file_stem().unwrap().to_str().unwrap().to_owned();
    let file = format!("tests/common/{module}.rs");
    let src = std::fs::read_to_string(path).expect("read a suite file");
    let Some((body, rest)) = split_macro(&src, &module) else {
        return vec![format!(
            "{file}: no `macro_rules! {module}` listing its tests"
        )];
    };
    let defined = defined(&rest);
    let listed = listed(&body, &module);
    let mut out = Vec::new();
    if defined.is_empty() {
        out.push(format!(
            "{file}: no suite function found (`pub async fn NAME<B: ...>`)"
        ));
    }
    for name in &defined {
        if !listed.contains(name) {
            out.push(format!("{file}: `{name}` is not listed in `{module}!`"));
        }
    }
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for name in &listed {
        *counts.entry(name).or_default() += 1;
        if !defined.contains(name) {
            out.push(format!(
                "{file}: `{module}!` lists `{name}`, which is no suite function of the file"
            ));
        }
    }
    for (name, n) in counts {
        if n > 1 {
            out.push(format!("{file}: `{module}!` lists `{name}` {n} times"));
        }
    }
    let called = all_test_sources(path)
        .iter()
        .any(|(_, src)| src.contains(&format!("{module}!(")));
    if !called {
        out.push(format!("{file}: `{module}!` is never called"));
    }
    out
}

#[test]
fn every_suite_function_is_listed_in_its_files_macro() {
    let files = suite_files();
    assert!(
        files.len() >= 10,
        "suite files not found: {files:?} (tests/common/*_suite.rs)"
    );
    let problems: Vec<String> = files.iter().flat_map(|p| problems(p)).collect();
    assert!(
        problems.is_empty(),
        "suite registration:\n  {}",
        problems.join("\n  ")
    );
}

/// The checker itself: a name dropped from a list, and a list naming a function that does
/// not exist, are both reported.
#[test]
fn the_check_sees_a_missing_and_an_unknown_name() {
    let src = "\
macro_rules! demo_suite {
    ($backend:ty) => {
        $crate::suite_tests!($backend; demo_suite:
            first,
            ghost,
        );
        common::demo_suite::third::<$backend>(ctx).await;
    };
}
pub async fn first<B: Backend>(ctx: Ctx) {}
pub async fn second<B: Backend>(ctx: Ctx) {}
pub fn third<B: ReaperBackend>(ctx: Ctx) {}
pub fn helper(x: u8) {}
    pub fn indented<B: Backend>(&self) {}
";
    let (body, rest) = split_macro(src, "demo_suite").expect("the macro");
    assert_eq!(defined(&rest), ["first", "second", "third"]);
    assert_eq!(listed(&body, "demo_suite"), ["first", "ghost", "third"]);
}
