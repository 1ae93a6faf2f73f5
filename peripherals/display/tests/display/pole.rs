//! The pole display driver over a real pseudo-terminal (tokio-serial opening the device):
//! the exact bytes for each prompt.

use std::time::Duration;
use till_display::PoleDisplay;
use till_display::pole::{self, Charset, CommandSet, PoleProfile};
use till_domain::ports::{CustomerDisplay, DisplaySnapshot};
use till_terminal::pty::PtyMaster;
use tokio::io::AsyncReadExt;

type TestResult = Result<(), Box<dyn std::error::Error>>;

async fn read_exactly(master: &mut PtyMaster, n: usize) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let mut got = vec![0u8; n];
    tokio::time::timeout(Duration::from_secs(5), master.read_exact(&mut got)).await??;
    Ok(got)
}

#[tokio::test]
async fn every_prompt_as_exact_bytes_over_a_serial_line() -> TestResult {
    let mut master = PtyMaster::open()?;
    let path = master.path().display().to_string();
    let profile = PoleProfile {
        commands: CommandSet::EscPos,
        charset: Charset::Big5,
        brightness: 3,
    };
    let display = PoleDisplay::open(&path, 9600, profile).await?;
    assert_eq!(
        read_exactly(&mut master, 9).await?,
        vec![0x1B, 0x40, 0x1F, 0x58, 3, 0x1B, 0x74, 0x00, 0x0C],
        "init"
    );
    let snapshots = [
        DisplaySnapshot::Idle { text: "Welcome".into() },
        DisplaySnapshot::Amount {
            amount: "HK$38.50".into(),
            tip: "HK$5.00".into(),
            total: "HK$43.50".into(),
            labels: ["金額".into(), "小費".into(), "總額".into()],
        },
        DisplaySnapshot::QrToScan {
            payload: "000201...".into(),
            total: "HK$20.00".into(),
            prompt: "Scan to pay".into(),
            expires_at: chrono::DateTime::UNIX_EPOCH,
        },
        DisplaySnapshot::Prompt {
            text: "Insert, tap or swipe the card on the PIN pad".into(),
        },
        DisplaySnapshot::Result {
            approved: true,
            text: "APPROVED".into(),
        },
        DisplaySnapshot::ThankYou {
            text: "多謝惠顧！".into(),
        },
    ];
    for snap in &snapshots {
        display.show(snap).await?;
        let expected = pole::render(snap, &profile);
        assert_eq!(read_exactly(&mut master, expected.len()).await?, expected, "{snap:?}");
    }
    // Spot checks of the bytes themselves, independent of `render`.
    let amount = pole::render(&snapshots[1], &profile);
    assert_eq!(
        &amount[..7],
        &[0x0C, 0x1F, 0x24, 1, 1, 0x1C, 0x26],
        "clear, line 1, enter double-byte mode"
    );
    assert_eq!(&amount[7..11], &[0xC1, 0x60, 0xC3, 0x42], "總額 in Big5");
    let prompt = pole::lines(&snapshots[3]);
    assert_eq!(
        prompt,
        ("Insert, tap or swipe".into(), "the card on the PIN ".into()),
        "a long prompt on two lines"
    );
    Ok(())
}
