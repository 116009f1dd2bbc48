//! Rules about the code itself: the invariants of ARCHITECTURE.md that can be checked by reading it.
//!
//! Every file under `src/` is parsed with `syn`. Every path in it (`use` trees expanded, paths in
//! expressions, types, patterns and attributes, and the paths inside macro bodies) is resolved to
//! what it names: a module of this crate (`crate::`, `self::` and `super::` made absolute from the
//! file's own module) or an outside crate (its first segment). Comments and strings never count.
//! Each invariant says which modules it covers and what they may not name; each has a planted
//! violation below that it must catch, so a check that stops seeing anything fails too.

use proc_macro2::{TokenStream, TokenTree};
use std::path::{Path, PathBuf};
use syn::visit::Visit;

/// One parsed file: where it lies and the module it is.
struct Source {
    path: String,
    module: Vec<String>,
    syntax: syn::File,
}

/// What a path names.
#[derive(Debug, Clone, PartialEq)]
enum Target {
    /// A module or item of this crate, as an absolute path without `crate`.
    Crate(Vec<String>),
    /// An outside crate (or any name that is not `crate`, `self` or `super`), by its first segment.
    Outside(String),
}

#[derive(Debug)]
struct Reference {
    /// The module the path is written in (inline `mod` blocks included).
    module: Vec<String>,
    target: Target,
    /// How it was written, for the message.
    text: String,
    /// Inside a `#[cfg(test)]` module.
    in_test: bool,
}

/// The module a file under `src/` is: `src/ledger/post.rs` is `ledger::post`, `src/ledger/mod.rs` is
/// `ledger`, `src/lib.rs` the root; `src/main.rs` is the binary, called `main` here.
fn module_of(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .iter()
        .skip(1)
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap_or_default();
    let stem = last.trim_end_matches(".rs");
    match (parts.is_empty(), stem) {
        (true, "lib") => {}
        (_, "mod") => {}
        _ => parts.push(stem.to_string()),
    }
    parts
}

fn parse(path: &str, module: Vec<String>, text: &str) -> Source {
    let syntax = syn::parse_file(text).unwrap_or_else(|e| panic!("{path}: {e}"));
    Source {
        path: path.to_string(),
        module,
        syntax,
    }
}

fn sources() -> Vec<Source> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    walk(&root.join("src"), &mut files);
    files.sort();
    assert!(
        files.len() > 20,
        "found only {} files under src",
        files.len()
    );
    files
        .iter()
        .map(|p| {
            let rel = p.strip_prefix(root).unwrap();
            let text = std::fs::read_to_string(p).unwrap();
            parse(&rel.display().to_string(), module_of(rel), &text)
        })
        .collect()
}

/// Collects every path of a file.
struct Collector {
    module: Vec<String>,
    /// How many `#[cfg(test)]` modules enclose the current item.
    tests: usize,
    refs: Vec<Reference>,
    strings: Vec<String>,
    /// String literals inside `#[cfg(test)]` code.
    test_strings: Vec<String>,
    macros: Vec<String>,
}

impl Collector {
    fn string(&mut self, s: String) {
        if self.tests > 0 {
            self.test_strings.push(s);
        } else {
            self.strings.push(s);
        }
    }

    fn resolve(&self, segments: &[String], leading_colon: bool) -> Option<Target> {
        let first = segments.first()?;
        if leading_colon {
            return Some(Target::Outside(first.clone()));
        }
        match first.as_str() {
            "crate" => Some(Target::Crate(segments[1..].to_vec())),
            "self" => {
                let mut m = self.module.clone();
                m.extend_from_slice(&segments[1..]);
                Some(Target::Crate(m))
            }
            "super" => {
                let mut m = self.module.clone();
                let mut rest = segments;
                while rest.first().is_some_and(|s| s == "super") {
                    m.pop();
                    rest = &rest[1..];
                }
                m.extend_from_slice(rest);
                Some(Target::Crate(m))
            }
            "Self" => None,
            // A lone name is a local item, a variable or something a `use` brought in (which is
            // itself checked); only a path with `::` can name an outside crate.
            _ if segments.len() == 1 => None,
            _ => Some(Target::Outside(first.clone())),
        }
    }

