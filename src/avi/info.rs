//! RIFF INFO metadata, the `LIST 'INFO'` of the header: title, artist, comment, dates, the
//! software that wrote the file. Editors, asset managers and FFmpeg (as tags) read it.

use super::constants::{CK_ISFT, LIST, LIST_INFO};
use crate::error::{Error, Result};
use crate::riff::{FourCc, RiffTree};

/// Longest value accepted, in bytes of UTF-8.
pub const MAX_INFO_VALUE_LEN: usize = 65_000;

/// The INFO entries of a file: ids in the order they were first set, each with its value.
/// Starts with `ISFT` = `avikit X.Y.Z` (this version).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InfoList {
    entries: Vec<(FourCc, String)>,
}

impl Default for InfoList {
    fn default() -> InfoList {
        InfoList {
            entries: vec![(
                CK_ISFT,
                concat!("avikit ", env!("CARGO_PKG_VERSION")).to_owned(),
            )],
        }
    }
}

impl InfoList {
    /// A list without entries, not even `ISFT`.
    pub fn empty() -> InfoList {
        InfoList {
            entries: Vec::new(),
        }
    }

    /// Sets `id` (`I` and three uppercase letters or digits: `INAM` title, `IART` artist,
    /// `ICMT` comment, `ICRD` date, `ISFT` software, ...) to `value`, replacing an earlier
    /// value; an empty value removes the entry.
    ///
    /// # Errors
    /// [`crate::Status::InvalidArgument`] for another id, a value over 65,000 bytes or one
    /// containing NUL.
    pub fn set(&mut self, id: &str, value: &str) -> Result<()> {
        let id = info_id(id)?;
        if value.len() > MAX_INFO_VALUE_LEN {
            return Err(Error::invalid_argument(format!(
                "INFO {id} value of {} bytes is over {MAX_INFO_VALUE_LEN}",
                value.len()
            )));
        }
        if value.contains('\0') {
            return Err(Error::invalid_argument(format!(
                "INFO {id} value contains a NUL character"
            )));
        }
        let existing = self.entries.iter().position(|(e, _)| *e == id);
        match (existing, value.is_empty()) {
            (Some(i), true) => {
                self.entries.remove(i);
            }
            (Some(i), false) => self.entries[i].1 = value.to_owned(),
            (None, true) => {}
            (None, false) => self.entries.push((id, value.to_owned())),
        }
        Ok(())
    }

    /// The value of `id`, if set.
    #[cfg(test)]
    pub fn get(&self, id: &str) -> Option<&str> {
        let id = info_id(id).ok()?;
        self.entries
            .iter()
            .find(|(e, _)| *e == id)
            .map(|(_, v)| v.as_str())
    }

    /// Writes `LIST 'INFO'` with one NUL-terminated chunk per entry; nothing when empty.
    pub(super) fn write(&self, t: &mut RiffTree) {
        if self.entries.is_empty() {
            return;
        }
        t.begin_list(LIST, LIST_INFO);
        for (id, value) in &self.entries {
            t.begin_chunk(*id).bytes(value.as_bytes()).bytes(&[0]).end();
        }
        t.end();
    }
}

fn info_id(id: &str) -> Result<FourCc> {
    let bytes = id.as_bytes();
    let valid = bytes.len() == 4
        && bytes[0] == b'I'
        && bytes[1..]
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if !valid {
        return Err(Error::invalid_argument(format!(
            "INFO id {id:?} is not I and three uppercase letters or digits (INAM, IART, ICMT, ...)"
        )));
    }
    Ok(FourCc::new([bytes[0], bytes[1], bytes[2], bytes[3]]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Status;

    #[test]
    fn ids_values_replacement_and_removal() {
        let mut info = InfoList::default();
        assert!(info.get("ISFT").unwrap().starts_with("avikit "));
        info.set("INAM", "Première").unwrap();
        info.set("ICMT", "one").unwrap();
        info.set("INAM", "Second").unwrap();
        info.set("ISFT", "").unwrap();
        info.set("IKEY", "").unwrap();
        assert_eq!(info.get("INAM"), Some("Second"));
        assert_eq!(info.get("ISFT"), None);
        let ids: Vec<_> = info.entries.iter().map(|(id, _)| id.0).collect();
        assert_eq!(ids, [*b"INAM", *b"ICMT"], "first-set order kept");
        for bad in ["inam", "INA", "INAME", "XNAM", "Inam", "I-AM", "IN\u{e9}"] {
            let e = info.set(bad, "x").unwrap_err();
            assert_eq!(e.status(), Status::InvalidArgument, "{bad}");
        }
        assert!(info.set("ICMT", &"x".repeat(MAX_INFO_VALUE_LEN)).is_ok());
        assert!(info
            .set("ICMT", &"x".repeat(MAX_INFO_VALUE_LEN + 1))
            .is_err());
        assert!(info.set("ICMT", "a\0b").is_err());
    }

    #[test]
    fn an_empty_list_writes_nothing() {
        let mut info = InfoList::default();
        info.set("ISFT", "").unwrap();
        let mut t = RiffTree::new();
        info.write(&mut t);
        assert!(t.into_bytes().is_empty());
    }
}
