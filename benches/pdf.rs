//! PDF report extraction speed, in pages per second (release build; not a test).
//!
//! `cargo bench --bench pdf` prints one table:
//! - `generated`: a 1,000-page generated Chinese report (40 lines a page, a link
//!   annotation and a text URL on every page) — reading (parse, content streams,
//!   glyphs) and the whole extraction (layout, claims, keywords);
//! - `seed`: the seed report printed to PDF by headless Chromium (9 pages, a real
//!   producer's fonts and tables), when Chromium is installed; it is extracted 20 times.
//! - the same generated report at 250 pages, so the pages/s of both sizes show whether
//!   the work grows linearly.

#![allow(clippy::unwrap_used, dead_code, unreachable_pub)]

#[path = "../tests/docs/mod.rs"]
mod docs;

use std::path::Path;
use std::time::Instant;

use citecheck::report::extract_bytes;
use docs::pdfgen::Pdf;

fn generated(pages: usize) -> Vec<u8> {
    let mut pdf = Pdf::new();
    let line =
        "监测期内，各地继续贯彻落实“互联网+”政策，在众多领域提出各项详细具体的举措，推动发展。";
    for p in 0..pages {
        pdf.page();
        let claim = format!(
            "4月{}日，第{p}号文件印发，推进“互联网+政务服务”。",
            p % 28 + 1
        );
        pdf.text(60.0, 80.0, 10.0, &claim);
        pdf.link_over(
            60.0,
            80.0,
            10.0,
            &claim,
            &format!("http://www.example.gov.cn/2018-04/{p}/content_{p}.htm"),
        );
        for i in 0..38 {
            pdf.text(60.0, 100.0 + 18.0 * i as f32, 10.0, line);
        }
        pdf.text(
            60.0,
            790.0,
            10.0,
            &format!("见http://www.example.cn/a/{p}.html。"),
        );
    }
    pdf.build()
}

fn time<T>(reps: usize, mut f: impl FnMut() -> T) -> f64 {
    let t = Instant::now();
    for _ in 0..reps {
        std::hint::black_box(f());
    }
    t.elapsed().as_secs_f64() / reps as f64
}

fn main() {
    let mut out = String::from(
        "| input | pages | read only (pages/s) | whole extraction (pages/s) | citations |\n|---|---:|---:|---:|---:|\n",
    );
    for pages in [250, 1000] {
        let bytes = generated(pages);
        let read = time(1, || citecheck::pdf::read(bytes.clone()).unwrap());
        let mut n = 0;
        let all = time(1, || {
            n = extract_bytes(Path::new("2018-04-bench.pdf"), bytes.clone())
                .unwrap()
                .citations
                .len();
        });
        out.push_str(&format!(
            "| generated ({:.1} MB) | {pages} | {:.0} | {:.0} | {n} |\n",
            bytes.len() as f64 / 1e6,
            pages as f64 / read,
            pages as f64 / all
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("seed.html");
    let md = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("reports/2018-04-internet-plus.md"),
    )
    .unwrap();
    std::fs::write(&html, docs::seed_html::seed_to_html(&md)).unwrap();
    let pdf = dir.path().join("2018-04-internet-plus.pdf");
    match docs::chromium_pdf(&html, &pdf) {
        Ok(()) => {
            let bytes = std::fs::read(&pdf).unwrap();
            let pages = citecheck::pdf::read(bytes.clone()).unwrap().pages.len();
            let read = time(20, || citecheck::pdf::read(bytes.clone()).unwrap());
            let mut n = 0;
            let all = time(20, || {
                n = extract_bytes(&pdf, bytes.clone()).unwrap().citations.len();
            });
            out.push_str(&format!(
                "| seed via Chromium ({:.2} MB) | {pages} | {:.0} | {:.0} | {n} |\n",
                bytes.len() as f64 / 1e6,
                pages as f64 / read,
                pages as f64 / all
            ));
        }
        Err(e) => out.push_str(&format!("| seed via Chromium | skipped: {e} | | | |\n")),
    }
    println!("{out}");
}
