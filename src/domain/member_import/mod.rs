//! A shop's existing customer list, read from a CSV file (`frontdesk import`): the bytes
//! decoded (UTF-8 or GB18030), the columns found by their headers, and every row checked by
//! the member form's own rules. Nothing is stored here; the service imports the rows only when
//! the whole file is clean.
//!
//! Line numbers are the file's own (the header is line 1; a row whose notes span lines is
//! numbered by its first line), so a shop can find each reported row in its spreadsheet.
//! Problems name the column and what to enter, never the cell's value.

mod cells;
mod columns;
mod decode;

use std::collections::HashMap;
use std::fmt;

use chrono::NaiveDate;
use sha2::{Digest, Sha256};
use zeroize::Zeroize;

pub use cells::{NOTES_MAX_CHARS, OPENING_POINTS_MAX};
pub use columns::Column;
pub use decode::{FileEncoding, UnknownEncoding};

use super::field_error::FieldError;
use super::phone::Phone;
use super::sanitize::sanitize_line;
use super::vehicle::VehicleKind;

/// The largest file read: far beyond a shop's customer list, small enough to hold in memory.
pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;
/// The most rows one import takes.
pub const MAX_ROWS: usize = 1_000_000;

/// Why a file cannot be read at all. Row problems are reported per row instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportFileError {
    #[error(
        "the file is saved as UTF-16 (\"Unicode text\"); save it as \"CSV UTF-8\" and import that"
    )]
    Utf16,
    #[error(
        "line {line} is not UTF-8 text; save the file as \"CSV UTF-8\", or pass --encoding gb18030 if Chinese Excel or WPS saved it"
    )]
    NotUtf8 { line: u64 },
    #[error(
        "the file is not GB18030 text; save it as \"CSV UTF-8\" and import that without --encoding"
    )]
    NotGb18030,
    #[error(
        "the file is larger than {} MiB; split it into smaller files and import each",
        MAX_FILE_BYTES / 1024 / 1024
    )]
    TooLarge,
    #[error("the file has more than {MAX_ROWS} rows; split it and import each part")]
    TooManyRows,
    #[error(
        "the file is empty; its first line must name the columns, at least one called name (or 姓名)"
    )]
    Empty,
    #[error(
        "the first line names no name column; the first line must name the columns, one of them name (or 姓名)"
    )]
    NoNameColumn,
    #[error(
        "column {position} of the first line, `{header}`, is not a column frontdesk imports; rename it to one of {known}, or delete the column"
    )]
    UnknownColumn {
        position: usize,
        header: String,
        known: String,
    },
    #[error(
        "columns {first} and {second} of the first line both mean `{column}`; keep only one of them"
    )]
    RepeatedColumn {
        first: usize,
        second: usize,
        column: &'static str,
    },
    #[error("line {line} cannot be read as CSV ({reason}); check its quotes")]
    Malformed { line: u64, reason: String },
}

/// The values that identify a member, so no two members may share one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UniqueField {
    Phone,
    Email,
    Plate,
}

impl UniqueField {
    pub fn as_str(self) -> &'static str {
        match self {
            UniqueField::Phone => "phone",
            UniqueField::Email => "email",
            UniqueField::Plate => "plate",
        }
    }
}

/// A row that cannot be imported, with every reason found in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    pub line: u64,
    /// `column: what to enter`, never the cell's value.
    pub reasons: Vec<String>,
}

/// A phone, email or plate given on two rows of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileDuplicate {
    pub line: u64,
    pub field: UniqueField,
    /// The earlier row with the same value.
    pub first_line: u64,
}

impl fmt::Display for FileDuplicate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}: the {} is also on line {}; keep one row per customer",
            self.line,
            self.field.as_str(),
            self.first_line
        )
    }
}