    fn add(&mut self, segments: Vec<String>, leading_colon: bool, is_use: bool) {
        // In a `use`, even a lone name is a crate (`use rusqlite;`).
        let target = if is_use && segments.len() == 1 && !leading_colon {
            match segments[0].as_str() {
                "self" | "super" | "crate" => self.resolve(&segments, false),
                name => Some(Target::Outside(name.to_string())),
            }
        } else {
            self.resolve(&segments, leading_colon)
        };
        if let Some(target) = target {
            self.refs.push(Reference {
                module: self.module.clone(),
                target,
                text: segments.join("::"),
                in_test: self.tests > 0,
            });
        }
    }

    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree, leading: bool) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.use_tree(prefix, &p.tree, leading);
                prefix.pop();
            }
            syn::UseTree::Name(n) => {
                let mut s = prefix.clone();
                if n.ident != "self" || s.is_empty() {
                    s.push(n.ident.to_string());
                }
                self.add(s, leading, true);
            }
            syn::UseTree::Rename(r) => {
                let mut s = prefix.clone();
                if r.ident != "self" || s.is_empty() {
                    s.push(r.ident.to_string());
                }
                self.add(s, leading, true);
            }
            syn::UseTree::Glob(_) => {
                self.add(prefix.clone(), leading, true);
            }
            syn::UseTree::Group(g) => {
                for t in &g.items {
                    self.use_tree(prefix, t, leading);
                }
            }
        }
    }

    /// Paths inside a macro's tokens (`format!`, `assert!`, `quote`-like bodies): runs of
    /// identifiers joined by `::`, and string literals.
    fn tokens(&mut self, tokens: TokenStream) {
        let trees: Vec<TokenTree> = tokens.into_iter().collect();
        let mut i = 0;
        while i < trees.len() {
            match &trees[i] {
                TokenTree::Group(g) => {
                    self.tokens(g.stream());
                    i += 1;
                }
                TokenTree::Literal(l) => {
                    if let Ok(s) = syn::parse_str::<syn::LitStr>(&l.to_string()) {
                        self.string(s.value());
                    }
                    i += 1;
                }
                TokenTree::Ident(_) | TokenTree::Punct(_) => {
                    let leading = is_path_sep(&trees, i);
                    let start = if leading { i + 2 } else { i };
                    let mut segments = Vec::new();
                    let mut j = start;
                    while let Some(TokenTree::Ident(id)) = trees.get(j) {
                        segments.push(id.to_string());
                        if is_path_sep(&trees, j + 1) {
                            j += 3;
                        } else {
                            j += 1;
                            break;
                        }
                    }
                    if segments.is_empty() {
                        i += 1;
                        continue;
                    }
                    // `name!` inside a macro is a macro call: record it like a macro path.
                    if let Some(TokenTree::Punct(p)) = trees.get(j) {
                        if p.as_char() == '!' && segments.len() == 1 {
                            self.macros.push(segments[0].clone());
                        }
                    }
                    if segments.len() > 1 || leading {
                        self.add(segments, leading, false);
                    }
                    i = j.max(i + 1);
                }
            }
        }
    }
}

/// `#[cfg(test)]`
fn is_cfg_test(a: &syn::Attribute) -> bool {
    a.path().is_ident("cfg") && a.parse_args::<syn::Ident>().is_ok_and(|i| i == "test")
}

/// Whether `trees[i]` and `trees[i + 1]` are the two colons of `::`.
fn is_path_sep(trees: &[TokenTree], i: usize) -> bool {
    matches!(
        (trees.get(i), trees.get(i + 1)),
        (Some(TokenTree::Punct(a)), Some(TokenTree::Punct(b)))
            if a.as_char() == ':' && b.as_char() == ':' && a.spacing() == proc_macro2::Spacing::Joint
    )
}

impl<'ast> Visit<'ast> for Collector {
    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        for a in &m.attrs {
            self.visit_attribute(a);
        }
        let test = m.attrs.iter().any(is_cfg_test);
        if let Some((_, items)) = &m.content {
            self.module.push(m.ident.to_string());
            self.tests += usize::from(test);
            for item in items {
                self.visit_item(item);
            }
            self.tests -= usize::from(test);
            self.module.pop();
        }
    }

    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        self.use_tree(&mut Vec::new(), &u.tree, u.leading_colon.is_some());
    }

    fn visit_path(&mut self, p: &'ast syn::Path) {
        let segments: Vec<String> = p.segments.iter().map(|s| s.ident.to_string()).collect();
        self.add(segments, p.leading_colon.is_some(), false);
        syn::visit::visit_path(self, p);
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        if let Some(last) = m.path.segments.last() {
            self.macros.push(last.ident.to_string());
        }
        self.visit_path(&m.path);
        self.tokens(m.tokens.clone());
    }

    fn visit_attribute(&mut self, a: &'ast syn::Attribute) {
        // Doc comments are prose.
        if !a.path().is_ident("doc") {
            syn::visit::visit_attribute(self, a);
        }
    }

    fn visit_lit_str(&mut self, s: &'ast syn::LitStr) {
        self.string(s.value());
    }
}

struct Scanned {
    path: String,
    refs: Vec<Reference>,
    /// String literals outside test code, and inside it.
    strings: Vec<String>,
    test_strings: Vec<String>,
    macros: Vec<String>,
}

/// `in_test`: the whole file is a `#[cfg(test)] mod name;` of its parent.
fn scan(source: &Source, in_test: bool) -> Scanned {
    let mut c = Collector {
        module: source.module.clone(),
        tests: usize::from(in_test),
        refs: Vec::new(),
        strings: Vec::new(),
        test_strings: Vec::new(),
        macros: Vec::new(),
    };
    c.visit_file(&source.syntax);
    Scanned {
        path: source.path.clone(),
        refs: c.refs,
        strings: c.strings,
        test_strings: c.test_strings,
        macros: c.macros,
    }
}

/// The modules declared `#[cfg(test)] mod name;` in a file of their own.
fn test_modules(sources: &[Source]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for s in sources {
        for item in &s.syntax.items {
            if let syn::Item::Mod(m) = item {
                if m.content.is_none() && m.attrs.iter().any(is_cfg_test) {
                    let mut path = s.module.clone();
                    path.push(m.ident.to_string());
                    out.push(path);
                }
            }
        }
    }
    out
}

