// Reads a JSON array on stdin and prints one hex string for each item:
// - {"encoding": "gb18030" | "big5", "text": "..."}: the bytes receiptline emits for that text
//   in Chinese mode (what follows its FS & (1C 26) up to the line feed);
// - {"encoding": ..., "document": "...", "cpl": 48}: the whole ESC/POS job for a receiptline
//   document (its markup), for the virtual printer to read back.
'use strict';
const receiptline = require('receiptline');
const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const out = input.map(({ encoding, text, document, cpl }) => {
  if (document !== undefined) {
    const command = receiptline.transform(document, { command: 'escpos', encoding, cpl: cpl || 48, cutting: true });
    return Buffer.from(command, 'binary').toString('hex');
  }
  // receiptline markup: escape its special characters so the text prints as it is.
  const escaped = text.replace(/[\\|{}\-=~_"`^]/g, (c) => '\\' + c);
  const command = receiptline.transform(escaped, { command: 'escpos', encoding, cpl: 48, cutting: false });
  const bytes = Buffer.from(command, 'binary');
  const start = bytes.indexOf(Buffer.from([0x1c, 0x26]));
  if (start < 0) throw new Error('no FS & in receiptline output for ' + JSON.stringify(text));
  const end = bytes.indexOf(0x0a, start);
  return bytes.subarray(start + 2, end).toString('hex');
});
process.stdout.write(JSON.stringify(out));
