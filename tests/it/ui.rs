//! The screens, headless: a whole receive and a whole pick driven through the UI (taps and typed
//! scans), asserting what the screen shows and what the ledger holds; and pictures of them.
//! Taps find buttons by their accessible label (as a screen reader does) with Slint's testing
//! backend's `ElementHandle`. Slint's platform is per thread: one test a platform.

use crate::harness::*;
use i_slint_backend_testing::{AccessibleRole, ElementHandle};
use lotkeeper::ledger::import::ImportKind;
use lotkeeper::ui::{headless, App, AppWindow, HomeAdapter, StatusAdapter, WorkflowAdapter};
use slint::{ComponentHandle, Model};

/// Presses the button on screen that says `label`.
fn tap(w: &AppWindow, label: &str) {
    ElementHandle::find_by_accessible_label(w, label)
        .find(|e| e.accessible_role() == Some(AccessibleRole::Button))
        .unwrap_or_else(|| panic!("no button '{label}' on the screen"))
        .invoke_accessible_default_action();
}

/// Whether some element on screen shows exactly `text`.
fn shows(w: &AppWindow, text: &str) -> bool {
    ElementHandle::find_by_accessible_label(w, text)
        .next()
        .is_some()
}

fn prompt(w: &AppWindow) -> String {
    w.global::<WorkflowAdapter>().get_prompt().to_string()
}

fn message(w: &AppWindow) -> String {
    w.global::<WorkflowAdapter>().get_message().to_string()
}

fn field(w: &AppWindow, label: &str) -> Option<String> {
    w.global::<WorkflowAdapter>()
        .get_fields()
        .iter()
        .find(|f| f.label == label)
        .map(|f| f.value.to_string())
}

/// Types like a hardware scanner: a fast burst ending in Enter, delivered as key events.
fn wedge_scan(app: &App, data: &str) {
    app.key(&format!("{data}\n"));
}

#[test]
fn receive_and_pick_through_the_screens() {
    headless::init();
    let mut l = ledger();
    l.import_csv(
        ImportKind::PickLists,
        "picklist,customer,sku,qty,due\nPL-7,Bob,PARA,5,\n",
    )
    .unwrap();
    let app = App::new(l).unwrap();
    let w = &app.window;
    w.show().unwrap();
    assert_eq!(w.get_screen(), 0);
    assert_eq!(w.global::<StatusAdapter>().get_pending(), 0);

    // Receive: tap the tile, scan a GS1 DataMatrix from the hardware scanner, type the quantity.
    tap(w, "Receive");
    assert_eq!(w.get_screen(), 1);
    assert_eq!(prompt(w), "Scan the item (or a purchase order)");
    assert!(shows(w, "Scan the item (or a purchase order)"));
    wedge_scan(&app, "]d20109506000134352172612311012345\u{1d}21SN9");
    assert_eq!(field(w, "Lot").as_deref(), Some("12345"));
    assert_eq!(field(w, "Expiry").as_deref(), Some("2026-12-31"));
    assert_eq!(
        w.global::<WorkflowAdapter>().get_feedback(),
        2,
        "needs more: the quantity"
    );
    assert_eq!(prompt(w), "Type the quantity of PARA");
    // A scan of the wrong kind is refused and keeps what was filled.
    wedge_scan(&app, "A1");
    assert_eq!(w.global::<WorkflowAdapter>().get_feedback(), 3);
    assert_eq!(field(w, "Lot").as_deref(), Some("12345"));
    w.global::<WorkflowAdapter>().invoke_submit("10".into());
    assert_eq!(prompt(w), "Scan the location (or confirm for DOCK)");
    wedge_scan(&app, "A1");
    tap(w, "Confirm");
    assert_eq!(w.global::<WorkflowAdapter>().get_feedback(), 4);
    assert_eq!(message(w), "received 10 EA of PARA lot 12345 at A1");
    assert!(shows(w, "received 10 EA of PARA lot 12345 at A1"));
    assert_eq!(
        qty_at(&app.ledger.borrow(), "PARA", Some("12345"), "A1"),
        10
    );
    let dir = Dir::new();
    headless::save_png(&dir.dir.path().join("receive.png")).unwrap();
    let pic = image::open(dir.dir.path().join("receive.png"))
        .unwrap()
        .to_rgb8();
    assert_eq!(pic.dimensions(), (720, 1280));
    let colours: std::collections::HashSet<_> = pic.pixels().step_by(97).map(|p| p.0).collect();
    assert!(
        colours.len() > 20,
        "the picture has text and colours, not a blank screen"
    );

    // Pick: the open lists, then the list, line by line.
    tap(w, "Home");
    tap(w, "Pick");
    assert_eq!(w.get_screen(), 2);
    let lists: Vec<String> = w
        .global::<HomeAdapter>()
        .get_pick_lists()
        .iter()
        .map(|t| t.label.to_string())
        .collect();
    assert_eq!(lists, vec!["PL-7 Bob"]);
    tap(w, "PL-7 Bob");
    assert_eq!(prompt(w), "Go to A1 and scan the location");
    assert_eq!(
        field(w, "Suggested").as_deref(),
        Some("A1 lot 12345 (expires 2026-12-31)")
    );
    wedge_scan(&app, "A1");
    wedge_scan(&app, "(01)09506000134352(10)12345");
    assert_eq!(prompt(w), "Confirm 5 EA (or type the quantity)");
    tap(w, "Confirm");
    assert_eq!(prompt(w), "All lines are picked: confirm to finish");
    tap(w, "Confirm");
    assert_eq!(
        message(w),
        "pick list PL-7 finished: 1 movement(s) shipped to Bob"
    );
    assert_eq!(qty_at(&app.ledger.borrow(), "PARA", Some("12345"), "A1"), 5);
    assert_eq!(
        app.ledger
            .borrow()
            .query()
            .pick_list("PL-7")
            .unwrap()
            .unwrap()
            .status,
        "done"
    );

    // Every screen renders with demo data.
    let out = Dir::new();
    let files = lotkeeper::shots::screenshots(out.dir.path()).unwrap();
    assert!(files.len() >= 8);
    for f in files {
        assert!(
            std::fs::metadata(&f).unwrap().len() > 5_000,
            "{} looks empty",
            f.display()
        );
    }
}