fn within(module: &[String], prefix: &str) -> bool {
    if prefix.is_empty() {
        return true;
    }
    let p: Vec<&str> = prefix.split("::").collect();
    module.len() >= p.len() && module.iter().zip(&p).all(|(a, b)| a == b)
}

/// An invariant about names: code in the modules `within` (minus `except`) may not name the
/// crate's modules `modules` nor the outside crates `crates`.
struct Invariant {
    what: &'static str,
    within: &'static [&'static str],
    except: &'static [&'static str],
    modules: &'static [&'static str],
    crates: &'static [&'static str],
}

impl Invariant {
    fn covers(&self, module: &[String]) -> bool {
        self.within.iter().any(|w| within(module, w))
            && !self.except.iter().any(|e| within(module, e))
    }

    fn violations(&self, files: &[Scanned]) -> Vec<String> {
        let mut out = Vec::new();
        for f in files {
            for r in &f.refs {
                if !self.covers(&r.module) {
                    continue;
                }
                let bad = match &r.target {
                    Target::Crate(m) => self.modules.iter().any(|x| within(m, x)),
                    Target::Outside(c) => self.crates.contains(&c.as_str()),
                };
                if bad {
                    out.push(format!("{}: `{}` ({})", f.path, r.text, self.what));
                }
            }
        }
        out
    }
}

/// The crate's top-level modules, for "imports nothing of the crate but ...".
const HTTP: &[&str] = &[
    "axum",
    "axum_server",
    "reqwest",
    "hyper",
    "hyper_util",
    "tokio_rustls",
    "tower",
    "http",
];
const UI: &[&str] = &["slint", "i_slint_backend_testing"];
const PLATFORM: &[&str] = &["jni", "ndk", "ndk_sys", "android_activity"];

const INVARIANTS: &[Invariant] = &[
    Invariant {
        what: "the ledger imports nothing from cli, scan, workflow, ui or sync, and no UI, HTTP, camera or decoder crate",
        within: &["ledger"],
        except: &[],
        modules: &["cli", "scan", "workflow", "ui", "sync", "android", "shots", "sim", "label", "export"],
        crates: &["slint", "reqwest", "axum", "axum_server", "hyper", "tokio", "rxing", "nokhwa", "anyhow", "jni", "ndk_sys"],
    },
    Invariant {
        what: "scan imports nothing from the crate but gtin, and no store, UI or HTTP crate",
        within: &["scan"],
        except: &[],
        modules: &["ledger", "cli", "workflow", "ui", "sync", "android", "rows", "shots", "sim"],
        crates: &["rusqlite", "slint", "reqwest", "axum", "anyhow"],
    },
    Invariant {
        what: "only scan's rxing folder names rxing (and label::symbols, for the GS1 hints of its encoders); everything else goes through scan::Decoder",
        within: &[""],
        except: &["scan::rxing", "label::symbols"],
        modules: &[],
        crates: &["rxing"],
    },
    Invariant {
        what: "workflow never names ui, sync or slint, and keeps no SQL (rusqlite)",
        within: &["workflow"],
        except: &[],
        modules: &["ui", "sync", "cli", "android", "shots", "sim"],
        crates: &["slint", "rusqlite", "reqwest", "axum", "anyhow"],
    },
    Invariant {
        what: "label imports no UI and has no SQL: it names no ui, workflow, sync or cli, and no rusqlite, Slint or HTTP crate",
        within: &["label"],
        except: &[],
        modules: &["ui", "workflow", "sync", "cli", "android", "shots", "sim"],
        crates: &["slint", "i_slint_backend_testing", "rusqlite", "reqwest", "axum", "anyhow"],
    },
    Invariant {
        what: "export draws documents from what the ledger reads out: it names no ui, workflow, sync, cli, scan or label, and no rusqlite, Slint or HTTP crate",
        within: &["export"],
        except: &[],
        modules: &["ui", "workflow", "sync", "cli", "scan", "label", "android", "shots", "sim"],
        crates: &["slint", "i_slint_backend_testing", "rusqlite", "reqwest", "axum", "anyhow"],
    },
    Invariant {
        what: "only the ledger uses rusqlite",
        within: &[""],
        except: &["ledger"],
        modules: &[],
        crates: &["rusqlite", "libsqlite3_sys"],
    },
    Invariant {
        what: "the posting rules and the back office's imports, reports and exports reach the database only through the storage interface (ledger::sql), so they run on PostgreSQL too: post, rows, documents, query, import, parties, attributes, compositions, settings, enrollment, reports, trace, compliance, allocate, users and conflicts name no rusqlite",
        within: &[
            "ledger::post",
            "ledger::rows",
            "ledger::documents",
            "ledger::query",
            "ledger::import",
            "ledger::parties",
            "ledger::attributes",
            "ledger::compositions",
            "ledger::settings",
            "ledger::enrollment",
            "ledger::reports",
            "ledger::trace",
            "ledger::compliance",
            "ledger::allocate",
            "ledger::users",
            "ledger::conflicts",
        ],
        except: &[],
        modules: &[],
        crates: &["rusqlite", "libsqlite3_sys"],
    },
    Invariant {
        what: "the screens run no server code: src/ui names neither sync::server nor the simulation",
        within: &["ui"],
        except: &[],
        modules: &["sync::server", "sync::sim", "cli"],
        crates: &[],
    },
    Invariant {
        what: "only ledger::pg knows the PostgreSQL client",
        within: &[""],
        except: &["ledger::pg"],
        modules: &[],
        crates: &["postgres", "tokio_postgres", "postgres_types", "postgres_protocol"],
    },
    Invariant {
        what: "only sync and the console know HTTP",
        within: &[""],
        except: &["sync", "console"],
        modules: &[],
        crates: HTTP,
    },
    Invariant {
        what: "the console changes nothing but through the ledger: it names no cli, ui, workflow, sync or android (the server merges its router; nothing points back), and no rusqlite, Slint, PostgreSQL client or anyhow",
        within: &["console"],
        except: &[],
        modules: &["cli", "ui", "workflow", "sync", "android", "shots", "sim"],
        crates: &["rusqlite", "slint", "postgres", "anyhow"],
    },
    Invariant {
        what: "only the UI and its entry points know Slint",
        within: &["ledger", "scan", "workflow", "sync", "gtin", "rows", "label", "export"],
        except: &[],
        modules: &[],
        crates: UI,
    },
    Invariant {
        what: "anyhow only at the edges: cli, main and the Android entry",
        within: &[""],
        except: &["cli", "main", "android"],
        modules: &[],
        crates: &["anyhow"],
    },
    Invariant {
        what: "only src/android.rs and scan's Android camera know JNI, the NDK or android-activity",
        within: &[""],
        except: &["android", "scan::android_camera"],
        modules: &["android"],
        crates: PLATFORM,
    },
    Invariant {
        what: "gtin is a leaf",
        within: &["gtin"],
        except: &[],
        modules: &["ledger", "scan", "workflow", "ui", "sync", "cli", "android", "rows", "shots", "sim"],
        crates: &[],
    },
];

