// The till's commands and events, typed as src-tauri/src/dto.rs sends them.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";

export type Amount = { minor: number; currency: string; text: string };
export type Quote = { amount: Amount; tip: Amount; total: Amount };

export type Card = {
  masked_pan: string;
  last4: string;
  scheme: string;
  entry_mode: string;
  app_label: string | null;
  cvm: string;
};

export type Txn = {
  id: string;
  trace: string;
  kind: "sale" | "void" | "refund";
  means: string;
  status: string;
  wallet: string | null;
  batch: number;
  date: string;
  time: string;
  operator: string;
  amount: Amount;
  tip: Amount;
  total: Amount;
  refunded: Amount;
  refundable: Amount;
  card: Card | null;
  auth_code: string | null;
  reference: string | null;
  decline_message_id: string | null;
  original_trace: string | null;
  can_void: boolean;
  can_refund: boolean;
};

export type TillError = { code: string; message_id: string; args: Record<string, string> };

export type Outcome = { txn: Txn; notices: string[]; receipts: number; print_error: TillError | null };

export type Tally = { count: number; amount: Amount };
export type MeansTotals = { means: string; sales: Tally; voids: Tally; refunds: Tally; net: Amount };
export type Totals = { batch: number; by_means: MeansTotals[]; grand: MeansTotals };
export type Report = {
  batch: number;
  totals: Totals;
  terminal: { sales: Tally; refunds: Tally; matches: boolean } | null;
  receipts: number;
  print_error: TillError | null;
  next_batch: number | null;
};
export type Balance = { card_no: string; remaining: Amount; last: { date: string; time: string; amount: Amount }[] };
export type Session = { operator: string; role: string; may: string[] };
export type OperatorOut = { id: string; name: string; role: string; must_change_pin: boolean; own_refund_pin: boolean };
export type Recovery = { message_id: string; kind: string; trace: string; amount: Amount; txn: Txn };
export type Copies = { merchant: boolean; customer: boolean };
export type AppInfo = {
  version: string;
  lang: string;
  till_id: string;
  merchant: string;
  currency: string;
  currency_symbol: string;
  minor_digits: number;
  accepted: string[];
  wallets: string[];
  copies: Copies;
  data_dir: string;
  camera_dir: string;
  session: Session | null;
  recovered: Recovery[];
};
export type Paper = { png: string; text: string; width: number; height: number };
export type DeviceState = { state: "ready" | "warning" | "error"; message_id: string; detail: string };
export type Status = {
  operator: string | null;
  role: string | null;
  batch: number | null;
  pos_blocked: boolean;
  refund_blocked: boolean;
  terminal: DeviceState;
  printer: DeviceState;
  scanner: DeviceState;
  display: DeviceState;
  host: DeviceState;
  backlog: number;
};
export type DeviceTest = { device: string; ok: boolean; message_id: string; detail: string };
export type Credentials = { operator: string; pin: string };
export type SerialPort = {
  path: string;
  kind: string;
  vid: string | null;
  pid: string | null;
  manufacturer: string | null;
  product: string | null;
};
export type SetupPorts = { serial_ports: SerialPort[]; usb_printers: string[]; printer_queues: string[]; currencies: string[] };
export type SetupIn = {
  lang: string;
  shop_name: string;
  address: string;
  merchant_id: string;
  terminal_id: string;
  till_id: string;
  currency: string;
  paper: string;
  pin: string;
  terminal:
    | { kind: "simulator" }
    | { kind: "zvt-serial"; path: string; baud: number; stop_bits: number }
    | { kind: "zvt-tcp"; address: string };
  printer:
    | { kind: "virtual" }
    | { kind: "tcp"; address: string }
    | { kind: "usb"; path: string }
    | { kind: "queue"; name: string }
    | { kind: "serial"; path: string; baud: number };
};
export type EnrolOut = {
  merchant: string;
  shop: string;
  pos: string;
  receipt_name: string;
  receipt_address: string;
  url: string;
};
export type DeviceSettings = {
  terminal: SetupIn["terminal"] | null;
  printer: SetupIn["printer"] | null;
  paper: string;
  chinese: string;
  logo: string;
  header: string[];
  footer: string[];
  scanner: ScannerSection;
  display: DisplaySection;
  cameras: string[];
  ports: SetupPorts;
};
export type ScannerSection =
  | { kind: "folder"; path?: string }
  | { kind: "camera"; index: number; size?: string }
  | { kind: "serial"; port: string; baud: number }
  | { kind: "wedge" };
export type DisplaySection =
  | { kind: "none" }
  | { kind: "screen"; fullscreen: boolean; position?: string; size?: string }
  | { kind: "pole"; port: string; baud: number; charset?: string };
export type DeviceIn =
  | { device: "terminal"; terminal: SetupIn["terminal"] }
  | {
      device: "printer";
      printer: SetupIn["printer"];
      paper: string;
      chinese: string;
      logo: string;
      header: string[];
      footer: string[];
    }
  | { device: "scanner"; scanner: ScannerSection }
  | { device: "display"; display: DisplaySection };
