// Settings → Devices (T13): each device's state and Test, and for a manager its form —
// PIN pad and printer (the wizard's pickers), code scanner and customer display — checked,
// tested and applied at once (src-tauri/src/shell/devices.rs).
import { useEffect, useState } from "preact/hooks";
import {
  api,
  asTillError,
  type DeviceIn,
  type DeviceSettings,
  type DeviceTest,
  type DisplaySection,
  type ScannerSection,
  type TillError,
} from "../api";
import { errorText, useCtx, useT } from "../ctx";
import {
  NEW_PRINTER,
  NEW_TERMINAL,
  PaperChoice,
  PortSelect,
  PrinterPicker,
  TerminalPicker,
  TestLine,
  printerChoice,
  printerIn,
  terminalChoice,
  terminalIn,
  type PickerProps,
  type PrinterChoice,
  type TerminalChoice,
  type Tested,
} from "../devicepick";
import { useLive } from "../live";
import { Btn, ErrorBox } from "../ui";

const DEVICES = ["terminal", "printer", "scanner", "display"] as const;
type Device = (typeof DEVICES)[number];
type T = (id: string, args?: Record<string, string>) => string;
const BAUDS = ["1200", "2400", "4800", "9600", "19200", "38400", "57600", "115200"];

export function Devices() {
  const { status, lang, session } = useCtx();
  const t = useT();
  const live = useLive();
  const manager = session?.may.includes("settings") ?? false;
  const [editing, setEditing] = useState<Device | null>(null);
  const [tests, setTests] = useState<Record<string, DeviceTest | TillError | "running">>({});
  const test = async (d: string) => {
    setTests((x) => ({ ...x, [d]: "running" }));
    try {
      const r = await api.testDevice(d);
      setTests((x) => ({ ...x, [d]: r }));
    } catch (e) {
      setTests((x) => ({ ...x, [d]: asTillError(e) }));
    }
  };
  return (
    <div class="card" data-testid="settings-devices">
      <h2>{t("app-devices")}</h2>
      <table class="devices">
        <tbody>
          {DEVICES.map((d) => {
            const st = status?.[d];
            const r = tests[d];
            return (
              <tr key={d} data-testid={`device-${d}`}>
                <th>
                  <span class={`dev ${st?.state ?? "warning"}`}>
                    <i />
                    {t(`app-device-name-${d}`)}
                  </span>
                </th>
                <td class="small">
                  {st ? t(st.message_id) : ""}
                  {r && r !== "running" && (
                    <div data-testid={`device-${d}-result`} class={"ok" in r && r.ok ? "ok-text" : "error-text"}>
                      {"ok" in r ? `${t(r.message_id)} ${r.detail}` : <ErrorBox error={r} testid={`device-${d}-error`} />}
                    </div>
                  )}
                  {d === "scanner" && r === "running" && live.frame && (
                    <img class="thumb" src={live.frame} alt={t("app-camera-preview")} data-testid="device-scanner-preview" />
                  )}
                </td>
                <td class="actions">
                  <Btn testid={`device-${d}-test`} onClick={() => void test(d)} disabled={r === "running"}>
                    {r === "running" ? t("app-testing") : t("app-test")}
                  </Btn>
                  {manager && (
                    <Btn testid={`device-${d}-change`} onClick={() => setEditing(editing === d ? null : d)}>
                      {t("app-device-change")}
                    </Btn>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {editing && <DeviceEditor key={editing} device={editing} onClose={() => setEditing(null)} />}
      <p class="muted small" lang={lang}>
        {t("app-host-line", { state: status ? t(status.host.message_id) : "", backlog: status?.backlog ?? 0 })}
      </p>
    </div>
  );
}

/** Lines typed in a text box, blank ones left out. */
function lines(text: string): string[] {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}

/** Settings → Devices → Change (Manager): the same form as the setup wizard's, tested before it
 *  is saved; the till goes on with the new device at once (src-tauri/src/shell.rs set_device). */
function DeviceEditor({ device, onClose }: { device: Device; onClose: () => void }) {
  const { lang, setInfo } = useCtx();
  const t = useT();
  const [current, setCurrent] = useState<DeviceSettings | null>(null);
  const [terminal, setTerminal] = useState<TerminalChoice>(NEW_TERMINAL);
  const [printer, setPrinter] = useState<PrinterChoice>(NEW_PRINTER);
  const [paper, setPaper] = useState("80mm");
  const [extras, setExtras] = useState({ chinese: "", logo: "", header: "", footer: "" });
  const [scanner, setScanner] = useState<ScannerSection>({ kind: "folder" });
  const [display, setDisplay] = useState<DisplaySection>({ kind: "none" });
  const [tested, setTested] = useState<Tested>(null);
  const [error, setError] = useState<TillError | null>(null);
  const [state, setState] = useState<"idle" | "saving" | "saved">("idle");
  useEffect(() => {
    api.deviceSettings().then(
      (s) => {
        setCurrent(s);
        if (s.terminal) setTerminal(terminalChoice(s.terminal));
        if (s.printer) setPrinter(printerChoice(s.printer));
        setPaper(s.paper);
        setExtras({ chinese: s.chinese, logo: s.logo, header: s.header.join("\n"), footer: s.footer.join("\n") });
        setScanner(s.scanner);
        setDisplay(s.display);
      },
      (e) => setError(asTillError(e)),
    );
  }, []);
  const change = (): DeviceIn => {
    switch (device) {
      case "terminal":
        return { device, terminal: terminalIn(terminal) };
      case "scanner":
        return { device, scanner };
      case "display":
        return { device, display };
      default:
        return {
          device,
          printer: printerIn(printer),
          paper,
          chinese: extras.chinese,
          logo: extras.logo,
          header: lines(extras.header),
          footer: lines(extras.footer),
        };
    }
  };
  const edited = () => {
    setTested(null);
    setError(null);
    setState("idle");
  };
  const tryIt = async () => {
    setTested("testing");
    try {
      const detail = await api.tryDevice(change());
      setTested({ ok: true, text: [t("app-setup-test-ok"), detail].filter(Boolean).join(" ") });
    } catch (e) {
      setTested({ ok: false, text: errorText(lang, asTillError(e)) });
    }
  };
  const save = async () => {
    setError(null);
    setState("saving");
    try {
      setInfo(await api.setDevice(change()));
      setState("saved");
    } catch (e) {
      setError(asTillError(e));
      setState("idle");
    }
  };
  const props = { t, prefix: "settings", ports: current?.ports ?? null, tested, onTest: () => void tryIt() };
  return (
    <div class="form device-editor" data-testid={`settings-${device}-editor`} data-loaded={String(!!current)}>
      {device === "scanner" && (
        <ScannerForm
          {...props}
          value={scanner}
          cameras={current?.cameras ?? null}
          onChange={(c) => {
            setScanner(c);
            edited();
          }}
        />
      )}
      {device === "display" && (
        <DisplayForm
          {...props}
          value={display}
          onChange={(c) => {
            setDisplay(c);
            edited();
          }}
        />
      )}
      {device === "terminal" && (
        <TerminalPicker
          {...props}
          value={terminal}
          onChange={(c) => {
            setTerminal(c);
            edited();
          }}
        />
      )}
      {device === "printer" && (
        <>
          <PrinterPicker
            {...props}
            value={printer}
            onChange={(c) => {
              setPrinter(c);
              edited();
            }}
          />
          <PaperChoice
            t={t}
            prefix="settings"
            value={paper}
            onChange={(p) => {
              setPaper(p);
              edited();
            }}
          />
          <fieldset class="device">
            <legend>{t("app-printer-receipt")}</legend>
            <label>
              {t("app-printer-chinese")}
              <select
                data-testid="settings-printer-chinese"
                value={extras.chinese}
                onChange={(e) => {
                  setExtras({ ...extras, chinese: e.currentTarget.value });
                  edited();
                }}
              >
                {["", "gb18030", "big5", "raster"].map((c) => (
                  <option key={c} value={c}>
                    {t(`app-printer-chinese-${c || "none"}`)}
                  </option>
                ))}
              </select>
            </label>
            <label>
              {t("app-printer-logo")}
              <input
                data-testid="settings-printer-logo"
                autoComplete="off"
                value={extras.logo}
                placeholder="/etc/opentill/logo.png"
                onInput={(e) => {
                  setExtras({ ...extras, logo: e.currentTarget.value });
                  edited();
                }}
              />
            </label>
            {(["header", "footer"] as const).map((k) => (
              <label key={k}>
                {t(`app-receipt-${k}`)}
                <textarea
                  data-testid={`settings-printer-${k}`}
                  rows={2}
                  value={extras[k]}
                  onInput={(e) => {
                    setExtras({ ...extras, [k]: e.currentTarget.value });
                    edited();
                  }}
                />
                <span class="muted small">{t("app-receipt-lines-hint")}</span>
              </label>
            ))}
          </fieldset>
        </>
      )}
      {current && ((device === "terminal" && !current.terminal) || (device === "printer" && !current.printer)) && (
        <p class="muted small">{t("app-device-set-elsewhere")}</p>
      )}
      <ErrorBox error={error} testid={`settings-${device}-error`} />
      {state === "saved" && (
        <p class="notice small" data-testid={`settings-${device}-saved`}>
          {t("app-device-saved")}
        </p>
      )}
      <div class="row end">
        <Btn testid={`settings-${device}-cancel`} onClick={onClose}>
          {t("app-close")}
        </Btn>
        <Btn
          kind="primary"
          testid={`settings-${device}-save`}
          disabled={!current || state === "saving"}
          onClick={() => void save()}
        >
          {state === "saving" ? t("app-device-saving") : t("app-save")}
        </Btn>
      </div>
    </div>
  );
}

type FormProps<C> = PickerProps<C>;

function Baud({ t, testid, value, onChange }: { t: T; testid: string; value: number; onChange: (b: number) => void }) {
  return (
    <label>
      {t("app-setup-baud")}
      <select data-testid={testid} value={String(value)} onChange={(e) => onChange(Number(e.currentTarget.value))}>
        {BAUDS.map((b) => (
          <option key={b} value={b}>
            {b}
          </option>
        ))}
      </select>
    </label>
  );
}

/** The QR scanner: the demo's folder camera, a webcam from the machine's list ("no camera
 *  found" when it has none), a scanner on a port, or a keyboard scanner. Test = show a code. */
function ScannerForm(props: FormProps<ScannerSection> & { cameras: string[] | null }) {
  const { t, value, onChange, tested } = props;
  const live = useLive();
  const kinds: ScannerSection["kind"][] = ["folder", "camera", "serial", "wedge"];
  const pick = (kind: ScannerSection["kind"]): ScannerSection => {
    switch (kind) {
      case "camera":
        return { kind, index: 0, size: "1280x720" };
      case "serial":
        return { kind, port: "", baud: 9600 };
      case "wedge":
        return { kind };
      default:
        return { kind: "folder" };
    }
  };
  return (
    <fieldset class="device">
      <legend>{t("app-scanner-kind")}</legend>
      <select
        data-testid="settings-scanner-kind"
        value={value.kind}
        onChange={(e) => onChange(pick(e.currentTarget.value as ScannerSection["kind"]))}
      >
        {kinds.map((k) => (
          <option key={k} value={k}>
            {t(`app-scanner-${k}`)}
          </option>
        ))}
      </select>
      {value.kind === "folder" && (
        <label>
          {t("app-scanner-folder-path")}
          <input
            data-testid="settings-scanner-folder"
            autoComplete="off"
            value={value.path ?? ""}
            onInput={(e) => onChange({ kind: "folder", path: e.currentTarget.value || undefined })}
          />
        </label>
      )}
      {value.kind === "camera" &&
        (props.cameras && props.cameras.length === 0 ? (
          <p class="error-text" data-testid="settings-scanner-no-camera">
            {t("app-scanner-no-camera")}
          </p>
        ) : (
          <div class="row wrap">
            <label>
              {t("app-scanner-camera")}
              <select
                data-testid="settings-scanner-camera"
                value={String(value.index)}
                onChange={(e) => onChange({ ...value, index: Number(e.currentTarget.value) })}
              >
                {(props.cameras ?? []).map((c) => (
                  <option key={c} value={c.replace(/^.*video/, "")}>
                    {c}
                  </option>
                ))}
              </select>
            </label>
            <label>
              {t("app-scanner-camera-size")}
              <select
                data-testid="settings-scanner-size"
                value={value.size ?? "1280x720"}
                onChange={(e) => onChange({ ...value, size: e.currentTarget.value })}
              >
                {["640x480", "1280x720", "1920x1080"].map((s) => (
                  <option key={s} value={s}>
                    {s}
                  </option>
                ))}
              </select>
            </label>
          </div>
        ))}
      {value.kind === "serial" && (
        <div class="row wrap">
          <PortSelect
            t={t}
            testid="settings-scanner-port"
            value={value.port}
            ports={props.ports}
            onChange={(port) => onChange({ ...value, port })}
          />
          <Baud t={t} testid="settings-scanner-baud" value={value.baud} onChange={(baud) => onChange({ ...value, baud })} />
        </div>
      )}
      {value.kind === "wedge" && <p class="muted small">{t("app-scanner-wedge-hint")}</p>}
      <button
        type="button"
        class="btn plain"
        data-testid="settings-scanner-test"
        disabled={tested === "testing"}
        onClick={props.onTest}
      >
        {t("app-setup-test")}
      </button>
      {tested === "testing" && <p class="muted small">{t("app-scanner-test-hint")}</p>}
      {tested === "testing" && value.kind !== "serial" && value.kind !== "wedge" && live.frame && (
        <img class="thumb" src={live.frame} alt={t("app-camera-preview")} data-testid="settings-scanner-preview" />
      )}
      <TestLine t={t} testid="settings-scanner-result" tested={tested} />
    </fieldset>
  );
}

/** The customer display: none, the customer screen on a monitor (full screen, or a window at a
 *  position and size), or a pole display on a port. Test = a sample shown. */
function DisplayForm(props: FormProps<DisplaySection>) {
  const { t, value, onChange, tested } = props;
  const kinds: DisplaySection["kind"][] = ["none", "screen", "pole"];
  const pick = (kind: DisplaySection["kind"]): DisplaySection => {
    switch (kind) {
      case "screen":
        return { kind, fullscreen: true };
      case "pole":
        return { kind, port: "", baud: 9600 };
      default:
        return { kind: "none" };
    }
  };
  return (
    <fieldset class="device">
      <legend>{t("app-display-kind")}</legend>
      <select
        data-testid="settings-display-kind"
        value={value.kind}
        onChange={(e) => onChange(pick(e.currentTarget.value as DisplaySection["kind"]))}
      >
        {kinds.map((k) => (
          <option key={k} value={k}>
            {t(`app-display-${k}`)}
          </option>
        ))}
      </select>
      {value.kind === "screen" && (
        <>
          <label class="inline">
            <input
              type="checkbox"
              data-testid="settings-display-fullscreen"
              checked={value.fullscreen}
              onChange={(e) => onChange({ ...value, fullscreen: e.currentTarget.checked })}
            />
            {t("app-display-fullscreen")}
          </label>
          <div class="row wrap">
            <label>
              {t("app-display-position")}
              <input
                data-testid="settings-display-position"
                autoComplete="off"
                placeholder="1920,0"
                value={value.position ?? ""}
                onInput={(e) => onChange({ ...value, position: e.currentTarget.value || undefined })}
              />
            </label>
            {!value.fullscreen && (
              <label>
                {t("app-display-size")}
                <input
                  data-testid="settings-display-size"
                  autoComplete="off"
                  placeholder="800x480"
                  value={value.size ?? ""}
                  onInput={(e) => onChange({ ...value, size: e.currentTarget.value || undefined })}
                />
              </label>
            )}
          </div>
        </>
      )}
      {value.kind === "pole" && (
        <div class="row wrap">
          <PortSelect
            t={t}
            testid="settings-display-port"
            value={value.port}
            ports={props.ports}
            onChange={(port) => onChange({ ...value, port })}
          />
          <Baud t={t} testid="settings-display-baud" value={value.baud} onChange={(baud) => onChange({ ...value, baud })} />
          <label>
            {t("app-display-charset")}
            <select
              data-testid="settings-display-charset"
              value={value.charset ?? "latin"}
              onChange={(e) => onChange({ ...value, charset: e.currentTarget.value })}
            >
              {["latin", "gb18030", "big5"].map((c) => (
                <option key={c} value={c}>
                  {t(`app-display-charset-${c}`)}
                </option>
              ))}
            </select>
          </label>
        </div>
      )}
      <button
        type="button"
        class="btn plain"
        data-testid="settings-display-test"
        disabled={tested === "testing"}
        onClick={props.onTest}
      >
        {t("app-setup-test")}
      </button>
      <TestLine t={t} testid="settings-display-result" tested={tested} />
    </fieldset>
  );
}