fn all_scanned() -> Vec<Scanned> {
    let sources = sources();
    let tests = test_modules(&sources);
    sources
        .iter()
        .map(|s| scan(s, tests.contains(&s.module)))
        .collect()
}

fn invariant(what_starts: &str) -> &'static Invariant {
    INVARIANTS
        .iter()
        .find(|i| i.what.starts_with(what_starts))
        .unwrap_or_else(|| panic!("no invariant {what_starts}"))
}

#[test]
fn every_dependency_invariant_holds() {
    let files = all_scanned();
    // The scan must see the code: the ledger names rusqlite, the CLI names the ledger.
    let seen = |m: &str, t: &Target| {
        files
            .iter()
            .flat_map(|f| &f.refs)
            .any(|r| within(&r.module, m) && &r.target == t)
    };
    assert!(seen("ledger", &Target::Outside("rusqlite".into())));
    assert!(seen("sync", &Target::Outside("axum".into())));
    let mut all = Vec::new();
    for inv in INVARIANTS {
        all.extend(inv.violations(&files));
    }
    assert!(
        all.is_empty(),
        "these break the invariants of ARCHITECTURE.md:\n{}",
        all.join("\n")
    );
}

/// SQL is text the ledger sends to SQLite; outside it, no string starts like a statement.
fn sql_outside_the_ledger(files: &[Scanned], modules: &[(String, Vec<String>)]) -> Vec<String> {
    let mut out = Vec::new();
    for f in files {
        let module = &modules.iter().find(|(p, _)| p == &f.path).unwrap().1;
        if within(module, "ledger") {
            continue;
        }
        // Tests outside the ledger keep no SQL either.
        for s in f.strings.iter().chain(&f.test_strings) {
            let t = s.trim_start();
            let first = t.split_whitespace().next().unwrap_or("");
            if [
                "SELECT", "INSERT", "UPDATE", "DELETE", "PRAGMA", "CREATE", "WITH",
            ]
            .contains(&first)
                && t.split_whitespace().count() > 2
            {
                out.push(format!("{}: {t:.60}", f.path));
            }
        }
    }
    out
}

/// Only the posting module writes the journal and the balances.
/// Code that writes the journal or balances outside the posting module (a test may, to damage a
/// ledger on purpose: only the code that runs in the app and the server counts).
fn stock_writes_outside_posting(files: &[Scanned], posting: &str) -> Vec<String> {
    table_writes(
        files,
        &["movements", "balances", "virtual_balances"],
        Some(posting),
    )
}

/// The dashboard's running totals, which only the migrations' triggers write.
const TOTALS: [&str; 3] = ["location_totals", "lot_totals", "movement_days"];

/// Code that writes one of `tables` (inserts, updates or deletes), but in the file `exempt`.
fn table_writes(files: &[Scanned], tables: &[&str], exempt: Option<&str>) -> Vec<String> {
    let mut out = Vec::new();
    for f in files {
        if exempt.is_some_and(|e| f.path.ends_with(e)) {
            continue;
        }
        for s in &f.strings {
            let t = s
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_lowercase();
            for table in tables {
                for verb in ["into", "update", "delete from"] {
                    let stmt = format!("{verb} {table}");
                    let at = t.find(&stmt);
                    let ends_there = at.is_some_and(|i| {
                        t[i + stmt.len()..]
                            .chars()
                            .next()
                            .map_or(true, |c| !c.is_alphanumeric() && c != '_')
                    });
                    if ends_there {
                        out.push(format!("{}: {stmt}", f.path));
                    }
                }
            }
        }
    }
    out
}

