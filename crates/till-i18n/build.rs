//! Embeds every `locales/<lang>/*.ftl` file of the repository into the binary, so an installed
//! till needs no files beside it, and a new .ftl file is picked up without code changes.

use std::fmt::Write as _;
use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let locales = manifest.join("../../locales");
    println!("cargo:rerun-if-changed={}", locales.display());
    let mut code = String::from("pub(crate) static FTL_FILES: &[(&str, &str, &str)] = &[\n");
    let mut langs: Vec<_> = std::fs::read_dir(&locales)
        .expect("locales/ exists")
        .flatten()
        .collect();
    langs.sort_by_key(|e| e.file_name());
    for lang in langs.iter().filter(|e| e.path().is_dir()) {
        println!("cargo:rerun-if-changed={}", lang.path().display());
        let mut files: Vec<_> = std::fs::read_dir(lang.path()).expect("readable").flatten().collect();
        files.sort_by_key(|e| e.file_name());
        for f in files
            .iter()
            .filter(|f| f.path().extension().is_some_and(|x| x == "ftl"))
        {
            println!("cargo:rerun-if-changed={}", f.path().display());
            let path = f.path().canonicalize().expect("canonical path");
            writeln!(
                code,
                "    ({:?}, {:?}, include_str!({:?})),",
                lang.file_name().to_string_lossy(),
                f.file_name().to_string_lossy(),
                path.display().to_string()
            )
            .expect("write to string");
        }
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("ftl_files.rs");
    std::fs::write(out, code).expect("write generated file");
}
