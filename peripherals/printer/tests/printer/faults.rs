//! Printer faults through a real till: the real driver talks to the virtual printer as a
//! device over a pseudo-terminal (serial, and the USB device-file transport) and over TCP.
//! Paper out and cover open are reported before anything is sent; a printer unplugged in the
//! middle of a receipt is a clear error; in every case the sale stays recorded and prints
//! again from history once the printer is back.

use crate::support::*;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use till_domain::PaymentMeans;
use till_domain::TxnStatus;
use till_domain::ports::DeviceError;
use till_journal::HistoryQuery;
use till_printer::{
    ChineseMode, Connection, DoubleByte, EscPosPrinter, FlowControl, Glyphs, Paper, Profile, Sensors, Settings,
    Timeouts, VirtualDevice,
};
use tokio_serial::{SerialPort, SerialStream};

fn device() -> VirtualDevice {
    VirtualDevice::new(Settings {
        dots: 576,
        double_byte: DoubleByte::Big5,
        half_dot_feed: false,
        glyphs: Arc::new(Glyphs::boxes()),
    })
}

fn printer(connection: Connection) -> Arc<EscPosPrinter> {
    Arc::new(
        EscPosPrinter::new(Profile::new(Paper::Mm80, ChineseMode::Big5), connection).with_timeouts(Timeouts {
            connect: Duration::from_secs(2),
            status: Duration::from_millis(300),
            print: Duration::from_secs(3),
        }),
    )
}

/// A new pseudo-terminal with `device` on its master side, `link` pointing at its slave (as
/// /dev/serial/by-id/… points at a USB-serial adapter). The slave handle returned must be kept:
/// while any slave is open the device sees a line, not a hang-up.
fn plug(device: &VirtualDevice, link: &Path, unplug_after: Option<usize>) -> Result<SerialStream, Error> {
    let (master, slave) = SerialStream::pair()?;
    let name = slave.name().ok_or("the pseudo-terminal has a name")?;
    let _ = std::fs::remove_file(link);
    std::os::unix::fs::symlink(&name, link)?;
    let device = device.clone();
    tokio::spawn(async move { device.serve(master, unplug_after).await });
    Ok(slave)
}

fn serial(link: &Path) -> Connection {
    Connection::Serial {
        path: link.to_path_buf(),
        baud: 115_200,
        flow: FlowControl::None,
    }
}

async fn recorded(r: &Rig, trace: till_domain::TraceNo) -> Result<TxnStatus, Error> {
    let found = r.till.history(HistoryQuery {
        trace: Some(trace),
        ..HistoryQuery::default()
    })?;
    Ok(found.first().ok_or("the sale is in the journal")?.status)
}

fn reprints(device: &VirtualDevice) -> usize {
    device
        .pages()
        .iter()
        .filter(|p| p.text.contains("REPRINT") && p.cut)
        .count()
}

#[tokio::test]
async fn paper_out_and_cover_open_are_reported_before_printing() -> TestResult {
    let tmp = till_testkit::TempDir::new("printer-paper");
    let link = tmp.path().join("printer");
    let dev = device();
    dev.set_sensors(Sensors {
        paper_out: true,
        cover_open: false,
    });
    let _slave = plug(&dev, &link, None)?;
    let r = rig(Some(printer(serial(&link))))?;
    let sale = r.sale(3850, 500, PaymentMeans::Card).await?;
    assert_eq!(
        sale.txn.status,
        TxnStatus::Approved,
        "the sale does not depend on the printer"
    );
    assert_eq!(sale.print_error, Some(DeviceError::PaperOut));
    assert!(dev.pages().is_empty(), "nothing was sent to a printer without paper");
    assert_eq!(recorded(&r, sale.txn.trace).await?, TxnStatus::Approved);

    dev.set_sensors(Sensors {
        paper_out: false,
        cover_open: true,
    });
    let again = r.till.reprint(sale.txn.trace).await?;
    assert_eq!(again.print_error, Some(DeviceError::CoverOpen));
    assert!(dev.pages().is_empty());

    dev.set_sensors(Sensors::default());
    let again = r.till.reprint(sale.txn.trace).await?;
    assert_eq!(again.print_error, None);
    assert_eq!(
        reprints(&dev),
        2,
        "merchant and customer copies, marked REPRINT: {:?}",
        dev.pages()
    );
    Ok(())
}