fn stubs(files: &[Scanned]) -> Vec<String> {
    files
        .iter()
        .flat_map(|f| {
            f.macros
                .iter()
                .filter(|m| *m == "todo" || *m == "unimplemented")
                .map(move |m| format!("{}: {m}!", f.path))
        })
        .collect()
}

/// What a run cannot repeat by itself: the wall clock, fresh ids, entropy. Outside tests, only
/// `ledger::clock` reads them (behind `Clock` and `IdSource`), so a seed replays a simulation;
/// scan's GS1 century rule reads this year (scan sees no ledger clock), nothing else.
const UNREPEATABLE: &[&str] = &[
    "Utc::now",
    "Local::now",
    "SystemTime::now",
    "Uuid::new_v4",
    "Uuid::now_v7",
    "rand::thread_rng",
    "rand::random",
    "OsRng",
    "from_entropy",
];

fn unrepeatable_outside_the_clock(files: &[Scanned]) -> Vec<String> {
    let mut out = Vec::new();
    for f in files {
        for r in &f.refs {
            let allowed = within(&r.module, "ledger::clock")
                || (within(&r.module, "scan::gs1") && r.text.ends_with("Local::now"))
                || r.in_test;
            if !allowed
                && UNREPEATABLE
                    .iter()
                    .any(|u| r.text.ends_with(u) || r.text.contains(&format!("{u}::")))
            {
                out.push(format!("{}: {}", f.path, r.text));
            }
        }
    }
    out
}

#[test]
fn the_clock_ids_and_entropy_come_from_ledger_clock() {
    let files = all_scanned();
    let clock: Vec<_> = files
        .iter()
        .filter(|f| f.path.ends_with("src/ledger/clock.rs"))
        .collect();
    assert_eq!(clock.len(), 1);
    assert!(
        clock[0].refs.iter().any(|r| r.text.ends_with("Utc::now")),
        "ledger/clock.rs reads no clock?"
    );
    let v = unrepeatable_outside_the_clock(&files);
    assert!(
        v.is_empty(),
        "read the clock, ids or randomness through ledger::clock:\n{}",
        v.join("\n")
    );
}

/// The posting module: the one file that writes movements and balances.
const POSTING: &str = "src/ledger/post.rs";

#[test]
fn sql_lives_only_in_the_ledger() {
    let srcs = sources();
    let modules: Vec<_> = srcs
        .iter()
        .map(|s| (s.path.clone(), s.module.clone()))
        .collect();
    let files = all_scanned();
    let v = sql_outside_the_ledger(&files, &modules);
    assert!(v.is_empty(), "SQL outside the ledger:\n{}", v.join("\n"));
}

#[test]
fn stock_changes_only_through_the_posting_module() {
    let files = all_scanned();
    // The posting module itself must be seen writing, or the check reads nothing.
    let posting: Vec<_> = files.iter().filter(|f| f.path.ends_with(POSTING)).collect();
    assert_eq!(posting.len(), 1, "{POSTING} not found");
    assert!(
        !stock_writes_outside_posting(
            &[Scanned {
                path: "elsewhere".into(),
                refs: Vec::new(),
                strings: posting[0].strings.clone(),
                test_strings: Vec::new(),
                macros: Vec::new(),
            }],
            POSTING
        )
        .is_empty(),
        "{POSTING} writes no movements?"
    );
    let v = stock_writes_outside_posting(&files, POSTING);
    assert!(
        v.is_empty(),
        "writes to the journal or balances outside {POSTING}:\n{}",
        v.join("\n")
    );
    let v = table_writes(&files, &TOTALS, None);
    assert!(
        v.is_empty(),
        "the running totals are the triggers' to write, yet:\n{}",
        v.join("\n")
    );
}

#[test]
fn no_stubs_in_src() {
    let v = stubs(&all_scanned());
    assert!(v.is_empty(), "stubs:\n{}", v.join("\n"));
}

/// The back-office writers stay out of the handheld build: rust_xlsxwriter is an optional
/// dependency of the `backoffice` feature, the Android build and its CI check leave the default
/// features out, and only `export::fsma` names the crate, under that feature.
fn handheld_build_problems(
    cargo: &str,
    gradle: &str,
    check: &str,
    fsma: &str,
    ledger: &str,
) -> Vec<String> {
    let mut v = Vec::new();
    for (dep, feature) in [("rust_xlsxwriter", "backoffice"), ("postgres", "postgres")] {
        let line = cargo
            .lines()
            .find(|l| l.starts_with(&format!("{dep} = {{")));
        if !line.is_some_and(|l| l.contains("optional = true")) {
            v.push(format!("{dep} is not an optional dependency"));
        }
        if !cargo.lines().any(|l| {
            l.starts_with(&format!("{feature} = ")) && l.contains(&format!("\"dep:{dep}\""))
        }) {
            v.push(format!("no {feature} feature for {dep}"));
        }
    }
    if !ledger.contains("#[cfg(feature = \"postgres\")]\npub mod pg;") {
        v.push("ledger::pg is built without the postgres feature".to_string());
    }
    if !gradle.contains("\"--no-default-features\"") {
        v.push("the Android build keeps the default features".to_string());
    }
    if !check.contains("--no-default-features") {
        v.push("android/check.sh keeps the default features".to_string());
    }
    let uses: Vec<usize> = fsma
        .match_indices("rust_xlsxwriter")
        .map(|(i, _)| i)
        .collect();
    for i in uses {
        let before = &fsma[..i];
        let fn_start = before
            .rfind("\npub fn ")
            .max(before.rfind("\nfn "))
            .unwrap_or(0);
        if !before[..fn_start]
            .trim_end()
            .ends_with("#[cfg(feature = \"backoffice\")]")
        {
            v.push(
                "export::fsma names rust_xlsxwriter outside #[cfg(feature = \"backoffice\")]"
                    .into(),
            );
        }
    }
    v
}

