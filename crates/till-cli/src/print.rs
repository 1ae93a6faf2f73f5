//! `till print …`: the printer from the command line. `render` draws an ESC/POS file (from this
//! till or any other software) with the virtual printer, as PNG and/or text; `test` prints a
//! test page on the printer configured in the `[printer]` section of till.toml. And
//! [`configured`]: the till's printer, for every other command.

use clap::Subcommand;
use std::path::{Path, PathBuf};
use till::TillError;
use till_domain::ports::DeviceError;
use till_printer::{DoubleByte, Glyphs, Paper, Settings, interpret, test_page};

use crate::Cli;
use crate::output::Out;

#[derive(Debug, Subcommand)]
pub enum PrintCmd {
    /// Draw an ESC/POS file with the virtual printer.
    Render {
        /// The ESC/POS bytes (a print job captured from any software).
        file: PathBuf,
        /// Write the page as a PNG (further pages as NAME-2.png, NAME-3.png, …).
        #[arg(long)]
        png: Option<PathBuf>,
        /// Print the pages as text.
        #[arg(long)]
        text: bool,
        /// Paper: 58mm or 80mm (default: from --columns).
        #[arg(long)]
        paper: Option<String>,
        /// The printer's Chinese encoding: gb18030 or big5.
        #[arg(long, default_value = "gb18030")]
        encoding: String,
    },
    /// Print a test page on the configured printer.
    Test,
}

pub async fn run(cmd: &PrintCmd, cli: &Cli, out: &Out) -> Result<u8, TillError> {
    match cmd {
        PrintCmd::Render {
            file,
            png,
            text,
            paper,
            encoding,
        } => render(
            file,
            png.as_deref(),
            *text,
            paper.as_deref(),
            encoding,
            cli.columns,
            out,
        ),
        PrintCmd::Test => {
            let dir = cli.data_dir.clone().unwrap_or_else(till::store::default_data_dir);
            test(&dir, cli.columns, out).await
        }
    }
}

fn render(
    file: &Path,
    png: Option<&Path>,
    text: bool,
    paper: Option<&str>,
    encoding: &str,
    columns: usize,
    out: &Out,
) -> Result<u8, TillError> {
    let paper = match paper {
        None => Paper::for_columns(columns),
        Some("58mm" | "58") => Paper::Mm58,
        Some("80mm" | "80") => Paper::Mm80,
        Some(other) => {
            return Err(TillError::Input {
                what: "paper",
                input: other.to_owned(),
            });
        }
    };
    let double_byte = match encoding {
        "gb18030" | "gbk" => DoubleByte::Gb18030,
        "big5" => DoubleByte::Big5,
        other => {
            return Err(TillError::Input {
                what: "encoding",
                input: other.to_owned(),
            });
        }
    };
    let bytes = std::fs::read(file).map_err(|_| TillError::Input {
        what: "file",
        input: file.display().to_string(),
    })?;
    let settings = Settings::new(paper.dots(), double_byte);
    let (pages, notes) = interpret(&bytes, settings);
    let mut written = Vec::new();
    if let Some(base) = png {
        for (i, page) in pages.iter().enumerate() {
            let path = if i == 0 {
                base.to_path_buf()
            } else {
                numbered(base, i + 1)
            };
            let data = page.on_paper().to_png().map_err(|e| TillError::Config(e.to_string()))?;
            std::fs::write(&path, data).map_err(|e| TillError::Config(format!("{}: {e}", path.display())))?;
            written.push(path.display().to_string());
        }
    }
    if out.json {
        let pages: Vec<serde_json::Value> = pages
            .iter()
            .enumerate()
            .map(|(i, p)| {
                serde_json::json!({
                    "text": p.text,
                    "width": p.image.width(),
                    "height": p.image.height(),
                    "cut": p.cut,
                    "png": written.get(i),
                })
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({"ok": true, "data": {"pages": pages, "notes": notes}}))
                .unwrap_or_default()
        );
        return Ok(0);
    }
    if text {
        for (i, page) in pages.iter().enumerate() {
            if i > 0 {
                println!("=====");
            }
            print!("{}", page.text);
        }
    }
    for note in &notes {
        eprintln!("{}", out.l.text("printer-skipped", &[("note", note.clone())]));
    }
    eprintln!(
        "{}",
        out.l.text(
            "printer-rendered",
            &[("pages", pages.len().to_string()), ("files", written.join(", "))],
        )
    );
    Ok(0)
}

/// `out.png` → `out-2.png`.
fn numbered(base: &Path, n: usize) -> PathBuf {
    let stem = base
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ext = base
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    base.with_file_name(format!("{stem}-{n}{ext}"))
}

