//! PDF and Word reports written by the tests themselves (see `tests/docs`): link
//! annotations, URLs broken over a line end and a page break, a two-column table of
//! claims and links, Chinese text, a scanned page, hostile files, and a `.docx` with
//! hyperlinks, a field-code link, a footnote and a table.
#![allow(clippy::unwrap_used)]

mod docs;

use std::path::{Path, PathBuf};

use citecheck::model::Citation;
use citecheck::report::{ExtractOptions, extract_bytes, extract_paths};
use docs::docxgen::{docx, field_link, footnote_ref, heading, hyperlink, para, run, table};
use docs::pdfgen::{H, Pdf, save, width};

fn extract(name: &str, bytes: Vec<u8>) -> Vec<Citation> {
    extract_bytes(Path::new(name), bytes).unwrap().citations
}

fn find<'a>(cs: &'a [Citation], url: &str) -> &'a Citation {
    cs.iter().find(|c| c.url == url).unwrap_or_else(|| {
        panic!(
            "no citation of {url}: {:#?}",
            cs.iter().map(|c| &c.url).collect::<Vec<_>>()
        )
    })
}

/// Three pages of a Chinese monitoring report: links whose visible text differs from
/// the target, a truncated URL under its annotation, a bare URL broken at a line end,
/// a URL broken by the page break between pages 2 and 3, an annotation on page 3.
fn report_pdf() -> Vec<u8> {
    let (x, s) = (60.0, 10.0);
    let mut pdf = Pdf::new();
    pdf.page();
    pdf.text(x, 60.0, 16.0, "“互联网+”发展情况监测（2018年4月）");
    // A link over words, not over its URL.
    let a = "4月12日，国务院发布《关于落实重点工作部门分工的意见》，详见";
    pdf.text(x, 100.0, s, a);
    pdf.text(x + width(a, s), 100.0, s, "国务院通知");
    pdf.link_over(
        x + width(a, s),
        100.0,
        s,
        "国务院通知",
        "http://www.gov.cn/zhengce/content/2018-04/12/content_5281920.htm",
    );
    pdf.text(x + width(a, s) + width("国务院通知", s), 100.0, s, "。");
    // A truncated visible URL; the annotation has it whole.
    pdf.text(
        x,
        130.0,
        s,
        "4月15日，国家安全部开通互联网举报受理平台网站。",
    );
    let shown = "http://www.gov.cn/xinwen/2018-04/15/cont…";
    pdf.text(x, 145.0, s, shown);
    pdf.link_over(
        x,
        145.0,
        s,
        shown,
        "http://www.gov.cn/xinwen/2018-04/15/content_5282639.htm",
    );
    // A bare URL broken at the end of a full line (no annotation).
    let l1 =
        "4月8日，工业和信息化部与浙江省人民政府召开联席会议，见http://www.miit.gov.cn/n1146290/";
    let l2 = "c6122298/content.html。其后的文字继续。";
    pdf.text(x, 175.0, s, l1);
    pdf.text(x, 190.0, s, l2);
    // A line as wide as the first, so the text block's right edge is known.
    pdf.text(
        x,
        220.0,
        s,
        "本监测期内，电信运营商和互联网企业继续参与互联网+，多数与地方政府合作开展相关业务。。",
    );
    // Page 2 ends with a full line whose URL goes on at the top of page 3.
    pdf.page();
    pdf.text(
        x,
        80.0,
        s,
        "本监测期内，电信运营商和互联网企业继续参与互联网+，多数与地方政府合作开展相关业务。。",
    );
    let p2 =
        "3月31日，上海正式推行开办企业“一窗通”网上服务平台，报道见http://www.gov.cn/xinwen/2018-";
    pdf.text(x, H - 100.0, s, p2);
    pdf.page();
    pdf.text(x, 80.0, s, "04/01/content_5278965.htm。");
    // An annotation on page 3.
    let c = "3月22日，天津市河北区与京东集团签约，以“互联网+”盘活区内楼宇资产。";
    pdf.text(x, 120.0, s, c);
    pdf.link_over(
        x,
        120.0,
        s,
        "3月22日，天津市河北区与京东集团签约",
        "http://www.radiotj.com/gnwyw/system/2018/03/23/000599062.shtml",
    );
    pdf.build()
}

