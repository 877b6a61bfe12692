//! What a change does to the trim plan, and what it costs a node to move from OLD to NEW. Each
//! image's plan is built alone (a set of one, as `imgscope IMAGE` builds it), and its actions are
//! paired by kind, risk and where they act: a trim or dedup by its layer (the old layer carried
//! to the new one by the diff's layer pairing), a slim by the image. Pure, like the rest of
//! `diff`: computed once, read by the text, JSON and Markdown diffs.

use std::cmp::Reverse;

use super::{Delta, LayerDiff, Side};
use crate::analysis::plan::{Action, ActionKind, Plan, Risk, Worth};
use crate::model::Image;

/// How an action of the plan changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PlanChangeKind {
    /// Only NEW's plan has it.
    Appeared,
    /// Both have it; NEW's saves more.
    Grew,
    /// Both have it; NEW's saves less.
    Shrank,
    /// Only OLD's plan had it.
    WentAway,
}

impl PlanChangeKind {
    pub fn label(self) -> &'static str {
        match self {
            PlanChangeKind::Appeared => "appeared",
            PlanChangeKind::Grew => "grew",
            PlanChangeKind::Shrank => "shrank",
            PlanChangeKind::WentAway => "went away",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            PlanChangeKind::Appeared => "appeared",
            PlanChangeKind::Grew => "grew",
            PlanChangeKind::Shrank => "shrank",
            PlanChangeKind::WentAway => "went_away",
        }
    }
}

/// One action that appeared, grew, shrank or went away.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanChange {
    pub change: PlanChangeKind,
    pub action: ActionKind,
    pub risk: Risk,
    /// The layer it acts on (index in the image), in OLD and in NEW; `None` where that plan has
    /// no such action, and for a slim (it acts on the whole image).
    pub old_layer: Option<usize>,
    pub new_layer: Option<usize>,
    pub node_saving: Delta,
    pub pull_saving: Delta,
    /// Whether it is worth it, in OLD's plan and in NEW's (false where absent).
    pub worth_it: (bool, bool),
    /// What it finds and what to do: NEW's sentence, or OLD's for one that went away.
    pub what: String,
}

/// The two plans side by side.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanDiff {
    /// All actions together (each file counted once), per node and per pull.
    pub node_saving: Delta,
    pub pull_saving: Delta,
    pub actions: Delta,
    pub worth_it_actions: Delta,
    /// What changed, the largest change in node saving first.
    pub changes: Vec<PlanChange>,
    /// Actions in both plans with the same node saving.
    pub unchanged: usize,
}

/// What a node that holds OLD pulls to run NEW: the layers NEW has whose content OLD lacks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PullDiff {
    /// Their indexes in NEW.
    pub layers: Vec<usize>,
    /// Compressed (what goes over the wire) and uncompressed (what the node stores).
    pub compressed: u64,
    pub size: u64,
}

/// The layers of `new` whose content (diff_id as read, else as claimed, else blob digest) no
/// layer of `old` has; a layer with no identity at all counts as new.
pub fn pull(old: &Image, new: &Image) -> PullDiff {
    use crate::analysis::releases::{layer_id, pulled_layers};
    let ids = |i: &Image| i.layers.iter().map(layer_id).collect::<Vec<_>>();
    let (o, n) = (ids(old), ids(new));
    let mut out = PullDiff::default();
    for k in pulled_layers(&o, &n) {
        let l = &new.layers[k];
        out.layers.push(l.index);
        out.compressed += l.compressed_size;
        out.size += l.size;
    }
    out
}

/// One image's plan, as `imgscope IMAGE` builds it.
pub fn plan_of(side: Side<'_>, worth: Worth) -> Plan {
    crate::analysis::set::analyze(&[(side.image, Some(side.analysis))], worth).plan
}

/// Where an action acts, in NEW's layer numbering (an OLD layer with no partner in NEW keeps its
/// own index, marked as old).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Anchor {
    Image,
    NewLayer(usize),
    OldLayer(usize),
}

fn anchor(a: &Action) -> Option<usize> {
    match a.kind {
        ActionKind::Slim => None,
        _ => Some(a.focus.1),
    }
}

/// Pair the actions of `old` and `new` (the plans of the two sides of `layers`).
pub fn compare(old: &Plan, new: &Plan, layers: &[LayerDiff]) -> PlanDiff {
    let to_new = |o: usize| layers.iter().find(|l| l.old == Some(o)).and_then(|l| l.new);
    let old_key = |a: &Action| {
        (
            a.kind,
            a.risk,
            match anchor(a) {
                None => Anchor::Image,
                Some(o) => to_new(o).map_or(Anchor::OldLayer(o), Anchor::NewLayer),
            },
        )
    };
    let new_key = |a: &Action| {
        (
            a.kind,
            a.risk,
            anchor(a).map_or(Anchor::Image, Anchor::NewLayer),
        )
    };
    let mut taken = vec![false; old.actions.len()];
    let mut changes = Vec::new();
    let mut unchanged = 0;
    for n in &new.actions {
        let key = new_key(n);
        let partner = old
            .actions
            .iter()
            .enumerate()
            .find(|(k, o)| !taken[*k] && old_key(o) == key);
        let (change, o) = match partner {
            Some((k, o)) => {
                taken[k] = true;
                match n.node_saving.cmp(&o.node_saving) {
                    std::cmp::Ordering::Greater => (PlanChangeKind::Grew, Some(o)),
                    std::cmp::Ordering::Less => (PlanChangeKind::Shrank, Some(o)),
                    std::cmp::Ordering::Equal => {
                        unchanged += 1;
                        continue;
                    }
                }
            }
            None => (PlanChangeKind::Appeared, None),
        };
        changes.push(PlanChange {
            change,
            action: n.kind,
            risk: n.risk,
            old_layer: o.and_then(anchor),
            new_layer: anchor(n),
            node_saving: Delta::new(o.map_or(0, |o| o.node_saving), n.node_saving),
            pull_saving: Delta::new(o.map_or(0, |o| o.pull_saving), n.pull_saving),
            worth_it: (o.is_some_and(|o| o.worth_it), n.worth_it),
            what: n.what.clone(),
        });
    }
    for (k, o) in old.actions.iter().enumerate() {
        if taken[k] {
            continue;
        }
        changes.push(PlanChange {
            change: PlanChangeKind::WentAway,
            action: o.kind,
            risk: o.risk,
            old_layer: anchor(o),
            new_layer: None,
            node_saving: Delta::new(o.node_saving, 0),
            pull_saving: Delta::new(o.pull_saving, 0),
            worth_it: (o.worth_it, false),
            what: o.what.clone(),
        });
    }
    changes.sort_by_key(|c| {
        (
            Reverse(c.node_saving.delta().unsigned_abs()),
            c.change,
            c.new_layer.or(c.old_layer),
        )
    });
    PlanDiff {
        node_saving: Delta::new(old.node_saving, new.node_saving),
        pull_saving: Delta::new(old.pull_saving, new.pull_saving),
        actions: Delta::new(old.actions.len() as u64, new.actions.len() as u64),
        worth_it_actions: Delta::new(old.worth_it().count() as u64, new.worth_it().count() as u64),
        changes,
        unchanged,
    }
}