#[test]
fn the_handheld_build_leaves_the_back_office_writers_out() {
    let read =
        |p: &str| std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(p)).unwrap();
    let (cargo, gradle, check, fsma, ledger) = (
        read("Cargo.toml"),
        read("android/app/build.gradle"),
        read("android/check.sh"),
        read("src/export/fsma.rs"),
        read("src/ledger/mod.rs"),
    );
    let v = handheld_build_problems(&cargo, &gradle, &check, &fsma, &ledger);
    assert!(v.is_empty(), "{v:?}");
    for s in all_scanned() {
        let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(&s.path))
            .unwrap_or_default();
        if text.contains("rust_xlsxwriter") {
            assert!(
                s.path.ends_with("src/export/fsma.rs"),
                "{} names rust_xlsxwriter",
                s.path
            );
        }
    }
    // Planted: each change is caught.
    let planted = [
        handheld_build_problems(
            &cargo.replace("optional = true", ""),
            &gradle,
            &check,
            &fsma,
            &ledger,
        ),
        handheld_build_problems(
            &cargo.replace("\"dep:postgres\"", ""),
            &gradle,
            &check,
            &fsma,
            &ledger,
        ),
        handheld_build_problems(
            &cargo,
            &gradle,
            &check,
            &fsma,
            &ledger.replace("#[cfg(feature = \"postgres\")]\n", ""),
        ),
        handheld_build_problems(
            &cargo,
            &gradle.replace("\"--no-default-features\"", ""),
            &check,
            &fsma,
            &ledger,
        ),
        handheld_build_problems(
            &cargo,
            &gradle,
            &check.replace("--no-default-features", ""),
            &fsma,
            &ledger,
        ),
        handheld_build_problems(
            &cargo,
            &gradle,
            &check,
            &format!("{fsma}\nfn f() {{ let _ = rust_xlsxwriter::Workbook::new(); }}\n"),
            &ledger,
        ),
    ];
    for p in planted {
        assert!(!p.is_empty());
    }
}

// Each check, shown a planted violation, must report it.

fn planted(path: &str, text: &str) -> Vec<Scanned> {
    let rel = Path::new(path);
    vec![scan(&parse(path, module_of(rel), text), false)]
}

#[test]
fn paths_resolve_as_rust_does() {
    let f = &planted(
        "src/workflow/pick.rs",
        r#"
        use super::super::sync::{self, client::Client as C};
        use crate::{ledger::{Ledger, post}, scan::*};
        use ::rusqlite;
        mod inner { use super::super::count; fn f() { let _ = self::g(); } }
        fn f() -> slint::Color { let x = "rusqlite::Connection"; // rusqlite::x
            format!("{}", axum::http::StatusCode::OK); vec![reqwest::Client::new()] }
        "#,
    )[0];
    let targets: Vec<_> = f.refs.iter().map(|r| r.target.clone()).collect();
    let krate = |p: &[&str]| Target::Crate(p.iter().map(|s| s.to_string()).collect());
    let outside = |c: &str| Target::Outside(c.to_string());
    for t in [
        krate(&["sync"]),
        krate(&["sync", "client", "Client"]),
        krate(&["ledger", "Ledger"]),
        krate(&["ledger", "post"]),
        krate(&["scan"]),
        krate(&["workflow", "count"]),
        krate(&["workflow", "pick", "inner", "g"]),
        outside("rusqlite"),
        outside("slint"),
        outside("axum"),
        outside("reqwest"),
    ] {
        assert!(targets.contains(&t), "{t:?} not found in {targets:?}");
    }
    // Strings and comments are not code.
    assert_eq!(
        targets
            .iter()
            .filter(|t| **t == outside("rusqlite"))
            .count(),
        1,
        "{targets:?}"
    );
}