#[test]
fn annotations_text_urls_and_breaks() {
    let cs = extract("2018-04-report.pdf", report_pdf());
    let notice = find(
        &cs,
        "http://www.gov.cn/zhengce/content/2018-04/12/content_5281920.htm",
    );
    assert_eq!(notice.source.page, Some(1));
    assert_eq!(
        notice.claim.text,
        "4月12日，国务院发布《关于落实重点工作部门分工的意见》，详见国务院通知。"
    );
    assert_eq!(notice.claim.date.unwrap().to_string(), "2018-04-12");
    assert!(notice.repairs.is_empty());
    // The annotation gives the URL whole; the truncated text is not a second citation.
    let trunc = find(
        &cs,
        "http://www.gov.cn/xinwen/2018-04/15/content_5282639.htm",
    );
    assert_eq!(trunc.source.page, Some(1));
    assert!(
        !cs.iter()
            .any(|c| c.url.ends_with('…') || c.url.ends_with("cont")),
        "{cs:#?}"
    );
    // Line end: joined, recorded.
    let line = find(&cs, "http://www.miit.gov.cn/n1146290/c6122298/content.html");
    assert_eq!(line.written_url, "http://www.miit.gov.cn/n1146290/");
    assert_eq!(line.repairs[0].kind.as_str(), "joined_line_break");
    assert!(
        line.repairs[0].detail.contains("page 1"),
        "{}",
        line.repairs[0].detail
    );
    // Page break: joined, recorded, on page 2.
    let pb = find(
        &cs,
        "http://www.gov.cn/xinwen/2018-04/01/content_5278965.htm",
    );
    assert_eq!(pb.source.page, Some(2));
    assert_eq!(pb.repairs[0].kind.as_str(), "joined_page_break");
    assert_eq!(pb.written_url, "http://www.gov.cn/xinwen/2018-");
    assert_eq!(
        pb.claim.text,
        "3月31日，上海正式推行开办企业“一窗通”网上服务平台，报道见http://www.gov.cn/xinwen/2018-04/01/content_5278965.htm。"
    );
    // Page 3: the annotation's claim is the sentence around its rectangle.
    let tj = find(
        &cs,
        "http://www.radiotj.com/gnwyw/system/2018/03/23/000599062.shtml",
    );
    assert_eq!((tj.source.page, tj.source.line), (Some(3), 2));
    assert_eq!(
        tj.claim.text,
        "3月22日，天津市河北区与京东集团签约，以“互联网+”盘活区内楼宇资产。"
    );
    assert!(
        tj.claim.keywords.iter().any(|k| k.term.contains("京东")),
        "{:?}",
        tj.claim.keywords
    );
    assert_eq!(cs.len(), 5, "{cs:#?}");
}

