//! Step 7: ACLs — who may do what to a znode (ZooKeeper's `checkACL`, `fixupACL` and
//! `DigestAuthenticationProvider`), checked in the prep stage for writes and on the read path.

use lab08_znodes::acl::{check_acl, digest, parse_acl_list, perms, Id};
use lab08_znodes::proto::{ConnectRequest, Op, OpResult};
use lab08_znodes::server::ZkServer;
use lab08_znodes::session::SessionLimits;
use lab08_znodes::standalone::Standalone;
use lab08_znodes::stat::Acl;
use lab08_znodes::txn::Txn;
use lab08_znodes::Code;

/// A server with one session: (server, session).
fn server() -> (Standalone, i64) {
    let limits = SessionLimits {
        min_ms: 4_000,
        max_ms: 40_000,
    };
    let mut zk = Standalone::new(ZkServer::new(limits, 1, 0));
    let (connected, _) = zk.connect(
        &ConnectRequest {
            protocol_version: 0,
            last_zxid_seen: 0,
            time_out: 10_000,
            session_id: 0,
            passwd: vec![0; 16],
            read_only: false,
        },
        0,
    );
    (zk, connected.session_id)
}

fn create(path: &str, acl: &str) -> Op {
    Op::Create {
        path: path.into(),
        data: b"v".to_vec(),
        acl: if acl.is_empty() {
            vec![]
        } else {
            parse_acl_list(acl).expect("an ACL in zkCli.sh's syntax")
        },
        flags: 0,
        with_stat: false,
    }
}

fn set_data(path: &str) -> Op {
    Op::SetData {
        path: path.into(),
        data: b"w".to_vec(),
        version: -1,
    }
}

fn get_data(path: &str) -> Op {
    Op::GetData {
        path: path.into(),
        watch: false,
    }
}

fn alice() -> Id {
    Id::new("digest", &digest("alice:secret"))
}

#[test]
fn step7_a_digest_id_is_the_user_and_the_base64_sha1_of_user_colon_password() {
    // The value ZooKeeper's documentation gives for `super:test`.
    assert_eq!(digest("super:test"), "super:D/InIHSb7yEEbrWz8b9l71RjZJU=");
    assert_eq!(digest("alice:secret"), "alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E=");
}

#[test]
fn step7_check_acl_grants_by_permission_bit_and_matching_id() {
    let acl =
        parse_acl_list("world:anyone:r,digest:alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E=:cdrwa").unwrap();
    assert_eq!(check_acl(&acl, perms::READ, &[]), Ok(()), "anyone reads");
    assert_eq!(check_acl(&acl, perms::WRITE, &[]), Err(Code::NoAuth));
    assert_eq!(check_acl(&acl, perms::WRITE, &[alice()]), Ok(()));
    let bob = Id::new("digest", &digest("bob:pw"));
    assert_eq!(check_acl(&acl, perms::WRITE, &[bob]), Err(Code::NoAuth));
    assert_eq!(
        check_acl(&acl, perms::ADMIN, &[Id::new("super", "")]),
        Ok(()),
        "super passes every check"
    );
    assert_eq!(check_acl(&[], perms::ADMIN, &[]), Ok(()), "an empty list");
    let net = parse_acl_list("ip:10.1.0.0/16:rw,ip:127.0.0.1:a").unwrap();
    let from = |ip: &str| vec![Id::new("ip", ip)];
    assert_eq!(check_acl(&net, perms::WRITE, &from("10.1.200.7")), Ok(()));
    assert_eq!(
        check_acl(&net, perms::WRITE, &from("10.2.0.1")),
        Err(Code::NoAuth)
    );
    assert_eq!(check_acl(&net, perms::ADMIN, &from("127.0.0.1")), Ok(()));
    assert_eq!(
        check_acl(&net, perms::ADMIN, &from("127.0.0.2")),
        Err(Code::NoAuth)
    );
}

#[test]
fn step7_an_auth_packet_adds_ids_or_fails_for_an_unknown_scheme() {
    use lab08_znodes::acl::authenticate;
    let peer = "10.0.0.7".parse().ok();
    assert_eq!(
        authenticate("digest", b"alice:secret", peer, None),
        Some(vec![alice()])
    );
    assert_eq!(
        authenticate("ip", b"ignored", peer, None),
        Some(vec![Id::new("ip", "10.0.0.7")]),
        "ip: the connection's address, whatever the packet says"
    );
    assert_eq!(
        authenticate("kerberos", b"x", peer, None),
        None,
        "AuthFailed"
    );
    let super_digest = digest("super:test");
    let ids = authenticate("digest", b"super:test", peer, Some(&super_digest)).unwrap();
    assert_eq!(ids[0], Id::new("super", ""));
}

