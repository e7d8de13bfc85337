//! One OpenH264 encoder instance through its C interface (`openh264-sys2`, built from source):
//! created with all of its parameters at once, fed I420 planes, destroyed on drop.
//!
//! The `openh264` crate's wrapper fixes the slice mode to a single slice, and OpenH264 runs one
//! thread per slice, so it could never use more than one core; this module sets the slices
//! itself.

use crate::error::{Error, Result, Status};
use crate::pixel::ColorMatrix;
use openh264_sys2 as sys;
use std::ffi::c_int;
use std::ptr;

/// OpenH264's limit on encoder threads (MAX_THREADS_NUM in its encoder).
pub(super) const MAX_THREADS: usize = 4;

/// H.273 code of SMPTE 170M (BT.601 525-line) colour primaries, transfer and matrix.
const SMPTE_170M: u8 = 6;
/// The VUI code of ITU-R BT.709 for colour primaries, transfer and matrix.
const BT709: u8 = 1;

/// What the encoder is asked to do; everything else keeps OpenH264's defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SessionConfig {
    /// Picture size in pixels (even).
    pub width: u32,
    /// Picture height in pixels (even).
    pub height: u32,
    /// Frames per second, for rate control.
    pub fps: f32,
    /// The one quantizer every picture is coded with.
    pub qp: u8,
    /// A rate-control budget the pictures never reach.
    pub bitrate: u32,
    /// Frames from one IDR picture to the next.
    pub keyframe_interval: u32,
    /// Encoder threads, 1..=[`MAX_THREADS`]; above 1 the picture is cut into that many slices
    /// (one per thread), so the bytes depend on this number and on nothing else.
    pub threads: usize,
    /// The matrix the pictures' YUV samples were made with, signalled in the VUI.
    pub color_matrix: ColorMatrix,
    /// Whether luma spans 0..=255 (gray input passed as it is) rather than 16..=235.
    pub full_range: bool,
}

/// An initialized OpenH264 encoder.
pub struct Session {
    encoder: *mut sys::ISVCEncoder,
    vtable: sys::ISVCEncoderVtbl,
    info: Box<sys::SFrameBSInfo>,
}

// SAFETY: the encoder instance has no affinity to the thread that created it; `Session` hands
// it out only through `&mut self`, so one thread at a time calls into it.
unsafe impl Send for Session {}

fn failed(what: &str, code: c_int) -> Error {
    Error::new(
        Status::Encoder,
        format!("OpenH264: {what} failed with code {code}"),
    )
}

impl Session {
    /// Creates and initializes an encoder.
    ///
    /// # Errors
    /// [`Status::Encoder`] when OpenH264 refuses the parameters or cannot allocate.
    pub fn new(config: &SessionConfig) -> Result<Session> {
        let api = sys::DynamicAPI::from_source();
        let mut encoder: *mut sys::ISVCEncoder = ptr::null_mut();
        // SAFETY: WelsCreateSVCEncoder writes a new instance (or nothing) into the pointer.
        let code = unsafe { sys::API::WelsCreateSVCEncoder(&api, &raw mut encoder) };
        if code != 0 || encoder.is_null() {
            return Err(failed("WelsCreateSVCEncoder", code));
        }
        // SAFETY: a created instance points at its vtable, which lives as long as it does.
        let vtable = unsafe { **encoder };
        let mut session = Session {
            encoder,
            vtable,
            info: Box::default(),
        };
        session.initialize(config)?;
        Ok(session)
    }

