//! Suppliers, customers and our own sites: master data with the address FSMA 204 asks for.
//!
//! A virtual location `SUPPLIER:<code>` or `CUSTOMER:<code>` is the party of that kind and code.
//! A handheld may name a party the back office has not described yet; the movement still posts
//! (the virtual location is created on first use) and the exports list the missing description
//! until `import parties` completes it.

use super::error::{Error, Result};
use super::model::{Party, PartyKind};
use super::query::Query;
use super::sql::{args, get, Row, Sql, SqlExt};
use super::validate::{self, MAX_LOCATION_LEN, MAX_NAME_LEN};
use super::Ledger;

/// A party code fits in a virtual location code after `CUSTOMER:`.
pub const MAX_PARTY_CODE_LEN: usize = MAX_LOCATION_LEN - "CUSTOMER:".len();

/// Checks every field of a party: lengths, no control characters, a GLN of 13 digits with its
/// check digit. The message names the field, so an import can point at the column.
pub fn check(p: &Party) -> std::result::Result<(), (&'static str, Error)> {
    let code = p.code.trim();
    if code.is_empty() {
        return Err(("code", Error::invalid("the party code is empty")));
    }
    validate::text("party code", code, MAX_PARTY_CODE_LEN, "use a shorter code")
        .map_err(|e| ("code", e))?;
    if p.name.trim().is_empty() {
        return Err(("name", Error::invalid("the business name is empty")));
    }
    validate::text("business name", &p.name, MAX_NAME_LEN, "say it shorter")
        .map_err(|e| ("name", e))?;
    for (col, label, v, max) in [
        ("phone", "phone", &p.phone, 40),
        ("street", "street address", &p.street, 200),
        ("city", "city", &p.city, 100),
        ("region", "state or region", &p.region, 100),
        ("postal_code", "postal code", &p.postal_code, 20),
        ("country", "country", &p.country, 60),
    ] {
        if let Some(v) = v {
            validate::text(label, v, max, "check the file").map_err(|e| (col, e))?;
        }
    }
    if let Some(g) = &p.gln {
        if g.len() != 13 || !g.bytes().all(|b| b.is_ascii_digit()) {
            return Err((
                "gln",
                Error::invalid(format!(
                    "GLN '{}' is not 13 digits; a Global Location Number has 13",
                    validate::shown(g)
                )),
            ));
        }
        if !crate::gtin::has_valid_check_digit(g) {
            return Err((
                "gln",
                Error::invalid(format!(
                    "GLN {g} has a wrong check digit (expected {}); check the number",
                    crate::gtin::check_digit(&g[..12]).map_or('?', |d| (b'0' + d) as char)
                )),
            ));
        }
    }
    Ok(())
}

const COLUMNS: &str = "code, kind, name, phone, street, city, region, postal_code, country, gln";

fn party(r: &dyn Row) -> Result<(Party, String)> {
    Ok((
        Party {
            code: get(r, 0)?,
            kind: PartyKind::Supplier,
            name: get(r, 2)?,
            phone: get(r, 3)?,
            street: get(r, 4)?,
            city: get(r, 5)?,
            region: get(r, 6)?,
            postal_code: get(r, 7)?,
            country: get(r, 8)?,
            gln: get(r, 9)?,
        },
        get(r, 1)?,
    ))
}

fn with_kind((mut p, kind): (Party, String)) -> Result<Party> {
    p.kind = kind.parse()?;
    Ok(p)
}

/// Inserts or updates a party by kind and code (checked by the caller). Returns true when new.
pub(crate) fn upsert(tx: &dyn Sql, p: &Party) -> Result<bool> {
    let existed = tx
        .value::<i64>(
            "SELECT 1 FROM parties WHERE kind = ? AND code = ? LIMIT 1",
            args![p.kind.as_str(), p.code.trim()],
        )?
        .is_some();
    tx.run(
        "INSERT INTO parties (code, kind, name, phone, street, city, region, postal_code, country, gln)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT (kind, code) DO UPDATE SET name = ?3, phone = ?4, street = ?5, city = ?6,
             region = ?7, postal_code = ?8, country = ?9, gln = ?10",
        args![
            p.code.trim(),
            p.kind.as_str(),
            p.name.trim(),
            p.phone,
            p.street,
            p.city,
            p.region,
            p.postal_code,
            p.country,
            p.gln
        ],
    )?;
    Ok(!existed)
}

/// A device takes the server's parties as they are.
pub(crate) fn replace_parties(tx: &dyn Sql, parties: &[Party]) -> Result<()> {
    tx.run("DELETE FROM parties", args![])?;
    for p in parties {
        upsert(tx, p)?;
    }
    Ok(())
}

