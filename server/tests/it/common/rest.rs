//! georep's REST API as the tests call it: an admin's Basic login, any method, the answer's
//! status, text and `Location`, documents read back with quick-xml, operations polled.
use std::time::{Duration, Instant};

use georep::api::docs::OperationDoc;
use reqwest::Method;

pub struct Answer {
    pub status: u16,
    pub text: String,
    pub location: Option<String>,
}

/// A server's REST API, as `admin` with `password`.
pub struct Rest {
    pub base: String,
    password: String,
}

impl Rest {
    pub fn new(base: &str, password: &str) -> Rest {
        Rest {
            base: base.to_owned(),
            password: password.to_owned(),
        }
    }

    /// METHOD PATH with an XML body, if any.
    pub async fn call(&self, method: Method, path: &str, body: Option<&str>) -> Answer {
        let mut r = reqwest::Client::new()
            .request(method, format!("{}{path}", self.base))
            .basic_auth("admin", Some(&self.password))
            .timeout(Duration::from_secs(300));
        if let Some(b) = body {
            r = r
                .header("content-type", "application/xml")
                .body(b.to_owned());
        }
        let resp = r.send().await.expect("georep answers");
        let location = resp
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .map(str::to_owned);
        Answer {
            status: resp.status().as_u16(),
            text: resp.text().await.unwrap_or_default(),
            location,
        }
    }

    /// GET PATH, which must answer 200 with a document of type T.
    pub async fn get<T: serde::de::DeserializeOwned>(&self, path: &str) -> T {
        let a = self.call(Method::GET, path, None).await;
        assert_eq!(a.status, 200, "{path}: {}", a.text);
        quick_xml::de::from_str(&a.text).unwrap_or_else(|e| panic!("{path}: {e}: {}", a.text))
    }

    /// Polls the operation at HREF until `done` holds on it, within `budget`.
    pub async fn wait_op(
        &self,
        href: &str,
        budget: Duration,
        done: impl Fn(&OperationDoc) -> bool,
    ) -> OperationDoc {
        let t0 = Instant::now();
        loop {
            let a = self.call(Method::GET, href, None).await;
            if a.status == 200 {
                let op: OperationDoc = quick_xml::de::from_str(&a.text).unwrap();
                if done(&op) {
                    eprintln!(
                        "timing: {} at step {} after {} ms",
                        op.kind,
                        op.step,
                        t0.elapsed().as_millis()
                    );
                    return op;
                }
                assert!(
                    t0.elapsed() < budget,
                    "operation never got there within {budget:?}: {op:#?}"
                );
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
}
