//! The command line. The one place that turns errors into exit codes: 0 done, 1 bad arguments or
//! a bad file (nothing changed), 2 a movement refused by a ledger rule (nothing changed).

mod output;
mod scan_cli;
mod sync_cli;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::ledger::import::ImportKind;
use crate::ledger::reports::ExpiryFilter;
use crate::ledger::{
    self, model::parse_date, AdjustCmd, AssembleCmd, Component, Error, Ledger, LotAction, Output,
    ReceiveCmd, ShipCmd, TransferCmd,
};
use output::print_rows;
pub use output::Format;

#[derive(Parser, Debug)]
#[command(
    name = "lotkeeper",
    version,
    about = "Lot and serial tracking for warehouse handhelds, offline first"
)]
pub struct Cli {
    /// The SQLite database (default: lotkeeper.db in the platform's data directory).
    #[arg(long, global = true, env = "LOTKEEPER_DB")]
    pub db: Option<PathBuf>,
    /// Replay camera frames from a folder of images or a Motion-JPEG file instead of a camera.
    #[arg(long, global = true, value_name = "DIR")]
    pub camera_replay: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Import a CSV file, all or nothing.
    Import {
        /// items, locations, stock, picklists or purchase-orders
        kind: String,
        file: PathBuf,
    },
    /// Goods in from a supplier.
    Receive(ReceiveArgs),
    /// Goods out to a customer.
    Ship(ShipArgs),
    /// Move stock between two real locations.
    Transfer(TransferArgs),
    /// Stock found (+N) or written off (-N), with a reason.
    Adjust(AdjustArgs),
    /// Put a lot on hold (quarantine, or recall with --recall, the same as recall start).
    Hold(HoldArgs),
    /// Release a lot from a quarantine hold. A recall is not released: it is closed by the
    /// back office (recall close), and then stays on hold until released.
    Release(LotChangeArgs),
    /// Recalls: start one on a lot, or close one (back office only, against the server's database).
    Recall {
        #[command(subcommand)]
        action: RecallAction,
    },
    /// Consume components and produce a finished lot or serials.
    Assemble(AssembleArgs),
    /// Split units of a lot into serialized units of a serial-tracked item.
    Split(SplitArgs),
    /// Reverse a movement with a correcting movement.
    Correct {
        #[arg(long)]
        movement: uuid::Uuid,
        #[arg(long)]
        reason: String,
    },
    /// FEFO/FIFO pick suggestions for a quantity of an item.
    Allocate {
        #[arg(long)]
        item: String,
        #[arg(long)]
        qty: i64,
        /// Leave out lots expiring within this many days.
        #[arg(long)]
        exclude_within_days: Option<u64>,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Reports: stock-by-lot, expiry, lot-transactions, lot-history, serials.
    Report(ReportArgs),
    /// Backward and forward trace of a lot or serial.
    Trace {
        #[arg(long)]
        item: String,
        #[arg(long, conflicts_with = "serial", required_unless_present = "serial")]
        lot: Option<String>,
        #[arg(long)]
        serial: Option<String>,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Fill an empty database with a demo warehouse.
    Demo,
    /// Render every screen with demo data to PNG files (no display needed).
    Screenshot {
        #[arg(long)]
        out: PathBuf,
    },
    /// Print an overview of the database (what `lotkeeper` shows where there is no display).
    Overview,
    /// Decode every barcode in image files.
    Decode {
        /// Comma-separated formats (QR_CODE,DATA_MATRIX,CODE_128,EAN_13,EAN_8,UPC_A,UPC_E,ITF,
        /// CODE_39,PDF_417,AZTEC,RSS_14,RSS_EXPANDED); default: the warehouse set.
        #[arg(long)]
        formats: Option<String>,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
        #[arg(required = true)]
        images: Vec<PathBuf>,
    },
    /// Run the back-office server over this database.
    Serve {
        /// Address to listen on, like 0.0.0.0:8443 (127.0.0.1:PORT for plain HTTP on loopback).
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        #[arg(long, requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        #[arg(long, requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// Serve plain HTTP on an address other than loopback, on purpose (a proxy in front of
        /// this server ends TLS). Without it, plain HTTP is refused there.
        #[arg(long, conflicts_with = "tls_cert")]
        insecure_http: bool,
    },
    /// Devices enrolled with this server: add (prints a token once), list, revoke.
    Device {
        #[command(subcommand)]
        action: DeviceAction,
    },
    /// Store the server and token on this device for later syncs.
    Enroll {
        #[arg(long)]
        server: String,
        /// The device token. Prefer the LOTKEEPER_TOKEN environment variable or --token-stdin:
        /// a command line is visible to other users of the machine and kept in shell history.
        #[arg(
            long,
            env = "LOTKEEPER_TOKEN",
            hide_env_values = true,
            conflicts_with = "token_stdin"
        )]
        token: Option<String>,
        /// Read the device token from the first line of standard input.
        #[arg(long)]
        token_stdin: bool,
        /// This device's name (as the server knows it).
        #[arg(long)]
        device: Option<String>,
    },
    /// Push pending movements and pull the server's: one sync, and what moved.
    Sync {
        /// Keep syncing in the background (periodically, with backoff while offline) and print
        /// each change of status, until Ctrl-C.
        #[arg(long, conflicts_with_all = ["server", "token_stdin"])]
        watch: bool,
        #[arg(long)]
        server: Option<String>,
        /// The device token, with --server, for a first sync that enrolls. Prefer the
        /// LOTKEEPER_TOKEN environment variable or --token-stdin: a command line is visible to
        /// other users of the machine and kept in shell history.
        #[arg(
            long,
            env = "LOTKEEPER_TOKEN",
            hide_env_values = true,
            conflicts_with = "token_stdin"
        )]
        token: Option<String>,
        /// Read the device token from the first line of standard input.
        #[arg(long)]
        token_stdin: bool,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Online or not, pending movements, conflicts, last successful sync.
    Status {
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Movements the server rejected; `--dismiss ID --note TEXT` resolves one.
    Conflicts {
        #[arg(long, requires = "note")]
        dismiss: Option<String>,
        #[arg(long)]
        note: Option<String>,
        /// Include dismissed conflicts.
        #[arg(long)]
        all: bool,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Run a workflow from a script (one event per line); one JSON object per event.
    Session { file: PathBuf },
    /// Scan with the camera (or --camera-replay) and print each accepted scan as it comes.
    Camera {
        #[arg(long)]
        formats: Option<String>,
        /// Which camera (0 is the first).
        #[arg(long, default_value_t = 0)]
        index: u32,
        /// Stop after this many scans.
        #[arg(long)]
        count: Option<usize>,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Parse scans (one per line on stdin) as GS1 data; one JSON object per line.
    Parse {
        #[arg(long, value_enum, default_value = "json")]
        format: Format,
    },
    /// Test support: post movements in a loop, printing each committed id (used by the crash test).
    #[command(hide = true)]
    CrashWriter {
        #[arg(long, default_value_t = 1_000_000)]
        count: u64,
    },
}

#[derive(Subcommand, Debug)]
pub enum DeviceAction {
    /// Enroll a device: prints its token once (only a hash is kept).
    Add {
        name: String,
    },
    List {
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    Revoke {
        name: String,
    },
}

#[derive(Args, Debug)]
pub struct ReceiveArgs {
    #[arg(long)]
    item: String,
    #[arg(long)]
    qty: i64,
    #[arg(long)]
    to: String,
    #[arg(long)]
    lot: Option<String>,
    #[arg(long, value_parser = date_arg("--expiry"))]
    expiry: Option<chrono::NaiveDate>,
    /// Production date; with the item's shelf life it gives the expiry when none is stated.
    #[arg(long, value_parser = date_arg("--produced"))]
    produced: Option<chrono::NaiveDate>,
    #[arg(long = "serial", num_args = 1..)]
    serials: Vec<String>,
    /// A file with one serial per line.
    #[arg(long)]
    serials_file: Option<PathBuf>,
    #[arg(long)]
    supplier: Option<String>,
    #[arg(long = "ref")]
    reference: Option<String>,
}

#[derive(Args, Debug)]
pub struct ShipArgs {
    #[arg(long)]
    item: String,
    #[arg(long)]
    qty: i64,
    #[arg(long)]
    from: String,
    #[arg(long, conflicts_with = "serials")]
    lot: Option<String>,
    #[arg(long = "serial", num_args = 1..)]
    serials: Vec<String>,
    #[arg(long)]
    customer: Option<String>,
    #[arg(long = "ref")]
    reference: Option<String>,
}

#[derive(Args, Debug)]
pub struct TransferArgs {
    #[arg(long)]
    item: String,
    #[arg(long)]
    qty: i64,
    #[arg(long)]
    from: String,
    #[arg(long)]
    to: String,
    #[arg(long, conflicts_with = "serials")]
    lot: Option<String>,
    #[arg(long = "serial", num_args = 1..)]
    serials: Vec<String>,
    #[arg(long)]
    reason: Option<String>,
}

#[derive(Args, Debug)]
pub struct AdjustArgs {
    #[arg(long)]
    item: String,
    /// +N found, -N written off.
    #[arg(long, allow_negative_numbers = true)]
    qty: String,
    #[arg(long)]
    at: String,
    #[arg(long, conflicts_with = "serial")]
    lot: Option<String>,
    #[arg(long)]
    serial: Option<String>,
    #[arg(long, value_parser = date_arg("--expiry"))]
    expiry: Option<chrono::NaiveDate>,
    #[arg(long)]
    reason: String,
}

#[derive(Args, Debug)]
pub struct HoldArgs {
    #[command(flatten)]
    change: LotChangeArgs,
    /// A recall rather than a quarantine hold (the same as recall start).
    #[arg(long)]
    recall: bool,
}

#[derive(Args, Debug)]
pub struct LotChangeArgs {
    #[arg(long)]
    item: String,
    #[arg(long)]
    lot: String,
    /// Why (supplier recall RC-…, damaged, lab released, …); recorded in the lot's history.
    #[arg(long)]
    reason: String,
    /// Who makes the change (recorded; default: this device).
    #[arg(long, value_name = "NAME")]
    by: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum RecallAction {
    /// Recall a lot: nothing can pick or ship it until the back office closes the recall.
    Start(LotChangeArgs),
    /// Close a recall (back office only): the lot goes back on hold, not to available.
    Close {
        #[arg(long)]
        item: String,
        #[arg(long)]
        lot: String,
        #[arg(long)]
        reason: String,
        /// The person closing the recall (recorded).
        #[arg(long, value_name = "NAME")]
        by: String,
    },
}

#[derive(Args, Debug)]
pub struct AssembleArgs {
    /// The item produced.
    #[arg(long)]
    item: String,
    #[arg(long)]
    qty: i64,
    #[arg(long)]
    to: String,
    #[arg(long)]
    lot: Option<String>,
    #[arg(long = "serial", num_args = 1..)]
    serials: Vec<String>,
    #[arg(long, value_parser = date_arg("--expiry"))]
    expiry: Option<chrono::NaiveDate>,
    #[arg(long, value_parser = date_arg("--produced"))]
    produced: Option<chrono::NaiveDate>,
    /// A component: SKU,QTY,FROM[,LOT] or SKU,1,FROM,#SERIAL. Repeat for each.
    #[arg(long = "use", required = true)]
    uses: Vec<String>,
    #[arg(long = "ref")]
    reference: Option<String>,
}

#[derive(Args, Debug)]
pub struct SplitArgs {
    #[arg(long)]
    item: String,
    #[arg(long)]
    lot: String,
    #[arg(long)]
    at: String,
    /// The serial-tracked item the units become.
    #[arg(long)]
    into: String,
    #[arg(long = "serial", num_args = 1..)]
    serials: Vec<String>,
    #[arg(long)]
    serials_file: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// stock-by-lot, expiry, lot-transactions, lot-history (holds, recalls, releases), serials,
    /// pick-lists or purchase-orders
    kind: String,
    #[arg(long)]
    item: Option<String>,
    #[arg(long)]
    lot: Option<String>,
    #[arg(long)]
    location: Option<String>,
    /// expiry: only expired lots.
    #[arg(long)]
    expired: bool,
    /// expiry: only lots expiring within N days (not yet expired).
    #[arg(long)]
    within_days: Option<i64>,
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

fn date_arg(flag: &'static str) -> impl Fn(&str) -> Result<chrono::NaiveDate, String> + Clone {
    move |s| parse_date(flag, s).map_err(|e| e.to_string())
}

/// The database path: --db, then LOTKEEPER_DB (both via clap), then the platform data dir.
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
    eprintln!("error: {e:#}");
    ExitCode::from(1)
}

fn read_serials(inline: &[String], file: Option<&PathBuf>) -> Result<Vec<String>> {
    let mut out: Vec<String> = inline.iter().map(|s| s.trim().to_string()).collect();
    if let Some(f) = file {
        let text = std::fs::read_to_string(f)
            .with_context(|| format!("cannot read the serials file {}", f.display()))?;
        out.extend(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(String::from),
        );
    }
    Ok(out)
}

/// A hold, release or recall from the command line: the state machine's answer, said plainly.
fn change_lot(db: Option<PathBuf>, c: &LotChangeArgs, action: LotAction, said: &str) -> Result<()> {
    let status =
        open(db)?.change_lot_status(&c.item, &c.lot, action, &c.reason, c.by.as_deref())?;
    println!("{} lot {} {said} ({status})", c.item, c.lot);
    Ok(())
}
fn open(db: Option<PathBuf>) -> Result<Ledger> {
    let path = db.unwrap_or_else(default_db_path);
    Ok(Ledger::open(&path)?)
}

/// Prints what a posting did, one line per movement.
fn print_posted(verb: &str, posted: &[ledger::Posted]) {
    let applied = posted
        .iter()
        .filter(|p| matches!(p, ledger::Posted::Applied { .. }))
        .count();
    println!(
        "{verb}: {} movement(s) recorded{}",
        applied,
        if applied < posted.len() {
            format!(", {} already recorded before", posted.len() - applied)
        } else {
            String::new()
        }
    );
}

fn parse_component(spec: &str) -> Result<Component> {
    let parts: Vec<&str> = spec.split(',').map(str::trim).collect();
    if parts.len() < 3 || parts.len() > 4 {
        anyhow::bail!("--use '{spec}' must be SKU,QTY,FROM[,LOT] or SKU,1,FROM,#SERIAL");
    }
    let qty: i64 = parts[1]
        .parse()
        .map_err(|_| anyhow::anyhow!("--use '{spec}': '{}' is not a quantity", parts[1]))?;
    let mut c = Component {
        item: parts[0].to_string(),
        qty,
        from: parts[2].to_string(),
        ..Default::default()
    };
    match parts.get(3) {
        Some(s) if s.starts_with('#') => c.serials = vec![s[1..].to_string()],
        Some(l) => c.lot = Some(l.to_string()),
        None => {}
    }
    Ok(c)
}

pub fn run(cli: Cli) -> Result<()> {
    let Some(command) = cli.command else {
        if crate::ui::display_available() {
            return Ok(crate::ui::run(
                &cli.db.unwrap_or_else(default_db_path),
                cli.camera_replay,
            )?);
        }
        println!("(no display here: showing the overview; `lotkeeper screenshot --out DIR` renders the screens)\n");
        return overview(cli.db);
    };
    match command {
        Command::Import { kind, file } => {
            let kind: ImportKind = kind.parse()?;
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let mut l = open(cli.db)?;
            let s = l
                .import_csv(kind, &text)
                .with_context(|| format!("{}: nothing was imported", file.display()))?;
            println!(
                "imported {} row(s) from {}: {} created, {} updated",
                s.rows,
                file.display(),
                s.created,
                s.updated
            );
        }
        Command::Receive(a) => {
            let serials = read_serials(&a.serials, a.serials_file.as_ref())?;
            let mut l = open(cli.db)?;
            let p = l.receive(&ReceiveCmd {
                item: a.item,
                qty: a.qty,
                to: a.to,
                lot: a.lot,
                expiry: a.expiry,
                production_date: a.produced,
                serials,
                supplier: a.supplier,
                reference: a.reference,
                lot_origin: None,
            })?;
            print_posted("received", &p);
        }
        Command::Ship(a) => {
            let mut l = open(cli.db)?;
            let p = l.ship(&ShipCmd {
                item: a.item,
                qty: a.qty,
                from: a.from,
                lot: a.lot,
                serials: a.serials,
                customer: a.customer,
                reference: a.reference,
            })?;
            print_posted("shipped", &p);
        }
        Command::Transfer(a) => {
            let mut l = open(cli.db)?;
            let p = l.transfer(&TransferCmd {
                item: a.item,
                qty: a.qty,
                from: a.from,
                to: a.to,
                lot: a.lot,
                serials: a.serials,
                reason: a.reason,
                reference: None,
            })?;
            print_posted("transferred", &p);
        }
        Command::Adjust(a) => {
            let delta: i64 = a.qty.trim().trim_start_matches('+').parse().map_err(|_| {
                anyhow::anyhow!("--qty '{}' must be +N (found) or -N (written off)", a.qty)
            })?;
            let mut l = open(cli.db)?;
            let p = l.adjust(&AdjustCmd {
                item: a.item,
                delta,
                at: a.at,
                lot: a.lot,
                serial: a.serial,
                expiry: a.expiry,
                reason: a.reason,
                reference: None,
            })?;
            print_posted("adjusted", &p);
        }
        Command::Hold(a) => {
            let action = if a.recall {
                LotAction::Recall
            } else {
                LotAction::Hold
            };
            change_lot(cli.db, &a.change, action, "is now on hold")?;
        }
        Command::Release(c) => change_lot(cli.db, &c, LotAction::Release, "is released")?,
        Command::Recall {
            action: RecallAction::Start(c),
        } => change_lot(cli.db, &c, LotAction::Recall, "is now on hold")?,
        Command::Recall {
            action:
                RecallAction::Close {
                    item,
                    lot,
                    reason,
                    by,
                },
        } => {
            let status = open(cli.db)?.change_lot_status(
                &item,
                &lot,
                LotAction::CloseRecall,
                &reason,
                Some(&by),
            )?;
            println!(
                "{item} lot {lot}: recall closed by {by}; the lot stays on hold ({status}) until someone releases it"
            );
        }
        Command::Assemble(a) => {
            let components = a
                .uses
                .iter()
                .map(|s| parse_component(s))
                .collect::<Result<Vec<_>>>()?;
            let mut l = open(cli.db)?;
            let p = l.assemble(&AssembleCmd {
                components,
                outputs: vec![Output {
                    item: a.item,
                    qty: a.qty,
                    to: a.to,
                    lot: a.lot,
                    serials: a.serials,
                    expiry: a.expiry,
                    production_date: a.produced,
                }],
                reference: a.reference,
            })?;
            print_posted("assembled", &p);
        }
        Command::Split(a) => {
            let serials = read_serials(&a.serials, a.serials_file.as_ref())?;
            let mut l = open(cli.db)?;
            let p = l.split(&a.item, &a.lot, &a.at, &a.into, &serials)?;
            print_posted("split", &p);
        }
        Command::Correct { movement, reason } => {
            let p = open(cli.db)?.correct(movement, &reason)?;
            print_posted("corrected", &p);
        }
        Command::Allocate {
            item,
            qty,
            exclude_within_days,
            format,
        } => {
            let l = open(cli.db)?;
            let a = l.allocate(&item, qty, exclude_within_days)?;
            print_rows(&a.lines, format)?;
            if a.short > 0 {
                eprintln!(
                    "short: only {} of {} {item} can be allocated ({} missing)",
                    qty - a.short,
                    qty,
                    a.short
                );
            }
        }
        Command::Report(a) => report(cli.db, a)?,
        Command::Trace {
            item,
            lot,
            serial,
            format,
        } => {
            let l = open(cli.db)?;
            let t = l.trace(&item, lot.as_deref(), serial.as_deref())?;
            match format {
                Format::Json => println!("{}", serde_json::to_string_pretty(&t)?),
                _ => print_trace(&t)?,
            }
        }
        Command::Screenshot { out } => {
            for f in crate::shots::screenshots(&out)? {
                println!("{}", f.display());
            }
        }
        Command::Overview => overview(cli.db)?,
        Command::Demo => {
            let mut l = open(cli.db)?;
            ledger::demo::fill(&mut l)?;
            println!(
                "demo warehouse created: {} movements",
                l.query().movement_count()?
            );
        }
        Command::CrashWriter { count } => crash_writer(cli.db, count)?,
        Command::Decode {
            formats,
            format,
            images,
        } => scan_cli::decode(formats.as_deref(), format, &images)?,
        Command::Parse { format } => scan_cli::parse(format)?,
        Command::Serve {
            listen,
            tls_cert,
            tls_key,
            insecure_http,
        } => sync_cli::serve(
            cli.db.unwrap_or_else(default_db_path),
            &listen,
            tls_cert.zip(tls_key),
            insecure_http,
        )?,
        Command::Device { action } => sync_cli::device(open(cli.db)?, action)?,
        Command::Enroll {
            server,
            token,
            token_stdin,
            device,
        } => {
            let token = sync_cli::token(token, token_stdin)?.context(
                "give the device token: LOTKEEPER_TOKEN=... or --token-stdin (or --token)",
            )?;
            sync_cli::enroll(open(cli.db)?, &server, &token, device)?
        }
        Command::Sync { watch: true, .. } => {
            sync_cli::watch(cli.db.unwrap_or_else(default_db_path))?
        }
        Command::Sync {
            server,
            token,
            token_stdin,
            format,
            ..
        } => {
            let token = sync_cli::token(token, token_stdin)?;
            sync_cli::sync(open(cli.db)?, server, token, format)?
        }
        Command::Status { format } => sync_cli::status(open(cli.db)?, format)?,
        Command::Conflicts {
            dismiss,
            note,
            all,
            format,
        } => sync_cli::conflicts(open(cli.db)?, dismiss, note, all, format)?,
        Command::Session { file } => {
            let script = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let mut l = open(cli.db)?;
            let stdout = std::io::stdout();
            let mut failed = None;
            crate::workflow::session::run(&mut l, &script, |step| {
                let mut w = stdout.lock();
                if let Err(e) = serde_json::to_writer(&mut w, step).map(|_| writeln!(w)) {
                    failed = Some(e.to_string());
                }
            })
            .map_err(anyhow::Error::msg)?;
            if let Some(e) = failed {
                anyhow::bail!("cannot write the output: {e}");
            }
        }
        Command::Camera {
            formats,
            index,
            count,
            format,
        } => scan_cli::camera(cli.camera_replay, index, formats.as_deref(), count, format)?,
    }
    Ok(())
}

fn report(db: Option<PathBuf>, a: ReportArgs) -> Result<()> {
    let l = open(db)?;
    match a.kind.as_str() {
        "stock-by-lot" => print_rows(
            &l.stock_by_lot(a.item.as_deref(), a.location.as_deref(), a.lot.as_deref())?,
            a.format,
        ),
        "expiry" => print_rows(
            &l.expiry_report(&ExpiryFilter {
                expired: a.expired,
                within_days: a.within_days,
                item: a.item,
            })?,
            a.format,
        ),
        "lot-transactions" => {
            let (Some(item), Some(lot)) = (a.item.as_deref(), a.lot.as_deref()) else {
                anyhow::bail!("lot-transactions needs --item SKU --lot L");
            };
            print_rows(&l.lot_transactions(item, lot)?, a.format)
        }
        "serials" => print_rows(&l.serials_report(a.item.as_deref())?, a.format),
        "pick-lists" => print_rows(&l.pick_list_report()?, a.format),
        "purchase-orders" => print_rows(&l.purchase_order_report()?, a.format),
        "lot-history" => {
            let (Some(item), Some(lot)) = (a.item.as_deref(), a.lot.as_deref()) else {
                anyhow::bail!("lot-history needs --item SKU --lot L");
            };
            print_rows(&l.lot_history(item, lot)?, a.format)
        }
        other => anyhow::bail!(
            "unknown report '{other}'; use stock-by-lot, expiry, lot-transactions, lot-history, serials, pick-lists or purchase-orders"
        ),
    }
}

fn print_trace(t: &ledger::trace::Trace) -> Result<()> {
    use ledger::trace::{BackwardNode, ForwardNode};
    fn name(item: &str, lot: &Option<String>, serial: &Option<String>) -> String {
        match (lot, serial) {
            (_, Some(s)) => format!("{item} serial {s}"),
            (Some(l), None) => format!("{item} lot {l}"),
            _ => item.to_string(),
        }
    }
    fn back(n: &BackwardNode, depth: usize, out: &mut impl Write) -> std::io::Result<()> {
        let pad = "  ".repeat(depth);
        writeln!(out, "{pad}{}", name(&n.item, &n.lot, &n.serial))?;
        for r in &n.received {
            writeln!(
                out,
                "{pad}  received {} from {} on {}{}",
                r.qty,
                r.party,
                &r.date[..10],
                r.reference
                    .as_deref()
                    .map(|x| format!(" ({x})"))
                    .unwrap_or_default()
            )?;
        }
        for l in &n.made_from {
            writeln!(out, "{pad}  made from {} of:", l.qty)?;
            back(&l.node, depth + 2, out)?;
        }
        Ok(())
    }
    fn fwd(n: &ForwardNode, depth: usize, out: &mut impl Write) -> std::io::Result<()> {
        let pad = "  ".repeat(depth);
        writeln!(out, "{pad}{}", name(&n.item, &n.lot, &n.serial))?;
        for s in &n.shipped {
            writeln!(
                out,
                "{pad}  shipped {} to {} on {}{}",
                s.qty,
                s.party,
                &s.date[..10],
                s.reference
                    .as_deref()
                    .map(|x| format!(" ({x})"))
                    .unwrap_or_default()
            )?;
        }
        for s in &n.in_stock {
            writeln!(out, "{pad}  in stock: {} at {}", s.qty, s.location)?;
        }
        for l in &n.used_in {
            writeln!(out, "{pad}  went into {} of:", l.qty)?;
            fwd(&l.node, depth + 2, out)?;
        }
        Ok(())
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    writeln!(out, "Trace of {}", name(&t.item, &t.lot, &t.serial))?;
    writeln!(
        out,
        "Suppliers: {}",
        if t.suppliers.is_empty() {
            "-".into()
        } else {
            t.suppliers.join(", ")
        }
    )?;
    writeln!(
        out,
        "Customers: {}",
        if t.customers.is_empty() {
            "-".into()
        } else {
            t.customers.join(", ")
        }
    )?;
    writeln!(out, "\nBackward:")?;
    back(&t.backward, 1, &mut out)?;
    writeln!(out, "\nForward:")?;
    fwd(&t.forward, 1, &mut out)?;
    if !t.status_history.is_empty() {
        writeln!(out, "\nStatus history:")?;
        for h in &t.status_history {
            writeln!(
                out,
                "  {} {} {} -> {} by {}{}: {}",
                h.at.get(..16).unwrap_or(&h.at).replace('T', " "),
                h.action,
                h.from.map_or("?", |f| f.as_str()),
                h.to,
                h.by.as_deref().unwrap_or("?"),
                match (&h.device, &h.by) {
                    (Some(d), Some(b)) if d != b => format!(" on {d}"),
                    _ => String::new(),
                },
                h.reason
            )?;
        }
    }
    Ok(())
}

/// What `lotkeeper` with no command shows: the database, and the demo if it was empty.
fn overview(db: Option<PathBuf>) -> Result<()> {
    let path = db.unwrap_or_else(default_db_path);
    let mut l = Ledger::open(&path)?;
    if l.is_empty()? {
        ledger::demo::fill(&mut l)?;
        println!("The database was empty: filled it with the demo warehouse.");
    }
    println!("Database: {}", path.display());
    println!("Movements: {}\n", l.query().movement_count()?);
    println!("Stock by lot:");
    print_rows(&l.stock_by_lot(None, None, None)?, Format::Table)?;
    let soon = l.expiry_report(&ExpiryFilter {
        within_days: Some(30),
        ..Default::default()
    })?;
    let expired = l.expiry_report(&ExpiryFilter {
        expired: true,
        ..Default::default()
    })?;
    println!(
        "\nExpired lots: {}; expiring within 30 days: {}",
        expired.len(),
        soon.len()
    );
    let open_lists = l.query().pick_lists(true)?;
    println!(
        "Open pick lists: {}",
        open_lists
            .iter()
            .map(|p| p.number.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!("\nTry: lotkeeper report expiry | lotkeeper allocate --item AMOX-500 --qty 50 | lotkeeper trace --item SALINE-1L --lot SL1002 | lotkeeper --help");
    Ok(())
}

/// Posts receipts one at a time, printing each id after its commit. The crash test kills this
/// process at random instants and checks that every printed id survived.
fn crash_writer(db: Option<PathBuf>, count: u64) -> Result<()> {
    let mut l = open(db)?;
    let stdout = std::io::stdout();
    for i in 0..count {
        let m = ledger::Movement::new(
            ledger::MovementKind::Receive,
            "CRASH-ITEM",
            1 + (i % 3) as i64,
            ledger::SUPPLIER,
            "CRASH-BIN",
        )
        .lot(Some(format!("L{}", i % 50)));
        let id = m.id;
        // A second movement in the same batch: a batch is all or nothing.
        let t = ledger::Movement::new(
            ledger::MovementKind::Transfer,
            "CRASH-ITEM",
            1,
            "CRASH-BIN",
            "CRASH-BIN-2",
        )
        .lot(Some(format!("L{}", i % 50)));
        l.post(&[m, t])?;
        let mut out = stdout.lock();
        writeln!(out, "{id}")?;
        out.flush()?;
    }
    Ok(())
}
