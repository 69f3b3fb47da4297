//! Reading the audit log from inside the application: the manager's log viewer, an in-app
//! chain check, and the checkpoint shown at the end of the day.

use chrono::{DateTime, Utc};

use super::{Service, ServiceError, Session};
use crate::audit::{AuditAction, AuditEntry, Checkpoint, Outcome, decode, verify_chain};
use crate::domain::access::Operation;
use crate::domain::sanitize::sanitize_line;
use crate::store::ReadAccess;

/// Entries per page when the caller asks for none.
pub const AUDIT_PAGE_DEFAULT: usize = 50;
/// The most entries one page returns.
pub const AUDIT_PAGE_MAX: usize = 500;
/// How many entries one call reads at most while looking for matches, so a filter that
/// matches nothing cannot make one keypress read a million entries. The page then comes back
/// short with `next_before` set, and the viewer asks again.
pub const AUDIT_SCAN_BUDGET: usize = 20_000;

/// What the log viewer asks for. Every filter is optional; all given ones must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Only entries older than this sequence number (the previous page's `next_before`);
    /// `None` for the newest page.
    pub before_seq: Option<u64>,
    /// Entries per page; 0 means [`AUDIT_PAGE_DEFAULT`], more than [`AUDIT_PAGE_MAX`] is capped.
    pub limit: usize,
    /// Part of the actor's user name, any case.
    pub actor: Option<String>,
    /// The start of the action code, e.g. `member.` or `login.failed`.
    pub action_prefix: Option<String>,
    pub outcome: Option<Outcome>,
    /// A record id (or other object reference) the entry names, any case.
    pub object: Option<String>,
    /// Entries at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Entries before this instant.
    pub to: Option<DateTime<Utc>>,
}

/// One entry, as text ready to draw. Entries never hold personal values, so nothing is masked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntryView {
    pub seq: u64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub origin: String,
    pub action: String,
    /// `ok`, `denied` or `failed`; `unreadable` for an entry whose stored bytes are damaged.
    pub outcome: String,
    pub objects: Vec<String>,
    pub fields: Vec<String>,
    pub detail: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditPage {
    /// Newest first.
    pub entries: Vec<AuditEntryView>,
    /// Pass as `before_seq` for the next, older page; `None` when the log's start was reached.
    pub next_before: Option<u64>,
}

/// The in-app chain check's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditVerification {
    /// Entries found intact, from the first up to any problem.
    pub entries: u64,
    /// `COUNT:HEX` of the intact part, as `frontdesk verify` prints it.
    pub checkpoint: String,
    pub problem: Option<String>,
}

/// A filter with its text parts normalised once, so each entry is matched cheaply.
struct Matcher {
    actor: Option<String>,
    action_prefix: Option<String>,
    outcome: Option<Outcome>,
    object: Option<String>,
    /// `member:100001` when the object asked for is a bare member number `100001`.
    member_object: Option<String>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
}

/// The reference member entries carry for a bare member number, as staff read it off a card or
/// a screen; record ids are 26 letters and digits, never digits alone.
fn member_reference(object: &str) -> Option<String> {
    let is_member_number =
        (1..=12).contains(&object.len()) && object.bytes().all(|b| b.is_ascii_digit());
    is_member_number.then(|| format!("member:{object}"))
}

fn folded(text: Option<&String>) -> Option<String> {
    text.map(|t| sanitize_line(t).trim().to_lowercase())
        .filter(|t| !t.is_empty())
}

impl Matcher {
    fn new(filter: &AuditFilter) -> Self {
        Self {
            actor: folded(filter.actor.as_ref()),
            action_prefix: folded(filter.action_prefix.as_ref()),
            outcome: filter.outcome,
            object: folded(filter.object.as_ref()),
            member_object: folded(filter.object.as_ref())
                .as_deref()
                .and_then(member_reference),
            from: filter.from,
            to: filter.to,
        }
    }

    /// The names of the filters in use, for the viewer's own audit entry (never their values).
    fn used(&self) -> Vec<String> {
        [
            ("actor", self.actor.is_some()),
            ("action", self.action_prefix.is_some()),
            ("outcome", self.outcome.is_some()),
            ("object", self.object.is_some()),
            ("from", self.from.is_some()),
            ("to", self.to.is_some()),
        ]
        .into_iter()
        .filter(|(_, used)| *used)
        .map(|(name, _)| format!("filter.{name}"))
        .collect()
    }

