//! Picking a pick list by FEFO. Lines are walked in location order; each shows the suggested
//! location and lot. Confirmed picks are kept as drafts in the database (a half-done pick list
//! survives closing the app) and finishing posts them as one batch: the shipment, or the move to
//! a staging location, by configuration.

use chrono::NaiveDate;

use super::{
    meaning, parse_qty, say, what_it_is, DeviationPolicy, Error, Event, Expect, Outcome,
    PickFinish, Settings, View, Workflow,
};
use crate::ledger::{
    customer_location, AllocationLine, Item, Ledger, LotStatus, MovementKind, PickDraft, Tracking,
};
use crate::scan::classify::Meaning;

#[derive(Debug, Clone)]
struct Line {
    line_no: i64,
    item: Item,
    qty: i64,
    /// Posted before (an earlier finish, or another device).
    posted: i64,
    drafted: i64,
    short: i64,
}

impl Line {
    fn open(&self) -> i64 {
        (self.qty - self.posted - self.drafted - self.short).max(0)
    }
}

/// A lot (or serial) the picker scanned at the location, before the quantity is confirmed.
#[derive(Debug, Clone)]
struct Taken {
    lot: Option<String>,
    serial: Option<String>,
    reason: Option<String>,
    available: i64,
}

#[derive(Debug, Clone, PartialEq)]
enum Stage {
    Location,
    Item,
    Lot,
    Reason { why: String },
    Quantity,
    ShortReason,
    Finish,
}

pub struct Pick {
    number: String,
    customer: String,
    settings: Settings,
    lines: Vec<Line>,
    /// Confirmed picks, each with the id of the movement it becomes (kept in the ledger).
    drafts: Vec<PickDraft>,
    stage: Stage,
    at: Option<String>,
    taken: Option<Taken>,
    /// The FEFO suggestion for the current line.
    suggestion: Option<AllocationLine>,
    /// Finished as a shipment: its packing slip is offered.
    shipped: bool,
}

fn lot_expiry(ledger: &Ledger, item: &str, lot: &str) -> Option<NaiveDate> {
    ledger
        .query()
        .lot(item, lot)
        .ok()
        .flatten()
        .and_then(|l| l.expiry)
}

