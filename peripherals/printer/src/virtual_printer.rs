//! The virtual printer: the demo till's printer and the app's receipt preview.
//!
//! [`VirtualPrinter`] is a [`ReceiptPrinter`]: it turns each receipt into the same ESC/POS bytes
//! a real printer would get and runs them through the [`Interpreter`], so what it shows is what
//! the bytes say, not a second layout. Jobs are kept as bytes and drawn when first asked for
//! (drawing needs the system font, which a till that only prints never has to load).
//!
//! [`VirtualDevice`] is the same engine behind a byte stream — a pseudo-terminal, a TCP socket —
//! answering status queries like a printer: what the real driver is tested against.

use async_trait::async_trait;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use till_domain::ports::{DeviceError, PrinterStatus, ReceiptPrinter};
use till_domain::receipt::ReceiptDoc;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::codepage::DoubleByte;
use crate::error::PrinterError;
use crate::interpret::{Interpreter, Page, Sensors, Settings, interpret};
use crate::profile::{ChineseMode, Profile};
use crate::render::{doc_text, render};

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// One print job: its bytes, the firmware that reads them, and its pages once drawn.
#[derive(Debug, Clone)]
struct Job {
    bytes: Vec<u8>,
    double_byte: DoubleByte,
    pages: Option<Vec<Page>>,
}

/// Jobs kept for the preview: a till that runs all day must not keep every page it drew.
const KEEP_JOBS: usize = 32;

#[derive(Debug, Default)]
struct State {
    jobs: std::collections::VecDeque<Job>,
    sensors: Sensors,
    drawer_kicks: u32,
    /// Pages written to the save directory so far (they are numbered from 1).
    saved: usize,
}

/// A printer that draws what it is sent. With `chinese: None` it picks, per receipt, Big5 when
/// every Chinese character is in Big5 and GB18030 otherwise, as if the right firmware were
/// always fitted; set a mode to see what a given printer would print.
#[derive(Debug)]
pub struct VirtualPrinter {
    profile: Profile,
    auto: bool,
    save_dir: Option<PathBuf>,
    state: Mutex<State>,
}

impl VirtualPrinter {
    pub fn new(profile: Profile, chinese: Option<ChineseMode>) -> VirtualPrinter {
        let mut profile = profile;
        if let Some(c) = chinese {
            profile.chinese = c;
        }
        VirtualPrinter {
            profile,
            auto: chinese.is_none(),
            save_dir: None,
            state: Mutex::new(State::default()),
        }
    }

    /// Also writes every page to `dir` as `NNNN.png` and `NNNN.txt`, numbered on from the
    /// pages already there (a till restarted keeps adding to the same roll).
    pub fn saving_to(mut self, dir: PathBuf) -> VirtualPrinter {
        let last = std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                name.strip_suffix(".png")?.parse::<usize>().ok()
            })
            .max()
            .unwrap_or(0);
        lock(&self.state).saved = last;
        self.save_dir = Some(dir);
        self
    }

    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// Paper out / cover open, as the sensors would report them.
    pub fn set_status(&self, status: PrinterStatus) {
        lock(&self.state).sensors = Sensors {
            paper_out: status.paper_out,
            cover_open: status.cover_open,
        };
    }

    pub fn drawer_kicks(&self) -> u32 {
        lock(&self.state).drawer_kicks
    }

    /// The bytes of the jobs kept (the last 32).
    pub fn jobs(&self) -> Vec<Vec<u8>> {
        lock(&self.state).jobs.iter().map(|j| j.bytes.clone()).collect()
    }

    fn draw(&self, job: &mut Job) -> Vec<Page> {
        let (dots, half) = (self.profile.dots(), self.profile.half_dot_feed);
        job.pages
            .get_or_insert_with(|| {
                let mut settings = Settings::new(dots, job.double_byte);
                settings.half_dot_feed = half;
                interpret(&job.bytes, settings).0
            })
            .clone()
    }

    /// The pages of the jobs kept (the last 32), drawn.
    pub fn pages(&self) -> Vec<Page> {
        let mut st = lock(&self.state);
        let mut out = Vec::new();
        for job in st.jobs.iter_mut() {
            out.extend(self.draw(job));
        }
        out
    }

    /// The last page printed, drawn.
    pub fn last_page(&self) -> Option<Page> {
        self.pages().pop()
    }

    fn profile_for(&self, doc: &ReceiptDoc) -> Profile {
        let mut p = self.profile.clone();
        if self.auto {
            p.chinese = ChineseMode::for_text(&doc_text(doc));
        }
        p
    }

    /// Writes the pages of the last job to the save directory.
    fn save_last_job(&self) -> Result<(), PrinterError> {
        let Some(dir) = &self.save_dir else {
            return Ok(());
        };
        std::fs::create_dir_all(dir)?;
        let mut st = lock(&self.state);
        let pages = match st.jobs.back_mut() {
            Some(job) => self.draw(job),
            None => return Ok(()),
        };
        for page in pages {
            st.saved += 1;
            std::fs::write(dir.join(format!("{:04}.png", st.saved)), page.on_paper().to_png()?)?;
            std::fs::write(dir.join(format!("{:04}.txt", st.saved)), &page.text)?;
        }
        Ok(())
    }
}

