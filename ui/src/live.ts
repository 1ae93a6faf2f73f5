// What devices push while a flow runs (PIN pad progress, camera frames, codes read, the
// customer display's mirror), kept from the app's start so that nothing said before a screen
// has mounted is lost.
import { useEffect, useState } from "preact/hooks";
import { api, on, type DisplayEvent, type ProgressEvent } from "./api";

export type Live = {
  progress: ProgressEvent[];
  display: DisplayEvent | null;
  frame: string | null;
  code: string | null;
  scanning: boolean;
};

const empty: Live = { progress: [], display: null, frame: null, code: null, scanning: false };
let live: Live = empty;
const subscribers = new Set<(l: Live) => void>();

function set(next: Partial<Live>) {
  live = { ...live, ...next };
  for (const s of subscribers) s(live);
}

const stepWaiters = new Set<() => void>();

/**
 * Resolves when a device reports its next step: for a void or refund, the sign that the till
 * has checked the PIN and the rules and handed the work to the device.
 */
export function nextProgress(): Promise<void> {
  return new Promise((resolve) => stepWaiters.add(resolve));
}

/** A new flow starts: forget the last one's progress (the camera picture stays). */
export function resetLive() {
  set({ progress: [], display: null, code: null });
}

export function useLive(): Live {
  const [state, setState] = useState(live);
  useEffect(() => {
    subscribers.add(setState);
    setState(live);
    return () => {
      subscribers.delete(setState);
    };
  }, []);
  return state;
}

/** While a code is awaited, the keys typed go to the till as they came, with their times: a
 *  keyboard-wedge scanner types a code and Enter in a few milliseconds a key, which the till
 *  tells from a person (src-tauri/src/shell/devices.rs scanner_keys). */
function forwardWedgeKeys() {
  let keys: { key: string; ms: number }[] = [];
  window.addEventListener(
    "keydown",
    (e) => {
      if (!live.scanning || (e.key.length !== 1 && e.key !== "Enter")) return;
      keys.push({ key: e.key, ms: e.timeStamp });
      if (e.key === "Enter" || keys.length >= 512) {
        const sent = keys;
        keys = [];
        void api.scannerKeys(sent).catch(() => undefined);
      }
    },
    true,
  );
}

export async function startLive() {
  forwardWedgeKeys();
  await Promise.all([
    on<ProgressEvent>("progress", (p) => {
      set({ progress: [...live.progress, p] });
      const waiting = [...stepWaiters];
      stepWaiters.clear();
      for (const w of waiting) w();
    }),
    on<DisplayEvent>("display", (d) => set({ display: d })),
    on<{ png: string }>("camera-frame", (f) => set({ frame: f.png })),
    on<{ tail: string }>("scanner-code", (c) => set({ code: c.tail })),
    on<boolean>("scanning", (s) => set({ scanning: s })),
  ]);
}