#[test]
fn step7_a_read_only_node_refuses_writes_and_children_with_noauth() {
    let (mut zk, s) = server();
    assert!(zk.submit(s, &create("/ro", "world:anyone:r"), 1).1.is_ok());
    assert_eq!(zk.submit(s, &set_data("/ro"), 2).1, Err(Code::NoAuth));
    assert_eq!(
        zk.submit(s, &create("/ro/child", "world:anyone:cdrwa"), 3)
            .1,
        Err(Code::NoAuth),
        "a create needs CREATE on the parent"
    );
    let (_, read, _) = zk.submit(s, &get_data("/ro"), 4);
    assert!(matches!(read, Ok(OpResult::Data(d, _)) if d == b"v"));
    // The root is open: deleting /ro needs DELETE on /, not on /ro.
    let delete = Op::Delete {
        path: "/ro".into(),
        version: -1,
    };
    assert_eq!(zk.submit(s, &delete, 5).1, Ok(OpResult::Empty));
}

#[test]
fn step7_a_digest_node_answers_noauth_until_the_password_is_given() {
    let (mut zk, s) = server();
    let acl = format!("digest:{}:cdrwa", digest("alice:secret"));
    assert!(zk.submit(s, &create("/secret", &acl), 1).1.is_ok());
    let anonymous = [Id::new("ip", "127.0.0.1")];
    assert_eq!(
        zk.submit_as(s, &anonymous, &get_data("/secret"), 2).1,
        Err(Code::NoAuth)
    );
    let get_acl = Op::GetAcl {
        path: "/secret".into(),
    };
    assert_eq!(
        zk.submit_as(s, &anonymous, &get_acl, 3).1,
        Err(Code::NoAuth),
        "getACL needs READ or ADMIN"
    );
    let exists = Op::Exists {
        path: "/secret".into(),
        watch: false,
    };
    assert!(
        zk.submit_as(s, &anonymous, &exists, 4).1.is_ok(),
        "exists needs nothing"
    );
    let authed = [anonymous[0].clone(), alice()];
    let (_, read, _) = zk.submit_as(s, &authed, &get_data("/secret"), 5);
    assert!(matches!(read, Ok(OpResult::Data(d, _)) if d == b"v"));
    assert!(zk.submit_as(s, &authed, &set_data("/secret"), 6).1.is_ok());
}

#[test]
fn step7_the_auth_scheme_stores_the_creators_digest_ids() {
    let (mut zk, s) = server();
    let ip_only = [Id::new("ip", "127.0.0.1")];
    assert_eq!(
        zk.submit_as(s, &ip_only, &create("/mine", "auth::cdrwa"), 1)
            .1,
        Err(Code::InvalidAcl),
        "no digest id to put in place of `auth`"
    );
    let authed = [ip_only[0].clone(), alice()];
    let (_, created, txn) = zk.submit_as(s, &authed, &create("/mine", "auth::cdrwa"), 2);
    assert!(created.is_ok(), "{created:?}");
    let stored = vec![Acl {
        perms: perms::ALL,
        scheme: "digest".into(),
        id: digest("alice:secret"),
    }];
    let get_acl = Op::GetAcl {
        path: "/mine".into(),
    };
    assert!(
        matches!(zk.submit_as(s, &authed, &get_acl, 3).1, Ok(OpResult::Acl(a, _)) if a == stored)
    );
    // The log holds the expanded list: a replay has no connection to ask.
    let Some(Txn::Request {
        op: Op::Create { acl, .. },
        ..
    }) = txn.map(|t| t.txn)
    else {
        panic!("a create transaction")
    };
    assert_eq!(acl, stored);
    assert_eq!(
        zk.submit(s, &create("/none", ""), 4).1,
        Err(Code::InvalidAcl),
        "an empty list"
    );
}

#[test]
fn step7_a_multi_with_a_forbidden_op_changes_nothing() {
    let (mut zk, s) = server();
    assert!(zk.submit(s, &create("/ro", "world:anyone:r"), 1).1.is_ok());
    let multi = Op::Multi(vec![
        create("/new", "world:anyone:cdrwa"),
        set_data("/ro"),
        create("/other", "world:anyone:cdrwa"),
    ]);
    let (_, result, txn) = zk.submit(s, &multi, 2);
    let Ok(OpResult::Multi(results)) = result else {
        panic!("{result:?}")
    };
    let codes: Vec<_> = results.iter().map(|(_, r)| r.as_ref().err()).collect();
    assert_eq!(
        codes,
        [
            Some(&0),
            Some(&Code::NoAuth.code()),
            Some(&Code::RuntimeInconsistency.code())
        ]
    );
    assert!(matches!(txn.map(|t| t.txn), Some(Txn::MultiError { .. })));
    let exists = Op::Exists {
        path: "/new".into(),
        watch: false,
    };
    assert_eq!(zk.submit(s, &exists, 3).1, Err(Code::NoNode));
}