/// One valid row, cleaned as the member form would store it. Built only by
/// [`ImportRows::read`], so the service can trust every value; wiped from memory when dropped.
pub struct ImportRow {
    line: u64,
    name: String,
    phone: Option<Phone>,
    email: Option<String>,
    plate: Option<String>,
    vehicle_kind: VehicleKind,
    birthday: Option<NaiveDate>,
    points: i64,
    notes: Option<String>,
    marketing: Option<bool>,
    birthday_offers: Option<bool>,
}

impl ImportRow {
    pub fn line(&self) -> u64 {
        self.line
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn phone(&self) -> Option<&Phone> {
        self.phone.as_ref()
    }

    pub fn email(&self) -> Option<&str> {
        self.email.as_deref()
    }

    /// Normalised, as blind-indexed.
    pub fn plate(&self) -> Option<&str> {
        self.plate.as_deref()
    }

    /// The vehicle's type (`Other` when the file gives a plate but no type); only meaningful
    /// with a plate.
    pub fn vehicle_kind(&self) -> VehicleKind {
        self.vehicle_kind
    }

    pub fn birthday(&self) -> Option<NaiveDate> {
        self.birthday
    }

    /// Opening points, 0 or more.
    pub fn points(&self) -> i64 {
        self.points
    }

    pub fn notes(&self) -> Option<&str> {
        self.notes.as_deref()
    }

    /// `None` when the file leaves it empty: the customer was never asked.
    pub fn marketing(&self) -> Option<bool> {
        self.marketing
    }

    pub fn birthday_offers(&self) -> Option<bool> {
        self.birthday_offers
    }
}

impl fmt::Debug for ImportRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImportRow")
            .field("line", &self.line)
            .finish_non_exhaustive()
    }
}

impl Drop for ImportRow {
    fn drop(&mut self) {
        self.name.zeroize();
        self.email.zeroize();
        self.plate.zeroize();
        self.notes.zeroize();
    }
}

/// A member file read and checked: the valid rows, the problem rows and the in-file
/// duplicates, with the file's SHA-256 for the audit log.
#[derive(Debug)]
pub struct ImportRows {
    encoding: FileEncoding,
    sha256: [u8; 32],
    columns: Vec<Column>,
    rows: Vec<ImportRow>,
    problems: Vec<RowProblem>,
    duplicates: Vec<FileDuplicate>,
    rows_read: usize,
}

impl ImportRows {
    /// Reads a member file. `encoding` forces one instead of detecting it; `today` (in the
    /// shop's zone) bounds birthdays. A file that cannot be read at all is an error; a
    /// readable file with bad rows is returned with them listed in [`ImportRows::problems`].
    pub fn read(
        bytes: &[u8],
        encoding: Option<FileEncoding>,
        today: NaiveDate,
    ) -> Result<Self, ImportFileError> {
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(ImportFileError::TooLarge);
        }
        let sha256: [u8; 32] = Sha256::digest(bytes).into();
        let (mut text, encoding) = decode::decode(bytes, encoding)?;
        let result = read_text(&text, today);
        text.zeroize();
        let parsed = result?;
        Ok(Self {
            encoding,
            sha256,
            columns: parsed.columns,
            rows: parsed.rows,
            problems: parsed.problems,
            duplicates: parsed.duplicates,
            rows_read: parsed.rows_read,
        })
    }

    pub fn encoding(&self) -> FileEncoding {
        self.encoding
    }

    pub fn sha256(&self) -> [u8; 32] {
        self.sha256
    }

    /// The file's SHA-256 in lower-case hex, as the audit log keeps it.
    pub fn sha256_hex(&self) -> String {
        self.sha256.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The columns the file has, in its order.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// Rows that passed every check, in file order.
    pub fn rows(&self) -> &[ImportRow] {
        &self.rows
    }

    /// Rows that cannot be imported, in file order.
    pub fn problems(&self) -> &[RowProblem] {
        &self.problems
    }

    /// Phones, emails and plates given on more than one row.
    pub fn duplicates(&self) -> &[FileDuplicate] {
        &self.duplicates
    }

    /// Data rows read (blank rows are skipped and not counted).
    pub fn rows_read(&self) -> usize {
        self.rows_read
    }

    /// Whether every row is valid and no value repeats within the file.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty() && self.duplicates.is_empty()
    }
}