    fn matches(&self, entry: &AuditEntry) -> bool {
        self.actor
            .as_ref()
            .is_none_or(|wanted| entry.actor.to_string().to_lowercase().contains(wanted))
            && self
                .action_prefix
                .as_ref()
                .is_none_or(|prefix| entry.action.as_str().starts_with(prefix.as_str()))
            && self.outcome.is_none_or(|outcome| entry.outcome == outcome)
            && self.object.as_ref().is_none_or(|wanted| {
                entry
                    .objects
                    .iter()
                    .map(|object| object.trim().to_lowercase())
                    .any(|object| object == *wanted || self.member_object.as_ref() == Some(&object))
            })
            && self.from.is_none_or(|from| entry.at >= from)
            && self.to.is_none_or(|to| entry.at < to)
    }
}

pub(super) fn view_of(entry: &AuditEntry) -> AuditEntryView {
    let clean = |items: &[String]| items.iter().map(|i| sanitize_line(i)).collect();
    AuditEntryView {
        seq: entry.seq,
        at: entry.at,
        actor: sanitize_line(&entry.actor.to_string()),
        origin: sanitize_line(&entry.origin.to_string()),
        action: entry.action.as_str().to_owned(),
        outcome: entry.outcome.as_str().to_owned(),
        objects: clean(&entry.objects),
        fields: clean(&entry.fields),
        detail: entry.detail.as_deref().map(sanitize_line),
    }
}

/// A damaged entry is shown whatever the filters say: it is exactly what the viewer is for.
fn unreadable(seq: u64) -> AuditEntryView {
    AuditEntryView {
        seq,
        at: DateTime::<Utc>::UNIX_EPOCH,
        actor: String::new(),
        origin: String::new(),
        action: String::new(),
        outcome: "unreadable".to_owned(),
        objects: Vec::new(),
        fields: Vec::new(),
        detail: Some(
            "this entry's stored bytes cannot be read; run `frontdesk verify` and restore a backup"
                .to_owned(),
        ),
    }
}

/// Reads one page, newest first, from `reader`.
fn read_page(
    reader: &impl ReadAccess,
    filter: &AuditFilter,
    matcher: &Matcher,
) -> Result<AuditPage, ServiceError> {
    let limit = match filter.limit {
        0 => AUDIT_PAGE_DEFAULT,
        n => n.min(AUDIT_PAGE_MAX),
    };
    let mut entries = Vec::new();
    let mut scanned = 0usize;
    let mut last_seen = None;
    let mut more = false;
    reader.scan_audit_back(filter.before_seq, &mut |seq, bytes| {
        if entries.len() >= limit || scanned >= AUDIT_SCAN_BUDGET {
            more = true;
            return false;
        }
        scanned += 1;
        last_seen = Some(seq);
        match decode(bytes) {
            Ok(entry) if matcher.matches(&entry) => entries.push(view_of(&entry)),
            Ok(_) => {}
            Err(_) => entries.push(unreadable(seq)),
        }
        true
    })?;
    Ok(AuditPage {
        entries,
        next_before: if more { last_seen } else { None },
    })
}

impl Service {
    /// A page of the audit log for the manager's viewer, newest first. Opening the viewer is
    /// itself audited; scrolling on to older pages is not, so paging cannot flood the log.
    pub fn audit_log(
        &self,
        session: &Session,
        filter: &AuditFilter,
    ) -> Result<AuditPage, ServiceError> {
        let caller = self.authorize(session, Operation::ViewAuditLog)?;
        if let (Some(from), Some(to)) = (filter.from, filter.to)
            && from >= to
        {
            return Err(ServiceError::invalid(
                "the audit period ends before it starts; swap the from and to times",
            ));
        }
        let matcher = Matcher::new(filter);
        let page = read_page(&self.store.read()?, filter, &matcher)?;
        if filter.before_seq.is_none() {
            let mut draft = caller.draft(AuditAction::AuditViewed);
            draft.fields = matcher.used();
            self.audit_alone(draft)?;
        }
        Ok(page)
    }

    /// Checks the audit log's hash chain, as `frontdesk verify` does for its audit part.
    /// The check is audited after it ran, so the checkpoint returned covers every entry but
    /// that one; it remains a valid checkpoint to verify against later.
    pub fn verify_audit_chain(&self, session: &Session) -> Result<AuditVerification, ServiceError> {
        let caller = self.authorize(session, Operation::ViewAuditLog)?;
        let report = {
            let reader = self.store.read()?;
            let mut stream = reader.audit_stream()?;
            let report = verify_chain(&mut stream, None);
            if let Some(err) = stream.error() {
                return Err(err.into());
            }
            report
        };
        let mut draft = caller.draft(AuditAction::AuditVerified);
        draft.detail = Some(format!("entries intact: {}", report.entries_checked));
        if report.problem.is_some() {
            draft.outcome = Outcome::Failed;
        }
        self.audit_alone(draft)?;
        if let Some(problem) = &report.problem {
            self.raise_system_alert(
                crate::domain::alerts::AlertRule::AuditChainCheckFailed,
                super::AlertDetail::new(problem.to_string()),
            )?;
        }
        Ok(AuditVerification {
            entries: report.entries_checked,
            checkpoint: report.head.to_string(),
            problem: report.problem.map(|problem| problem.to_string()),
        })
    }

