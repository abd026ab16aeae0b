//! citecheck: audit the sources a report cites.
//!
//! The crate is a one-way pipeline, one module per stage:
//!
//! 1. [`report`] reads report files and finds citations and their claims;
//! 2. [`fetch`] fetches each unique URL once, politely (per-host limits, retries);
//! 3. [`verify`] reads each page (charset, main text, date) and decides whether it
//!    still supports the claims that cite it;
//! 4. [`output`] renders the results (JSON, Markdown).
//!
//! Beside them, [`archive`] finds and verifies archived copies of dead and drifted
//! citations, and [`warc`] keeps the pages verified as WARC evidence.
//!
//! [`pipeline`] orchestrates the stages; [`cli`] and [`config`] sit at the edge;
//! [`model`] holds the plain data every stage shares.

pub mod archive;
pub mod changed;
pub mod cli;
pub mod config;
pub mod cpu;
pub mod dates;
pub mod distributed;
pub mod fetch;
pub mod heap;
pub mod inspect;
pub mod model;
pub mod output;
pub mod pdf;
pub mod pipeline;
pub mod reason;
pub mod report;
pub mod resolve;
pub mod store;
pub mod text;
pub mod verify;
pub mod warc;