struct Parsed {
    columns: Vec<Column>,
    rows: Vec<ImportRow>,
    problems: Vec<RowProblem>,
    duplicates: Vec<FileDuplicate>,
    rows_read: usize,
}

/// Comma unless the first line has none and semicolons or tabs instead (Excel in some
/// regions saves "CSV" with semicolons).
fn delimiter(text: &str) -> u8 {
    let first = text.lines().next().unwrap_or("");
    if first.contains(',') {
        b','
    } else if first.contains(';') {
        b';'
    } else if first.contains('\t') {
        b'\t'
    } else {
        b','
    }
}

fn read_text(text: &str, today: NaiveDate) -> Result<Parsed, ImportFileError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter(text))
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let header = match records.next() {
        None => return Err(ImportFileError::Empty),
        Some(record) => record.map_err(|error| malformed(&error))?,
    };
    let layout = header_layout(&header)?;
    let mut parsed = Parsed {
        columns: layout.iter().flatten().copied().collect(),
        rows: Vec::new(),
        problems: Vec::new(),
        duplicates: Vec::new(),
        rows_read: 0,
    };
    let mut seen = Seen::default();
    let mut lines = LineCounter::default();
    for record in records {
        let record = record.map_err(|error| malformed(&error))?;
        if record.iter().all(|cell| sanitize_line(cell).is_empty()) {
            continue;
        }
        parsed.rows_read += 1;
        if parsed.rows_read > MAX_ROWS {
            return Err(ImportFileError::TooManyRows);
        }
        // The reader's own line count skips blank lines; the byte offset does not.
        let line = lines.line_at(text, record.position().map_or(0, |p| p.byte()));
        match read_row(
            &record,
            &layout,
            line,
            today,
            &mut seen,
            &mut parsed.duplicates,
        ) {
            Ok(row) => parsed.rows.push(row),
            Err(reasons) => parsed.problems.push(RowProblem { line, reasons }),
        }
    }
    Ok(parsed)
}

/// Line numbers of byte offsets that only grow, counted incrementally.
struct LineCounter {
    byte: usize,
    line: u64,
}

impl Default for LineCounter {
    fn default() -> Self {
        Self { byte: 0, line: 1 }
    }
}

impl LineCounter {
    /// The line of the first character at or after `byte` that is not a line break (a
    /// record's position is where the reader started looking, before any blank lines).
    fn line_at(&mut self, text: &str, byte: u64) -> u64 {
        let bytes = text.as_bytes();
        let mut byte = usize::try_from(byte).unwrap_or(usize::MAX).min(bytes.len());
        while bytes.get(byte).is_some_and(|b| matches!(b, b'\n' | b'\r')) {
            byte += 1;
        }
        if byte > self.byte {
            // The reader ends a record at `\n`, `\r\n` or a lone `\r` (files saved by old Mac
            // software), so each of them is one line.
            let newlines = bytes[self.byte..byte]
                .iter()
                .enumerate()
                .filter(|&(index, &b)| {
                    b == b'\n' || (b == b'\r' && bytes.get(self.byte + index + 1) != Some(&b'\n'))
                })
                .count();
            self.line += newlines as u64;
            self.byte = byte;
        }
        self.line
    }
}

fn malformed(error: &csv::Error) -> ImportFileError {
    let line = error.position().map_or(0, |p| p.line());
    ImportFileError::Malformed {
        line,
        reason: match error.kind() {
            csv::ErrorKind::Utf8 { .. } => "not text".to_owned(),
            _ => "unreadable quoting".to_owned(),
        },
    }
}