/// Settings, conflicts, enrollment, the keypad, the camera view and resuming after a restart,
/// each through the screens, over a real server and real database files.
#[test]
fn settings_conflicts_camera_and_resume_through_the_screens() {
    use crate::sync::{serial_conflict, Site};
    use lotkeeper::scan::camera::{PixelFormat, RawFrame};
    use lotkeeper::scan::render_symbol;
    use lotkeeper::scan::Format;
    use lotkeeper::sync::{hash_token, new_token};
    use lotkeeper::ui::{CameraAdapter, ConflictsAdapter, SettingsAdapter};
    use lotkeeper::workflow::settings::Settings;
    use std::time::{Duration, Instant};

    // Slint's own testing backend on this thread (no event loop: timers are polled by hand).
    i_slint_backend_testing::init_no_event_loop();
    // A real conflict: the same serial shipped on two devices; the server takes the first.
    let site = Site::new();
    let (mut a, mut b) = serial_conflict(&site);
    assert_eq!(b.ledger.conflicts(false).unwrap().len(), 1);
    let app = App::new(lotkeeper::ledger::Ledger::open(&b.path).unwrap()).unwrap();
    let w = &app.window;
    w.show().unwrap();
    assert_eq!(w.global::<StatusAdapter>().get_conflicts(), 1);
    tap(w, "Conflicts (1)");
    assert_eq!(w.get_screen(), 3);
    assert!(shows(w, "Refused: serial SN1 of PHONE is not in stock"));
    let c = w.global::<ConflictsAdapter>();
    let rows: Vec<_> = c.get_rows().iter().collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].reason, "serial SN1 of PHONE is not in stock");
    assert!(
        rows[0].detail.contains("CUSTOMER:Bob"),
        "{}",
        rows[0].detail
    );
    // Dismissing needs a note; without one nothing changes.
    tap(w, "Dismiss with the note below");
    assert!(shows(
        w,
        "a dismissed conflict needs a note saying what was done"
    ));
    assert_eq!(c.get_rows().row_count(), 1);
    c.set_note("Ann had it; told Bob".into());
    tap(w, "Dismiss with the note below");
    assert!(shows(w, "No conflicts"));
    assert_eq!(c.get_rows().row_count(), 0);
    assert_eq!(w.global::<StatusAdapter>().get_conflicts(), 0);
    assert_eq!(
        app.ledger.borrow().conflicts(true).unwrap()[0]
            .note
            .as_deref(),
        Some("Ann had it; told Bob")
    );
    // It stays on the screen under Resolved, with its note.
    assert_eq!(c.get_resolved().row_count(), 1);
    assert!(shows(w, "Dismissed on this device: Ann had it; told Bob"));
    // A second one, resolved in the back office: the device shows who did it after its sync.
    crate::sync::shipped_on_both(&mut a, &mut b, "SN2");
    let id = b.ledger.conflicts(false).unwrap()[0].id.clone();
    site.ledger()
        .resolve_sync_conflict("dev-b", &id, "credited Bob", "console:sam")
        .unwrap();
    assert_eq!(b.sync().unwrap().resolutions_pulled, 1);
    tap(w, "Home");
    let count = w.global::<StatusAdapter>().get_conflicts();
    tap(w, &format!("Conflicts ({count})"));
    assert!(shows(w, "No conflicts"));
    assert_eq!(c.get_resolved().row_count(), 2);
    assert!(shows(w, "Resolved in the back office by sam: credited Bob"));
    assert!(shows(w, "Dismissed on this device: Ann had it; told Bob"));
    drop(app);

    // Settings on a fresh device: enroll with a token the back office made, over HTTP.
    let dir = Dir::new();
    let mut l = lotkeeper::ledger::Ledger::open(&dir.db()).unwrap();
    l.import_csv(ImportKind::Items, ITEMS).unwrap();
    l.import_csv(ImportKind::Locations, LOCATIONS).unwrap();
    let app = App::new(l).unwrap();
    let w = &app.window;
    w.show().unwrap();
    tap(w, "Settings");
    assert_eq!(w.get_screen(), 4);
    let s = w.global::<SettingsAdapter>();
    assert_eq!(s.get_enrolled_as(), "");
    s.set_server("ftp://nowhere".into());
    tap(w, "Enroll this device");
    assert!(shows(w, "The server address must start with https://"));
    let token = new_token();
    site.ledger()
        .add_device("dev-c", &hash_token(&token))
        .unwrap();
    s.set_server(site.url.clone().into());
    s.set_token("wrong-token".into());
    tap(w, "Enroll this device");
    assert!(s.get_busy());
    assert!(shows(w, "Enrolling…"), "the screen shows it is working");
    let until = Instant::now() + Duration::from_secs(30);
    while !app.poll_enroll() && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(!s.get_busy());
    assert!(
        s.get_message().starts_with("Not enrolled:"),
        "{}",
        s.get_message()
    );
    assert_eq!(app.ledger.borrow().sync_value("server").unwrap(), None);
    s.set_token(token.clone().into());
    tap(w, "Enroll this device");
    let until = Instant::now() + Duration::from_secs(30);
    while !app.poll_enroll() && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(
        s.get_enrolled_as(),
        format!("Enrolled as dev-c with {}", site.url)
    );
    assert_eq!(
        app.ledger.borrow().sync_value("device").unwrap().as_deref(),
        Some("dev-c")
    );
    // Scanner settings take effect at once: this scanner types `~` for the group separator.
    s.set_gs("~".into());
    tap(w, "Off"); // the FEFO switch, the only one off
    tap(w, "Español");
    tap(w, "Save");
    assert_eq!(s.get_message(), "Guardado", "saved, and said in Spanish");
    assert!(s.get_stop_on_deviation());
    assert!(shows(w, "Guardar"), "the screens are in Spanish now");
    // And so is what the workflows say.
    tap(w, "Inicio");
    tap(w, "Recibir");
    assert!(shows(w, "Escanee el artículo (o un pedido de compra)"));
    wedge_scan(&app, "]C1010950600013435210L76~17270131");
    assert!(shows(w, "Escriba la cantidad de PARA"));
    assert_eq!(field(w, "Lote").as_deref(), Some("L76"));
    tap(w, "Inicio");
    tap(w, "Ajustes");
    let saved = Settings::load(&app.ledger.borrow()).unwrap();
    assert_eq!(saved.scanner_gs, "~");
    assert_eq!(saved.language.as_deref(), Some("es"));
    tap(w, "English");
    tap(w, "Guardar");
    assert!(shows(w, "Save"), "back in English");
    tap(w, "Home");
    tap(w, "Receive");
    wedge_scan(&app, "]C1010950600013435210L77~17270131");
    assert_eq!(field(w, "Lot").as_deref(), Some("L77"));
    assert_eq!(field(w, "Expiry").as_deref(), Some("2027-01-31"));
    // The quantity step brings the keypad; its keys write the answer.
    let wf = w.global::<WorkflowAdapter>();
    assert!(wf.get_numeric());
    tap(w, "1");
    tap(w, "2");
    tap(w, "Delete");
    assert_eq!(wf.get_answer(), "1");

    // Killed here (Android does this to background apps): the next start resumes the receipt.
    drop(app);
    let app = App::new(lotkeeper::ledger::Ledger::open(&dir.db()).unwrap()).unwrap();
    let w = &app.window;
    w.show().unwrap();
    assert!(app.resume());
    assert_eq!(w.get_screen(), 1);
    assert_eq!(field(w, "Lot").as_deref(), Some("L77"));
    assert_eq!(prompt(w), "Type the quantity of PARA");
    tap(w, "4");
    tap(w, "OK");
    tap(w, "Confirm");
    assert_eq!(w.global::<WorkflowAdapter>().get_feedback(), 4);
    assert_eq!(qty_at(&app.ledger.borrow(), "PARA", Some("L77"), "DOCK"), 4);
    assert_eq!(
        w.global::<StatusAdapter>().get_pending(),
        1,
        "enrolled: it will sync"
    );
    // Home ends the workflow: nothing to resume.
    tap(w, "Home");
    drop(app);
    let app = App::new(lotkeeper::ledger::Ledger::open(&dir.db()).unwrap()).unwrap();
    assert!(!app.resume());
    assert_eq!(app.window.get_screen(), 0);

    // The camera view: a camera that sees a location label; the transfer takes it.
    let (data, width, height) = render_symbol("A2", Format::QrCode, 8, 640).unwrap();
    let frame = RawFrame {
        data,
        width,
        height,
        format: PixelFormat::Gray,
    };
    let w = &app.window;
    assert!(!w.global::<WorkflowAdapter>().get_camera_enabled());
    app.set_camera(lotkeeper::ui::camera::still_camera(frame));
    assert!(w.global::<WorkflowAdapter>().get_camera_enabled());
    w.show().unwrap();
    tap(w, "Transfer");
    tap(w, "Camera");
    assert_eq!(w.get_screen(), 5);
    let cam = w.global::<CameraAdapter>();
    let until = Instant::now() + Duration::from_secs(30);
    while !cam.get_outline_visible() && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(10));
        app.poll_camera();
    }
    assert!(cam.get_outline_visible());
    assert!(cam.get_frame().size().width > 0, "the preview shows");
    assert_eq!(w.global::<WorkflowAdapter>().get_feedback(), 1);
    assert_eq!(field(w, "From").as_deref(), Some("A2"));
    // The same label still in view is not taken twice.
    for _ in 0..10 {
        std::thread::sleep(Duration::from_millis(20));
        app.poll_camera();
    }
    assert_eq!(w.global::<WorkflowAdapter>().get_feedback(), 1);
    tap(w, "Done");
    assert_eq!(w.get_screen(), 1);
}

