// S1: what recovery did at start (T8), login, and the first-login PIN change.
import { useLayoutEffect, useRef, useState } from "preact/hooks";
import { api, isTillError, type TillError } from "../api";
import { useCtx, useKeys, useT } from "../ctx";
import { Btn, ErrorBox, Keypad, typeKey } from "../ui";

export function RecoveryScreen() {
  const { info, session, go } = useCtx();
  const t = useT();
  const next = () => go(session ? { name: "sale" } : { name: "login" });
  useKeys((e) => {
    if (e.key === "Enter") {
      next();
      return true;
    }
    return false;
  });
  return (
    <section class="panel narrow" data-testid="recovery">
      <h1>{t("app-recovery-title")}</h1>
      <p class="muted">{t("app-recovery-explain")}</p>
      <ul class="recovered">
        {info.recovered.map((r) => (
          <li key={r.trace} class={`rec ${r.kind}`} data-testid={`recovery-${r.trace}`} data-kind={r.kind}>
            <strong>{t(`app-recovery-kind-${r.kind}`)}</strong>
            <span>{t(r.message_id, { trace: r.trace, amount: r.amount.text })}</span>
          </li>
        ))}
      </ul>
      <div class="row end">
        <Btn testid="recovery-continue" kind="primary" onClick={next} hint="Enter">
          {t("app-continue")}
        </Btn>
      </div>
    </section>
  );
}

/** Operator id and PIN, typed or tapped; Enter logs in. */
export function Login({ notice }: { notice?: TillError }) {
  const { go, setSession, info } = useCtx();
  const t = useT();
  const [operator, setOperator] = useState("");
  const [pin, setPin] = useState("");
  const [field, setField] = useState<"operator" | "pin">("operator");
  const [error, setError] = useState<TillError | null>(notice ?? null);
  const [busy, setBusy] = useState(false);
  const opRef = useRef<HTMLInputElement>(null);
  const pinRef = useRef<HTMLInputElement>(null);
  useLayoutEffect(() => opRef.current?.focus(), []);

  const submit = async () => {
    if (busy) return;
    if (!operator) {
      setField("operator");
      opRef.current?.focus();
      return;
    }
    if (!pin) {
      setField("pin");
      pinRef.current?.focus();
      return;
    }
    setBusy(true);
    try {
      const s = await api.login(operator.trim(), pin);
      setSession(s);
      go({ name: "sale" });
    } catch (e) {
      if (isTillError(e) && e.code === "pin-change-required") {
        go({ name: "pin-change", operator: operator.trim(), oldPin: pin });
        return;
      }
      setError(isTillError(e) ? e : null);
      setPin("");
      setField("pin");
      pinRef.current?.focus();
    } finally {
      setBusy(false);
    }
  };

  const key = (k: string) => {
    if (field === "operator") setOperator((v) => typeKey(v, k, 8));
    else setPin((v) => typeKey(v, k, 6));
  };

  return (
    <section class="panel login" data-testid="login">
      <div class="login-form">
        <h1>{t("app-login-title")}</h1>
        <p class="muted">{t("app-login-hint", { till: info.till_id })}</p>
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
              ref={opRef}
              data-testid="login-operator"
              inputMode="numeric"
              autoComplete="off"
              value={operator}
              onFocus={() => setField("operator")}
              onInput={(e) => setOperator(e.currentTarget.value)}
            />
          </label>
          <label>
            {t("app-pin")}
            <input
              ref={pinRef}
              data-testid="login-pin"
              type="password"
              inputMode="numeric"
              autoComplete="off"
              maxLength={6}
              value={pin}
              onFocus={() => setField("pin")}
              onInput={(e) => setPin(e.currentTarget.value)}
            />
          </label>
          <ErrorBox error={error} testid="login-error" />
          <button type="submit" class="btn primary wide" data-testid="login-submit" disabled={busy}>
            {t("app-login")}
            <kbd>Enter</kbd>
          </button>
        </form>
      </div>
      <div class="login-pad">
        <Keypad onKey={key} pin />
      </div>
    </section>
  );
}

/** S1: a default PIN must become a 6-digit PIN of the operator's own before anything else. */
export function PinChange({ operator, oldPin }: { operator: string; oldPin: string }) {
  const { go, setSession } = useCtx();
  const t = useT();
  const [pin, setPin] = useState("");
  const [again, setAgain] = useState("");
  const [error, setError] = useState<TillError | null>(null);
  const [mismatch, setMismatch] = useState(false);
  const ref = useRef<HTMLInputElement>(null);
  useLayoutEffect(() => ref.current?.focus(), []);
  useKeys((e) => {
    if (e.key === "Escape") {
      go({ name: "login" });
      return true;
    }
    return false;
  });
  const submit = async () => {
    setMismatch(false);
    setError(null);
    if (pin !== again) {
      setMismatch(true);
      setAgain("");
      return;
    }
    try {
      await api.changePin({ operator, old_pin: oldPin, new_pin: pin });
      setSession(await api.login(operator, pin));
      go({ name: "sale" });
    } catch (e) {
      setError(isTillError(e) ? e : null);
      setPin("");
      setAgain("");
      ref.current?.focus();
    }
  };
  return (
    <section class="panel narrow" data-testid="pin-change">
      <h1>{t("app-pin-change-title")}</h1>
      <p class="muted">{t("error-pin-change-required")}</p>
      <form
        class="form"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <label>
          {t("app-new-pin")}
          <input
            ref={ref}
            data-testid="pin-change-new"
            type="password"
            inputMode="numeric"
            autoComplete="off"
            maxLength={6}
            value={pin}
            onInput={(e) => setPin(e.currentTarget.value)}
          />
        </label>
        <label>
          {t("app-new-pin-again")}
          <input
            data-testid="pin-change-again"
            type="password"
            inputMode="numeric"
            autoComplete="off"
            maxLength={6}
            value={again}
            onInput={(e) => setAgain(e.currentTarget.value)}
          />
        </label>
        {mismatch && (
          <div class="error" role="alert" data-testid="pin-change-mismatch">
            {t("app-pin-mismatch")}
          </div>
        )}
        <ErrorBox error={error} testid="pin-change-error" />
        <div class="row end">
          <Btn testid="pin-change-cancel" onClick={() => go({ name: "login" })} hint="Esc">
            {t("app-cancel")}
          </Btn>
          <button type="submit" class="btn primary" data-testid="pin-change-submit">
            {t("app-pin-change-submit")}
            <kbd>Enter</kbd>
          </button>
        </div>
      </form>
    </section>
  );
}
