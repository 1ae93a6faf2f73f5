//! PIN pad drivers: ZVT over serial and TCP (in progress).
