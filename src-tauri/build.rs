//! `tauri::generate_context!` embeds ../ui/dist at compile time. On a fresh clone nobody has
//! built the UI yet, and `cargo check --workspace` / clippy must still work: a placeholder page
//! is written then (`cargo xtask run` builds the real UI first, which replaces it).

use std::path::Path;

fn main() {
    let dist = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/dist");
    let index = dist.join("index.html");
    if !index.exists() {
        std::fs::create_dir_all(&dist).expect("create ui/dist");
        std::fs::write(
            &index,
            "<!doctype html><meta charset=utf-8><title>OpenTill</title>\
             <p>The UI is not built: run <code>cargo xtask run</code> (or <code>npm ci &amp;&amp; npm run build</code> in ui/).</p>\n",
        )
        .expect("write placeholder ui/dist/index.html");
    }
    println!("cargo:rerun-if-changed={}", dist.display());
    tauri_build::build();
}
