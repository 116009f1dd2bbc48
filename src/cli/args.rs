//! The command line's shape: every command, flag and help line (clap types only, no work).
//! Each `--format` offers only the forms its command really prints.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

use crate::ledger::model::parse_date;

pub use super::output::{Format, TextFormat};

#[derive(Parser, Debug)]
#[command(
    name = "lotkeeper",
    version,
    about = "Lot and serial tracking for warehouse handhelds, offline first"
)]
pub struct Cli {
    /// The SQLite database file (default: lotkeeper.db in the platform's data directory; an
    /// empty LOTKEEPER_DB counts as unset).
    #[arg(long, global = true, value_name = "FILE")]
    pub db: Option<PathBuf>,
    /// A back office on PostgreSQL instead of a file: postgres://USER@HOST[:PORT]/DATABASE (a
    /// password left out is taken from PGPASSWORD). For `serve`, `device` and the back office's
    /// commands; `migrate-server` fills it from a SQLite back office.
    #[cfg(feature = "postgres")]
    #[arg(long, global = true, value_name = "URL", conflicts_with = "db")]
    pub database: Option<String>,
    /// The app only: replay camera frames from a folder of images or a Motion-JPEG file instead
    /// of a camera.
    #[arg(long, value_name = "DIR_OR_FILE")]
    pub camera_replay: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Import a CSV file, all or nothing.
    Import(ImportArgs),
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
    Correct(CorrectArgs),
    /// Turn lot or serial tracking on for an untracked item with stock on hand (back office):
    /// assign every unit from a file and switch at once, or open a conversion so handhelds
    /// assign stock through counts, and close it when nothing is unassigned.
    ConvertTracking(ConvertArgs),
    /// FEFO/FIFO pick suggestions for a quantity of an item.
    Allocate(AllocateArgs),
    /// Reports: stock-by-lot, expiry, lot-transactions, lot-history, serials, pick-lists,
    /// purchase-orders, reorder.
    Report(ReportArgs),
    /// Backward and forward trace of a lot or serial.
    Trace(TraceArgs),
    /// Name the site party (kind site, from `import parties`) that is this site in the exports;
    /// needed only when there are several.
    Site {
        /// The site party's code.
        code: String,
    },
    /// The packing slip of a pick list finished as a shipment, as PDF: each line's item,
    /// quantity, lot, expiry and serials, and the FSMA 204 data passed to the recipient.
    PackingSlip {
        /// The pick list's number.
        number: String,
        /// The PDF file to write (default: NUMBER.pdf in the current folder).
        #[arg(long, value_name = "FILE.pdf")]
        out: Option<PathBuf>,
    },
    /// Documents for regulators, trading partners and auditors: fsma204, epcis, ledger.
    Export {
        #[command(subcommand)]
        what: ExportWhat,
    },
    /// Fill an empty database with a demo warehouse.
    Demo {
        /// Output: table (a sentence) or json.
        #[arg(long, value_enum, default_value = "table")]
        format: TextFormat,
    },
    /// Render every screen with demo data to PNG files (no display needed).
    Screenshot {
        /// The folder the PNG files are written to (created if missing).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Print an overview of the database (what `lotkeeper` shows where there is no display).
    Overview,
    /// Copy this database to a new file while it is in use (the app or the server may keep
    /// working): one consistent snapshot, checked, readable by its owner only.
    Backup {
        /// The new file (an existing file is never overwritten).
        #[arg(long, value_name = "FILE")]
        to: PathBuf,
        /// Output: table (a sentence) or json.
        #[arg(long, value_enum, default_value = "table")]
        format: TextFormat,
    },
    /// Replace this database (--db) with a backup, checked first. Stop the app or server that
    /// uses it first.
    Restore {
        /// The backup file (`lotkeeper backup --to`).
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
        /// Replace a database that holds movements (they are lost unless the backup has them).
        #[arg(long)]
        replace: bool,
        /// Output: table (a sentence) or json.
        #[arg(long, value_enum, default_value = "table")]
        format: TextFormat,
    },
    /// Move a SQLite back office (--from) into an empty PostgreSQL database: every movement,
    /// device and token hash, lot event and document, in one transaction, checked before it
    /// commits (row counts, balances against the source's and against the journal). The SQLite
    /// file is only read. A password left out of the URL is taken from PGPASSWORD.
    #[cfg(feature = "postgres")]
    MigrateServer {
        /// The back office's SQLite database (the server's --db).
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
        /// Output: table (a sentence) or json.
        #[arg(long, value_enum, default_value = "table")]
        format: TextFormat,
    },
    /// Decode every barcode in image files.
    Decode {
        /// Comma-separated formats (QR_CODE,DATA_MATRIX,CODE_128,EAN_13,EAN_8,UPC_A,UPC_E,ITF,
        /// CODE_39,PDF_417,AZTEC,RSS_14,RSS_EXPANDED); default: the warehouse set.
        #[arg(long, value_name = "LIST")]
        formats: Option<String>,
        /// Output: table (one line per symbol) or json.
        #[arg(long, value_enum, default_value = "table")]
        format: TextFormat,
        /// Image files (PNG, JPEG, ...).
        #[arg(required = true)]
        images: Vec<PathBuf>,
    },
    /// Run the back-office server over this database.
    Serve {
        /// Address to listen on, HOST:PORT like 0.0.0.0:8443 (127.0.0.1:PORT for plain HTTP on
        /// loopback).
        #[arg(long, default_value = "127.0.0.1:8080", value_name = "HOST:PORT")]
        listen: String,
        /// TLS certificate chain, a PEM file (with --tls-key).
        #[arg(long, requires = "tls_key", value_name = "PEM")]
        tls_cert: Option<PathBuf>,
        /// TLS private key, a PEM file (with --tls-cert).
        #[arg(long, requires = "tls_cert", value_name = "PEM")]
        tls_key: Option<PathBuf>,
        /// Serve plain HTTP on an address other than loopback, on purpose (a proxy in front of
        /// this server ends TLS). Without it, plain HTTP is refused there.
        #[arg(long, conflicts_with = "tls_cert")]
        insecure_http: bool,
        /// The address a proxy in front of this server connects from (repeat for several): the
        /// console takes the client's address from its X-Forwarded-For (to throttle sign-ins),
        /// and https from its X-Forwarded-Proto (for Secure cookies). No one else's are believed.
        #[arg(long, value_name = "IP")]
        trusted_proxy: Vec<std::net::IpAddr>,
    },
    /// People who use the back office's web console (/console): add (prints a one-time
    /// password, or reads one with --password-stdin), list, remove.
    #[cfg(feature = "console")]
    User {
        #[command(subcommand)]
        action: UserAction,
    },
    /// Devices enrolled with this server: add (prints a token once), list, revoke.
    Device {
        #[command(subcommand)]
        action: DeviceAction,
    },
    /// Store the server and token on this device for later syncs: from a token, or from an
    /// enrollment QR code's text (`device enroll-code` on the back office), exchanged for one.
    Enroll {
        /// The server's URL: https://HOST:PORT (http:// only on loopback).
        #[arg(long, value_name = "URL", required_unless_present = "qr")]
        server: Option<String>,
        /// What the enrollment QR code says (lotkeeper://enroll?server=...&code=...): its
        /// one-time code is exchanged for this device's token.
        #[arg(long, value_name = "TEXT", conflicts_with_all = ["server", "token", "token_stdin", "device"])]
        qr: Option<String>,
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
        /// This device's name (as the server knows it; default: what the server says).
        #[arg(long, value_name = "NAME")]
        device: Option<String>,
        /// Output: table (a sentence) or json.
        #[arg(long, value_enum, default_value = "table")]
        format: TextFormat,
    },
    /// Push pending movements and pull the server's: one sync, and what moved.
    Sync {
        /// Keep syncing in the background (periodically, with backoff while offline) and print
        /// each change of status as a line, until Ctrl-C.
        #[arg(long, conflicts_with_all = ["server", "token_stdin", "format"])]
        watch: bool,
        /// The server's URL (https://HOST:PORT), with a token, for a first sync that enrolls.
        #[arg(long, value_name = "URL")]
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
        /// Output of one sync: table (a sentence) or json (not with --watch).
        #[arg(long, value_enum, default_value = "table")]
        format: TextFormat,
    },
    /// Online or not, pending movements, conflicts, last successful sync.
    Status {
        /// Output: table (a line) or json.
        #[arg(long, value_enum, default_value = "table")]
        format: TextFormat,
    },
    /// Print a label: item/lot, case, SSCC pallet or location, as ZPL, PNG or PDF, to a file,
    /// standard output or a printer.
    Label {
        #[command(subcommand)]
        action: LabelAction,
    },
    /// Label printers: add (or change), list, remove.
    Printer {
        #[command(subcommand)]
        action: PrinterAction,
    },
    /// Print jobs: those still queued (a printer that did not answer), and retry one.
    PrintJobs {
        #[command(subcommand)]
        action: Option<PrintJobsAction>,
    },
    /// Movements the server rejected; `--dismiss ID --note TEXT` resolves one.
    Conflicts {
        /// Resolve the conflict with this movement or change id (with --note).
        #[arg(long, requires = "note", value_name = "ID")]
        dismiss: Option<String>,
        /// What was done about the dismissed conflict (recorded, up to 200 characters).
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
        /// Include dismissed conflicts.
        #[arg(long)]
        all: bool,
        /// Output: table, csv or json.
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Run a workflow from a script (one event per line); one JSON object per event. Exits 3
    /// when an event was refused or the script ends in the middle of a workflow.
    Session {
        /// The script: start WORKFLOW, scan DATA, enter TEXT, choose OPTION, confirm, cancel,
        /// back; one a line.
        file: PathBuf,
        /// Exit 0 even when events were refused (the refusals are still printed).
        #[arg(long)]
        allow_refusals: bool,
        /// Exit 0 even when the script ends in the middle of a workflow.
        #[arg(long)]
        allow_unfinished: bool,
    },
    /// Scan with the camera (or --camera-replay) and print each accepted scan as it comes.
    Camera {
        /// Comma-separated formats (as for decode); default: the warehouse set.
        #[arg(long, value_name = "LIST")]
        formats: Option<String>,
        /// Which camera (0 is the first).
        #[arg(long, default_value_t = 0, value_name = "N")]
        index: u32,
        /// Stop after this many scans.
        #[arg(long, value_name = "N")]
        count: Option<usize>,
        /// Replay camera frames from a folder of images or a Motion-JPEG file instead of a camera.
        #[arg(long, value_name = "DIR_OR_FILE")]
        camera_replay: Option<PathBuf>,
        /// Output: table (one line per scan) or json (one object per line).
        #[arg(long, value_enum, default_value = "table")]
        format: TextFormat,
    },
    /// Parse scans (one per line on stdin) as GS1 data; one JSON object per line.
    Parse {
        /// Output: json (one object per line) or table (tab-separated kind, ok, AIs, errors).
        #[arg(long, value_enum, default_value = "json")]
        format: TextFormat,
        /// Accept the old Digital Link forms of real labels (`/gtin/`, a GTIN-13), with a
        /// warning each, as the workflows do; by default a Digital Link must follow the standard.
        #[arg(long)]
        lenient: bool,
    },
    /// Test support: post movements in a loop, printing each committed id (used by the crash test).
    #[command(hide = true)]
    CrashWriter {
        /// How many batches to post.
        #[arg(long, default_value_t = 1_000_000)]
        count: u64,
    },
}

#[derive(Subcommand, Debug)]
pub enum DeviceAction {
    /// Enroll a device: prints its token once (only a hash is kept).
    Add {
        /// The device's name (1 to 64 characters).
        name: String,
        /// The site it works at (a site party's code): it pulls that site's movements and
        /// documents and moves stock there only. Needed when there are several sites.
        #[arg(long, value_name = "CODE")]
        site: Option<String>,
        /// Output: table (a sentence and the token) or json ({"device", "token"}).
        #[arg(long, value_enum, default_value = "table")]
        format: TextFormat,
    },
    /// The enrolled devices.
    List {
        /// Output: table, csv or json.
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// A one-time enrollment code for a device and the QR label a handheld scans to enroll with
    /// it. The code works once, within --minutes; the device's token never leaves the server.
    EnrollCode {
        /// The device's name (added with `device add`).
        name: String,
        /// The address handhelds reach this server at: https://HOST:PORT.
        #[arg(long, value_name = "URL")]
        server: String,
        /// How long the code works, 1 to 60 minutes.
        #[arg(long, default_value_t = 10, value_name = "MINUTES")]
        minutes: i64,
        /// The QR label: written (--out) or printed (--printer); without either, only the code
        /// and the QR code's text are shown.
        #[command(flatten)]
        out: LabelOut,
    },
    /// Revoke a device's token: it can no longer sync.
    Revoke {
        /// The device's name.
        name: String,
        /// Output: table (a sentence) or json.
        #[arg(long, value_enum, default_value = "table")]
        format: TextFormat,
    },
    /// A replaced (lost, broken or revoked) handheld's movements that never reached this
    /// server, pushed once from its database file or a backup of it. The file is not changed.
    Recover {
        /// The old handheld's database file, or its backup.
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
        /// Output: table (a summary and each refusal) or json.
        #[arg(long, value_enum, default_value = "table")]
        format: TextFormat,
    },
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// items, locations, stock, picklists, purchase-orders, parties, compositions or
    /// lot-attributes
    pub kind: String,
    /// The CSV file (UTF-8, a header line first).
    pub file: PathBuf,
    /// Output: table (a sentence) or json (rows, created, updated).
    #[arg(long, value_enum, default_value = "table")]
    pub format: TextFormat,
}

#[derive(Args, Debug)]
pub struct ReceiveArgs {
    /// The item's SKU.
    #[arg(long, value_name = "SKU")]
    pub item: String,
    /// How many, in the item's unit (a whole number).
    #[arg(long, value_name = "N")]
    pub qty: i64,
    /// The location received into (a location code, e.g. DOCK or A-01-02).
    #[arg(long, value_name = "LOCATION")]
    pub to: String,
    /// The lot code (up to 20 characters), for a lot-tracked item.
    #[arg(long, value_name = "LOT")]
    pub lot: Option<String>,
    /// Expiry date, YYYY-MM-DD.
    #[arg(long, value_parser = date_arg("--expiry"), value_name = "YYYY-MM-DD")]
    pub expiry: Option<chrono::NaiveDate>,
    /// Production date, YYYY-MM-DD; with the item's shelf life it gives the expiry when none
    /// is stated.
    #[arg(long, value_parser = date_arg("--produced"), value_name = "YYYY-MM-DD")]
    pub produced: Option<chrono::NaiveDate>,
    /// Serial numbers (up to 20 characters each), one per unit, for a serial-tracked item.
    #[arg(long = "serial", num_args = 1.., value_name = "SERIAL")]
    pub serials: Vec<String>,
    /// A file with one serial per line.
    #[arg(long, value_name = "FILE")]
    pub serials_file: Option<PathBuf>,
    /// The supplier's name (default: SUPPLIER).
    #[arg(long, value_name = "NAME")]
    pub supplier: Option<String>,
    /// A reference document, e.g. a purchase order number (up to 64 characters).
    #[arg(long = "ref", value_name = "REF")]
    pub reference: Option<String>,
    /// The type of the reference document: po, bol, invoice, asn, work_order, pick_list, other
    /// (default: found from the purchase order or pick list the number belongs to).
    #[arg(long = "ref-type", value_name = "TYPE", value_parser = doc_type_arg)]
    pub ref_type: Option<crate::ledger::DocType>,
    /// Where the lot code was assigned, when not by the supplier it came from (FSMA 204's
    /// traceability lot code source): `site:CODE`, `supplier:CODE`, or a reference such as a GLN.
    #[arg(long = "lot-source", value_name = "SOURCE")]
    pub tlc_source: Option<String>,
    /// A lot attribute the item defines (import lot-attributes), as NAME=VALUE; repeat for
    /// several. A new lot needs every required one.
    #[arg(long = "attr", value_name = "NAME=VALUE", value_parser = attr_arg)]
    pub attributes: Vec<(String, String)>,
    /// Output: table (a sentence) or json (the movement ids posted).
    #[arg(long, value_enum, default_value = "table")]
    pub format: TextFormat,
}

/// What a shipment or a transfer moves: so much of an item, of one lot or these serials.
#[derive(Args, Debug)]
pub struct Goods {
    /// The item's SKU.
    #[arg(long, value_name = "SKU")]
    pub item: String,
    /// How many, in the item's unit (a whole number).
    #[arg(long, value_name = "N")]
    pub qty: i64,
    /// The lot code, for a lot-tracked item.
    #[arg(long, conflicts_with = "serials", value_name = "LOT")]
    pub lot: Option<String>,
    /// Serial numbers, one per unit, for a serial-tracked item.
    #[arg(long = "serial", num_args = 1.., value_name = "SERIAL")]
    pub serials: Vec<String>,
}

#[derive(Args, Debug)]
pub struct ShipArgs {
    #[command(flatten)]
    pub goods: Goods,
    /// The location shipped from (a location code).
    #[arg(long, value_name = "LOCATION")]
    pub from: String,
    /// The customer's name (default: CUSTOMER).
    #[arg(long, value_name = "NAME")]
    pub customer: Option<String>,
    /// A reference document, e.g. a pick list or order number (up to 64 characters).
    #[arg(long = "ref", value_name = "REF")]
    pub reference: Option<String>,
    /// The type of the reference document: po, bol, invoice, asn, work_order, pick_list, other
    /// (default: found from the purchase order or pick list the number belongs to).
    #[arg(long = "ref-type", value_name = "TYPE", value_parser = doc_type_arg)]
    pub ref_type: Option<crate::ledger::DocType>,
    /// Output: table (a sentence) or json (the movement ids posted).
    #[arg(long, value_enum, default_value = "table")]
    pub format: TextFormat,
}

#[derive(Args, Debug)]
pub struct TransferArgs {
    #[command(flatten)]
    pub goods: Goods,
    /// The location moved from (a location code).
    #[arg(long, value_name = "LOCATION")]
    pub from: String,
    /// The location moved to (a location code).
    #[arg(long, value_name = "LOCATION")]
    pub to: String,
    /// Why (up to 200 characters), recorded with the movement.
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
    /// Output: table (a sentence) or json (the movement ids posted).
    #[arg(long, value_enum, default_value = "table")]
    pub format: TextFormat,
}

#[derive(Args, Debug)]
pub struct AdjustArgs {
    /// The item's SKU.
    #[arg(long, value_name = "SKU")]
    pub item: String,
    /// +N found, -N written off, in the item's unit.
    #[arg(long, allow_negative_numbers = true, value_name = "+N|-N")]
    pub qty: String,
    /// The location counted (a location code).
    #[arg(long, value_name = "LOCATION")]
    pub at: String,
    /// The lot code, for a lot-tracked item.
    #[arg(long, conflicts_with = "serial", value_name = "LOT")]
    pub lot: Option<String>,
    /// The serial number, for a serial-tracked item (quantity +1 or -1).
    #[arg(long, value_name = "SERIAL")]
    pub serial: Option<String>,
    /// Expiry date of a lot found, YYYY-MM-DD.
    #[arg(long, value_parser = date_arg("--expiry"), value_name = "YYYY-MM-DD")]
    pub expiry: Option<chrono::NaiveDate>,
    /// Why (up to 200 characters): counted, damaged, found, ...
    #[arg(long, value_name = "TEXT")]
    pub reason: String,
    /// Output: table (a sentence) or json (the movement ids posted).
    #[arg(long, value_enum, default_value = "table")]
    pub format: TextFormat,
}

#[derive(Args, Debug)]
pub struct CorrectArgs {
    /// The id of the movement to reverse (a UUID, as `report lot-transactions` shows it).
    #[arg(long, value_name = "UUID")]
    pub movement: uuid::Uuid,
    /// Why (up to 200 characters).
    #[arg(long, value_name = "TEXT")]
    pub reason: String,
    /// Output: table (a sentence) or json (the movement ids posted).
    #[arg(long, value_enum, default_value = "table")]
    pub format: TextFormat,
}

#[derive(Args, Debug)]
pub struct AllocateArgs {
    /// The item's SKU.
    #[arg(long, value_name = "SKU")]
    pub item: String,
    /// How many to pick, in the item's unit.
    #[arg(long, value_name = "N")]
    pub qty: i64,
    /// Leave out lots expiring within this many days (a whole number of days).
    #[arg(long, value_name = "DAYS")]
    pub exclude_within_days: Option<u64>,
    /// Only the stock of this site (a site party's code); default: a handheld's own site, on
    /// the back office every site.
    #[arg(long, value_name = "CODE")]
    pub site: Option<String>,
    /// Output: table, csv or json.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
}

#[derive(Args, Debug)]
pub struct TraceArgs {
    /// The item's SKU.
    #[arg(long, value_name = "SKU")]
    pub item: String,
    /// The lot code to trace.
    #[arg(
        long,
        conflicts_with = "serial",
        required_unless_present = "serial",
        value_name = "LOT"
    )]
    pub lot: Option<String>,
    /// The serial number to trace.
    #[arg(long, value_name = "SERIAL")]
    pub serial: Option<String>,
    /// Output: table (an indented tree) or json.
    #[arg(long, value_enum, default_value = "table")]
    pub format: TextFormat,
}

#[derive(Args, Debug)]
pub struct HoldArgs {
    #[command(flatten)]
    pub change: LotChangeArgs,
    /// A recall rather than a quarantine hold (the same as recall start).
    #[arg(long)]
    pub recall: bool,
}

#[derive(Args, Debug)]
pub struct LotChangeArgs {
    /// The item's SKU.
    #[arg(long, value_name = "SKU")]
    pub item: String,
    /// The lot code.
    #[arg(long, value_name = "LOT")]
    pub lot: String,
    /// Why (supplier recall RC-…, damaged, lab released, …; up to 200 characters); recorded in
    /// the lot's history.
    #[arg(long, value_name = "TEXT")]
    pub reason: String,
    /// Who makes the change (recorded; default: this device).
    #[arg(long, value_name = "NAME")]
    pub by: Option<String>,
    /// Output: table (a sentence) or json (the lot event recorded).
    #[arg(long, value_enum, default_value = "table")]
    pub format: TextFormat,
}

#[cfg(feature = "console")]
#[derive(Subcommand, Debug)]
pub enum UserAction {
    /// Add a console user. Prints a one-time password once (only its argon2 hash is kept; the
    /// user replaces it at the first sign-in), or takes the first line of standard input with
    /// --password-stdin as the user's own.
    Add {
        /// The user's name: letters, digits, '.', '_' or '-', at most 64.
        name: String,
        /// admin (everything, users too), supervisor (recalls, holds; not users) or viewer
        /// (reads only).
        #[arg(long, value_parser = ["admin", "supervisor", "viewer"])]
        role: String,
        /// Read the password (12 to 256 characters) from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// The console's users.
    List {
        /// Output: table, csv or json.
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Remove a console user; their sessions end.
    Remove {
        /// The user's name.
        name: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum RecallAction {
    /// Recall a lot: nothing can pick or ship it until the back office closes the recall.
    Start(LotChangeArgs),
    /// Close a recall (back office only): the lot goes back on hold, not to available.
    Close(RecallCloseArgs),
    /// Every customer who received the lot or anything assembled from it, with contact details,
    /// where the rest is, and the devices that handled it.
    Report(RecallReportArgs),
}

#[derive(Args, Debug)]
pub struct RecallReportArgs {
    /// The item's SKU.
    #[arg(long, value_name = "SKU")]
    pub item: String,
    /// The lot code.
    #[arg(long, value_name = "LOT")]
    pub lot: String,
    /// Output: table, csv (the shipments) or json (everything).
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
}

#[derive(Subcommand, Debug)]
pub enum ExportWhat {
    /// FSMA 204 electronic sortable spreadsheet: Receiving, Shipping and Transformation events of
    /// the items on the Food Traceability List (--all: every item), and a summary of missing KDEs.
    Fsma204(ExportArgs),
    /// One EPCIS 2.0 document (JSON-LD): receiving, shipping, storing, transformations, holds and
    /// recalls as GS1 events, items and parties by GS1 Digital Link URIs.
    Epcis(EpcisArgs),
    /// Every movement with all its fields, for an auditor or a data warehouse.
    Ledger(LedgerExportArgs),
}

/// Which movements a document covers.
#[derive(Args, Debug)]
pub struct ExportScope {
    /// First day, YYYY-MM-DD.
    #[arg(long, value_parser = date_arg("--from"), value_name = "YYYY-MM-DD")]
    pub from: chrono::NaiveDate,
    /// Last day, YYYY-MM-DD (inclusive).
    #[arg(long, value_parser = date_arg("--to"), value_name = "YYYY-MM-DD")]
    pub to: chrono::NaiveDate,
    /// Only this item (SKU).
    #[arg(long, value_name = "SKU")]
    pub item: Option<String>,
    /// Only this lot (of --item, or of any item), with the assemblies it went into or came from.
    #[arg(long, value_name = "LOT")]
    pub lot: Option<String>,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    #[command(flatten)]
    pub scope: ExportScope,
    /// Every item, not only those on the Food Traceability List.
    #[arg(long)]
    pub all: bool,
    /// xlsx (one workbook) or csv (a directory of one file per sheet).
    #[arg(long, value_enum)]
    pub format: SheetFormat,
    /// The .xlsx file, or the directory for the CSV files (default: fsma204.xlsx or fsma204/).
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct EpcisArgs {
    #[command(flatten)]
    pub scope: ExportScope,
    /// The base of the URIs for what has no GS1 key (items without a GTIN, locations and parties
    /// without a GLN, documents): your company's domain, e.g. https://id.example.com.
    #[arg(
        long,
        value_name = "URL",
        default_value = "https://id.lotkeeper.invalid"
    )]
    pub id_base: String,
    /// The file (default: standard output).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SheetFormat {
    Xlsx,
    Csv,
}

#[derive(Args, Debug)]
pub struct LedgerExportArgs {
    /// First day, YYYY-MM-DD.
    #[arg(long, value_parser = date_arg("--from"), value_name = "YYYY-MM-DD")]
    pub from: chrono::NaiveDate,
    /// Last day, YYYY-MM-DD (inclusive).
    #[arg(long, value_parser = date_arg("--to"), value_name = "YYYY-MM-DD")]
    pub to: chrono::NaiveDate,
    /// csv or json (one JSON array).
    #[arg(long, value_enum)]
    pub format: LedgerFormat,
    /// The file (default: standard output).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LedgerFormat {
    Csv,
    Json,
}

#[derive(Args, Debug)]
pub struct RecallCloseArgs {
    /// The item's SKU.
    #[arg(long, value_name = "SKU")]
    pub item: String,
    /// The lot code.
    #[arg(long, value_name = "LOT")]
    pub lot: String,
    /// Why the recall ends (up to 200 characters).
    #[arg(long, value_name = "TEXT")]
    pub reason: String,
    /// The person closing the recall (recorded).
    #[arg(long, value_name = "NAME")]
    pub by: String,
    /// Output: table (a sentence) or json (the lot event recorded).
    #[arg(long, value_enum, default_value = "table")]
    pub format: TextFormat,
}

#[derive(Args, Debug)]
pub struct AssembleArgs {
    /// The item produced (its SKU).
    #[arg(long, value_name = "SKU")]
    pub item: String,
    /// How many are produced, in the item's unit.
    #[arg(long, value_name = "N")]
    pub qty: i64,
    /// The location the output goes to (a location code).
    #[arg(long, value_name = "LOCATION")]
    pub to: String,
    /// The output's lot code, for a lot-tracked item.
    #[arg(long, value_name = "LOT")]
    pub lot: Option<String>,
    /// The output's serial numbers, one per unit, for a serial-tracked item.
    #[arg(long = "serial", num_args = 1.., value_name = "SERIAL")]
    pub serials: Vec<String>,
    /// The output's expiry date, YYYY-MM-DD.
    #[arg(long, value_parser = date_arg("--expiry"), value_name = "YYYY-MM-DD")]
    pub expiry: Option<chrono::NaiveDate>,
    /// The output's production date, YYYY-MM-DD.
    #[arg(long, value_parser = date_arg("--produced"), value_name = "YYYY-MM-DD")]
    pub produced: Option<chrono::NaiveDate>,
    /// A component: SKU,QTY,FROM[,LOT] or SKU,1,FROM,#SERIAL (QTY in the component's unit).
    /// Repeat for each.
    #[arg(long = "use", required = true, value_name = "SPEC")]
    pub uses: Vec<String>,
    /// A reference document, e.g. a work order (up to 64 characters).
    #[arg(long = "ref", value_name = "REF")]
    pub reference: Option<String>,
    /// The type of the reference document: po, bol, invoice, asn, work_order, pick_list, other
    /// (default: work_order).
    #[arg(long = "ref-type", value_name = "TYPE", value_parser = doc_type_arg)]
    pub ref_type: Option<crate::ledger::DocType>,
    /// Output: table (a sentence) or json (the movement ids posted).
    #[arg(long, value_enum, default_value = "table")]
    pub format: TextFormat,
}

#[derive(Args, Debug)]
#[command(group(clap::ArgGroup::new("step").required(true).args(["assign", "open", "close"])))]
pub struct ConvertArgs {
    /// The item (its SKU).
    #[arg(long, value_name = "SKU")]
    pub item: String,
    /// The tracking it takes: lot or serial (with --assign and --open).
    #[arg(long, value_name = "lot|serial", value_parser = ["lot", "serial"], required_unless_present = "close")]
    pub to: Option<String>,
    /// Its lots carry an expiry date from now on (each row of the file gives one).
    #[arg(long)]
    pub expiry: bool,
    /// A CSV file that assigns every unit on hand: location, qty and lot (to lot), or
    /// location and serial, one unit a line (to serial); expiry (with --expiry), lot (serials
    /// may give one). It must cover all stock on hand, or nothing changes.
    #[arg(long, value_name = "FILE.csv")]
    pub assign: Option<PathBuf>,
    /// Open the conversion: handhelds then assign stock location by location with a count.
    #[arg(long)]
    pub open: bool,
    /// Close the conversion: the item switches once nothing on hand is unassigned.
    #[arg(long)]
    pub close: bool,
    /// Output: table (a sentence) or json.
    #[arg(long, value_enum, default_value = "table")]
    pub format: TextFormat,
}

#[derive(Args, Debug)]
pub struct SplitArgs {
    /// The lot-tracked item split (its SKU).
    #[arg(long, value_name = "SKU")]
    pub item: String,
    /// The lot code split.
    #[arg(long, value_name = "LOT")]
    pub lot: String,
    /// The location of the lot (a location code).
    #[arg(long, value_name = "LOCATION")]
    pub at: String,
    /// The serial-tracked item the units become (its SKU).
    #[arg(long, value_name = "SKU")]
    pub into: String,
    /// The new serial numbers, one per unit.
    #[arg(long = "serial", num_args = 1.., value_name = "SERIAL")]
    pub serials: Vec<String>,
    /// A file with one serial per line.
    #[arg(long, value_name = "FILE")]
    pub serials_file: Option<PathBuf>,
    /// Print one label per new serial on the split's printer (its default for `split`, or the
    /// only printer). Checked before anything is posted; a printer that does not answer keeps
    /// the job queued (print-jobs retry).
    #[arg(long)]
    pub print_labels: bool,
    /// Output: table (a sentence) or json (the movement ids posted).
    #[arg(long, value_enum, default_value = "table")]
    pub format: TextFormat,
}

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// stock-by-lot, expiry, lot-transactions, lot-history (holds, recalls, releases), serials,
    /// pick-lists, purchase-orders or reorder (items at or below their reorder point)
    pub kind: String,
    /// Only this item (its SKU).
    #[arg(long, value_name = "SKU")]
    pub item: Option<String>,
    /// Only this lot (with --item).
    #[arg(long, value_name = "LOT")]
    pub lot: Option<String>,
    /// stock-by-lot: only this location (a location code).
    #[arg(long, value_name = "LOCATION")]
    pub location: Option<String>,
    /// expiry: only expired lots.
    #[arg(long)]
    pub expired: bool,
    /// expiry: only lots expiring within N days (not yet expired).
    #[arg(long, value_name = "DAYS")]
    pub within_days: Option<i64>,
    /// lot-transactions: movements on or after this date, YYYY-MM-DD.
    #[arg(long, value_parser = date_arg("--from"), value_name = "YYYY-MM-DD")]
    pub from: Option<chrono::NaiveDate>,
    /// lot-transactions: movements on or before this date, YYYY-MM-DD.
    #[arg(long, value_parser = date_arg("--to"), value_name = "YYYY-MM-DD")]
    pub to: Option<chrono::NaiveDate>,
    /// Output: table, csv or json.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
}

fn date_arg(flag: &'static str) -> impl Fn(&str) -> Result<chrono::NaiveDate, String> + Clone {
    move |s| parse_date(flag, s).map_err(|e| e.to_string())
}

/// Where a label goes and how it is drawn; shared by every label template.
#[derive(Args, Debug)]
pub struct LabelOut {
    /// What the label is drawn as: zpl (Zebra-compatible printers), png or pdf.
    #[arg(long, value_enum, default_value = "zpl")]
    pub format: LabelFormat,
    /// Write the label to this file (without --out and --printer: to standard output).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Send the label to a printer: a name from `printer list`, or tcp://HOST:PORT. The job is
    /// queued first and stays queued when the printer does not answer.
    #[arg(long, value_name = "NAME|tcp://HOST:PORT")]
    pub printer: Option<String>,
    /// How many copies (ZPL: ^PQ; PDF: one page each; PNG: one picture whatever N is).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000), value_name = "N")]
    pub copies: u32,
    /// Label size in inches: 2x1, 4x2 or 4x6 (default: the printer's, else the template's).
    #[arg(long, value_name = "WxH")]
    pub size: Option<String>,
    /// Printer resolution: 203 or 300 dots an inch (default: the printer's, else 203).
    #[arg(long, value_name = "DPI")]
    pub dpi: Option<String>,
    /// Seconds to wait for a printer to accept, to take the label and to close.
    #[arg(long, default_value_t = 5, value_name = "SECONDS")]
    pub timeout: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LabelFormat {
    Zpl,
    Png,
    Pdf,
}

/// What an item or case label carries, beyond what the ledger knows of the item and lot.
#[derive(Args, Debug)]
pub struct ItemLabelArgs {
    /// The item's SKU (its name and GTIN come from the ledger).
    #[arg(long, value_name = "SKU")]
    pub item: String,
    /// The GTIN to print (default: the item's GTIN for one unit, or for a case its pack GTIN).
    #[arg(long, value_name = "GTIN")]
    pub gtin: Option<String>,
    /// The lot code (its expiry and production date come from the ledger when it knows the lot).
    #[arg(long, value_name = "LOT")]
    pub lot: Option<String>,
    /// A serial number, (21).
    #[arg(long, value_name = "SERIAL")]
    pub serial: Option<String>,
    /// Expiry date, YYYY-MM-DD, (17).
    #[arg(long, value_parser = date_arg("--expiry"), value_name = "YYYY-MM-DD")]
    pub expiry: Option<chrono::NaiveDate>,
    /// Production date, YYYY-MM-DD, (11).
    #[arg(long, value_parser = date_arg("--produced"), value_name = "YYYY-MM-DD")]
    pub produced: Option<chrono::NaiveDate>,
}

#[derive(Subcommand, Debug)]
pub enum LabelAction {
    /// An item/lot label: GS1-128 and GS1 DataMatrix with (01) (11) (17) (10) (21).
    Item {
        #[command(flatten)]
        item: ItemLabelArgs,
        #[command(flatten)]
        out: LabelOut,
    },
    /// A case label: the item/lot label of the case's own (pack) GTIN with its count. GS1 puts no
    /// (37) beside (01): the count is printed as text, and a variable count is encoded as (30).
    Case {
        #[command(flatten)]
        item: ItemLabelArgs,
        /// Trade items in the case, printed as text (default: the pack size of the pack GTIN).
        #[arg(long, conflicts_with = "variable_count", value_name = "N")]
        count: Option<u32>,
        /// A variable count, encoded as (30).
        #[arg(long, value_name = "N")]
        variable_count: Option<u32>,
        #[command(flatten)]
        out: LabelOut,
    },
    /// An SSCC pallet label (4x6): (00), and (02) (37) (10) (17) when the pallet holds one
    /// item and lot. Without --sscc the next SSCC is allocated (see `label setup`).
    Sscc {
        /// An SSCC already allocated (18 digits), to reprint its label.
        #[arg(long, value_name = "SSCC")]
        sscc: Option<String>,
        /// The one item on the pallet (its SKU), for the contents.
        #[arg(long, requires = "count", value_name = "SKU")]
        item: Option<String>,
        /// Trade items on the pallet, (37), with --item.
        #[arg(long, requires = "item", value_name = "N")]
        count: Option<u32>,
        /// The GTIN of what is counted (default: the item's pack GTIN, else its unit GTIN).
        #[arg(long, requires = "item", value_name = "GTIN")]
        gtin: Option<String>,
        /// The lot on the pallet, with --item.
        #[arg(long, requires = "item", value_name = "LOT")]
        lot: Option<String>,
        /// Its expiry date, YYYY-MM-DD (default: the lot's, when the ledger knows it).
        #[arg(long, requires = "item", value_parser = date_arg("--expiry"), value_name = "YYYY-MM-DD")]
        expiry: Option<chrono::NaiveDate>,
        /// Ship from: name and address, on one line.
        #[arg(long, value_name = "TEXT")]
        ship_from: String,
        /// Ship to: name and address, on one line.
        #[arg(long, value_name = "TEXT")]
        ship_to: String,
        #[command(flatten)]
        out: LabelOut,
    },
    /// A location label: the bin code as Code 128 and in big letters.
    Location {
        /// The location's code (its name comes from the ledger when it knows the location).
        #[arg(long, value_name = "CODE")]
        location: String,
        #[command(flatten)]
        out: LabelOut,
    },
    /// The SSCC's fixed part, set on the back office: GS1 Company Prefix and extension digit.
    /// The back office labels from serial-reference block 0; every enrolled device gets a block
    /// of its own with its next sync (a handheld refuses this command).
    Setup {
        /// GS1 Company Prefix, 6 to 12 digits.
        #[arg(long, value_name = "DIGITS")]
        company_prefix: String,
        /// SSCC extension digit, 0 to 9.
        #[arg(long, default_value = "0", value_name = "DIGIT")]
        extension: String,
        /// Output: table (a sentence) or json.
        #[arg(long, value_enum, default_value = "table")]
        format: TextFormat,
    },
}

#[derive(Subcommand, Debug)]
pub enum PrinterAction {
    /// Add a printer, or change the one of that name.
    Add {
        /// The printer's name, e.g. DOCK-ZEBRA.
        name: String,
        /// Where it listens: HOST:PORT or HOST (raw port 9100).
        #[arg(long, value_name = "HOST:PORT")]
        address: String,
        /// Its resolution: 203 or 300 dots an inch.
        #[arg(long, default_value = "203", value_name = "DPI")]
        dpi: String,
        /// The labels loaded: 2x1, 4x2 or 4x6 inches.
        #[arg(long, default_value = "4x2", value_name = "WxH")]
        size: String,
        /// Workflows that print here by default (receive, split, lookup, label, ...).
        #[arg(long = "default-for", value_name = "WORKFLOW")]
        default_for: Vec<String>,
        /// Output: table (a sentence) or json.
        #[arg(long, value_enum, default_value = "table")]
        format: TextFormat,
    },
    /// The printers, with the workflows each is the default for.
    List {
        /// Output: table, csv or json.
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Remove a printer (its queued jobs stay, with its address).
    Remove {
        /// The printer's name.
        name: String,
        /// Output: table (a sentence) or json.
        #[arg(long, value_enum, default_value = "table")]
        format: TextFormat,
    },
}

#[derive(Subcommand, Debug)]
pub enum PrintJobsAction {
    /// Jobs still queued (with --all, printed ones too), newest first.
    List {
        /// Printed jobs too.
        #[arg(long)]
        all: bool,
        /// Output: table, csv or json.
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Send a queued job again.
    Retry {
        /// The job's id (see print-jobs list).
        id: i64,
        /// Seconds to wait for the printer to accept, to take the label and to close.
        #[arg(long, default_value_t = 5, value_name = "SECONDS")]
        timeout: u64,
        /// Output: table (a sentence) or json.
        #[arg(long, value_enum, default_value = "table")]
        format: TextFormat,
    },
}

fn doc_type_arg(s: &str) -> Result<crate::ledger::DocType, String> {
    s.parse().map_err(|e: crate::ledger::Error| e.to_string())
}

/// `--attr NAME=VALUE`.
fn attr_arg(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((n, v)) if !n.trim().is_empty() => Ok((n.trim().to_string(), v.to_string())),
        _ => Err(format!(
            "'{s}': give the attribute as NAME=VALUE, like \"country of origin=DE\""
        )),
    }
}
