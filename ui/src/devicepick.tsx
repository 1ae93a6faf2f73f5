// The PIN pad and receipt printer pickers: one form for the setup wizard (S0) and for
// Settings → Devices (T13), so a till is set up and later changed with the same controls.
import type { SetupIn, SetupPorts } from "./api";

export type TerminalKind = "simulator" | "zvt-serial" | "zvt-tcp";
export type PrinterKind = "virtual" | "tcp" | "usb" | "serial" | "queue";
export type TerminalChoice = { kind: TerminalKind; path: string; address: string; baud: string; stopBits: string };
export type PrinterChoice = { kind: PrinterKind; path: string; address: string; baud: string };
export type Tested = { ok: boolean; text: string } | "testing" | null;
type T = (id: string, args?: Record<string, string>) => string;

export const NEW_TERMINAL: TerminalChoice = { kind: "simulator", path: "", address: "", baud: "9600", stopBits: "2" };
export const NEW_PRINTER: PrinterChoice = { kind: "virtual", path: "", address: "", baud: "19200" };

export function terminalIn(c: TerminalChoice): SetupIn["terminal"] {
  switch (c.kind) {
    case "zvt-serial":
      return { kind: "zvt-serial", path: c.path, baud: Number(c.baud) || 9600, stop_bits: Number(c.stopBits) || 2 };
    case "zvt-tcp":
      return { kind: "zvt-tcp", address: c.address };
    default:
      return { kind: "simulator" };
  }
}

export function printerIn(c: PrinterChoice): SetupIn["printer"] {
  switch (c.kind) {
    case "tcp":
      return { kind: "tcp", address: c.address };
    case "usb":
      return { kind: "usb", path: c.path };
    case "queue":
      return { kind: "queue", name: c.path };
    case "serial":
      return { kind: "serial", path: c.path, baud: Number(c.baud) || 19200 };
    default:
      return { kind: "virtual" };
  }
}

/** The form's state for a device as it is set now. */
export function terminalChoice(t: SetupIn["terminal"]): TerminalChoice {
  return {
    ...NEW_TERMINAL,
    kind: t.kind,
    path: "path" in t ? t.path : "",
    address: "address" in t ? t.address : "",
    baud: "baud" in t ? String(t.baud) : NEW_TERMINAL.baud,
    stopBits: "stop_bits" in t ? String(t.stop_bits) : NEW_TERMINAL.stopBits,
  };
}

export function printerChoice(p: SetupIn["printer"]): PrinterChoice {
  return {
    ...NEW_PRINTER,
    kind: p.kind,
    path: "path" in p ? p.path : "name" in p ? p.name : "",
    address: "address" in p ? p.address : "",
    baud: "baud" in p ? String(p.baud) : NEW_PRINTER.baud,
  };
}

export function Field(props: {
  label: string;
  testid: string;
  value: string;
  onInput: (v: string) => void;
  hint?: string;
  type?: string;
  disabled?: boolean;
  inputRef?: preact.Ref<HTMLInputElement>;
}) {
  return (
    <label>
      {props.label}
      <input
        ref={props.inputRef}
        data-testid={props.testid}
        type={props.type ?? "text"}
        autoComplete="off"
        disabled={props.disabled}
        value={props.value}
        onInput={(e) => props.onInput(e.currentTarget.value)}
      />
      {props.hint && <span class="muted small">{props.hint}</span>}
    </label>
  );
}

function portOptions(ports: SetupPorts | null) {
  return (ports?.serial_ports ?? []).map((p) => (
    <option key={p.path} value={p.path}>
      {[p.path, p.manufacturer, p.product, p.vid && p.pid ? `${p.vid}:${p.pid}` : null].filter(Boolean).join(" · ")}
    </option>
  ));
}

/** A serial port from the machine's list; one that was set before but is gone stays shown. */
export function PortSelect(props: { t: T; testid: string; value: string; ports: SetupPorts | null; onChange: (v: string) => void }) {
  const options = portOptions(props.ports);
  const known = (props.ports?.serial_ports ?? []).some((p) => p.path === props.value);
  return (
    <label>
      {props.t("app-setup-port")}
      <select data-testid={props.testid} value={props.value} onChange={(e) => props.onChange(e.currentTarget.value)}>
        <option value="">{options.length ? props.t("app-setup-choose") : props.t("app-setup-no-ports")}</option>
        {props.value && !known && <option value={props.value}>{props.value}</option>}
        {options}
      </select>
    </label>
  );
}

export function TestLine({ t, testid, tested }: { t: T; testid: string; tested: Tested }) {
  if (tested === null) return null;
  return (
    <p
      class={tested === "testing" ? "muted" : tested.ok ? "ok" : "error"}
      data-testid={testid}
      data-ok={tested === "testing" ? "" : String(tested.ok)}
    >
      {tested === "testing" ? t("app-setup-testing") : tested.text}
    </p>
  );
}

export type PickerProps<C> = {
  t: T;
  /** The testids' prefix: `setup` or `settings`. */
  prefix: string;
  value: C;
  onChange: (c: C) => void;
  ports: SetupPorts | null;
  tested: Tested;
  onTest: () => void;
};

