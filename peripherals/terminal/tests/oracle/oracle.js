// Dev-only oracle for till-terminal's nexo tests: Adyen's own library (npm @adyen/api-library,
// pinned in package.json) encrypts, decrypts and models the same Terminal API messages.
// Reads a JSON array on stdin, prints a JSON array with one answer per item:
// - {"op": "encrypt", "message": {"SaleToPOIRequest"|"SaleToPOIResponse": ...}, "key": K}:
//   the secured message as the library builds it ({"SaleToPOI...": {MessageHeader, NexoBlob,
//   SecurityTrailer}});
// - {"op": "decrypt", "secured": {...}, "key": K}: {"plain": "..."} or {"error": "..."};
// - {"op": "model", "message": {...}}: the message read into the library's typed models and
//   written back (fields it does not know are dropped, wrongly typed ones change).
// K = {"Passphrase", "KeyIdentifier", "KeyVersion", "AdyenCryptoVersion"}.
'use strict';
const { NexoCrypto } = require('@adyen/api-library');
const { ObjectSerializer } = require('@adyen/api-library/lib/src/typings/terminal/models');
const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const out = input.map((item) => {
  if (item.op === 'encrypt') {
    const side = Object.keys(item.message)[0];
    const inner = item.message[side];
    const secured = NexoCrypto.encrypt(inner.MessageHeader, JSON.stringify(item.message), item.key);
    return { [side]: secured };
  }
  if (item.op === 'decrypt') {
    const side = Object.keys(item.secured)[0];
    try {
      return { plain: new NexoCrypto().decrypt(item.secured[side], item.key) };
    } catch (e) {
      return { error: String(e && e.message ? e.message : e) };
    }
  }
  if (item.op === 'model') {
    const side = Object.keys(item.message)[0];
    const type = side === 'SaleToPOIRequest' ? 'TerminalApiRequest' : 'TerminalApiResponse';
    const typed = ObjectSerializer.deserialize(item.message, type);
    return ObjectSerializer.serialize(typed, type);
  }
  throw new Error('unknown op ' + item.op);
});
process.stdout.write(JSON.stringify(out));
