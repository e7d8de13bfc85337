//! Device-independent bitmap (DIB) geometry: row stride and image size of BI_RGB frames.

/// Bytes per row of a DIB: `width * bits_per_pixel` bits rounded up to whole 32-bit words.
/// `None` when the result does not fit in `u32`.
pub fn stride(width: u32, bits_per_pixel: u16) -> Option<u32> {
    let bits = u64::from(width) * u64::from(bits_per_pixel);
    u32::try_from(bits.div_ceil(32) * 4).ok()
}

/// Bytes of a whole DIB frame (`biSizeImage`): padded stride times height. `None` when it does not
/// fit in `u32`.
pub fn image_size(width: u32, height: u32, bits_per_pixel: u16) -> Option<u32> {
    let size = u64::from(stride(width, bits_per_pixel)?) * u64::from(height);
    u32::try_from(size).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_padded_to_four_bytes() {
        assert_eq!(stride(1, 24), Some(4));
        assert_eq!(stride(3, 24), Some(12));
        assert_eq!(stride(5, 24), Some(16));
        assert_eq!(stride(5, 8), Some(8));
        assert_eq!(stride(7, 16), Some(16));
        assert_eq!(stride(1920, 32), Some(7680));
        assert_eq!(image_size(5, 3, 24), Some(48));
        assert_eq!(image_size(u32::MAX, 2, 32), None);
    }
}
