// The cashier's window: a top bar (merchant, screens, language, operator), the current screen,
// and the status bar (operator, batch, each device, the host and its backlog).
import { useEffect, useRef, useState } from "preact/hooks";
import { api, asTillError, on, type AppInfo, type Outcome, type Session, type Status, type TillError } from "./api";
import { cancelledRef, CtxContext, dispatchKey, type Ctx, type Draft, type Screen } from "./ctx";
import { format, LANGS, type Lang } from "./i18n";
import { Login, PinChange, RecoveryScreen } from "./screens/login";
import { SaleScreen } from "./screens/sale";
import { MerchantQr, QrScan, ResultScreen, Working } from "./screens/flow";
import { Detail, History } from "./screens/history";
import { BalanceScreen, Settlement } from "./screens/settlement";
import { Settings } from "./screens/settings";
import { UpdateBar } from "./update";

const LANG_NAMES: Record<Lang, string> = { en: "English", "zh-Hant": "繁體中文", "zh-Hans": "简体中文" };

const TABS: { screen: Screen["name"]; id: string; may?: string }[] = [
  { screen: "sale", id: "app-tab-sale", may: "sale" },
  { screen: "history", id: "app-tab-history", may: "history" },
  { screen: "settlement", id: "app-tab-settlement", may: "x-report" },
  { screen: "balance", id: "app-tab-balance", may: "balance" },
  { screen: "settings", id: "app-tab-settings" },
];

export function App({ initial }: { initial: AppInfo }) {
  const [info, setInfo] = useState(initial);
  const [lang, setLangState] = useState<Lang>(initial.lang as Lang);
  const [session, setSession] = useState<Session | null>(initial.session);
  const [status, setStatus] = useState<Status | null>(null);
  const [screen, setScreen] = useState<Screen>(
    initial.recovered.length > 0 ? { name: "recovery" } : initial.session ? { name: "sale" } : { name: "login" },
  );
  const [draft, setDraft] = useState<Draft>({ amount: "", tip: "", field: "amount" });
  const [error, setError] = useState<TillError | null>(null);
  const screenRef = useRef(screen);
  screenRef.current = screen;

  // The launch bench's "interactive" moment: the screen is rendered and its handlers attached.
  useEffect(() => {
    const name = screen.name;
    requestAnimationFrame(() => void api.uiReady(name).catch(() => {}));
  }, [screen.name]);

  useEffect(() => {
    document.documentElement.lang = lang;
    document.title = format(lang, "app-name");
  }, [lang]);

  useEffect(() => {
    const down = (e: KeyboardEvent) => dispatchKey(e);
    window.addEventListener("keydown", down);
    api.status().then(setStatus, () => {});
    const un = on<Status>("status", setStatus);
    return () => {
      window.removeEventListener("keydown", down);
      void un.then((f) => f());
    };
  }, []);

  // S2: the till ended the session on its own (idle timeout, the daily re-login window). The
  // PIN is asked for again; the amount being typed stays for after the login.
  const lastOperator = useRef<string | null>(null);
  useEffect(() => {
    const before = lastOperator.current;
    lastOperator.current = status?.operator ?? null;
    const ended = before !== null && status !== null && status.operator === null;
    const atWork = !["recovery", "login", "pin-change", "working", "qr-scan", "qr-merchant"].includes(
      screenRef.current.name,
    );
    if (ended && session !== null && atWork) {
      setSession(null);
      setError(null);
      setScreen({ name: "login", notice: { code: "session-expired", message_id: "error-session-expired", args: {} } });
    }
  }, [status]);

  const go = (s: Screen) => {
    setError(null);
    setScreen(s);
  };

  const fail = (e: unknown) => {
    const err = asTillError(e);
    if (err.code === "session-expired" || err.code === "not-logged-in") {
      setSession(null);
      setScreen({ name: "login", notice: err });
      return;
    }
    setError(err);
  };

  const ctx: Ctx = {
    lang,
    info,
    session,
    status,
    screen,
    draft,
    setDraft,
    go,
    setInfo,
    setSession,
    error,
    setError,
    fail,
    setLang: async (l: Lang) => {
      setLangState(l);
      try {
        setInfo(await api.setLang(l));
      } catch (e) {
        fail(e);
      }
    },
    flow: async (view, run, back) => {
      setError(null);
      setScreen(view);
      let outcome: Outcome;
      try {
        outcome = await run();
      } catch (e) {
        const err = asTillError(e);
        const cancelled = err.code === "device-unavailable" && err.args?.device === "scanner" && cancelledRef.current;
        cancelledRef.current = false;
        setScreen(back === "sale" ? { name: "sale" } : { name: "history" });
        if (!cancelled) fail(err);
        return;
      }
      cancelledRef.current = false;
      if (back === "sale" && outcome.txn.status === "approved") setDraft({ amount: "", tip: "", field: "amount" });
      setScreen({ name: "result", outcome, back });
    },
  };

  const loggedIn = session !== null && !["recovery", "login", "pin-change"].includes(screen.name);
  const busy = ["working", "qr-scan", "qr-merchant"].includes(screen.name);

  return (
    <CtxContext.Provider value={ctx}>
      <div class="app" data-testid="app" data-screen={screen.name} data-lang={lang}>
        <header class="top">
          <div class="brand" data-testid="merchant-name">
            {info.merchant}
          </div>
          {loggedIn && (
            <nav class="tabs">
              {TABS.filter((t) => !t.may || session?.may.includes(t.may)).map((t) => (
                <button
                  type="button"
                  key={t.screen}
                  class={`tab ${screen.name === t.screen || (t.screen === "history" && screen.name === "detail") ? "on" : ""}`}
                  data-testid={`tab-${t.screen}`}
                  disabled={busy}
                  onClick={() => go({ name: t.screen } as Screen)}
                >
                  {format(lang, t.id)}
                </button>
              ))}
            </nav>
          )}
          <div class="langs" role="group" aria-label={format(lang, "app-language")}>
            {LANGS.map((l) => (
              <button
                type="button"
                key={l}
                lang={l}
                class={`lang ${l === lang ? "on" : ""}`}
                data-testid={`lang-${l}`}
                onClick={() => void ctx.setLang(l)}
              >
                {LANG_NAMES[l]}
              </button>
            ))}
          </div>
          {loggedIn && (
            <button
              type="button"
              class="btn plain logout"
              data-testid="logout"
              disabled={busy}
              onClick={() => {
                void api.logout();
                setSession(null);
                go({ name: "login" });
              }}
            >
              {format(lang, "app-logout")}
            </button>
          )}
        </header>
        {status?.pos_blocked && (
          <div class="blocked" role="alert" data-testid="pos-blocked">
            {format(lang, "error-pos-blocked")}
          </div>
        )}
        {!status?.pos_blocked && status?.refund_blocked && loggedIn && (
          <div class="blocked soft" data-testid="refund-blocked">
            {format(lang, "error-refund-blocked")}
          </div>
        )}
        <main class="main">
          <Current screen={screen} />
        </main>
        <UpdateBar busy={busy} />
        <StatusBar status={status} lang={lang} session={session} />
      </div>
    </CtxContext.Provider>
  );
}