/// The status bar says what a person must do: a revoked device says so instead of "Online", and
/// a device whose clock is off (as its last sync measured) says by how much.
#[test]
fn the_status_bar_says_revoked_and_a_wrong_clock() {
    use lotkeeper::sync::client::keys;
    headless::init();
    let mut l = ledger();
    l.enroll("http://127.0.0.1:9", "lk_test", "handheld-07")
        .unwrap();
    let app = App::new(l).unwrap();
    let w = &app.window;
    w.show().unwrap();
    app.refresh_status();
    assert!(!shows(
        w,
        "Revoked: ask the back office to enroll this device again"
    ));
    assert!(!w.global::<StatusAdapter>().get_revoked());
    {
        let mut l = app.ledger.borrow_mut();
        l.set_sync_value(keys::REVOKED, "device handheld-07 was revoked")
            .unwrap();
        l.set_sync_value(keys::CLOCK_OFFSET, &(72 * 3600 + 5).to_string())
            .unwrap();
    }
    app.refresh_status();
    let s = w.global::<StatusAdapter>();
    assert!(s.get_revoked());
    assert_eq!(s.get_clock_off_hours(), 72);
    assert!(shows(
        w,
        "Revoked: ask the back office to enroll this device again"
    ));
    assert!(shows(
        w,
        "This device's clock is off by 72 h: set the date and time"
    ));
    assert!(!shows(w, "Online") && !shows(w, "Offline"));
    // Within the stated skew: the last sync again.
    app.ledger
        .borrow_mut()
        .set_sync_value(keys::CLOCK_OFFSET, "-3600")
        .unwrap();
    app.refresh_status();
    assert_eq!(w.global::<StatusAdapter>().get_clock_off_hours(), 0);
    assert!(shows(w, "never synced"));
}

