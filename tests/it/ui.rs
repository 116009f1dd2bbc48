//! The screens, headless: a whole receive and a whole pick driven through the UI (taps and typed
//! scans), asserting what the screen shows and what the ledger holds; and pictures of them.
//! One test: Slint's platform is per thread.

use crate::harness::*;
use lotkeeper::ledger::import::ImportKind;
use lotkeeper::ui::{headless, App, AppWindow, HomeAdapter, StatusAdapter, WorkflowAdapter};
use slint::{ComponentHandle, Model};

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
    w.global::<HomeAdapter>().invoke_open("receive".into());
    assert_eq!(w.get_screen(), 1);
    assert_eq!(prompt(w), "Scan the item (or a purchase order)");
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
    w.global::<WorkflowAdapter>().invoke_confirm();
    assert_eq!(w.global::<WorkflowAdapter>().get_feedback(), 4);
    assert_eq!(message(w), "received 10 EA of PARA lot 12345 at A1");
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
    w.global::<WorkflowAdapter>().invoke_home();
    w.global::<HomeAdapter>().invoke_open("pick".into());
    assert_eq!(w.get_screen(), 2);
    let lists: Vec<String> = w
        .global::<HomeAdapter>()
        .get_pick_lists()
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(lists, vec!["PL-7 Bob"]);
    w.global::<HomeAdapter>()
        .invoke_open_pick_list("PL-7 Bob".into());
    assert_eq!(prompt(w), "Go to A1 and scan the location");
    assert_eq!(
        field(w, "Suggested").as_deref(),
        Some("A1 lot 12345 (expires 2026-12-31)")
    );
    wedge_scan(&app, "A1");
    wedge_scan(&app, "(01)09506000134352(10)12345");
    assert_eq!(prompt(w), "Confirm 5 EA (or type the quantity)");
    w.global::<WorkflowAdapter>().invoke_confirm();
    assert_eq!(prompt(w), "All lines are picked: confirm to finish");
    w.global::<WorkflowAdapter>().invoke_confirm();
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
    let files = lotkeeper::ui::screenshots(out.dir.path()).unwrap();
    assert!(files.len() >= 8);
    for f in files {
        assert!(
            std::fs::metadata(&f).unwrap().len() > 5_000,
            "{} looks empty",
            f.display()
        );
    }
}
