// Fluent messages from ../locales: the same .ftl files the Rust side embeds, so a message id
// means the same words on the screen, the receipt and the command line.
import { FluentBundle, FluentResource, type FluentVariable } from "@fluent/bundle";

export type Lang = "en" | "zh-Hant" | "zh-Hans";
export const LANGS: Lang[] = ["en", "zh-Hant", "zh-Hans"];

const files = import.meta.glob("../../locales/*/*.ftl", {
  query: "?raw",
  import: "default",
  eager: true,
}) as Record<string, string>;

function bundle(lang: Lang): FluentBundle {
  const b = new FluentBundle(lang, { useIsolating: false });
  for (const [path, source] of Object.entries(files)) {
    if (path.split("/").at(-2) === lang) {
      b.addResource(new FluentResource(source));
    }
  }
  return b;
}

const bundles = new Map<Lang, FluentBundle>(LANGS.map((l) => [l, bundle(l)]));

export type Args = Record<string, string | number>;

/** Plain counts go in as numbers so plural selectors work; zero-padded codes stay text. */
function fluentArgs(args?: Args): Record<string, FluentVariable> | undefined {
  if (!args) return undefined;
  const out: Record<string, FluentVariable> = {};
  for (const [k, v] of Object.entries(args)) {
    out[k] = typeof v === "string" && /^(0|[1-9][0-9]*)$/.test(v) ? Number(v) : v;
  }
  return out;
}

/** The message in `lang`, else English, else its id (a gap shows as an id, never a crash). */
export function format(lang: Lang, id: string, args?: Args): string {
  for (const l of [lang, "en" as Lang]) {
    const b = bundles.get(l);
    const m = b?.getMessage(id);
    if (b && m?.value) {
      return b.formatPattern(m.value, fluentArgs(args));
    }
  }
  return id;
}

export function has(lang: Lang, id: string): boolean {
  return bundles.get(lang)?.hasMessage(id) ?? false;
}
