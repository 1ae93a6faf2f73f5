//! `till devices list` on this machine: a pseudo-terminal the test opens is listed (the serial
//! scan cannot see one, so the list adds /dev/pts explicitly), and a machine without a camera
//! says so rather than failing.

use crate::support::*;

#[test]
fn devices_list_shows_a_pseudo_terminal_the_test_opened() -> TestResult {
    let dir = till_testkit::TempDir::new("devices-list");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let _entered = runtime.enter();
    let pty = till_terminal::pty::PtyMaster::open()?;
    let path = pty.path().to_string_lossy().into_owned();

    let o = till(dir.path(), "en", &["--json", "devices", "list"]);
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout)?;
    let ports = v["data"]["serial_ports"].as_array().ok_or("a list of serial ports")?;
    let ours = ports
        .iter()
        .find(|p| p["path"] == path.as_str())
        .ok_or_else(|| format!("{path} is not in {ports:?}"))?;
    assert_eq!(ours["kind"], "pseudo-terminal");
    assert!(v["data"]["cameras"].is_array(), "cameras are listed, even none: {v}");

    let human = till(dir.path(), "zh-Hant", &["devices", "list"]);
    let said = text(&human);
    assert!(human.status.success(), "{said}");
    assert!(said.contains(&format!("{path} — 虛擬終端機")), "{said}");
    let cameras = v["data"]["cameras"].as_array().map_or(0, Vec::len);
    if cameras == 0 {
        assert!(said.contains("找不到攝影機"), "no camera is said clearly: {said}");
    }
    // (No check that a closed one disappears: other programs here open pseudo-terminals all
    // the time, and the number is reused at once.)
    drop(pty);
    Ok(())
}
