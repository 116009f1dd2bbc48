//! A realistic small warehouse, so a newcomer sees the app do something on the first run.
//! Dates are relative to today, so the demo always has lots about to expire and one expired.

use chrono::Days;

use super::error::{Error, Result};
use super::import::ImportKind;
use super::model::{DocType, LotStatus};
use super::ops::{AssembleCmd, Component, Output, ReceiveCmd, ShipCmd, TransferCmd};
use super::Ledger;

const ITEMS: &str = "\
sku,name,gtin,tracking,expiry_tracked,shelf_life_days,unit,brand,commodity,variety,pack_size,pack_style,ftl
AMOX-500,Amoxicillin 500 mg capsules (box of 20),09506000134352;19506000134359*12,lot,true,730,EA,Northwind,Amoxicillin,500 mg,20 capsules,Box,no
INSUL-PEN,Insulin glargine pre-filled pen,09506000134376,serial,true,,EA,Northwind,Insulin glargine,,3 ml,Pen,no
SALINE-1L,Sodium chloride 0.9% 1 L bag,09506000134369,lot,true,1095,EA,,Sodium chloride 0.9%,,1 l,Bag,no
GLOVE-M,Nitrile gloves size M (box of 100),09506000117843,none,false,,BOX,,Nitrile gloves,Size M,100 gloves,Box,no
THERMO-X1,Digital thermometer X1,04012345000016,serial,false,,EA,,Thermometer,,1,Box,no
FIRSTAID-KIT,First aid kit (assembled),04012345000023,lot,true,365,EA,Lotkeeper,First aid kit,,1 kit,Case,no
AMOX-500-SN,Amoxicillin 500 mg capsules (box of 20) serialized,,serial,true,,EA,Northwind,Amoxicillin,500 mg,20 capsules,Box,no
";

/// What the kit is built from, and the serialized box a box of a lot is split into.
const COMPOSITIONS: &str = "\
output,component,qty_per_unit
FIRSTAID-KIT,GLOVE-M,2
FIRSTAID-KIT,SALINE-1L,2
FIRSTAID-KIT,THERMO-X1,1
AMOX-500-SN,AMOX-500,1
";

/// What the lots of two items record: where the amoxicillin was made (a label's (422) fills
/// it), and the sterility test every saline lot is received with.
const LOT_ATTRIBUTES: &str = "\
sku,name,type,required,ai
AMOX-500,country of origin,text,no,422
SALINE-1L,sterility test,text,yes,
";

/// Suppliers, customers and this site, with the addresses the compliance exports print.
const PARTIES: &str = "\
code,kind,name,phone,street,city,region,postal_code,country,gln
Northwind Pharma,supplier,Northwind Pharma Inc.,+1 201 555 0140,40 Harbor Blvd,Newark,NJ,07102,US,0614141000029
MedSupply GmbH,supplier,MedSupply GmbH,+49 40 555 0150,Hafenstrasse 12,Hamburg,HH,20457,DE,
Corner Pharmacy,customer,Corner Pharmacy,+1 312 555 0160,18 Elm St,Chicago,IL,60601,US,
St. Mary's Clinic,customer,St. Mary's Clinic,+1 312 555 0170,200 Lake Shore Dr,Chicago,IL,60611,US,
Pharmacy Lindqvist,customer,Apotek Lindqvist,,Storgatan 5,Uppsala,,75320,SE,
MAIN,site,Lotkeeper Demo Warehouse,+1 312 555 0100,1 Dock Way,Chicago,IL,60607,US,
";

const LOCATIONS: &str = "\
code,name,kind
DOCK-1,Receiving dock 1,dock
A-01-01,Aisle A rack 1 level 1,bin
A-01-02,Aisle A rack 1 level 2,bin
A-02-01,Aisle A rack 2 level 1,bin
B-01-01,Aisle B rack 1 level 1 (cold),bin
QUARANTINE,Quarantine cage,quarantine
STAGING,Outbound staging,staging
SHIP-1,Shipping lane 1,shipping
";

