//! Frame rates as exact rationals.

use crate::error::{Error, Result};

/// A frame rate as an exact rational (`30000/1001` is kept exact).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameRate {
    /// Frames per `den` seconds; not 0.
    pub num: u32,
    /// Seconds; not 0.
    pub den: u32,
}

impl FrameRate {
    /// A validated rate, reduced to lowest terms.
    ///
    /// # Errors
    /// [`crate::Status::InvalidArgument`] when either part is 0.
    pub fn new(num: u32, den: u32) -> Result<FrameRate> {
        if num == 0 || den == 0 {
            return Err(Error::invalid_argument(format!(
                "frame rate {num}/{den}: numerator and denominator must both be non-zero"
            )));
        }
        let g = gcd(num, den);
        Ok(FrameRate {
            num: num / g,
            den: den / g,
        })
    }

    /// Microseconds per frame, rounded to nearest (`avih.dwMicroSecPerFrame`).
    pub fn micros_per_frame(self) -> u32 {
        let us = (u64::from(self.den) * 1_000_000 + u64::from(self.num) / 2) / u64::from(self.num);
        u32::try_from(us).unwrap_or(u32::MAX)
    }
}

pub(crate) fn gcd(mut a: u32, mut b: u32) -> u32 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_rates_reduce_and_round() {
        let ntsc = FrameRate::new(30000, 1001).unwrap();
        assert_eq!((ntsc.num, ntsc.den), (30000, 1001));
        assert_eq!(ntsc.micros_per_frame(), 33367);
        let r = FrameRate::new(60, 2).unwrap();
        assert_eq!((r.num, r.den), (30, 1));
        assert!(FrameRate::new(0, 1).is_err());
        assert!(FrameRate::new(1, 0).is_err());
    }
}
