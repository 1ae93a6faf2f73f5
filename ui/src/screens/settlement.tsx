// T10: the batch summary by means, PRINT SUMMARY (X) and SETTLE (Z, with its report);
// T5: a stored-value card's balance and last transactions.
import { useEffect, useState } from "preact/hooks";
import { api, type Balance, type MeansTotals, type Paper, type Report, type Totals } from "../api";
import { resetLive } from "../live";
import { useCtx, useKeys, useT } from "../ctx";
import { Btn, ErrorBox, Modal, Receipts } from "../ui";

function TotalsTable({ totals }: { totals: Totals }) {
  const t = useT();
  const tally = (x: MeansTotals["sales"]) => (
    <>
      {x.amount.text}
      <small class="count"> ×{x.count}</small>
    </>
  );
  const row = (m: MeansTotals, total = false) => (
    <tr key={m.means} class={total ? "grand" : ""} data-testid={`totals-${m.means}`}>
      <th>{total ? t("report-net-total") : t(`means-${m.means}`)}</th>
      <td class="num">{tally(m.sales)}</td>
      <td class="num">{tally(m.voids)}</td>
      <td class="num">{tally(m.refunds)}</td>
      <td class="num strong" data-testid={`totals-${m.means}-net`}>
        {m.net.text}
      </td>
    </tr>
  );
  return (
    <div class="table-wrap">
      <table class="totals" data-testid="totals-table">
        <thead>
          <tr>
            <th />
            <th class="num">{t("report-sales")}</th>
            <th class="num">{t("report-voids")}</th>
            <th class="num">{t("report-refunds")}</th>
            <th class="num">{t("report-net")}</th>
          </tr>
        </thead>
        <tbody>
          {totals.by_means.map((m) => row(m))}
          {totals.by_means.length === 0 && (
            <tr>
              <td colSpan={5} class="muted center" data-testid="totals-empty">
                {t("report-no-transactions")}
              </td>
            </tr>
          )}
        </tbody>
        <tfoot>{row(totals.grand, true)}</tfoot>
      </table>
    </div>
  );
}

export function Settlement() {
  const { fail, error, session } = useCtx();
  const t = useT();
  const [totals, setTotals] = useState<Totals | null>(null);
  const [report, setReport] = useState<{ kind: "x" | "z"; report: Report; papers: Paper[] | null } | null>(null);
  const [confirm, setConfirm] = useState(false);
  const [busy, setBusy] = useState(false);
  const load = () => api.totals().then(setTotals, fail);
  useEffect(() => void load(), []);

  const run = async (kind: "x" | "z") => {
    setBusy(true);
    setConfirm(false);
    resetLive();
    try {
      const r = kind === "x" ? await api.xReport() : await api.settle();
      setReport({ kind, report: r, papers: null });
      setReport({ kind, report: r, papers: await api.lastReceipts() });
      await load();
    } catch (e) {
      fail(e);
    } finally {
      setBusy(false);
    }
  };
  useKeys(
    (e) => {
      if (e.key === "Escape" && report) {
        setReport(null);
        return true;
      }
      return false;
    },
    !confirm,
  );
  const maySettle = session?.may.includes("settle") ?? false;

  return (
    <section class="settlement" data-testid="settlement-screen">
      <div class="settle-main">
        <h1>{totals ? t("app-batch-summary", { batch: String(totals.batch).padStart(6, "0") }) : t("app-loading")}</h1>
        {totals && <TotalsTable totals={totals} />}
        <ErrorBox error={error} testid="settlement-error" />
        <div class="row wrap">
          <Btn testid="settlement-x" onClick={() => void run("x")} disabled={busy}>
            {t("app-print-summary")}
          </Btn>
          {maySettle && (
            <Btn testid="settlement-settle" kind="danger" onClick={() => setConfirm(true)} disabled={busy}>
              {t("app-settle")}
            </Btn>
          )}
        </div>
        {report && (
          <div class="report-done" data-testid={`settlement-${report.kind}-done`}>
            <p class="notice">
              {report.kind === "x"
                ? t("app-x-printed", { batch: String(report.report.batch).padStart(6, "0") })
                : t("settle-done", {
                    batch: String(report.report.batch).padStart(6, "0"),
                    count: report.report.totals.grand.sales.count + report.report.totals.grand.refunds.count + report.report.totals.grand.voids.count,
                    net: report.report.totals.grand.net.text,
                    next: String(report.report.next_batch ?? 0).padStart(6, "0"),
                  })}
            </p>
            {report.report.terminal && (
              <p
                class={report.report.terminal.matches ? "notice" : "error"}
                data-testid="settlement-terminal"
                data-matches={String(report.report.terminal.matches)}
              >
                {report.report.terminal.matches ? t("report-terminal-match") : t("settle-mismatch")}
              </p>
            )}
            <ErrorBox error={report.report.print_error} testid="settlement-print-error" />
          </div>
        )}
      </div>
      <div class="settle-receipts">
        <h2>{report?.kind === "z" ? t("report-z-title") : t("report-x-title")}</h2>
        {report ? <Receipts papers={report.papers} testid="report-preview" /> : <p class="muted">{t("app-report-hint")}</p>}
      </div>
      {confirm && (
        <Modal title={t("app-settle")} testid="settle-confirm" onClose={() => setConfirm(false)}>
          <p>{t("app-settle-explain")}</p>
          <div class="row end">
            <Btn testid="settle-confirm-no" onClick={() => setConfirm(false)} hint="Esc">
              {t("app-cancel")}
            </Btn>
            <Btn testid="settle-confirm-yes" kind="danger" onClick={() => void run("z")}>
              {t("app-settle")}
            </Btn>
          </div>
        </Modal>
      )}
    </section>
  );
}

export function BalanceScreen() {
  const { fail, error } = useCtx();
  const t = useT();
  const [balance, setBalance] = useState<Balance | null>(null);
  const [busy, setBusy] = useState(false);
  const read = async () => {
    setBusy(true);
    setBalance(null);
    try {
      setBalance(await api.balance());
    } catch (e) {
      fail(e);
    } finally {
      setBusy(false);
    }
  };
  useKeys((e) => {
    if (e.key === "Enter") {
      void read();
      return true;
    }
    return false;
  });
  return (
    <section class="panel narrow" data-testid="balance-screen">
      <h1>{t("app-balance-title")}</h1>
      <p class="muted">{t("app-balance-explain")}</p>
      <Btn testid="balance-read" kind="primary" onClick={() => void read()} disabled={busy} hint="Enter">
        {busy ? t("progress-present-card") : t("app-balance-read")}
      </Btn>
      <ErrorBox error={error} testid="balance-error" />
      {balance && (
        <div class="balance" data-testid="balance-result">
          <p>
            {t("receipt-sv-card")} <span class="mono">{balance.card_no}</span>
          </p>
          <p class="big" data-testid="balance-remaining">
            {balance.remaining.text}
          </p>
          <h2>{t("app-balance-last")}</h2>
          {balance.last.length === 0 && <p class="muted">{t("history-empty")}</p>}
          <ul class="plain-list" data-testid="balance-last">
            {balance.last.map((e, i) => (
              <li key={i}>
                <span class="mono">
                  {e.date} {e.time}
                </span>
                <span class="num">{e.amount.text}</span>
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}