impl Query<'_> {
    /// Every party, by kind and code.
    pub fn parties(&self) -> Result<Vec<Party>> {
        let mut out = Vec::new();
        self.conn().scan(
            &format!("SELECT {COLUMNS} FROM parties ORDER BY kind, code"),
            args![],
            &mut |r| {
                out.push(with_kind(party(r)?)?);
                Ok(true)
            },
        )?;
        Ok(out)
    }

    pub fn party(&self, kind: PartyKind, code: &str) -> Result<Option<Party>> {
        let mut row = None;
        self.conn().scan(
            &format!("SELECT {COLUMNS} FROM parties WHERE kind = ? AND code = ?"),
            args![kind.as_str(), code],
            &mut |r| {
                row = Some(party(r)?);
                Ok(false)
            },
        )?;
        row.map(with_kind).transpose()
    }

    /// The site that is "us" in the exports: the one named by the `site` setting, or the only
    /// site party there is. None when there is none, or several and no setting.
    pub fn own_site(&self) -> Result<Option<Party>> {
        let named: Option<String> = self
            .conn()
            .value("SELECT value FROM settings WHERE key = 'site'", args![])?;
        if let Some(code) = named {
            return self.party(PartyKind::Site, &code);
        }
        let sites: Vec<Party> = self
            .parties()?
            .into_iter()
            .filter(|p| p.kind == PartyKind::Site)
            .collect();
        Ok(match <[Party; 1]>::try_from(sites) {
            Ok([one]) => Some(one),
            Err(_) => None,
        })
    }
}

impl Ledger {
    /// Adds or updates one party (back office; devices take parties from the server).
    pub fn save_party(&mut self, p: &Party) -> Result<bool> {
        check(p).map_err(|(_, e)| e)?;
        self.write_sql(|tx| {
            let before = site_count(tx)?;
            let saved = upsert(tx, p)?;
            settle_sites(tx, before)?;
            Ok(saved)
        })
    }

    /// Names the site party that is "us" in the exports, when there are several.
    pub fn set_own_site(&mut self, code: &str) -> Result<()> {
        if self.query().party(PartyKind::Site, code)?.is_none() {
            return Err(Error::NotFound(format!(
                "there is no site party '{code}'; import it first (kind site)"
            )));
        }
        self.write_sql(|tx| {
            tx.run(
                "INSERT INTO settings (key, value) VALUES ('site', ?1)
                 ON CONFLICT (key) DO UPDATE SET value = ?1",
                args![code],
            )?;
            Ok(())
        })
    }
}

/// The site something new belongs to: `named` if it is a site party here; without a name, the
/// only site party, or none when there is none (a database that never named its sites). With
/// several sites a name is needed; `ask` says where to give it.
pub(crate) fn site_or_default(
    tx: &dyn Sql,
    named: Option<&str>,
    ask: &str,
) -> Result<Option<String>> {
    let sites: Vec<String> = tx
        .all::<(String,)>(
            "SELECT code FROM parties WHERE kind = 'site' ORDER BY code",
            args![],
        )?
        .into_iter()
        .map(|(c,)| c)
        .collect();
    match named.map(str::trim) {
        Some(code) if sites.iter().any(|s| s == code) => Ok(Some(code.to_string())),
        Some(code) if sites.is_empty() => Err(Error::NotFound(format!(
            "there is no site {code}: this database has no sites yet; import one (kind site) with `import parties`"
        ))),
        Some(code) => Err(Error::NotFound(format!(
            "there is no site {code}; the sites are {}",
            sites.join(", ")
        ))),
        None => match sites.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(one.clone())),
            several => Err(Error::invalid(format!(
                "there are several sites ({}): name {ask}",
                several.join(", ")
            ))),
        },
    }
}

/// How many site parties there are.
pub(crate) fn site_count(tx: &dyn Sql) -> Result<usize> {
    Ok(tx
        .value::<i64>("SELECT count(*) FROM parties WHERE kind = 'site'", args![])?
        .unwrap_or(0) as usize)
}

/// After site parties changed on the back office (there were `before`): with one site,
/// everything that has no site yet (locations, devices, pick lists, purchase orders) is at that
/// site, as an upgraded single-site database is; a new site that makes several is refused while
/// a real location has no site, since stock would cross between sites unseen.
pub(crate) fn settle_sites(tx: &dyn Sql, before: usize) -> Result<()> {
    let sites: Vec<String> = codes(
        tx,
        "SELECT code FROM parties WHERE kind = 'site' ORDER BY code",
    )?;
    match sites.as_slice() {
        [] => Ok(()),
        [one] => {
            for table in ["devices", "pick_lists", "purchase_orders"] {
                tx.run(
                    &format!("UPDATE {table} SET site = ? WHERE site IS NULL"),
                    args![one],
                )?;
            }
            tx.run(
                "UPDATE locations SET site = ? WHERE site IS NULL
                   AND kind IN ('dock', 'bin', 'staging', 'shipping', 'quarantine')",
                args![one],
            )?;
            Ok(())
        }
        several if several.len() <= before => Ok(()),
        several => {
            let unsited: Vec<String> = codes(
                tx,
                "SELECT code FROM locations WHERE site IS NULL
                   AND kind IN ('dock', 'bin', 'staging', 'shipping', 'quarantine')
                 ORDER BY code LIMIT 6",
            )?;
            if unsited.is_empty() {
                return Ok(());
            }
            let shown = unsited
                .iter()
                .take(5)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ");
            let more = if unsited.len() > 5 { ", ..." } else { "" };
            Err(Error::invalid(format!(
                "with the sites {} there would be several, and locations {shown}{more} have no site: give each location its site first (import locations with a site column)",
                several.join(", ")
            )))
        }
    }
}

/// The first column of every row of a query without parameters, as text.
fn codes(tx: &dyn Sql, sql: &str) -> Result<Vec<String>> {
    Ok(tx
        .all::<(String,)>(sql, args![])?
        .into_iter()
        .map(|(c,)| c)
        .collect())
}
