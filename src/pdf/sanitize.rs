//! Make a loaded PDF safe to hand to the text extractor.
//!
//! Rules:
//! - Every FlateDecode stream that text extraction may read (page contents, form
//!   XObjects, fonts, CMaps — everything but images) is inflated here with a cap
//!   ([`super::guard::MAX_STREAM_BYTES`] per stream, [`super::guard::MAX_TOTAL_BYTES`]
//!   per document); a stream over the cap is emptied and reported, so the extractor
//!   never inflates anything itself.
//! - Form XObjects that draw themselves, directly or through others, and chains deeper
//!   than [`MAX_FORM_DEPTH`], are cut: the extractor recurses into forms without a
//!   limit, and a cycle would overflow its stack.

use std::collections::{BTreeMap, HashMap, HashSet};

use lopdf::{Document, Object, ObjectId};

use super::guard::{MAX_STREAM_BYTES, MAX_TOTAL_BYTES, inflate_capped};

/// Deepest chain of forms drawing forms that is kept.
pub const MAX_FORM_DEPTH: usize = 12;

/// Inflate the streams and cut form cycles; returns notes on what was cut.
pub fn sanitize(doc: &mut Document) -> Vec<String> {
    let mut notes = Vec::new();
    let mut total = 0u64;
    let ids: Vec<ObjectId> = doc.objects.keys().copied().collect();
    for id in ids {
        let Some(Object::Stream(s)) = doc.objects.get_mut(&id) else {
            continue;
        };
        let is_image = s
            .dict
            .get(b"Subtype")
            .and_then(Object::as_name)
            .is_ok_and(|n| n == b"Image");
        if is_image {
            continue;
        }
        let flate = s
            .filters()
            .is_ok_and(|f| f.len() == 1 && (f[0] == b"FlateDecode" || f[0] == b"Fl"));
        if !flate || s.dict.has(b"DecodeParms") {
            continue;
        }
        let cap = MAX_STREAM_BYTES.min(MAX_TOTAL_BYTES.saturating_sub(total));
        match inflate_capped(&s.content, cap) {
            Ok(plain) => {
                total += plain.len() as u64;
                s.set_plain_content(plain);
            }
            Err(e) => {
                notes.push(format!("object {} {}: {e}; left out", id.0, id.1));
                s.set_plain_content(Vec::new());
            }
        }
    }
    cut_form_cycles(doc, &mut notes);
    notes
}

/// The form XObjects a stream's resources name: (name, target id).
fn form_refs(doc: &Document, id: ObjectId) -> Vec<(Vec<u8>, ObjectId)> {
    let Ok(Object::Stream(s)) = doc.get_object(id) else {
        return Vec::new();
    };
    let res = match s.dict.get(b"Resources") {
        Ok(Object::Reference(r)) => doc.get_dictionary(*r).ok(),
        Ok(Object::Dictionary(d)) => Some(d),
        _ => None,
    };
    let Some(res) = res else { return Vec::new() };
    let xo = match res.get(b"XObject") {
        Ok(Object::Reference(r)) => doc.get_dictionary(*r).ok(),
        Ok(Object::Dictionary(d)) => Some(d),
        _ => None,
    };
    let Some(xo) = xo else { return Vec::new() };
    xo.iter()
        .filter_map(|(k, v)| v.as_reference().ok().map(|r| (k.clone(), r)))
        .filter(|(_, r)| is_form(doc, *r))
        .collect()
}

fn is_form(doc: &Document, id: ObjectId) -> bool {
    matches!(doc.get_object(id), Ok(Object::Stream(s))
        if s.dict.get(b"Subtype").and_then(Object::as_name).is_ok_and(|n| n == b"Form"))
}

/// Depth-first over the form graph; edges that close a cycle or go too deep are removed
/// (the name is replaced by an empty form).
fn cut_form_cycles(doc: &mut Document, notes: &mut Vec<String>) {
    let forms: Vec<ObjectId> = doc
        .objects
        .keys()
        .copied()
        .filter(|&id| is_form(doc, id))
        .collect();
    if forms.is_empty() {
        return;
    }
    let graph: BTreeMap<ObjectId, Vec<(Vec<u8>, ObjectId)>> =
        forms.iter().map(|&f| (f, form_refs(doc, f))).collect();
    let mut done: HashSet<ObjectId> = HashSet::new();
    let mut cut: HashMap<ObjectId, Vec<Vec<u8>>> = HashMap::new();
    for &root in &forms {
        if done.contains(&root) {
            continue;
        }
        // Iterative DFS: (node, next edge index); `on_path` holds the current chain.
        let mut stack: Vec<(ObjectId, usize)> = vec![(root, 0)];
        let mut on_path: HashSet<ObjectId> = HashSet::from([root]);
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            let edges = graph.get(&node).map_or(&[][..], Vec::as_slice);
            if let Some((name, to)) = edges.get(*next) {
                *next += 1;
                if on_path.contains(to) || stack.len() >= MAX_FORM_DEPTH {
                    cut.entry(node).or_default().push(name.clone());
                } else if !done.contains(to) {
                    on_path.insert(*to);
                    stack.push((*to, 0));
                }
            } else {
                on_path.remove(&node);
                done.insert(node);
                stack.pop();
            }
        }
    }
    if cut.is_empty() {
        return;
    }
    let empty = doc.add_object(lopdf::Stream::new(
        lopdf::dictionary! { "Type" => "XObject", "Subtype" => "Form", "BBox" => vec![0.into(), 0.into(), 0.into(), 0.into()] },
        Vec::new(),
    ));
    for (form, names) in cut {
        notes.push(format!(
            "form XObject {} {} draws itself or nests too deeply; cut",
            form.0, form.1
        ));
        let res_id = match doc.get_object(form) {
            Ok(Object::Stream(s)) => match s.dict.get(b"Resources") {
                Ok(Object::Reference(r)) => Some(*r),
                _ => None,
            },
            _ => None,
        };
        // The XObject dictionary may sit in the form, in a referenced resources
        // dictionary, or be a reference itself: rewrite it where it is.
        let xo_ref = res_id
            .and_then(|r| doc.get_dictionary(r).ok())
            .or_else(|| match doc.get_object(form) {
                Ok(Object::Stream(s)) => s.dict.get(b"Resources").and_then(Object::as_dict).ok(),
                _ => None,
            })
            .and_then(|res| res.get(b"XObject").and_then(Object::as_reference).ok());
        let target = xo_ref.or(res_id);
        let dict = match target {
            Some(t) => doc.get_dictionary_mut(t).ok(),
            None => match doc.objects.get_mut(&form) {
                Some(Object::Stream(s)) => s
                    .dict
                    .get_mut(b"Resources")
                    .and_then(Object::as_dict_mut)
                    .ok(),
                _ => None,
            },
        };
        let Some(dict) = dict else { continue };
        let xo = if xo_ref.is_some() {
            Some(dict)
        } else {
            dict.get_mut(b"XObject").and_then(Object::as_dict_mut).ok()
        };
        if let Some(xo) = xo {
            for n in names {
                xo.set(n, Object::Reference(empty));
            }
        }
    }
}
