//! The real app in a real window: Xvfb at a handheld's 720x1280 and a small 480x800, the real
//! `lotkeeper` binary on a demo database, driven with xdotool as a person and a hardware scanner
//! would (taps on Pick and a list, a scan typed into the window without touching the field,
//! Enter on the quantity), checked in the database, with the window's size checked after the
//! keypad appeared. Screenshots are kept in `target/xwindow/`. Skipped, with the reason
//! printed, where Xvfb or xdotool is missing (CI installs both).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::*;
use i_slint_backend_testing::{AccessibleRole, ElementHandle};
use lotkeeper::ui::{App, AppWindow};
use slint::{ComponentHandle, Model};

/// An X server of its own on a free display.
fn xvfb(width: u32, height: u32) -> (Running, String) {
    for n in 90..200 {
        if Path::new(&format!("/tmp/.X{n}-lock")).exists()
            || Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
        {
            continue;
        }
        let child = Command::new("Xvfb")
            .args([
                &format!(":{n}"),
                "-screen",
                "0",
                &format!("{width}x{height}x24"),
                "-nolisten",
                "tcp",
                // No reset when the last client leaves: the readiness probe below is such a
                // client, and an app connecting during the reset it triggers is refused (CI
                // saw "Failed to open connection to X server" right after a good probe).
                "-noreset",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb starts");
        let mut x = Running(child);
        let until = Instant::now() + Duration::from_secs(20);
        while Instant::now() < until {
            // The socket file appears at bind(), a moment before the server accepts: wait for
            // a client that really connects (a loaded machine made the app miss that moment).
            if Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
                && Command::new("xdotool")
                    .arg("getdisplaygeometry")
                    .env("DISPLAY", format!(":{n}"))
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success())
            {
                return (x, format!(":{n}"));
            }
            if let Ok(Some(_)) = x.0.try_wait() {
                break; // another server took the display meanwhile: try the next
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    panic!("no free X display for Xvfb");
}

fn xdotool(display: &str, args: &[&str]) -> String {
    let out = Command::new("xdotool")
        .args(args)
        .env("DISPLAY", display)
        .output()
        .expect("xdotool runs");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The app's window, once it is mapped (`log`: the app's stderr, for the failure message).
fn window_id(display: &str, app: &mut Running, log: &Path) -> String {
    let until = Instant::now() + Duration::from_secs(60);
    while Instant::now() < until {
        let id = xdotool(display, &["search", "--onlyvisible", "--name", "lotkeeper"]);
        if let Some(id) = id.lines().next().filter(|l| !l.is_empty()) {
            return id.to_string();
        }
        if let Ok(Some(status)) = app.0.try_wait() {
            panic!(
                "the app ended before its window showed: {status}\n{}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("the app's window did not show within a minute");
}

fn geometry(display: &str, id: &str) -> (u32, u32) {
    let out = xdotool(display, &["getwindowgeometry", "--shell", id]);
    let get = |k: &str| -> u32 {
        out.lines()
            .find_map(|l| l.strip_prefix(k))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {k} in {out}"))
    };
    (get("WIDTH="), get("HEIGHT="))
}

fn shot(display: &str, name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/xwindow");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.png"));
    let ok = Command::new("import")
        .args(["-window", "root"])
        .arg(&path)
        .env("DISPLAY", display)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        let xwd = dir.join(format!("{name}.xwd"));
        let status = Command::new("xwd")
            .args(["-root", "-silent", "-out"])
            .arg(&xwd)
            .env("DISPLAY", display)
            .status();
        assert!(status.is_ok_and(|s| s.success()), "no screenshot tool");
        return xwd;
    }
    path
}

/// Where each button's centre is at this window size (the same screens laid out by Slint's
/// testing backend over the same demo data, each button pressed in turn), and the location and
/// lot the pick list then suggests.
fn centres(width: f32, height: f32, labels: &[&str]) -> (Vec<(i32, i32)>, String, String) {
    let mut l = lotkeeper::ledger::Ledger::open_in_memory().unwrap();
    lotkeeper::ledger::demo::fill(&mut l).unwrap();
    let app = App::new(l).unwrap();
    let w: &AppWindow = &app.window;
    w.window().set_size(slint::LogicalSize::new(width, height));
    w.show().unwrap();
    let mut out = Vec::new();
    for label in labels {
        let e = ElementHandle::find_by_accessible_label(w, label)
            .find(|e| e.accessible_role() == Some(AccessibleRole::Button))
            .unwrap_or_else(|| panic!("no button '{label}'"));
        let (p, s) = (e.absolute_position(), e.size());
        out.push(((p.x + s.width / 2.0) as i32, (p.y + s.height / 2.0) as i32));
        e.invoke_accessible_default_action();
    }
    let suggested = w
        .global::<lotkeeper::ui::WorkflowAdapter>()
        .get_fields()
        .iter()
        .find(|f| f.label == "Suggested")
        .map(|f| f.value.to_string())
        .expect("the pick suggests a lot");
    let words: Vec<&str> = suggested.split_whitespace().collect();
    (out, words[0].to_string(), words[2].to_string())
}

/// Waits until `f` holds (the app works at its own pace), or gives up after a minute.
fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let until = Instant::now() + Duration::from_secs(60);
    while Instant::now() < until {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{what}: not within a minute");
}

fn pick_in_a_real_window(width: u32, height: u32) {
    let (_x, display) = xvfb(width, height);
    let dir = Dir::new();
    let db = dir.db();
    let log = dir.dir.path().join("app.log");
    let mut app = Running(
        Command::new(bin())
            .arg("--db")
            .arg(&db)
            .env("DISPLAY", &display)
            .env_remove("WAYLAND_DISPLAY")
            .env("WINIT_X11_SCALE_FACTOR", "1")
            .env("LANG", "C")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap(),
    );
    let id = window_id(&display, &mut app, &log);
    if geometry(&display, &id) != (width, height) {
        // A screen smaller than the app's preferred size: the window is given the screen's.
        xdotool(
            &display,
            &["windowsize", &id, &width.to_string(), &height.to_string()],
        );
    }
    eventually("the window takes the screen's size", || {
        geometry(&display, &id) == (width, height)
    });
    let name = format!("{width}x{height}");
    shot(&display, &format!("{name}-home"));
    let (at, location, lot) = centres(
        width as f32,
        height as f32,
        &["Pick", "PL-2001 Corner Pharmacy"],
    );
    // Xvfb runs no window manager, so nothing gives the window the keyboard focus on a click:
    // the test does what a window manager's click-to-focus (or Android) does.
    let click = |(x, y): (i32, i32)| {
        xdotool(
            &display,
            &["mousemove", &x.to_string(), &y.to_string(), "click", "1"],
        );
        xdotool(&display, &["windowfocus", &id]);
    };
    click(at[0]);
    std::thread::sleep(Duration::from_millis(500));
    shot(&display, &format!("{name}-pick-lists"));
    click(at[1]);
    std::thread::sleep(Duration::from_millis(500));
    // The scanner types; nobody touched the text field.
    let ledger = lotkeeper::ledger::Ledger::open(&db).unwrap();
    for scan in [location.as_str(), &format!("(01)09506000134352(10){lot}")] {
        xdotool(&display, &["type", "--delay", "5", scan]);
        xdotool(&display, &["key", "Return"]);
        std::thread::sleep(Duration::from_millis(500));
    }
    shot(&display, &format!("{name}-keypad"));
    assert_eq!(
        geometry(&display, &id),
        (width, height),
        "the window keeps its size with the keypad shown"
    );
    // Enter on the empty field confirms the offered 30.
    xdotool(&display, &["key", "Return"]);
    eventually("the pick is taken", || {
        ledger
            .pick_drafts("PL-2001")
            .map(|d| d.iter().any(|d| d.item == "AMOX-500" && d.qty == 30))
            .unwrap_or(false)
    });
    let d = ledger.pick_drafts("PL-2001").unwrap();
    assert_eq!(d[0].lot.as_deref(), Some(lot.as_str()));
    assert_eq!(d[0].location, location);
    shot(&display, &format!("{name}-next-line"));
    assert_eq!(geometry(&display, &id), (width, height));
}

#[test]
fn the_app_in_a_real_window() {
    if !on_path("Xvfb") || !on_path("xdotool") {
        println!("skipped: Xvfb and xdotool are needed (Debian: apt-get install xvfb xdotool)");
        return;
    }
    i_slint_backend_testing::init_no_event_loop();
    pick_in_a_real_window(720, 1280);
    pick_in_a_real_window(480, 800);
}