/// Taps as a finger does: a pointer press and release at the button's centre (not the
/// accessibility action), so whatever a tap does to the keyboard focus happens here too.
fn finger_tap(w: &AppWindow, label: &str) {
    use slint::platform::PointerEventButton;
    ElementHandle::find_by_accessible_label(w, label)
        .find(|e| e.accessible_role() == Some(AccessibleRole::Button))
        .unwrap_or_else(|| panic!("no button '{label}' on the screen"))
        .mock_single_click(PointerEventButton::Left);
}

/// Types into the window as a hardware scanner does: key events delivered to the window (to
/// whatever has the keyboard focus), not to the app's key handler.
fn window_types(w: &AppWindow, text: &str) {
    use slint::platform::WindowEvent;
    for c in text.chars() {
        if c.is_uppercase() {
            let shift: slint::SharedString = char::from(slint::platform::Key::Shift).into();
            w.window()
                .dispatch_event(WindowEvent::KeyPressed { text: shift });
        }
        let text: slint::SharedString = c.to_string().into();
        w.window()
            .dispatch_event(WindowEvent::KeyPressed { text: text.clone() });
        w.window().dispatch_event(WindowEvent::KeyReleased { text });
    }
}

fn window_presses_enter(w: &AppWindow) {
    window_types(w, &char::from(slint::platform::Key::Return).to_string());
}

