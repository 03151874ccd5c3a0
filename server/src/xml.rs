//! quick-xml's serde deserializer, made total: quick-xml 0.38 panics (`unreachable!` in
//! `Deserializer::read_text`) on text split by a DTD inside an element, e.g.
//! `<id>6f<!DOCTYPE x>0c</id>` — found by `tests/it/fuzz.rs`. Every XML document georep reads from
//! outside (gluster's answers, request bodies) goes through here, so such input is an error,
//! never a panic of a request or of the sync task.
use serde::de::DeserializeOwned;

pub fn from_str<T: DeserializeOwned>(xml: &str) -> Result<T, String> {
    // the known trigger, refused before it reaches quick-xml (whose panic message would
    // reach stderr even when caught); neither gluster nor a client sends a DTD
    if memchr_ci(xml, "<!doctype") {
        return Err("a DTD is not accepted".into());
    }
    match std::panic::catch_unwind(|| quick_xml::de::from_str::<T>(xml)) {
        Ok(result) => result.map_err(|e| e.to_string()),
        Err(_) => Err("the XML deserializer failed on this document".into()),
    }
}

fn memchr_ci(hay: &str, needle: &str) -> bool {
    hay.as_bytes()
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

#[cfg(test)]
mod tests {
    #[derive(serde::Deserialize, Debug)]
    struct Doc {
        #[allow(dead_code)]
        id: String,
    }

    #[test]
    fn text_split_by_a_dtd_is_an_error_not_a_panic() {
        let e = super::from_str::<Doc>("<doc><id>6f<!DOCTYPE x [<!ENTITY l \"l\">]>0c</id></doc>");
        assert!(e.is_err(), "{e:?}");
        assert!(super::from_str::<Doc>("<doc><id>x</id></doc>").is_ok());
    }
}
