//! Guides: how the store behaves, option by option, beyond the front page. Each page is
//! also a Markdown file of the repository (`docs/guide/`), and its examples are doctests.

#[doc = include_str!("../docs/guide/frameworks.md")]
pub mod frameworks {}

#[doc = include_str!("../docs/guide/sliding.md")]
pub mod sliding {}

#[doc = include_str!("../docs/guide/concurrency.md")]
pub mod concurrency {}

#[doc = include_str!("../docs/guide/per_user.md")]
pub mod per_user {}

#[doc = include_str!("../docs/guide/reference.md")]
pub mod reference {}

#[doc = include_str!("../docs/guide/reaper.md")]
pub mod reaper {}

#[doc = include_str!("../docs/guide/cluster.md")]
pub mod cluster {}

#[doc = include_str!("../docs/guide/security.md")]
pub mod security {}

#[doc = include_str!("../docs/guide/performance.md")]
pub mod performance {}