#[test]
fn each_invariant_catches_a_planted_violation() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "the ledger imports nothing",
            "src/ledger/post.rs",
            "use crate::workflow::Event;",
        ),
        (
            "the ledger imports nothing",
            "src/ledger/x.rs",
            "fn f() { let _ = super::super::ui::App::new(); }",
        ),
        (
            "the ledger imports nothing",
            "src/ledger/x.rs",
            "fn f() { axum::serve(); }",
        ),
        (
            "scan imports nothing",
            "src/scan/worker.rs",
            "use crate::ledger::Ledger;",
        ),
        (
            "scan imports nothing",
            "src/scan/gs1/mod.rs",
            "fn f() -> anyhow::Result<()> { Ok(()) }",
        ),
        (
            "only scan's rxing folder",
            "src/ui/camera.rs",
            "use rxing::BarcodeFormat;",
        ),
        (
            "workflow never names",
            "src/workflow/pick.rs",
            "fn f() { let _ = crate::sync::agent::poke(); }",
        ),
        (
            "workflow never names",
            "src/workflow/count.rs",
            "use rusqlite::params;",
        ),
        (
            "only the ledger uses rusqlite",
            "src/cli/mod.rs",
            "fn f(c: &rusqlite::Connection) {}",
        ),
        (
            "the posting rules and the back office's imports, reports and exports reach the database only",
            "src/ledger/rows.rs",
            "fn f(c: &rusqlite::Connection) { c.execute_batch(\"\").ok(); }",
        ),
        (
            "only ledger::pg knows the PostgreSQL client",
            "src/ledger/post.rs",
            "fn f(c: &mut postgres::Client) { let _ = c; }",
        ),
        (
            "the screens run no server code",
            "src/ui/settings.rs",
            "use crate::sync::server::RunningServer;",
        ),
        (
            "only sync and the console know HTTP",
            "src/cli/sync_cli.rs",
            "fn f() { let _ = reqwest::blocking::Client::new(); }",
        ),
        (
            "the console changes nothing but through the ledger",
            "src/console/pages.rs",
            "use crate::sync::server::AppState;",
        ),
        (
            "the console changes nothing but through the ledger",
            "src/console/auth.rs",
            "fn f(c: &rusqlite::Connection) { let _ = c; }",
        ),
        (
            "only the UI and its entry",
            "src/workflow/mod.rs",
            "fn f() -> slint::Color { todo() }",
        ),
        (
            "anyhow only at the edges",
            "src/ui/mod.rs",
            "use anyhow::Context;",
        ),
        (
            "anyhow only at the edges",
            "src/sync/server.rs",
            "fn f() { let _ = anyhow::anyhow!(\"x\"); }",
        ),
        ("only src/android.rs", "src/ui/mod.rs", "use jni::JNIEnv;"),
        (
            "only src/android.rs",
            "src/scan/camera.rs",
            "fn f() { crate::android::start(); }",
        ),
        ("gtin is a leaf", "src/gtin.rs", "use crate::scan::Format;"),
        (
            "label imports no UI",
            "src/label/raster.rs",
            "fn f() -> slint::Image { todo() }",
        ),
        (
            "label imports no UI",
            "src/label/jobs.rs",
            "use rusqlite::params;",
        ),
        (
            "the ledger imports nothing",
            "src/ledger/labels.rs",
            "use crate::label::Dpi;",
        ),
        (
            "only scan's rxing folder",
            "src/label/zpl.rs",
            "use rxing::BarcodeFormat;",
        ),
        (
            "export draws documents",
            "src/export/fsma.rs",
            "fn f(c: &rusqlite::Connection) { let _ = c; }",
        ),
        (
            "export draws documents",
            "src/export/epcis.rs",
            "use crate::sync::wire::WireMovement;",
        ),
        (
            "the ledger imports nothing",
            "src/ledger/compliance.rs",
            "use crate::export::fsma::Workbook;",
        ),
    ];
    for (inv, path, text) in cases {
        let v = invariant(inv).violations(&planted(path, text));
        assert_eq!(v.len(), 1, "{inv} missed {text} in {path}: {v:?}");
    }
    // And lets through what it allows.
    for (inv, path, text) in [
        (
            "scan imports nothing",
            "src/scan/worker.rs",
            "use crate::gtin::Gtin; use super::symbol::Format;",
        ),
        (
            "only scan's rxing folder",
            "src/scan/rxing/grid.rs",
            "use rxing::BitMatrix;",
        ),
        (
            "only scan's rxing folder",
            "src/label/symbols.rs",
            "use rxing::MultiFormatWriter;",
        ),
        (
            "anyhow only at the edges",
            "src/cli/stock.rs",
            "use anyhow::Context;",
        ),
        (
            "anyhow only at the edges",
            "src/main.rs",
            "fn main() -> anyhow::Result<()> { Ok(()) }",
        ),
        (
            "only sync and the console know HTTP",
            "src/console/mod.rs",
            "use axum::Router;",
        ),
    ] {
        let v = invariant(inv).violations(&planted(path, text));
        assert!(v.is_empty(), "{inv} refused {text} in {path}: {v:?}");
    }
}

