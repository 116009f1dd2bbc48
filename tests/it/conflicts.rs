//! Conflicts on both sides of sync (issue 19): the server keeps every movement it rejected, a
//! person resolves it on the back office or on the device, the first resolution to reach the
//! server stands, both sides keep its note, and the other side learns it on the next sync. Run
//! with the server on SQLite and on PostgreSQL (`LOTKEEPER_TEST_POSTGRES`).

use crate::sync::{recv, serial_conflict, shelves, Device, Site};
use lotkeeper::ledger::conflicts::Show;
use lotkeeper::ledger::Error;
use lotkeeper::sync::client::Client;
use lotkeeper::sync::wire::{pushed, WireResolve};

// `on_both_stores!` (from `sync`): each `fn name(site: Site)` becomes `conflicts::sqlite::name`
// and `conflicts::postgres::name`.
on_both_stores!(
    the_server_lists_the_rejection_once_and_the_device_learns_the_back_offices_resolution,
    a_resolution_made_on_the_device_stands_and_the_back_office_is_refused,
    the_first_resolution_to_reach_the_server_stands_on_the_device_too,
    a_device_resolves_only_its_own_conflicts,
    a_movement_rejected_and_resolved_is_not_posted_when_pushed_again,
    a_device_added_again_under_a_revoked_name_finds_the_old_conflicts_closed,
);

/// The server's record of dev-b's conflict `id`.
fn on_server(site: &Site, id: &str) -> lotkeeper::ledger::conflicts::ServerConflict {
    site.ledger().sync_conflict("dev-b", id).unwrap().unwrap()
}

/// dev-b's one conflict: its movement id.
fn conflict_id(b: &Device) -> String {
    let open = b.ledger.conflicts(false).unwrap();
    assert_eq!(open.len(), 1, "{open:?}");
    open[0].id.clone()
}

/// dev-b pushes its movement `id` again, as a retry (or an old copy of its file) would.
fn push_again(site: &Site, b: &Device, id: &str) -> lotkeeper::sync::wire::PushResponse {
    push_again_as(site, b, id, &b.token)
}

/// [`push_again`] with the token `token`.
fn push_again_as(
    site: &Site,
    b: &Device,
    id: &str,
    token: &str,
) -> lotkeeper::sync::wire::PushResponse {
    let record = b
        .ledger
        .records_after(0, 1000)
        .unwrap()
        .into_iter()
        .find(|r| r.entry.id == id)
        .unwrap();
    Client::new(&site.url, token)
        .unwrap()
        .push(pushed(&[(record, 1)]))
        .unwrap()
}

fn the_server_lists_the_rejection_once_and_the_device_learns_the_back_offices_resolution(
    site: Site,
) {
    let (_a, mut b) = serial_conflict(&site);
    let id = conflict_id(&b);
    let listed = site.ledger().sync_conflicts(Show::Open, None).unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    let c = &listed[0];
    assert_eq!(
        (c.device.as_str(), c.id.as_str(), c.kind.as_str()),
        ("dev-b", id.as_str(), "ship")
    );
    assert_eq!(
        (c.item.as_str(), c.serial.as_deref(), c.qty),
        ("PHONE", Some("SN1"), 1)
    );
    assert_eq!((c.from.as_str(), c.to.as_str()), ("A1", "CUSTOMER:Bob"));
    assert_eq!(c.reason, "serial SN1 of PHONE is not in stock");
    assert!(c.resolution.is_none());

    // The same push again (retries are always safe): rejected again, listed once.
    let again = push_again(&site, &b, &id);
    assert!(
        format!("{:?}", again.results[0]).contains("Rejected"),
        "{again:?}"
    );
    assert_eq!(
        site.ledger().sync_conflicts(Show::All, None).unwrap().len(),
        1
    );
    let activity = site.ledger().device_activity().unwrap();
    let dev_b = activity.iter().find(|d| d.device == "dev-b").unwrap();
    assert_eq!(dev_b.open_conflicts, 1);
    assert_eq!(
        (dev_b.pending_reported, dev_b.conflicts_reported),
        (Some(0), Some(1)),
        "dev-b reported what waits on it at its last pull"
    );
    assert!(dev_b.last_contact.is_some());

    // The back office resolves it; the device still has it open until it syncs.
    let r = site
        .ledger()
        .resolve_sync_conflict("dev-b", &id, "Ann had it; told Bob", "console:sam")
        .unwrap();
    assert_eq!((r.by.as_str(), r.seq), ("console:sam", 1));
    assert_eq!(b.ledger.conflicts(false).unwrap().len(), 1);
    let report = b.sync().unwrap();
    assert_eq!((report.resolutions_pulled, report.conflicts), (1, 0));
    assert!(b.ledger.conflicts(false).unwrap().is_empty());
    let kept = &b.ledger.conflicts(true).unwrap()[0];
    assert_eq!(
        (kept.note.as_deref(), kept.resolved_by.as_deref()),
        (Some("Ann had it; told Bob"), Some("console:sam"))
    );
    assert!(
        b.ledger
            .pending_conflict_resolutions(10)
            .unwrap()
            .is_empty(),
        "a resolution learned from the server is not sent back"
    );
    // Learned once.
    assert_eq!(b.sync().unwrap().resolutions_pulled, 0);
    // Both sides keep the first note: a second resolution is refused and changes nothing.
    let e = site
        .ledger()
        .resolve_sync_conflict("dev-b", &id, "something else", "console:ana")
        .unwrap_err();
    assert!(matches!(e, Error::Refused { .. }), "{e:?}");
    assert!(
        e.to_string().contains("already resolved by console:sam"),
        "{e}"
    );
    assert!(b.ledger.dismiss_conflict(&id, "too late").is_err());
    let server = on_server(&site, &id);
    assert_eq!(server.resolution.unwrap().note, "Ann had it; told Bob");
}

