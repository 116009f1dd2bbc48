//! The Android camera through the NDK's Camera2 API (`libcamera2ndk`) and an `AImageReader`.
//!
//! Why the NDK and not CameraX over JNI: the frames arrive in native code as YUV_420_888, whose
//! Y plane *is* the luma the decoder wants (one row copy, no conversion, no JVM round trip per
//! frame), and the app needs no Java or Kotlin camera code, no lifecycle owner and no AndroidX
//! dependency. CameraX's extras (use-case binding, vendor quirks) matter less for a scanner that
//! only needs a steady preview-sized stream and the torch.
//!
//! Compiled only for Android; `android/check.sh` type-checks it in CI. `android.rs` opens it and
//! hands it to the UI as the camera; it knows only the frame types (`frame.rs`) of `scan`.

use std::ffi::{c_int, c_void, CStr, CString};
use std::ptr::{null_mut, NonNull};
use std::time::{Duration, Instant};

use ndk_sys as ffi;

use super::frame::{CameraError, FrameSource, PixelFormat, RawFrame};

// ndk-sys declares the Camera2 functions but links only libandroid and libmediandk.
#[link(name = "camera2ndk")]
extern "C" {}

/// The stream size asked for: plenty for labels at arm's length, cheap to decode.
const WIDTH: i32 = 1280;
const HEIGHT: i32 = 720;

