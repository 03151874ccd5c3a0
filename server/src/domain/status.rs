//! Session status and checkpoint roll-up from the per-brick worker statuses.
//!
//! Bricks are taken in the master volume's order and grouped into its replica (or disperse)
//! sets: a set keeps replicating while one of its workers is ACTIVE. Unlike oVirt, a session
//! with a faulty or offline brick whose every set still has an ACTIVE worker is
//! PARTIAL_FAULTY, not ACTIVE and not FAULTY.
use app::domain::{BrickStatus as B, SessionAction, SessionStatus as S};

/// How many consecutive bricks form one set: the disperse count for dispersed volumes, the
/// replica count for replicated ones, 1 for plain distribute.
pub fn set_size(replica_count: i64, disperse_count: i64) -> usize {
    if disperse_count > 1 {
        disperse_count as usize
    } else if replica_count > 1 {
        replica_count as usize
    } else {
        1
    }
}

/// The session's status from its bricks' statuses, in volume order.
pub fn aggregate(bricks: &[B], set_size: usize) -> S {
    let known: Vec<B> = bricks
        .iter()
        .copied()
        .filter(|b| *b != B::Unknown)
        .collect();
    if known.is_empty() {
        return S::Unknown;
    }
    let any = |s: B| known.contains(&s);
    let sets: Vec<&[B]> = bricks.chunks(set_size.max(1)).collect();
    let every_set_active = sets.iter().all(|set| set.contains(&B::Active));
    let down = |b: &B| matches!(b, B::Faulty | B::Offline);

    if any(B::Faulty) {
        if known.iter().all(down) {
            return S::Faulty;
        }
        return if every_set_active {
            S::PartialFaulty
        } else {
            S::Faulty
        };
    }
    if any(B::Initializing) {
        return S::Initializing;
    }
    if any(B::Active) {
        if every_set_active {
            return if any(B::Offline) {
                S::PartialFaulty
            } else {
                S::Active
            };
        }
        // a set with no active worker: lost if its bricks are offline, else still in transition
        let lost_set = sets
            .iter()
            .any(|set| !set.contains(&B::Active) && set.iter().all(down));
        return if lost_set {
            S::Faulty
        } else {
            S::PartialFaulty
        };
    }
    // nothing replicating: the common state of the workers gluster reports
    let reported: Vec<B> = known.into_iter().filter(|b| *b != B::Offline).collect();
    let Some(first) = reported.first().copied() else {
        return S::Unknown;
    };
    if reported.iter().any(|b| *b != first) {
        return S::Unknown;
    }
    match first {
        B::Passive => S::Passive,
        B::Created => S::Created,
        B::Stopped => S::Stopped,
        B::Paused => S::Paused,
        _ => S::Unknown,
    }
}

/// A checkpoint is completed when every ACTIVE brick completed it (and there is one).
/// `bricks` pairs each brick's status with its `checkpoint_completed` (None: not reported).
pub fn checkpoint_completed(bricks: &[(B, Option<bool>)]) -> bool {
    let mut active = bricks.iter().filter(|(s, _)| *s == B::Active).peekable();
    active.peek().is_some() && active.all(|(_, done)| *done == Some(true))
}

