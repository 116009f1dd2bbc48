//! A schema of its own on the PostgreSQL server a bench is given (`LOTKEEPER_BENCH_POSTGRES`,
//! postgres://USER:PASSWORD@HOST/DB), dropped at the end. Shared by the benches that run on
//! PostgreSQL too (`#[path]`-included: each bench is its own crate).

pub struct Schema {
    admin: postgres::Client,
    name: String,
    pub url: String,
}

impl Schema {
    /// A new schema named `prefix` and this process's id, and a URL whose connections use it.
    pub fn new(base: &str, prefix: &str) -> Schema {
        let name = format!("{prefix}_{}", std::process::id());
        let mut admin = postgres::Client::connect(base, postgres::NoTls)
            .expect("LOTKEEPER_BENCH_POSTGRES: cannot connect");
        admin
            .batch_execute(&format!("CREATE SCHEMA {name}"))
            .unwrap();
        let sep = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{sep}options=-c%20search_path%3D{name}");
        Schema { admin, name, url }
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        let _ = self
            .admin
            .batch_execute(&format!("DROP SCHEMA {} CASCADE", self.name));
    }
}
