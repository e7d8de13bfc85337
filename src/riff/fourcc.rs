//! Four-character codes as they appear in RIFF files.

use std::fmt;

/// A RIFF four-character code, stored as the four bytes in file order.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct FourCc(pub [u8; 4]);

impl FourCc {
    /// The code from its four bytes in file order (`FourCc::new(*b"movi")`).
    pub const fn new(bytes: [u8; 4]) -> FourCc {
        FourCc(bytes)
    }

    /// The code from the little-endian `u32` that C APIs use (`MKTAG('M','J','P','G')`).
    pub const fn from_u32(value: u32) -> FourCc {
        FourCc(value.to_le_bytes())
    }

    /// The little-endian `u32` form.
    pub const fn to_u32(self) -> u32 {
        u32::from_le_bytes(self.0)
    }

    /// The chunk id of stream `index` with a two-letter suffix: `00dc`, `01wb`, or with a two-letter
    /// prefix when `prefix` is true: `ix00`. `index` must be below 100.
    pub fn for_stream(index: usize, tag: [u8; 2], prefix: bool) -> FourCc {
        debug_assert!(index < 100);
        let digits = [b'0' + (index / 10) as u8, b'0' + (index % 10) as u8];
        if prefix {
            FourCc([tag[0], tag[1], digits[0], digits[1]])
        } else {
            FourCc([digits[0], digits[1], tag[0], tag[1]])
        }
    }
}

impl fmt::Debug for FourCc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "'")?;
        for &b in &self.0 {
            if b.is_ascii_graphic() || b == b' ' {
                write!(f, "{}", b as char)?;
            } else {
                write!(f, "\\x{b:02x}")?;
            }
        }
        write!(f, "'")
    }
}

impl fmt::Display for FourCc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_ids_use_two_decimal_digits() {
        assert_eq!(FourCc::for_stream(0, *b"dc", false), FourCc::new(*b"00dc"));
        assert_eq!(FourCc::for_stream(42, *b"wb", false), FourCc::new(*b"42wb"));
        assert_eq!(FourCc::for_stream(99, *b"ix", true), FourCc::new(*b"ix99"));
    }

    #[test]
    fn u32_form_is_little_endian() {
        let mjpg = FourCc::new(*b"MJPG");
        assert_eq!(mjpg.to_u32(), 0x47504a4d);
        assert_eq!(FourCc::from_u32(0x47504a4d), mjpg);
        assert_eq!(
            format!("{:?}", FourCc::new([b'a', 0, b'c', b' '])),
            "'a\\x00c '"
        );
    }
}
