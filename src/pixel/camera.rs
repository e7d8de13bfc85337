//! Where the samples of a camera frame lie (I420, NV12, YUY2; BT.601 limited range): one image
//! row at a time, with the chroma samples that belong to it, for the conversions that read
//! camera input.

use super::layout::{InputLayout, PixelFormat};

/// One image row of a camera frame, with the chroma samples that belong to it.
#[derive(Debug, Clone, Copy)]
pub(super) enum CameraRow<'f> {
    /// I420: the Y row and the U and V rows shared with the neighbouring image row.
    Planar {
        y: &'f [u8],
        u: &'f [u8],
        v: &'f [u8],
    },
    /// NV12: the Y row and the interleaved U V row shared with the neighbouring image row.
    SemiPlanar { y: &'f [u8], uv: &'f [u8] },
    /// YUY2: Y0 U Y1 V for every two pixels of the row.
    Packed(&'f [u8]),
}

/// Image row `y` (0 = top) of a camera frame that passed [`InputLayout::check_frame_len`].
pub(super) fn camera_row<'f>(input: &InputLayout, frame: &'f [u8], y: usize) -> CameraRow<'f> {
    let (w, h) = (input.width as usize, input.height as usize);
    let pitch = input.row_pitch();
    let luma = &frame[y * pitch..y * pitch + w * input.format.bytes_per_pixel()];
    let chroma_planes = &frame[pitch * h..];
    match input.format {
        PixelFormat::I420 => {
            let half = pitch / 2;
            let u_at = (y / 2) * half;
            let v_at = half * (h / 2) + u_at;
            CameraRow::Planar {
                y: luma,
                u: &chroma_planes[u_at..u_at + w / 2],
                v: &chroma_planes[v_at..v_at + w / 2],
            }
        }
        PixelFormat::Nv12 => {
            let at = (y / 2) * pitch;
            CameraRow::SemiPlanar {
                y: luma,
                uv: &chroma_planes[at..at + w],
            }
        }
        PixelFormat::Yuy2 => CameraRow::Packed(luma),
        other => unreachable!("{other:?} is not a camera format"),
    }
}
