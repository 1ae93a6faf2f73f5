// S0: the first start of a new till — language, the shop, the first operator's PIN, the PIN pad
// and the printer (each tested before it is kept) — or "Skip: demo till". src-tauri/src/setup.rs
// checks and writes it all; this screen only gathers it.
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { api, asTillError, type AppInfo, type EnrolOut, type SetupIn, type SetupPorts, type TillError } from "../api";
import { errorText } from "../ctx";
import {
  Field,
  NEW_PRINTER,
  NEW_TERMINAL,
  PaperChoice,
  PrinterPicker,
  TerminalPicker,
  printerIn,
  terminalIn,
  type PrinterChoice,
  type TerminalChoice,
  type Tested,
} from "../devicepick";
import { format, LANGS, type Lang } from "../i18n";

const LANG_NAMES: Record<Lang, string> = { en: "English", "zh-Hant": "繁體中文", "zh-Hans": "简体中文" };
const STEPS = ["language", "shop", "operator", "devices"] as const;
type Step = (typeof STEPS)[number];

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
  const [terminal, setTerminal] = useState<TerminalChoice>(NEW_TERMINAL);
  const [printer, setPrinter] = useState<PrinterChoice>(NEW_PRINTER);
  const [host, setHost] = useState({ url: "", code: "" });
  const [enrolled, setEnrolled] = useState<EnrolOut | null>(null);
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
    terminal: terminalIn(terminal),
    printer: printerIn(printer),
  });

  // The back office's activation code: the shop's name and address come from the host.
  const enrol = async () => {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      const e = await api.setupEnrol(host.url, host.code, shop.till_id);
      setEnrolled(e);
      setShopState((s) => ({ ...s, shop_name: e.receipt_name, address: e.receipt_address || s.address }));
    } catch (e) {
      setError(asTillError(e));
    }
    setBusy(false);
  };

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
            <fieldset class="device enrol" data-testid="setup-enrol" data-enrolled={String(!!enrolled)}>
              <legend>{t("app-setup-enrol-title")}</legend>
              {enrolled ? (
                <p class="ok" data-testid="setup-enrolled">
                  {t("app-setup-enrolled", { merchant: enrolled.merchant, shop: enrolled.shop, pos: enrolled.pos })}
                </p>
              ) : (
                <>
                  <p class="muted small">{t("app-setup-enrol-explain")}</p>
                  <div class="row wrap">
                    <Field
                      label={t("app-setup-host-url")}
                      testid="setup-host-url"
                      value={host.url}
                      hint="https://office.example.com"
                      onInput={(url) => {
                        setError(null);
                        setHost({ ...host, url });
                      }}
                    />
                    <Field
                      label={t("app-setup-activation-code")}
                      testid="setup-activation-code"
                      value={host.code}
                      hint="1234-5678-9012"
                      onInput={(code) => {
                        setError(null);
                        setHost({ ...host, code });
                      }}
                    />
                  </div>
                  <button
                    type="button"
                    class="btn plain"
                    data-testid="setup-enrol-button"
                    disabled={busy || !host.url.trim() || !host.code.trim()}
                    onClick={() => void enrol()}
                  >
                    {busy ? t("app-setup-enrolling") : t("app-setup-enrol")}
                  </button>
                </>
              )}
            </fieldset>
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
              disabled={!!enrolled}
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
            <PaperChoice t={t} prefix="setup" value={shop.paper} onChange={(paper) => setShop({ ...shop, paper })} />
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
            <TerminalPicker
              t={t}
              prefix="setup"
              value={terminal}
              ports={ports}
              tested={tested.terminal}
              onChange={(c) => {
                setTerminal(c);
                setTested((s) => ({ ...s, terminal: null }));
              }}
              onTest={() => void test("terminal")}
            />
            <PrinterPicker
              t={t}
              prefix="setup"
              value={printer}
              ports={ports}
              tested={tested.printer}
              onChange={(c) => {
                setPrinter(c);
                setTested((s) => ({ ...s, printer: null }));
              }}
              onTest={() => void test("printer")}
            />
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
