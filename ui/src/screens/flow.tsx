// While the customer acts: the PIN pad's prompts as they happen (D1), the camera looking for
// the customer's code (T2), the till's code as the customer sees it (T3) — each with Cancel —
// and the result with its receipts (T11).
import { useEffect, useState } from "preact/hooks";
import { api, type Outcome } from "../api";
import { cancelledRef, useCtx, useKeys, useT } from "../ctx";
import { useLive } from "../live";
import { Btn, ErrorBox, Receipts, useLastReceipts } from "../ui";

function useCancel(enabled = true) {
  const { fail } = useCtx();
  const [asked, setAsked] = useState(false);
  const cancel = () => {
    if (asked || !enabled) return;
    setAsked(true);
    cancelledRef.current = true;
    api.cancel().catch(fail);
  };
  useKeys((e) => {
    if (e.key === "Escape") {
      cancel();
      return true;
    }
    return true; // nothing else is typed while the customer acts
  });
  return { asked, cancel };
}

function CancelButton({ asked, cancel }: { asked: boolean; cancel: () => void }) {
  const t = useT();
  return (
    <Btn testid="flow-cancel" kind="danger" onClick={cancel} disabled={asked} hint="Esc">
      {asked ? t("app-cancelling") : t("app-cancel")}
    </Btn>
  );
}

export function Working({ title, total, means }: { title: string; total: string; means: string }) {
  const t = useT();
  const live = useLive();
  const cancellable = ["card", "tap-and-go", "stored-value"].includes(means);
  const { asked, cancel } = useCancel(cancellable);
  const last = live.progress.at(-1);
  return (
    <section class="panel working" data-testid="progress-screen" data-means={means}>
      <div class="working-total">
        <span class="muted">{title}</span>
        <strong data-testid="progress-total">{total}</strong>
      </div>
      <div class="pinpad" aria-hidden="true">
        <div class={`pinpad-screen step-${last?.step ?? "processing"}`} />
      </div>
      <p class="prompt" data-testid="progress-message" data-step={last?.step ?? "processing"} aria-live="polite">
        {t(last?.message_id ?? "progress-processing")}
      </p>
      <ol class="steps" data-testid="progress-steps">
        {live.progress.slice(0, -1).map((p, i) => (
          <li key={i} class="done" data-step={p.step}>
            {t(p.message_id)}
          </li>
        ))}
      </ol>
      {cancellable && <CancelButton asked={asked} cancel={cancel} />}
    </section>
  );
}

export function QrScan({ total }: { total: string }) {
  const t = useT();
  const { info } = useCtx();
  const live = useLive();
  const { asked, cancel } = useCancel();
  return (
    <section class="panel qr-scan" data-testid="qr-scan-screen">
      <div class="working-total">
        <span class="muted">{t("means-qr-customer")}</span>
        <strong data-testid="progress-total">{total}</strong>
      </div>
      <div class="camera">
        {live.frame ? (
          <img src={live.frame} alt={t("app-camera-preview")} data-testid="camera-preview" />
        ) : (
          <div class="camera-off" data-testid="camera-waiting">
            {t("app-camera-starting")}
          </div>
        )}
        <div class="camera-frame" aria-hidden="true" />
      </div>
      <p class="prompt" data-testid="progress-message" data-step={live.code ? "code-read" : "scan-code"}>
        {live.code ? t("app-code-read", { tail: live.code }) : t("progress-scan-code")}
      </p>
      <p class="muted small" data-testid="camera-folder">
        {t("app-camera-folder", { dir: info.camera_dir })}
      </p>
      <CancelButton asked={asked} cancel={cancel} />
    </section>
  );
}

function useCountdown(until: string | undefined): number | null {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(id);
  }, []);
  if (!until) return null;
  return Math.max(0, Math.round((Date.parse(until) - now) / 1000));
}

