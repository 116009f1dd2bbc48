//! The camera screen (`CameraAdapter`): the camera view's preview, outline and status onto the
//! adapter; what it decodes goes to the current workflow as scans. The view itself (frames and
//! decoding off the UI thread) is `camera.rs`.

use std::rc::Rc;
use std::time::Duration;

use slint::ComponentHandle;

use super::app::{on0, App};
use super::{CameraAdapter, WorkflowAdapter, CAMERA, WORKFLOW};
use crate::workflow::{Event, Expect};

pub(super) fn wire(app: &Rc<App>) {
    let cam = app.window.global::<CameraAdapter>();
    cam.on_close(on0(app, |app| {
        app.close_camera();
        app.show_screen(WORKFLOW);
    }));
    cam.on_toggle_torch(on0(app, |app| {
        if let Some(c) = &app.camera.borrow().view {
            c.set_torch(!c.torch());
            app.window.global::<CameraAdapter>().set_torch(c.torch());
        }
    }));
    app.window
        .global::<WorkflowAdapter>()
        .on_open_camera(on0(app, |app| app.open_camera()));
}

impl App {
    /// The camera view over the current step: it scans what the step expects.
    pub fn open_camera(self: &Rc<Self>) {
        let Some(opener) = self.camera.borrow().opener.clone() else {
            return;
        };
        let view = super::camera::CameraView::start(opener(), self.expects().formats());
        let cam = self.window.global::<CameraAdapter>();
        let (x, y, w, h) = view.viewfinder;
        cam.set_finder_x(x);
        cam.set_finder_y(y);
        cam.set_finder_w(w);
        cam.set_finder_h(h);
        cam.set_outline_visible(false);
        cam.set_torch(false);
        cam.set_frame(slint::Image::default());
        let me = Rc::downgrade(self);
        let mut camera = self.camera.borrow_mut();
        camera.view = Some(view);
        camera.timer.start(
            slint::TimerMode::Repeated,
            Duration::from_millis(30),
            move || {
                if let Some(app) = me.upgrade() {
                    app.poll_camera();
                }
            },
        );
        drop(camera);
        self.show_screen(CAMERA);
    }

    /// Takes what the camera has ready: the preview, and any scans (sent to the workflow).
    pub fn poll_camera(&self) {
        let update = match &self.camera.borrow().view {
            Some(c) => c.poll(),
            None => return,
        };
        let cam = self.window.global::<CameraAdapter>();
        if let Some(p) = update.preview {
            cam.set_frame(slint::Image::from_rgb8(p));
        }
        cam.set_status(self.tr(&update.status.unwrap_or_default()).into());
        cam.set_torch_available(update.torch_available);
        for f in update.found {
            let (x, y, w, h) = f.outline;
            cam.set_outline_x(x);
            cam.set_outline_y(y);
            cam.set_outline_w(w);
            cam.set_outline_h(h);
            cam.set_outline_visible(true);
            self.event(Event::Scan(f.event));
        }
    }

    pub fn close_camera(&self) {
        let mut camera = self.camera.borrow_mut();
        camera.timer.stop();
        camera.view.take();
    }

    /// An open camera view follows the step: it decodes what the step expects.
    pub(super) fn camera_formats(&self, expect: Expect) {
        if let Some(c) = &self.camera.borrow().view {
            c.set_formats(expect.formats());
        }
    }
}
