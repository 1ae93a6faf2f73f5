// T13: language, receipt copies, devices (each with a test button), operators, own PINs.
import { useEffect, useState } from "preact/hooks";
import {
  api,
  asTillError,
  type EnrolOut,
  type HostOut,
  type OperatorOut,
  type TillError,
} from "../api";
import { useCtx, useT } from "../ctx";
import { Devices } from "./settings-devices";
import { LANGS } from "../i18n";
import { Btn, ErrorBox } from "../ui";
import { UpdatesCard } from "../update";

const LANG_NAMES: Record<string, string> = { en: "English", "zh-Hant": "繁體中文", "zh-Hans": "简体中文" };

export function Settings() {
  const { info, lang, setLang, session } = useCtx();
  const t = useT();
  const manager = session?.may.includes("manage-operators") ?? false;
  return (
    <section class="settings" data-testid="settings-screen">
      <div class="settings-col">
        <div class="card">
          <h2>{t("app-language")}</h2>
          <div class="row wrap">
            {LANGS.map((l) => (
              <Btn key={l} testid={`settings-lang-${l}`} kind={l === lang ? "primary" : "plain"} onClick={() => void setLang(l)}>
                <span lang={l}>{LANG_NAMES[l]}</span>
              </Btn>
            ))}
          </div>
        </div>
        <Copies />
        <Devices />
        {manager && <BackOffice />}
        {manager && <UpdatesCard />}
        <div class="card about" data-testid="settings-about">
          <h2>{t("app-about")}</h2>
          <p class="small">
            {t("app-about-line", { version: info.version, till: info.till_id })}
            <br />
            <span class="mono">{info.data_dir}</span>
          </p>
        </div>
      </div>
      <div class="settings-col">
        <MyPins />
        {manager && <Operators />}
      </div>
    </section>
  );
}

function Copies() {
  const { info, setInfo, session } = useCtx();
  const t = useT();
  const [error, setError] = useState<TillError | null>(null);
  const [saved, setSaved] = useState(false);
  const may = session?.may.includes("settings") ?? false;
  const set = async (copy: "merchant" | "customer") => {
    setError(null);
    setSaved(false);
    try {
      setInfo(await api.setCopies({ ...info.copies, [copy]: !info.copies[copy] }));
      setSaved(true);
    } catch (e) {
      setError(asTillError(e));
    }
  };
  return (
    <div class="card" data-testid="settings-copies">
      <h2>{t("app-receipt-copies")}</h2>
      {(["merchant", "customer"] as const).map((c) => (
        <label class="toggle" key={c}>
          <input
            type="checkbox"
            data-testid={`settings-copy-${c}`}
            checked={info.copies[c]}
            disabled={!may}
            onChange={() => void set(c)}
          />
          <span>{t(c === "merchant" ? "receipt-merchant-copy" : "receipt-customer-copy")}</span>
        </label>
      ))}
      {saved && (
        <p class="notice small" data-testid="settings-copies-saved">
          {t("app-saved")}
        </p>
      )}
      <ErrorBox error={error} testid="settings-copies-error" />
    </div>
  );
}

/** Settings → Back office (Manager): enrol with the portal's activation code, see how the
 *  uploads go, or leave. src-tauri/src/shell.rs host_enrol / host_leave. */
