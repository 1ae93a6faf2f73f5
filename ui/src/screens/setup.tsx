// S0: the first start of a new till — language, the shop, the first operator's PIN, the PIN pad
// and the printer (each tested before it is kept) — or "Skip: demo till". src-tauri/src/setup.rs
// checks and writes it all; this screen only gathers it.
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { api, asTillError, type AppInfo, type SetupIn, type SetupPorts, type TillError } from "../api";
import { errorText } from "../ctx";
import { format, LANGS, type Lang } from "../i18n";

const LANG_NAMES: Record<Lang, string> = { en: "English", "zh-Hant": "繁體中文", "zh-Hans": "简体中文" };
const STEPS = ["language", "shop", "operator", "devices"] as const;
type Step = (typeof STEPS)[number];

type TerminalKind = "simulator" | "zvt-serial" | "zvt-tcp";
type PrinterKind = "virtual" | "tcp" | "usb" | "serial";
type Tested = { ok: boolean; text: string } | "testing" | null;

function Field(props: {
  label: string;
  testid: string;
  value: string;
  onInput: (v: string) => void;
  hint?: string;
  type?: string;
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
        value={props.value}
        onInput={(e) => props.onInput(e.currentTarget.value)}
      />
      {props.hint && <span class="muted small">{props.hint}</span>}
    </label>
  );
}