/// After tapping Pick and a pick list, and after any tap on the workflow screen, a scanner's
/// keystrokes reach the workflow without the text field being touched; Enter on an empty
/// field takes the quantity the prompt offers.
#[test]
fn a_scan_works_after_taps_without_touching_the_field() {
    i_slint_backend_testing::init_no_event_loop();
    let mut l = ledger();
    l.import_csv(
        ImportKind::PickLists,
        "picklist,customer,sku,qty,due\nPL-7,Bob,PARA,5,2026-07-01\nPL-7,Bob,PARA,1,2026-07-03\n",
    )
    .unwrap();
    receive_lot(&mut l, "PARA", "12345", Some("2026-12-31"), 10, "A1");
    let app = App::new(l).unwrap();
    let w = &app.window;
    w.show().unwrap();
    finger_tap(w, "Pick");
    assert_eq!(w.get_screen(), 2);
    assert!(
        shows(w, "2 lines, due 2026-07-01"),
        "the tile shows its line count and due date"
    );
    finger_tap(w, "PL-7 Bob");
    assert_eq!(prompt(w), "Go to A1 and scan the location");
    window_types(w, "A1");
    window_presses_enter(w);
    assert_eq!(
        w.global::<WorkflowAdapter>().get_feedback(),
        1,
        "{}",
        message(w)
    );
    assert_ne!(prompt(w), "Go to A1 and scan the location");
    // A tap on the screen (Back takes the location back), then the scanner again.
    finger_tap(w, "Back");
    assert_eq!(prompt(w), "Go to A1 and scan the location");
    window_types(w, "A1\n");
    window_types(w, "(01)09506000134352(10)12345\n");
    assert_eq!(prompt(w), "Confirm 5 EA (or type the quantity)");
    assert!(
        w.global::<WorkflowAdapter>().get_numeric(),
        "the keypad shows"
    );
    // Enter with an empty field confirms the offered 5 (a person's Enter, not the second half
    // of a scanner's CR LF: that comes within the wedge's key gap and is not an answer).
    std::thread::sleep(std::time::Duration::from_millis(100));
    window_presses_enter(w);
    assert_eq!(message(w), "picked 5 EA of PARA lot 12345");
    assert_ne!(prompt(w), "Confirm 5 EA (or type the quantity)");
    assert_eq!(
        app.ledger
            .borrow()
            .query()
            .pick_list("PL-7")
            .unwrap()
            .unwrap()
            .status,
        "open"
    );
    // Home, and the scanner still reaches the next screen.
    finger_tap(w, "Home");
    finger_tap(w, "Look up");
    window_types(w, "PARA\n");
    assert_eq!(
        w.global::<WorkflowAdapter>().get_feedback(),
        1,
        "{}",
        message(w)
    );
    // Count asks for its location first: the workflow's step, taken by a scan.
    finger_tap(w, "Home");
    finger_tap(w, "Count");
    assert_eq!(prompt(w), "Scan the location to count");
    window_types(w, "A1\n");
    assert_eq!(field(w, "Location").as_deref(), Some("A1"));
}

/// Elements on screen (those a person sees: with an accessible role) that lie outside the
/// window, by their absolute position and size.
fn off_screen(w: &AppWindow) -> Vec<String> {
    use i_slint_backend_testing::ElementRoot;
    use std::ops::ControlFlow;
    let size = w.window().size().to_logical(w.window().scale_factor());
    let mut out = Vec::new();
    w.root_element().visit_descendants(|e| {
        let role = e.accessible_role();
        if role.is_some() && role != Some(AccessibleRole::None) {
            let p = e.absolute_position();
            let s = e.size();
            if s.width > 0.0
                && s.height > 0.0
                && (p.x < -0.5
                    || p.y < -0.5
                    || p.x + s.width > size.width + 0.5
                    || p.y + s.height > size.height + 0.5)
            {
                out.push(format!(
                    "{:?} '{}' at {},{} size {}x{}",
                    role,
                    e.accessible_label().unwrap_or_default(),
                    p.x,
                    p.y,
                    s.width,
                    s.height
                ));
            }
        }
        ControlFlow::<()>::Continue(())
    });
    out
}