function BackOffice() {
  const { setInfo } = useCtx();
  const t = useT();
  const [host, setHost] = useState<HostOut | null>(null);
  const [form, setForm] = useState({ url: "", code: "" });
  const [enrolled, setEnrolled] = useState<EnrolOut | null>(null);
  const [confirm, setConfirm] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<TillError | null>(null);
  const refresh = () => api.hostState().then(setHost, (e) => setError(asTillError(e)));
  // The uploader's passes are not all on the status bar: asked again every two seconds.
  useEffect(() => {
    void refresh();
    const every = setInterval(() => void refresh(), 2000);
    return () => clearInterval(every);
  }, []);
  const enrol = async () => {
    setBusy(true);
    setError(null);
    try {
      setEnrolled(await api.hostEnrol(form.url, form.code));
      setForm({ url: "", code: "" });
      await refresh();
    } catch (e) {
      setError(asTillError(e));
    }
    setBusy(false);
  };
  const leave = async () => {
    setBusy(true);
    setError(null);
    try {
      setInfo(await api.hostLeave());
      setEnrolled(null);
      setConfirm(false);
      await refresh();
    } catch (e) {
      setError(asTillError(e));
    }
    setBusy(false);
  };
  return (
    <div class="card" data-testid="settings-host" data-enrolled={String(host?.enrolled ?? false)}>
      <h2>{t("app-host-title")}</h2>
      {host?.enrolled ? (
        <>
          <p class="mono small" data-testid="settings-host-url">
            {host.url}
          </p>
          {enrolled && (
            <p class="ok-text" data-testid="settings-host-enrolled">
              {t("app-setup-enrolled", { merchant: enrolled.merchant, shop: enrolled.shop, pos: enrolled.pos })}
            </p>
          )}
          <p data-testid="settings-host-state" data-synced={String(host.synced)} class={host.error ? "error-text" : ""}>
            {host.error
              ? t("app-host-failing", { error: host.error })
              : host.backlog > 0
                ? t("app-host-waiting", { backlog: host.backlog })
                : host.synced
                  ? t("app-host-synced")
                  : t("app-host-starting")}
          </p>
          <div class="row">
            {confirm ? (
              <>
                <Btn testid="settings-host-leave-confirm" kind="danger" disabled={busy} onClick={() => void leave()}>
                  {t("app-host-leave-confirm")}
                </Btn>
                <Btn testid="settings-host-leave-cancel" onClick={() => setConfirm(false)}>
                  {t("app-close")}
                </Btn>
              </>
            ) : (
              <Btn testid="settings-host-leave" onClick={() => setConfirm(true)}>
                {t("app-host-leave")}
              </Btn>
            )}
          </div>
          {confirm && <p class="muted small">{t("app-host-leave-explain")}</p>}
        </>
      ) : (
        <form
          class="form"
          onSubmit={(e) => {
            e.preventDefault();
            void enrol();
          }}
        >
          <p class="muted small">{t("app-host-alone")}</p>
          <label>
            {t("app-setup-host-url")}
            <input
              data-testid="settings-host-url-input"
              autoComplete="off"
              value={form.url}
              onInput={(e) => setForm({ ...form, url: e.currentTarget.value })}
            />
          </label>
          <label>
            {t("app-setup-activation-code")}
            <input
              data-testid="settings-host-code"
              autoComplete="off"
              value={form.code}
              onInput={(e) => setForm({ ...form, code: e.currentTarget.value })}
            />
          </label>
          <button
            type="submit"
            class="btn primary"
            data-testid="settings-host-enrol"
            disabled={busy || !form.url.trim() || !form.code.trim()}
          >
            {busy ? t("app-setup-enrolling") : t("app-setup-enrol")}
          </button>
        </form>
      )}
      <ErrorBox error={error} testid="settings-host-error" />
    </div>
  );
}