/// Which column each cell of a row belongs to; `None` for a column with an empty header.
fn header_layout(header: &csv::StringRecord) -> Result<Vec<Option<Column>>, ImportFileError> {
    let mut layout: Vec<Option<Column>> = Vec::with_capacity(header.len());
    for (index, cell) in header.iter().enumerate() {
        let text = sanitize_line(cell);
        if text.is_empty() {
            layout.push(None);
            continue;
        }
        let Some(column) = Column::from_header(&text) else {
            return Err(ImportFileError::UnknownColumn {
                position: index + 1,
                header: text.chars().take(40).collect(),
                known: Column::ALL
                    .iter()
                    .map(|c| c.header())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        };
        if let Some(first) = layout.iter().position(|c| *c == Some(column)) {
            return Err(ImportFileError::RepeatedColumn {
                first: first + 1,
                second: index + 1,
                column: column.header(),
            });
        }
        layout.push(Some(column));
    }
    if !layout.contains(&Some(Column::Name)) {
        return Err(ImportFileError::NoNameColumn);
    }
    Ok(layout)
}

/// The first line each phone (national digits), email and plate was seen on.
#[derive(Default)]
struct Seen {
    values: HashMap<(UniqueField, String), u64>,
}

impl Seen {
    /// Remembers `value` for `line`, or names the earlier line that had it.
    fn check(&mut self, field: UniqueField, value: &str, line: u64) -> Option<FileDuplicate> {
        match self.values.get(&(field, value.to_owned())) {
            Some(&first_line) => Some(FileDuplicate {
                line,
                field,
                first_line,
            }),
            None => {
                self.values.insert((field, value.to_owned()), line);
                None
            }
        }
    }
}

impl Drop for Seen {
    fn drop(&mut self) {
        for ((_, mut value), _) in self.values.drain() {
            value.zeroize();
        }
    }
}

/// The value, or `None` with the problem added to `reasons`.
fn take<T>(reasons: &mut Vec<String>, result: Result<T, FieldError>) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(error) => {
            reasons.push(error.to_string());
            None
        }
    }
}

