//! The fixtures (`server/tests/fixtures/gluster/`) and helpers the parsers' unit tests share.

use std::fmt;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use uuid::Uuid;

use super::*;
use crate::gluster::model::*;

macro_rules! fx {
    ($name:literal) => {
        include_str!(concat!("../../../tests/fixtures/gluster/", $name))
    };
}

// Real captures (gluster 10.3), named as in shared/gluster-lab/xml/.
pub(super) const VOL_GET_READ_ONLY: &str = fx!("lab2-volume_get_c2slave_features.read-only.xml");
pub(super) const VOL_GET_INDEXING: &str =
    fx!("lab2-volume_get_c2slave_geo-replication.indexing.xml");
pub(super) const VOL_GET_CHANGELOG_DEFAULT: &str =
    fx!("lab2-volume_get_c2slave_changelog.changelog@default.xml");
pub(super) const VOL_GET_UNKNOWN: &str = fx!("lab2-volume_get_c2slave_nosuch.option@unknown.xml");
pub(super) const VOL_SET_READ_ONLY: &str = fx!("lab2-volume_set_c2slave_features.read-only_on.xml");
pub(super) const PEER_STATUS: &str = fx!("002-peer_status.xml");
// georep's node scripts (`gluster::nodes`) on the two-cluster lab, before and after a
// non-root session's set-up.
pub(crate) const NODE_FACTS_SLAVE_NONE: &str =
    fx!("lab2-node-facts_slave_node3@no-mountbroker.txt");
pub(crate) const NODE_FACTS_SLAVE_READY: &str =
    fx!("lab2-node-facts_slave_node3@non-root-ready.txt");
pub(crate) const NODE_FACTS_MASTER_NO_USER: &str = fx!("lab2-node-facts_master_node1@no-user.txt");
pub(crate) const NODE_FACTS_MASTER_READY: &str =
    fx!("lab2-node-facts_master_node1@non-root-ready.txt");
pub(super) const STATUS_TWO_MASTERS_REPEATED: &str =
    fx!("lab2-volume_geo-replication_status@two-masters-repeated.xml");
pub(super) const POOL_LIST: &str = fx!("003-pool_list.xml");
pub(super) const VOL_INFO_NONE: &str = fx!("005-volume_info.xml");
pub(super) const VOL_START: &str = fx!("015-volume_start_mastervol.xml");
pub(super) const VOL_START_AGAIN: &str = fx!("017-volume_start_slavevol@already-started.xml");
pub(super) const VOL_INFO_PRE: &str = fx!("018-volume_info_mastervol@pre-georep.xml");
pub(super) const VOL_STATUS_PRE: &str = fx!("019-volume_status_mastervol@pre-georep.xml");
pub(super) const GSEC_CREATE: &str = fx!("022-system___execute_gsec_create.xml");
pub(super) const ST_NO_SESSION_ALL: &str = fx!("023-volume_geo-replication_status@no-session.xml");
pub(super) const CREATE_BAD_SLAVEVOL: &str =
    fx!("025-volume_geo-replication_mastervol_vm__novol_create_push-pem@bad-slavevol.xml");
pub(super) const CREATE_UNREACHABLE: &str = fx!("026-volume_geo-replication_mastervol_127.0.0.2__slavevol_create_push-pem@unreachable-slavehost.xml");
pub(super) const CREATE_BAD_MASTERVOL: &str =
    fx!("027-volume_geo-replication_novol_vm__slavevol_create_push-pem@bad-mastervol.xml");
pub(super) const ST_NO_SESSION: &str =
    fx!("028-volume_geo-replication_mastervol_vm__slavevol_status_detail@no-session.xml");
pub(super) const START_NO_SESSION: &str =
    fx!("029-volume_geo-replication_mastervol_vm__slavevol_start@no-session.xml");
pub(super) const DELETE_NO_SESSION: &str =
    fx!("030-volume_geo-replication_mastervol_vm__slavevol_delete@no-session.xml");
