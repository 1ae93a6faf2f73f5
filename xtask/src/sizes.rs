//! `cargo xtask bench`'s package sizes (issue 14): each release package in `target/dist` (made
//! by `cargo xtask dist --unsigned` when there are none), its size against the 15 MB goal, and
//! what is in it, largest first — from `dpkg-deb --contents`, `rpm -qlv`, and for the Windows
//! installer the programs it packs (their sizes before NSIS compresses them). Printed as a table
//! and written to `target/bench/dist.json`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::dist::root;

/// Each package at most this (issue 14).
const LIMIT: u64 = 15 * 1000 * 1000;

fn packages(dist: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dist)
        .map(|d| {
            d.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "deb" || e == "rpm" || e == "exe"))
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
}

fn output(cmd: &mut Command) -> Result<String, String> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!("{cmd:?}: {}", String::from_utf8_lossy(&out.stderr)));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `(path, bytes)` of the regular files in a listing whose lines are `ls -l`-like: the size is
/// the field before the date, the path the last field.
fn listing(text: &str, size_field: usize) -> Vec<(String, u64)> {
    text.lines()
        .filter(|l| l.starts_with('-'))
        .filter_map(|l| {
            let fields: Vec<&str> = l.split_whitespace().collect();
            let bytes = fields.get(size_field)?.parse().ok()?;
            let path = fields.last()?.trim_start_matches('.').to_owned();
            Some((path, bytes))
        })
        .collect()
}

fn contents(package: &Path) -> Result<Vec<(String, u64)>, String> {
    let name = package.file_name().unwrap_or_default().to_string_lossy().into_owned();
    let mut files = if name.ends_with(".deb") {
        // -rwxr-xr-x root/root  12345 2026-12-06 10:00 ./usr/bin/till
        listing(&output(Command::new("dpkg-deb").arg("--contents").arg(package))?, 2)
    } else if name.ends_with(".rpm") {
        // -rwxr-xr-x    1 root     root     12345 Dec  6 10:00 /usr/bin/till
        listing(
            &output(Command::new("rpm").args(["-qlvp", "--nosignature"]).arg(package))?,
            4,
        )
    } else {
        // 7-Zip reads NSIS installers: the files as the installer holds them (stripped, signed).
        seven_zip_listing(&output(Command::new("7zz").args(["l", "-slt"]).arg(package))?)
    };
    files.sort_by_key(|f| std::cmp::Reverse(f.1));
    Ok(files)
}

/// `(path, bytes)` of the files in `7zz l -slt`'s listing: blocks of `Key = value` lines, one
/// per entry, after a `----------` line; directories and NSIS's own script are left out.
fn seven_zip_listing(text: &str) -> Vec<(String, u64)> {
    let entries = text.split_once("\n----------\n").map_or("", |(_, rest)| rest);
    entries
        .split("\n\n")
        .filter_map(|block| {
            let field = |key: &str| {
                block
                    .lines()
                    .find_map(|l| l.strip_prefix(key).and_then(|v| v.strip_prefix(" = ")))
            };
            let path = field("Path")?;
            let bytes = field("Size")?.parse().ok()?;
            let folder =
                field("Folder").is_some_and(|f| f == "+") || field("Attributes").is_some_and(|a| a.starts_with('D'));
            (!folder && !path.starts_with('[')).then(|| (path.replace('\\', "/"), bytes))
        })
        .collect()
}

/// A JSON string (xtask has no JSON library: names and paths here are plain).
fn json_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

pub fn bench() -> Result<(), String> {
    crate::ensure(&["7zip"])?;
    let dist = root().join("target/dist");
    if packages(&dist).is_empty() {
        eprintln!("xtask: no packages in target/dist: making them (cargo xtask dist --unsigned)");
        crate::dist::dist(&["--unsigned".to_owned()])?;
    }
    let mut rows = Vec::new();
    println!("\n{:<36} {:>10} {:>8}  largest parts", "package", "size", "≤ 15 MB");
    for p in packages(&dist) {
        let bytes = std::fs::metadata(&p)
            .map_err(|e| format!("{}: {e}", p.display()))?
            .len();
        let files = contents(&p)?;
        let name = p.file_name().unwrap_or_default().to_string_lossy().into_owned();
        let largest: Vec<String> = files.iter().take(3).map(|(f, b)| format!("{f} {}", mb(*b))).collect();
        println!(
            "{:<36} {:>10} {:>8}  {}",
            name,
            mb(bytes),
            if bytes <= LIMIT { "yes" } else { "NO" },
            largest.join(", ")
        );
        let contents: Vec<String> = files
            .iter()
            .map(|(f, b)| format!("{{\"path\": {}, \"bytes\": {b}}}", json_str(f)))
            .collect();
        rows.push(format!(
            "    {{\"package\": {}, \"bytes\": {bytes}, \"limit_bytes\": {LIMIT}, \"within_limit\": {}, \"contents\": [{}]}}",
            json_str(&name),
            bytes <= LIMIT,
            contents.join(", ")
        ));
    }
    let out = root().join("target/bench");
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let json = format!("{{\"bench\": \"dist\", \"packages\": [\n{}\n]}}\n", rows.join(",\n"));
    let path = out.join("dist.json");
    std::fs::write(&path, json).map_err(|e| format!("{}: {e}", path.display()))?;
    eprintln!("xtask: package sizes in {}", path.display());
    Ok(())
}
