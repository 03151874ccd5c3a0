//! A create's refusal rests on a fresh read of the volumes it names and names every reason
//! (issue 19 item 2, its first slice), on the real lab and the real binary whose sync loop runs
//! once an hour: after its first cycle georep's copy is old. The slave stopped before georep
//! read it and started with the CLI since is not refused as "not started"; a master stopped
//! with the CLI since is named. Nothing is created in gluster either time. Then gluster's create
//! options georep lacked (item 3): `ssh-port` and `no-verify`, as gluster runs and stores them.
use georep::api::docs::*;
use reqwest::Method;

use crate::common;
use common::{gluster_ok as cli_ok, host, lab_lock_async, lab_script};

const MASTER: &str = "pfm";
const SLAVE: &str = "pfs";
const PW: &str = "lab-admin-pw-preflight";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_rests_on_a_fresh_read_and_names_every_reason() {
    let _lab = lab_lock_async().await;
    let h = host();
    let _master_gone = common::DeleteVolume(MASTER);
    let _slave_gone = common::DeleteVolume(SLAVE);
    lab_script(&["volume", MASTER, "--fresh"]);
    lab_script(&["volume", SLAVE, "--fresh"]);
    cli_ok(&["volume", "stop", SLAVE, "force"]);
    let lab = common::lab_server("3600", PW).await;
    let (api, cluster) = (&lab.api, &lab.cluster);
    let master = common::volume_href(api, cluster, MASTER, None).await;
    let slave: Volumes = api.get(&format!("{cluster}/glustervolumes")).await;
    let stored = slave.volumes.iter().find(|v| v.name == SLAVE).expect(SLAVE);
    assert_eq!(stored.status, "stopped", "georep's copy, read once");

    let body = format!(
        "<georeplication-session><slave_host_name>{h}</slave_host_name><slavevolume>{SLAVE}</slavevolume></georeplication-session>"
    );
    let create = || async {
        api.call(
            Method::POST,
            &format!("{master}/georeplication-sessions"),
            Some(&body),
        )
        .await
    };
    let no_session = || {
        let xml = common::gluster_xml(&["volume", "geo-replication", MASTER, "status"]);
        assert!(!xml.contains(&format!("::{SLAVE}")), "gluster: {xml}");
    };

    // --- the slave started with the CLI since: not a reason; this lab's one remains ---
    cli_ok(&["volume", "start", SLAVE]);
    let refused = create().await;
    assert_eq!(refused.status, 409, "{}", refused.text);
    let fault: FaultDoc = quick_xml::de::from_str(&refused.text).unwrap();
    assert!(
        fault
            .detail
            .contains("the slave volume is in the master's cluster"),
        "{}",
        fault.detail
    );
    assert!(!fault.detail.contains("not started"), "{}", fault.detail);
    no_session();

    // --- the master stopped with the CLI since: named, beside the other ---
    cli_ok(&["volume", "stop", MASTER, "force"]);
    let refused = create().await;
    assert_eq!(refused.status, 409, "{}", refused.text);
    let fault: FaultDoc = quick_xml::de::from_str(&refused.text).unwrap();
    assert!(
        fault.detail.contains("the master volume is not started")
            && fault
                .detail
                .contains("the slave volume is in the master's cluster"),
        "{}",
        fault.detail
    );
    no_session();

    // --- gluster's create options: ssh-port and no-verify (the lab's keys are in place) ---
    cli_ok(&["volume", "start", MASTER]);
    let made = api
        .call(
            Method::POST,
            &format!("{master}/georeplication-sessions"),
            Some(&body.replace(
                "</slavevolume>",
                "</slavevolume><ssh_port>22</ssh_port><no_verify>true</no_verify><force>true</force>",
            )),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.text);
    let ops: Operations = api.get("/api/operations?kind=create").await;
    let op = ops
        .operations
        .iter()
        .find(|o| o.state == "succeeded")
        .expect("the create's operation");
    let op: OperationDoc = api.get(&op.href).await;
    let steps = &op.steps;
    assert!(
        format!("{steps:?}").contains(&format!(
            "volume geo-replication {MASTER} {h}::{SLAVE} create ssh-port 22 no-verify force"
        )),
        "{steps:?}"
    );
    let port = common::gluster_xml(&[
        "volume",
        "geo-replication",
        MASTER,
        &format!("{h}::{SLAVE}"),
        "config",
        "ssh_port",
    ]);
    assert!(port.contains("22"), "gluster's ssh_port: {port}");
    let bad = api
        .call(
            Method::POST,
            &format!("{master}/georeplication-sessions"),
            Some(&body.replace("</slavevolume>", "</slavevolume><ssh_port>0</ssh_port>")),
        )
        .await;
    assert_eq!(bad.status, 400, "{}", bad.text);
    drop(lab);
}
