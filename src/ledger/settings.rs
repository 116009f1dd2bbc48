//! The `settings` table: named text values the workflows and the screens keep (FEFO deviation
//! policy, lot rule, scanner, the UI's resume journal). What the values mean is the workflow's
//! business (`workflow::settings`); storing them is the ledger's.

use super::error::Result;
use super::sql::{args, SqlExt};
use super::Ledger;

impl Ledger {
    /// One setting's stored text, if it is set.
    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        self.sql()
            .value("SELECT value FROM settings WHERE key = ?", args![key])
    }

    /// Sets (`Some`) or removes (`None`) each setting, all in one transaction.
    pub fn put_settings(&mut self, pairs: &[(&str, Option<String>)]) -> Result<()> {
        self.write_sql(|tx| {
            for (key, value) in pairs {
                match value {
                    Some(v) => tx.run(
                        "INSERT INTO settings (key, value) VALUES (?1, ?2)
                         ON CONFLICT (key) DO UPDATE SET value = ?2",
                        args![key, v],
                    )?,
                    None => tx.run("DELETE FROM settings WHERE key = ?", args![key])?,
                };
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_set_replaced_and_removed_together() {
        let mut l = Ledger::open_in_memory().unwrap();
        assert_eq!(l.setting("lot_rule").unwrap(), None);
        l.put_settings(&[
            ("lot_rule", Some("YY-NN".into())),
            ("camera", Some("off".into())),
        ])
        .unwrap();
        l.put_settings(&[("lot_rule", Some("YYYY-NNN".into())), ("camera", None)])
            .unwrap();
        assert_eq!(l.setting("lot_rule").unwrap().as_deref(), Some("YYYY-NNN"));
        assert_eq!(l.setting("camera").unwrap(), None);
    }
}