/// What the NDK's camera said went wrong.
#[derive(Debug, thiserror::Error)]
pub enum NdkCameraError {
    #[error("the camera failed to {what} (error {code})")]
    Camera { what: &'static str, code: i32 },
    #[error("the camera's image reader failed to {what} (error {code})")]
    Reader { what: &'static str, code: i32 },
    #[error("this device has no camera service")]
    NoService,
    #[error("this device has no camera")]
    NoCamera,
    #[error("there is no camera {index} (this device has {count})")]
    NoSuchCamera { index: u32, count: usize },
    #[error("the camera sends no pictures")]
    NoPictures,
    #[error("the camera gave a picture that could not be read")]
    Unreadable,
}

impl From<NdkCameraError> for CameraError {
    fn from(e: NdkCameraError) -> CameraError {
        CameraError::Platform(Box::new(e))
    }
}

fn check(status: ffi::camera_status_t, what: &'static str) -> Result<(), NdkCameraError> {
    if status == ffi::camera_status_t::ACAMERA_OK {
        Ok(())
    } else {
        Err(NdkCameraError::Camera {
            what,
            code: status.0,
        })
    }
}

fn check_media(status: ffi::media_status_t, what: &'static str) -> Result<(), NdkCameraError> {
    if status == ffi::media_status_t::AMEDIA_OK {
        Ok(())
    } else {
        Err(NdkCameraError::Reader {
            what,
            code: status.0,
        })
    }
}

unsafe extern "C" fn on_disconnected(_ctx: *mut c_void, _device: *mut ffi::ACameraDevice) {}
unsafe extern "C" fn on_error(_ctx: *mut c_void, _device: *mut ffi::ACameraDevice, _err: c_int) {}
unsafe extern "C" fn on_session(_ctx: *mut c_void, _session: *mut ffi::ACameraCaptureSession) {}

/// A back camera streaming preview-sized YUV frames. Dropping it closes everything it opened,
/// in reverse order.
pub struct NdkCameraSource {
    manager: NonNull<ffi::ACameraManager>,
    device: *mut ffi::ACameraDevice,
    reader: *mut ffi::AImageReader,
    outputs: *mut ffi::ACaptureSessionOutputContainer,
    output: *mut ffi::ACaptureSessionOutput,
    target: *mut ffi::ACameraOutputTarget,
    request: *mut ffi::ACaptureRequest,
    session: *mut ffi::ACameraCaptureSession,
    // Boxed so their addresses stay put while the camera holds them.
    _device_callbacks: Box<ffi::ACameraDevice_StateCallbacks>,
    _session_callbacks: Box<ffi::ACameraCaptureSession_stateCallbacks>,
    id: String,
    flash: bool,
}

impl NdkCameraSource {
    /// Opens the `index`-th back-facing camera (the first camera when there is no back one).
    /// The CAMERA permission must already be granted (the activity asks for it).
    pub fn open(index: u32) -> Result<NdkCameraSource, NdkCameraError> {
        let manager = NonNull::new(unsafe { ffi::ACameraManager_create() })
            .ok_or(NdkCameraError::NoService)?;
        let mut me = NdkCameraSource {
            manager,
            device: null_mut(),
            reader: null_mut(),
            outputs: null_mut(),
            output: null_mut(),
            target: null_mut(),
            request: null_mut(),
            session: null_mut(),
            _device_callbacks: Box::new(ffi::ACameraDevice_StateCallbacks {
                context: null_mut(),
                onDisconnected: Some(on_disconnected),
                onError: Some(on_error),
            }),
            _session_callbacks: Box::new(ffi::ACameraCaptureSession_stateCallbacks {
                context: null_mut(),
                onClosed: Some(on_session),
                onReady: Some(on_session),
                onActive: Some(on_session),
            }),
            id: String::new(),
            flash: false,
        };
        let (id, flash) = me.choose(index)?;
        me.id = id.to_string_lossy().into_owned();
        me.flash = flash;
        unsafe { me.start(&id)? };
        Ok(me)
    }

    /// The camera id to open, and whether it has a flash unit (the torch).
    fn choose(&self, index: u32) -> Result<(CString, bool), NdkCameraError> {
        let mut list: *mut ffi::ACameraIdList = null_mut();
        check(
            unsafe { ffi::ACameraManager_getCameraIdList(self.manager.as_ptr(), &mut list) },
            "list the cameras",
        )?;
        let ids: Vec<CString> = unsafe {
            let l = &*list;
            let ids = (0..l.numCameras.max(0) as usize)
                .map(|i| CStr::from_ptr(*l.cameraIds.add(i)).to_owned())
                .collect();
            ffi::ACameraManager_deleteCameraIdList(list);
            ids
        };
        if ids.is_empty() {
            return Err(NdkCameraError::NoCamera);
        }
        let facing_back = |id: &CStr| {
            self.u8_entry(id, ffi::acamera_metadata_tag::ACAMERA_LENS_FACING.0)
                == Some(
                    ffi::acamera_metadata_enum_acamera_lens_facing::ACAMERA_LENS_FACING_BACK.0
                        as u8,
                )
        };
        let back: Vec<&CString> = ids.iter().filter(|id| facing_back(id)).collect();
        let pick = if back.is_empty() {
            ids.get(index as usize)
        } else {
            back.get(index as usize).copied()
        }
        .ok_or(NdkCameraError::NoSuchCamera {
            index,
            count: ids.len(),
        })?;
        let flash = self.u8_entry(
            pick,
            ffi::acamera_metadata_tag::ACAMERA_FLASH_INFO_AVAILABLE.0,
        ) == Some(1);
        Ok((pick.clone(), flash))
    }

    /// One single-byte characteristic of a camera.
    fn u8_entry(&self, id: &CStr, tag: u32) -> Option<u8> {
        unsafe {
            let mut meta: *mut ffi::ACameraMetadata = null_mut();
            if ffi::ACameraManager_getCameraCharacteristics(
                self.manager.as_ptr(),
                id.as_ptr(),
                &mut meta,
            ) != ffi::camera_status_t::ACAMERA_OK
            {
                return None;
            }
            let mut entry: ffi::ACameraMetadata_const_entry = std::mem::zeroed();
            let found = ffi::ACameraMetadata_getConstEntry(meta, tag, &mut entry)
                == ffi::camera_status_t::ACAMERA_OK
                && entry.count > 0;
            let v = found.then(|| *entry.data.u8_);
            ffi::ACameraMetadata_free(meta);
            v
        }
    }

    /// Opens the device and starts a repeating preview request into the image reader.
    unsafe fn start(&mut self, id: &CStr) -> Result<(), NdkCameraError> {
        check_media(
            ffi::AImageReader_new(
                WIDTH,
                HEIGHT,
                ffi::AIMAGE_FORMATS::AIMAGE_FORMAT_YUV_420_888.0 as i32,
                4,
                &mut self.reader,
            ),
            "start",
        )?;
        let mut window: *mut ffi::ANativeWindow = null_mut();
        check_media(
            ffi::AImageReader_getWindow(self.reader, &mut window),
            "give a surface",
        )?;
        check(
            ffi::ACameraManager_openCamera(
                self.manager.as_ptr(),
                id.as_ptr(),
                &mut *self._device_callbacks,
                &mut self.device,
            ),
            "open (is it in use by another app?)",
        )?;
        check(
            ffi::ACaptureSessionOutputContainer_create(&mut self.outputs),
            "prepare",
        )?;
        check(
            ffi::ACaptureSessionOutput_create(window, &mut self.output),
            "prepare",
        )?;
        check(
            ffi::ACaptureSessionOutputContainer_add(self.outputs, self.output),
            "prepare",
        )?;
        check(
            ffi::ACameraOutputTarget_create(window, &mut self.target),
            "prepare",
        )?;
        check(
            ffi::ACameraDevice_createCaptureRequest(
                self.device,
                ffi::ACameraDevice_request_template::TEMPLATE_PREVIEW,
                &mut self.request,
            ),
            "prepare a preview",
        )?;
        check(
            ffi::ACaptureRequest_addTarget(self.request, self.target),
            "prepare",
        )?;
        check(
            ffi::ACameraDevice_createCaptureSession(
                self.device,
                self.outputs,
                &*self._session_callbacks,
                &mut self.session,
            ),
            "start a session",
        )?;
        self.repeat()
    }

    unsafe fn repeat(&mut self) -> Result<(), NdkCameraError> {
        let mut requests = [self.request];
        check(
            ffi::ACameraCaptureSession_setRepeatingRequest(
                self.session,
                null_mut(),
                1,
                requests.as_mut_ptr(),
                null_mut(),
            ),
            "stream",
        )
    }
}

impl FrameSource for NdkCameraSource {
    fn next_frame(&mut self) -> Result<Option<RawFrame>, CameraError> {
        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            let mut image: *mut ffi::AImage = null_mut();
            let status = unsafe { ffi::AImageReader_acquireLatestImage(self.reader, &mut image) };
            if status == ffi::media_status_t::AMEDIA_IMGREADER_NO_BUFFER_AVAILABLE {
                if Instant::now() > deadline {
                    return Err(NdkCameraError::NoPictures.into());
                }
                std::thread::sleep(Duration::from_millis(5));
                continue;
            }
            check_media(status, "deliver a picture")?;
            // The Y plane, row by row (its stride may be wider than the picture).
            let frame = unsafe {
                let (mut w, mut h, mut stride, mut len) = (0i32, 0i32, 0i32, 0 as c_int);
                let mut data: *mut u8 = null_mut();
                let ok = ffi::AImage_getWidth(image, &mut w) == ffi::media_status_t::AMEDIA_OK
                    && ffi::AImage_getHeight(image, &mut h) == ffi::media_status_t::AMEDIA_OK
                    && ffi::AImage_getPlaneRowStride(image, 0, &mut stride)
                        == ffi::media_status_t::AMEDIA_OK
                    && ffi::AImage_getPlaneData(image, 0, &mut data, &mut len)
                        == ffi::media_status_t::AMEDIA_OK;
                let (w, h, stride) = (w.max(0) as usize, h.max(0) as usize, stride.max(0) as usize);
                let fits = ok
                    && !data.is_null()
                    && stride >= w
                    && (len as usize) >= stride * h.saturating_sub(1) + w;
                let frame = fits.then(|| {
                    let plane = std::slice::from_raw_parts(data, len as usize);
                    let mut luma = Vec::with_capacity(w * h);
                    for row in 0..h {
                        luma.extend_from_slice(&plane[row * stride..row * stride + w]);
                    }
                    RawFrame {
                        data: luma,
                        width: w as u32,
                        height: h as u32,
                        format: PixelFormat::Gray,
                    }
                });
                ffi::AImage_delete(image);
                frame
            };
            return frame
                .map(Some)
                .ok_or_else(|| NdkCameraError::Unreadable.into());
        }
    }

    fn name(&self) -> String {
        format!("camera {}", self.id)
    }

    fn has_torch(&self) -> bool {
        self.flash
    }

    fn set_torch(&mut self, on: bool) -> Result<(), CameraError> {
        if !self.flash {
            return Err(CameraError::NoTorch);
        }
        let mode = if on {
            ffi::acamera_metadata_enum_acamera_flash_mode::ACAMERA_FLASH_MODE_TORCH.0
        } else {
            ffi::acamera_metadata_enum_acamera_flash_mode::ACAMERA_FLASH_MODE_OFF.0
        } as u8;
        unsafe {
            check(
                ffi::ACaptureRequest_setEntry_u8(
                    self.request,
                    ffi::acamera_metadata_tag::ACAMERA_FLASH_MODE.0,
                    1,
                    &mode,
                ),
                "switch the torch",
            )?;
            Ok(self.repeat()?)
        }
    }
}

impl Drop for NdkCameraSource {
    fn drop(&mut self) {
        unsafe {
            if !self.session.is_null() {
                ffi::ACameraCaptureSession_stopRepeating(self.session);
                ffi::ACameraCaptureSession_close(self.session);
            }
            if !self.request.is_null() {
                ffi::ACaptureRequest_free(self.request);
            }
            if !self.target.is_null() {
                ffi::ACameraOutputTarget_free(self.target);
            }
            if !self.outputs.is_null() {
                ffi::ACaptureSessionOutputContainer_free(self.outputs);
            }
            if !self.output.is_null() {
                ffi::ACaptureSessionOutput_free(self.output);
            }
            if !self.device.is_null() {
                ffi::ACameraDevice_close(self.device);
            }
            if !self.reader.is_null() {
                ffi::AImageReader_delete(self.reader);
            }
            ffi::ACameraManager_delete(self.manager.as_ptr());
        }
    }
}
