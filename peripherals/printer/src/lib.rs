//! Receipts to ESC/POS bytes, printer transports, and a virtual printer (in progress).
