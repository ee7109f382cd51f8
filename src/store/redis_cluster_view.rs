//! What a Redis Cluster node says of its cluster (`CLUSTER NODES`), as the local cache needs it:
//! which node serves each slot, which nodes to hear from, and a layout to compare.
//!
//! In a cluster a key's changes are pushed by the node that holds its slot, on the tracking
//! connection to that node. When a slot changes hands (a resharding, a failover), changes to its
//! keys are made on another node, which never tracked them: a cached "not revoked" would never
//! be invalidated. So the cache is served only while every live node keeps reporting the layout
//! the cache was started with: the same primaries and replicas, each primary with the same slots,
//! no slot migrating (a node lists its own migrations). Any other answer drops the whole cache,
//! and tracking starts again on the new layout.

use std::collections::BTreeSet;

/// Redis Cluster's number of slots.
const SLOTS: u16 = 16384;

/// A node's view of its cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct View {
    /// One line per node: its id, role, primary, whether it is failed, and its slots (with
    /// migrations, which a node lists for itself only). Equal on every node while the cluster
    /// is settled.
    layout: BTreeSet<String>,
    /// The nodes to hear from: every one not flagged failed, with an address.
    nodes: Vec<Node>,
    /// Slot ranges, each with the index in `nodes` of the primary serving it.
    owners: Vec<(u16, u16, usize)>,
}

/// A node to connect to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Node {
    /// Its address as the cluster knows it; empty when the node has not learned its own IP.
    pub(super) host: String,
    pub(super) port: u16,
}

impl View {
    /// Parses `CLUSTER NODES`' answer; `None` for an answer this module does not understand
    /// (the cache then stays off).
    pub(super) fn parse(text: &str) -> Option<Self> {
        let mut layout = BTreeSet::new();
        let mut nodes = Vec::new();
        let mut owned = Vec::new();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let [id, address, flags, primary, _, _, _, _, slots @ ..] = fields.as_slice() else {
                return None;
            };
            let flags: Vec<&str> = flags.split(',').collect();
            let role = if flags.contains(&"master") {
                "primary"
            } else if flags.contains(&"slave") {
                "replica"
            } else {
                "other"
            };
            // `fail` is agreed by a majority of primaries; `fail?` is one node's suspicion and
            // comes and goes, so it is not part of the layout.
            let failed = flags
                .iter()
                .any(|f| matches!(*f, "fail" | "noaddr" | "handshake"));
            layout.insert(format!(
                "{id} {role} {primary} {} {}",
                if failed { "failed" } else { "live" },
                slots.join(" ")
            ));
            if failed {
                continue;
            }
            let (host, port) = address.split(['@', ',']).next()?.rsplit_once(':')?;
            nodes.push(Node {
                host: host.to_owned(),
                port: port.parse().ok()?,
            });
            if role == "primary" {
                for range in slots.iter().filter(|s| !s.starts_with('[')) {
                    let (first, last) = range.split_once('-').unwrap_or((range, range));
                    let (first, last) = (first.parse().ok()?, last.parse().ok()?);
                    if first > last || last >= SLOTS {
                        return None;
                    }
                    owned.push((first, last, nodes.len() - 1));
                }
            }
        }
        owned.sort_unstable();
        Some(Self {
            layout,
            nodes,
            owners: owned,
        })
    }

    /// Whether `other`, another node's view, reports the same layout.
    pub(super) fn same_layout(&self, other: &Self) -> bool {
        self.layout == other.layout
    }

    /// The nodes to hear from.
    pub(super) fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// The index in [`nodes`](Self::nodes) of the primary serving `key`'s slot, if one does.
    pub(super) fn owner(&self, key: &str) -> Option<usize> {
        let slot = slot(key);
        let i = self.owners.partition_point(|&(first, _, _)| first <= slot);
        let &(_, last, node) = self.owners.get(i.checked_sub(1)?)?;
        (slot <= last).then_some(node)
    }
}

/// The slot of `key`: CRC16 (XMODEM) of its hash tag (the text between the first `{` and the
/// next `}`, if not empty), or of the whole key, modulo the number of slots.
fn slot(key: &str) -> u16 {
    let key = key.as_bytes();
    let tag = key.iter().position(|&b| b == b'{').and_then(|open| {
        let rest = &key[open + 1..];
        let close = rest.iter().position(|&b| b == b'}')?;
        (close > 0).then(|| &rest[..close])
    });
    crc16::State::<crc16::XMODEM>::calculate(tag.unwrap_or(key)) % SLOTS
}

#[cfg(test)]
mod tests {
    use super::*;