/// Every screen state the demo reaches, at a handheld's 720x1280 and a small 480x800: no
/// visible element lies outside the window, the action buttons included.
#[test]
fn every_screen_fits_the_window() {
    use lotkeeper::scan::camera::{PixelFormat, RawFrame};
    use lotkeeper::scan::render_symbol;
    use lotkeeper::scan::Format;
    use lotkeeper::ui::CameraAdapter;
    use std::time::{Duration, Instant};

    i_slint_backend_testing::init_no_event_loop();
    for (width, height) in [(720.0, 1280.0), (480.0, 800.0)] {
        let mut l = lotkeeper::ledger::Ledger::open_in_memory().unwrap();
        lotkeeper::ledger::demo::fill(&mut l).unwrap();
        lotkeeper::ledger::demo::conflict(&mut l).unwrap();
        let app = App::new(l).unwrap();
        let w = &app.window;
        w.window().set_size(slint::LogicalSize::new(width, height));
        w.show().unwrap();
        let mut states = 0;
        let mut check = |state: &str| {
            states += 1;
            let bad = off_screen(w);
            assert!(
                bad.is_empty(),
                "{width}x{height}, {state}: outside the window:\n{}",
                bad.join("\n")
            );
        };
        check("home");
        tap(w, "Pick");
        check("pick lists");
        tap(w, "PL-2001 Corner Pharmacy");
        check("pick: location");
        let suggested = field(w, "Suggested").unwrap();
        let words: Vec<&str> = suggested.split_whitespace().collect();
        app.scan(words[0]);
        check("pick: item");
        app.scan(&format!("(01)09506000134352(10){}", words[2]));
        assert!(w.global::<WorkflowAdapter>().get_numeric(), "{}", prompt(w));
        check("pick: quantity, keypad shown");
        tap(w, "Home");
        tap(w, "Receive");
        check("receive: item");
        app.scan("(01)09506000134352");
        check("receive: lot");
        tap(w, "Generate a lot code");
        check("receive: expiry");
        w.global::<WorkflowAdapter>()
            .invoke_submit("2027-03-31".into());
        assert!(w.global::<WorkflowAdapter>().get_numeric(), "{}", prompt(w));
        check("receive: quantity, keypad shown");
        w.global::<WorkflowAdapter>().invoke_submit("12".into());
        check("receive: location");
        app.scan("A-01-01");
        app.scan("A-01-01");
        check("receive: refused");
        tap(w, "Confirm");
        check("receive: recorded, labels offered");
        assert!(
            shows(w, "Print the labels"),
            "{width}x{height}: {}",
            message(w)
        );
        tap(w, "Print the labels");
        assert!(
            w.global::<WorkflowAdapter>().get_has_preview(),
            "{}",
            prompt(w)
        );
        check("receive: how many labels, the label previewed");
        tap(w, "Confirm");
        assert!(
            message(w).contains("no printer is set up"),
            "{}",
            message(w)
        );
        check("receive: no printer");
        // A printer that is off (nothing listens): the job waits, and Settings offers a retry.
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = closed.local_addr().unwrap().port();
        drop(closed);
        app.ledger
            .borrow_mut()
            .put_printer(&lotkeeper::ledger::labels::Printer {
                name: "DOCK-ZEBRA".into(),
                address: format!("127.0.0.1:{port}"),
                dpi: 203,
                size: "4x2".into(),
                default_for: vec!["receive".into()],
            })
            .unwrap();
        tap(w, "Confirm");
        assert!(
            message(w).contains("label(s) to DOCK-ZEBRA"),
            "{}",
            message(w)
        );
        // A lot that must be received with a test result: asked for, after its dates.
        tap(w, "Home");
        tap(w, "Receive");
        app.scan("(01)09506000134369(17)280131(10)SL2001");
        assert_eq!(prompt(w), "Type the sterility test of this lot");
        check("receive: a required lot attribute");
        tap(w, "Home");
        tap(w, "Transfer");
        check("transfer: from");
        app.scan("A-01-02");
        app.scan("(01)09506000134352(10)AM2407");
        check("transfer: items");
        tap(w, "Home");
        tap(w, "Count");
        check("count: location");
        app.scan("A-02-01");
        app.scan("GLOVE-M");
        check("count: counting");
        tap(w, "Confirm");
        check("count: reason");
        tap(w, "Home");
        tap(w, "Assemble");
        check("assemble: what to build");
        w.global::<WorkflowAdapter>()
            .invoke_submit("FIRSTAID-KIT".into());
        w.global::<WorkflowAdapter>().invoke_submit("1".into());
        app.scan("A-02-01");
        check("assemble: the components and their suggestions");
        tap(w, "Confirm");
        check("assemble: refused, what is missing");
        tap(w, "Home");
        tap(w, "Split");
        app.scan("A-01-02");
        app.scan("(01)09506000134352(10)AM2407");
        check("split: how many");
        w.global::<WorkflowAdapter>().invoke_submit("3".into());
        tap(w, "Generate the serials");
        check("split: review");
        tap(w, "Home");
        tap(w, "Look up");
        app.scan("AMOX-500");
        check("lookup: results");
        tap(w, "Home");
        tap(w, "Conflicts (1)");
        check("conflicts");
        tap(w, "Home");
        tap(w, "Settings");
        assert!(
            shows(w, "Retry printing"),
            "a queued print job: {:?}",
            w.global::<lotkeeper::ui::SettingsAdapter>()
                .get_print_queue()
        );
        assert_eq!(
            w.global::<lotkeeper::ui::SettingsAdapter>()
                .get_printers()
                .split(',')
                .next(),
            Some(format!("DOCK-ZEBRA 127.0.0.1:{port}").as_str()),
            "the printers this device knows"
        );
        check("settings, a print job waiting");
        // The camera view over a camera that sees a location label.
        let (data, fw, fh) = render_symbol("A-02-01", Format::QrCode, 8, 720).unwrap();
        app.set_camera(lotkeeper::ui::camera::still_camera(RawFrame {
            data,
            width: fw,
            height: fh,
            format: PixelFormat::Gray,
        }));
        tap(w, "Home");
        tap(w, "Transfer");
        tap(w, "Camera");
        let until = Instant::now() + Duration::from_secs(30);
        while !w.global::<CameraAdapter>().get_outline_visible() && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(10));
            app.poll_camera();
        }
        check("camera view");
        tap(w, "Done");
        check("transfer after the camera");
        assert_eq!(states, 30);
        assert_eq!(
            w.window().size().to_logical(w.window().scale_factor()),
            slint::LogicalSize::new(width, height),
            "the window keeps its size"
        );
    }
}

