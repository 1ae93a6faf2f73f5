// Shared pieces: buttons, the keypad, error and notice boxes, the PIN prompt, receipt pictures.
import type { ComponentChildren } from "preact";
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { api, asTillError, type Paper, type TillError } from "./api";
import { errorText, useCtx, useKeys, useT } from "./ctx";

export function ErrorBox({ error, testid = "error" }: { error: TillError | null; testid?: string }) {
  const { lang } = useCtx();
  if (!error) return null;
  return (
    <div class="error" role="alert" data-testid={testid} data-code={error.code}>
      {errorText(lang, error)}
    </div>
  );
}

export function Btn(props: {
  testid: string;
  onClick: () => void;
  children: ComponentChildren;
  kind?: "primary" | "danger" | "plain" | "big";
  disabled?: boolean;
  hint?: string;
  class?: string;
}) {
  return (
    <button
      type="button"
      class={`btn ${props.kind ?? "plain"} ${props.class ?? ""}`}
      data-testid={props.testid}
      disabled={props.disabled}
      onClick={props.onClick}
    >
      {props.children}
      {props.hint && <kbd>{props.hint}</kbd>}
    </button>
  );
}

const AMOUNT_KEYS = ["7", "8", "9", "back", "4", "5", "6", "clear", "1", "2", "3", ".", "0", "00"];
const PIN_KEYS = ["7", "8", "9", "4", "5", "6", "1", "2", "3", "clear", "0", "back"];

/** The touch keypad: digits, 00 and the decimal point for amounts, delete and clear. */
export function Keypad({ onKey, pin = false }: { onKey: (k: string) => void; pin?: boolean }) {
  const t = useT();
  const label = (k: string) => (k === "clear" ? t("app-key-clear") : k === "back" ? "⌫" : k);
  const id = (k: string) => (k === "." ? "dot" : k);
  return (
    <div class={`keypad ${pin ? "pin" : "amount"}`} data-testid="keypad">
      {(pin ? PIN_KEYS : AMOUNT_KEYS).map((k) => (
        <button
          type="button"
          key={k}
          class={`key ${k === "clear" || k === "back" ? "fn" : ""} k-${id(k)}`}
          data-testid={`keypad-${id(k)}`}
          aria-label={k === "back" ? "Backspace" : undefined}
          onClick={() => onKey(k)}
        >
          {label(k)}
        </button>
      ))}
    </div>
  );
}

/** Applies a keypad key to typed text. */
export function typeKey(text: string, k: string, max = 12): string {
  if (k === "clear") return "";
  if (k === "back") return text.slice(0, -1);
  if (text.length + k.length > max) return text;
  return text + k;
}

/** Pictures of printed paper, one per page, with their text for screen readers and tests. */
export function Receipts({ papers, testid = "receipt-preview" }: { papers: Paper[] | null; testid?: string }) {
  const t = useT();
  if (!papers) return <div class="receipts muted">{t("app-loading")}</div>;
  if (papers.length === 0) return <div class="receipts muted" data-testid={`${testid}-none`}>{t("app-no-receipt")}</div>;
  return (
    <div class="receipts" data-testid={testid}>
      {papers.map((p, i) => (
        <figure class="paper" key={i}>
          <img src={p.png} alt={p.text} width={p.width / 2} height={p.height / 2} data-testid={`${testid}-page-${i}`} />
          <pre class="paper-text" data-testid={`${testid}-text-${i}`}>
            {p.text}
          </pre>
        </figure>
      ))}
    </div>
  );
}

/** A dialog over the current screen; Esc closes it. */
export function Modal(props: { title: string; testid: string; onClose: () => void; children: ComponentChildren }) {
  useKeys((e) => {
    if (e.key === "Escape") {
      props.onClose();
      return true;
    }
    return false;
  });
  return (
    <div class="modal-back">
      <div class="modal" role="dialog" aria-modal="true" data-testid={props.testid}>
        <h2>{props.title}</h2>
        {props.children}
      </div>
    </div>
  );
}

/**
 * The supervisor PIN (void) or refund PIN prompt: operator id and PIN, and for a refund the
 * amount. Enter confirms, Esc cancels. `run` gets the typed values; its error stays in the
 * dialog (a wrong PIN is told here and changes nothing).
 */
export function PinPrompt(props: {
  title: string;
  testid: string;
  explain: string;
  operator: string;
  amount?: { label: string; placeholder: string };
  confirm: string;
  onClose: () => void;
  run: (operator: string, pin: string, amount: string) => Promise<void>;
}) {
  const t = useT();
  const [operator, setOperator] = useState(props.operator);
  const [pin, setPin] = useState("");
  const [amount, setAmount] = useState("");
  const [error, setError] = useState<TillError | null>(null);
  const [busy, setBusy] = useState(false);
  const pinRef = useRef<HTMLInputElement>(null);
  useLayoutEffect(() => pinRef.current?.focus(), []);
  const submit = async () => {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      await props.run(operator.trim(), pin, amount.trim());
    } catch (e) {
      setError(asTillError(e));
      setPin("");
      pinRef.current?.focus();
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal title={props.title} testid={props.testid} onClose={props.onClose}>
      <p class="muted">{props.explain}</p>
      <form
        class="form"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <label>
          {t("app-operator-id")}
          <input
            data-testid={`${props.testid}-operator`}
            value={operator}
            inputMode="numeric"
            autoComplete="off"
            onInput={(e) => setOperator(e.currentTarget.value)}
          />
        </label>
        <label>
          {t("app-pin")}
          <input
            ref={pinRef}
            data-testid={`${props.testid}-pin`}
            type="password"
            inputMode="numeric"
            autoComplete="off"
            maxLength={6}
            value={pin}
            onInput={(e) => setPin(e.currentTarget.value)}
          />
        </label>
        {props.amount && (
          <label>
            {props.amount.label}
            <input
              data-testid={`${props.testid}-amount`}
              inputMode="decimal"
              autoComplete="off"
              placeholder={props.amount.placeholder}
              value={amount}
              onInput={(e) => setAmount(e.currentTarget.value)}
            />
          </label>
        )}
        <ErrorBox error={error} testid={`${props.testid}-error`} />
        <div class="row end">
          <Btn testid={`${props.testid}-cancel`} onClick={props.onClose} hint="Esc">
            {t("app-cancel")}
          </Btn>
          <button type="submit" class="btn primary" data-testid={`${props.testid}-confirm`} disabled={busy}>
            {props.confirm}
            <kbd>Enter</kbd>
          </button>
        </div>
      </form>
    </Modal>
  );
}

/** Loads pictures of the last printed paper once. */
export function useLastReceipts(count: number): Paper[] | null {
  const [papers, setPapers] = useState<Paper[] | null>(count > 0 ? null : []);
  useEffect(() => {
    if (count > 0) api.lastReceipts().then(setPapers, () => setPapers([]));
  }, [count]);
  return papers;
}
