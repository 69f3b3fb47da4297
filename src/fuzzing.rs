//! Entry points for the fuzz targets in `fuzz/` and for `tests/fuzz_corpora.rs`, which replays
//! their committed corpora on stable: each target's body is one call into here, so the fuzzer
//! and the test check exactly the same things. Each function takes arbitrary bytes, runs them
//! through the code that reads hostile input, and panics only when an invariant is broken
//! (messages name the invariant, never the input: the input may be anything, a password too).
//!
//! Not an API: hidden from the documentation, and nothing outside the fuzz harness calls it.

use chrono::NaiveDate;
use crossterm::event::{KeyCode, KeyEvent};

use crate::audit;
use crate::domain::masking::{
    mask_email, mask_name, mask_phone, mask_plate, name_query_within_mask,
};
use crate::domain::member_import::{FileEncoding, ImportRows, NOTES_MAX_CHARS, OPENING_POINTS_MAX};
use crate::domain::name::{
    MANAGER_ONLY_MARK, fold_query, is_cjk_ideograph, normalize_name, pinyin_keys,
    pinyin_query_within_mask, search_tokens,
};
use crate::domain::normalize_email;
use crate::domain::phone::Phone;
use crate::domain::plate::{normalize_plate, plate_without_province};
use crate::domain::sanitize::{
    is_unsafe_char, neutralise_formula, sanitize_line, sanitize_multiline,
};
use crate::store::{decode_record, encode_record};
use crate::transport::ssh::terminal_input::{PASTE_LIMIT_BYTES, TerminalInput};
use crate::ui::Event;

/// Characters a spreadsheet reads as the start of a formula.
const FORMULA_STARTS: [char; 4] = ['=', '+', '-', '@'];

fn assert_safe_line(text: &str, what: &str) {
    assert!(
        !text.chars().any(is_unsafe_char),
        "{what} holds a control, bidi or invisible character"
    );
}

fn assert_not_formula(text: &str, what: &str) {
    assert!(
        !text.starts_with(FORMULA_STARTS),
        "{what} starts like a spreadsheet formula"
    );
}

/// `csv_import`: the member CSV import (encoding detection, columns, cells, rows). The first
/// byte picks the encoding the way `--encoding` would (detected, UTF-8 or GB18030); the rest
/// is the file. Every row taken is clean: no character that could drive a terminal, no
/// leading formula character, values within the member form's bounds.
pub fn csv_import(data: &[u8]) {
    let Some((&choice, file)) = data.split_first() else {
        return;
    };
    let encoding = match choice % 3 {
        0 => None,
        1 => Some(FileEncoding::Utf8),
        _ => Some(FileEncoding::Gb18030),
    };
    let today = NaiveDate::from_ymd_opt(2026, 5, 1).unwrap_or_default();
    let read = match ImportRows::read(file, encoding, today) {
        Ok(read) => read,
        Err(error) => {
            assert_safe_line(&error.to_string(), "an import error");
            return;
        }
    };
    assert_eq!(
        read.rows().len() + read.problems().len(),
        read.rows_read(),
        "every data row is either taken or reported"
    );
    let mut lines: Vec<u64> = read.rows().iter().map(|row| row.line()).collect();
    lines.extend(read.problems().iter().map(|problem| problem.line));
    lines.sort_unstable();
    assert!(
        lines.windows(2).all(|pair| pair[0] < pair[1]),
        "two rows share a line number"
    );
    assert!(
        lines.iter().all(|&line| line >= 2),
        "a row is numbered as the header"
    );
    for row in read.rows() {
        assert_safe_line(row.name(), "an imported name");
        assert_not_formula(row.name(), "an imported name");
        assert!(!row.name().is_empty(), "an imported name is empty");
        if let Some(email) = row.email() {
            assert_safe_line(email, "an imported email");
        }
        if let Some(plate) = row.plate() {
            assert!(
                plate
                    .chars()
                    .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase() || is_cjk_ideograph(c)),
                "an imported plate is not normalised"
            );
        }
        if let Some(phone) = row.phone() {
            assert!(
                phone.national().bytes().all(|b| b.is_ascii_digit()),
                "an imported phone holds more than digits"
            );
        }
        if let Some(notes) = row.notes() {
            assert!(
                !notes.chars().any(|c| c != '\n' && is_unsafe_char(c)),
                "imported notes hold a control, bidi or invisible character"
            );
            assert_not_formula(notes, "imported notes");
            assert!(
                notes.chars().count() <= NOTES_MAX_CHARS + 1,
                "notes too long"
            );
        }
        assert!(
            (0..=OPENING_POINTS_MAX).contains(&row.points()),
            "opening points out of range"
        );
        assert!(
            row.birthday().is_none_or(|birthday| birthday <= today),
            "a birthday in the future"
        );
    }
    for problem in read.problems() {
        for reason in &problem.reasons {
            assert_safe_line(reason, "a row problem");
        }
    }
    for duplicate in read.duplicates() {
        assert!(
            duplicate.first_line < duplicate.line,
            "a duplicate names a later line as the first"
        );
    }
}