pub(super) const CONFIG_NO_SESSION: &str =
    fx!("031-volume_geo-replication_mastervol_vm__slavevol_config@no-session.xml");
pub(super) const CREATE_OK: &str =
    fx!("032-volume_geo-replication_mastervol_vm__slavevol_create_push-pem.xml");
pub(super) const ST_CREATED: &str =
    fx!("033-volume_geo-replication_mastervol_vm__slavevol_status_detail@created.xml");
pub(super) const ST_ALL_CREATED: &str = fx!("035-volume_geo-replication_status@created.xml");
pub(super) const CREATE_EXISTS: &str =
    fx!("036-volume_geo-replication_mastervol_vm__slavevol_create_push-pem@already-exists.xml");
pub(super) const CONFIG_CREATED: &str =
    fx!("037-volume_geo-replication_mastervol_vm__slavevol_config@created.xml");
pub(super) const CONFIG_ONE: &str =
    fx!("039-volume_geo-replication_mastervol_vm__slavevol_config_sync-jobs@created.xml");
pub(super) const START_OK: &str =
    fx!("043-volume_geo-replication_mastervol_vm__slavevol_start.xml");
pub(super) const ST_INITIALIZING: &str =
    fx!("044-volume_geo-replication_mastervol_vm__slavevol_status_detail@initializing.xml");
pub(super) const ST_ACTIVE: &str =
    fx!("045-volume_geo-replication_mastervol_vm__slavevol_status_detail@active.xml");
pub(super) const PAUSE_OK: &str =
    fx!("052-volume_geo-replication_mastervol_vm__slavevol_pause.xml");
pub(super) const ST_PAUSED: &str =
    fx!("053-volume_geo-replication_mastervol_vm__slavevol_status_detail@paused.xml");
pub(super) const PAUSE_AGAIN: &str =
    fx!("055-volume_geo-replication_mastervol_vm__slavevol_pause@already-paused.xml");
pub(super) const START_PAUSED: &str =
    fx!("056-volume_geo-replication_mastervol_vm__slavevol_start@paused.xml");
pub(super) const ST_ALL_PAUSED: &str = fx!("057-volume_geo-replication_status@paused.xml");
pub(super) const RESUME_AGAIN: &str =
    fx!("059-volume_geo-replication_mastervol_vm__slavevol_resume@already-resumed.xml");
pub(super) const STOP_OK: &str = fx!("061-volume_geo-replication_mastervol_vm__slavevol_stop.xml");
pub(super) const ST_STOPPED: &str =
    fx!("062-volume_geo-replication_mastervol_vm__slavevol_status_detail@stopped.xml");
pub(super) const STOP_AGAIN: &str =
    fx!("064-volume_geo-replication_mastervol_vm__slavevol_stop@already-stopped.xml");
pub(super) const RESUME_STOPPED: &str =
    fx!("066-volume_geo-replication_mastervol_vm__slavevol_resume@stopped.xml");
pub(super) const ST_CHECKPOINT_SET: &str =
    fx!("069-volume_geo-replication_mastervol_vm__slavevol_status_detail@checkpoint-set.xml");
pub(super) const ST_COUNTERS: &str =
    fx!("071-volume_geo-replication_mastervol_vm__slavevol_status_detail@pending-counters.xml");
pub(super) const ST_CHECKPOINT_DONE: &str =
    fx!("072-volume_geo-replication_mastervol_vm__slavevol_status_detail@checkpoint-completed.xml");
pub(super) const ST_VOL_CHECKPOINT_DONE: &str =
    fx!("075-volume_geo-replication_mastervol_status@checkpoint-completed.xml");
pub(super) const ST_ALL_CHECKPOINT_DONE: &str =
    fx!("076-volume_geo-replication_status_detail@checkpoint-completed.xml");
pub(super) const CONFIG_SET: &str =
    fx!("077-volume_geo-replication_mastervol_vm__slavevol_config_sync-jobs_4.xml");
