//! The data tree: every znode with its data, ACL, `Stat` and children — ZooKeeper's `DataTree`,
//! "no networking, so that it can be tested stand alone". Writes take the transaction's zxid
//! and time; the server assigns them, the tree only applies the rules.
//!
//! ```text
//! /                      the root, always there
//! /zookeeper             ZooKeeper's own: /zookeeper/config and /zookeeper/quota
//! /brokers/ids/1         a Kafka broker's ephemeral registration (lab 11)
//! ```

use std::collections::{BTreeMap, BTreeSet};

use crate::code::Code;
use crate::stat::{Acl, Stat};

/// `CreateMode`: bit 0 ephemeral, bit 1 sequential (4 is container, handled as persistent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreateMode {
    pub ephemeral: bool,
    pub sequential: bool,
    pub container: bool,
}

impl CreateMode {
    /// From the request's `flags`; `None` for modes this server does not offer (TTL nodes).
    pub fn from_flags(flags: i32) -> Option<CreateMode> {
        Some(match flags {
            0 => CreateMode {
                ephemeral: false,
                sequential: false,
                container: false,
            },
            1 => CreateMode {
                ephemeral: true,
                sequential: false,
                container: false,
            },
            2 => CreateMode {
                ephemeral: false,
                sequential: true,
                container: false,
            },
            3 => CreateMode {
                ephemeral: true,
                sequential: true,
                container: false,
            },
            4 => CreateMode {
                ephemeral: false,
                sequential: false,
                container: true,
            },
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataNode {
    pub data: Vec<u8>,
    pub acl: Vec<Acl>,
    pub stat: Stat,
    pub children: BTreeSet<String>,
}

impl DataNode {
    /// How many children were ever created under this node — what ZooKeeper 3.8 keeps as
    /// `cversion` on disk (`StatPersisted`) and names sequential children with. Clients see
    /// another number: `DataNode.copyStat` reports `cversion * 2 - numChildren`, i.e. creates
    /// plus deletes, which is what `stat.cversion` holds here. So a delete moves the `cversion`
    /// a client sees but not the next sequence suffix:
    ///
    /// ```text
    /// create /q/n- ×3   creates 3  children 3  client cversion 3   next suffix 3
    /// delete /q/n-…2    creates 3  children 2  client cversion 4   next suffix 3
    /// ```
    /// The built-in nodes fit too: a fresh `/` (one child, no creates) shows −1, `/zookeeper`
    /// −2.
    pub fn creates(&self) -> i32 {
        (self.stat.cversion + self.stat.num_children) / 2
    }

    /// The client's `cversion` for `creates` and `num_children` (the inverse of
    /// [`DataNode::creates`], for a snapshot in ZooKeeper's format).
    pub fn client_cversion(creates: i32, num_children: i32) -> i32 {
        creates * 2 - num_children
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataTree {
    nodes: BTreeMap<String, DataNode>,
    /// Session id → the paths of its ephemeral nodes.
    ephemerals: BTreeMap<i64, BTreeSet<String>>,
}

/// ZooKeeper's path rules (`PathUtils.validatePath`): absolute, no empty, `.` or `..`
/// segments, no trailing slash (but the root), no null character.
pub fn validate_path(path: &str) -> Result<(), Code> {
    // BEGIN SOLUTION step 2: a leading slash, no trailing slash but the root, no empty or relative segments, no NUL; else BadArguments
    // ko: 맨 앞에 슬래시, 루트가 아니면 끝에 슬래시 없음, 빈 조각이나 상대 조각 없음, NUL 없음. 아니면 BadArguments
    if !path.starts_with('/') {
        return Err(Code::BadArguments);
    }
    if path == "/" {
        return Ok(());
    }
    if path.ends_with('/') || path.contains('\0') {
        return Err(Code::BadArguments);
    }
    if path[1..]
        .split('/')
        .any(|s| s.is_empty() || s == "." || s == "..")
    {
        return Err(Code::BadArguments);
    }
    Ok(())
    // END SOLUTION
}

/// `/a/b` → `/a`; `/a` → `/`.
pub fn parent_of(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

fn name_of(path: &str) -> &str {
    &path[path.rfind('/').map_or(0, |i| i + 1)..]
}

impl Default for DataTree {
    fn default() -> Self {
        DataTree::new()
    }
}

impl DataTree {
    /// The tree a new server starts with: `/`, `/zookeeper`, `/zookeeper/config`,
    /// `/zookeeper/quota`, with the stats ZooKeeper 3.5+ shows for them.
    pub fn new() -> DataTree {
        let mut tree = DataTree {
            nodes: BTreeMap::new(),
            ephemerals: BTreeMap::new(),
        };
        let empty = |children: &[&str]| DataNode {
            data: vec![],
            acl: vec![Acl::open()],
            stat: Stat {
                num_children: children.len() as i32,
                ..Stat::default()
            },
            children: children.iter().map(|c| c.to_string()).collect(),
        };
        // ZooKeeper adds /zookeeper and its children without counting them as child changes,
        // and then lowers the counters: a fresh server shows cversion −1 on the root and −2
        // on /zookeeper. Copied, so that Stats match a real ZooKeeper's field for field.
        let mut root = empty(&["zookeeper"]);
        root.stat.cversion = -1;
        let mut zookeeper = empty(&["config", "quota"]);
        zookeeper.stat.cversion = -2;
        tree.nodes.insert("/".into(), root);
        tree.nodes.insert("/zookeeper".into(), zookeeper);
        tree.nodes.insert("/zookeeper/config".into(), empty(&[]));
        tree.nodes.insert("/zookeeper/quota".into(), empty(&[]));
        tree
    }

    /// A tree from its nodes (a snapshot): children and ephemeral owners are rebuilt from the
    /// paths and stats.
    pub fn from_nodes(nodes: Vec<(String, DataNode)>) -> DataTree {
        let mut tree = DataTree {
            nodes: BTreeMap::new(),
            ephemerals: BTreeMap::new(),
        };
        for (path, mut node) in nodes {
            node.children.clear();
            if node.stat.ephemeral_owner != 0 {
                tree.ephemerals
                    .entry(node.stat.ephemeral_owner)
                    .or_default()
                    .insert(path.clone());
            }
            tree.nodes.insert(path, node);
        }
        let paths: Vec<String> = tree.nodes.keys().filter(|p| *p != "/").cloned().collect();
        for path in paths {
            let name = name_of(&path).to_string();
            if let Some(parent) = tree.nodes.get_mut(parent_of(&path)) {
                parent.children.insert(name);
            }
        }
        tree
    }

    pub fn node(&self, path: &str) -> Option<&DataNode> {
        self.nodes.get(path)
    }

    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Every node, in path order (for snapshots and the shell's `ls -R`).
    pub fn nodes(&self) -> impl Iterator<Item = (&String, &DataNode)> {
        self.nodes.iter()
    }

    /// The ephemeral nodes a session owns.
    pub fn ephemerals(&self, session: i64) -> Vec<String> {
        self.ephemerals
            .get(&session)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// create: checks, then adds the node. For a sequential node the name gets, as a 10-digit
    /// suffix, the number of children the parent has ever had created ([`DataNode::creates`]).
    /// Returns the path created.
    #[allow(clippy::too_many_arguments)]
    pub fn create(
        &mut self,
        path: &str,
        data: &[u8],
        acl: &[Acl],
        mode: CreateMode,
        session: i64,
        zxid: i64,
        time: i64,
    ) -> Result<String, Code> {
        // BEGIN SOLUTION step 3: check BadArguments, NoNode, NoChildrenForEphemerals, name a sequential node from the parent's creates, then NodeExists, InvalidAcl; add it, update the parent's counters
        // ko: BadArguments, NoNode, NoChildrenForEphemerals를 검사하고 순차 노드의 이름을 정한 뒤 NodeExists, InvalidAcl. 노드를 더하고 부모의 카운터를 고치세요
        let check = if mode.sequential {
            format!("{path}0")
        } else {
            path.to_string()
        };
        validate_path(&check)?;
        if path == "/" {
            return Err(Code::NodeExists);
        }
        let parent_path = parent_of(&check).to_string();
        let parent = self.nodes.get(&parent_path).ok_or(Code::NoNode)?;
        if parent.stat.ephemeral_owner != 0 {
            return Err(Code::NoChildrenForEphemerals);
        }
        let path = if mode.sequential {
            format!("{path}{:010}", parent.creates())
        } else {
            path.to_string()
        };
        if self.nodes.contains_key(&path) {
            return Err(Code::NodeExists);
        }
        if acl.is_empty() {
            return Err(Code::InvalidAcl);
        }
        let owner = if mode.ephemeral { session } else { 0 };
        self.nodes.insert(
            path.clone(),
            DataNode {
                data: data.to_vec(),
                acl: acl.to_vec(),
                stat: Stat {
                    czxid: zxid,
                    mzxid: zxid,
                    ctime: time,
                    mtime: time,
                    version: 0,
                    cversion: 0,
                    aversion: 0,
                    ephemeral_owner: owner,
                    data_length: data.len() as i32,
                    num_children: 0,
                    pzxid: zxid,
                },
                children: BTreeSet::new(),
            },
        );
        let parent = self.nodes.get_mut(&parent_path).expect("checked above");
        parent.children.insert(name_of(&path).to_string());
        parent.stat.cversion += 1;
        parent.stat.pzxid = zxid;
        parent.stat.num_children = parent.children.len() as i32;
        if owner != 0 {
            self.ephemerals
                .entry(owner)
                .or_default()
                .insert(path.clone());
        }
        Ok(path)
        // END SOLUTION
    }

    /// delete: the node must exist, match `version` (−1: any) and have no children.
    pub fn delete(&mut self, path: &str, version: i32, zxid: i64) -> Result<(), Code> {
        // BEGIN SOLUTION step 4: BadArguments (also for / and /zookeeper), NoNode, BadVersion, NotEmpty; then remove it and update the parent
        // ko: BadArguments(/와 /zookeeper도), NoNode, BadVersion, NotEmpty를 검사한 뒤 노드를 지우고 부모를 고치세요
        validate_path(path)?;
        if path == "/" || path == "/zookeeper" || path.starts_with("/zookeeper/") {
            return Err(Code::BadArguments);
        }
        let node = self.nodes.get(path).ok_or(Code::NoNode)?;
        if version != -1 && node.stat.version != version {
            return Err(Code::BadVersion);
        }
        if !node.children.is_empty() {
            return Err(Code::NotEmpty);
        }
        let owner = node.stat.ephemeral_owner;
        self.nodes.remove(path);
        if owner != 0 {
            if let Some(set) = self.ephemerals.get_mut(&owner) {
                set.remove(path);
                if set.is_empty() {
                    self.ephemerals.remove(&owner);
                }
            }
        }
        let parent = self
            .nodes
            .get_mut(parent_of(path))
            .expect("a node's parent exists");
        parent.children.remove(name_of(path));
        parent.stat.cversion += 1;
        parent.stat.pzxid = zxid;
        parent.stat.num_children = parent.children.len() as i32;
        Ok(())
        // END SOLUTION
    }

    /// setData: the node must exist and match `version` (−1: any); its version goes up by one.
    pub fn set_data(
        &mut self,
        path: &str,
        data: &[u8],
        version: i32,
        zxid: i64,
        time: i64,
    ) -> Result<Stat, Code> {
        // BEGIN SOLUTION step 4: BadArguments, NoNode, BadVersion; then data, mzxid, mtime, version + 1, dataLength
        // ko: BadArguments, NoNode, BadVersion을 검사한 뒤 data, mzxid, mtime, version + 1, dataLength를 바꾸세요
        validate_path(path)?;
        let node = self.nodes.get_mut(path).ok_or(Code::NoNode)?;
        if version != -1 && node.stat.version != version {
            return Err(Code::BadVersion);
        }
        node.data = data.to_vec();
        node.stat.mzxid = zxid;
        node.stat.mtime = time;
        node.stat.version += 1;
        node.stat.data_length = data.len() as i32;
        Ok(node.stat)
        // END SOLUTION
    }

    /// setACL: the node must exist and match `version` against its `aversion`.
    pub fn set_acl(&mut self, path: &str, acl: &[Acl], version: i32) -> Result<Stat, Code> {
        validate_path(path)?;
        if acl.is_empty() {
            return Err(Code::InvalidAcl);
        }
        let node = self.nodes.get_mut(path).ok_or(Code::NoNode)?;
        if version != -1 && node.stat.aversion != version {
            return Err(Code::BadVersion);
        }
        node.acl = acl.to_vec();
        node.stat.aversion += 1;
        Ok(node.stat)
    }

    /// The version check of a multi's `check` op.
    pub fn check_version(&self, path: &str, version: i32) -> Result<(), Code> {
        validate_path(path)?;
        let node = self.nodes.get(path).ok_or(Code::NoNode)?;
        if version != -1 && node.stat.version != version {
            return Err(Code::BadVersion);
        }
        Ok(())
    }

    pub fn stat(&self, path: &str) -> Result<Stat, Code> {
        validate_path(path)?;
        self.nodes.get(path).map(|n| n.stat).ok_or(Code::NoNode)
    }

    pub fn get_data(&self, path: &str) -> Result<(Vec<u8>, Stat), Code> {
        validate_path(path)?;
        self.nodes
            .get(path)
            .map(|n| (n.data.clone(), n.stat))
            .ok_or(Code::NoNode)
    }

    /// The children's names, sorted (ZooKeeper does not sort; sorted is one valid order).
    pub fn get_children(&self, path: &str) -> Result<(Vec<String>, Stat), Code> {
        validate_path(path)?;
        self.nodes
            .get(path)
            .map(|n| (n.children.iter().cloned().collect(), n.stat))
            .ok_or(Code::NoNode)
    }

    pub fn get_acl(&self, path: &str) -> Result<(Vec<Acl>, Stat), Code> {
        validate_path(path)?;
        self.nodes
            .get(path)
            .map(|n| (n.acl.clone(), n.stat))
            .ok_or(Code::NoNode)
    }

    /// A session ended: delete its ephemeral nodes (in reverse path order, children first).
    /// Returns the deleted paths, for the watches they fire (step 6).
    pub fn kill_session(&mut self, session: i64, zxid: i64) -> Vec<String> {
        // BEGIN SOLUTION step 5: take the session's ephemeral paths and delete each, ignoring its version
        // ko: 세션의 임시 노드 경로를 꺼내 버전과 상관없이 하나씩 지우세요
        let paths: Vec<String> = self.ephemerals(session).into_iter().rev().collect();
        let mut deleted = Vec::new();
        for path in paths {
            if self.delete(&path, -1, zxid).is_ok() {
                deleted.push(path);
            }
        }
        self.ephemerals.remove(&session);
        deleted
        // END SOLUTION
    }
}
