//! Cited documents that are PDFs, served by a local server: read as text and verified
//! like pages — keywords in the text, the date from the metadata or from the first
//! page, the evidence naming the page; no soft-404 rules; an unreadable PDF is
//! unverifiable with the reason.
#![allow(clippy::unwrap_used)]

mod common;
mod docs;

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use common::{Server, check_json, citation, report};
use docs::pdfgen::Pdf;

fn pdf_with(pages: &[&[&str]], info_date: Option<&str>) -> Vec<u8> {
    let mut pdf = Pdf::new();
    for lines in pages {
        pdf.page();
        pdf.lines(60.0, 150.0, 10.0, 15.0, lines);
    }
    if let Some(d) = info_date {
        pdf.info("CreationDate", d);
    }
    pdf.build()
}

#[test]
fn cited_pdfs_are_verified_like_pages() {
    // Date only in the metadata; the keywords on page 2.
    let meta = pdf_with(
        &[
            &["国务院办公厅文件", "国办发〔2018〕28号"],
            &[
                "国务院关于落实《政府工作报告》重点工作部门分工的意见",
                "各省、自治区、直辖市人民政府，国务院各部委、各直属机构：",
            ],
        ],
        Some("D:20180412093000+08'00'"),
    );
    // Date only in the text: a signature line in Chinese numerals on the first page.
    let text_date = pdf_with(
        &[&[
            "教育部等五部门关于印发《教师教育振兴行动计划（2018—2022年）》的通知",
            "教育部 国家发展改革委 财政部",
            "二〇一八年三月二十八日",
        ]],
        None,
    );
    let other = pdf_with(
        &[&[
            "关于召开年度体育运动会的通知",
            "各单位：定于五月举行运动会。",
        ]],
        Some("D:20180412000000"),
    );
    let mut scan = Pdf::new();
    scan.image_page();
    let scan = scan.build();
    let app = Router::new()
        .route(
            "/meta.pdf",
            get(move || async move {
                ([(header::CONTENT_TYPE, "application/pdf")], meta).into_response()
            }),
        )
        .route(
            "/text-date",
            get(move || async move {
                (
                    [(header::CONTENT_TYPE, "application/octet-stream")],
                    text_date,
                )
                    .into_response()
            }),
        )
        .route(
            "/other.pdf",
            get(move || async move {
                ([(header::CONTENT_TYPE, "application/pdf")], other).into_response()
            }),
        )
        .route(
            "/scan.pdf",
            get(move || async move {
                ([(header::CONTENT_TYPE, "application/pdf")], scan).into_response()
            }),
        );
    let server = Server::start(app);
    let dir = tempfile::tempdir().unwrap();
    let (m, t, o, s) = (
        server.url("/meta.pdf"),
        server.url("/text-date"),
        server.url("/other.pdf"),
        server.url("/scan.pdf"),
    );
    let r = report(
        dir.path(),
        "2018-04-report.md",
        &format!(
            "# 监测\n\n4月12日，国务院发布《关于落实<政府工作报告>重点工作部门分工的意见》。{m}\n\n\
             3月28日，教育部等五部门印发《教师教育振兴行动计划（2018—2022年）》。{t}\n\n\
             4月12日，国务院发布《关于深入推进审批服务便民化的指导意见》。{o}\n\n\
             4月13日，工信部发布《工业互联网发展行动计划》。{s}\n"
        ),
    );
    let (doc, _) = check_json(&[r.to_str().unwrap(), "--allow-private", "--host-rate", "100"]);
    let c = citation(&doc, &m);
    assert_eq!(c["link"]["status"], "ok");
    assert_eq!(c["verdict"], "supported", "{c:#}");
    assert_eq!(c["evidence"]["page_date"], "2018-04-12");
    assert_eq!(c["evidence"]["page_date_source"], "meta");
    assert_eq!(c["evidence"]["pdf_page"], 2, "{c:#}");
    let c = citation(&doc, &t);
    assert_eq!(c["verdict"], "supported", "{c:#}");
    assert_eq!(c["evidence"]["page_date"], "2018-03-28");
    assert_eq!(c["evidence"]["page_date_source"], "text");
    assert_eq!(c["evidence"]["pdf_page"], 1);
    let c = citation(&doc, &o);
    assert_eq!(c["link"]["status"], "ok", "a PDF is never a soft 404");
    assert_eq!(c["verdict"], "unsupported", "{c:#}");
    let c = citation(&doc, &s);
    assert_eq!(c["verdict"], "unverifiable");
    let notes = c["evidence"]["notes"].to_string();
    assert!(notes.contains("no text layer"), "{notes}");
}