impl PlanChange {
    /// "in NEW's layer 3", "in OLD's layer 2", "in layer 1 → 2", "in layer 2", or "" for a slim.
    pub fn place(&self) -> String {
        match (self.old_layer, self.new_layer) {
            (Some(o), None) => format!("in OLD's layer {o}"),
            (None, Some(n)) => format!("in NEW's layer {n}"),
            (Some(o), Some(n)) if o != n => format!("in layer {o} → {n}"),
            (Some(_), Some(n)) => format!("in layer {n}"),
            (None, None) => String::new(),
        }
    }

    /// The one-line account, with `what` passed through `escape` (the format's escaping):
    /// "appeared: a safe trim in new layer 3, 37.0 MiB per node (12.0 MiB per pull), worth it —
    /// layer 3 holds 37.0 MiB of apt caches …".
    pub fn sentence(&self, escape: impl Fn(&str) -> String) -> String {
        use crate::text::human_size as hs;
        let place = self.place();
        let place = if place.is_empty() {
            String::new()
        } else {
            format!(" {place}")
        };
        let figures = match self.change {
            PlanChangeKind::Appeared => format!(
                "{} per node ({} per pull), a {} {} that was not there before",
                hs(self.node_saving.new),
                hs(self.pull_saving.new),
                self.risk.key(),
                self.action.key()
            ),
            PlanChangeKind::WentAway => format!(
                "the {} {} that saved {} per node ({} per pull) is no longer needed",
                self.risk.key(),
                self.action.key(),
                hs(self.node_saving.old),
                hs(self.pull_saving.old)
            ),
            PlanChangeKind::Grew | PlanChangeKind::Shrank => format!(
                "the {} {} saves {} → {} per node ({}), {} → {} per pull",
                self.risk.key(),
                self.action.key(),
                hs(self.node_saving.old),
                hs(self.node_saving.new),
                crate::text::signed_size(self.node_saving.delta()),
                hs(self.pull_saving.old),
                hs(self.pull_saving.new)
            ),
        };
        let worth = match (self.change, self.worth_it) {
            (PlanChangeKind::WentAway, _) => "",
            (PlanChangeKind::Appeared, (_, true)) | (_, (true, true)) => "; worth it",
            (_, (false, true)) => "; now worth it",
            (_, (true, false)) => "; no longer worth it",
            (_, (false, false)) => "",
        };
        format!(
            "{}{place}: {figures}{worth} — {}",
            self.change.label(),
            escape(&self.what)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(change: PlanChangeKind, worth_it: (bool, bool)) -> PlanChange {
        PlanChange {
            change,
            action: ActionKind::Trim,
            risk: Risk::Safe,
            old_layer: (change != PlanChangeKind::Appeared).then_some(2),
            new_layer: (change != PlanChangeKind::WentAway).then_some(3),
            node_saving: Delta::new(0, 2048),
            pull_saving: Delta::new(0, 1024),
            worth_it,
            what: "layer 3 holds <apt> caches".into(),
        }
    }

    #[test]
    fn sentences_say_where_how_much_and_the_verdict() {
        let s = change(PlanChangeKind::Appeared, (false, true)).sentence(str::to_string);
        assert_eq!(
            s,
            "appeared in NEW's layer 3: 2.0 KiB per node (1.0 KiB per pull), a safe trim that was \
             not there before; worth it — layer 3 holds <apt> caches"
        );
        let s = change(PlanChangeKind::Grew, (false, true)).sentence(|w| w.replace('<', "&lt;"));
        assert!(s.starts_with("grew in layer 2 → 3: the safe trim saves 0 B → 2.0 KiB per node"));
        assert!(
            s.contains("; now worth it — layer 3 holds &lt;apt> caches"),
            "{s}"
        );
        let s = change(PlanChangeKind::Shrank, (true, false)).sentence(str::to_string);
        assert!(s.contains("; no longer worth it — "), "{s}");
        let s = change(PlanChangeKind::WentAway, (true, false)).sentence(str::to_string);
        assert!(
            s.starts_with("went away in OLD's layer 2: the safe trim that saved 0 B per node"),
            "{s}"
        );
        assert!(!s.contains("worth"), "{s}");
    }
}
