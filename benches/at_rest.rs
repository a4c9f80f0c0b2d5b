//! The cost of protection at rest: `set` and `get` of one session on SQLite in memory, for
//! a plain store, `hash_ids(true)`, encryption (AES-256-GCM), and both; then 4 KiB and
//! 64 KiB sessions (`set` + `get`) plain vs encrypted, where the crypto's share grows.
//!
//! (Hashing an id alone is not reachable through the public API, so it is only measured
//! inside `set`/`get`.)
//!
//! ```text
//! cargo bench --all-features --bench at_rest -- --warm-up-time 1 --measurement-time 3
//! ```
//!
//! Criterion's medians are in `target/criterion/<group>/<bench>/new/estimates.json`.

mod common;

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use serde_json::{json, Value};
use sqlx_session_store::{EncryptionKey, SqlStore};

/// The row every `get` and `set` (an upsert of an existing id) reads or writes.
const SID: &str = "bench-session-id-0123456789abcdef0123456789abcdef";

/// A web-app-shaped session whose JSON text is `bytes` long.
fn session_data(bytes: usize) -> Value {
    let mut data = json!({
        "user_id": 7_123_456,
        "user_name": "ada.lovelace",
        "roles": ["reader", "editor"],
        "csrf_token": "c8d1f0e2a9b74d5e8f3a6b1c0d2e4f6a8b9c7d5e3f1a2b4c6d8e0f1a3b5c7d9e",
        "blob": "",
    });
    let overhead = data.to_string().len();
    data["blob"] = Value::String("x".repeat(bytes - overhead));
    assert_eq!(data.to_string().len(), bytes);
    data
}

#[derive(Clone, Copy)]
enum Kind {
    Plain,
    Hashed,
    Encrypted,
    EncryptedHashed,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Plain => "plain",
            Kind::Hashed => "hashed",
            Kind::Encrypted => "encrypted",
            Kind::EncryptedHashed => "encrypted+hashed",
        }
    }
}

/// A migrated store of `kind` on its own table, holding `data` under [`SID`].
fn store(
    rt: &tokio::runtime::Runtime,
    pool: &sqlx::SqlitePool,
    kind: Kind,
    tag: &str,
    data: &Value,
) -> SqlStore<sqlx::Sqlite> {
    let table = format!("bench_at_rest_{tag}_{}", kind.name().replace('+', "_"));
    let mut builder = SqlStore::builder(pool.clone()).table_name(table);
    if matches!(kind, Kind::Hashed | Kind::EncryptedHashed) {
        builder = builder.hash_ids(true);
    }
    if matches!(kind, Kind::Encrypted | Kind::EncryptedHashed) {
        builder = builder.encryption_keys(vec![EncryptionKey::from_bytes([7; 32])]);
    }
    let s = builder.build().expect("bench store");
    rt.block_on(async {
        s.migrate().await.expect("migrate");
        s.set(SID, data, None).await.expect("seed");
        let got = s.get(SID).await.expect("get").expect("live");
        assert_eq!(&got.data, data, "{} roundtrip", kind.name());
    });
    s
}

/// `set` and `get` of a 4 KiB session for each store.
fn at_rest_4k(c: &mut Criterion) {
    let rt = common::runtime();
    let pool = rt.block_on(common::sqlite_memory("at_rest_4k"));
    let data = session_data(4096);
    let mut group = c.benchmark_group("at_rest_4KiB");
    for kind in [
        Kind::Plain,
        Kind::Hashed,
        Kind::Encrypted,
        Kind::EncryptedHashed,
    ] {
        let s = store(&rt, &pool, kind, "4k", &data);
        let (s, data) = (&s, &data);
        group.bench_function(BenchmarkId::new("set", kind.name()), |b| {
            b.to_async(&rt).iter(|| async move {
                s.set(black_box(SID), black_box(data), None).await.unwrap();
            });
        });
        group.bench_function(BenchmarkId::new("get", kind.name()), |b| {
            b.to_async(&rt)
                .iter(|| async move { black_box(s.get(black_box(SID)).await.unwrap()) });
        });
    }
    group.finish();
    rt.block_on(pool.close());
}

/// `set` + `get` of 4 KiB and 64 KiB sessions, plain vs encrypted.
fn at_rest_sizes(c: &mut Criterion) {
    let rt = common::runtime();
    let pool = rt.block_on(common::sqlite_memory("at_rest_sizes"));
    let mut group = c.benchmark_group("at_rest_set_get");
    for (size, label) in [(4096, "4KiB"), (65536, "64KiB")] {
        let data = session_data(size);
        for kind in [Kind::Plain, Kind::Encrypted] {
            let s = store(&rt, &pool, kind, label, &data);
            let (s, data) = (&s, &data);
            group.bench_function(BenchmarkId::new(label, kind.name()), |b| {
                b.to_async(&rt).iter(|| async move {
                    s.set(black_box(SID), black_box(data), None).await.unwrap();
                    black_box(s.get(black_box(SID)).await.unwrap())
                });
            });
        }
    }
    group.finish();
    rt.block_on(pool.close());
}

criterion_group! {
    name = benches;
    // No plots: they cost seconds per benchmark on a 2-core machine.
    config = Criterion::default().without_plots();
    targets = at_rest_4k, at_rest_sizes
}
criterion_main!(benches);