pub async fn test(dir: &Path, columns: usize, out: &Out) -> Result<u8, TillError> {
    let config = till_devices::printer_config(dir)?;
    let opened = config
        .open(dir, columns)
        .map_err(|e| TillError::Config(e.to_string()))?;
    let device = TillError::device("printer");
    let (profile, connection) = match (&opened.virtual_printer, &opened.escpos) {
        (Some(v), _) => (v.profile().clone(), "virtual".to_owned()),
        (None, Some(p)) => (p.profile().clone(), p.connection().describe()),
        (None, None) => return Err(TillError::Config("no printer".into())),
    };
    let glyphs = Glyphs::system(profile.chinese != till_printer::ChineseMode::Gb18030);
    let font = match glyphs.path() {
        Some(p) if glyphs.has_cjk() => format!("{} ({})", glyphs.face(), p.display()),
        _ => "-".to_owned(),
    };
    let detail = vec![
        ("PRINTER".to_owned(), connection.clone()),
        (
            "PAPER".to_owned(),
            format!("{} / {} dots", profile.paper.name(), profile.dots()),
        ),
        ("CHINESE".to_owned(), format!("{:?}", profile.chinese).to_uppercase()),
        ("CODE PAGE".to_owned(), format!("ESC t {}", profile.code_page)),
        ("FONT".to_owned(), glyphs.face().to_owned()),
    ];
    let status = opened.port.status().await.map_err(device)?;
    if status.paper_out {
        return Err(device(DeviceError::PaperOut));
    }
    if status.cover_open {
        return Err(device(DeviceError::CoverOpen));
    }
    opened.port.print(&test_page(&profile, &detail)).await.map_err(device)?;
    if !glyphs.has_cjk() {
        eprintln!("{}", out.l.text("printer-no-cjk-font", &[]));
    }
    if let Some(v) = &opened.virtual_printer
        && let Some(page) = v.last_page()
    {
        let path = dir.join("printer-test-page.png");
        let data = page.on_paper().to_png().map_err(|e| TillError::Config(e.to_string()))?;
        std::fs::create_dir_all(dir).map_err(|e| TillError::Config(e.to_string()))?;
        std::fs::write(&path, data).map_err(|e| TillError::Config(format!("{}: {e}", path.display())))?;
        if !out.json {
            print!("{}", page.text);
        }
        out.message(
            "printer-test-printed",
            &[
                ("printer", format!("{connection} → {}", path.display())),
                ("font", font),
            ],
            &serde_json::json!({"printer": connection, "png": path}),
        );
        return Ok(0);
    }
    out.message(
        "printer-test-printed",
        &[("printer", connection.clone()), ("font", font)],
        &serde_json::json!({"printer": connection}),
    );
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use till_i18n::{Lang, Localizer};
    use till_printer::{Bitmap, ChineseMode, Profile};

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn out() -> Out {
        Out::new(Localizer::new(Lang::En), false, 48)
    }

    #[test]
    fn render_draws_every_page_of_a_job_as_png() -> TestResult {
        let dir = till_testkit::TempDir::new("print-render");
        let profile = Profile::new(Paper::Mm58, ChineseMode::Big5);
        let mut job = till_printer::render(&test_page(&profile, &[]), &profile);
        job.extend(till_printer::render(&test_page(&profile, &[]), &profile));
        let file = dir.path().join("job.bin");
        std::fs::write(&file, &job)?;
        let png = dir.path().join("out.png");
        render(&file, Some(&png), false, Some("58mm"), "big5", 48, &out())?;
        for path in [png.clone(), numbered(&png, 2)] {
            let page = Bitmap::from_png(&std::fs::read(&path)?)?;
            assert_eq!(
                page.width(),
                384 + 32,
                "{}: 58 mm paper with its margins",
                path.display()
            );
        }
        assert!(!numbered(&png, 3).exists(), "two cut pages, two pictures");
        let bad = render(&file, None, false, Some("57mm"), "big5", 48, &out());
        assert!(matches!(bad, Err(TillError::Input { what: "paper", .. })));
        Ok(())
    }

    #[tokio::test]
    async fn the_test_page_goes_to_the_configured_printer() -> TestResult {
        let dir = till_testkit::TempDir::new("print-test");
        std::fs::write(
            dir.path().join("till.toml"),
            "[printer]\npaper = \"58mm\"\nchinese = \"big5\"\n",
        )?;
        assert_eq!(test(dir.path(), 48, &out()).await?, 0);
        let page = Bitmap::from_png(&std::fs::read(dir.path().join("printer-test-page.png"))?)?;
        assert_eq!(page.width(), 384 + 32, "the section's paper wins over --columns");
        std::fs::write(
            dir.path().join("till.toml"),
            "[printer]\nconnection = { kind = \"serial\" }\n",
        )?;
        assert!(
            matches!(test(dir.path(), 48, &out()).await, Err(TillError::Config(_))),
            "no path"
        );
        Ok(())
    }
}