fn read_row(
    record: &csv::StringRecord,
    layout: &[Option<Column>],
    line: u64,
    today: NaiveDate,
    seen: &mut Seen,
    duplicates: &mut Vec<FileDuplicate>,
) -> Result<ImportRow, Vec<String>> {
    let mut cells: HashMap<Column, &str> = HashMap::new();
    let mut reasons = Vec::new();
    for (index, cell) in record.iter().enumerate() {
        match layout.get(index) {
            Some(Some(column)) => {
                cells.insert(*column, cell);
            }
            _ if sanitize_line(cell).is_empty() => {}
            Some(None) => reasons.push(format!(
                "column {}: it has a value but no header; name the column or empty it",
                index + 1
            )),
            None => reasons.push(format!(
                "column {}: the row has more cells than the first line has columns; check for a stray comma",
                index + 1
            )),
        }
    }
    let cell = |column: Column| cells.get(&column).copied().unwrap_or("");
    let r = &mut reasons;
    let name = take(r, cells::name(cell(Column::Name)));
    let phone = take(r, cells::phone(cell(Column::Phone)));
    let email = take(r, cells::email(cell(Column::Email)));
    let plate = take(r, cells::plate(cell(Column::Plate)));
    let kind = take(r, cells::vehicle_kind(cell(Column::VehicleKind)));
    let birthday = take(r, cells::birthday(cell(Column::Birthday), today));
    let points = take(r, cells::points(cell(Column::Points)));
    let notes = take(r, cells::notes(cell(Column::Notes)));
    let marketing = take(
        r,
        cells::consent(Column::Marketing, cell(Column::Marketing)),
    );
    let birthday_offers = take(
        r,
        cells::consent(Column::BirthdayOffers, cell(Column::BirthdayOffers)),
    );
    if matches!((&plate, &kind), (Some(None), Some(Some(_)))) {
        reasons.push(format!(
            "{}: a vehicle type needs a plate in the same row",
            Column::VehicleKind.header()
        ));
    }
    let keys = [
        (
            UniqueField::Phone,
            phone
                .as_ref()
                .and_then(|p| p.as_ref())
                .map(|p| p.national()),
        ),
        (
            UniqueField::Email,
            email.as_ref().and_then(|e| e.as_deref()),
        ),
        (
            UniqueField::Plate,
            plate.as_ref().and_then(|p| p.as_deref()),
        ),
    ];
    for (field, value) in keys {
        if let Some(value) = value
            && let Some(duplicate) = seen.check(field, value, line)
        {
            duplicates.push(duplicate);
        }
    }
    let (
        Some(name),
        Some(phone),
        Some(email),
        Some(plate),
        Some(kind),
        Some(birthday),
        Some(points),
        Some(notes),
        Some(marketing),
        Some(birthday_offers),
    ) = (
        name,
        phone,
        email,
        plate,
        kind,
        birthday,
        points,
        notes,
        marketing,
        birthday_offers,
    )
    else {
        return Err(reasons);
    };
    if !reasons.is_empty() {
        return Err(reasons);
    }
    // A value repeated from an earlier row is reported as a duplicate, not as a problem of
    // this row: the row is kept, so the report can say what the file would import once fixed.
    Ok(ImportRow {
        line,
        name,
        phone,
        email,
        vehicle_kind: match &plate {
            Some(_) => kind.unwrap_or(VehicleKind::Other),
            None => VehicleKind::Other,
        },
        plate,
        birthday,
        points,
        notes,
        marketing,
        birthday_offers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }

    fn read(text: &str) -> ImportRows {
        ImportRows::read(text.as_bytes(), None, today()).unwrap()
    }

    fn read_err(text: &str) -> ImportFileError {
        ImportRows::read(text.as_bytes(), None, today()).unwrap_err()
    }

    #[test]
    fn columns_in_any_order_and_every_field_read() {
        let rows = read(
            "Plate,Points,NAME,phone,email,vehicle type,birthday,notes,marketing,birthday offers\n\
             苏A·12345,1200,张伟,138 1234 5678,Zhang@Example.com,suv,1990-05-17,\"likes wax\nno spray\",yes,否\n\
             ,,Ann Smith,,,,,,,\n",
        );
        assert!(
            rows.is_clean(),
            "{:?} {:?}",
            rows.problems(),
            rows.duplicates()
        );
        assert_eq!(rows.rows_read(), 2);
        assert_eq!(rows.columns()[0], Column::Plate);
        let [zhang, ann] = rows.rows() else {
            panic!("two rows")
        };
        assert_eq!(zhang.line(), 2);
        assert_eq!(zhang.name(), "张伟");
        assert_eq!(zhang.phone().unwrap().national(), "13812345678");
        assert_eq!(zhang.email(), Some("zhang@example.com"));
        assert_eq!(zhang.plate(), Some("苏A12345"));
        assert_eq!(zhang.vehicle_kind(), VehicleKind::Suv);
        assert_eq!(zhang.birthday(), NaiveDate::from_ymd_opt(1990, 5, 17));
        assert_eq!(zhang.points(), 1200);
        assert_eq!(zhang.notes(), Some("likes wax\nno spray"));
        assert_eq!(zhang.marketing(), Some(true));
        assert_eq!(zhang.birthday_offers(), Some(false));
        // The notes span two lines, so the next row starts on line 4.
        assert_eq!(ann.line(), 4);
        assert_eq!(ann.phone(), None);
        assert_eq!(ann.points(), 0);
        assert_eq!(ann.marketing(), None);
    }

    #[test]
    fn chinese_headers_and_semicolons() {
        let rows = read("姓名;手机;车牌;车型;积分\n李娜;13900001111;京A·F0236;轿车;50\n");
        assert!(rows.is_clean());
        let row = &rows.rows()[0];
        assert_eq!(row.name(), "李娜");
        assert_eq!(row.plate(), Some("京AF0236"));
        assert_eq!(row.vehicle_kind(), VehicleKind::Sedan);
        assert_eq!(row.points(), 50);
    }

    #[test]
    fn rows_ended_by_a_lone_carriage_return_have_their_own_lines() {
        // Found by the csv_import fuzz target: with `\r` line ends every row was numbered 1,
        // the header's line.
        let rows = read("name,points\rAnn,1\rBob,x\r\rCy,2\r\nDee,3\n");
        let lines: Vec<u64> = rows.rows().iter().map(|row| row.line()).collect();
        assert_eq!(lines, [2, 5, 6]);
        assert_eq!(rows.problems()[0].line, 3);
    }

    #[test]
    fn every_problem_of_a_row_is_named_with_its_line_and_no_value() {
        let rows = read(
            "name,phone,email,points\n\
             Ann,604 555 0101,ann@example.com,10\n\
             ,12,bob@,-3\n\
             Cy,604 555 0103,,\n",
        );
        assert_eq!(rows.rows().len(), 2);
        let [problem] = rows.problems() else {
            panic!("{:?}", rows.problems())
        };
        assert_eq!(problem.line, 3);
        let text = problem.reasons.join("; ");
        for field in ["name:", "phone:", "email:", "points:"] {
            assert!(text.contains(field), "{text}");
        }
        assert!(!text.contains("bob@") && !text.contains("-3"), "{text}");
    }

    #[test]
    fn duplicates_in_the_file_name_both_lines() {
        let rows = read(
            "name,phone,email,plate\n\
             Ann,604 555 0101,ann@example.com,ABC123\n\
             Bob,604-555-0102,,\n\
             Ann again,+1 (604) 555 0101,ANN@example.com,abc 123\n",
        );
        assert!(!rows.is_clean());
        assert!(rows.problems().is_empty());
        let found: Vec<(UniqueField, u64, u64)> = rows
            .duplicates()
            .iter()
            .map(|d| (d.field, d.line, d.first_line))
            .collect();
        assert_eq!(
            found,
            vec![
                (UniqueField::Phone, 4, 2),
                (UniqueField::Email, 4, 2),
                (UniqueField::Plate, 4, 2),
            ]
        );
        assert_eq!(
            rows.duplicates()[0].to_string(),
            "line 4: the phone is also on line 2; keep one row per customer"
        );
    }

    #[test]
    fn blank_rows_are_skipped_and_stray_cells_reported() {
        let rows = read("name,phone,\nAnn,,\n,,\n\nBob,,x\nCy,,,extra\n");
        assert_eq!(rows.rows_read(), 3);
        let lines: Vec<u64> = rows.problems().iter().map(|p| p.line).collect();
        assert_eq!(lines, vec![5, 6]);
        assert!(rows.problems()[0].reasons[0].contains("no header"));
        assert!(rows.problems()[1].reasons[0].contains("more cells"));
    }

    #[test]
    fn a_vehicle_type_needs_a_plate() {
        let rows = read("name,plate,type\nAnn,,van\nBob,AB12,\n");
        assert_eq!(rows.problems()[0].line, 2);
        assert_eq!(rows.rows()[0].vehicle_kind(), VehicleKind::Other);
    }

    #[test]
    fn unreadable_files_say_what_to_do() {
        assert_eq!(read_err(""), ImportFileError::Empty);
        assert_eq!(
            read_err("phone,email\n1,2\n"),
            ImportFileError::NoNameColumn
        );
        match read_err("name,address\n") {
            ImportFileError::UnknownColumn {
                position, header, ..
            } => assert_eq!((position, header.as_str()), (2, "address")),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            read_err("name,phone,手机\n"),
            ImportFileError::RepeatedColumn {
                first: 2,
                second: 3,
                column: "phone"
            }
        );
    }

    #[test]
    fn the_hash_is_of_the_bytes_as_given() {
        let rows = read("name\nAnn\n");
        let expected: [u8; 32] = Sha256::digest(b"name\nAnn\n").into();
        assert_eq!(rows.sha256(), expected);
        assert_eq!(rows.sha256_hex().len(), 64);
        assert!(
            rows.sha256_hex()
                .starts_with(&format!("{:02x}", expected[0]))
        );
    }
}
