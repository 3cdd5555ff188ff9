//! The valid_policy_tree of RFC 5280 §6.1.2 (a), processed by §6.1.3 (d)–(e), §6.1.4 (b) and
//! §6.1.5 (g).
//!
//! The tree is kept level by level: level 0 holds the root, level `i` the nodes created for
//! certificate `i`. A node records the index of its parent in the previous level; deleted nodes
//! are marked dead rather than removed so that indices stay stable.

use super::cert::oid::ANY_POLICY;

/// Most nodes a tree may hold. Each certificate can at most multiply the tree's leaves by the
/// number of its policies; crafted chains (CVE-2023-0464) use that to grow the tree
/// exponentially. Real chains stay below a hundred nodes; 10,000 bounds memory and time.
pub const MAX_POLICY_NODES: usize = 10_000;

/// The tree outgrew [`MAX_POLICY_NODES`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PolicyTreeTooLarge;

#[derive(Clone, Debug)]
struct Node {
    valid_policy: String,
    expected: Vec<String>,
    parent: usize,
    alive: bool,
}

/// The valid_policy_tree; `None` levels mean the tree is NULL.
#[derive(Clone, Debug)]
pub struct PolicyTree {
    levels: Vec<Vec<Node>>,
    null: bool,
    nodes: usize,
}

impl Default for PolicyTree {
    fn default() -> PolicyTree {
        PolicyTree::new()
    }
}

impl PolicyTree {
    /// The initial tree: one anyPolicy node (§6.1.2 (a)).
    pub fn new() -> PolicyTree {
        PolicyTree {
            levels: vec![vec![Node {
                valid_policy: ANY_POLICY.to_owned(),
                expected: vec![ANY_POLICY.to_owned()],
                parent: 0,
                alive: true,
            }]],
            null: false,
            nodes: 1,
        }
    }

    /// True once the tree is NULL.
    pub fn is_null(&self) -> bool {
        self.null
    }

    fn depth(&self) -> usize {
        self.levels.len().saturating_sub(1)
    }

    fn push(&mut self, level: &mut Vec<Node>, node: Node) -> Result<(), PolicyTreeTooLarge> {
        self.nodes = self.nodes.saturating_add(1);
        if self.nodes > MAX_POLICY_NODES {
            return Err(PolicyTreeTooLarge);
        }
        level.push(node);
        Ok(())
    }

    /// Processes the certificatePolicies of the next certificate (§6.1.3 (d), (e)).
    /// `any_policy_allowed` is "inhibit_anyPolicy > 0, or the certificate is self-issued and
    /// not the last one" (§6.1.3 (d)(2)).
    pub fn process_certificate(
        &mut self,
        policies: Option<&[String]>,
        any_policy_allowed: bool,
    ) -> Result<(), PolicyTreeTooLarge> {
        if self.null {
            return Ok(());
        }
        let Some(policies) = policies else {
            self.null = true;
            self.levels.clear();
            return Ok(());
        };
        let prev_idx = self.depth();
        let prev = self.levels.get(prev_idx).cloned().unwrap_or_default();
        let mut level: Vec<Node> = Vec::new();
        for p in policies.iter().filter(|p| p.as_str() != ANY_POLICY) {
            let mut matched = false;
            for (pi, parent) in prev.iter().enumerate() {
                if parent.alive && parent.expected.iter().any(|e| e == p) {
                    matched = true;
                    self.push(&mut level, node(p, pi))?;
                }
            }
            if !matched {
                for (pi, parent) in prev.iter().enumerate() {
                    if parent.alive && parent.valid_policy == ANY_POLICY {
                        self.push(&mut level, node(p, pi))?;
                    }
                }
            }
        }
        if any_policy_allowed && policies.iter().any(|p| p == ANY_POLICY) {
            for (pi, parent) in prev.iter().enumerate() {
                if !parent.alive {
                    continue;
                }
                for e in &parent.expected {
                    let exists = level.iter().any(|c| c.parent == pi && &c.valid_policy == e);
                    if !exists {
                        let mut n = node(e, pi);
                        n.expected = vec![e.clone()];
                        self.push(&mut level, n)?;
                    }
                }
            }
        }
        self.levels.push(level);
        self.prune();
        Ok(())
    }

