// Migrations are embedded with `sqlx::migrate!`: rebuild when a new one is added.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
