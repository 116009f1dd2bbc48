//! `lotkeeper user`: the people who sign in to the web console.

use anyhow::{bail, Context, Result};

use super::args::UserAction;
use super::output::print_rows;
use crate::console::{check_new_password, hash_password, new_password};
use crate::ledger::users::Password;
use crate::ledger::Ledger;

pub fn user(mut l: Ledger, action: UserAction) -> Result<()> {
    match action {
        UserAction::Add {
            name,
            role,
            password_stdin,
        } => {
            let role = role.parse()?;
            let (password, made) = if password_stdin {
                let mut line = String::new();
                std::io::stdin()
                    .read_line(&mut line)
                    .context("--password-stdin: cannot read standard input")?;
                let p = line.trim_end_matches(['\n', '\r']).to_string();
                if p.is_empty() {
                    bail!("--password-stdin: standard input has no password on its first line");
                }
                check_new_password(&p).context("--password-stdin")?;
                (p, false)
            } else {
                (new_password(), true)
            };
            // A password made here is seen by whoever runs this: its owner replaces it at the
            // first sign-in. One read from standard input is taken as the owner's own.
            let kind = if made {
                Password::OneTime
            } else {
                Password::Chosen
            };
            l.add_user_by(&name, role, &hash_password(&password)?, kind, None)?;
            if made {
                println!("added {name} ({role}), who chooses their own password at the first sign-in; one-time password, shown once: {password}");
            } else {
                println!("added {name} ({role})");
            }
            Ok(())
        }
        UserAction::List { format } => print_rows(&l.users()?, format),
        UserAction::Remove { name } => {
            l.remove_user(&name)?;
            println!("removed {name}; their sessions ended");
            Ok(())
        }
    }
}
