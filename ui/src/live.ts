// What devices push while a flow runs (PIN pad progress, camera frames, codes read, the
// customer display's mirror), kept from the app's start so that nothing said before a screen
// has mounted is lost.
import { useEffect, useState } from "preact/hooks";
import { on, type DisplayEvent, type ProgressEvent } from "./api";

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

export async function startLive() {
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
