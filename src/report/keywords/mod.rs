//! Keywords a supporting page must contain, weighted, for every claim of a run.
//!
//! Three steps, one module each: [`terms`] finds the candidate terms of one claim with
//! their base weights (quoted titles, names, numbers with units, nouns; dates and URLs
//! masked); [`store`] interns the candidates of every claim of the run once
//! ([`Candidates`], fed by the [`Masks`] collected while parsing); [`weight`] weighs them
//! by IDF over the run and keeps the heaviest ([`weigh`]).
//!
//! Claims are numbered across the run (document after document: its citations, then
//! its uncited claims); every list here is indexed by that number.

mod segmenter;
mod store;
mod terms;
mod weight;

pub(crate) use store::{Candidates, Masked, Masks, prefetch_segmenter};
pub(crate) use weight::weigh;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Keyword;
    use crate::report::claims::date_spans;

    /// The keywords of `texts`, weighed over them as one run.
    fn keywords(texts: &[&str]) -> Vec<Vec<Keyword>> {
        let mut masks = Masks::default();
        for t in texts {
            masks.push(t, date_spans(t));
        }
        weigh(&Candidates::build(masks, texts), texts)
    }

    #[test]
    fn the_claim_text_keeps_its_url_and_no_keyword_has_one() {
        let text = "On 12 April 2018, the “Quokka Harbour” bridge opened. http://127.0.0.1:1/news/bridge.html";
        let kws = keywords(&[text]);
        assert_eq!(kws.len(), 1);
        assert!(
            kws[0].iter().any(|k| &*k.term == "Quokka Harbour"),
            "{kws:?}"
        );
        assert!(kws[0].iter().all(|k| !k.term.contains("http")), "{kws:?}");
    }

    #[test]
    fn keyword_lists_follow_their_claims() {
        let texts = [
            "Alpha Station opened a rail link.",
            "2018年4月12日，数字中国建设峰会开幕。",
            "The Bravo Tunnel closed for repairs.",
        ];
        let kws = keywords(&texts);
        assert_eq!(kws.len(), 3);
        assert!(
            kws[0].iter().any(|k| &*k.term == "Alpha Station"),
            "{kws:?}"
        );
        assert!(kws[1].iter().any(|k| k.term.contains("峰会")), "{kws:?}");
        assert!(kws[2].iter().any(|k| &*k.term == "Bravo Tunnel"), "{kws:?}");
    }

    #[test]
    #[should_panic(expected = "one claim text per masked claim")]
    fn a_text_count_that_differs_from_the_claims_is_loud() {
        let mut masks = Masks::default();
        masks.push("a claim", Vec::new());
        let _ = Candidates::build(masks, &["a claim", "another"]);
    }
}
