//! Orientation detection with Tesseract's OSD model, through the C API: the
//! `tesseract` crate does not wrap `DetectOrientationScript`.

use std::ffi::CStr;
use std::os::raw::{c_char, c_int};

use tesseract_sys as sys;
use torikomi_page::PageImage;

use crate::{OcrError, Orientation};

pub(crate) struct OsdDetector {
    api: *mut sys::TessBaseAPI,
}

impl OsdDetector {
    pub(crate) fn new() -> Result<Self, OcrError> {
        // SAFETY: create/init/delete are paired; the handle is owned here.
        unsafe {
            let api = sys::TessBaseAPICreate();
            if sys::TessBaseAPIInit3(api, std::ptr::null(), c"osd".as_ptr()) != 0 {
                sys::TessBaseAPIDelete(api);
                return Err(OcrError::LanguageMissing { language: "osd".into(), message: "init failed".into() });
            }
            sys::TessBaseAPISetPageSegMode(api, sys::TessPageSegMode_PSM_OSD_ONLY);
            sys::TessBaseAPISetVariable(api, c"debug_file".as_ptr(), c"/dev/null".as_ptr());
            Ok(Self { api })
        }
    }

    pub(crate) fn detect(&mut self, page: &PageImage) -> Result<Orientation, OcrError> {
        let image = &page.image;
        let mut degrees: c_int = 0;
        let mut confidence: f32 = 0.0;
        let mut script: *const c_char = std::ptr::null();
        let mut script_confidence: f32 = 0.0;
        // SAFETY: the image buffer outlives the call; Tesseract copies it.
        let found = unsafe {
            sys::TessBaseAPISetImage(
                self.api,
                image.as_raw().as_ptr(),
                image.width() as c_int,
                image.height() as c_int,
                1,
                image.width() as c_int,
            );
            // OSD reads the resolution from the image itself, not from
            // SetSourceResolution, and warns on stderr when it is missing.
            let dpi = page.dpi.round() as c_int;
            leptonica_sys::pixSetResolution(sys::TessBaseAPIGetInputImage(self.api).cast(), dpi, dpi);
            sys::TessBaseAPIDetectOrientationScript(
                self.api,
                &mut degrees,
                &mut confidence,
                &mut script,
                &mut script_confidence,
            )
        };
        if found == 0 {
            return Err(OcrError::Orientation { message: "too little text to judge".into() });
        }
        if !script.is_null() {
            // SAFETY: Tesseract returns a static, NUL-terminated script name.
            let script = unsafe { CStr::from_ptr(script) }.to_string_lossy();
            tracing::debug!(%script, script_confidence, degrees, confidence, "osd");
        }
        // Tesseract reports how far the text is turned clockwise; undoing
        // that is the rest of a full turn.
        Ok(Orientation { clockwise_turn: (360 - degrees.rem_euclid(360)) as u16 % 360, confidence })
    }
}

impl Drop for OsdDetector {
    fn drop(&mut self) {
        // SAFETY: the handle came from TessBaseAPICreate and is dropped once.
        unsafe {
            sys::TessBaseAPIEnd(self.api);
            sys::TessBaseAPIDelete(self.api);
        }
    }
}

// SAFETY: a TessBaseAPI may move between threads; it is only used through
// `&mut self`.
unsafe impl Send for OsdDetector {}
