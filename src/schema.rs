//! The table model: the table's name, its core and custom columns, its indexes and the key
//! of its locks. It knows no dialect, and it is the one home of the default names.

use crate::error::{Error, Result};
use crate::fields::{Column, ColumnKind};
use crate::ident::Ident;

/// Default table name.
pub const DEFAULT_TABLE_NAME: &str = "sessions";
/// Default name of the session id column.
pub(crate) const DEFAULT_SID_COLUMN: &str = "sid";
/// Default name of the session data column.
pub(crate) const DEFAULT_DATA_COLUMN: &str = "data";
/// Default name of the expiry column.
pub(crate) const DEFAULT_EXPIRES_COLUMN: &str = "expires";
/// Default name of the creation time column.
pub(crate) const DEFAULT_CREATED_AT_COLUMN: &str = "created_at";
/// Default name of the last-write time column.
pub(crate) const DEFAULT_UPDATED_AT_COLUMN: &str = "updated_at";
/// Default name of the data version column.
pub(crate) const DEFAULT_VERSION_COLUMN: &str = "version";

/// The table the store works on: its (optional) schema, its name, its core columns and
/// the custom ones.
#[derive(Clone, Debug)]
pub struct Table {
    pub schema: Option<Ident>,
    pub name: Ident,
    pub sid: Ident,
    pub data: Ident,
    pub expires: Ident,
    /// `None` for an app-managed table without it.
    pub created_at: Option<Ident>,
    /// `None` for an app-managed table without it.
    pub updated_at: Option<Ident>,
    /// A random number written with each new data (never by a touch): a save knows the
    /// row changed since its load when the number did. `None` for an app-managed table
    /// without it (overlapping saves are then not merged).
    pub version: Option<Ident>,
    /// The custom columns (`extend_default_fields`), in declared order.
    pub custom_columns: Vec<CustomColumn>,
}

/// A custom column, validated.
#[derive(Clone, Debug)]
pub struct CustomColumn {
    pub name: Ident,
    pub kind: ColumnKind,
    pub nullable: bool,
    pub indexed: bool,
}

impl CustomColumn {
    pub(crate) fn validate(column: Column) -> Result<Self> {
        let name = Ident::new("column name", &column.name)?;
        if column.indexed && column.kind == ColumnKind::Json {
            return Err(Error::InvalidConfig {
                option: "column",
                reason: "a JSON column cannot be indexed",
            });
        }
        Ok(Self {
            name,
            kind: column.kind,
            nullable: column.nullable,
            indexed: column.indexed,
        })
    }
}

/// What a column holds, as `migrate` creates it and as values are bound to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnType {
    /// The session id: the primary key, compared exactly.
    SessionId,
    /// Any other column, of one of the public kinds (the session data is `Json`, the
    /// expiry and the two timestamps are `Timestamp`, the version is `Integer`).
    Of(ColumnKind),
}

/// One column of the table.
pub struct ColumnDef<'a> {
    pub name: &'a Ident,
    pub ty: ColumnType,
    pub nullable: bool,
    /// The value `migrate` declares as the column's default, if any.
    pub default: Option<&'static str>,
}

impl Default for Table {
    /// The default table `sessions` with the default column names.
    fn default() -> Self {
        Self {
            schema: None,
            name: Ident::trusted(DEFAULT_TABLE_NAME),
            sid: Ident::trusted(DEFAULT_SID_COLUMN),
            data: Ident::trusted(DEFAULT_DATA_COLUMN),
            expires: Ident::trusted(DEFAULT_EXPIRES_COLUMN),
            created_at: Some(Ident::trusted(DEFAULT_CREATED_AT_COLUMN)),
            updated_at: Some(Ident::trusted(DEFAULT_UPDATED_AT_COLUMN)),
            version: Some(Ident::trusted(DEFAULT_VERSION_COLUMN)),
            custom_columns: Vec::new(),
        }
    }
}