/// A two-column table (claims | links) with borders, one row holding two claims and
/// two links, the links wrapped over two lines and their text cut short.
#[test]
fn two_column_table_pairs_claims_and_links() {
    let (cx, lx, s, p) = (60.0, 340.0, 10.0, 14.0);
    let mut pdf = Pdf::new();
    pdf.page();
    pdf.text(cx, 60.0, 14.0, "地方政策");
    let mut y = 90.0;
    pdf.rule(50.0, 560.0, y - 12.0);
    pdf.text(cx, y, s, "相关举措");
    pdf.text(lx, y, s, "链接");
    y += 20.0;
    pdf.rule(50.0, 560.0, y - 12.0);
    type Row<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)]);
    let rows: &[Row<'_>] = &[
        (
            &["3月23日，陕西省开展全民义务植树活动。"],
            &[(
                "http://www.cnr.cn/sxpd/shgl/20180327/t2018",
                "http://www.cnr.cn/sxpd/shgl/20180327/t20180327_524178302.shtml",
            )],
        ),
        (
            &[
                "4月10日，陕西省公安厅出台优化营商环境措施。",
                "4月11日，甘肃省政府与东软集团签署合作协议。",
            ],
            &[
                (
                    "http://www.shaanxi.gov.cn/jbyw/106990.htm",
                    "http://www.shaanxi.gov.cn/jbyw/106990.htm",
                ),
                (
                    "http://www.gs.xinhuanet.com/news/2018",
                    "http://www.gs.xinhuanet.com/news/2018-04/11/c_1122664995.htm",
                ),
            ],
        ),
        (
            &["3月28日，云南大学滇池学院互联网+学院成立。"],
            &[(
                "http://edu.gmw.cn/2018-03/30/content_28162797.htm",
                "http://edu.gmw.cn/2018-03/30/content_28162797.htm",
            )],
        ),
    ];
    for (claims, links) in rows {
        let top = y;
        let mut cy = y;
        for c in *claims {
            pdf.text(cx, cy, s, c);
            cy += p * 1.5;
        }
        let mut ly = y;
        for (shown, uri) in *links {
            // A link's text over two lines, each line its own annotation rectangle.
            let (a, b) = shown.split_at(shown.len().min(26));
            pdf.text(lx, ly, s, a);
            pdf.link_over(lx, ly, s, a, uri);
            if !b.is_empty() {
                ly += p;
                pdf.text(lx, ly, s, b);
                pdf.link_over(lx, ly, s, b, uri);
            }
            ly += p * 1.5;
        }
        y = cy.max(ly).max(top + p) + 6.0;
        pdf.rule(50.0, 560.0, y - 12.0);
    }
    let cs = extract("2018-04-table.pdf", pdf.build());
    let got: Vec<(&str, &str)> = cs
        .iter()
        .map(|c| (c.url.as_str(), c.claim.text.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "http://www.cnr.cn/sxpd/shgl/20180327/t20180327_524178302.shtml",
                "3月23日，陕西省开展全民义务植树活动。"
            ),
            (
                "http://www.shaanxi.gov.cn/jbyw/106990.htm",
                "4月10日，陕西省公安厅出台优化营商环境措施。"
            ),
            (
                "http://www.gs.xinhuanet.com/news/2018-04/11/c_1122664995.htm",
                "4月11日，甘肃省政府与东软集团签署合作协议。"
            ),
            (
                "http://edu.gmw.cn/2018-03/30/content_28162797.htm",
                "3月28日，云南大学滇池学院互联网+学院成立。"
            ),
        ]
    );
    assert!(
        cs.iter()
            .all(|c| c.source.page == Some(1) && c.repairs.is_empty())
    );
    assert_eq!(cs[0].claim.date.unwrap().to_string(), "2018-03-23");
}

fn good_report(dir: &Path) -> PathBuf {
    let p = dir.join("notes.md");
    std::fs::write(
        &p,
        "4月12日，国务院召开常务会议。http://www.gov.cn/a/2018-04/12/x.htm\n",
    )
    .unwrap();
    p
}

#[test]
fn scanned_pdf_is_one_error_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    good_report(dir.path());
    let mut scan = Pdf::new();
    scan.image_page();
    std::fs::write(dir.path().join("scan.pdf"), scan.build()).unwrap();
    let ex = extract_paths(&[dir.path().to_path_buf()], &ExtractOptions::default());
    assert_eq!(ex.errors.len(), 1, "{:?}", ex.errors);
    assert!(ex.errors[0].path.ends_with("scan.pdf"));
    assert_eq!(ex.errors[0].message, "no text layer: scanned PDF?");
    assert_eq!(ex.citations().count(), 1);
    assert_eq!(ex.skipped_files, 0, "PDFs are reports in a walk");
}