#[async_trait]
impl ReceiptPrinter for VirtualPrinter {
    async fn status(&self) -> Result<PrinterStatus, DeviceError> {
        let s = lock(&self.state).sensors;
        Ok(PrinterStatus {
            paper_out: s.paper_out,
            cover_open: s.cover_open,
        })
    }

    async fn print(&self, doc: &ReceiptDoc) -> Result<(), DeviceError> {
        let sensors = lock(&self.state).sensors;
        if sensors.paper_out {
            return Err(DeviceError::PaperOut);
        }
        if sensors.cover_open {
            return Err(DeviceError::CoverOpen);
        }
        let profile = self.profile_for(doc);
        let bytes = render(doc, &profile);
        let double_byte =
            profile
                .chinese
                .double_byte()
                .unwrap_or_else(|| match ChineseMode::for_text(&doc_text(doc)) {
                    ChineseMode::Big5 => DoubleByte::Big5,
                    _ => DoubleByte::Gb18030,
                });
        {
            let mut st = lock(&self.state);
            st.jobs.push_back(Job {
                bytes,
                double_byte,
                pages: None,
            });
            while st.jobs.len() > KEEP_JOBS {
                st.jobs.pop_front();
            }
        }
        self.save_last_job()
            .map_err(|e| DeviceError::Unavailable(format!("saving the page: {e}")))
    }

    async fn kick_drawer(&self) -> Result<(), DeviceError> {
        lock(&self.state).drawer_kicks += 1;
        Ok(())
    }
}

/// The interpreter as a device on a byte stream: it reads what the driver sends, answers
/// DLE EOT and GS r, and keeps the pages.
#[derive(Debug, Clone)]
pub struct VirtualDevice {
    inner: Arc<Mutex<Interpreter>>,
    pages: Arc<Mutex<Vec<Page>>>,
}

impl VirtualDevice {
    pub fn new(settings: Settings) -> VirtualDevice {
        VirtualDevice {
            inner: Arc::new(Mutex::new(Interpreter::new(settings))),
            pages: Arc::new(Mutex::new(Vec::new())),
        }
    }

    pub fn set_sensors(&self, sensors: Sensors) {
        let mut i = lock(&self.inner);
        i.set_sensors(sensors);
        let done = i.take_pages();
        lock(&self.pages).extend(done);
    }

    /// Pages cut so far.
    pub fn pages(&self) -> Vec<Page> {
        lock(&self.pages).clone()
    }

    pub fn drawer_kicks(&self) -> u32 {
        lock(&self.inner).drawer_kicks()
    }

