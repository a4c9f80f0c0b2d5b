//! The shared test suite: `backend` says how to reach each database, `suite` holds the
//! store's contract as generic functions, and `store_suite!` runs all of them for one
//! backend (one call each in `tests/sqlite.rs`, `tests/postgres.rs`, `tests/mysql.rs`).

#[cfg(feature = "async-session")]
pub mod async_session_suite;
pub mod backend;
pub mod capture;
pub mod checks_suite;
pub mod fields_suite;
pub mod hardening_suite;
#[cfg(all(feature = "tower-sessions", feature = "async-session"))]
pub mod merge_suite;
#[cfg(any(feature = "postgres", feature = "mysql"))]
pub mod outage_suite;
pub mod prop_suite;
pub mod proxy;
pub mod reaper_suite;
pub mod redaction_suite;
#[cfg(all(feature = "tower-sessions", feature = "async-session"))]
pub mod sliding_suite;
pub mod suite;
#[cfg(feature = "tower-sessions")]
pub mod tower_sessions_suite;

/// Polls `cond` every 20 ms until it holds; panics with `what` after `limit` (Tokio tests).
#[allow(dead_code)]
pub async fn wait_until<F, Fut>(limit: std::time::Duration, what: &str, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + limit;
    while !cond().await {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out after {limit:?} waiting for: {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Generates one `#[tokio::test]` per suite function for `$backend`.
#[macro_export]
macro_rules! store_suite {
    ($backend:ty) => {
        $crate::store_suite!(@tests $backend; suite:
            set_get_roundtrip,
            default_expiry_uses_expiration,
            expired_rows_are_never_returned,
            touch_extends_a_live_session_only,
            disable_touch_writes_nothing,
            touch_after_skips_writes_inside_the_window,
            destroy_and_unknown_ids,
            ids_are_case_sensitive,
            stores_on_two_tables_are_isolated,
            migrate_is_idempotent_and_concurrent_safe,
            custom_schema_name,
            hostile_identifiers_are_refused,
            invalid_options_and_ids_are_typed_errors,
            unicode_and_large_sessions_roundtrip,
            oversized_data_is_refused_and_nothing_is_lost,
            corrupt_rows_are_typed_errors_and_kept,
            create_never_overwrites_and_update_never_resurrects,
            clear_expired_sessions_counts_and_keeps_live_rows,
            migration_file_matches_migrate,
            store_is_cheap_to_clone_and_debug_hides_secrets,
            extreme_expiries_are_clamped_not_panics,
        );
        mod checks {
            use super::common;
            $crate::store_suite!(@tests $backend; checks_suite:
                expiry_written_in_one_zone_reads_the_same_in_another,
                reserved_and_mixed_case_names_are_quoted,
                one_statement_per_operation,
                no_log_event_carries_an_id_or_data,
                app_managed_tables_without_a_key_or_with_zoned_times_are_refused,
                operation_futures_stay_small,
            );
        }
        mod redaction {
            use super::common;
            $crate::store_suite!(@tests $backend; redaction_suite:
                database_errors_carry_no_values,
                corrupt_rows_carry_no_data,
                serialize_errors_carry_no_data,
            );
        }
        mod hardening {
            use super::common;
            $crate::store_suite!(@tests $backend; hardening_suite:
                control_characters_in_ids_are_refused_before_any_sql,
                undecodable_rows_are_corrupt_rows,
                cleanup_on_a_missing_table_names_it,
                hashed_ids_never_reach_the_table,
                max_lifetime_ends_sessions_however_often_touched,
            );
            #[cfg(feature = "encryption")]
            $crate::store_suite!(@tests $backend; hardening_suite:
                data_is_encrypted_at_rest,
            );
        }
        mod properties {
            use super::common;
            $crate::store_suite!(@tests $backend; prop_suite:
                ids_and_data_roundtrip,
            );
            #[cfg(feature = "tower-sessions")]
            $crate::store_suite!(@tests $backend; prop_suite:
                tower_sessions_roundtrip,
                merge_interleavings,
            );
            #[cfg(feature = "async-session")]
            $crate::store_suite!(@tests $backend; prop_suite:
                async_session_roundtrip,
            );
        }
        mod custom_columns {
            use super::common;
            $crate::store_suite!(@tests $backend; fields_suite:
                user_column_follows_the_data,
                destroy_where_logs_one_user_out_everywhere,
                session_list_shows_live_sessions_only,
                bad_columns_and_values_are_typed_errors,
                hook_runs_on_writes_never_on_touch,
                app_managed_table_with_renamed_columns,
                missing_columns_are_named,
                front_ends_feed_the_hook,
                every_indexed_column_gets_its_own_index,
            );
        }
        #[cfg(feature = "tower-sessions")]
        mod tower_sessions_adapter {
            use super::common;
            $crate::store_suite!(@tests $backend; tower_sessions_suite:
                tower_roundtrip_and_expiry,
                tower_create_never_overwrites_on_id_collision,
                tower_save_never_resurrects_a_destroyed_session,
                tower_non_object_data_is_a_decode_error,
                tower_oversized_data_is_an_encode_error,
                tower_axum_request_cycle,
            );
        }
        #[cfg(all(feature = "tower-sessions", feature = "async-session"))]
        mod concurrent_requests {
            use super::common;
            $crate::store_suite!(@tests $backend; merge_suite:
                overlapping_requests_keep_both_changes,
                tower_saves_merge_per_key,
                async_session_saves_merge_and_regenerate_drops_the_old_id,
                ended_sessions_stay_ended,
                tower_session_cycle_id_and_clear,
                merged_writes_keep_the_hook_hashed_ids_encryption_and_size_limit,
                modify_never_loses_a_concurrent_change,
                strict_merge_refuses_a_key_both_changed,
                repeated_saves_and_replacements,
                a_narrow_version_column_is_refused,
            );
        }
        #[cfg(all(feature = "tower-sessions", feature = "async-session"))]
        mod sliding_sessions {
            use super::common;
            $crate::store_suite!(@tests $backend; sliding_suite:
                read_only_requests_write_nothing_inside_touch_after,
                read_only_requests_write_nothing_under_disable_touch,
                read_only_requests_write_the_expiry_only_without_touch_after,
                unchanged_copy_never_overwrites_another_instance,
                map_order_is_not_a_change,
                forgotten_sessions_are_still_compared_by_their_base,
                stale_copy_in_one_instance_keeps_the_change,
                expiry_slides_with_reads,
                non_canonical_row_text_is_not_a_change,
                a_row_rewritten_elsewhere_is_compared_by_its_new_content,
                expiry_lags_by_at_most_touch_after,
            );
        }
    };
    (@tests $backend:ty; $module:ident: $($test:ident),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $test() {
            let ctx = common::backend::Ctx::new(stringify!($test));
            common::$module::$test::<$backend>(ctx).await;
        }
    )*};
}