    /// The current checkpoint (`COUNT:HEX`) for the end-of-day screen, for either role: it
    /// reveals nothing personal. Reading it is not audited, since that would move the very
    /// head it reports.
    pub fn audit_checkpoint(&self, session: &Session) -> Result<String, ServiceError> {
        self.authorize(session, Operation::ReadAuditCheckpoint)?;
        let checkpoint = match self.store.read()?.audit_head()? {
            Some((count, head)) => Checkpoint { count, head },
            None => Checkpoint::EMPTY,
        };
        Ok(checkpoint.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{Actor, AuditDraft, Origin, seal_next};
    use crate::ids::RecordId;
    use chrono::TimeZone;

    fn entry(seq: u64, username: &str, action: AuditAction, outcome: Outcome) -> AuditEntry {
        let draft = AuditDraft::new(
            Actor::Staff {
                staff_id: RecordId::from_u128(1),
                username: username.to_owned(),
            },
            Origin::Local,
            action,
            outcome,
        )
        .with_object("01ARZ3NDEKTSV4RRFFQ69G5FAV")
        .with_detail("line\u{1b}[31m");
        let at = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).single().unwrap();
        seal_next(
            Some((seq - 1, [0; 32])),
            draft,
            at + chrono::Duration::minutes(seq as i64),
        )
    }

    #[test]
    fn filters_match_actor_substring_action_prefix_outcome_object_and_time_in_any_case() {
        let e = entry(5, "Mgr.Lee", AuditAction::MemberOpened, Outcome::Ok);
        let m = |filter: AuditFilter| Matcher::new(&filter).matches(&e);
        assert!(m(AuditFilter::default()));
        assert!(m(AuditFilter {
            actor: Some("lee".into()),
            ..AuditFilter::default()
        }));
        assert!(!m(AuditFilter {
            actor: Some("kim".into()),
            ..AuditFilter::default()
        }));
        assert!(m(AuditFilter {
            action_prefix: Some("member.".into()),
            ..AuditFilter::default()
        }));
        assert!(!m(AuditFilter {
            action_prefix: Some("login.".into()),
            ..AuditFilter::default()
        }));
        assert!(!m(AuditFilter {
            outcome: Some(Outcome::Denied),
            ..AuditFilter::default()
        }));
        assert!(m(AuditFilter {
            object: Some(" 01arz3ndektsv4rrffq69g5fav ".into()),
            ..AuditFilter::default()
        }));
        assert!(m(AuditFilter {
            from: Some(e.at),
            to: Some(e.at + chrono::Duration::seconds(1)),
            ..AuditFilter::default()
        }));
        assert!(!m(AuditFilter {
            to: Some(e.at),
            ..AuditFilter::default()
        }));
    }

    #[test]
    fn a_bare_member_number_finds_the_member_entries_as_member_colon_number_does() {
        let draft = AuditDraft::new(
            Actor::Staff {
                staff_id: RecordId::from_u128(1),
                username: "mgr".to_owned(),
            },
            Origin::Local,
            AuditAction::MemberOpened,
            Outcome::Ok,
        )
        .with_object("01ARZ3NDEKTSV4RRFFQ69G5FAV")
        .with_object("member:100001");
        let at = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).single().unwrap();
        let e = seal_next(None, draft, at);
        let m = |object: &str| {
            Matcher::new(&AuditFilter {
                object: Some(object.into()),
                ..AuditFilter::default()
            })
            .matches(&e)
        };
        assert!(m("100001"));
        assert!(m(" 100001 "));
        assert!(m("member:100001"));
        assert!(m("MEMBER:100001"));
        assert!(!m("10000"));
        assert!(!m("1000011"));
        assert!(!m("member:10000"));
        // Digits never match part of a record id.
        assert!(!m("3"));
    }

    #[test]
    fn views_are_sanitised_and_name_the_used_filters_without_their_values() {
        let view = view_of(&entry(2, "mgr", AuditAction::StaffCreated, Outcome::Ok));
        assert_eq!(view.action, "staff.created");
        assert!(!view.detail.unwrap().contains('\u{1b}'));
        let used = Matcher::new(&AuditFilter {
            actor: Some("secretive".into()),
            outcome: Some(Outcome::Ok),
            ..AuditFilter::default()
        })
        .used();
        assert_eq!(used, ["filter.actor", "filter.outcome"]);
    }
}