/// Hostile files: object nesting far past any parser's stack, a stream that inflates
/// to gigabytes, reference cycles (an object that is a reference to itself, a page tree
/// whose kids point back, a form XObject that draws itself), an encryption dictionary
/// without a key. Each is one error or a readable remainder; none takes the run down.
#[test]
fn hostile_pdfs_never_take_the_run_down() {
    use lopdf::{Object, Stream, dictionary};
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    good_report(dir.path());
    let base = || {
        let mut p = Pdf::new();
        p.page().text(
            60.0,
            150.0,
            10.0,
            "4月1日，一段正常的文字。http://www.example.cn/ok.htm",
        );
        p
    };
    // Deep nesting: an object 200,000 arrays deep, and a content stream as deep.
    let deep = format!("{}1{}", "[".repeat(200_000), "]".repeat(200_000));
    let content =
        "BT /F1 10 Tf 60 700 Td (April 1, a normal line. http://www.example.cn/ok.htm) Tj ET";
    let bytes = raw_pdf(&[
        "<< /Type /Catalog /Pages 2 0 R >>".into(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".into(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Deep 5 0 R /Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> >>".into(),
        format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()),
        deep.clone(),
    ]);
    std::fs::write(dir.path().join("deep.pdf"), &bytes).unwrap();
    let content = format!("BT /F1 10 Tf 60 700 Td (x) Tj ET {deep} pop");
    let bytes = raw_pdf(&[
        "<< /Type /Catalog /Pages 2 0 R >>".into(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".into(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>".into(),
        format!(
            "<< /Length {} >>\nstream\n{content}\nendstream",
            content.len()
        ),
    ]);
    std::fs::write(dir.path().join("deepcontent.pdf"), &bytes).unwrap();
    // A content stream that inflates to 2 GiB (2 MiB on disk).
    let mut doc = base().document();
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let chunk = vec![b' '; 1 << 20];
    for _ in 0..2048 {
        z.write_all(&chunk).unwrap();
    }
    let bomb = doc.add_object(Stream::new(
        dictionary! { "Filter" => "FlateDecode" },
        z.finish().unwrap(),
    ));
    let page = *doc.get_pages().get(&1).unwrap();
    doc.get_dictionary_mut(page).unwrap().set("Contents", bomb);
    std::fs::write(dir.path().join("bomb.pdf"), save(&mut doc)).unwrap();
    // Reference cycles.
    let mut doc = base().document();
    let me = doc.new_object_id();
    doc.objects.insert(me, Object::Reference(me));
    let page = *doc.get_pages().get(&1).unwrap();
    let form = doc.new_object_id();
    doc.objects.insert(
        form,
        Object::Stream(Stream::new(
            dictionary! { "Type" => "XObject", "Subtype" => "Form", "BBox" => vec![0.into(), 0.into(), 10.into(), 10.into()],
                          "Resources" => dictionary! { "XObject" => dictionary! { "Fx" => form } } },
            b"/Fx Do".to_vec(),
        )),
    );
    let pd = doc.get_dictionary_mut(page).unwrap();
    pd.set("Rotate", me);
    let content = pd.get(b"Contents").unwrap().clone();
    let draw = doc.add_object(Stream::new(dictionary! {}, b"/Fx Do".to_vec()));
    let pd = doc.get_dictionary_mut(page).unwrap();
    pd.set("Contents", vec![content, draw.into()]);
    let res = pd.get_mut(b"Resources").unwrap().as_dict_mut().unwrap();
    res.set("XObject", dictionary! { "Fx" => form });
    let pages = doc
        .catalog()
        .unwrap()
        .get(b"Pages")
        .unwrap()
        .as_reference()
        .unwrap();
    let kids = doc
        .get_dictionary_mut(pages)
        .unwrap()
        .get_mut(b"Kids")
        .unwrap()
        .as_array_mut()
        .unwrap();
    kids.push(pages.into());
    std::fs::write(dir.path().join("cycle.pdf"), save(&mut doc)).unwrap();
    // Encrypted without a usable key.
    let mut doc = base().document();
    let enc = doc.add_object(dictionary! { "Filter" => "Standard", "V" => 2, "R" => 3, "Length" => 128,
        "O" => Object::string_literal(vec![1u8; 32]), "U" => Object::string_literal(vec![2u8; 32]), "P" => -4 });
    doc.trailer.set("Encrypt", enc);
    doc.trailer.set(
        "ID",
        vec![
            Object::string_literal(vec![3u8; 16]),
            Object::string_literal(vec![3u8; 16]),
        ],
    );
    std::fs::write(dir.path().join("locked.pdf"), save(&mut doc)).unwrap();
    // Not a PDF at all, and truncated.
    std::fs::write(dir.path().join("fake.pdf"), b"<html>not a pdf</html>").unwrap();
    std::fs::write(dir.path().join("cut.pdf"), &base().build()[..200]).unwrap();

    let ex = extract_paths(&[dir.path().to_path_buf()], &ExtractOptions::default());
    let by_name = |n: &str| {
        ex.errors
            .iter()
            .find(|e| e.path.ends_with(n))
            .map(|e| e.message.clone())
    };
    // The good report is read whatever the others do.
    assert!(
        ex.citations()
            .any(|c| c.url == "http://www.gov.cn/a/2018-04/12/x.htm")
    );
    // The bomb is left out uninflated (past the 64 MiB cap), and the error says so.
    assert!(
        by_name("bomb.pdf").is_some_and(|m| m.contains("decompression bomb")),
        "{:?}",
        ex.errors
    );
    assert!(
        by_name("locked.pdf").is_some_and(|m| m.contains("encrypted") || m.contains("damaged")),
        "{:?}",
        ex.errors
    );
    assert!(by_name("fake.pdf").is_some_and(|m| m.contains("not a PDF")));
    assert!(
        by_name("deepcontent.pdf").is_some_and(|m| m.contains("no text layer")),
        "{:?}",
        ex.errors
    );
    assert!(
        by_name("cut.pdf").is_some_and(|m| m.contains("damaged") || m.contains("no text")),
        "{:?}",
        ex.errors
    );
    // Deep nesting and cycles: the rest of the file still reads.
    for n in ["deep.pdf", "cycle.pdf"] {
        let read = ex.documents.iter().find(|d| d.path.ends_with(n));
        assert!(
            read.is_some_and(|d| d
                .citations
                .iter()
                .any(|c| c.url == "http://www.example.cn/ok.htm")),
            "{n}: {:?}",
            ex.errors
        );
    }
}

/// A PDF from raw object texts (objects 1…n), with a correct cross-reference table.
fn raw_pdf(objects: &[String]) -> Vec<u8> {
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

#[test]
fn docx_hyperlinks_fields_footnotes_and_tables() {
    let body = [
        heading("一、国家部委政策落实情况"),
        para(&format!(
            "{}{}{}",
            run("4月12日，国务院发布《关于落实重点工作部门分工的意见》，见"),
            hyperlink("rId5", "国务院通知"),
            run("。")
        )),
        para(&format!(
            "{}{}{}",
            run("4月15日，国家安全部开通"),
            field_link(
                "http://www.gov.cn/xinwen/2018-04/15/content_5282639.htm",
                "互联网举报受理平台网站"
            ),
            run("。")
        )),
        para(&format!(
            "{}{}{}",
            run("4月8日，工业和信息化部与浙江省人民政府召开联席会议。"),
            footnote_ref(1),
            run("文字 http://www.example.cn/plain.htm 继续。")
        )),
        table(&[
            vec![
                para(&run("地区")),
                para(&run("相关政策")),
                para(&run("链接")),
            ],
            vec![
                para(&run("北京市")),
                format!(
                    "{}{}",
                    para(&run(
                        "3月18日，北京市印发《互联网+不动产登记改革实施方案》。"
                    )),
                    para(&run("4月9日，北京市推进互联网+共享停车。"))
                ),
                format!(
                    "{}{}",
                    para(&hyperlink(
                        "rId6",
                        "http://www.bjgtj.gov.cn/art/2018/3/18/a.html"
                    )),
                    para(&hyperlink(
                        "rId7",
                        "http://www.bj.xinhuanet.com/bjyw/2018-04/10/c_1.htm"
                    ))
                ),
            ],
        ]),
    ]
    .concat();
    let bytes = docx(
        &body,
        &[
            (
                "rId5",
                "http://www.gov.cn/zhengce/content/2018-04/12/content_5281920.htm",
            ),
            ("rId6", "http://www.bjgtj.gov.cn/art/2018/3/18/a.html"),
            (
                "rId7",
                "http://www.bj.xinhuanet.com/bjyw/2018-04/10/c_1.htm",
            ),
            ("rId8", "http://www.miit.gov.cn/n1146290/content.html"),
        ],
        &[(
            1,
            para(&format!(
                "{}{}",
                run("来源："),
                hyperlink("rId8", "工信部网站")
            )),
        )],
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("2018-04-report.docx");
    std::fs::write(&path, bytes).unwrap();
    let ex = extract_paths(&[dir.path().to_path_buf()], &ExtractOptions::default());
    assert!(ex.errors.is_empty(), "{:?}", ex.errors);
    let cs: Vec<Citation> = ex.citations().cloned().collect();
    let c = find(
        &cs,
        "http://www.gov.cn/zhengce/content/2018-04/12/content_5281920.htm",
    );
    assert_eq!(
        c.claim.text,
        "4月12日，国务院发布《关于落实重点工作部门分工的意见》，见国务院通知。"
    );
    assert_eq!((c.source.page, c.source.line), (None, 2));
    assert_eq!(c.context.as_deref(), Some("一、国家部委政策落实情况"));
    let f = find(
        &cs,
        "http://www.gov.cn/xinwen/2018-04/15/content_5282639.htm",
    );
    assert_eq!(
        f.claim.text,
        "4月15日，国家安全部开通互联网举报受理平台网站。"
    );
    let n = find(&cs, "http://www.miit.gov.cn/n1146290/content.html");
    assert_eq!(
        n.claim.text,
        "4月8日，工业和信息化部与浙江省人民政府召开联席会议。"
    );
    assert_eq!(
        n.source.line, 4,
        "a footnote stands at the paragraph of its mark"
    );
    find(&cs, "http://www.example.cn/plain.htm");
    let t1 = find(&cs, "http://www.bjgtj.gov.cn/art/2018/3/18/a.html");
    assert_eq!(
        t1.claim.text,
        "3月18日，北京市印发《互联网+不动产登记改革实施方案》。"
    );
    assert_eq!(t1.context.as_deref(), Some("北京市"));
    let t2 = find(&cs, "http://www.bj.xinhuanet.com/bjyw/2018-04/10/c_1.htm");
    assert_eq!(t2.claim.text, "4月9日，北京市推进互联网+共享停车。");
    assert_eq!(cs.len(), 6, "{cs:#?}");
}

#[test]
fn damaged_docx_is_one_error() {
    let dir = tempfile::tempdir().unwrap();
    good_report(dir.path());
    std::fs::write(
        dir.path().join("broken.docx"),
        b"PK\x03\x04 not really a zip",
    )
    .unwrap();
    let ex = extract_paths(&[dir.path().to_path_buf()], &ExtractOptions::default());
    assert_eq!(ex.errors.len(), 1, "{:?}", ex.errors);
    assert!(
        ex.errors[0].message.contains("not a Word file"),
        "{:?}",
        ex.errors
    );
    assert_eq!(ex.citations().count(), 1);
}
