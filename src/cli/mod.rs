//! The command line. The one place that turns errors into exit codes: 0 done, 1 bad arguments or
//! a bad file (nothing changed), 2 a movement refused by a ledger rule (nothing changed), 3 a
//! session that ran but had refused events or ended in the middle of a workflow.
//!
//! `args` holds the clap types; each area has its own file (`stock`, `reports`, `admin`,
//! `sync_cli`, `scan_cli`, `label_cli`); `run` only dispatches.

mod admin;
mod args;
mod export_cli;
mod label_cli;
mod output;
mod reports;
mod scan_cli;
mod stock;
mod sync_cli;
#[cfg(feature = "console")]
mod users_cli;

use anyhow::{Context, Result};
use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::ledger::{self, Error, Ledger, LotAction};
pub use args::{Cli, Command, DeviceAction, RecallAction};
pub use output::{Format, TextFormat};

/// The database path: --db, then LOTKEEPER_DB (empty counts as unset), then the platform data dir.
pub fn db_path(db: Option<PathBuf>) -> PathBuf {
    db.filter(|p| !p.as_os_str().is_empty())
        .or_else(|| {
            std::env::var_os("LOTKEEPER_DB")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        })
        .unwrap_or_else(default_db_path)
}

/// The platform's default database: lotkeeper.db in its data directory.
pub fn default_db_path() -> PathBuf {
    directories::ProjectDirs::from("org", "lotkeeper", "lotkeeper")
        .map(|d| d.data_dir().join("lotkeeper.db"))
        .unwrap_or_else(|| PathBuf::from("lotkeeper.db"))
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    if !matches!(
        cli.command,
        None | Some(
            Command::Serve { .. } | Command::Sync { watch: true, .. } | Command::Camera { .. }
        )
    ) {
        quiet_on_closed_pipe();
    }
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => report_error(&e),
    }
}

/// A one-shot command whose reader goes away (`lotkeeper decode ... | head -1`) ends quietly, as
/// Unix filters do, instead of panicking on a failed print. The app, the server and the sync
/// agent keep Rust's default (SIGPIPE ignored, a failed write is an error to handle) so that a
/// dropped connection never ends them. A command killed mid-write loses nothing committed: the
/// ledger's transactions are atomic.
fn quiet_on_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: restoring a signal's default disposition at start-up, before any thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// Prints an error the way scripts expect and picks the exit code.
fn report_error(e: &anyhow::Error) -> ExitCode {
    match e.downcast_ref::<Error>() {
        // A rule of the ledger said no: the movement was well formed but not allowed.
        Some(Error::Refused { rule, message }) if *rule != ledger::Rule::Invalid => {
            eprintln!("refused: {message}");
            return ExitCode::from(2);
        }
        _ => {}
    }
    if let Some(r) = e.downcast_ref::<sync_cli::SomeRefused>() {
        eprintln!("refused: {r}");
        return ExitCode::from(2);
    }
    if let Some(s) = e.downcast_ref::<admin::SessionIncomplete>() {
        eprintln!("error: {s}");
        return ExitCode::from(3);
    }
    eprintln!("error: {}", chain(e));
    ExitCode::from(1)
}