/// Fills an empty database with the demo warehouse. Refuses a database that has data.
pub fn fill(ledger: &mut Ledger) -> Result<()> {
    if !ledger.is_empty()? {
        return Err(Error::invalid(
            "the database already has data; the demo fills only an empty database",
        ));
    }
    let today = ledger.today();
    let day = |n: i64| -> String {
        let d = if n >= 0 {
            today.checked_add_days(Days::new(n as u64))
        } else {
            today.checked_sub_days(Days::new(n.unsigned_abs()))
        };
        d.unwrap_or(today).format("%Y-%m-%d").to_string()
    };
    ledger.import_csv(ImportKind::Items, ITEMS)?;
    ledger.import_csv(ImportKind::Locations, LOCATIONS)?;
    ledger.import_csv(ImportKind::Parties, PARTIES)?;
    ledger.import_csv(ImportKind::Compositions, COMPOSITIONS)?;
    ledger.import_csv(ImportKind::LotAttributes, LOT_ATTRIBUTES)?;
    // Opening stock as found on the shelves, one lot already expired.
    let stock = format!(
        "sku,location,lot,serial,expiry,qty\n\
         AMOX-500,A-01-01,AM2401,,{},40\n\
         AMOX-500,A-01-02,AM2407,,{},120\n\
         SALINE-1L,A-02-01,SL0917,,{},24\n\
         SALINE-1L,A-02-01,SL1002,,{},60\n\
         GLOVE-M,A-02-01,,,,35\n",
        day(25),
        day(400),
        day(-12),
        day(300)
    );
    ledger.import_csv(ImportKind::Stock, &stock)?;
    ledger.import_csv(
        ImportKind::PurchaseOrders,
        &format!(
            "po,supplier,sku,qty,expected\n\
             PO-1001,Northwind Pharma,AMOX-500,200,{d}\n\
             PO-1001,Northwind Pharma,INSUL-PEN,5,{d}\n\
             PO-1002,MedSupply GmbH,GLOVE-M,50,{e}\n",
            d = day(0),
            e = day(3)
        ),
    )?;
    ledger.receive(&ReceiveCmd {
        item: "AMOX-500".into(),
        qty: 120,
        to: "DOCK-1".into(),
        lot: Some("AM2411".into()),
        expiry: today.checked_add_days(Days::new(610)),
        supplier: Some("Northwind Pharma".into()),
        reference: Some("PO-1001".into()),
        lot_attributes: [("country of origin".to_string(), "840".to_string())].into(),
        ..Default::default()
    })?;
    // Insulin tracks expiry, so its serials come in a lot that carries the date.
    ledger.receive(&ReceiveCmd {
        item: "INSUL-PEN".into(),
        qty: 5,
        to: "B-01-01".into(),
        lot: Some("IG2410".into()),
        expiry: today.checked_add_days(Days::new(180)),
        serials: (1..=5).map(|i| format!("IP{:06}", 481200 + i)).collect(),
        supplier: Some("Northwind Pharma".into()),
        reference: Some("PO-1001".into()),
        ..Default::default()
    })?;
    ledger.receive(&ReceiveCmd {
        item: "THERMO-X1".into(),
        qty: 3,
        to: "A-01-02".into(),
        serials: vec!["TX1-0001".into(), "TX1-0002".into(), "TX1-0003".into()],
        supplier: Some("MedSupply GmbH".into()),
        ..Default::default()
    })?;
    ledger.transfer(&TransferCmd {
        item: "AMOX-500".into(),
        qty: 100,
        from: "DOCK-1".into(),
        to: "A-01-02".into(),
        lot: Some("AM2411".into()),
        ..Default::default()
    })?;
    // Kits: gloves + saline + a thermometer, one kit lot.
    ledger.assemble(&AssembleCmd {
        components: vec![
            Component {
                item: "GLOVE-M".into(),
                qty: 2,
                from: "A-02-01".into(),
                ..Default::default()
            },
            Component {
                item: "SALINE-1L".into(),
                qty: 2,
                from: "A-02-01".into(),
                lot: Some("SL1002".into()),
                ..Default::default()
            },
            Component {
                item: "THERMO-X1".into(),
                qty: 1,
                from: "A-01-02".into(),
                serials: vec!["TX1-0003".into()],
                ..Default::default()
            },
        ],
        outputs: vec![Output {
            item: "FIRSTAID-KIT".into(),
            qty: 1,
            to: "A-01-01".into(),
            lot: Some("KIT-0001".into()),
            production_date: Some(today),
            ..Default::default()
        }],
        reference: Some("WO-77".into()),
        ref_type: Some(DocType::WorkOrder),
    })?;
    ledger.ship(&ShipCmd {
        item: "AMOX-500".into(),
        qty: 10,
        from: "A-01-01".into(),
        lot: Some("AM2401".into()),
        customer: Some("Corner Pharmacy".into()),
        reference: Some("SO-5001".into()),
        ..Default::default()
    })?;
    ledger.ship(&ShipCmd {
        item: "INSUL-PEN".into(),
        qty: 1,
        from: "B-01-01".into(),
        serials: vec!["IP481201".into()],
        customer: Some("St. Mary's Clinic".into()),
        reference: Some("SO-5002".into()),
        ..Default::default()
    })?;
    ledger.set_lot_status(
        "SALINE-1L",
        "SL0917",
        LotStatus::Quarantine,
        "expired on the shelf; awaiting destruction",
    )?;
    ledger.import_csv(
        ImportKind::PickLists,
        &format!(
            "picklist,customer,sku,qty,due\n\
             PL-2001,Corner Pharmacy,AMOX-500,30,{d}\n\
             PL-2001,Corner Pharmacy,GLOVE-M,5,{d}\n\
             PL-2002,St. Mary's Clinic,SALINE-1L,12,{e}\n\
             PL-2002,St. Mary's Clinic,INSUL-PEN,2,{e}\n",
            d = day(1),
            e = day(2)
        ),
    )?;
    Ok(())
}

