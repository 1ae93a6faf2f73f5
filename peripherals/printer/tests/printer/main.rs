//! till-printer's integration tests: exact receipt bytes and what the virtual printer reads
//! back, Chinese bytes against npm receiptline, column alignment in dots, other software's
//! receipts, printer faults through a real till, and the README's receipt images.

mod alignment;
#[cfg(unix)] // pseudo-terminals and symlinks
mod faults;
mod images;
mod logo;
mod oracle;
mod receipts;
mod support;