pub(super) const CONFIG_BAD_OPTION: &str = fx!(
    "078-volume_geo-replication_mastervol_vm__slavevol_config_no-such-option_4@invalid-option.xml"
);
pub(super) const CONFIG_BAD_VALUE: &str =
    fx!("079-volume_geo-replication_mastervol_vm__slavevol_config_sync-jobs_abc@invalid-value.xml");
pub(super) const CONFIG_RESET: &str = fx!(
    "081-volume_geo-replication_mastervol_vm__slavevol_config_!log-rsync-performance@reset.xml"
);
pub(super) const CONFIG_RESERVED: &str = fx!("082-volume_geo-replication_mastervol_vm__slavevol_config_pid-file__tmp_x.pid@non-configurable.xml");
pub(super) const CONFIG_AFTER_SETS: &str =
    fx!("083-volume_geo-replication_mastervol_vm__slavevol_config@after-sets.xml");
pub(super) const ST_FAULTY: &str =
    fx!("085-volume_geo-replication_mastervol_vm__slavevol_status_detail@faulty.xml");
pub(super) const ST_HISTORY: &str =
    fx!("088-volume_geo-replication_mastervol_vm__slavevol_status_detail@history-crawl.xml");
pub(super) const CREATE_FORCE_NOT_EMPTY: &str = fx!(
    "089-volume_geo-replication_mastervol_vm__slavevol_create_push-pem_force@exists-running.xml"
);
pub(super) const DELETE_RUNNING: &str =
    fx!("090-volume_geo-replication_mastervol_vm__slavevol_delete@running.xml");
pub(super) const CREATE_BAD_USER: &str = fx!(
    "092-volume_geo-replication_mastervol_nouser@vm__slavevol_create_push-pem@bad-slave-user.xml"
);
pub(super) const VOL_INFO_MASTER: &str = fx!("093-volume_info_mastervol@georep-active.xml");
pub(super) const VOL_STATUS_MASTER: &str = fx!("094-volume_status_mastervol@georep-active.xml");
pub(super) const VOL_STATUS_DETAIL: &str =
    fx!("095-volume_status_mastervol_detail@georep-active.xml");
pub(super) const VOL_INFO_SLAVE: &str = fx!("096-volume_info_slavevol@georep-active.xml");
pub(super) const VOL_INFO_ALL: &str = fx!("097-volume_info@georep-active.xml");
pub(super) const VOL_STATUS_ALL: &str = fx!("098-volume_status_all@georep-active.xml");
pub(super) const DELETE_OK: &str =
    fx!("102-volume_geo-replication_mastervol_vm__slavevol_delete.xml");
pub(super) const ST_ALL_AFTER_DELETE: &str =
    fx!("103-volume_geo-replication_status@after-delete.xml");
pub(super) const ST_AFTER_DELETE: &str =
    fx!("104-volume_geo-replication_mastervol_vm__slavevol_status@after-delete.xml");
pub(super) const DELETE_AGAIN: &str =
    fx!("105-volume_geo-replication_mastervol_vm__slavevol_delete@after-delete.xml");
pub(super) const ST_HYBRID: &str =
    fx!("113-volume_geo-replication_mastervol_vm__slavevol_status_detail@hybrid-crawl.xml");
pub(super) const ST_REPLICA_BOTH_ACTIVE: &str = fx!("117-volume_geo-replication_mastervol2_vm__slavevol2_status_detail@replica-no-metavol-both-active.xml");
pub(super) const ST_TWO_SESSIONS_A: &str =
    fx!("119-volume_geo-replication_status@two-sessions.xml");
pub(super) const ST_ACTIVE_PASSIVE: &str = fx!(
    "122-volume_geo-replication_mastervol2_vm__slavevol2_status_detail@active-passive-metavol.xml"
);
pub(super) const ST_TWO_SESSIONS_B: &str =
    fx!("124-volume_geo-replication_status@two-sessions.xml");