/// The back office's enrollment QR code, read by the handheld's scanner on the home screen:
/// Settings opens, the one-time code is exchanged for the token, and the device is enrolled.
#[test]
fn scanning_an_enrollment_qr_code_enrolls_the_handheld() {
    use crate::sync::Site;
    use lotkeeper::sync::enroll;
    use lotkeeper::ui::SettingsAdapter;
    use std::time::{Duration, Instant};

    i_slint_backend_testing::init_no_event_loop();
    let site = Site::new();
    let mut server = site.ledger();
    server
        .add_device("DOCK-HH-09", "not-a-token-anyone-has")
        .unwrap();
    let code = enroll::new_code();
    server
        .issue_enrollment_code("DOCK-HH-09", &enroll::code_hash(&code).unwrap(), 5)
        .unwrap();
    let app = App::new(ledger()).unwrap();
    let w = &app.window;
    w.show().unwrap();
    wedge_scan(&app, &enroll::qr_text(&site.url, &code));
    assert_eq!(w.get_screen(), 4, "Settings");
    let s = w.global::<SettingsAdapter>();
    assert_eq!(s.get_server(), site.url.as_str());
    assert_eq!(s.get_token(), "", "the code is not left in a field");
    let until = Instant::now() + Duration::from_secs(30);
    while !app.poll_enroll() && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(
        s.get_enrolled_as(),
        format!("Enrolled as DOCK-HH-09 with {}", site.url)
    );
    let token = app.ledger.borrow().sync_value("token").unwrap().unwrap();
    assert_eq!(
        site.ledger()
            .device_for(&lotkeeper::sync::hash_token(&token))
            .unwrap()
            .as_deref(),
        Some("DOCK-HH-09")
    );

    // Enrolled: a scanned code (a sticker someone planted) does nothing until a person, having
    // seen the server it names, presses Enroll.
    let code = enroll::new_code();
    site.ledger()
        .issue_enrollment_code("DOCK-HH-09", &enroll::code_hash(&code).unwrap(), 5)
        .unwrap();
    tap(w, "Home");
    wedge_scan(&app, &enroll::qr_text(&site.url, &code));
    assert_eq!(w.get_screen(), 4, "Settings");
    assert!(!s.get_busy(), "not enrolling by itself");
    assert!(
        s.get_message()
            .starts_with("This device is enrolled already"),
        "{}",
        s.get_message()
    );
    assert_eq!(
        app.ledger.borrow().sync_value("token").unwrap(),
        Some(token)
    );
    tap(w, "Enroll this device");
    let until = Instant::now() + Duration::from_secs(30);
    while !app.poll_enroll() && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(
        s.get_message().starts_with("Enrolled"),
        "{}",
        s.get_message()
    );
}

