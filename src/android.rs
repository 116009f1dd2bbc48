//! Android: the entry point and the glue to the platform. The same `ui::App` as on the desktop,
//! over a database in the app's private storage, with:
//! - the camera through the NDK (`scan::android_camera`), once the CAMERA permission is granted;
//! - built-in scanners' broadcast intents (Zebra DataWedge, Honeywell), received by the
//!   activity's Java code (`android/app/src/main/java/.../MainActivity.java`) and handed to
//!   [`Java_dev_lotkeeper_app_MainActivity_nativeOnScan`] with their bytes intact;
//! - a tone and a vibration for each scan's feedback, played by the activity.
//!
//! Compiled only for Android; `android/check.sh` type-checks it in CI.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::{Mutex, OnceLock};

use jni::objects::{JByteArray, JClass, JObject, JString};
use jni::refs::Reference;
use jni::{jni_sig, jni_str, Env, EnvUnowned, JValue, JavaVM};
use slint::android::AndroidApp;
use slint::ComponentHandle;

use crate::scan::android_camera::NdkCameraSource;
use crate::scan::intent::scan_from_intent;
use crate::scan::{CameraError, FrameSource, ScanEvent};
use crate::ui::App;
use crate::workflow::{Event, Feedback};

static ANDROID_APP: OnceLock<AndroidApp> = OnceLock::new();
/// Intent scans waiting for the UI thread.
static INTENT_SCANS: Mutex<Vec<ScanEvent>> = Mutex::new(Vec::new());

thread_local! {
    /// The app, on the UI thread, for scans that arrive from Java.
    static APP: RefCell<Option<Rc<App>>> = const { RefCell::new(None) };
}

/// What the camera screen says when the permission was refused: what to do instead.
const NO_CAMERA_PERMISSION: &str = "lotkeeper may not use the camera. Allow it when Android asks \
     (tap Done, then Camera again), or in Android's settings for lotkeeper. The built-in scanner \
     works without it.";

/// Called by android-activity on its own thread once the activity is created.
pub fn main(app: AndroidApp) {
    let _ = ANDROID_APP.set(app.clone());
    if let Err(e) = run(app) {
        // stderr goes nowhere on Android; the activity shows this in its crash dialog instead.
        panic!("lotkeeper could not start: {e:#}");
    }
}

fn run(app: AndroidApp) -> anyhow::Result<()> {
    slint::android::init(app.clone())?;
    // Private storage: survives app updates, removed with the app, invisible to other apps.
    let dir = app
        .internal_data_path()
        .ok_or_else(|| anyhow::anyhow!("Android gave the app no private storage"))?;
    // No demo data on a device: its stock comes from the server once it is enrolled.
    let ui = crate::ui::open_app(&dir.join("lotkeeper.db"), false)?;
    // The platform camera is made here and handed to the UI, which runs it through the decode
    // pipeline; `scan` never looks for it.
    ui.set_camera(Rc::new(|| {
        Box::new(|| {
            if !camera_permission() {
                return Err(CameraError::Platform(NO_CAMERA_PERMISSION.into()));
            }
            let camera = NdkCameraSource::open(0)?;
            Ok(Box::new(camera) as Box<dyn FrameSource>)
        })
    }));
    ui.set_signal(Box::new(signal));
    // Android kills background apps without warning: whatever was on screen comes back.
    ui.resume();
    APP.with(|a| *a.borrow_mut() = Some(ui.clone()));
    deliver_intent_scans();
    ui.window.run()?;
    APP.with(|a| a.borrow_mut().take());
    Ok(())
}

/// Calls into the activity (a `dev.lotkeeper.app.MainActivity`) from any thread.
fn with_activity<T>(f: impl FnOnce(&mut Env, &JObject) -> jni::errors::Result<T>) -> Option<T> {
    let app = ANDROID_APP.get()?;
    let vm = JavaVM::singleton().ok()?;
    vm.attach_current_thread(|env| {
        // The activity is a global reference held by android-activity for the app's lifetime.
        let activity =
            unsafe { JObject::from_raw(env, app.activity_as_ptr() as jni::sys::jobject) };
        f(env, &activity)
    })
    .ok()
}

/// True when the CAMERA permission is granted; otherwise asks for it (the answer comes later,
/// so the camera screen says what to do) and returns false.
fn camera_permission() -> bool {
    with_activity(|env, activity| {
        env.call_method(
            activity,
            jni_str!("ensureCameraPermission"),
            jni_sig!(() -> jboolean),
            &[],
        )?
        .z()
    })
    .unwrap_or(false)
}

/// A tone and a vibration for a scan's outcome.
fn signal(feedback: Feedback) {
    let kind = match feedback {
        Feedback::Accepted => 1,
        Feedback::NeedsMore => 2,
        Feedback::Refused => 3,
        Feedback::Done => 4,
    };
    let _ = with_activity(|env, activity| {
        env.call_method(
            activity,
            jni_str!("feedback"),
            jni_sig!((kind: jint) -> ()),
            &[JValue::Int(kind)],
        )
        .map(|_| ())
    });
}

/// Hands waiting intent scans to the workflow on screen (runs on the UI thread).
fn deliver_intent_scans() {
    let scans: Vec<ScanEvent> = std::mem::take(&mut *INTENT_SCANS.lock().unwrap());
    APP.with(|a| {
        let app = a.borrow().clone();
        match app {
            Some(app) => {
                for s in scans {
                    app.event(Event::Scan(s));
                }
            }
            // Not started yet: keep them for when it is.
            None => INTENT_SCANS
                .lock()
                .unwrap()
                .splice(0..0, scans)
                .for_each(drop),
        }
    });
}

/// `static MainActivity.nativeOnScan(byte[] data, String labelType, String aimId)`: one scan from a
/// DataWedge or Honeywell intent. Either string may be null.
#[no_mangle]
pub extern "system" fn Java_dev_lotkeeper_app_MainActivity_nativeOnScan<'local>(
    mut unowned: EnvUnowned<'local>,
    _class: JClass<'local>,
    data: JByteArray<'local>,
    label: JString<'local>,
    aim: JString<'local>,
) {
    unowned
        .with_env(|env| -> jni::errors::Result<()> {
            let bytes = env.convert_byte_array(&data)?;
            let text = |s: &JString| -> jni::errors::Result<Option<String>> {
                if s.is_null() {
                    Ok(None)
                } else {
                    s.try_to_string(env).map(Some)
                }
            };
            let (label, aim) = (text(&label)?, text(&aim)?);
            INTENT_SCANS.lock().unwrap().push(scan_from_intent(
                &bytes,
                label.as_deref(),
                aim.as_deref(),
            ));
            let _ = slint::invoke_from_event_loop(deliver_intent_scans);
            Ok(())
        })
        .resolve::<jni::errors::ThrowRuntimeExAndDefault>();
}