#[test]
fn the_text_checks_catch_planted_violations() {
    let sql = planted(
        "src/workflow/settings.rs",
        r#"fn f() { c.execute("UPDATE pick_lists SET status = 'done' WHERE id = ?1", [1]); }"#,
    );
    let modules = vec![(
        sql[0].path.clone(),
        vec!["workflow".to_string(), "settings".to_string()],
    )];
    assert_eq!(sql_outside_the_ledger(&sql, &modules).len(), 1);
    let prose = planted(
        "src/ui/mod.rs",
        r#"fn f() { let _ = "Update the app to sync"; }"#,
    );
    let modules = vec![(prose[0].path.clone(), vec!["ui".to_string()])];
    assert!(sql_outside_the_ledger(&prose, &modules).is_empty());

    let write = planted(
        "src/ledger/replica.rs",
        r#"fn f() { tx.execute(&format!("INSERT INTO movements (id) VALUES ({})", 1), []); }"#,
    );
    assert_eq!(stock_writes_outside_posting(&write, POSTING).len(), 1);
    let read = planted(
        "src/ledger/reports.rs",
        r#"fn f() { q("SELECT qty FROM balances b JOIN movements_x m"); q("INSERT INTO movement_notes"); }"#,
    );
    assert!(stock_writes_outside_posting(&read, POSTING).is_empty());
    let totals = planted(
        "src/ledger/post.rs",
        r#"fn f() { q("UPDATE lot_totals SET units = 0"); q("SELECT units FROM lot_totals"); }"#,
    );
    assert_eq!(table_writes(&totals, &TOTALS, None).len(), 1);

    let clock = planted(
        "src/sync/server.rs",
        "fn f() { let _ = chrono::Utc::now(); let _ = uuid::Uuid::new_v4(); }\n#[cfg(test)] mod tests { fn g() { let _ = Utc::now(); } }",
    );
    assert_eq!(unrepeatable_outside_the_clock(&clock).len(), 2);

    let stub = planted(
        "src/cli/mod.rs",
        "fn f() { if x { todo!() } else { y!(unimplemented!()) } }",
    );
    assert_eq!(stubs(&stub).len(), 2);
    let comment = planted(
        "src/cli/mod.rs",
        "// todo!() later\nfn f() { let _ = \"todo!()\"; }",
    );
    assert!(stubs(&comment).is_empty());
}

/// The ledger's raw doors to its store. The console calls none of them: it reads and writes
/// through the named ledger functions the command line and `/v1` call too.
const RAW_DOORS: &[&str] = &["sql", "write_sql", "write", "read", "conn"];

fn raw_store_calls(path: &str, text: &str) -> Vec<String> {
    struct Calls<'a>(&'a str, Vec<String>);
    impl<'ast> syn::visit::Visit<'ast> for Calls<'_> {
        fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
            let name = m.method.to_string();
            if RAW_DOORS.contains(&name.as_str()) {
                self.1.push(format!("{}: .{name}(…)", self.0));
            }
            syn::visit::visit_expr_method_call(self, m);
        }
    }
    let file = syn::parse_file(text).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut calls = Calls(path, Vec::new());
    syn::visit::Visit::visit_file(&mut calls, &file);
    calls.1
}

#[test]
fn the_console_writes_only_through_named_ledger_functions() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/console");
    let mut seen = 0;
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&root).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "rs") {
            seen += 1;
            let text = std::fs::read_to_string(&path).unwrap();
            found.extend(raw_store_calls(&path.display().to_string(), &text));
        }
    }
    assert!(seen >= 3, "src/console has its files");
    assert!(
        found.is_empty(),
        "the console reaches the store directly:\n{}",
        found.join("\n")
    );
    // Planted: caught; a named ledger function is not.
    assert_eq!(
        raw_store_calls(
            "x.rs",
            "fn f(l: &mut Ledger) { l.write_sql(|tx| Ok(())).ok(); }"
        )
        .len(),
        1
    );
    assert!(raw_store_calls(
        "x.rs",
        "fn f(l: &mut Ledger) { l.change_lot_status(a, b, c, d, e).ok(); }"
    )
    .is_empty());
}

/// The console's crates are optional, behind the `console` feature (in the default features,
/// left out of the handheld build with the others), and the module is built only with it.
fn console_build_problems(cargo: &str, lib: &str) -> Vec<String> {
    let mut v = Vec::new();
    for dep in ["maud", "argon2"] {
        let line = cargo
            .lines()
            .find(|l| l.starts_with(&format!("{dep} = {{")));
        if !line.is_some_and(|l| l.contains("optional = true")) {
            v.push(format!("{dep} is not an optional dependency"));
        }
        if !cargo
            .lines()
            .any(|l| l.starts_with("console = ") && l.contains(&format!("\"dep:{dep}\"")))
        {
            v.push(format!("no console feature for {dep}"));
        }
    }
    if !lib.contains("#[cfg(feature = \"console\")]\npub mod console;") {
        v.push("the console module is built without the console feature".into());
    }
    v
}

#[test]
fn the_handheld_build_has_no_console() {
    let read =
        |p: &str| std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(p)).unwrap();
    let (cargo, lib) = (read("Cargo.toml"), read("src/lib.rs"));
    let v = console_build_problems(&cargo, &lib);
    assert!(v.is_empty(), "{v:?}");
    assert!(!console_build_problems(&cargo.replace("\"dep:maud\", ", ""), &lib).is_empty());
    assert!(!console_build_problems(
        &cargo.replace(
            "optional = true }\n# Console passwords",
            "}\n# Console passwords"
        ),
        &lib
    )
    .is_empty());
    assert!(!console_build_problems(
        &cargo,
        &lib.replace(
            "#[cfg(feature = \"console\")]\npub mod console;",
            "pub mod console;"
        )
    )
    .is_empty());
}