export function Setup({ initialLang, onDone }: { initialLang: Lang; onDone: (info: AppInfo) => void }) {
  const [lang, setLang] = useState<Lang>(initialLang);
  const t = (id: string, args?: Record<string, string>) => format(lang, id, args);
  const [step, setStep] = useState<Step>("language");
  const [ports, setPorts] = useState<SetupPorts | null>(null);
  const [shop, setShopState] = useState({
    shop_name: "",
    address: "",
    merchant_id: "",
    terminal_id: "",
    till_id: "TILL-01",
    currency: "HKD",
    paper: "80mm",
  });
  const [pin, setPinState] = useState({ pin: "", again: "" });
  const [terminal, setTerminal] = useState<{ kind: TerminalKind; path: string; address: string; baud: string }>({
    kind: "simulator",
    path: "",
    address: "",
    baud: "9600",
  });
  const [printer, setPrinter] = useState<{ kind: PrinterKind; path: string; address: string; baud: string }>({
    kind: "virtual",
    path: "",
    address: "",
    baud: "19200",
  });
  const [tested, setTested] = useState<{ terminal: Tested; printer: Tested }>({ terminal: null, printer: null });
  const [error, setError] = useState<TillError | null>(null);
  const [busy, setBusy] = useState(false);
  const first = useRef<HTMLInputElement>(null);
  // A field changed: the complaint about it is answered.
  const setShop = (v: typeof shop) => {
    setError(null);
    setShopState(v);
  };
  const setPin = (v: typeof pin) => {
    setError(null);
    setPinState(v);
  };

  useEffect(() => {
    document.documentElement.lang = lang;
    document.title = format(lang, "app-setup-title");
  }, [lang]);
  useEffect(() => {
    api.setupPorts().then(setPorts, (e) => setError(asTillError(e)));
  }, []);
  useLayoutEffect(() => first.current?.focus(), [step]);

  const form = (): SetupIn => ({
    lang,
    ...shop,
    pin: pin.pin,
    terminal:
      terminal.kind === "zvt-serial"
        ? { kind: "zvt-serial", path: terminal.path, baud: Number(terminal.baud) || 9600 }
        : terminal.kind === "zvt-tcp"
          ? { kind: "zvt-tcp", address: terminal.address }
          : { kind: "simulator" },
    printer:
      printer.kind === "tcp"
        ? { kind: "tcp", address: printer.address }
        : printer.kind === "usb"
          ? { kind: "usb", path: printer.path }
          : printer.kind === "serial"
            ? { kind: "serial", path: printer.path, baud: Number(printer.baud) || 19200 }
            : { kind: "virtual" },
  });

  const go = (to: Step) => {
    setError(null);
    setStep(to);
  };

  const next = () => {
    setError(null);
    if (step === "shop") {
      const missing = (["shop_name", "address", "merchant_id", "terminal_id", "till_id"] as const).find(
        (k) => !shop[k].trim(),
      );
      if (missing) {
        setError({ code: "setup-missing", message_id: "app-setup-missing", args: {} });
        return;
      }
    }
    if (step === "operator") {
      if (!/^[0-9]{6}$/.test(pin.pin)) {
        setError({ code: "pin-format", message_id: "app-setup-pin-format", args: {} });
        return;
      }
      if (pin.pin !== pin.again) {
        setError({ code: "pin-mismatch", message_id: "app-setup-pin-mismatch", args: {} });
        return;
      }
    }
    go(STEPS[STEPS.indexOf(step) + 1]);
  };

  const test = async (device: "terminal" | "printer") => {
    setTested((s) => ({ ...s, [device]: "testing" }));
    try {
      await api.setupTest(form(), device);
      setTested((s) => ({ ...s, [device]: { ok: true, text: t("app-setup-test-ok") } }));
    } catch (e) {
      setTested((s) => ({ ...s, [device]: { ok: false, text: errorText(lang, asTillError(e)) } }));
    }
  };

  const finish = async (demo: boolean) => {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      onDone(await api.setupFinish(demo ? null : form()));
    } catch (e) {
      setError(asTillError(e));
      setBusy(false);
    }
  };

  const portOptions = (ports?.serial_ports ?? []).map((p) => (
    <option key={p.path} value={p.path}>
      {[p.path, p.manufacturer, p.product, p.vid && p.pid ? `${p.vid}:${p.pid}` : null].filter(Boolean).join(" · ")}
    </option>
  ));
  const testLine = (device: "terminal" | "printer") => {
    const r = tested[device];
    if (r === null) return null;
    return (
      <p
        class={r === "testing" ? "muted" : r.ok ? "ok" : "error"}
        data-testid={`setup-${device}-result`}
        data-ok={r === "testing" ? "" : String(r.ok)}
      >
        {r === "testing" ? t("app-setup-testing") : r.text}
      </p>
    );
  };

  return (
    <div class="setup-page">
      <header class="topbar">
        <strong>{t("app-setup-title")}</strong>
        <ol class="steps">
          {STEPS.map((s, i) => (
            <li key={s} class={s === step ? "current" : STEPS.indexOf(step) > i ? "done" : ""}>
              {i + 1}. {t(`app-setup-step-${s}`)}
            </li>
          ))}
        </ol>
      </header>
      <section class="panel setup" data-testid="setup" data-step={step} data-lang={lang}>
        {step === "language" && (
          <div class="form">
            <h1>{t("app-setup-welcome")}</h1>
            <p class="muted">{t("app-setup-welcome-explain")}</p>
            <div class="row wrap">
              {LANGS.map((l) => (
                <button
                  type="button"
                  key={l}
                  class={`btn big ${l === lang ? "primary" : "plain"}`}
                  data-testid={`setup-lang-${l}`}
                  onClick={() => setLang(l)}
                >
                  {LANG_NAMES[l]}
                </button>
              ))}
            </div>
            <p class="muted">{t("app-setup-demo-explain")}</p>
          </div>
        )}
        {step === "shop" && (
          <form class="form grid2" onSubmit={(e) => e.preventDefault()}>
            <Field
              inputRef={first}
              label={t("app-setup-shop-name")}
              testid="setup-shop-name"
              value={shop.shop_name}
              onInput={(v) => setShop({ ...shop, shop_name: v })}
            />
            <Field
              label={t("app-setup-address")}
              testid="setup-address"
              value={shop.address}
              onInput={(v) => setShop({ ...shop, address: v })}
            />
            <Field
              label={t("app-setup-merchant-id")}
              testid="setup-merchant-id"
              value={shop.merchant_id}
              hint={t("app-setup-merchant-id-hint")}
              onInput={(v) => setShop({ ...shop, merchant_id: v })}
            />
            <Field
              label={t("app-setup-terminal-id")}
              testid="setup-terminal-id"
              value={shop.terminal_id}
              hint={t("app-setup-terminal-id-hint")}
              onInput={(v) => setShop({ ...shop, terminal_id: v })}
            />
            <Field
              label={t("app-setup-till-id")}
              testid="setup-till-id"
              value={shop.till_id}
              onInput={(v) => setShop({ ...shop, till_id: v })}
            />
            <label>
              {t("app-setup-currency")}
              <select
                data-testid="setup-currency"
                value={shop.currency}
                onChange={(e) => setShop({ ...shop, currency: e.currentTarget.value })}
              >
                {(ports?.currencies ?? ["HKD"]).map((c) => (
                  <option key={c} value={c}>
                    {c}
                  </option>
                ))}
              </select>
            </label>
            <fieldset class="choice">
              <legend>{t("app-setup-paper")}</legend>
              {["58mm", "80mm"].map((p) => (
                <label key={p} class="inline">
                  <input
                    type="radio"
                    name="paper"
                    data-testid={`setup-paper-${p}`}
                    checked={shop.paper === p}
                    onChange={() => setShop({ ...shop, paper: p })}
                  />
                  {p}
                </label>
              ))}
            </fieldset>
          </form>
        )}
        {step === "operator" && (
          <form class="form narrow-form" onSubmit={(e) => e.preventDefault()}>
            <h1>{t("app-setup-operator-title")}</h1>
            <p class="muted">{t("app-setup-operator-explain")}</p>
            <Field
              inputRef={first}
              label={t("app-setup-pin")}
              testid="setup-pin"
              type="password"
              value={pin.pin}
              onInput={(v) => setPin({ ...pin, pin: v })}
            />
            <Field
              label={t("app-setup-pin-again")}
              testid="setup-pin-again"
              type="password"
              value={pin.again}
              onInput={(v) => setPin({ ...pin, again: v })}
            />
          </form>
        )}
        {step === "devices" && (
          <form class="form grid2" onSubmit={(e) => e.preventDefault()}>
            <fieldset class="device">
              <legend>{t("app-setup-terminal")}</legend>
              <select
                data-testid="setup-terminal-kind"
                value={terminal.kind}
                onChange={(e) => {
                  setTerminal({ ...terminal, kind: e.currentTarget.value as TerminalKind });
                  setTested({ ...tested, terminal: null });
                }}
              >
                <option value="simulator">{t("app-setup-terminal-simulator")}</option>
                <option value="zvt-serial">{t("app-setup-terminal-zvt-serial")}</option>
                <option value="zvt-tcp">{t("app-setup-terminal-zvt-tcp")}</option>
              </select>
              {terminal.kind === "zvt-serial" && (
                <label>
                  {t("app-setup-port")}
                  <select
                    data-testid="setup-terminal-port"
                    value={terminal.path}
                    onChange={(e) => setTerminal({ ...terminal, path: e.currentTarget.value })}
                  >
                    <option value="">{portOptions.length ? t("app-setup-choose") : t("app-setup-no-ports")}</option>
                    {portOptions}
                  </select>
                </label>
              )}
              {terminal.kind === "zvt-tcp" && (
                <Field
                  label={t("app-setup-address-port")}
                  testid="setup-terminal-address"
                  value={terminal.address}
                  hint="192.168.1.20:20007"
                  onInput={(v) => setTerminal({ ...terminal, address: v })}
                />
              )}
              <button
                type="button"
                class="btn plain"
                data-testid="setup-terminal-test"
                disabled={tested.terminal === "testing"}
                onClick={() => void test("terminal")}
              >
                {t("app-setup-test")}
              </button>
              {testLine("terminal")}
            </fieldset>
            <fieldset class="device">
              <legend>{t("app-setup-printer")}</legend>
              <select
                data-testid="setup-printer-kind"
                value={printer.kind}
                onChange={(e) => {
                  setPrinter({ ...printer, kind: e.currentTarget.value as PrinterKind });
                  setTested({ ...tested, printer: null });
                }}
              >
                <option value="virtual">{t("app-setup-printer-virtual")}</option>
                <option value="tcp">{t("app-setup-printer-tcp")}</option>
                <option value="usb">{t("app-setup-printer-usb")}</option>
                <option value="serial">{t("app-setup-printer-serial")}</option>
              </select>
              {printer.kind === "tcp" && (
                <Field
                  label={t("app-setup-address-port")}
                  testid="setup-printer-address"
                  value={printer.address}
                  hint="192.168.1.30:9100"
                  onInput={(v) => setPrinter({ ...printer, address: v })}
                />
              )}
              {printer.kind === "usb" && (
                <label>
                  {t("app-setup-usb-printer")}
                  <select
                    data-testid="setup-printer-usb"
                    value={printer.path}
                    onChange={(e) => setPrinter({ ...printer, path: e.currentTarget.value })}
                  >
                    <option value="">
                      {ports?.usb_printers.length ? t("app-setup-choose") : t("app-setup-no-usb-printers")}
                    </option>
                    {(ports?.usb_printers ?? []).map((p) => (
                      <option key={p} value={p}>
                        {p}
                      </option>
                    ))}
                  </select>
                </label>
              )}
              {printer.kind === "serial" && (
                <label>
                  {t("app-setup-port")}
                  <select
                    data-testid="setup-printer-port"
                    value={printer.path}
                    onChange={(e) => setPrinter({ ...printer, path: e.currentTarget.value })}
                  >
                    <option value="">{portOptions.length ? t("app-setup-choose") : t("app-setup-no-ports")}</option>
                    {portOptions}
                  </select>
                </label>
              )}
              <button
                type="button"
                class="btn plain"
                data-testid="setup-printer-test"
                disabled={tested.printer === "testing"}
                onClick={() => void test("printer")}
              >
                {t("app-setup-test")}
              </button>
              {testLine("printer")}
            </fieldset>
          </form>
        )}
        {error && (
          <div class="error" role="alert" data-testid="setup-error" data-code={error.code}>
            {errorText(lang, error)}
          </div>
        )}
        <div class="row end">
          {step === "language" ? (
            <button type="button" class="btn plain" data-testid="setup-demo" disabled={busy} onClick={() => void finish(true)}>
              {t("app-setup-demo")}
            </button>
          ) : (
            <button
              type="button"
              class="btn plain"
              data-testid="setup-back"
              onClick={() => go(STEPS[STEPS.indexOf(step) - 1])}
            >
              {t("app-setup-back")}
            </button>
          )}
          {step === "devices" ? (
            <button
              type="button"
              class="btn primary"
              data-testid="setup-finish"
              disabled={busy}
              onClick={() => void finish(false)}
            >
              {busy ? t("app-setup-finishing") : t("app-setup-finish")}
            </button>
          ) : (
            <button type="button" class="btn primary" data-testid="setup-next" onClick={next}>
              {t("app-setup-next")}
            </button>
          )}
        </div>
      </section>
    </div>
  );
}
