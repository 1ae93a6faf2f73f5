import { render } from "preact";
import { api } from "./api";
import { App } from "./app";
import { errorText } from "./ctx";
import { format, LANGS, type Lang } from "./i18n";
import { Setup } from "./screens/setup";
import { startLive } from "./live";
import "./style.css";

async function boot() {
  const root = document.getElementById("app");
  if (!root) return;
  await startLive();
  try {
    // Before the till is open: --lang, the till's last language, or the machine's.
    const asked = await api.startLang();
    const lang: Lang = (LANGS as string[]).includes(asked) ? (asked as Lang) : LANGS[0];
    const failed = await api.startError();
    if (failed) {
      // The till could not be opened (its journal held by another program, a broken
      // till.toml…): say why, in words, rather than close.
      document.documentElement.lang = lang;
      render(
        <section class="panel narrow start-failed" data-testid="start-failed" data-code={failed.code}>
          <h1>{format(lang, "app-start-failed")}</h1>
          <p class="error">{errorText(lang, failed)}</p>
          <p class="muted">{format(lang, "app-start-failed-explain")}</p>
        </section>,
        root,
      );
      return;
    }
    if (await api.setupNeeded()) {
      // A new till: the wizard, then the app.
      render(<Setup initialLang={lang} onDone={(info) => render(<App initial={info} />, root)} />, root);
      return;
    }
    const info = await api.appInfo();
    render(<App initial={info} />, root);
  } catch (e) {
    root.textContent = `OpenTill could not start: ${JSON.stringify(e)}`;
  }
}

void boot();