    /// Serves one connection until the other end closes it or, with `unplug_after`, until that
    /// many bytes have arrived — then drops the stream as a pulled cable would. Returns the
    /// bytes read.
    pub async fn serve<S>(&self, mut stream: S, unplug_after: Option<usize>) -> std::io::Result<usize>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let mut total = 0;
        let mut buf = [0u8; 512];
        loop {
            let want = unplug_after.map_or(buf.len(), |limit| limit.saturating_sub(total).min(buf.len()));
            if want == 0 {
                return Ok(total);
            }
            let n = match stream.read(&mut buf[..want]).await {
                Ok(0) => return Ok(total),
                Ok(n) => n,
                // A pseudo-terminal whose other side closed reads as EIO: the end.
                Err(e) if e.raw_os_error() == Some(5) => return Ok(total),
                Err(e) => return Err(e),
            };
            total += n;
            let replies = {
                let mut i = lock(&self.inner);
                let r = i.feed(&buf[..n]);
                let done = i.take_pages();
                lock(&self.pages).extend(done);
                r
            };
            if !replies.is_empty() {
                stream.write_all(&replies).await?;
                stream.flush().await?;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Paper;
    use till_domain::receipt::{Line, Text};

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn doc(text: &str) -> ReceiptDoc {
        ReceiptDoc {
            lines: vec![
                Line::Pair {
                    label: Text::raw(text),
                    value: "HKD 1.00".into(),
                },
                Line::Cut,
            ],
        }
    }

    #[tokio::test]
    async fn pages_are_kept_and_picked_per_receipt_script() -> TestResult {
        let p = VirtualPrinter::new(Profile::new(Paper::Mm58, ChineseMode::Gb18030), None);
        p.print(&doc("TOTAL 總額")).await?;
        p.print(&doc("TOTAL 总额")).await?;
        let pages = p.pages();
        assert_eq!(pages.len(), 2);
        assert_eq!(pages[0].text, "TOTAL 總額              HKD 1.00\n");
        assert_eq!(pages[1].text, "TOTAL 总额              HKD 1.00\n");
        let jobs = p.jobs();
        assert!(
            jobs[0].windows(2).any(|w| w == [0xC1, 0x60]),
            "總 in Big5 for a Traditional receipt"
        );
        assert!(
            jobs[1].windows(2).any(|w| w == [0xD7, 0xDC]),
            "总 in GB18030 for a Simplified one"
        );
        for _ in 0..KEEP_JOBS {
            p.print(&doc("X")).await?;
        }
        assert_eq!(p.jobs().len(), KEEP_JOBS, "an all-day till keeps only recent pages");
        Ok(())
    }

    #[tokio::test]
    async fn no_paper_no_page() -> TestResult {
        let p = VirtualPrinter::new(Profile::new(Paper::Mm80, ChineseMode::Big5), Some(ChineseMode::Big5));
        p.set_status(PrinterStatus {
            paper_out: true,
            cover_open: false,
        });
        assert!(p.status().await?.paper_out);
        assert_eq!(p.print(&doc("A")).await, Err(DeviceError::PaperOut));
        assert!(p.pages().is_empty());
        Ok(())
    }

    #[tokio::test]
    async fn saved_pages_number_on_across_restarts() -> TestResult {
        let dir = std::env::temp_dir().join(format!("opentill-vp-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for _ in 0..2 {
            let p = VirtualPrinter::new(Profile::new(Paper::Mm58, ChineseMode::Big5), None).saving_to(dir.clone());
            p.print(&doc("A")).await?;
        }
        assert!(dir.join("0001.png").exists() && dir.join("0002.png").exists());
        assert_eq!(
            std::fs::read_to_string(dir.join("0002.txt"))?,
            "A                       HKD 1.00\n"
        );
        std::fs::remove_dir_all(&dir)?;
        Ok(())
    }
}
