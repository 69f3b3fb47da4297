//! Change news between processes: every write commits with a `NOTIFY` naming the members
//! whose names changed, and each process listens on its own connection, so a change at one
//! site reaches every session at every other site (and their name indexes) at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::connect::ConnectSettings;
use super::transaction::CHANGES_CHANNEL;
use crate::ids::RecordId;

/// A notice carries at most this many member ids; a larger change says "reload everything".
const MAX_NAMED_MEMBERS: usize = 200;

/// News arriving within this long of the first is handed on as one notice: a busy chain
/// commits many writes a second, and each notice makes every session reload its screen.
const GATHER: Duration = Duration::from_millis(100);

/// How long the listener waits before reconnecting after losing the server.
const RECONNECT_AFTER: Duration = Duration::from_secs(1);

/// What another process changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeNotice {
    /// A write that changed these members' names (possibly none: bookings, visits, …).
    Members(Vec<RecordId>),
    /// Too much to name, or news may have been missed while reconnecting: reload everything.
    Everything,
}

pub type ChangeHandler = Arc<dyn Fn(ChangeNotice) + Send + Sync>;

/// `origin;m=<hex>,<hex>` or `origin;*`. Member ids are random record ids, not personal data.
pub fn change_payload(origin: &str, members: &[u128]) -> String {
    if members.len() > MAX_NAMED_MEMBERS {
        return format!("{origin};*");
    }
    let ids: Vec<String> = members.iter().map(|id| format!("{id:032x}")).collect();
    format!("{origin};m={}", ids.join(","))
}

/// The notice in `payload`, or `None` for this process's own news or a payload it cannot
/// read (another version's).
pub fn read_payload(own_origin: &str, payload: &str) -> Option<ChangeNotice> {
    let (origin, body) = payload.split_once(';')?;
    if origin == own_origin {
        return None;
    }
    if body == "*" {
        return Some(ChangeNotice::Everything);
    }
    let ids = body.strip_prefix("m=")?;
    let mut members = Vec::new();
    for id in ids.split(',').filter(|id| !id.is_empty()) {
        members.push(RecordId::from_u128(u128::from_str_radix(id, 16).ok()?));
    }
    Some(ChangeNotice::Members(members))
}

/// Listens until the returned flag is set; `handler` runs on the listener's thread. The
/// first `LISTEN` is in place before this returns, so no change committed after it is missed.
pub fn listen(
    settings: ConnectSettings,
    origin: String,
    handler: ChangeHandler,
) -> Arc<AtomicBool> {
    let stop = Arc::new(AtomicBool::new(false));
    let stopping = Arc::clone(&stop);
    let first = subscribe(&settings);
    let spawned = std::thread::Builder::new()
        .name("store-changes".to_owned())
        .spawn(move || {
            let mut connection = first;
            // Set when news may have been lost (no connection for a while).
            let mut missed_news = connection.is_none();
            while !stopping.load(Ordering::Relaxed) {
                let mut client = match connection.take().or_else(|| subscribe(&settings)) {
                    Some(client) => client,
                    None => {
                        missed_news = true;
                        std::thread::sleep(RECONNECT_AFTER);
                        continue;
                    }
                };
                if missed_news {
                    handler(ChangeNotice::Everything);
                }
                missed_news = !relay(&mut client, &origin, &handler, &stopping);
            }
        });
    if spawned.is_err() {
        stop.store(true, Ordering::Relaxed);
    }
    stop
}

/// A connection listening on the changes channel, or `None` when the server cannot be reached.
fn subscribe(settings: &ConnectSettings) -> Option<postgres::Client> {
    let mut client = settings.connect().ok()?;
    client
        .batch_execute(&format!("LISTEN {CHANGES_CHANNEL}"))
        .ok()?;
    Some(client)
}

/// Hands the news to `handler` until told to stop (`true`) or the connection fails
/// (`false`), gathering what arrives within [`GATHER`] of the first into one notice.
fn relay(
    client: &mut postgres::Client,
    origin: &str,
    handler: &ChangeHandler,
    stopping: &AtomicBool,
) -> bool {
    while !stopping.load(Ordering::Relaxed) {
        if client.is_closed() {
            return false;
        }
        let mut gathered: Option<ChangeNotice> = None;
        let mut first_at: Option<Instant> = None;
        let mut notifications = client.notifications();
        // Ends after GATHER without news, so a lone notice waits at most that long.
        let mut news = notifications.timeout_iter(GATHER);
        loop {
            match postgres::fallible_iterator::FallibleIterator::next(&mut news) {
                Ok(Some(notification)) => {
                    if let Some(notice) = read_payload(origin, notification.payload()) {
                        gathered = Some(match gathered.take() {
                            Some(earlier) => earlier.merged(notice),
                            None => notice,
                        });
                        first_at.get_or_insert_with(Instant::now);
                    }
                    if first_at.is_some_and(|at| at.elapsed() >= GATHER) {
                        break;
                    }
                }
                Ok(None) => break,
                Err(_) => {
                    if let Some(notice) = gathered {
                        handler(notice);
                    }
                    return false;
                }
            }
        }
        if let Some(notice) = gathered {
            handler(notice);
        }
    }
    true
}

impl ChangeNotice {
    /// One notice standing for both.
    fn merged(self, other: ChangeNotice) -> ChangeNotice {
        match (self, other) {
            (ChangeNotice::Members(mut first), ChangeNotice::Members(second)) => {
                for member in second {
                    if !first.contains(&member) {
                        first.push(member);
                    }
                }
                if first.len() > MAX_NAMED_MEMBERS {
                    ChangeNotice::Everything
                } else {
                    ChangeNotice::Members(first)
                }
            }
            _ => ChangeNotice::Everything,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notice_names_its_members_and_our_own_news_is_ignored() {
        let payload = change_payload("site-a", &[1, 0xabc]);
        assert_eq!(
            read_payload("site-b", &payload),
            Some(ChangeNotice::Members(vec![
                RecordId::from_u128(1),
                RecordId::from_u128(0xabc)
            ]))
        );
        assert_eq!(read_payload("site-a", &payload), None);
        let many: Vec<u128> = (0..500).collect();
        assert_eq!(
            read_payload("b", &change_payload("a", &many)),
            Some(ChangeNotice::Everything)
        );
        assert_eq!(
            read_payload("b", &change_payload("a", &[])),
            Some(ChangeNotice::Members(Vec::new()))
        );
        assert_eq!(read_payload("b", "garbage"), None);
    }

    #[test]
    fn notices_gathered_together_name_every_member_once() {
        let one = ChangeNotice::Members(vec![RecordId::from_u128(1), RecordId::from_u128(2)]);
        let two = ChangeNotice::Members(vec![RecordId::from_u128(2), RecordId::from_u128(3)]);
        assert_eq!(
            one.clone().merged(two),
            ChangeNotice::Members(vec![
                RecordId::from_u128(1),
                RecordId::from_u128(2),
                RecordId::from_u128(3)
            ])
        );
        assert_eq!(
            one.merged(ChangeNotice::Everything),
            ChangeNotice::Everything
        );
    }
}