fn a_resolution_made_on_the_device_stands_and_the_back_office_is_refused(site: Site) {
    let (_a, mut b) = serial_conflict(&site);
    let id = conflict_id(&b);
    b.ledger
        .dismiss_conflict(&id, "redone for Bob with SN2")
        .unwrap();
    assert_eq!(
        b.ledger.pending_conflict_resolutions(10).unwrap(),
        vec![(id.clone(), "redone for Bob with SN2".to_string())]
    );
    let report = b.sync().unwrap();
    assert_eq!(report.resolutions_pushed, 1);
    assert!(b
        .ledger
        .pending_conflict_resolutions(10)
        .unwrap()
        .is_empty());
    let server = on_server(&site, &id);
    let r = server
        .resolution
        .expect("the server has the device's resolution");
    assert_eq!(
        (r.note.as_str(), r.by.as_str()),
        ("redone for Bob with SN2", "device:dev-b")
    );
    assert!(site
        .ledger()
        .sync_conflicts(Show::Open, None)
        .unwrap()
        .is_empty());
    // The console comes second: refused, naming the device's note.
    let e = site
        .ledger()
        .resolve_sync_conflict("dev-b", &id, "told Bob", "console:sam")
        .unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains("device:dev-b") && text.contains("redone for Bob with SN2"),
        "{text}"
    );
    // The device's own resolution comes back on the pull and changes nothing there.
    assert_eq!(
        b.ledger.conflicts(true).unwrap()[0].note.as_deref(),
        Some("redone for Bob with SN2")
    );
}

fn the_first_resolution_to_reach_the_server_stands_on_the_device_too(site: Site) {
    let (_a, mut b) = serial_conflict(&site);
    let id = conflict_id(&b);
    site.ledger()
        .resolve_sync_conflict("dev-b", &id, "credited Bob", "console:sam")
        .unwrap();
    // Offline, the worker dismisses it too; the back office's reached the server first.
    b.ledger
        .dismiss_conflict(&id, "shipped Bob another")
        .unwrap();
    let report = b.sync().unwrap();
    assert_eq!(report.resolutions_pushed, 1);
    let kept = &b.ledger.conflicts(true).unwrap()[0];
    assert_eq!(
        (kept.note.as_deref(), kept.resolved_by.as_deref()),
        (Some("credited Bob"), Some("console:sam"))
    );
    assert!(b
        .ledger
        .pending_conflict_resolutions(10)
        .unwrap()
        .is_empty());
    let server = on_server(&site, &id);
    assert_eq!(server.resolution.unwrap().note, "credited Bob");
}

