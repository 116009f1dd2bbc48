//! `lotkeeper screenshot`: the demo warehouse on every screen, rendered headless to PNG files
//! (no display needed). A script over the app's public surface, like a person tapping through.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use slint::ComponentHandle;

use crate::ledger::Ledger;
use crate::ui::{headless, App, CameraAdapter, WorkflowAdapter};

/// What can stop the pictures.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Ui(#[from] crate::ui::Error),
    #[error(transparent)]
    Ledger(#[from] crate::ledger::Error),
    #[error("the screen could not be opened: {0}")]
    Platform(#[from] slint::PlatformError),
    #[error("cannot create the folder {path}: {message}")]
    Folder { path: PathBuf, message: String },
    #[error("the demo camera's label could not be drawn: {0}")]
    Label(String),
}

/// Renders every screen with the demo warehouse (and a demo conflict) to PNG files in `out`.
pub fn screenshots(out: &Path) -> Result<Vec<PathBuf>, Error> {
    std::fs::create_dir_all(out).map_err(|e| Error::Folder {
        path: out.to_path_buf(),
        message: e.to_string(),
    })?;
    headless::init();
    crate::ui::select_language_from_env();
    let mut ledger = Ledger::open_in_memory()?;
    crate::ledger::demo::fill(&mut ledger)?;
    crate::ledger::demo::conflict(&mut ledger)?;
    let app = App::new(ledger)?;
    app.window.show()?;
    let mut files = Vec::new();
    let mut shot = |name: &str| -> Result<(), Error> {
        let path = out.join(format!("{name}.png"));
        headless::save_png(&path)?;
        files.push(path);
        Ok(())
    };
    shot("home")?;
    app.open("receive");
    app.scan("]d20109506000134352172812311012345\u{1d}21SN9");
    shot("receive")?;
    app.open("pick");
    shot("pick-lists")?;
    app.open_pick_list("PL-2001");
    app.scan("A-01-01");
    shot("pick")?;
    app.open("transfer");
    app.scan("A-01-02");
    app.scan("(01)09506000134352(10)AM2407");
    shot("transfer")?;
    app.open("count");
    app.scan("A-02-01");
    app.scan("GLOVE-M");
    shot("count")?;
    app.open("lookup");
    app.scan("AMOX-500");
    shot("lookup")?;
    // A kit built from its list: the components, what is taken, and the FEFO lots to take.
    app.open("assemble");
    app.scan("FIRSTAID-KIT");
    app.event(crate::workflow::Event::Enter("1".into()));
    app.scan("A-02-01");
    app.scan("GLOVE-M");
    shot("assemble")?;
    app.open("split");
    app.scan("A-01-02");
    app.scan("(01)09506000134352(10)AM2407");
    app.event(crate::workflow::Event::Enter("3".into()));
    app.event(crate::workflow::Event::Enter("SN-0001".into()));
    shot("split")?;
    app.open("receive");
    app.scan("A-01-01");
    shot("refused")?;
    app.open("receive");
    app.scan("]d20109506000134352172812311012345");
    shot("keypad")?;
    // The receipt recorded: its labels offered.
    app.event(crate::workflow::Event::Enter("12".into()));
    app.event(crate::workflow::Event::Confirm);
    shot("labels")?;
    app.event(crate::workflow::Event::Choose(
        crate::workflow::receive::PRINT.into(),
    ));
    shot("labels-preview")?;
    app.go_home();
    app.window
        .global::<WorkflowAdapter>()
        .invoke_open_settings();
    shot("settings")?;
    app.window
        .global::<WorkflowAdapter>()
        .invoke_open_conflicts();
    shot("conflicts")?;
    // The camera view over a demo camera that shows a location label.
    let (data, width, height) =
        crate::scan::render_symbol("A-02-01", crate::scan::Format::QrCode, 8, 720)
            .map_err(|e| Error::Label(e.to_string()))?;
    let frame = crate::scan::camera::RawFrame {
        data,
        width,
        height,
        format: crate::scan::camera::PixelFormat::Gray,
    };
    app.set_camera(crate::ui::camera::still_camera(frame));
    app.open("transfer");
    app.open_camera();
    let until = Instant::now() + Duration::from_secs(10);
    while Instant::now() < until && !app.window.global::<CameraAdapter>().get_outline_visible() {
        std::thread::sleep(Duration::from_millis(20));
        app.poll_camera();
    }
    app.poll_camera();
    shot("camera")?;
    app.go_home();
    Ok(files)
}