    fn initialize(&mut self, config: &SessionConfig) -> Result<()> {
        // Quiet before anything else: at its default level OpenH264 prints warnings about the
        // settings below to stderr, and a library must not write to its caller's terminal.
        let mut level = sys::WELS_LOG_QUIET as c_int;
        self.set_option(sys::ENCODER_OPTION_TRACE_LEVEL, (&raw mut level).cast())?;
        let mut params = sys::SEncParamExt::default();
        let get_defaults = self.function(self.vtable.GetDefaultParams)?;
        // SAFETY: GetDefaultParams fills the struct it is given, of the type it declares.
        let code = unsafe { get_defaults(self.encoder, &raw mut params) };
        if code != 0 {
            return Err(failed("GetDefaultParams", code));
        }
        fill_params(&mut params, config);
        let initialize = self.function(self.vtable.InitializeExt)?;
        // SAFETY: the parameters are a complete SEncParamExt, read during the call only.
        let code = unsafe { initialize(self.encoder, &raw const params) };
        if code != 0 {
            return Err(failed("InitializeExt", code));
        }
        let mut format = sys::videoFormatI420 as c_int;
        self.set_option(sys::ENCODER_OPTION_DATAFORMAT, (&raw mut format).cast())
    }

    fn function<F>(&self, entry: Option<F>) -> Result<F> {
        entry.ok_or_else(|| Error::new(Status::Encoder, "OpenH264: the encoder lacks a function"))
    }

    fn set_option(
        &mut self,
        option: sys::ENCODER_OPTION,
        value: *mut std::ffi::c_void,
    ) -> Result<()> {
        let set = self.function(self.vtable.SetOption)?;
        // SAFETY: every caller passes the int the option is documented to read, alive for the
        // call.
        let code = unsafe { set(self.encoder, option, value) };
        if code != 0 {
            return Err(failed("SetOption", code));
        }
        Ok(())
    }

    /// Encodes one picture given as I420 planes with their row strides (`y` holds `height`
    /// rows of `strides.0`, `u` and `v` `height / 2` rows of `strides.1`), appending the Annex
    /// B bytes to `out`. Returns whether the picture is an IDR or I picture.
    ///
    /// # Errors
    /// [`Status::Encoder`] when OpenH264 fails.
    pub fn encode(
        &mut self,
        (width, height): (usize, usize),
        (y, u, v): (&[u8], &[u8], &[u8]),
        strides: (usize, usize),
        out: &mut Vec<u8>,
    ) -> Result<bool> {
        let (luma, chroma) = strides;
        assert!(
            luma >= width
                && chroma >= width / 2
                && y.len() >= luma * height.saturating_sub(1) + width
                && u.len() >= chroma * (height / 2).saturating_sub(1) + width / 2
                && v.len() >= chroma * (height / 2).saturating_sub(1) + width / 2,
            "the planes hold the picture"
        );
        let int = |n: usize| c_int::try_from(n).unwrap_or(c_int::MAX);
        let source = sys::SSourcePicture {
            iColorFormat: sys::videoFormatI420 as c_int,
            iStride: [int(luma), int(chroma), int(chroma), 0],
            // OpenH264 only reads the source planes; its struct has no const pointers.
            pData: [
                y.as_ptr().cast_mut(),
                u.as_ptr().cast_mut(),
                v.as_ptr().cast_mut(),
                ptr::null_mut(),
            ],
            iPicWidth: int(width),
            iPicHeight: int(height),
            uiTimeStamp: 0,
            bPsnrY: false,
            bPsnrU: false,
            bPsnrV: false,
        };
        let encode = self.function(self.vtable.EncodeFrame)?;
        // SAFETY: the planes cover the picture at their strides (asserted above) and outlive
        // the call; the result struct is ours and is read below, before the next call.
        let code = unsafe { encode(self.encoder, &raw const source, &raw mut *self.info) };
        if code != 0 {
            return Err(failed("EncodeFrame", code));
        }
        let layers = usize::try_from(self.info.iLayerNum).unwrap_or(0);
        for layer in &self.info.sLayerInfo[..layers.min(self.info.sLayerInfo.len())] {
            let nals = usize::try_from(layer.iNalCount).unwrap_or(0);
            if nals == 0 || layer.pBsBuf.is_null() || layer.pNalLengthInByte.is_null() {
                continue;
            }
            // SAFETY: OpenH264 reports `iNalCount` NAL lengths, and the NAL units lie back to
            // back in `pBsBuf`; both stay valid until the next encode call.
            let lengths = unsafe { std::slice::from_raw_parts(layer.pNalLengthInByte, nals) };
            let total: usize = lengths
                .iter()
                .map(|&n| usize::try_from(n).unwrap_or(0))
                .sum();
            // SAFETY: as above: `total` bytes of NAL units start at `pBsBuf`.
            out.extend_from_slice(unsafe { std::slice::from_raw_parts(layer.pBsBuf, total) });
        }
        Ok(matches!(
            self.info.eFrameType,
            sys::videoFrameTypeIDR | sys::videoFrameTypeI
        ))
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if let Some(uninitialize) = self.vtable.Uninitialize {
            // SAFETY: the instance is alive; uninitializing an instance whose initialization
            // failed is allowed and does nothing.
            unsafe { uninitialize(self.encoder) };
        }
        // SAFETY: created by WelsCreateSVCEncoder and not used after this.
        unsafe { sys::API::WelsDestroySVCEncoder(&sys::DynamicAPI::from_source(), self.encoder) };
    }
}