// gluster < 10 naming (the files above with master/slave element names).
pub(super) const V9: [(&str, &str); 9] = [
    (ST_CREATED, fx!("033-volume_geo-replication_mastervol_vm__slavevol_status_detail@created-v9.xml")),
    (ST_ACTIVE, fx!("045-volume_geo-replication_mastervol_vm__slavevol_status_detail@active-v9.xml")),
    (ST_PAUSED, fx!("053-volume_geo-replication_mastervol_vm__slavevol_status_detail@paused-v9.xml")),
    (ST_COUNTERS, fx!("071-volume_geo-replication_mastervol_vm__slavevol_status_detail@pending-counters-v9.xml")),
    (ST_CHECKPOINT_DONE, fx!("072-volume_geo-replication_mastervol_vm__slavevol_status_detail@checkpoint-completed-v9.xml")),
    (ST_FAULTY, fx!("085-volume_geo-replication_mastervol_vm__slavevol_status_detail@faulty-v9.xml")),
    (ST_TWO_SESSIONS_A, fx!("119-volume_geo-replication_status@two-sessions-v9.xml")),
    (ST_ACTIVE_PASSIVE, fx!("122-volume_geo-replication_mastervol2_vm__slavevol2_status_detail@active-passive-metavol-v9.xml")),
    (ST_TWO_SESSIONS_B, fx!("124-volume_geo-replication_status@two-sessions-v9.xml")),
];

// Hand-made.
pub(super) const VOL_STATUS_SHD: &str = fx!("hand-volume_status_mastervol2@replica-shd.xml");
pub(super) const ST_EMPTY: &str = fx!("hand-georep_status@empty.xml");
pub(super) const ST_NON_ROOT: &str = fx!("hand-georep_status@non-root-user.xml");
pub(super) const G_TRUNCATED: &str = fx!("hand-garbage@truncated-045.xml");
pub(super) const G_HUGE: &str = fx!("hand-garbage@huge-counter-071.xml");
pub(super) const G_HTML: &str = fx!("hand-garbage@html.xml");
pub(super) const G_BAD_UTF8: &[u8] =
    include_bytes!("../../../tests/fixtures/gluster/hand-garbage@invalid-utf8-045.xml");
pub(super) const G_BINARY: &[u8] =
    include_bytes!("../../../tests/fixtures/gluster/hand-garbage@binary.xml");

pub(super) const NODE_A: &str = "10ee48f8-310b-4ea0-9b7d-31242ddd2ddc";
pub(super) const NODE_B: &str = "2fa7c524-5e62-4ccb-9417-02257633671a";

pub(super) fn u(s: &str) -> Uuid {
    Uuid::parse_str(s).unwrap()
}

pub(super) fn t(s: &str) -> Option<DateTime<Utc>> {
    let n = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap();
    Some(Utc.from_utc_datetime(&n))
}

pub(super) fn command_err(r: Result<impl fmt::Debug>) -> (i32, i32, String) {
    match r {
        Err(ParseError::Command {
            op_ret,
            op_errno,
            message,
        }) => (op_ret, op_errno, message),
        other => panic!("expected a Command error, got {other:?}"),
    }
}

pub(super) fn status(xml: &str) -> GeorepStatus {
    parse_georep_status(xml).unwrap()
}

/// The pairs of the only session of the only volume.
pub(super) fn pairs(xml: &str) -> Vec<GeorepPair> {
    let st = status(xml);
    assert_eq!(st.volumes.len(), 1);
    assert_eq!(st.volumes[0].sessions.len(), 1);
    st.volumes[0].sessions[0].pairs.clone()
}

pub(super) type AnyParser = fn(&str) -> Result<()>;
pub(super) const PARSERS: [AnyParser; 7] = [
    |x| check_envelope(x).map(drop),
    |x| parse_pool_list(x).map(drop),
    |x| parse_volume_info(x).map(drop),
    |x| parse_volume_status(x).map(drop),
    |x| parse_georep_status(x).map(drop),
    |x| parse_georep_config(x).map(drop),
    |x| parse_action(x).map(drop),
];