#[tokio::test]
async fn a_serial_printer_unplugged_mid_receipt() -> TestResult {
    let tmp = till_testkit::TempDir::new("printer-serial");
    let link = tmp.path().join("ttyPRINTER");
    let first = device();
    let _slave = plug(&first, &link, Some(300))?;
    let r = rig(Some(printer(serial(&link))))?;
    let sale = r.sale(3850, 500, PaymentMeans::Card).await?;
    assert_eq!(sale.txn.status, TxnStatus::Approved);
    let err = sale.print_error.ok_or("the failed print is reported")?;
    assert!(
        matches!(&err, DeviceError::LineLost(d) if d.contains(&link.display().to_string())),
        "a lost line, naming the port: {err:?}"
    );
    assert!(first.pages().is_empty(), "no receipt was completed");
    assert_eq!(recorded(&r, sale.txn.trace).await?, TxnStatus::Approved);

    // Plugged back in (a new device node behind the same name): reprint from history.
    let second = device();
    let _slave2 = plug(&second, &link, None)?;
    let again = r.till.reprint(sale.txn.trace).await?;
    assert_eq!(again.print_error, None);
    assert_eq!(reprints(&second), 2);
    Ok(())
}

#[tokio::test]
async fn a_network_printer_unplugged_mid_receipt() -> TestResult {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?.to_string();
    let (first, second) = (device(), device());
    let (f, s) = (first.clone(), second.clone());
    tokio::spawn(async move {
        // The first connection dies after 300 bytes; later ones are served in full.
        let mut n = 0;
        while let Ok((stream, _)) = listener.accept().await {
            let dev = if n == 0 { f.clone() } else { s.clone() };
            let limit = (n == 0).then_some(300);
            n += 1;
            tokio::spawn(async move { dev.serve(stream, limit).await });
        }
    });
    let r = rig(Some(printer(Connection::Tcp { addr: addr.clone() })))?;
    let sale = r.sale(1200, 0, PaymentMeans::QrCustomer).await?;
    assert_eq!(sale.txn.status, TxnStatus::Approved);
    let err = sale.print_error.ok_or("the failed print is reported")?;
    assert!(
        matches!(&err, DeviceError::LineLost(d) if d.contains(&addr)) || err == DeviceError::Timeout,
        "{err:?}"
    );
    assert!(first.pages().is_empty());
    assert_eq!(recorded(&r, sale.txn.trace).await?, TxnStatus::Approved);
    let again = r.till.reprint(sale.txn.trace).await?;
    assert_eq!(again.print_error, None);
    assert_eq!(reprints(&second), 2);
    Ok(())
}

#[tokio::test]
async fn a_printer_that_is_not_there_is_unavailable_and_nothing_is_lost() -> TestResult {
    let tmp = till_testkit::TempDir::new("printer-absent");
    let r = rig(Some(printer(serial(&tmp.path().join("no-such-port")))))?;
    let sale = r.sale(2000, 0, PaymentMeans::Cash).await?;
    assert_eq!(sale.txn.status, TxnStatus::Approved);
    assert!(
        matches!(sale.print_error, Some(DeviceError::Unavailable(_))),
        "{:?}",
        sale.print_error
    );
    assert_eq!(recorded(&r, sale.txn.trace).await?, TxnStatus::Approved);
    Ok(())
}

#[tokio::test]
async fn the_usb_printer_class_device_and_the_drawer() -> TestResult {
    // /dev/usb/lp0 is a character device read and written as a file: a pseudo-terminal is one.
    let tmp = till_testkit::TempDir::new("printer-usb");
    let link = tmp.path().join("lp0");
    let dev = device();
    let _slave = plug(&dev, &link, None)?;
    let r = rig(Some(printer(Connection::Usb { path: link.clone() })))?;
    let sale = r.sale(2000, 0, PaymentMeans::Cash).await?;
    assert_eq!(sale.print_error, None);
    assert_eq!(dev.pages().len(), 2, "both copies printed");
    // The drawer kick is written after the receipts; give the device a moment to read it.
    for _ in 0..100 {
        if dev.drawer_kicks() > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(dev.drawer_kicks(), 1, "cash opens the drawer");
    Ok(())
}

#[tokio::test]
async fn a_file_gets_exactly_the_receipt_bytes() -> TestResult {
    let tmp = till_testkit::TempDir::new("printer-file");
    let out: PathBuf = tmp.path().join("job.bin");
    let p = printer(Connection::File { path: out.clone() });
    let doc = card_receipt(till_i18n::Lang::ZhHant).await?;
    use till_domain::ports::ReceiptPrinter;
    assert_eq!(
        p.status().await?,
        till_domain::ports::PrinterStatus::default(),
        "a file has no sensors"
    );
    p.print(&doc).await?;
    assert_eq!(std::fs::read(&out)?, till_printer::render(&doc, p.profile()));
    Ok(())
}