/// The parameters of one camera-style, constant-quantizer, single-layer stream.
fn fill_params(params: &mut sys::SEncParamExt, config: &SessionConfig) {
    let size = |n: u32| c_int::try_from(n).unwrap_or(c_int::MAX);
    let bitrate = c_int::try_from(config.bitrate).unwrap_or(c_int::MAX);
    params.iUsageType = sys::CAMERA_VIDEO_REAL_TIME;
    params.iPicWidth = size(config.width);
    params.iPicHeight = size(config.height);
    // A fixed quantizer: OpenH264 ignores the QP range with rate control off, so rate control
    // stays on with a budget it never reaches and the range pinned to one value.
    params.iRCMode = sys::RC_QUALITY_MODE;
    params.iTargetBitrate = bitrate;
    params.iMinQp = c_int::from(config.qp);
    params.iMaxQp = c_int::from(config.qp);
    params.bEnableFrameSkip = false;
    params.bEnableDenoise = false;
    params.fMaxFrameRate = config.fps;
    params.eSpsPpsIdStrategy = sys::CONSTANT_ID;
    // Keyframes exactly at the interval: scene-change detection inserts IDR pictures of its own
    // (every 19-21 frames on moving content, where 60 were asked for).
    params.bEnableSceneChangeDetect = false;
    params.bEnableAdaptiveQuant = true;
    params.bEnableBackgroundDetection = true;
    params.bEnableLongTermReference = false;
    params.iComplexityMode = sys::MEDIUM_COMPLEXITY;
    params.uiIntraPeriod = config.keyframe_interval;
    params.iLoopFilterDisableIdc = 0;
    params.iSpatialLayerNum = 1;
    params.iTemporalLayerNum = 1;
    params.iLtrMarkPeriod = 30;
    let threads = config.threads.clamp(1, MAX_THREADS);
    params.iMultipleThreadIdc = threads as u16;
    let layer = &mut params.sSpatialLayers[0];
    layer.iVideoWidth = size(config.width);
    layer.iVideoHeight = size(config.height);
    layer.fFrameRate = config.fps;
    layer.iSpatialBitrate = bitrate;
    layer.iMaxSpatialBitrate = bitrate;
    // One slice per thread, cut at fixed macroblock rows: OpenH264 encodes slices in parallel,
    // and fixed slices give the same bytes for the same thread count on every run. Its load
    // balancing (on by default) moves the cuts by measured encoding times, which would make
    // every run different.
    params.bUseLoadBalancing = false;
    layer.sSliceArgument.uiSliceMode = if threads > 1 {
        sys::SM_FIXEDSLCNUM_SLICE
    } else {
        sys::SM_SINGLE_SLICE
    };
    layer.sSliceArgument.uiSliceNum = threads as u32;
    // The matrix and range the pictures were made with, so players convert them back exactly.
    let code = match config.color_matrix {
        ColorMatrix::Bt601 => SMPTE_170M,
        ColorMatrix::Bt709 => BT709,
    };
    layer.bVideoSignalTypePresent = true;
    layer.bColorDescriptionPresent = true;
    layer.bFullRange = config.full_range;
    layer.uiColorPrimaries = code;
    layer.uiTransferCharacteristics = code;
    layer.uiColorMatrix = code;
}