/// An event as the UI reads it, comparable.
#[derive(PartialEq, Eq)]
enum Seen {
    Key(KeyEvent),
    Paste(String),
    Other,
}

fn seen(events: Vec<Event>) -> Vec<Seen> {
    events
        .into_iter()
        .map(|event| match event {
            Event::Key(key) => Seen::Key(key),
            Event::Paste(text) => Seen::Paste(text),
            _ => Seen::Other,
        })
        .collect()
}

/// The most a [`TerminalInput`] may hold: the paste cap plus a partial end marker.
const HELD_MAX: usize = PASTE_LIMIT_BYTES + 8;

/// `ssh_input`: the SSH terminal input parser. The first byte says how many cut points follow
/// (0–7, two bytes each); the rest is what the client sends. Fed whole or cut at those points
/// it gives the same events; it never yields a control character as a typed key or in a
/// paste (except line breaks and tabs), never holds more than the paste cap, and a flush
/// leaves nothing pending. Flushing after every piece (a slow client) is also checked for
/// safety, though its events may differ.
pub fn ssh_input(data: &[u8]) {
    let Some((&count, rest)) = data.split_first() else {
        return;
    };
    let cut_bytes = (usize::from(count % 8) * 2).min(rest.len());
    let (cut_data, stream) = rest.split_at(cut_bytes);
    let mut points: Vec<usize> = cut_data
        .chunks(2)
        .map(|pair| {
            let value = pair.iter().fold(0usize, |n, &b| n * 256 + usize::from(b));
            value % (stream.len() + 1)
        })
        .collect();
    points.push(0);
    points.push(stream.len());
    points.sort_unstable();
    let pieces: Vec<&[u8]> = points
        .windows(2)
        .map(|pair| &stream[pair[0]..pair[1]])
        .collect();

    let mut whole = TerminalInput::new();
    let mut whole_events = whole.feed(stream);
    assert!(whole.held_bytes() <= HELD_MAX, "input held beyond the cap");
    whole_events.extend(whole.flush());
    assert!(!whole.has_pending(), "a flush left bytes pending");

    let mut split = TerminalInput::new();
    let mut split_events = Vec::new();
    for piece in &pieces {
        split_events.extend(split.feed(piece));
        assert!(split.held_bytes() <= HELD_MAX, "input held beyond the cap");
    }
    split_events.extend(split.flush());

    let mut slow = TerminalInput::new();
    let mut slow_events = Vec::new();
    for piece in &pieces {
        slow_events.extend(slow.feed(piece));
        assert!(slow.held_bytes() <= HELD_MAX, "input held beyond the cap");
        slow_events.extend(slow.flush());
        assert!(!slow.has_pending(), "a flush left bytes pending");
    }

    for events in [&whole_events, &split_events, &slow_events] {
        for event in events.iter() {
            match event {
                Event::Key(KeyEvent {
                    code: KeyCode::Char(c),
                    ..
                }) => assert!(!c.is_control(), "a control character arrived as a key"),
                Event::Paste(text) => assert!(
                    !text
                        .chars()
                        .any(|c| c != '\n' && c != '\t' && c.is_control()),
                    "a control character arrived in a paste"
                ),
                Event::Key(_) => {}
                _ => panic!("the parser produced an event that is not a key or a paste"),
            }
        }
    }
    assert!(
        seen(whole_events) == seen(split_events),
        "cutting the stream into {} pieces changed its events",
        pieces.len()
    );
}