/// A conflict for the pictures and demos: the device enrolls and ships a lot that the back
/// office recalled meanwhile; the server's rules (run here on a second demo ledger, as the
/// server does for a push) refuse it, and the device keeps it as a conflict.
pub fn conflict(device: &mut Ledger) -> Result<()> {
    let mut server = Ledger::open_in_memory()?;
    fill(&mut server)?;
    server.set_lot_status(
        "AMOX-500",
        "AM2401",
        LotStatus::Recalled,
        "supplier recall R-2026-114",
    )?;
    device.enroll("https://backoffice.example", "demo", "handheld-07")?;
    // One the back office has already resolved: the screen lists it under Resolved, with its
    // note and who wrote it.
    device.ship(&ShipCmd {
        item: "AMOX-500".into(),
        qty: 2,
        from: "A-01-01".into(),
        lot: Some("AM2401".into()),
        customer: Some("Clinic Norra".into()),
        ..Default::default()
    })?;
    let verdicts =
        server.accept_batches("handheld-07", &device.pending(100)?, &Default::default())?;
    device.record_verdicts(&verdicts)?;
    if let Some(c) = device.conflicts(false)?.first() {
        server.resolve_sync_conflict(
            "handheld-07",
            &c.id,
            "Clinic Norra got lot AM2407 instead; credit note CN-88",
            "console:maria",
        )?;
        let resolutions = server.conflict_resolutions_after("handheld-07", 0, 100)?;
        device.apply_conflict_resolutions(&resolutions, false)?;
    }
    device.ship(&ShipCmd {
        item: "AMOX-500".into(),
        qty: 5,
        from: "A-01-01".into(),
        lot: Some("AM2401".into()),
        customer: Some("Pharmacy Lindqvist".into()),
        ..Default::default()
    })?;
    let verdicts =
        server.accept_batches("handheld-07", &device.pending(100)?, &Default::default())?;
    device.record_verdicts(&verdicts)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_conflicts_are_one_open_and_one_resolved_in_the_back_office() {
        let mut l = Ledger::open_in_memory().unwrap();
        fill(&mut l).unwrap();
        conflict(&mut l).unwrap();
        let all = l.conflicts(true).unwrap();
        let states: Vec<(&str, Option<&str>)> = all
            .iter()
            .map(|c| (c.state.as_str(), c.resolved_by.as_deref()))
            .collect();
        assert_eq!(
            states,
            [("dismissed", Some("console:maria")), ("conflict", None)]
        );
        assert_eq!(l.outbox_counts().unwrap(), (0, 1));
    }
}