/// The error and its causes, joined with ": ", leaving out a cause whose text the message before
/// it already says (many of our errors print their source in their own message, and anyhow's `{:#}`
/// would print it a second time).
fn chain(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

/// The database a command works on: a SQLite file (`--db`, or the default), or a back office's
/// PostgreSQL database (`--database`).
#[derive(Debug, Clone, Default)]
pub struct Db {
    file: Option<PathBuf>,
    url: Option<String>,
}

impl Db {
    /// The SQLite file, for what works on a file only (the app, backups, restores); with
    /// `--database`, an error that says what to use instead.
    fn file(self, what: &str) -> Result<PathBuf> {
        match self.url {
            Some(_) => anyhow::bail!(
                "{what} works on a SQLite database file (--db FILE), not on PostgreSQL; see the README's section on PostgreSQL for its backups"
            ),
            None => Ok(db_path(self.file)),
        }
    }
}

fn open(db: Db) -> Result<Ledger> {
    match db.url {
        #[cfg(feature = "postgres")]
        Some(url) => Ok(Ledger::open_postgres(&url)?),
        _ => Ok(Ledger::open(&db_path(db.file))?),
    }
}

/// Dispatches a command to its area.
pub fn run(cli: Cli) -> Result<()> {
    let db = Db {
        file: cli.db,
        #[cfg(feature = "postgres")]
        url: cli.database,
        #[cfg(not(feature = "postgres"))]
        url: None,
    };
    let Some(command) = cli.command else {
        if crate::ui::display_available() {
            return Ok(crate::ui::run(&db.file("the app")?, cli.camera_replay)?);
        }
        println!("(no display here: showing the overview; `lotkeeper screenshot --out DIR` renders the screens)\n");
        return admin::overview(db);
    };
    match command {
        Command::Import(a) => stock::import(db, a),
        Command::Receive(a) => stock::receive(db, a),
        Command::Ship(a) => stock::ship(db, a),
        Command::Transfer(a) => stock::transfer(db, a),
        Command::Adjust(a) => stock::adjust(db, a),
        Command::Hold(a) => {
            let action = if a.recall {
                LotAction::Recall
            } else {
                LotAction::Hold
            };
            stock::change_lot(db, &a.change, action, "is now on hold")
        }
        Command::Release(c) => stock::change_lot(db, &c, LotAction::Release, "is released"),
        Command::Recall {
            action: RecallAction::Start(c),
        } => stock::change_lot(db, &c, LotAction::Recall, "is now on hold"),
        Command::Recall {
            action: RecallAction::Close(c),
        } => stock::close_recall(db, c),
        Command::Recall {
            action: RecallAction::Report(a),
        } => export_cli::recall_report(db, a),
        Command::Site { code } => export_cli::site(db, &code),
        Command::PackingSlip { number, out } => export_cli::packing_slip(db, &number, out),
        Command::Export { what } => match what {
            args::ExportWhat::Fsma204(a) => export_cli::fsma204(db, a),
            args::ExportWhat::Ledger(a) => export_cli::ledger(db, a),
            args::ExportWhat::Epcis(a) => export_cli::epcis(db, a),
        },
        Command::Assemble(a) => stock::assemble(db, a),
        Command::Split(a) => stock::split(db, a),
        Command::Correct(a) => stock::correct(db, a),
        Command::ConvertTracking(a) => stock::convert_tracking(db, a),
        Command::Allocate(a) => stock::allocate(db, a),
        Command::Report(a) => reports::report(db, a),
        Command::Trace(a) => reports::trace(db, a),
        Command::Screenshot { out } => admin::screenshot(&out),
        Command::Overview => admin::overview(db),
        Command::Backup { to, format } => admin::backup(&db.file("backup")?, &to, format),
        Command::Restore {
            from,
            replace,
            format,
        } => admin::restore(&from, &db.file("restore")?, replace, format),
        #[cfg(feature = "postgres")]
        Command::MigrateServer { from, format } => match db.url {
            Some(url) => admin::migrate_server(&from, &url, format),
            None => anyhow::bail!(
                "give the PostgreSQL database to fill: --database postgres://USER@HOST/DATABASE"
            ),
        },
        Command::Demo { format } => admin::demo(db, format),
        Command::CrashWriter { count } => admin::crash_writer(db, count),
        Command::Session {
            file,
            allow_refusals,
            allow_unfinished,
        } => admin::session(db, &file, allow_refusals, allow_unfinished),
        Command::Decode {
            formats,
            format,
            images,
        } => scan_cli::decode(formats.as_deref(), format.into(), &images),
        Command::Parse { format, lenient } => scan_cli::parse(format.into(), lenient),
        Command::Camera {
            formats,
            index,
            count,
            camera_replay,
            format,
        } => scan_cli::camera(
            camera_replay.or(cli.camera_replay),
            index,
            formats.as_deref(),
            count,
            format.into(),
        ),
        Command::Serve {
            listen,
            tls_cert,
            tls_key,
            insecure_http,
            trusted_proxy,
        } => sync_cli::serve(
            db,
            &listen,
            tls_cert.zip(tls_key),
            insecure_http,
            trusted_proxy,
        ),
        #[cfg(feature = "console")]
        Command::User { action } => users_cli::user(open(db)?, action),
        Command::Device { action } => sync_cli::device(open(db)?, action),
        Command::Enroll {
            qr: Some(qr),
            format,
            ..
        } => sync_cli::enroll_qr(open(db)?, &qr, format),
        Command::Enroll {
            server,
            token,
            token_stdin,
            device,
            format,
            ..
        } => {
            let token = sync_cli::token(token, token_stdin)?.context(
                "give the device token: LOTKEEPER_TOKEN=... or --token-stdin (or --token)",
            )?;
            let server = server.context("give --server URL")?;
            sync_cli::enroll(open(db)?, &server, &token, device, format)
        }
        Command::Sync { watch: true, .. } => sync_cli::watch(db.file("sync --watch")?),
        Command::Sync {
            server,
            token,
            token_stdin,
            format,
            ..
        } => {
            let token = sync_cli::token(token, token_stdin)?;
            sync_cli::sync(open(db)?, server, token, format)
        }
        Command::Label { action } => label_cli::label(open(db)?, action),
        Command::Printer { action } => label_cli::printer(open(db)?, action),
        Command::PrintJobs { action } => label_cli::print_jobs(open(db)?, action),
        Command::Status { format } => sync_cli::status(open(db)?, format),
        Command::Conflicts {
            dismiss,
            note,
            all,
            format,
        } => sync_cli::conflicts(open(db)?, dismiss, note, all, format),
    }
}

#[cfg(test)]
mod tests {
    use super::chain;

    #[derive(Debug, thiserror::Error)]
    #[error("cannot listen on 127.0.0.1:9: {source}")]
    struct Listen {
        source: std::io::Error,
    }

    #[test]
    fn a_cause_the_message_already_says_is_printed_once() {
        let os = std::io::Error::new(std::io::ErrorKind::AddrInUse, "Address already in use");
        let e = anyhow::Error::new(Listen { source: os });
        assert_eq!(
            chain(&e),
            "cannot listen on 127.0.0.1:9: Address already in use"
        );
        // A cause the message does not say is still printed.
        let e = anyhow::Error::new(std::io::Error::other("disk full")).context("cannot save");
        assert_eq!(chain(&e), "cannot save: disk full");
    }
}