fn a_device_resolves_only_its_own_conflicts(site: Site) {
    let (a, b) = serial_conflict(&site);
    let id = conflict_id(&b);
    // dev-a names dev-b's conflict: the server has no such conflict of dev-a, records nothing,
    // and answers with dev-a's words as recorded nowhere (seq 0).
    let answer = Client::new(&site.url, &a.token)
        .unwrap()
        .push_resolutions(vec![WireResolve {
            id: id.clone(),
            note: "not mine".into(),
        }])
        .unwrap();
    assert_eq!(answer.conflict_resolutions.len(), 1);
    assert_eq!(
        (
            answer.conflict_resolutions[0].seq,
            answer.conflict_resolutions[0].by.as_str()
        ),
        (0, "device:dev-a")
    );
    let server = on_server(&site, &id);
    assert!(
        server.resolution.is_none(),
        "dev-b's conflict is still open"
    );
    // The back office names the wrong device: not found, nothing changed.
    let e = site
        .ledger()
        .resolve_sync_conflict("dev-a", &id, "wrong device", "console:sam")
        .unwrap_err();
    assert!(matches!(e, Error::NotFound(_)), "{e:?}");
    // A resolution without a note is refused whole (400), changing nothing.
    let e = Client::new(&site.url, &b.token)
        .unwrap()
        .push_resolutions(vec![WireResolve {
            id: id.clone(),
            note: "  ".into(),
        }])
        .unwrap_err();
    assert!(e.to_string().contains("needs a note"), "{e}");
    assert!(on_server(&site, &id).resolution.is_none());
}

fn a_movement_rejected_and_resolved_is_not_posted_when_pushed_again(site: Site) {
    let (mut a, b) = serial_conflict(&site);
    let id = conflict_id(&b);
    site.ledger()
        .resolve_sync_conflict("dev-b", &id, "Bob gets SN2 instead", "console:sam")
        .unwrap();
    // What refused it is gone: SN1 comes back from Ann and is on the shelf again.
    recv(&mut a.ledger, "PHONE", None, &["SN1"], 1, "A1");
    assert_eq!(a.sync().unwrap().accepted, 1);
    let before = shelves(&site.ledger());
    let log = site.ledger().records_after(0, 1000).unwrap().len();
    // dev-b pushes the shipment to Bob again (an old copy of its file, a retry): still
    // rejected, for the reason it was first given, and nothing is posted.
    let again = push_again(&site, &b, &id);
    assert_eq!(again.results.len(), 1);
    let said = format!("{:?}", again.results[0]);
    assert!(
        said.contains("Rejected") && said.contains("serial SN1 of PHONE is not in stock"),
        "{said}"
    );
    assert_eq!(shelves(&site.ledger()), before, "SN1 is still on the shelf");
    assert_eq!(site.ledger().records_after(0, 1000).unwrap().len(), log);
    assert!(site
        .ledger()
        .trace("PHONE", None, Some("SN1"))
        .unwrap()
        .customers
        .iter()
        .all(|c| c != "Bob"));
    // The resolution stands as it was, and the conflict is listed once.
    let server = on_server(&site, &id);
    assert_eq!(server.resolution.unwrap().note, "Bob gets SN2 instead");
    assert_eq!(
        site.ledger().sync_conflicts(Show::All, None).unwrap().len(),
        1
    );
}

fn a_device_added_again_under_a_revoked_name_finds_the_old_conflicts_closed(site: Site) {
    // The old dev-b's shipment was rejected; no one resolved it before it was revoked.
    let (mut a, b) = serial_conflict(&site);
    let id = conflict_id(&b);
    site.ledger().revoke_device("dev-b").unwrap();
    let fresh = lotkeeper::sync::new_token();
    site.ledger()
        .add_device("dev-b", &lotkeeper::sync::hash_token(&fresh))
        .unwrap();
    // The new dev-b has no open conflict: the old one's is closed, and kept, with why.
    assert!(site
        .ledger()
        .sync_conflicts(Show::Open, Some("dev-b"))
        .unwrap()
        .is_empty());
    let kept = on_server(&site, &id).resolution.unwrap();
    assert_eq!(
        (kept.note.as_str(), kept.by.as_str()),
        (lotkeeper::ledger::conflicts::CLOSED_WITH_DEVICE, "server")
    );
    assert!(site
        .ledger()
        .open_conflicts_by_device()
        .unwrap()
        .iter()
        .all(|(d, _)| d != "dev-b"));
    let activity = site.ledger().device_activity().unwrap();
    let dev_b = activity.iter().find(|d| d.device == "dev-b").unwrap();
    assert_eq!(dev_b.open_conflicts, 0);
    // A copy of the old handheld's file pushed with the new token, once SN1 is back on the
    // shelf: the old shipment stays rejected, and nothing is posted.
    recv(&mut a.ledger, "PHONE", None, &["SN1"], 1, "A1");
    assert_eq!(a.sync().unwrap().accepted, 1);
    let before = shelves(&site.ledger());
    let again = push_again_as(&site, &b, &id, &fresh);
    let said = format!("{:?}", again.results);
    assert!(said.contains("Rejected"), "{said}");
    assert_eq!(shelves(&site.ledger()), before);
}