function MyPins() {
  const { session } = useCtx();
  const t = useT();
  const [kind, setKind] = useState<"login" | "refund">("login");
  const [old, setOld] = useState("");
  const [pin, setPin] = useState("");
  const [error, setError] = useState<TillError | null>(null);
  const [done, setDone] = useState(false);
  const submit = async () => {
    if (!session) return;
    setError(null);
    setDone(false);
    try {
      const input = { operator: session.operator, old_pin: old, new_pin: pin };
      await (kind === "login" ? api.changePin(input) : api.setRefundPin(input));
      setDone(true);
      setOld("");
      setPin("");
    } catch (e) {
      setError(asTillError(e));
    }
  };
  return (
    <div class="card" data-testid="settings-pins">
      <h2>{t("app-my-pins")}</h2>
      <div class="row">
        <Btn testid="settings-pin-login" kind={kind === "login" ? "primary" : "plain"} onClick={() => setKind("login")}>
          {t("app-login-pin")}
        </Btn>
        <Btn testid="settings-pin-refund" kind={kind === "refund" ? "primary" : "plain"} onClick={() => setKind("refund")}>
          {t("app-refund-pin")}
        </Btn>
      </div>
      <form
        class="form"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <label>
          {t(kind === "login" ? "app-current-pin" : "app-login-pin")}
          <input
            data-testid="settings-pin-old"
            type="password"
            inputMode="numeric"
            maxLength={6}
            value={old}
            onInput={(e) => setOld(e.currentTarget.value)}
          />
        </label>
        <label>
          {t(kind === "login" ? "app-new-pin" : "app-new-refund-pin")}
          <input
            data-testid="settings-pin-new"
            type="password"
            inputMode="numeric"
            maxLength={6}
            value={pin}
            onInput={(e) => setPin(e.currentTarget.value)}
          />
        </label>
        <ErrorBox error={error} testid="settings-pin-error" />
        {done && (
          <p class="notice small" data-testid="settings-pin-done">
            {t("pin-changed", { operator: session?.operator ?? "" })}
          </p>
        )}
        <button type="submit" class="btn primary" data-testid="settings-pin-submit">
          {t("app-save")}
        </button>
      </form>
    </div>
  );
}

function Operators() {
  const t = useT();
  const [ops, setOps] = useState<OperatorOut[]>([]);
  const [error, setError] = useState<TillError | null>(null);
  const [form, setForm] = useState({ id: "", name: "", role: "cashier", pin: "" });
  useEffect(() => {
    api.operators().then(setOps, (e) => setError(asTillError(e)));
  }, []);
  const add = async () => {
    setError(null);
    try {
      setOps(await api.addOperator(form));
      setForm({ id: "", name: "", role: "cashier", pin: "" });
    } catch (e) {
      setError(asTillError(e));
    }
  };
  const remove = async (id: string) => {
    setError(null);
    try {
      setOps(await api.removeOperator(id));
    } catch (e) {
      setError(asTillError(e));
    }
  };
  return (
    <div class="card" data-testid="settings-operators">
      <h2>{t("app-operators")}</h2>
      <table class="ops">
        <tbody>
          {ops.map((o) => (
            <tr key={o.id} data-testid={`operator-${o.id}`}>
              <td class="mono">{o.id}</td>
              <td>{o.name}</td>
              <td>{t(`app-role-${o.role}`)}</td>
              <td class="small muted">{o.must_change_pin ? t("app-must-change-pin") : ""}</td>
              <td>
                <Btn testid={`operator-${o.id}-remove`} kind="danger" onClick={() => void remove(o.id)}>
                  {t("app-remove")}
                </Btn>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form
        class="form grid2"
        onSubmit={(e) => {
          e.preventDefault();
          void add();
        }}
      >
        <label>
          {t("app-operator-id")}
          <input data-testid="operator-new-id" value={form.id} onInput={(e) => setForm({ ...form, id: e.currentTarget.value })} />
        </label>
        <label>
          {t("app-operator-name")}
          <input data-testid="operator-new-name" value={form.name} onInput={(e) => setForm({ ...form, name: e.currentTarget.value })} />
        </label>
        <label>
          {t("app-operator-role")}
          <select data-testid="operator-new-role" value={form.role} onChange={(e) => setForm({ ...form, role: e.currentTarget.value })}>
            {["cashier", "supervisor", "manager"].map((r) => (
              <option key={r} value={r}>
                {t(`app-role-${r}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t("app-first-pin")}
          <input
            data-testid="operator-new-pin"
            type="password"
            inputMode="numeric"
            maxLength={6}
            value={form.pin}
            onInput={(e) => setForm({ ...form, pin: e.currentTarget.value })}
          />
        </label>
        <ErrorBox error={error} testid="operators-error" />
        <button type="submit" class="btn primary" data-testid="operator-add">
          {t("app-add-operator")}
        </button>
      </form>
    </div>
  );
}
