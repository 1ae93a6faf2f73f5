// Issue 14: updates from the back office. The status bar says when one is ready (or was
// refused, and why); the cashier installs it from a dialog, which the till refuses mid-sale;
// Settings shows the version and checks now. src-tauri/src/shell/update.rs.
import { useEffect, useState } from "preact/hooks";
import { api, asTillError, on, type TillError, type UpdateOut } from "./api";
import { useCtx, useT } from "./ctx";
import { Btn, ErrorBox, Modal } from "./ui";

/** The update state as the app has it now, kept fresh by its `update` events. */
export function useUpdate(): [UpdateOut | null, (u: UpdateOut) => void] {
  const [update, setUpdate] = useState<UpdateOut | null>(null);
  useEffect(() => {
    api.updateState().then(setUpdate, () => {});
    const un = on<UpdateOut>("update", setUpdate);
    return () => void un.then((f) => f());
  }, []);
  return [update, setUpdate];
}

/** What refused an update, in the operator's language, with the detail after it. */
function refusedText(t: ReturnType<typeof useT>, u: UpdateOut): string {
  const why = u.reason_id ? t(u.reason_id) : (u.reason ?? "");
  return t("app-update-refused", { version: u.version ?? "?", current: u.current, reason: why });
}

/** The bar above the status bar, when there is something to say: an update ready (opens the
 *  dialog), one refused and why, or what the last update did after the restart it caused. */
export function UpdateBar({ busy }: { busy: boolean }) {
  const { session } = useCtx();
  const t = useT();
  const [update] = useUpdate();
  const [open, setOpen] = useState(false);
  const [seen, setSeen] = useState(false);
  if (!update) return null;
  if (update.last && !seen) {
    return (
      <div
        class={`update-bar ${update.last.installed ? "ok" : "bad"}`}
        role="status"
        data-testid="update-last"
        data-installed={String(update.last.installed)}
        title={update.last.reason ?? ""}
      >
        <span>
          {update.last.installed
            ? t("app-update-installed", { current: update.current })
            : t("app-update-failed", {
                current: update.current,
                reason: update.last.reason_id ? t(update.last.reason_id) : (update.last.reason ?? ""),
              })}
        </span>
        <Btn testid="update-last-ok" onClick={() => setSeen(true)}>
          {t("app-close")}
        </Btn>
      </div>
    );
  }
  if (update.state === "ready" && update.version) {
    return (
      <div class="update-bar ready" role="status" data-testid="update-bar" data-version={update.version}>
        <span>{t("app-update-ready", { version: update.version })}</span>
        <Btn
          testid="update-ready"
          kind="primary"
          disabled={busy || session === null}
          onClick={() => setOpen(true)}
        >
          {t("app-update-open")}
        </Btn>
        {open && <InstallDialog update={update} onClose={() => setOpen(false)} />}
      </div>
    );
  }
  if (update.state === "refused") {
    return (
      <div class="update-bar bad" role="status" data-testid="update-refused">
        <span>{refusedText(t, update)}</span>
      </div>
    );
  }
  if (update.state === "installing") {
    return (
      <div class="update-bar" role="status" data-testid="update-installing">
        <span>{t("app-update-installing")}</span>
      </div>
    );
  }
  return null;
}

function InstallDialog({ update, onClose }: { update: UpdateOut; onClose: () => void }) {
  const t = useT();
  const [error, setError] = useState<TillError | null>(null);
  const [busy, setBusy] = useState(false);
  const install = async () => {
    setBusy(true);
    setError(null);
    try {
      await api.updateInstall();
    } catch (e) {
      setError(asTillError(e));
      setBusy(false);
    }
  };
  return (
    <Modal title={t("app-update-title", { version: update.version ?? "" })} testid="update-dialog" onClose={onClose}>
      {update.notes && (
        <p class="update-notes" data-testid="update-notes">
          {update.notes}
        </p>
      )}
      <p class="muted small">{t("app-update-explain", { current: update.current })}</p>
      <ErrorBox error={error} testid="update-error" />
      <div class="row">
        <Btn testid="update-install" kind="primary" disabled={busy} onClick={() => void install()}>
          {busy ? t("app-update-installing") : t("app-update-install")}
        </Btn>
        <Btn testid="update-later" onClick={onClose}>
          {t("app-update-later")}
        </Btn>
      </div>
    </Modal>
  );
}

/** Settings → Updates (Manager): the version running, what the back office offers, and
 *  "Check for updates". */
export function UpdatesCard() {
  const t = useT();
  const [update, setUpdate] = useUpdate();
  const [error, setError] = useState<TillError | null>(null);
  const [checking, setChecking] = useState(false);
  const check = async () => {
    setChecking(true);
    setError(null);
    try {
      setUpdate(await api.updateCheck());
    } catch (e) {
      setError(asTillError(e));
    }
    setChecking(false);
  };
  const u = update;
  let line = "";
  if (u) {
    switch (u.state) {
      case "none":
        line = t("app-update-none", { current: u.current });
        break;
      case "checking":
        line = t("app-update-checking");
        break;
      case "ready":
        line = t("app-update-ready-line", { version: u.version ?? "", current: u.current });
        break;
      case "refused":
        line = refusedText(t, u);
        break;
      case "no-key":
        line = t("app-update-no-key", { current: u.current });
        break;
      case "unreachable":
        line = t("app-update-unreachable", { reason: u.reason ?? "" });
        break;
      case "installing":
        line = t("app-update-installing");
        break;
    }
  }
  return (
    <div class="card" data-testid="settings-updates" data-state={u?.state ?? ""}>
      <h2>{t("app-updates")}</h2>
      <p
        data-testid="settings-updates-state"
        class={u && ["refused", "unreachable", "no-key"].includes(u.state) ? "error-text" : ""}
      >
        {line}
      </p>
      {u?.state === "refused" && u.reason && <p class="mono small muted">{u.reason}</p>}
      <p class="muted small">{t("app-update-nightly")}</p>
      <div class="row">
        <Btn testid="settings-updates-check" disabled={checking || u?.state === "checking"} onClick={() => void check()}>
          {checking ? t("app-update-checking") : t("app-update-check")}
        </Btn>
      </div>
      <ErrorBox error={error} testid="settings-updates-error" />
    </div>
  );
}