    const SETTLED: &str = "\
07c3 127.0.0.1:30004@40004 slave e7d1 0 1700000000000 4 connected
67ed 127.0.0.1:30002@40002 master - 0 1700000000000 2 connected 5461-10922
292f 127.0.0.1:30003@40003 myself,master - 0 1700000000000 3 connected 10923-16383
e7d1 127.0.0.1:30001@40001 master - 0 1700000000000 1 connected 0-5460
";

    fn view(text: &str) -> View {
        View::parse(text).unwrap()
    }

    #[test]
    fn slots_are_those_of_redis_cluster() {
        // The examples of the Redis Cluster specification's key hash tags.
        assert_eq!(slot("123456789"), 0x31C3 % SLOTS);
        assert_eq!(slot("{user1000}.following"), slot("{user1000}.followers"));
        assert_eq!(slot("foo{}{bar}"), slot("foo{}{bar}"));
        assert_ne!(slot("foo{}{bar}"), slot("bar"));
        assert_eq!(slot("foo{{bar}}zap"), slot("{bar"));
        assert_eq!(slot("foo{bar}{zap}"), slot("bar"));
    }

    #[test]
    fn every_slot_is_routed_to_the_primary_that_serves_it() {
        let v = view(SETTLED);
        let ports: Vec<u16> = v.nodes().iter().map(|n| n.port).collect();
        for (key, port) in [("123456789", 30003), ("{bar}", 30001), ("a", 30003)] {
            let expected = match slot(key) {
                0..=5460 => 30001,
                5461..=10922 => 30002,
                _ => 30003,
            };
            assert_eq!(expected, port, "{key}");
            assert_eq!(ports[v.owner(key).unwrap()], port, "{key}");
        }
    }

    #[test]
    fn replicas_are_heard_from_but_serve_no_slot() {
        let v = view(SETTLED);
        assert_eq!(v.nodes().len(), 4);
        assert!(v.owners.iter().all(|&(_, _, n)| v.nodes()[n].port != 30004));
    }

    #[test]
    fn the_same_layout_seen_from_another_node_matches() {
        let other = SETTLED
            .replace("myself,master", "master")
            .replace(
                "67ed 127.0.0.1:30002@40002 master",
                "67ed 127.0.0.1:30002@40002 myself,master",
            )
            .replace(" 0 1700000000000 ", " 1700000000001 1700000000002 ")
            .replace("connected", "disconnected");
        assert!(view(SETTLED).same_layout(&view(&other)));
        let suspected = SETTLED.replace("slave", "slave,fail?");
        assert!(view(SETTLED).same_layout(&view(&suspected)));
    }

    #[test]
    fn a_migrating_slot_changes_the_layout() {
        let migrating = SETTLED.replace("10923-16383", "10923-16383 [10923->-67ed]");
        assert!(!view(SETTLED).same_layout(&view(&migrating)));
        let importing = SETTLED.replace("5461-10922", "5461-10922 [10923-<-292f]");
        assert!(!view(SETTLED).same_layout(&view(&importing)));
    }

    #[test]
    fn a_slot_that_changed_hands_changes_the_layout() {
        let moved = SETTLED
            .replace("5461-10922", "5461-10923")
            .replace("10923-16383", "10924-16383");
        assert!(!view(SETTLED).same_layout(&view(&moved)));
    }

    #[test]
    fn a_failover_changes_the_layout() {
        let failed_over = SETTLED
            .replace(
                "07c3 127.0.0.1:30004@40004 slave e7d1",
                "07c3 127.0.0.1:30004@40004 master -",
            )
            .replace(
                "e7d1 127.0.0.1:30001@40001 master - 0 1700000000000 1 connected 0-5460",
                "e7d1 127.0.0.1:30001@40001 master,fail - 0 1700000000000 1 disconnected",
            )
            .replace("4 connected", "4 connected 0-5460");
        let v = view(&failed_over);
        assert!(!view(SETTLED).same_layout(&v));
        assert_eq!(v.nodes().len(), 3, "the failed primary is not heard from");
        assert_eq!(v.nodes()[v.owner("{bar}").unwrap()].port, 30004);
    }

    #[test]
    fn a_slot_no_live_primary_serves_has_no_owner() {
        let failed = SETTLED.replace(
            "master - 0 1700000000000 1",
            "master,fail - 0 1700000000000 1",
        );
        assert_eq!(view(&failed).owner("{bar}"), None);
    }

    #[test]
    fn an_answer_not_understood_is_none() {
        for bad in [
            "one two three",
            "a 127.0.0.1:1@2 master - 0 0 1 connected 5-x",
            "a 127.0.0.1:1@2 master - 0 0 1 connected 9-3",
            "a 127.0.0.1:1@2 master - 0 0 1 connected 0-16384",
            "a nowhere master - 0 0 1 connected 0-10",
        ] {
            assert_eq!(View::parse(bad), None, "{bad}");
        }
    }
}