    /// Applies the policyMappings of certificate `i` (§6.1.4 (b)). `mapping_allowed` is
    /// policy_mapping > 0.
    pub fn apply_mappings(
        &mut self,
        mappings: &[(String, String)],
        mapping_allowed: bool,
    ) -> Result<(), PolicyTreeTooLarge> {
        if self.null || mappings.is_empty() {
            return Ok(());
        }
        let depth = self.depth();
        let mut issuer_policies: Vec<&String> = mappings.iter().map(|(i, _)| i).collect();
        issuer_policies.sort();
        issuer_policies.dedup();
        let mut level = self.levels.get(depth).cloned().unwrap_or_default();
        for id_p in issuer_policies {
            let subjects: Vec<String> = mappings
                .iter()
                .filter(|(i, _)| i == id_p)
                .map(|(_, s)| s.clone())
                .collect();
            if mapping_allowed {
                let mut found = false;
                for n in level.iter_mut() {
                    if n.alive && &n.valid_policy == id_p {
                        n.expected = subjects.clone();
                        found = true;
                    }
                }
                if !found {
                    let any_parent = level
                        .iter()
                        .find(|n| n.alive && n.valid_policy == ANY_POLICY)
                        .map(|n| n.parent);
                    if let Some(parent) = any_parent {
                        let mut n = node(id_p, parent);
                        n.expected = subjects;
                        self.push(&mut level, n)?;
                    }
                }
            } else {
                for n in level.iter_mut() {
                    if &n.valid_policy == id_p {
                        n.alive = false;
                    }
                }
            }
        }
        if let Some(slot) = self.levels.get_mut(depth) {
            *slot = level;
        }
        self.prune();
        Ok(())
    }

    /// Deletes nodes above the deepest level that have no live child, bottom-up; a dead root
    /// makes the tree NULL.
    fn prune(&mut self) {
        let depth = self.depth();
        for d in (0..depth).rev() {
            let (upper, lower) = self.levels.split_at_mut(d + 1);
            let (Some(parents), Some(children)) = (upper.last_mut(), lower.first()) else {
                continue;
            };
            for (pi, p) in parents.iter_mut().enumerate() {
                if p.alive && !children.iter().any(|c| c.alive && c.parent == pi) {
                    p.alive = false;
                }
            }
        }
        let root_alive = self
            .levels
            .first()
            .and_then(|l| l.first())
            .is_some_and(|r| r.alive);
        if !root_alive {
            self.null = true;
            self.levels.clear();
        }
    }

    /// Computes the intersection with the user-initial-policy-set (§6.1.5 (g)); an empty
    /// `user_set` stands for {anyPolicy}. Returns the policies of the resulting tree's leaves.
    pub fn finish(&mut self, user_set: &[String]) -> Result<Vec<String>, PolicyTreeTooLarge> {
        if self.null {
            return Ok(Vec::new());
        }
        let any_user = user_set.is_empty() || user_set.iter().any(|p| p == ANY_POLICY);
        if !any_user {
            let depth = self.depth();
            // valid_policy_node_set: nodes whose parent is anyPolicy (the root's children
            // included). Delete those not in the user set, with their subtrees.
            for d in 1..=depth {
                let parent_any: Vec<bool> = self
                    .levels
                    .get(d - 1)
                    .map(|l| {
                        l.iter()
                            .map(|p| p.alive && p.valid_policy == ANY_POLICY)
                            .collect()
                    })
                    .unwrap_or_default();
                let parent_alive: Vec<bool> = self
                    .levels
                    .get(d - 1)
                    .map(|l| l.iter().map(|p| p.alive).collect())
                    .unwrap_or_default();
                if let Some(level) = self.levels.get_mut(d) {
                    for n in level.iter_mut() {
                        if !parent_alive.get(n.parent).copied().unwrap_or(false) {
                            n.alive = false;
                            continue;
                        }
                        let in_set = parent_any.get(n.parent).copied().unwrap_or(false);
                        if in_set
                            && n.valid_policy != ANY_POLICY
                            && !user_set.contains(&n.valid_policy)
                        {
                            n.alive = false;
                        }
                    }
                }
            }
            // An anyPolicy leaf stands for every policy: replace it by the user's policies
            // that the node set does not already hold.
            let mut level = self.levels.get(depth).cloned().unwrap_or_default();
            let any_leaves: Vec<usize> = level
                .iter()
                .enumerate()
                .filter(|(_, n)| n.alive && n.valid_policy == ANY_POLICY)
                .map(|(i, _)| i)
                .collect();
            for ai in any_leaves {
                let parent = level.get(ai).map(|n| n.parent).unwrap_or(0);
                for p in user_set {
                    let present = level.iter().any(|n| n.alive && &n.valid_policy == p);
                    if !present {
                        self.push(&mut level, node(p, parent))?;
                    }
                }
                if let Some(n) = level.get_mut(ai) {
                    n.alive = false;
                }
            }
            if let Some(slot) = self.levels.get_mut(depth) {
                *slot = level;
            }
            self.prune();
        }
        if self.null {
            return Ok(Vec::new());
        }
        Ok(self
            .levels
            .last()
            .map(|l| {
                l.iter()
                    .filter(|n| n.alive)
                    .map(|n| n.valid_policy.clone())
                    .collect()
            })
            .unwrap_or_default())
    }
}

