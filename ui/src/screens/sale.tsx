// T1–T4: the sale screen. AMOUNT / TIP / TOTAL typed on the keypad or the keyboard, then a
// payment means (only those the till accepts). Keyboard: digits and "." type, Tab switches
// between amount and tip, Enter goes to the payment means (arrows or 1–6 pick, Enter pays),
// Esc goes back.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, type Quote, type TillError } from "../api";
import { cancelledRef, useCtx, useKeys, useT, type Draft } from "../ctx";
import { resetLive } from "../live";
import { Btn, ErrorBox, Keypad, Modal, typeKey } from "../ui";

const MERCHANT_WALLETS = ["fps", "paynow", "alipay", "wechat-pay"];

export function SaleScreen() {
  const ctx = useCtx();
  const { info, flow, error, setError } = ctx;
  const t = useT();
  const [quote, setQuote] = useState<Quote | null>(null);
  const [quoteError, setQuoteError] = useState<TillError | null>(null);
  const [walletFor, setWalletFor] = useState<string[] | null>(null);
  const seq = useRef(0);
  const means = info.accepted;

  // Keys can come faster than the screen renders (a scanner, a test, a quick cashier): each
  // key works on what the keys before it left, kept here, not on the last render's values.
  const latest = useRef({ draft: ctx.draft, mode: "entry" as "entry" | "pay", pick: 0 });
  const [, rerender] = useState(0);
  const { draft, mode, pick } = latest.current;
  const update = (next: Partial<typeof latest.current>) => {
    latest.current = { ...latest.current, ...next };
    if (next.draft) ctx.setDraft(next.draft);
    rerender((n) => n + 1);
  };
  const setDraft = (d: Draft) => update({ draft: d });
  const setMode = (m: "entry" | "pay") => update({ mode: m });

  useEffect(() => {
    const n = ++seq.current;
    if (!draft.amount) {
      setQuote(null);
      setQuoteError(null);
      return;
    }
    api.quote(draft.amount, draft.tip).then(
      (q) => {
        if (n === seq.current) {
          setQuote(q);
          setQuoteError(null);
        }
      },
      (e) => {
        if (n === seq.current) {
          setQuote(null);
          setQuoteError(e);
        }
      },
    );
  }, [draft.amount, draft.tip]);

  const type = (k: string) => {
    setError(null);
    const d = latest.current.draft;
    setDraft({ ...d, [d.field]: typeKey(d[d.field], k) });
  };

  const merchantWallets = info.wallets.filter(
    (w) =>
      MERCHANT_WALLETS.includes(w) &&
      !(w === "fps" && info.currency !== "HKD") &&
      !(w === "paynow" && info.currency !== "SGD"),
  );

  const pay = (m: string, wallet?: string) => {
    const d = latest.current.draft;
    if (!d.amount) {
      setError({ code: "amount-not-a-number", message_id: "error-amount-not-a-number", args: { input: "" } });
      setMode("entry");
      return;
    }
    if (quoteError && quoteError.args?.input === d.amount) {
      setError(quoteError);
      setMode("entry");
      return;
    }
    if (m === "qr-merchant" && !wallet && merchantWallets.length > 1) {
      setWalletFor(merchantWallets);
      return;
    }
    setWalletFor(null);
    const total = quote?.total.text ?? d.amount;
    cancelledRef.current = false;
    resetLive();
    const view =
      m === "qr-customer"
        ? ({ name: "qr-scan", total } as const)
        : m === "qr-merchant"
          ? ({ name: "qr-merchant", total } as const)
          : ({ name: "working", title: t(`means-${m}`), total, means: m } as const);
    void flow(view, () => api.sale(d.amount, d.tip, m, wallet), "sale");
  };

  useKeys(
    (e) => {
      const { draft: d, mode: now, pick: p } = latest.current;
      if (now === "entry") {
        if (/^[0-9]$/.test(e.key) || e.key === ".") {
          type(e.key);
          return true;
        }
        if (e.key === "Backspace") {
          type("back");
          return true;
        }
        if (e.key === "Delete") {
          type("clear");
          return true;
        }
        if (e.key === "Tab") {
          setDraft({ ...d, field: d.field === "amount" ? "tip" : "amount" });
          return true;
        }
        if (e.key === "Enter") {
          if (d.amount) update({ mode: "pay", pick: 0 });
          return true;
        }
        if (e.key === "Escape") {
          setDraft(d.field === "tip" ? { ...d, field: "amount" } : { amount: "", tip: "", field: "amount" });
          setError(null);
          return true;
        }
        return false;
      }
      const cols = 2;
      if (e.key === "Escape") {
        setMode("entry");
        return true;
      }
      if (e.key === "Enter") {
        pay(means[p]);
        return true;
      }
      const moves: Record<string, number> = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: cols, ArrowUp: -cols };
      if (e.key in moves) {
        update({ pick: Math.min(means.length - 1, Math.max(0, p + moves[e.key])) });
        return true;
      }
      if (/^[1-9]$/.test(e.key) && Number(e.key) <= means.length) {
        pay(means[Number(e.key) - 1]);
        return true;
      }
      if (e.key === "Tab") return true;
      return false;
    },
    walletFor === null,
  );

  const row = (field: "amount" | "tip" | null, label: string, value: string, testid: string) => (
    <div
      class={`amount-row ${field && draft.field === field && mode === "entry" ? "on" : ""} ${field ? "" : "total"}`}
      data-testid={testid}
      onClick={field ? () => setDraft({ ...draft, field }) : undefined}
    >
      <span class="label">{label}</span>
      <span class="value" data-testid={`${testid}-value`}>
        {value}
      </span>
    </div>
  );

  const shown = (typed: string, formatted: string | undefined) => formatted ?? (typed ? `${info.currency_symbol}${typed}` : "");

  return (
    <section class="sale" data-testid="sale-screen" data-mode={mode}>
      <div class="entry">
        <div class="amounts">
          {row("amount", t("receipt-amount"), shown(draft.amount, quote?.amount.text), "sale-amount")}
          {row("tip", t("receipt-tip"), draft.tip ? shown(draft.tip, quote?.tip.text) : quote ? quote.tip.text : "", "sale-tip")}
          {row(null, t("receipt-total"), quote?.total.text ?? "", "sale-total")}
        </div>
        <ErrorBox error={error ?? (mode === "pay" ? quoteError : null)} testid="sale-error" />
        <Keypad onKey={type} />
        <div class="row">
          <Btn
            testid="sale-tip-toggle"
            onClick={() => setDraft({ ...draft, field: draft.field === "amount" ? "tip" : "amount" })}
            hint="Tab"
          >
            {draft.field === "amount" ? t("app-enter-tip") : t("app-enter-amount")}
          </Btn>
        </div>
      </div>
      <div class={`means ${mode === "pay" ? "picking" : ""}`}>
        <h2>{t("app-pay-by")}</h2>
        <div class="means-grid">
          {means.map((m, i) => (
            <button
              type="button"
              key={m}
              class={`means-btn ${m} ${mode === "pay" && pick === i ? "picked" : ""}`}
              data-testid={`pay-${m}`}
              onClick={() => pay(m)}
            >
              <span class="means-icon" aria-hidden="true">
                {ICONS[m]}
              </span>
              <span>{t(`means-${m}`)}</span>
              {mode === "pay" && <kbd>{i + 1}</kbd>}
            </button>
          ))}
        </div>
        <p class="muted small">{mode === "pay" ? t("app-pay-keys") : t("app-entry-keys")}</p>
      </div>
      {walletFor && (
        <Modal title={t("app-choose-wallet")} testid="wallet-choice" onClose={() => setWalletFor(null)}>
          <div class="wallets">
            {walletFor.map((w) => (
              <Btn key={w} testid={`wallet-${w}`} kind="big" onClick={() => pay("qr-merchant", w)}>
                {t(`app-wallet-${w}`)}
              </Btn>
            ))}
          </div>
        </Modal>
      )}
    </section>
  );
}

