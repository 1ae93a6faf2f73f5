import { render } from "preact";
import { api } from "./api";
import { App } from "./app";
import { LANGS, type Lang } from "./i18n";
import { Setup } from "./screens/setup";
import { startLive } from "./live";
import "./style.css";

async function boot() {
  const root = document.getElementById("app");
  if (!root) return;
  await startLive();
  try {
    if (await api.setupNeeded()) {
      // A new till: the wizard, in the language the machine speaks, then the app.
      const wanted = navigator.language.toLowerCase();
      const lang: Lang = wanted.startsWith("zh")
        ? /hans|cn|sg/.test(wanted)
          ? "zh-Hans"
          : "zh-Hant"
        : LANGS[0];
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
