//! ZooKeeper's error codes (`KeeperException.Code`), as they travel in a reply header's `err`.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i32)]
pub enum Code {
    Ok = 0,
    SystemError = -1,
    RuntimeInconsistency = -2,
    MarshallingError = -5,
    Unimplemented = -6,
    BadArguments = -8,
    NoNode = -101,
    NoAuth = -102,
    BadVersion = -103,
    NoChildrenForEphemerals = -108,
    NodeExists = -110,
    NotEmpty = -111,
    SessionExpired = -112,
    InvalidAcl = -114,
    AuthFailed = -115,
}

impl Code {
    pub fn code(self) -> i32 {
        self as i32
    }

    /// The code for a number read back (an error transaction in the log); `None` if unknown.
    pub fn from_code(code: i32) -> Option<Code> {
        [
            Code::Ok,
            Code::SystemError,
            Code::RuntimeInconsistency,
            Code::MarshallingError,
            Code::Unimplemented,
            Code::BadArguments,
            Code::NoNode,
            Code::NoAuth,
            Code::BadVersion,
            Code::NoChildrenForEphemerals,
            Code::NodeExists,
            Code::NotEmpty,
            Code::SessionExpired,
            Code::InvalidAcl,
            Code::AuthFailed,
        ]
        .into_iter()
        .find(|c| c.code() == code)
    }

    /// The name `zkCli.sh` and kazoo print.
    pub fn name(self) -> &'static str {
        match self {
            Code::Ok => "OK",
            Code::SystemError => "SYSTEMERROR",
            Code::RuntimeInconsistency => "RUNTIMEINCONSISTENCY",
            Code::MarshallingError => "MARSHALLINGERROR",
            Code::Unimplemented => "UNIMPLEMENTED",
            Code::BadArguments => "BADARGUMENTS",
            Code::NoNode => "NONODE",
            Code::NoAuth => "NOAUTH",
            Code::BadVersion => "BADVERSION",
            Code::NoChildrenForEphemerals => "NOCHILDRENFOREPHEMERALS",
            Code::NodeExists => "NODEEXISTS",
            Code::NotEmpty => "NOTEMPTY",
            Code::SessionExpired => "SESSIONEXPIRED",
            Code::InvalidAcl => "INVALIDACL",
            Code::AuthFailed => "AUTHFAILED",
        }
    }
}