export function TerminalPicker({ t, prefix, value, onChange, ports, tested, onTest }: PickerProps<TerminalChoice>) {
  return (
    <fieldset class="device">
      <legend>{t("app-setup-terminal")}</legend>
      <select
        data-testid={`${prefix}-terminal-kind`}
        value={value.kind}
        onChange={(e) => onChange({ ...value, kind: e.currentTarget.value as TerminalKind })}
      >
        <option value="simulator">{t("app-setup-terminal-simulator")}</option>
        <option value="zvt-serial">{t("app-setup-terminal-zvt-serial")}</option>
        <option value="zvt-tcp">{t("app-setup-terminal-zvt-tcp")}</option>
      </select>
      {value.kind === "zvt-serial" && (
        <div class="row wrap">
          <PortSelect
            t={t}
            testid={`${prefix}-terminal-port`}
            value={value.path}
            ports={ports}
            onChange={(path) => onChange({ ...value, path })}
          />
          <label>
            {t("app-setup-baud")}
            <select
              data-testid={`${prefix}-terminal-baud`}
              value={value.baud}
              onChange={(e) => onChange({ ...value, baud: e.currentTarget.value })}
            >
              {["9600", "19200", "38400", "57600", "115200"].map((b) => (
                <option key={b} value={b}>
                  {b}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t("app-setup-stop-bits")}
            <select
              data-testid={`${prefix}-terminal-stop-bits`}
              value={value.stopBits}
              onChange={(e) => onChange({ ...value, stopBits: e.currentTarget.value })}
            >
              <option value="2">2 (ZVT)</option>
              <option value="1">1 (8N1)</option>
            </select>
          </label>
        </div>
      )}
      {value.kind === "zvt-tcp" && (
        <Field
          label={t("app-setup-address-port")}
          testid={`${prefix}-terminal-address`}
          value={value.address}
          hint="192.168.1.20:20007"
          onInput={(address) => onChange({ ...value, address })}
        />
      )}
      <button
        type="button"
        class="btn plain"
        data-testid={`${prefix}-terminal-test`}
        disabled={tested === "testing"}
        onClick={onTest}
      >
        {t("app-setup-test")}
      </button>
      <TestLine t={t} testid={`${prefix}-terminal-result`} tested={tested} />
    </fieldset>
  );
}

export function PrinterPicker({ t, prefix, value, onChange, ports, tested, onTest }: PickerProps<PrinterChoice>) {
  return (
    <fieldset class="device">
      <legend>{t("app-setup-printer")}</legend>
      <select
        data-testid={`${prefix}-printer-kind`}
        value={value.kind}
        onChange={(e) => onChange({ ...value, kind: e.currentTarget.value as PrinterKind })}
      >
        <option value="virtual">{t("app-setup-printer-virtual")}</option>
        <option value="tcp">{t("app-setup-printer-tcp")}</option>
        <option value="usb">{t("app-setup-printer-usb")}</option>
        <option value="serial">{t("app-setup-printer-serial")}</option>
        {(ports?.printer_queues.length || value.kind === "queue") && (
          <option value="queue">{t("app-setup-printer-queue")}</option>
        )}
      </select>
      {value.kind === "queue" && (
        <label>
          {t("app-setup-printer-queue")}
          <select
            data-testid={`${prefix}-printer-queue`}
            value={value.path}
            onChange={(e) => onChange({ ...value, path: e.currentTarget.value })}
          >
            <option value="">{t("app-setup-choose")}</option>
            {value.path && !(ports?.printer_queues ?? []).includes(value.path) && (
              <option value={value.path}>{value.path}</option>
            )}
            {(ports?.printer_queues ?? []).map((q) => (
              <option key={q} value={q}>
                {q}
              </option>
            ))}
          </select>
        </label>
      )}
      {value.kind === "tcp" && (
        <Field
          label={t("app-setup-address-port")}
          testid={`${prefix}-printer-address`}
          value={value.address}
          hint="192.168.1.30:9100"
          onInput={(address) => onChange({ ...value, address })}
        />
      )}
      {value.kind === "usb" && (
        <label>
          {t("app-setup-usb-printer")}
          <select
            data-testid={`${prefix}-printer-usb`}
            value={value.path}
            onChange={(e) => onChange({ ...value, path: e.currentTarget.value })}
          >
            <option value="">{ports?.usb_printers.length ? t("app-setup-choose") : t("app-setup-no-usb-printers")}</option>
            {(ports?.usb_printers ?? []).map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </label>
      )}
      {value.kind === "serial" && (
        <PortSelect
          t={t}
          testid={`${prefix}-printer-port`}
          value={value.path}
          ports={ports}
          onChange={(path) => onChange({ ...value, path })}
        />
      )}
      <button
        type="button"
        class="btn plain"
        data-testid={`${prefix}-printer-test`}
        disabled={tested === "testing"}
        onClick={onTest}
      >
        {t("app-setup-test")}
      </button>
      <TestLine t={t} testid={`${prefix}-printer-result`} tested={tested} />
    </fieldset>
  );
}

/** 58 or 80 mm paper. */
export function PaperChoice({ t, prefix, value, onChange }: { t: T; prefix: string; value: string; onChange: (p: string) => void }) {
  return (
    <fieldset class="choice">
      <legend>{t("app-setup-paper")}</legend>
      {["58mm", "80mm"].map((p) => (
        <label key={p} class="inline">
          <input
            type="radio"
            name={`${prefix}-paper`}
            data-testid={`${prefix}-paper-${p}`}
            checked={value === p}
            onChange={() => onChange(p)}
          />
          {p}
        </label>
      ))}
    </fieldset>
  );
}