/// A build and a split through the screens on the demo warehouse: tiles, scans from the
/// hardware scanner, the keypad, the choice buttons and Confirm, checked in the ledger.
#[test]
fn assemble_and_split_through_the_screens() {
    headless::init();
    let mut l = lotkeeper::ledger::Ledger::open_in_memory().unwrap();
    lotkeeper::ledger::demo::fill(&mut l).unwrap();
    let app = App::new(l).unwrap();
    let w = &app.window;
    w.show().unwrap();
    let lines = |w: &AppWindow| -> Vec<String> {
        w.global::<WorkflowAdapter>()
            .get_lines()
            .iter()
            .map(|s| s.to_string())
            .collect()
    };

    tap(w, "Assemble");
    assert_eq!(prompt(w), "Scan or type the item to build");
    wedge_scan(&app, "FIRSTAID-KIT");
    assert!(w.global::<WorkflowAdapter>().get_numeric(), "{}", prompt(w));
    w.global::<WorkflowAdapter>().invoke_submit("1".into());
    wedge_scan(&app, "A-02-01");
    let shown = lines(w);
    assert_eq!(shown[0], "GLOVE-M: 0 of 2 · take 2 at A-02-01");
    assert!(
        shown[1].starts_with("SALINE-1L: 0 of 2 · take 2 lot SL1002 (exp "),
        "{shown:?}"
    );
    assert_eq!(
        shown[2],
        "THERMO-X1: 0 of 1 · take 1 serial TX1-0001 at A-01-02"
    );
    wedge_scan(&app, "GLOVE-M");
    wedge_scan(&app, "(01)09506000134369(10)SL1002");
    tap(w, "Confirm");
    assert_eq!(w.global::<WorkflowAdapter>().get_feedback(), 3);
    assert_eq!(message(w), "still missing: 1 of THERMO-X1");
    wedge_scan(&app, "A-01-02");
    assert_eq!(field(w, "Taking from").as_deref(), Some("A-01-02"));
    wedge_scan(&app, "THERMO-X1");
    wedge_scan(&app, "TX1-0001");
    tap(w, "Confirm");
    assert_eq!(
        prompt(w),
        "Scan or type the new lot of FIRSTAID-KIT, or choose generate"
    );
    tap(w, "Generate a lot code");
    assert_eq!(prompt(w), "Confirm to record the build");
    let lot = field(w, "New lot").unwrap();
    tap(w, "Confirm");
    assert_eq!(
        w.global::<WorkflowAdapter>().get_feedback(),
        4,
        "{}",
        message(w)
    );
    assert_eq!(
        message(w),
        format!("1 of FIRSTAID-KIT lot {lot} built at A-02-01")
    );
    assert_eq!(
        qty_at(&app.ledger.borrow(), "FIRSTAID-KIT", Some(&lot), "A-02-01"),
        1
    );
    assert!(shows(w, "Print the labels"));

    tap(w, "Home");
    tap(w, "Split");
    assert_eq!(prompt(w), "Scan the location of the lot to split");
    wedge_scan(&app, "A-01-02");
    wedge_scan(&app, "(01)09506000134352(10)AM2407");
    assert_eq!(
        field(w, "Into").as_deref(),
        Some("AMOX-500-SN Amoxicillin 500 mg capsules (box of 20) serialized")
    );
    w.global::<WorkflowAdapter>().invoke_submit("2".into());
    wedge_scan(&app, "SN-0001");
    tap(w, "Generate the serials");
    assert_eq!(prompt(w), "Confirm to record the split");
    tap(w, "Confirm");
    assert_eq!(
        w.global::<WorkflowAdapter>().get_feedback(),
        4,
        "{}",
        message(w)
    );
    let l = app.ledger.borrow();
    assert_eq!(qty_at(&l, "AMOX-500", Some("AM2407"), "A-01-02"), 118);
    assert_eq!(qty_at(&l, "AMOX-500-SN", Some("AM2407"), "A-01-02"), 2);
    assert!(l
        .query()
        .serial("AMOX-500-SN", "SN-0001")
        .unwrap()
        .is_some());
}
