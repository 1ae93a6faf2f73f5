// What every screen reads: the language, the till's configuration, the session and the way to
// move between screens. One context, passed down by the App.
import { createContext } from "preact";
import { useContext, useLayoutEffect, useRef } from "preact/hooks";
import type { AppInfo, Outcome, Session, Status, TillError, Txn } from "./api";
import { format, type Args, type Lang } from "./i18n";

export type Screen =
  | { name: "recovery" }
  | { name: "login"; notice?: TillError }
  | { name: "pin-change"; operator: string; oldPin: string }
  | { name: "sale" }
  | { name: "working"; title: string; total: string; means: string }
  | { name: "qr-scan"; total: string }
  | { name: "qr-merchant"; total: string }
  | { name: "result"; outcome: Outcome; back: "sale" | "history" }
  | { name: "history" }
  | { name: "detail"; txn: Txn }
  | { name: "settlement" }
  | { name: "balance" }
  | { name: "settings" };

/** The open sale: kept while the cashier logs in again (S2) or looks something up. */
export type Draft = { amount: string; tip: string; field: "amount" | "tip" };

export type Ctx = {
  lang: Lang;
  info: AppInfo;
  session: Session | null;
  status: Status | null;
  screen: Screen;
  draft: Draft;
  setDraft: (d: Draft) => void;
  go: (s: Screen) => void;
  setLang: (l: Lang) => Promise<void>;
  setInfo: (i: AppInfo) => void;
  setSession: (s: Session | null) => void;
  /** Runs a flow on the progress screen `view`, then shows its result (or its error on `back`). */
  flow: (view: Screen, run: () => Promise<Outcome>, back: "sale" | "history") => Promise<void>;
  /** The error of the last failed action, shown on the screen it came back to. */
  error: TillError | null;
  setError: (e: TillError | null) => void;
  /** Handles a failed call: a lost session goes to the login screen (the sale is kept). */
  fail: (e: unknown) => void;
};

export const CtxContext = createContext<Ctx | null>(null);

export function useCtx(): Ctx {
  const c = useContext(CtxContext);
  if (!c) throw new Error("no context");
  return c;
}

/** The text of a message id in the current language. */
export function useT(): (id: string, args?: Args) => string {
  const { lang } = useCtx();
  return (id, args) => format(lang, id, args);
}

/** An error in the operator's language; arguments that are message ids are localised too. */
export function errorText(lang: Lang, e: TillError): string {
  const args: Args = {};
  for (const [k, v] of Object.entries(e.args ?? {})) {
    args[k] = /^(device|printer|app)-[a-z-]+$/.test(v) ? format(lang, v) : v;
  }
  if (e.args?.device) args.device = format(lang, `app-device-name-${e.args.device}`);
  return format(lang, e.message_id, args);
}

type KeyHandler = (e: KeyboardEvent) => boolean | void;
const keyStack: { current: KeyHandler }[] = [];

/** The keyboard, for the component on top (a dialog over a screen): return true when used. */
export function useKeys(handler: KeyHandler, active = true) {
  const ref = useRef<KeyHandler>(handler);
  ref.current = handler;
  // In the same commit as the screen itself: a key typed as soon as it shows is not lost.
  useLayoutEffect(() => {
    if (!active) return;
    const entry = { current: (e: KeyboardEvent) => ref.current(e) };
    keyStack.push(entry);
    return () => {
      const i = keyStack.indexOf(entry);
      if (i >= 0) keyStack.splice(i, 1);
    };
  }, [active]);
}

export function dispatchKey(e: KeyboardEvent) {
  const top = keyStack[keyStack.length - 1];
  if (top && top.current(e)) e.preventDefault();
}

/** Set when the cashier pressed Cancel, so the scanner's "cancelled" is not shown as an error. */
export const cancelledRef = { current: false };
