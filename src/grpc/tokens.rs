//! Role tokens: a file of `[[token]]` entries (`name`, `role`, `sha256` of the token), so
//! only hashes are at rest. A presented token is hashed and compared with every entry in
//! constant time; tokens are never logged (entries are known by their `name`). The file
//! is reloaded on demand (SIGHUP, a changed modification time): rotation without restart.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::SystemTime;

use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The ledger: `IngestWithdrawals`, `IngestWithdrawalBatches`, `RecordWithdrawals`.
    Ingest,
    /// Watchers and dashboards: `GetProjection`, `WatchProjections`, `WatchAlerts`,
    /// reflection.
    Read,
    /// Operators: `SetReserve`, and everything `read` may do.
    Admin,
}

impl Role {
    /// Lower-case name, as in the tokens file.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Ingest => "ingest",
            Role::Read => "read",
            Role::Admin => "admin",
        }
    }

    /// Whether a token of this role may call an RPC that requires `required`.
    pub fn grants(self, required: Role) -> bool {
        self == required || (self == Role::Admin && required == Role::Read)
    }
}

/// Who made a call: the name of the matching token entry and its role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The entry's `name` (never the token).
    pub name: String,
    /// The entry's role.
    pub role: Role,
}

/// Why the tokens file was refused.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The file could not be read.
    #[error("cannot read the tokens file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not a valid tokens file.
    #[error("tokens file {path}: {reason}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenFile {
    #[serde(default)]
    token: Vec<TokenEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenEntry {
    name: String,
    role: Role,
    sha256: String,
}

/// One accepted token: its entry name, role and SHA-256 digest.
#[derive(Debug, Clone)]
struct Entry {
    caller: Caller,
    digest: [u8; 32],
}

/// The lower-case hex SHA-256 of `token`: what the tokens file stores.
pub fn hash_token(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn digest_of(token: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(&Sha256::digest(token.as_bytes()));
    out
}

fn parse_hex_digest(hex: &str) -> Option<[u8; 32]> {
    let hex = hex.trim();
    if hex.len() != 64 || !hex.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

/// Parses the text of a tokens file (`path` only names it in errors).
fn parse(text: &str, path: &str) -> Result<Vec<Entry>, TokenError> {
    let invalid = |reason: String| TokenError::Invalid {
        path: path.to_owned(),
        reason,
    };
    let file: TokenFile = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
    let mut entries = Vec::with_capacity(file.token.len());
    for (i, entry) in file.token.into_iter().enumerate() {
        if entry.name.trim().is_empty() {
            return Err(invalid(format!("token[{i}].name is empty")));
        }
        let digest = parse_hex_digest(&entry.sha256).ok_or_else(|| {
            invalid(format!(
                "token[{i}] ({}): sha256 must be 64 hex digits (`sentinel token hash`)",
                entry.name
            ))
        })?;
        entries.push(Entry {
            caller: Caller {
                name: entry.name,
                role: entry.role,
            },
            digest,
        });
    }
    Ok(entries)
}

/// The tokens in force, reloadable from their file.
#[derive(Debug)]
pub struct TokenStore {
    path: PathBuf,
    entries: RwLock<Arc<Vec<Entry>>>,
    modified: Mutex<Option<SystemTime>>,
}

impl TokenStore {
    /// Loads the tokens file at `path`.
    pub fn load(path: &Path) -> Result<Self, TokenError> {
        let store = Self {
            path: path.to_owned(),
            entries: RwLock::new(Arc::new(Vec::new())),
            modified: Mutex::new(None),
        };
        store.reload()?;
        Ok(store)
    }

    /// The file the tokens come from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the file again and puts its tokens in force; on error the tokens in force are
    /// kept. Returns how many entries are in force.
    pub fn reload(&self) -> Result<usize, TokenError> {
        let name = self.path.display().to_string();
        let modified = std::fs::metadata(&self.path)
            .and_then(|m| m.modified())
            .ok();
        let text = std::fs::read_to_string(&self.path).map_err(|source| TokenError::Read {
            path: name.clone(),
            source,
        })?;
        let entries = parse(&text, &name)?;
        let count = entries.len();
        *self.entries.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(entries);
        *self.modified.lock().unwrap_or_else(|e| e.into_inner()) = modified;
        Ok(count)
    }

    /// Reloads when the file's modification time changed since the last load; `Ok(None)`
    /// when it did not.
    pub fn reload_if_changed(&self) -> Result<Option<usize>, TokenError> {
        let now = std::fs::metadata(&self.path)
            .and_then(|m| m.modified())
            .ok();
        let last = *self.modified.lock().unwrap_or_else(|e| e.into_inner());
        if now == last {
            return Ok(None);
        }
        self.reload().map(Some)
    }

    /// The entry `token` matches, if any. Every entry is compared, in constant time each,
    /// so the time taken does not depend on which entry (or how much of one) matches.
    pub fn identify(&self, token: &str) -> Option<Caller> {
        let digest = digest_of(token);
        let entries = Arc::clone(&self.entries.read().unwrap_or_else(|e| e.into_inner()));
        let mut found = None;
        for entry in entries.iter() {
            if bool::from(entry.digest.ct_eq(&digest)) && found.is_none() {
                found = Some(entry.caller.clone());
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_sha256_hex() {
        // SHA-256("abc"), FIPS 180-2 appendix B.1.
        assert_eq!(
            hash_token("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn a_file_is_parsed_and_tokens_identify_their_entry() {
        let text = format!(
            "[[token]]\nname = \"ledger\"\nrole = \"ingest\"\nsha256 = \"{}\"\n\
             [[token]]\nname = \"ops\"\nrole = \"admin\"\nsha256 = \"{}\"\n",
            hash_token("t-ledger"),
            hash_token("t-ops").to_uppercase()
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens.toml");
        std::fs::write(&path, text).unwrap();
        let store = TokenStore::load(&path).unwrap();
        assert_eq!(
            store.identify("t-ledger").map(|c| (c.name, c.role)),
            Some(("ledger".to_owned(), Role::Ingest))
        );
        assert_eq!(store.identify("t-ops").unwrap().role, Role::Admin);
        assert_eq!(store.identify("t-other"), None);
        assert_eq!(store.identify(""), None);
    }

    #[test]
    fn a_bad_digest_or_role_is_refused_and_names_the_entry() {
        let bad_hex = "[[token]]\nname = \"x\"\nrole = \"read\"\nsha256 = \"abc\"\n";
        let error = parse(bad_hex, "t.toml").unwrap_err().to_string();
        assert!(error.contains("token[0] (x)"), "{error}");
        let bad_role = format!(
            "[[token]]\nname = \"x\"\nrole = \"root\"\nsha256 = \"{}\"\n",
            hash_token("a")
        );
        assert!(parse(&bad_role, "t.toml").is_err());
    }

    #[test]
    fn admin_grants_read_and_nothing_else_crosses_roles() {
        assert!(Role::Admin.grants(Role::Admin) && Role::Admin.grants(Role::Read));
        assert!(!Role::Admin.grants(Role::Ingest));
        assert!(!Role::Read.grants(Role::Ingest) && !Role::Ingest.grants(Role::Admin));
        assert!(!Role::Ingest.grants(Role::Read));
    }
}
