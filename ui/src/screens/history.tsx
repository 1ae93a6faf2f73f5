// T9: today's transactions and search (trace, last 4, auth code, amount); the detail view with
// void (supervisor PIN, T6), refund (refund PIN, T7) and reprint.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, type Outcome, type Paper, type Txn } from "../api";
import { useCtx, useKeys, useT } from "../ctx";
import { nextProgress, resetLive } from "../live";
import { Btn, ErrorBox, PinPrompt, Receipts } from "../ui";

type Query = { trace: string; last4: string; auth: string; amount: string };
const EMPTY: Query = { trace: "", last4: "", auth: "", amount: "" };

// The last search, kept while the cashier opens a transaction and comes back.
let lastQuery: Query = EMPTY;

export function History() {
  const { go, fail, error } = useCtx();
  const t = useT();
  const [q, setQ] = useState<Query>(lastQuery);
  const [rows, setRows] = useState<Txn[] | null>(null);
  const seq = useRef(0);

  // Only the answer to the latest search is shown: an earlier one that answers late (the
  // list on opening, then a search typed at once) must not overwrite it.
  const search = (query: Query) => {
    lastQuery = query;
    const n = ++seq.current;
    api.history(query).then(
      (r) => n === seq.current && setRows(r),
      (e) => {
        if (n !== seq.current) return;
        setRows([]);
        fail(e);
      },
    );
  };
  useEffect(() => search(q), []);
  useKeys((e) => {
    if (e.key === "Escape" && (q.trace || q.last4 || q.auth || q.amount)) {
      setQ(EMPTY);
      search(EMPTY);
      return true;
    }
    return false;
  });

  const field = (k: keyof Query, label: string, mode: "numeric" | "decimal" | "text", max: number) => (
    <label>
      {label}
      <input
        data-testid={`history-${k}`}
        inputMode={mode}
        maxLength={max}
        autoComplete="off"
        value={q[k]}
        onInput={(e) => setQ({ ...q, [k]: e.currentTarget.value })}
      />
    </label>
  );

  return (
    <section class="history" data-testid="history-screen">
      <form
        class="search"
        onSubmit={(e) => {
          e.preventDefault();
          search(q);
        }}
      >
        {field("trace", t("app-search-trace"), "numeric", 6)}
        {field("last4", t("app-search-last4"), "numeric", 4)}
        {field("auth", t("app-search-auth"), "text", 12)}
        {field("amount", t("app-search-amount"), "decimal", 12)}
        <button type="submit" class="btn primary" data-testid="history-search">
          {t("app-search")}
          <kbd>Enter</kbd>
        </button>
        <Btn
          testid="history-clear"
          onClick={() => {
            setQ(EMPTY);
            search(EMPTY);
          }}
          hint="Esc"
        >
          {t("app-search-clear")}
        </Btn>
      </form>
      <ErrorBox error={error} testid="history-error" />
      <div class="table-wrap">
        <table class="txns" data-testid="history-table">
          <thead>
            <tr>
              <th>{t("history-col-trace")}</th>
              <th>{t("history-col-time")}</th>
              <th>{t("history-col-kind")}</th>
              <th>{t("history-col-means")}</th>
              <th>{t("history-col-status")}</th>
              <th class="num">{t("history-col-amount")}</th>
            </tr>
          </thead>
          <tbody>
            {rows?.map((r) => (
              <tr
                key={r.id}
                tabIndex={0}
                data-testid={`history-row-${r.trace}`}
                data-status={r.status}
                onClick={() => go({ name: "detail", txn: r })}
                onKeyDown={(e) => {
                  if (e.key === "Enter") go({ name: "detail", txn: r });
                }}
              >
                <td class="mono">{r.trace}</td>
                <td class="mono">{r.time.slice(0, 5)}</td>
                <td>{t(`kind-${r.kind}`)}</td>
                <td>
                  {t(`means-${r.means}`)}
                  {r.card ? ` *${r.card.last4}` : ""}
                </td>
                <td class={`st ${r.status}`}>{t(`status-${r.status}`)}</td>
                <td class="num">{r.total.text}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {rows && rows.length === 0 && (
          <p class="muted center" data-testid="history-empty">
            {t("history-empty")}
          </p>
        )}
      </div>
    </section>
  );
}

export function Detail({ txn: initial }: { txn: Txn }) {
  const ctx = useCtx();
  const { go, fail, session, error } = ctx;
  const t = useT();
  const [txn, setTxn] = useState(initial);
  const [papers, setPapers] = useState<Paper[] | null>(null);
  const [prompt, setPrompt] = useState<"void" | "refund" | null>(null);
  const [note, setNote] = useState<string | null>(null);

  useEffect(() => {
    api.receiptPreview(txn.trace).then(setPapers, () => setPapers([]));
    api.history({ trace: txn.trace }).then((r) => r[0] && setTxn(r[0]), () => {});
  }, []);
  useKeys(
    (e) => {
      if (e.key === "Escape") {
        go({ name: "history" });
        return true;
      }
      return false;
    },
    prompt === null,
  );

  const reprint = () =>
    api.reprint(txn.trace).then((r) => setNote(t("app-reprinted", { count: r.receipts })), fail);

  return (
    <section class="detail" data-testid="detail-screen" data-trace={txn.trace} data-status={txn.status}>
      <div class="detail-main">
        <h1>
          {t(`kind-${txn.kind}`)} <span class="mono">{txn.trace}</span>
        </h1>
        <dl class="facts">
          <dt>{t("history-col-status")}</dt>
          <dd data-testid="detail-status" class={`st ${txn.status}`}>
            {t(`status-${txn.status}`)}
          </dd>
          <dt>{t("receipt-date-time")}</dt>
          <dd>
            {txn.date} {txn.time}
          </dd>
          <dt>{t("receipt-amount")}</dt>
          <dd>{txn.amount.text}</dd>
          {txn.tip.minor > 0 && (
            <>
              <dt>{t("receipt-tip")}</dt>
              <dd>{txn.tip.text}</dd>
            </>
          )}
          <dt>{t("receipt-total")}</dt>
          <dd data-testid="detail-total">{txn.total.text}</dd>
          {txn.refunded.minor > 0 && (
            <>
              <dt>{t("app-refunded")}</dt>
              <dd data-testid="detail-refunded">{txn.refunded.text}</dd>
            </>
          )}
          <dt>{t("receipt-means")}</dt>
          <dd>
            {t(`means-${txn.means}`)}
            {txn.wallet ? ` · ${t(`app-wallet-${txn.wallet}`)}` : ""}
          </dd>
          {txn.card && (
            <>
              <dt>{t("receipt-card-number")}</dt>
              <dd>
                {txn.card.scheme} {txn.card.masked_pan}
              </dd>
            </>
          )}
          {txn.auth_code && (
            <>
              <dt>{t("receipt-auth-code")}</dt>
              <dd data-testid="detail-auth">{txn.auth_code}</dd>
            </>
          )}
          {txn.reference && (
            <>
              <dt>{t("receipt-reference")}</dt>
              <dd>{txn.reference}</dd>
            </>
          )}
          {txn.original_trace && (
            <>
              <dt>{t("receipt-original-trace")}</dt>
              <dd>{txn.original_trace}</dd>
            </>
          )}
          <dt>{t("app-operator")}</dt>
          <dd>{txn.operator}</dd>
        </dl>
        <ErrorBox error={error} testid="detail-error" />
        {note && (
          <p class="notice" data-testid="detail-note">
            {note}
          </p>
        )}
        <div class="row wrap">
          <Btn testid="detail-back" onClick={() => go({ name: "history" })} hint="Esc">
            {t("app-back")}
          </Btn>
          {(txn.status === "approved" || txn.status === "voided") && (
            <Btn testid="detail-reprint" onClick={reprint}>
              {t("app-reprint")}
            </Btn>
          )}
          {txn.can_void && (
            <Btn testid="detail-void" kind="danger" onClick={() => setPrompt("void")}>
              {t("app-void")}
            </Btn>
          )}
          {txn.can_refund && (
            <Btn testid="detail-refund" kind="danger" onClick={() => setPrompt("refund")}>
              {t("app-refund")}
            </Btn>
          )}
        </div>
      </div>
      <div class="detail-receipts">
        <h2>{t("app-receipts")}</h2>
        <Receipts papers={papers} />
      </div>
      {prompt === "void" && (
        <PinPrompt
          title={t("app-void-title", { trace: txn.trace })}
          testid="void-prompt"
          explain={t("app-void-explain", { amount: txn.total.text })}
          operator={session?.may.includes("void") ? session.operator : ""}
          confirm={t("app-void")}
          onClose={() => setPrompt(null)}
          run={async (operator, pin) => {
            // The PIN is checked before the terminal is asked: a wrong one stays in the dialog.
            resetLive();
            const started = nextProgress();
            const outcome = api.void(txn.trace, { operator, pin });
            await flowFrom(ctx, started, outcome, t("app-void"), txn.total.text, txn.means, () => setPrompt(null));
          }}
        />
      )}
      {prompt === "refund" && (
        <PinPrompt
          title={t("app-refund-title", { trace: txn.trace })}
          testid="refund-prompt"
          explain={t("app-refund-explain", { remaining: txn.refundable.text })}
          operator={session?.operator ?? ""}
          amount={{ label: t("app-refund-amount"), placeholder: txn.refundable.text }}
          confirm={t("app-refund")}
          onClose={() => setPrompt(null)}
          run={async (operator, pin, amount) => {
            resetLive();
            const started = nextProgress();
            const outcome = api.refund(txn.trace, amount, { operator, pin });
            await flowFrom(ctx, started, outcome, t("app-refund"), amount || txn.refundable.text, txn.means, () => setPrompt(null));
          }}
        />
      )}
    </section>
  );
}

/**
 * Void and refund: the PIN prompt stays open until the till has checked the PIN and the rules
 * (their errors belong in the dialog); once the device reports its first step, the progress
 * screen takes over. Decided by what the till says, never by how long it took: on a busy
 * machine the PIN check alone may take longer than any guess.
 */
async function flowFrom(
  ctx: ReturnType<typeof useCtx>,
  started: Promise<void>,
  outcome: Promise<Outcome>,
  title: string,
  total: string,
  means: string,
  close: () => void,
) {
  const first = await Promise.race([outcome.then((o) => ({ done: o })), started.then(() => ({ done: null }))]);
  close();
  if (first.done) {
    ctx.go({ name: "result", outcome: first.done, back: "history" });
    return;
  }
  await ctx.flow({ name: "working", title, total, means }, () => outcome, "history");
}