impl Pick {
    /// Opens a pick list, with whatever was picked on this device before (drafts) or posted.
    pub fn open(ledger: &Ledger, number: &str) -> Result<Pick, Error> {
        let pl = ledger
            .query()
            .pick_list(number)?
            .ok_or_else(|| Error::NotFound(format!("there is no pick list {number}")))?;
        if pl.status == "done" {
            return Err(Error::Closed(format!(
                "pick list {number} is already finished"
            )));
        }
        let drafts = ledger.pick_drafts(number)?;
        let shorts = ledger.pick_shorts(number)?;
        let mut lines = Vec::new();
        for l in &pl.lines {
            let item = ledger
                .query()
                .item(&l.item)?
                .ok_or_else(|| Error::NotFound("unknown item".into()))?;
            lines.push(Line {
                line_no: l.line_no,
                item,
                qty: l.qty,
                posted: l.picked,
                drafted: drafts
                    .iter()
                    .filter(|d| d.line_no == l.line_no)
                    .map(|d| d.qty)
                    .sum(),
                short: shorts.get(&l.line_no).copied().unwrap_or(0),
            });
        }
        let mut p = Pick {
            number: number.to_string(),
            customer: pl.customer,
            settings: Settings::load(ledger).unwrap_or_default(),
            lines,
            drafts,
            stage: Stage::Location,
            at: None,
            taken: None,
            suggestion: None,
            shipped: false,
        };
        // Walk order: by the location of each line's first suggestion.
        let mut keyed: Vec<(String, Line)> = p
            .lines
            .iter()
            .map(|l| {
                (
                    p.suggest(ledger, l)
                        .map(|s| s.location)
                        .unwrap_or_else(|| "~".into()),
                    l.clone(),
                )
            })
            .collect();
        keyed.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.line_no.cmp(&b.1.line_no)));
        p.lines = keyed.into_iter().map(|(_, l)| l).collect();
        p.next_line(ledger);
        Ok(p)
    }

    fn current(&self) -> Option<&Line> {
        self.lines.iter().find(|l| l.open() > 0)
    }

    /// The next FEFO suggestion for a line: allocation of everything this item still needs on the
    /// list, minus what drafts already took from each place.
    fn suggest(&self, ledger: &Ledger, line: &Line) -> Option<AllocationLine> {
        let open = line.open();
        if open == 0 {
            return None;
        }
        let drafted: i64 = self
            .drafts
            .iter()
            .filter(|d| d.item == line.item.sku)
            .map(|d| d.qty)
            .sum();
        let alloc = ledger.allocate(&line.item.sku, open + drafted, None).ok()?;
        for mut a in alloc.lines {
            let used: i64 = self
                .drafts
                .iter()
                .filter(|d| {
                    d.item == line.item.sku
                        && d.location == a.location
                        && d.lot == a.lot
                        && d.serial == a.serial
                })
                .map(|d| d.qty)
                .sum();
            a.qty -= used;
            if a.qty > 0 {
                a.qty = a.qty.min(open);
                return Some(a);
            }
        }
        None
    }

    fn next_line(&mut self, ledger: &Ledger) {
        self.at = None;
        self.taken = None;
        self.suggestion = self.current().and_then(|l| self.suggest(ledger, l));
        self.stage = if self.current().is_some() {
            Stage::Location
        } else {
            Stage::Finish
        };
    }

    fn prompt(&self) -> (String, Expect) {
        let Some(line) = self.current() else {
            return (
                "All lines are picked: confirm to finish".into(),
                Expect::Confirm,
            );
        };
        let sku = &line.item.sku;
        match &self.stage {
            Stage::Location => match &self.suggestion {
                Some(s) => (
                    format!("Go to {} and scan the location", s.location),
                    Expect::Location,
                ),
                None => (
                    format!("No {sku} can be picked: choose short"),
                    Expect::Location,
                ),
            },
            Stage::Item => (format!("Scan {sku}"), Expect::Item),
            Stage::Lot => (format!("Scan or type the lot of {sku}"), Expect::Lot),
            Stage::Reason { why } => (format!("{why}: type the reason"), Expect::Reason),
            Stage::Quantity => {
                let n = self
                    .taken
                    .as_ref()
                    .map_or(0, |t| t.available.min(line.open()));
                (
                    format!("Confirm {n} {} (or type the quantity)", line.item.unit),
                    Expect::Quantity,
                )
            }
            Stage::ShortReason => (
                format!(
                    "Type why {} {} of {sku} cannot be picked",
                    line.open(),
                    line.item.unit
                ),
                Expect::Reason,
            ),
            Stage::Finish => (
                "All lines are picked: confirm to finish".into(),
                Expect::Confirm,
            ),
        }
    }

    /// Checks a scanned lot (or serial) at the current location against the rules and the
    /// suggestion; moves on to the reason, the quantity, or (a serial) straight to a draft.
    fn take(
        &mut self,
        ledger: &mut Ledger,
        lot: Option<String>,
        serial: Option<String>,
    ) -> Outcome {
        let Some(line) = self.current().cloned() else {
            return Outcome::refused("nothing left to pick");
        };
        let at = self.at.clone().unwrap_or_default();
        let sku = line.item.sku.clone();
        let today = ledger.today();
        // A serial names its lot.
        let lot = match (&serial, lot) {
            (Some(s), l) => match ledger.query().serial(&sku, s) {
                Ok(Some((Some(loc), serial_lot))) => {
                    if loc != at {
                        return Outcome::refused(format!(
                            "serial {s} of {sku} is not at {at}; it is at {loc}"
                        ));
                    }
                    if self
                        .drafts
                        .iter()
                        .any(|d| d.item == sku && d.serial.as_deref() == Some(s.as_str()))
                    {
                        return Outcome::refused(format!("serial {s} is already picked"));
                    }
                    serial_lot.or(l)
                }
                _ => return Outcome::refused(format!("serial {s} of {sku} is not in stock")),
            },
            (None, l) => l,
        };
        // Expired or held: refused, always.
        if let Some(code) = &lot {
            match ledger.query().lot(&sku, code) {
                Ok(Some(l)) => {
                    if l.status != LotStatus::Available {
                        return Outcome::refused(format!(
                            "{sku} lot {code} is on hold ({}); it cannot be picked",
                            l.status
                        ));
                    }
                    if let Some(e) = l.expiry.filter(|e| *e < today) {
                        return Outcome::refused(format!(
                            "{sku} lot {code} expired on {e}; it cannot be picked"
                        ));
                    }
                }
                _ => return Outcome::refused(format!("{sku} has no lot {code}")),
            }
        }
        let here = ledger
            .query()
            .stock(Some(&sku), Some(&at))
            .unwrap_or_default()
            .into_iter()
            .filter(|s| s.lot == lot && (serial.is_none() || s.serial == serial))
            .map(|s| s.qty)
            .sum::<i64>();
        let drafted_here: i64 = self
            .drafts
            .iter()
            .filter(|d| {
                d.item == sku
                    && d.location == at
                    && d.lot == lot
                    && (serial.is_none() || d.serial == serial)
            })
            .map(|d| d.qty)
            .sum();
        let available = here - drafted_here;
        if available <= 0 {
            return Outcome::refused(match &lot {
                Some(l) => format!("there is no {sku} lot {l} left at {at}"),
                None => format!("there is no {sku} left at {at}"),
            });
        }
        let suggestion = self.suggest(ledger, &line);
        self.taken = Some(Taken {
            lot: lot.clone(),
            serial: serial.clone(),
            reason: None,
            available,
        });
        // Another lot than suggested: say why the suggestion was made; the policy decides.
        if let Some(s) = suggestion.filter(|s| s.lot.is_some() && s.lot != lot) {
            let sug = s.lot.clone().unwrap_or_default();
            let why = match (
                s.expiry,
                lot.as_deref().and_then(|l| lot_expiry(ledger, &sku, l)),
            ) {
                (Some(a), Some(b)) => format!(
                    "lot {} is not the suggested lot {sug}, which expires sooner ({a} against {b})",
                    lot.clone().unwrap_or_default()
                ),
                _ => format!(
                    "lot {} is not the suggested lot {sug}, which was received earlier",
                    lot.clone().unwrap_or_default()
                ),
            };
            return match self.settings.deviation {
                DeviationPolicy::Stop => {
                    self.taken = None;
                    Outcome::refused(format!("{why}: take lot {sug} from {}", s.location))
                }
                DeviationPolicy::RequireReason => {
                    self.stage = Stage::Reason { why: why.clone() };
                    Outcome::needs_more(format!("{why}: type the reason"))
                }
            };
        }
        self.after_lot_checks(ledger)
    }

    fn after_lot_checks(&mut self, ledger: &mut Ledger) -> Outcome {
        if self.taken.as_ref().is_some_and(|t| t.serial.is_some()) {
            return self.draft(ledger, 1);
        }
        self.stage = Stage::Quantity;
        Outcome::accepted()
    }

    /// Keeps a confirmed pick as a draft (in the database, so it survives a restart).
    fn draft(&mut self, ledger: &mut Ledger, qty: i64) -> Outcome {
        let (Some(line), Some(t), Some(at)) =
            (self.current().cloned(), self.taken.clone(), self.at.clone())
        else {
            return Outcome::refused("scan the location and the item first");
        };
        if qty > t.available {
            return Outcome::refused(format!("only {} {} here", t.available, line.item.unit));
        }
        if qty > line.open() {
            return Outcome::refused(format!(
                "this line needs only {} {}",
                line.open(),
                line.item.unit
            ));
        }
        // The movement id is chosen now and kept with the draft: finishing twice posts it once.
        let d = PickDraft {
            movement_id: crate::ledger::clock::new_id(),
            line_no: line.line_no,
            item: line.item.sku.clone(),
            location: at.clone(),
            lot: t.lot.clone(),
            serial: t.serial.clone(),
            qty,
            reason: t.reason.clone(),
        };
        if let Err(e) = ledger.add_pick_draft(&self.number, &d) {
            return Outcome::refused(say(&e));
        }
        self.drafts.push(d);
        if let Some(l) = self.lines.iter_mut().find(|l| l.line_no == line.line_no) {
            l.drafted += qty;
        }
        let msg = format!(
            "picked {qty} {} of {}{}",
            line.item.unit,
            line.item.sku,
            t.lot.map(|l| format!(" lot {l}")).unwrap_or_default()
        );
        // More of the same line: stay at this location if it still has what the line needs.
        let still_open = self.current().is_some_and(|c| c.line_no == line.line_no);
        if still_open && line.item.tracking == Tracking::Serial {
            self.taken = None;
            self.stage = Stage::Item;
            self.suggestion = self.current().and_then(|l| self.suggest(ledger, l));
        } else {
            self.next_line(ledger);
        }
        Outcome::accepted().with_message(Some(msg))
    }

    fn record_short(&mut self, ledger: &mut Ledger, reason: &str) -> Outcome {
        let Some(line) = self.current().cloned() else {
            return Outcome::refused("nothing left to pick");
        };
        if reason.trim().is_empty() {
            return Outcome::refused("type why it cannot be picked");
        }
        let open = line.open();
        if let Err(e) = ledger.add_pick_short(&self.number, line.line_no, open, reason) {
            return Outcome::refused(say(&e));
        }
        if let Some(l) = self.lines.iter_mut().find(|l| l.line_no == line.line_no) {
            l.short += open;
        }
        self.next_line(ledger);
        Outcome::accepted().with_message(Some(format!(
            "short pick: {open} {} of {} recorded",
            line.item.unit, line.item.sku
        )))
    }

    /// Drops this list's drafts and shorts: the picker starts it again (a picked serial or lot
    /// went elsewhere meanwhile, and the list could not finish).
    fn clear(&mut self, ledger: &mut Ledger) -> Outcome {
        match ledger.clear_pick_drafts(&self.number) {
            Ok(n) => {
                self.drafts.clear();
                for l in &mut self.lines {
                    l.drafted = 0;
                    l.short = 0;
                }
                self.next_line(ledger);
                Outcome::accepted().with_message(Some(format!(
                    "{n} pick(s) cleared: pick list {} starts again",
                    self.number
                )))
            }
            Err(e) => Outcome::refused(say(&e)),
        }
    }

    /// Takes the quantity the prompt offers: what the scanned lot has, up to what the line needs.
    fn take_offered(&mut self, ledger: &mut Ledger) -> Outcome {
        let n = match (self.current(), &self.taken) {
            (Some(l), Some(t)) => t.available.min(l.open()),
            _ => 0,
        };
        self.draft(ledger, n)
    }

    /// Posts every draft (under the ids chosen when each was taken), deletes the drafts and
    /// closes the pick list: one transaction in the ledger.
    fn finish(&mut self, ledger: &mut Ledger) -> Outcome {
        let to = match &self.settings.pick_finish {
            PickFinish::Ship => customer_location(Some(&self.customer)),
            PickFinish::Stage(loc) => loc.clone(),
        };
        let kind = match self.settings.pick_finish {
            PickFinish::Ship => MovementKind::Ship,
            PickFinish::Stage(_) => MovementKind::Transfer,
        };
        let ids = match ledger.finish_pick_list(&self.number, kind, &to) {
            Ok(f) => f.ids,
            Err(e @ crate::ledger::Error::Refused { .. }) => {
                return Outcome::refused(format!(
                "{}: nothing was posted; the picks are kept (choose clear to pick the list again)",
                say(&e)
            ))
            }
            Err(e) => return Outcome::refused(say(&e)),
        };
        let shorts: i64 = self.lines.iter().map(|l| l.short).sum();
        self.drafts.clear();
        self.shipped = kind == MovementKind::Ship;
        Outcome::done(
            format!(
                "pick list {} finished: {} movement(s) {}{}",
                self.number,
                ids.len(),
                if kind == MovementKind::Ship {
                    format!("shipped to {}", self.customer)
                } else {
                    format!("moved to {to}")
                },
                if shorts > 0 {
                    format!(", {shorts} short")
                } else {
                    String::new()
                }
            ),
            ids,
        )
    }
}

