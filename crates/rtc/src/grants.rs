//! What a participant may do in a call, from its workspace role and whether
//! the call's moderators let viewers publish. Grants are recomputed whenever
//! either changes, so they are never stored apart from those two inputs.

use reynard_proto::Role;
use reynard_proto::call::Grants;

/// No grant at all: what a role that cannot join calls gets.
const NONE: Grants = Grants { join: false, publish: false, subscribe: false, screen: false, moderate: false };

/// The grants of a participant with `role`, while viewers may publish
/// (`viewers_may_publish`) or not.
///
/// Joining and subscribing follow [`Role::can_join_calls`]; publishing camera
/// and microphone and sharing the screen follow
/// [`Role::can_publish_in_calls`], or the moderators' permission for roles
/// that cannot publish on their own; moderating follows
/// [`Role::can_moderate_calls`]. A role that cannot join gets no grant at all,
/// whatever the other permissions say.
pub fn grants_for(role: Role, viewers_may_publish: bool) -> Grants {
    if !role.can_join_calls() {
        return NONE;
    }
    let publish = role.can_publish_in_calls() || viewers_may_publish;
    Grants { join: true, publish, subscribe: true, screen: publish, moderate: role.can_moderate_calls() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_table() {
        // (role, viewers may publish, join, publish, subscribe, screen, moderate)
        let table = [
            (Role::Owner, false, true, true, true, true, true),
            (Role::Owner, true, true, true, true, true, true),
            (Role::Editor, false, true, true, true, true, false),
            (Role::Editor, true, true, true, true, true, false),
            (Role::Viewer, false, true, false, true, false, false),
            (Role::Viewer, true, true, true, true, true, false),
        ];
        assert_eq!(table.len(), Role::ALL.len() * 2, "every role, with and without the moderators' permission");
        for (role, allowed, join, publish, subscribe, screen, moderate) in table {
            assert_eq!(
                grants_for(role, allowed),
                Grants { join, publish, subscribe, screen, moderate },
                "{role}, viewers may publish: {allowed}"
            );
        }
    }
}