/// A device whose last contact cannot be written (here a trigger refuses it) still syncs: only
/// the console's fleet misses the note. (SQLite: the trigger is SQLite's.)
#[test]
fn a_contact_that_cannot_be_noted_does_not_turn_the_device_away() {
    let site = Site::new();
    let mut a = site.device("dev-a");
    rusqlite::Connection::open(site.db())
        .unwrap()
        .execute_batch(
            "UPDATE devices SET last_contact_at = NULL;
             CREATE TRIGGER no_contact BEFORE UPDATE OF last_contact_at ON devices
             BEGIN SELECT RAISE(ABORT, 'the disk says no'); END;",
        )
        .unwrap();
    recv(&mut a.ledger, "PHONE", None, &["SN9"], 1, "A1");
    let report = a.sync().expect("the device syncs");
    assert_eq!(report.accepted, 1);
    assert!(site
        .ledger()
        .device_activity()
        .unwrap()
        .iter()
        .any(|d| d.device == "dev-a" && d.last_contact.is_none()));
}

/// A server restored from a backup lost the resolution a device made: the device tells it
/// again when it meets the new log, and it stands on the server.
#[test]
fn a_device_tells_a_restored_server_its_resolutions_again() {
    let mut site = Site::new();
    let (_a, mut b) = serial_conflict(&site);
    let id = conflict_id(&b);
    let bk = site.dir.path().join("server-monday.db");
    site.ledger().backup_to(&bk).unwrap();
    b.ledger
        .dismiss_conflict(&id, "redone for Bob with SN2")
        .unwrap();
    assert_eq!(b.sync().unwrap().resolutions_pushed, 1);
    assert!(on_server(&site, &id).resolution.is_some());
    // The server goes back to Monday: the conflict is open there again.
    site.server.take().unwrap().stop();
    lotkeeper::ledger::backup::restore(&bk, &site.db(), true).unwrap();
    assert!(on_server(&site, &id).resolution.is_none());
    let server =
        lotkeeper::sync::server::RunningServer::start(&site.db(), "127.0.0.1:0", None).unwrap();
    let token = b.token.clone();
    b.ledger.enroll(&server.url(), &token, "dev-b").unwrap();
    let report = b.sync().unwrap();
    assert_eq!(report.resolutions_pushed, 1, "{report:?}");
    let r = on_server(&site, &id).resolution.expect("told again");
    assert_eq!(
        (r.note.as_str(), r.by.as_str()),
        ("redone for Bob with SN2", "device:dev-b")
    );
    assert!(b
        .ledger
        .pending_conflict_resolutions(10)
        .unwrap()
        .is_empty());
    drop(server);
}

/// More resolutions than one pull carries: the device pulls page after page in one sync.
#[test]
fn a_device_pulls_every_page_of_resolutions_in_one_sync() {
    let site = Site::new();
    let mut a = site.device("dev-a");
    let mut b = site.device("dev-b");
    let n = lotkeeper::ledger::conflicts::MAX_RESOLUTIONS as usize + 1;
    let serials: Vec<String> = (0..n).map(|i| format!("R{i}")).collect();
    let serials: Vec<&str> = serials.iter().map(String::as_str).collect();
    // Both receive the same serials; dev-a's reach the server first, dev-b's are rejected.
    recv(&mut a.ledger, "PHONE", None, &serials, n as i64, "A1");
    recv(&mut b.ledger, "PHONE", None, &serials, n as i64, "A1");
    assert_eq!(a.sync().unwrap().accepted, n);
    assert_eq!(b.sync().unwrap().rejected, n);
    // The back office resolves them all (a list shows a few hundred at a time).
    let mut l = site.ledger();
    let mut resolved = 0;
    loop {
        let open = l.sync_conflicts(Show::Open, Some("dev-b")).unwrap();
        if open.is_empty() {
            break;
        }
        for c in open {
            l.resolve_sync_conflict("dev-b", &c.id, "dev-a received them", "console:sam")
                .unwrap();
            resolved += 1;
        }
    }
    assert_eq!(resolved, n);
    let report = b.sync().unwrap();
    assert_eq!(report.resolutions_pulled, n);
    assert!(b.ledger.conflicts(false).unwrap().is_empty());
}