impl Workflow for Pick {
    fn view(&self) -> View {
        let (prompt, expect) = self.prompt();
        let mut v = View::new("Pick", prompt, expect);
        v.field(
            "Pick list",
            Some(format!("{} for {}", self.number, self.customer)),
        );
        if let Some(line) = self.current() {
            v.field(
                "Item",
                Some(format!("{} {}", line.item.sku, line.item.name)),
            );
            v.field(
                "To pick",
                Some(format!("{} {}", line.open(), line.item.unit)),
            );
            v.field(
                "Suggested",
                self.suggestion.as_ref().map(|s| {
                    let mut t = s.location.clone();
                    if let Some(l) = &s.lot {
                        t.push_str(&format!(" lot {l}"));
                    }
                    if let Some(e) = s.expiry {
                        t.push_str(&format!(" (expires {e})"));
                    }
                    t
                }),
            );
        }
        v.field("Location", self.at.as_ref());
        if let Some(t) = &self.taken {
            v.field("Lot", t.lot.as_ref());
            v.field("Serial", t.serial.as_ref());
        }
        v.lines = self
            .lines
            .iter()
            .map(|l| {
                format!(
                    "{} {}: {} of {} picked{}",
                    l.line_no,
                    l.item.sku,
                    l.posted + l.drafted,
                    l.qty,
                    if l.short > 0 {
                        format!(", {} short", l.short)
                    } else {
                        String::new()
                    }
                )
            })
            .collect();
        if matches!(self.stage, Stage::Location | Stage::Item) {
            v.options = vec!["short".into()];
        }
        if self.stage == Stage::Finish {
            v.options = if self.shipped {
                vec![super::made::PACKING_SLIP.into()]
            } else {
                vec!["clear".into()]
            };
        }
        v
    }