const stroke = { fill: "none", stroke: "currentColor", "stroke-width": 2, "stroke-linecap": "round", "stroke-linejoin": "round" } as const;

/** Simple line icons (no icon font, no emoji font needed). */
const ICONS: Record<string, preact.JSX.Element> = {
  card: (
    <svg viewBox="0 0 24 24" {...stroke}>
      <rect x="2.5" y="5" width="19" height="14" rx="2" />
      <path d="M2.5 10h19M6 15h4" />
    </svg>
  ),
  "qr-customer": (
    <svg viewBox="0 0 24 24" {...stroke}>
      <path d="M3 8V3h5M16 3h5v5M21 16v5h-5M8 21H3v-5" />
      <rect x="8" y="8" width="8" height="8" />
    </svg>
  ),
  "qr-merchant": (
    <svg viewBox="0 0 24 24" {...stroke}>
      <rect x="3" y="3" width="7" height="7" />
      <rect x="14" y="3" width="7" height="7" />
      <rect x="3" y="14" width="7" height="7" />
      <path d="M14 14h3v3h-3zM20 14v.01M14 20h.01M17 20h4v-3" />
    </svg>
  ),
  "tap-and-go": (
    <svg viewBox="0 0 24 24" {...stroke}>
      <rect x="6" y="2.5" width="12" height="19" rx="2" />
      <path d="M10 7.5a3 3 0 0 1 0 5M13 6a5.5 5.5 0 0 1 0 8" />
    </svg>
  ),
  "stored-value": (
    <svg viewBox="0 0 24 24" {...stroke}>
      <circle cx="12" cy="12" r="9" />
      <circle cx="12" cy="12" r="4.5" />
    </svg>
  ),
  cash: (
    <svg viewBox="0 0 24 24" {...stroke}>
      <rect x="2.5" y="6" width="19" height="12" rx="1.5" />
      <circle cx="12" cy="12" r="2.8" />
      <path d="M6 9v.01M18 15v.01" />
    </svg>
  ),
};
