//! Front ends: each translates a session framework's types to [`SqlStore`](crate::SqlStore)
//! calls and back. No semantics live here.

#[cfg(feature = "tower-sessions")]
#[cfg_attr(docsrs, doc(cfg(feature = "tower-sessions")))]
pub mod tower_sessions;

#[cfg(feature = "async-session")]
#[cfg_attr(docsrs, doc(cfg(feature = "async-session")))]
pub mod async_session;