    fn handle(&mut self, ledger: &mut Ledger, event: Event) -> Outcome {
        match (&self.stage.clone(), event) {
            (_, Event::Cancel) => {
                self.next_line(ledger);
                Outcome::accepted().with_message(Some(
                    "this pick was cleared; the picks before it are kept".into(),
                ))
            }
            (Stage::Item | Stage::Lot | Stage::Quantity | Stage::Reason { .. }, Event::Back) => {
                self.next_line(ledger);
                Outcome::accepted()
            }
            (_, Event::Back) => Outcome::refused("nothing to go back to"),
            (Stage::Location | Stage::Item, Event::Choose(c)) if c == "short" => {
                self.stage = Stage::ShortReason;
                Outcome::needs_more("type why it cannot be picked (not found, damaged, ...)")
            }
            (Stage::Finish, Event::Choose(c)) if c == super::made::PACKING_SLIP && self.shipped => {
                super::made::save_packing_slip(ledger, &self.number)
            }
            (Stage::Finish, Event::Choose(c)) if c == "clear" && !self.shipped => {
                self.clear(ledger)
            }
            (Stage::Finish, Event::Confirm) if self.shipped => Outcome::refused(format!(
                "pick list {} is finished and shipped; its packing slip is offered",
                self.number
            )),
            (_, Event::Choose(c)) => Outcome::refused(format!("'{c}' is not a choice here")),
            (Stage::Finish, Event::Confirm) => self.finish(ledger),
            (Stage::Quantity, Event::Confirm) => self.take_offered(ledger),
            // Enter on an empty field takes the quantity the prompt offers, as Confirm does.
            (Stage::Quantity, Event::Enter(t)) if t.trim().is_empty() => self.take_offered(ledger),
            (Stage::Quantity, Event::Enter(t)) => match parse_qty(&t) {
                Ok(q) => self.draft(ledger, q),
                Err(e) => Outcome::refused(e),
            },
            (Stage::Reason { .. }, Event::Enter(t)) => {
                if t.trim().is_empty() {
                    return Outcome::refused("the reason is empty");
                }
                if let Err(e) =
                    crate::ledger::validate::field(crate::ledger::validate::Field::Reason, &t)
                {
                    return Outcome::refused(e.to_string());
                }
                if let Some(taken) = &mut self.taken {
                    taken.reason = Some(t.trim().to_string());
                }
                self.after_lot_checks(ledger)
            }
            (Stage::ShortReason, Event::Enter(t)) => self.record_short(ledger, &t),
            // Typed: a serial for a serial-tracked line, else the lot.
            (Stage::Lot, Event::Enter(t)) => {
                let t = t.trim().to_string();
                if self
                    .current()
                    .is_some_and(|l| l.item.tracking == Tracking::Serial)
                {
                    self.take(ledger, None, Some(t))
                } else {
                    self.take(ledger, Some(t), None)
                }
            }
            (Stage::Location | Stage::Item, Event::Enter(t)) => self.handle(
                ledger,
                Event::Scan(crate::scan::ScanEvent::manual(t.trim())),
            ),
            (_, Event::Confirm) => Outcome::refused(self.prompt().0),
            (_, Event::Enter(_)) => Outcome::refused(self.prompt().0),
            (stage, Event::Scan(scan)) => {
                let Some(line) = self.current().cloned() else {
                    return Outcome::refused("all lines are picked: confirm to finish");
                };
                let m = meaning(ledger, &scan);
                match (stage, m) {
                    (Stage::Location, Meaning::Location { code }) => {
                        let Some(s) = self.suggestion.clone() else {
                            return Outcome::refused(format!(
                                "no {} can be picked: choose short",
                                line.item.sku
                            ));
                        };
                        if code != s.location {
                            return Outcome::refused(format!(
                                "wrong location: this is {code}; go to {}",
                                s.location
                            ));
                        }
                        self.at = Some(code);
                        self.stage = Stage::Item;
                        Outcome::accepted()
                    }
                    (Stage::Item, Meaning::Item(i)) => {
                        if i.sku.as_deref() != Some(line.item.sku.as_str()) {
                            return Outcome::refused(format!(
                                "that is {}; this line is {}",
                                i.sku.as_deref().unwrap_or("a label without GTIN"),
                                line.item.sku
                            ));
                        }
                        match line.item.tracking {
                            Tracking::Serial => match i.serial {
                                Some(s) => self.take(ledger, i.lot, Some(s)),
                                None => {
                                    self.stage = Stage::Lot;
                                    Outcome::needs_more(format!(
                                        "scan the serial of {}",
                                        line.item.sku
                                    ))
                                }
                            },
                            Tracking::Lot => match i.lot {
                                Some(l) => self.take(ledger, Some(l), None),
                                None => {
                                    self.stage = Stage::Lot;
                                    Outcome::needs_more(format!(
                                        "scan or type the lot of {}",
                                        line.item.sku
                                    ))
                                }
                            },
                            Tracking::None => self.take(ledger, None, None),
                        }
                    }
                    (Stage::Lot, Meaning::Text { text, .. }) => {
                        if line.item.tracking == Tracking::Serial {
                            self.take(ledger, None, Some(text))
                        } else {
                            self.take(ledger, Some(text), None)
                        }
                    }
                    (Stage::Lot, Meaning::Item(i)) if i.lot.is_some() || i.serial.is_some() => {
                        self.take(ledger, i.lot, i.serial)
                    }
                    (_, other) => Outcome::refused(format!(
                        "that is {}: {}",
                        what_it_is(&other),
                        self.prompt().0
                    )),
                }
            }
        }
    }
}
