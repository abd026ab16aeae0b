//! Documents the tests write themselves: PDFs (on lopdf), Word files (a zip of XML),
//! and the seed report as the HTML a publisher would print to PDF with Chromium.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

pub mod docxgen;
pub mod pdfgen;
pub mod seed_html;

/// Print `html` to `pdf` with headless Chromium; `Err` says why it could not run.
pub fn chromium_pdf(html_path: &std::path::Path, pdf: &std::path::Path) -> Result<(), String> {
    let exe = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|e| {
            std::process::Command::new(e)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .ok_or("chromium is not installed (apt-get install chromium fonts-wqy-zenhei)")?;
    let profile = tempfile::tempdir().map_err(|e| e.to_string())?;
    let out = std::process::Command::new(exe)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-pdf-header-footer",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!("file://{}", html_path.display()))
        .output()
        .map_err(|e| e.to_string())?;
    if !pdf.exists() {
        return Err(format!(
            "chromium wrote no PDF: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(())
}