/// `search_input`: what the member search does with typed text before any lookup (cleaning,
/// folding for the name index and pinyin, phone, plate, email and member-number readings) and
/// the masks a cashier sees. Never panics; cleaned text holds no unsafe character; each
/// normal form is stable; a customer is found by typing their whole name, by any role.
pub fn search_input(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let text = text.as_ref();

    let line = sanitize_line(text);
    assert_safe_line(&line, "a cleaned line");
    assert_eq!(
        sanitize_line(&line),
        line,
        "cleaning a line twice changes it"
    );
    let multiline = sanitize_multiline(text);
    assert!(
        !multiline.chars().any(|c| c != '\n' && is_unsafe_char(c)),
        "cleaned notes hold a control, bidi or invisible character"
    );
    let neutral = neutralise_formula(&line);
    assert_not_formula(&neutral, "a neutralised cell");

    let folded = fold_query(text);
    assert_safe_line(&folded, "a folded query");
    assert!(
        !folded.starts_with(MANAGER_ONLY_MARK),
        "a typed query reaches the manager-only keys"
    );

    // The member-number reading, as the search takes it.
    let number = line.trim_start_matches(['#', 'M', 'm']);
    if !number.is_empty() && number.chars().all(|c| c.is_ascii_digit()) {
        let _ = number.parse::<u64>();
    }

    if let Ok(phone) = Phone::parse(text) {
        let national = phone.national();
        assert!(
            (6..=14).contains(&national.len()) && national.bytes().all(|b| b.is_ascii_digit()),
            "a parsed phone is not 6 to 14 digits"
        );
        assert_eq!(phone.last4().len(), 4, "a phone's last four are not four");
        let stored = phone.to_storage_string();
        assert!(
            Phone::from_storage_string(&stored).is_ok_and(|back| back == phone),
            "a phone does not read back from its stored form"
        );
        assert_safe_line(&mask_phone(&phone), "a masked phone");
    }

    if let Ok(plate) = normalize_plate(text) {
        assert_eq!(
            normalize_plate(&plate).ok().as_deref(),
            Some(plate.as_str()),
            "normalising a plate twice changes it"
        );
        let _ = plate_without_province(&plate);
        assert_safe_line(&mask_plate(&plate), "a masked plate");
    }

    if let Ok(email) = normalize_email(&line) {
        assert_eq!(
            normalize_email(&email).ok().as_deref(),
            Some(email.as_str()),
            "normalising an email twice changes it"
        );
        assert_safe_line(&mask_email(&email), "a masked email");
    }

    if let Ok(name) = normalize_name(text) {
        assert_safe_line(&mask_name(&name), "a masked name");
        let tokens = search_tokens(&name);
        for token in &tokens {
            let plain = token.strip_prefix(MANAGER_ONLY_MARK).unwrap_or(token);
            assert_safe_line(plain, "a search token");
        }
        let keys = pinyin_keys(&name);
        for key in &keys {
            assert!(
                key.shown <= key.text.len(),
                "a pinyin key shows past its end"
            );
        }
        // Typing the whole name, as the search box folds it, finds the member.
        let typed: String = fold_query(&name).split_whitespace().collect();
        assert!(
            tokens.iter().any(|token| token.starts_with(&typed)),
            "a member is not found by typing their whole name"
        );
        assert!(
            name_query_within_mask(&name, &typed) || pinyin_query_within_mask(&name, &typed),
            "a role that sees names masked cannot find a member by their whole name"
        );
        // Whatever was typed, the checks answer without panicking.
        let _ = name_query_within_mask(&name, &folded);
        let _ = pinyin_query_within_mask(&name, &folded);
    }
}

/// `record_decode`: stored records and backup files from arbitrary bytes. The first byte picks
/// the record type (the rest is the stored value); every decode is an error or a value, and a
/// value re-encodes to bytes that decode to the same encoding. An audit entry, which the chain
/// hashes, must decode only from its one canonical encoding. The same bytes are then read as a
/// backup file and as a backup's decrypted payload.
pub fn record_decode(data: &[u8]) {
    let Some((&choice, bytes)) = data.split_first() else {
        return;
    };
    check_record(choice, bytes);
    if let Ok(entry) = audit::decode(bytes) {
        assert!(
            audit::encode(&entry) == bytes,
            "an audit entry decodes from bytes that are not its encoding"
        );
    }
    crate::service::read_backup_bytes_for_fuzzing(bytes);
}

/// Decodes `bytes` as `T` the way the store does; a value must survive a round trip.
fn round_trip<T: serde::Serialize + serde::de::DeserializeOwned>(bytes: &[u8]) {
    let Ok(value) = decode_record::<T>("fuzzed", bytes) else {
        return;
    };
    let encoded = encode_record(&value);
    assert!(encoded.is_ok(), "a decoded record does not encode");
    let Ok(encoded) = encoded else { return };
    let again = decode_record::<T>("fuzzed", &encoded);
    assert!(again.is_ok(), "a re-encoded record does not decode");
    if let Ok(again) = again {
        assert!(
            encode_record(&again).is_ok_and(|bytes| bytes == encoded),
            "a record's encoding is not stable"
        );
    }
}

macro_rules! record_types {
    ($choice:expr, $bytes:expr; $($ty:ty),+ $(,)?) => {{
        let decoders: &[fn(&[u8])] = &[$(round_trip::<$ty>),+];
        decoders[usize::from($choice) % decoders.len()]($bytes);
    }};
}

fn check_record(choice: u8, bytes: &[u8]) {
    use crate::store::records::*;
    record_types!(choice, bytes;
        ShopSettings,
        StaffRecord,
        PendingEnrolmentRecord,
        TemporaryPasswordRecord,
        UnfinishedSetupRecord,
        MemberRecord,
        MemberTombstone,
        ErasureRecord,
        VehicleRecord,
        ScheduleSettings,
        BookingRecord,
        VoidRecord,
        VisitRecord,
        RefundRecord,
        MemberStats,
        SaleRecord,
        ReceiptFor,
        TillSettings,
        ConsentRecord,
        StaffSshKeysRecord,
        crate::store::alerts::AlertRecord,
        crate::store::alerts::AlertAck,
        crate::store::alerts::AlertCounts,
        crate::domain::reports::DayTotals,
        crate::auth::throttle::LoginThrottle,
        crate::domain::loyalty::ledger::LedgerEntry,
        crate::domain::drawer::Shift,
    );
}
