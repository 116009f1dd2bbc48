//! The home screen and the open pick lists (`HomeAdapter`): tiles open workflows.

use std::rc::Rc;

use slint::{ComponentHandle, ModelRc, SharedString, VecModel};

use super::app::{on, App};
use super::{HomeAdapter, PickTile, PICK_LISTS};
use crate::workflow::count::Count;
use crate::workflow::{session, Outcome};

pub(super) fn wire(app: &Rc<App>) {
    let home = app.window.global::<HomeAdapter>();
    home.on_open(on(app, |app, name: SharedString| app.open(&name)));
    home.on_open_pick_list(on(app, |app, number: SharedString| {
        app.open_pick_list(&number)
    }));
}

impl App {
    /// A home tile.
    pub fn open(&self, name: &str) {
        match name {
            "pick" => {
                self.refresh_pick_lists();
                self.show_screen(PICK_LISTS);
            }
            // The count asks for its location first (the workflow's own first step); there is
            // nothing to resume until it has one.
            "count" => self.start(Box::new(Count::awaiting_location()), None),
            "receive" | "transfer" | "lookup" | "assemble" | "split" => {
                let flow = session::start(&self.ledger.borrow(), name);
                if let Ok(f) = flow {
                    self.start(f, Some(name.to_string()));
                }
            }
            _ => {}
        }
    }

    /// A pick list from the open lists, by its number (a tile's label also starts with it).
    pub fn open_pick_list(&self, number: &str) {
        let number = number.split_whitespace().next().unwrap_or("");
        let line = format!("pick {number}");
        let opened = session::start(&self.ledger.borrow(), &line);
        match opened {
            Ok(p) => self.start(p, Some(line)),
            Err(e) => {
                self.show_screen(super::WORKFLOW);
                self.show_outcome(&Outcome::refused(e));
            }
        }
    }

    /// The open pick lists' tiles: number and customer, line count, the earliest due date.
    pub(super) fn refresh_pick_lists(&self) {
        let lists = self
            .ledger
            .borrow()
            .query()
            .pick_lists(true)
            .unwrap_or_default();
        let tiles: Vec<PickTile> = lists
            .into_iter()
            .map(|p| PickTile {
                label: format!("{} {}", p.number, p.customer).into(),
                lines: p.lines.len() as i32,
                due: p
                    .lines
                    .iter()
                    .filter_map(|l| l.due)
                    .min()
                    .map(|d| d.to_string())
                    .unwrap_or_default()
                    .into(),
                number: p.number.into(),
            })
            .collect();
        self.window
            .global::<HomeAdapter>()
            .set_pick_lists(ModelRc::new(VecModel::from(tiles)));
    }
}