fn node(policy: &str, parent: usize) -> Node {
    Node {
        valid_policy: policy.to_owned(),
        expected: vec![policy.to_owned()],
        parent,
        alive: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| (*x).to_owned()).collect()
    }

    #[test]
    fn same_policy_survives() {
        let mut t = PolicyTree::new();
        let p = s(&["1.2.3"]);
        t.process_certificate(Some(&p), true).ok();
        t.process_certificate(Some(&p), true).ok();
        assert!(!t.is_null());
        assert_eq!(t.finish(&[]).ok(), Some(s(&["1.2.3"])));
        let mut t2 = t.clone();
        assert_eq!(t2.finish(&s(&["9.9"])).ok(), Some(vec![]));
        assert!(t2.is_null());
    }

    #[test]
    fn disjoint_policies_null_the_tree() {
        let mut t = PolicyTree::new();
        t.process_certificate(Some(&s(&["1.1"])), true).ok();
        t.process_certificate(Some(&s(&["1.2"])), true).ok();
        assert!(t.is_null());
    }

    #[test]
    fn missing_extension_nulls_the_tree() {
        let mut t = PolicyTree::new();
        t.process_certificate(None, true).ok();
        assert!(t.is_null());
    }

    #[test]
    fn mapping_renames_expected_policy() {
        let mut t = PolicyTree::new();
        t.process_certificate(Some(&s(&["1.1"])), true).ok();
        t.apply_mappings(&[("1.1".into(), "2.2".into())], true).ok();
        t.process_certificate(Some(&s(&["2.2"])), true).ok();
        assert!(!t.is_null());
        // The authority-constrained policy is the issuer-domain 1.1.
        assert_eq!(t.clone().finish(&s(&["1.1"])).ok(), Some(s(&["2.2"])));
        assert_eq!(t.finish(&s(&["2.2"])).ok(), Some(vec![]));
    }

    #[test]
    fn inhibited_mapping_deletes_node() {
        let mut t = PolicyTree::new();
        t.process_certificate(Some(&s(&["1.1"])), true).ok();
        t.apply_mappings(&[("1.1".into(), "2.2".into())], false)
            .ok();
        assert!(t.is_null());
    }

    #[test]
    fn any_policy_leaf_expands_to_user_set() {
        let mut t = PolicyTree::new();
        t.process_certificate(Some(&s(&[ANY_POLICY])), true).ok();
        assert_eq!(t.finish(&s(&["1.5"])).ok(), Some(s(&["1.5"])));
    }

    #[test]
    fn any_policy_inhibited_is_ignored() {
        let mut t = PolicyTree::new();
        t.process_certificate(Some(&s(&[ANY_POLICY])), false).ok();
        assert!(t.is_null());
    }

    #[test]
    fn explosion_is_bounded() {
        let many: Vec<String> = (0..200).map(|i| format!("1.2.{i}")).collect();
        let mut t = PolicyTree::new();
        let mut err = false;
        for _ in 0..5 {
            let mut pol = many.clone();
            pol.push(ANY_POLICY.into());
            if t.process_certificate(Some(&pol), true).is_err() {
                err = true;
                break;
            }
            let maps: Vec<(String, String)> = many
                .iter()
                .flat_map(|a| many.iter().take(60).map(move |b| (a.clone(), b.clone())))
                .collect();
            if t.apply_mappings(&maps, true).is_err() {
                err = true;
                break;
            }
        }
        assert!(err);
    }
}