impl Table {
    /// Every column, in table order: the core ones, then the custom ones.
    pub fn columns(&self) -> Vec<ColumnDef<'_>> {
        let core = |name, ty| ColumnDef {
            name,
            ty,
            nullable: false,
            default: None,
        };
        let timestamp = ColumnType::Of(ColumnKind::Timestamp);
        let mut cols = vec![
            core(&self.sid, ColumnType::SessionId),
            core(&self.data, ColumnType::Of(ColumnKind::Json)),
            core(&self.expires, timestamp),
        ];
        cols.extend(self.created_at.iter().map(|c| core(c, timestamp)));
        cols.extend(self.updated_at.iter().map(|c| core(c, timestamp)));
        // Rows written by programs that do not know the column get version 0.
        cols.extend(self.version.iter().map(|c| ColumnDef {
            default: Some("0"),
            ..core(c, ColumnType::Of(ColumnKind::Integer))
        }));
        cols.extend(self.custom_columns.iter().map(|c| ColumnDef {
            name: &c.name,
            ty: ColumnType::Of(c.kind),
            nullable: c.nullable,
            default: None,
        }));
        cols
    }

    /// The declared custom column named `name`.
    pub fn custom_column(&self, name: &str) -> Result<(usize, &CustomColumn)> {
        self.custom_columns
            .iter()
            .enumerate()
            .find(|(_, c)| c.name.as_str() == name)
            .ok_or_else(|| Error::UnknownColumn {
                column: name.to_owned(),
            })
    }

    /// Checks that no two columns share a name (compared as the most lenient dialect does).
    pub fn check_unique_names(&self) -> Result<()> {
        let mut names: Vec<String> = self
            .columns()
            .iter()
            .map(|c| c.name.as_str().to_ascii_lowercase())
            .collect();
        names.sort();
        if names.windows(2).any(|w| w.first() == w.get(1)) {
            return Err(Error::InvalidConfig {
                option: "column",
                reason: "two columns have the same name",
            });
        }
        Ok(())
    }

    /// The indexes `migrate` creates: (index name, column), the expiry one first.
    ///
    /// The expiry index is `<table>_expires_idx` whatever the column is called; a custom
    /// column's index also carries a hash of (table, column), so that no two tables'
    /// index names can meet (`a_b` + `c` and `a` + `b_c` would otherwise both be `a_b_c_idx`;
    /// PostgreSQL index names share one namespace per schema).
    pub fn indexes(&self) -> Vec<(String, &Ident)> {
        let table = self.name.as_str();
        let mut indexes = vec![(format!("{table}_expires_idx"), &self.expires)];
        for col in self.custom_columns.iter().filter(|c| c.indexed) {
            let column = col.name.as_str();
            let pair = table.bytes().chain([b'.']).chain(column.bytes());
            let [a, b, c, d, ..] = fnv1a(pair).to_le_bytes();
            let hash = u32::from_le_bytes([a, b, c, d]);
            let mut name = format!("{table}_{column}");
            // Fits PostgreSQL's 63 bytes with `_<8 hex>_idx` (all ASCII: any cut is safe).
            name.truncate(63 - 13);
            indexes.push((format!("{name}_{hash:08x}_idx"), &col.name));
        }
        indexes
    }

    /// `schema.table` for messages (unquoted: names are validated).
    pub fn display_name(&self) -> String {
        match &self.schema {
            Some(s) => format!("{}.{}", s.as_str(), self.name.as_str()),
            None => self.name.as_str().to_owned(),
        }
    }

    /// A stable 64-bit key naming this table, for advisory locks.
    pub fn lock_key(&self) -> i64 {
        let schema = self.schema.as_ref().map_or("", Ident::as_str);
        let name = schema
            .bytes()
            .chain([b'.'])
            .chain(self.name.as_str().bytes());
        fnv1a(name).cast_signed()
    }
}

/// FNV-1a: stable across builds and processes (unlike `DefaultHasher`).
fn fnv1a(bytes: impl Iterator<Item = u8>) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}