function Current({ screen }: { screen: Screen }) {
  switch (screen.name) {
    case "recovery":
      return <RecoveryScreen />;
    case "login":
      return <Login notice={screen.notice} />;
    case "pin-change":
      return <PinChange operator={screen.operator} oldPin={screen.oldPin} />;
    case "sale":
      return <SaleScreen />;
    case "working":
      return <Working title={screen.title} total={screen.total} means={screen.means} />;
    case "qr-scan":
      return <QrScan total={screen.total} />;
    case "qr-merchant":
      return <MerchantQr total={screen.total} />;
    case "result":
      return <ResultScreen outcome={screen.outcome} back={screen.back} />;
    case "history":
      return <History />;
    case "detail":
      return <Detail txn={screen.txn} />;
    case "settlement":
      return <Settlement />;
    case "balance":
      return <BalanceScreen />;
    case "settings":
      return <Settings />;
  }
}

function Dot({ name, state, lang }: { name: string; state: Status["terminal"] | undefined; lang: Lang }) {
  const s = state?.state ?? "warning";
  const title = state ? `${format(lang, state.message_id)}${state.detail ? ` — ${state.detail}` : ""}` : "";
  return (
    <span class={`dev ${s}`} data-testid={`status-${name}`} data-state={s} title={title}>
      <i />
      {format(lang, `app-device-name-${name}`)}
    </span>
  );
}

function StatusBar({ status, lang, session }: { status: Status | null; lang: Lang; session: Session | null }) {
  return (
    <footer class="status" data-testid="status-bar">
      <span data-testid="status-operator">
        {session
          ? format(lang, "app-status-operator", { operator: session.operator, role: format(lang, `app-role-${session.role}`) })
          : format(lang, "app-status-logged-out")}
      </span>
      <span data-testid="status-batch">
        {status?.batch != null ? format(lang, "app-status-batch", { batch: String(status.batch).padStart(6, "0") }) : ""}
      </span>
      <span class="devs">
        <Dot name="terminal" state={status?.terminal} lang={lang} />
        <Dot name="printer" state={status?.printer} lang={lang} />
        <Dot name="scanner" state={status?.scanner} lang={lang} />
        <Dot name="display" state={status?.display} lang={lang} />
        <Dot name="host" state={status?.host} lang={lang} />
      </span>
      <span data-testid="status-backlog" data-backlog={status?.backlog ?? 0}>
        {format(lang, "app-status-backlog", { count: status?.backlog ?? 0 })}
      </span>
    </footer>
  );
}

