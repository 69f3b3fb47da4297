//! From a file's bytes to text: UTF-8 (with or without the byte-order mark Excel writes) or
//! GB18030, the encoding Chinese Excel and WPS save "CSV" in. Unless told, a file that is not
//! valid UTF-8 is read as GB18030, and one that is neither is refused.

use std::fmt;
use std::str::FromStr;

use super::ImportFileError;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";
const GB18030_BOM: &[u8] = b"\x84\x31\x95\x33";

/// The text encoding a member file was read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileEncoding {
    Utf8,
    Gb18030,
}

impl FileEncoding {
    pub fn as_str(self) -> &'static str {
        match self {
            FileEncoding::Utf8 => "UTF-8",
            FileEncoding::Gb18030 => "GB18030",
        }
    }
}

impl fmt::Display for FileEncoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("`{0}` is not an encoding frontdesk reads; use utf-8 or gb18030")]
pub struct UnknownEncoding(String);

impl FromStr for FileEncoding {
    type Err = UnknownEncoding;

    /// `utf-8`/`utf8`, or `gb18030` (also `gbk` and `gb2312`, which GB18030 contains).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "utf-8" | "utf8" => Ok(FileEncoding::Utf8),
            "gb18030" | "gbk" | "gb2312" | "cp936" => Ok(FileEncoding::Gb18030),
            other => Err(UnknownEncoding(other.chars().take(20).collect())),
        }
    }
}

/// The file's text and the encoding it was read in. `forced` skips the detection.
pub(super) fn decode(
    bytes: &[u8],
    forced: Option<FileEncoding>,
) -> Result<(String, FileEncoding), ImportFileError> {
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return Err(ImportFileError::Utf16);
    }
    match forced {
        Some(FileEncoding::Utf8) => utf8(bytes).map(|text| (text, FileEncoding::Utf8)),
        Some(FileEncoding::Gb18030) => gb18030(bytes).map(|text| (text, FileEncoding::Gb18030)),
        None => match utf8(bytes) {
            Ok(text) => Ok((text, FileEncoding::Utf8)),
            Err(utf8_error) => match gb18030(bytes) {
                Ok(text) => Ok((text, FileEncoding::Gb18030)),
                Err(_) => Err(utf8_error),
            },
        },
    }
}

fn utf8(bytes: &[u8]) -> Result<String, ImportFileError> {
    let body = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    match std::str::from_utf8(body) {
        Ok(text) => Ok(text.to_owned()),
        Err(error) => Err(ImportFileError::NotUtf8 {
            line: line_at(body, error.valid_up_to()),
        }),
    }
}

fn gb18030(bytes: &[u8]) -> Result<String, ImportFileError> {
    let body = bytes.strip_prefix(GB18030_BOM).unwrap_or(bytes);
    encoding_rs::GB18030
        .decode_without_bom_handling_and_without_replacement(body)
        .map(|text| text.into_owned())
        .ok_or(ImportFileError::NotGb18030)
}

/// The 1-based line holding byte `offset`.
fn line_at(bytes: &[u8], offset: usize) -> u64 {
    let before = &bytes[..offset.min(bytes.len())];
    1 + before.iter().filter(|&&b| b == b'\n').count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gb(text: &str) -> Vec<u8> {
        encoding_rs::GB18030.encode(text).0.into_owned()
    }

    #[test]
    fn utf8_with_and_without_the_byte_order_mark() {
        let (text, encoding) = decode("姓名\n张伟\n".as_bytes(), None).unwrap();
        assert_eq!(
            (text.as_str(), encoding),
            ("姓名\n张伟\n", FileEncoding::Utf8)
        );
        let mut marked = UTF8_BOM.to_vec();
        marked.extend_from_slice("name\nAnn\n".as_bytes());
        let (text, _) = decode(&marked, None).unwrap();
        assert_eq!(text, "name\nAnn\n");
    }

    #[test]
    fn gb18030_is_detected_when_the_bytes_are_not_utf8() {
        let bytes = gb("姓名,手机\n欧阳娜娜,13812345678\n");
        assert!(std::str::from_utf8(&bytes).is_err());
        let (text, encoding) = decode(&bytes, None).unwrap();
        assert_eq!(encoding, FileEncoding::Gb18030);
        assert_eq!(text, "姓名,手机\n欧阳娜娜,13812345678\n");
    }

    #[test]
    fn a_forced_encoding_is_obeyed_and_names_the_bad_line() {
        let bytes = gb("name\nAnn\n张伟\n");
        match decode(&bytes, Some(FileEncoding::Utf8)) {
            Err(ImportFileError::NotUtf8 { line }) => assert_eq!(line, 3),
            other => panic!("{other:?}"),
        }
        let (text, _) = decode(&bytes, Some(FileEncoding::Gb18030)).unwrap();
        assert!(text.ends_with("张伟\n"));
    }

    #[test]
    fn neither_encoding_and_utf16_are_refused() {
        // A lone 0xFF is invalid in both.
        assert!(matches!(
            decode(b"name\n\xFF\n", None),
            Err(ImportFileError::NotUtf8 { line: 2 })
        ));
        assert!(matches!(
            decode(b"\xFF", Some(FileEncoding::Gb18030)),
            Err(ImportFileError::NotGb18030)
        ));
        assert!(matches!(
            decode(b"\xFF\xFEn\0", None),
            Err(ImportFileError::Utf16)
        ));
    }

    #[test]
    fn encodings_parse_from_the_command_line() {
        assert_eq!("UTF-8".parse::<FileEncoding>().unwrap(), FileEncoding::Utf8);
        assert_eq!(
            "gbk".parse::<FileEncoding>().unwrap(),
            FileEncoding::Gb18030
        );
        assert!("latin1".parse::<FileEncoding>().is_err());
    }
}