/// The lifecycle action that moves a session from `from` to `to` as gluster reports it: a
/// stop, pause, resume or start someone ran. None for gluster's own moves (workers going
/// Initializing, Active, Passive or Faulty, a node going down) and for a move from or to
/// Unknown (a cluster georep could not read: what happened meanwhile is not known).
pub fn action_between(from: S, to: S) -> Option<SessionAction> {
    let runs = |s: S| {
        matches!(
            s,
            S::Initializing | S::Active | S::Passive | S::PartialFaulty | S::Faulty
        )
    };
    let idle = |s: S| matches!(s, S::Created | S::NotStarted | S::Stopped);
    match (from, to) {
        (S::Unknown, _) | (_, S::Unknown) => None,
        (f, S::Stopped) if runs(f) || f == S::Paused => Some(SessionAction::Stop),
        (f, S::Paused) if runs(f) => Some(SessionAction::Pause),
        (S::Paused, t) if runs(t) => Some(SessionAction::Resume),
        (f, t) if idle(f) && runs(t) => Some(SessionAction::Start),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use B::*;

    #[test]
    fn a_stop_pause_resume_or_start_is_told_from_glusters_own_moves() {
        use SessionAction as A;
        let cases: &[(S, S, Option<A>)] = &[
            (S::Active, S::Stopped, Some(A::Stop)),
            (S::Faulty, S::Stopped, Some(A::Stop)),
            (S::Paused, S::Stopped, Some(A::Stop)),
            (S::Active, S::Paused, Some(A::Pause)),
            (S::PartialFaulty, S::Paused, Some(A::Pause)),
            (S::Paused, S::Active, Some(A::Resume)),
            (S::Paused, S::Initializing, Some(A::Resume)),
            (S::Created, S::Initializing, Some(A::Start)),
            (S::Stopped, S::Active, Some(A::Start)),
            (S::Stopped, S::Faulty, Some(A::Start)),
            // gluster's own
            (S::Initializing, S::Active, None),
            (S::Active, S::Passive, None),
            (S::Active, S::Faulty, None),
            (S::Faulty, S::Active, None),
            (S::Active, S::PartialFaulty, None),
            (S::Initializing, S::Created, None),
            // not known what happened while the cluster could not be read
            (S::Unknown, S::Paused, None),
            (S::Active, S::Unknown, None),
            (S::Unknown, S::Active, None),
            (S::Stopped, S::Stopped, None),
        ];
        for (from, to, want) in cases {
            assert_eq!(action_between(*from, *to), *want, "{from:?} -> {to:?}");
        }
    }

    #[test]
    fn session_status_table() {
        let cases: &[(&[B], usize, S)] = &[
            (&[], 1, S::Unknown),
            (&[Unknown, Unknown], 1, S::Unknown),
            (&[Active, Active], 1, S::Active),
            (&[Active, Passive], 2, S::Active),
            (&[Passive, Passive], 2, S::Passive),
            (&[Created, Created], 1, S::Created),
            (&[Stopped, Stopped], 1, S::Stopped),
            (&[Paused, Paused], 1, S::Paused),
            (&[Paused, Stopped], 1, S::Unknown),
            (&[Initializing, Active], 1, S::Initializing),
            (&[Initializing, Initializing], 1, S::Initializing),
            (&[Faulty, Faulty], 1, S::Faulty),
            (&[Faulty, Offline], 2, S::Faulty),
            // distribute: a faulty brick is a set with no active worker
            (&[Active, Faulty], 1, S::Faulty),
            // replica 2: the set still replicates through its active worker
            (&[Active, Faulty], 2, S::PartialFaulty),
            (&[Active, Offline], 2, S::PartialFaulty),
            (&[Active, Passive, Active, Faulty], 2, S::PartialFaulty),
            (&[Active, Passive, Faulty, Faulty], 2, S::Faulty),
            (&[Active, Passive, Offline, Offline], 2, S::Faulty),
            (&[Active, Passive, Passive, Passive], 2, S::PartialFaulty),
            // a node down under a stopped or paused session does not make it faulty
            (&[Stopped, Offline], 2, S::Stopped),
            (&[Paused, Offline], 2, S::Paused),
            (&[Offline, Offline], 1, S::Unknown),
            (&[Active, Unknown], 2, S::Active),
            (&[Faulty, Initializing], 1, S::Faulty),
            // disperse 3: one set of three
            (&[Active, Passive, Faulty], 3, S::PartialFaulty),
        ];
        for (bricks, size, want) in cases {
            assert_eq!(
                aggregate(bricks, *size),
                *want,
                "{bricks:?} in sets of {size}"
            );
        }
    }

    #[test]
    fn set_sizes() {
        assert_eq!(set_size(1, 0), 1);
        assert_eq!(set_size(0, 0), 1);
        assert_eq!(set_size(2, 0), 2);
        assert_eq!(set_size(3, 0), 3);
        assert_eq!(set_size(1, 6), 6);
    }

    #[test]
    fn checkpoint_rollup_table() {
        // the bricks (status, checkpoint completed) and the session's rollup
        type Case<'a> = (&'a [(B, Option<bool>)], bool);
        let cases: &[Case] = &[
            (&[], false),
            (&[(Active, Some(true)), (Active, Some(true))], true),
            (&[(Active, Some(true)), (Active, Some(false))], false),
            (&[(Active, Some(true)), (Passive, None)], true),
            (&[(Active, None)], false),
            (&[(Stopped, Some(true))], false),
            (&[(Active, Some(true)), (Faulty, None)], true),
        ];
        for (bricks, want) in cases {
            assert_eq!(checkpoint_completed(bricks), *want, "{bricks:?}");
        }
    }
}
