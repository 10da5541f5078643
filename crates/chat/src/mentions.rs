//! Whom a message mentions: `@` followed by a member's display name or the
//! part of their email before the `@`, compared without case, and not followed
//! by a letter or digit (`@Ada` mentions Ada, `@Adam` does not). The longest
//! match wins (`@Ada Lovelace` over `@Ada`). Code spans and blocks mention
//! nobody.

use reynard_proto::UserId;

/// A member as mentions see them.
#[derive(Debug, Clone, Copy)]
pub struct Mentionable<'a> {
    pub id: &'a UserId,
    pub name: &'a str,
    pub email: &'a str,
}

/// The members `text` mentions, in order of first mention, each once.
pub fn mentioned(text: &str, members: &[Mentionable<'_>]) -> Vec<UserId> {
    let code = code_ranges(text);
    let mut found: Vec<UserId> = Vec::new();
    for (at, _) in text.match_indices('@') {
        if code.iter().any(|range| range.contains(&at)) {
            continue;
        }
        // `user@example.org` is an address, not a mention.
        if text[..at].chars().next_back().is_some_and(char::is_alphanumeric) {
            continue;
        }
        let rest = &text[at + 1..];
        let best = members
            .iter()
            .flat_map(|member| {
                let local = member.email.split('@').next().unwrap_or("");
                [member.name, local].into_iter().filter_map(move |handle| Some((prefix_len(rest, handle)?, member.id)))
            })
            .max_by_key(|(len, _)| *len);
        if let Some((_, id)) = best
            && !found.contains(id)
        {
            found.push(id.clone());
        }
    }
    found
}

/// How many bytes of `text` spell `handle` (ignoring case), if `text` starts
/// with it and no letter or digit follows.
fn prefix_len(text: &str, handle: &str) -> Option<usize> {
    let handle = handle.trim();
    if handle.is_empty() {
        return None;
    }
    let mut rest = text.char_indices();
    let mut end = 0;
    for expected in handle.chars() {
        let (index, got) = rest.next()?;
        if !got.to_lowercase().eq(expected.to_lowercase()) {
            return None;
        }
        end = index + got.len_utf8();
    }
    match text[end..].chars().next() {
        Some(next) if next.is_alphanumeric() => None,
        _ => Some(end),
    }
}

/// Byte ranges of code: fenced blocks (```), then inline spans (`) outside them.
fn code_ranges(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut ranges = Vec::new();
    let mut fences = text.match_indices("```").map(|(i, _)| i);
    while let Some(start) = fences.next() {
        let end = fences.next().map_or(text.len(), |end| end + 3);
        ranges.push(start..end);
    }
    let mut open: Option<usize> = None;
    for (i, _) in text.match_indices('`') {
        if ranges.iter().any(|range| range.contains(&i)) {
            continue;
        }
        match open.take() {
            Some(start) => ranges.push(start..i + 1),
            None => open = Some(i),
        }
    }
    ranges
}

#[cfg(test)]
mod tests {
    use super::*;

    fn team() -> Vec<(UserId, &'static str, &'static str)> {
        vec![
            (UserId::new("ada"), "Ada", "ada@example.org"),
            (UserId::new("ada-l"), "Ada Lovelace", "countess@example.org"),
            (UserId::new("bob"), "Bob Builder", "bob.b@example.org"),
            (UserId::new("zoe"), "Zoë", "zoe@example.org"),
        ]
    }

    fn check(text: &str) -> Vec<&'static str> {
        let team = team();
        let members: Vec<Mentionable<'_>> =
            team.iter().map(|(id, name, email)| Mentionable { id, name, email }).collect();
        let ids = mentioned(text, &members);
        ids.iter().map(|id| team.iter().find(|(t, ..)| t == id).map(|(_, name, _)| *name).unwrap()).collect()
    }

    #[test]
    fn names_and_email_users() {
        assert_eq!(check("@Ada can you look?"), ["Ada"]);
        assert_eq!(check("thanks @ada lovelace!"), ["Ada Lovelace"], "the longest name wins");
        assert_eq!(check("@bob.b and @Bob Builder"), ["Bob Builder"], "each member once");
        assert_eq!(check("@ZOË, @countess"), ["Zoë", "Ada Lovelace"]);
        assert_eq!(check("(@Ada)"), ["Ada"]);
    }

    #[test]
    fn what_is_not_a_mention() {
        assert!(check("@Adam is not Ada").is_empty());
        assert!(check("mail ada@example.org").is_empty());
        assert!(check("`@Ada` in code").is_empty());
        assert!(check("```\n@Ada in a block\n```").is_empty());
        assert!(check("@ nobody, @@, @").is_empty());
        assert_eq!(check("```unclosed @Bob Builder"), Vec::<&str>::new());
        assert_eq!(check("`a` @Ada `b`"), ["Ada"]);
    }
}