export type UpdateOut = {
  current: string;
  state: "none" | "checking" | "ready" | "refused" | "no-key" | "unreachable" | "installing";
  version: string | null;
  notes: string;
  reason: string | null;
  reason_id: string | null;
  last: { installed: boolean; reason_id: string | null; reason: string | null } | null;
};
export type HostOut = { enrolled: boolean; url: string; backlog: number; error: string | null; synced: boolean };
export type PinChange = { operator: string; old_pin: string; new_pin: string };

/** A rejection that is not the till's own error (IPC failure): shown as such, never hidden. */
export function asTillError(e: unknown): TillError {
  return isTillError(e) ? e : { code: "app", message_id: "app-error-internal", args: { detail: String(e) } };
}

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    throw asTillError(e);
  }
}

export function isTillError(e: unknown): e is TillError {
  return !!e && typeof e === "object" && "message_id" in e && "code" in e;
}

export const api = {
  setupNeeded: () => call<boolean>("setup_needed"),
  startError: () => call<TillError | null>("start_error"),
  startLang: () => call<string>("start_lang"),
  setupPorts: () => call<SetupPorts>("setup_ports"),
  setupTest: (input: SetupIn, device: string) => call<void>("setup_test", { input, device }),
  setupFinish: (input: SetupIn | null) => call<AppInfo>("setup_finish", { input }),
  setupEnrol: (url: string, code: string, tillId: string) =>
    call<EnrolOut>("setup_enrol", { url, code, tillId }),
  appInfo: () => call<AppInfo>("app_info"),
  status: () => call<Status>("status"),
  login: (operator: string, pin: string) => call<Session>("login", { operator, pin }),
  changePin: (input: PinChange) => call<void>("change_pin", { input }),
  logout: () => call<void>("logout"),
  session: () => call<Session | null>("session"),
  setLang: (lang: string) => call<AppInfo>("set_lang", { lang }),
  quote: (amount: string, tip: string) => call<Quote>("quote", { input: { amount, tip } }),
  sale: (amount: string, tip: string, means: string, wallet?: string) =>
    call<Outcome>("sale", { input: { amount, tip, means, wallet: wallet ?? null } }),
  cancel: () => call<void>("cancel"),
  void: (trace: string, supervisor: Credentials) => call<Outcome>("void", { input: { trace, supervisor } }),
  refund: (trace: string, amount: string, authorizer: Credentials) =>
    call<Outcome>("refund", { input: { trace, amount, authorizer } }),
  history: (q: { trace?: string; last4?: string; auth?: string; amount?: string }) =>
    call<Txn[]>("history", { input: q }),
  reprint: (trace: string) => call<Outcome>("reprint", { trace }),
  receiptPreview: (trace: string) => call<Paper[]>("receipt_preview", { trace }),
  lastReceipts: () => call<Paper[]>("last_receipts"),
  totals: () => call<Totals>("totals"),
  xReport: () => call<Report>("x_report"),
  settle: () => call<Report>("settle"),
  balance: () => call<Balance>("balance"),
  operators: () => call<OperatorOut[]>("operators"),
  addOperator: (input: { id: string; name: string; role: string; pin: string }) =>
    call<OperatorOut[]>("add_operator", { input }),
  removeOperator: (id: string) => call<OperatorOut[]>("remove_operator", { id }),
  setRefundPin: (input: PinChange) => call<void>("set_refund_pin", { input }),
  setCopies: (copies: Copies) => call<AppInfo>("set_copies", { copies }),
  testDevice: (device: string) => call<DeviceTest>("test_device", { device }),
  deviceSettings: () => call<DeviceSettings>("device_settings"),
  tryDevice: (change: DeviceIn) => call<string>("try_device", { change }),
  setDevice: (change: DeviceIn) => call<AppInfo>("set_device", { change }),
  scannerKeys: (keys: { key: string; ms: number }[]) => call<void>("scanner_keys", { keys }),
  hostState: () => call<HostOut>("host_state"),
  hostEnrol: (url: string, code: string) => call<EnrolOut>("host_enrol", { url, code }),
  hostLeave: () => call<AppInfo>("host_leave"),
  updateState: () => call<UpdateOut>("update_state"),
  updateCheck: () => call<UpdateOut>("update_check"),
  updateInstall: () => call<void>("update_install"),
  uiReady: (screen: string) => call<void>("ui_ready", { screen }),
};

export type ProgressEvent = { step: string; message_id: string };
export type DisplayEvent = { screen: string; payload?: string; total?: string; prompt?: string; expires_at?: string; svg?: string };

export function on<T>(event: string, handler: (payload: T) => void): Promise<UnlistenFn> {
  return listen<T>(event, (e) => handler(e.payload));
}
