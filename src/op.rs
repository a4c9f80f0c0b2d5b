//! The store's operations, as named in errors ([`Error::Database`](crate::Error::Database),
//! [`Error::Timeout`](crate::Error::Timeout)) and in trace events: one enum, so that a
//! misspelt name cannot compile.

/// One store operation (or one statement of it, where an operation runs several).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    Get,
    Set,
    Insert,
    Update,
    /// `update` conditional on the row's version (a front end's save, `modify`).
    UpdateIf,
    /// `update` keeping the stored expiry (inside `touch_after`).
    UpdateData,
    Touch,
    Destroy,
    DestroyWhere,
    Length,
    Clear,
    Ids,
    IdsWhere,
    SessionsWhere,
    Revoke,
    Migrate,
    VerifySchema,
    /// A front end's load.
    #[cfg_attr(
        not(any(feature = "tower-sessions", feature = "async-session")),
        allow(dead_code)
    )]
    Load,
    /// A front end's save (its re-read when another save came first).
    #[cfg_attr(
        not(any(feature = "tower-sessions", feature = "async-session")),
        allow(dead_code)
    )]
    Save,
    /// A front end's save of unchanged data, inside `touch_after`: no statement.
    #[cfg_attr(
        not(any(feature = "tower-sessions", feature = "async-session")),
        allow(dead_code)
    )]
    SaveUnchanged,
    Modify,
    /// The operator's queries (`row_counts`, `expiry_range`, `table_size`, `database_size`,
    /// `top_values`, `column_kinds`).
    Stats,
    ClearExpiredSessions,
    HashExistingIds,
    ReaperLock,
    ReaperUnlock,
}

impl Op {
    /// Whether running this operation's statement a second time, after a first run that
    /// may or may not have been applied (its connection broke with it in flight), gives the
    /// same result as one run: reads, `set`'s upsert of the same row, and the DDL. Counts of
    /// rows written, conditional updates and inserts are not (their second run would see
    /// the first one's effect).
    pub(crate) const fn repeatable(self) -> bool {
        matches!(
            self,
            Op::Get
                | Op::Load
                | Op::Set
                | Op::Length
                | Op::Ids
                | Op::IdsWhere
                | Op::SessionsWhere
                | Op::Stats
                | Op::Migrate
                | Op::VerifySchema
        )
    }

    /// The operation's name: the method's name where it is one.
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            Op::Get => "get",
            Op::Set => "set",
            Op::Insert => "insert",
            Op::Update => "update",
            Op::UpdateIf => "update_if",
            Op::UpdateData => "update_data",
            Op::Touch => "touch",
            Op::Destroy => "destroy",
            Op::DestroyWhere => "destroy_where",
            Op::Length => "length",
            Op::Clear => "clear",
            Op::Ids => "ids",
            Op::IdsWhere => "ids_where",
            Op::SessionsWhere => "sessions_where",
            Op::Revoke => "revoke",
            Op::Migrate => "migrate",
            Op::VerifySchema => "verify_schema",
            Op::Load => "load",
            Op::Save => "save",
            Op::SaveUnchanged => "save_unchanged",
            Op::Modify => "modify",
            Op::Stats => "stats",
            Op::ClearExpiredSessions => "clear_expired_sessions",
            Op::HashExistingIds => "hash_existing_ids",
            Op::ReaperLock => "reaper lock",
            Op::ReaperUnlock => "reaper unlock",
        }
    }
}
