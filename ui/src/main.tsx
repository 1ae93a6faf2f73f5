import { render } from "preact";
import { api } from "./api";
import { App } from "./app";
import { startLive } from "./live";
import "./style.css";

async function boot() {
  const root = document.getElementById("app");
  if (!root) return;
  await startLive();
  try {
    const info = await api.appInfo();
    render(<App initial={info} />, root);
  } catch (e) {
    root.textContent = `OpenTill could not start: ${JSON.stringify(e)}`;
  }
}

void boot();