export function MerchantQr({ total }: { total: string }) {
  const t = useT();
  const live = useLive();
  const { asked, cancel } = useCancel();
  const shown = live.display?.screen === "qr-to-scan" ? live.display : null;
  const left = useCountdown(shown?.expires_at);
  return (
    <section class="panel qr-merchant" data-testid="qr-merchant-screen">
      <div class="working-total">
        <span class="muted">{t("means-qr-merchant")}</span>
        <strong data-testid="progress-total">{shown?.total ?? total}</strong>
      </div>
      <div class="customer-view">
        <span class="muted small">{t("app-customer-sees")}</span>
        {shown?.svg ? (
          <img class="qr" src={shown.svg} alt={shown.payload} data-testid="merchant-qr" data-payload={shown.payload} />
        ) : (
          <div class="qr pending" data-testid="merchant-qr-pending">
            {t("progress-processing")}
          </div>
        )}
      </div>
      <p class="prompt" data-testid="progress-message">
        {t("progress-waiting-for-customer")}
      </p>
      {left !== null && (
        <p class="muted" data-testid="merchant-qr-expires">
          {t("app-qr-expires-in", { minutes: Math.floor(left / 60), seconds: String(left % 60).padStart(2, "0") })}
        </p>
      )}
      <CancelButton asked={asked} cancel={cancel} />
    </section>
  );
}

const RESULT_IDS: Record<string, string> = {
  approved: "result-approved",
  declined: "result-declined",
  cancelled: "result-cancelled",
  unknown: "result-unknown",
  reversed: "result-reversed",
  voided: "status-voided",
  pending: "status-pending",
};

export function ResultScreen({ outcome, back }: { outcome: Outcome; back: "sale" | "history" }) {
  const t = useT();
  const { go, fail, lang } = useCtx();
  const papers = useLastReceipts(outcome.receipts);
  const [reprinted, setReprinted] = useState<Outcome | null>(null);
  const txn = outcome.txn;
  const ok = txn.status === "approved";
  const done = () => go(back === "sale" ? { name: "sale" } : { name: "history" });
  useKeys((e) => {
    if (e.key === "Enter" || e.key === "Escape") {
      done();
      return true;
    }
    return false;
  });
  const reprint = () => api.reprint(txn.trace).then((r) => setReprinted(r), fail);
  return (
    <section class="result" data-testid="result-screen" data-status={txn.status} data-kind={txn.kind}>
      <div class="result-main">
        <div class={`verdict ${ok ? "ok" : "bad"}`} data-testid="result-status">
          {t(RESULT_IDS[txn.status] ?? `status-${txn.status}`)}
        </div>
        <div class="result-total" data-testid="result-total">
          {txn.total.text}
        </div>
        {txn.decline_message_id && (
          <p class="reason" data-testid="result-reason">
            {t(txn.decline_message_id)}
          </p>
        )}
        <dl class="facts" lang={lang}>
          <dt>{t(`kind-${txn.kind}`)}</dt>
          <dd data-testid="result-trace">{txn.trace}</dd>
          <dt>{t("receipt-means")}</dt>
          <dd data-testid="result-means">
            {t(`means-${txn.means}`)}
            {txn.wallet ? ` · ${t(`app-wallet-${txn.wallet}`)}` : ""}
          </dd>
          {txn.card && (
            <>
              <dt>{t("receipt-card-number")}</dt>
              <dd data-testid="result-card">
                {txn.card.scheme} {txn.card.masked_pan}
              </dd>
            </>
          )}
          {txn.auth_code && (
            <>
              <dt>{t("receipt-auth-code")}</dt>
              <dd data-testid="result-auth">{txn.auth_code}</dd>
            </>
          )}
          {txn.original_trace && (
            <>
              <dt>{t("receipt-original-trace")}</dt>
              <dd>{txn.original_trace}</dd>
            </>
          )}
        </dl>
        {outcome.notices.map((n) => (
          <p class="notice" key={n} data-testid="result-notice">
            {t(n)}
          </p>
        ))}
        <ErrorBox error={outcome.print_error} testid="result-print-error" />
        {reprinted && (
          <p class="notice" data-testid="result-reprinted">
            {t("app-reprinted", { count: reprinted.receipts })}
          </p>
        )}
        <div class="row">
          {ok && txn.kind === "sale" && (
            <Btn testid="result-reprint" onClick={reprint}>
              {t("app-print-again")}
            </Btn>
          )}
          <Btn testid="result-done" kind="primary" onClick={done} hint="Enter">
            {back === "sale" ? t("app-new-sale") : t("app-back-to-history")}
          </Btn>
        </div>
      </div>
      <div class="result-receipts">
        <h2>{t("app-receipts")}</h2>
        <Receipts papers={papers} />
      </div>
    </section>
  );
}
