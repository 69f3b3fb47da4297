//! The columns a member file may have, found by their header in any order. Headers match
//! case-insensitively and ignore spaces, `_`, `-` and `.`, so `Vehicle type`, `vehicle_type`
//! and `VEHICLE-TYPE` are one column; each has English names and Chinese aliases.

use crate::domain::sanitize::sanitize_line;

/// One documented column of a member file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Column {
    Name,
    Phone,
    Email,
    Plate,
    VehicleKind,
    Birthday,
    Points,
    Notes,
    Marketing,
    BirthdayOffers,
}

impl Column {
    pub const ALL: [Column; 10] = [
        Column::Name,
        Column::Phone,
        Column::Email,
        Column::Plate,
        Column::VehicleKind,
        Column::Birthday,
        Column::Points,
        Column::Notes,
        Column::Marketing,
        Column::BirthdayOffers,
    ];

    /// The column's main English header, as the README and the error messages name it.
    pub fn header(self) -> &'static str {
        self.names()[0]
    }

    /// The field name audit entries use for this column.
    pub fn field(self) -> &'static str {
        match self {
            Column::Name => "name",
            Column::Phone => "phone",
            Column::Email => "email",
            Column::Plate => "plate",
            Column::VehicleKind => "kind",
            Column::Birthday => "birthday",
            Column::Points => "points",
            Column::Notes => "notes",
            Column::Marketing => "consent.marketing",
            Column::BirthdayOffers => "consent.birthday_offers",
        }
    }

    /// Every header this column is known by: English first (the first is the main one), then
    /// Chinese.
    pub fn names(self) -> &'static [&'static str] {
        match self {
            Column::Name => &[
                "name",
                "full name",
                "customer name",
                "member name",
                "customer",
                "姓名",
                "名字",
                "客户姓名",
                "会员姓名",
                "顾客姓名",
                "客户",
            ],
            Column::Phone => &[
                "phone",
                "mobile",
                "mobile phone",
                "phone number",
                "mobile number",
                "cell",
                "telephone",
                "tel",
                "手机",
                "手机号",
                "手机号码",
                "电话",
                "电话号码",
                "联系电话",
            ],
            Column::Email => &[
                "email",
                "email address",
                "mail",
                "邮箱",
                "电子邮箱",
                "电子邮件",
                "邮件",
            ],
            Column::Plate => &[
                "plate",
                "licence plate",
                "license plate",
                "plate number",
                "registration",
                "车牌",
                "车牌号",
                "车牌号码",
            ],
            Column::VehicleKind => &[
                "vehicle type",
                "vehicle kind",
                "vehicle",
                "car type",
                "type",
                "车型",
                "车辆类型",
                "车辆类别",
            ],
            Column::Birthday => &[
                "birthday",
                "date of birth",
                "birth date",
                "dob",
                "生日",
                "出生日期",
            ],
            Column::Points => &[
                "points",
                "opening points",
                "points balance",
                "balance",
                "积分",
                "积分余额",
                "初始积分",
                "期初积分",
            ],
            Column::Notes => &[
                "notes", "note", "remarks", "comments", "comment", "备注", "说明",
            ],
            Column::Marketing => &[
                "marketing",
                "marketing consent",
                "marketing messages",
                "营销",
                "营销信息",
                "同意营销",
                "接收营销信息",
            ],
            Column::BirthdayOffers => &[
                "birthday offers",
                "birthday offer",
                "birthday consent",
                "生日优惠",
                "同意生日优惠",
            ],
        }
    }

    /// The column a header names, if any.
    pub fn from_header(header: &str) -> Option<Column> {
        let wanted = fold_header(header);
        Column::ALL.into_iter().find(|column| {
            column
                .names()
                .iter()
                .any(|name| fold_header(name) == wanted)
        })
    }
}

/// Lower case without spaces, `_`, `-`, `.` and invisible characters; full-width ASCII as ASCII.
fn fold_header(header: &str) -> String {
    sanitize_line(header)
        .chars()
        .map(|c| match u32::from(c) {
            code @ 0xFF01..=0xFF5E => char::from_u32(code - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .filter(|c| !c.is_whitespace() && !matches!(c, '_' | '-' | '.'))
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_match_in_any_case_and_spacing() {
        assert_eq!(Column::from_header("Name"), Some(Column::Name));
        assert_eq!(Column::from_header(" PHONE "), Some(Column::Phone));
        assert_eq!(
            Column::from_header("Vehicle_Type"),
            Some(Column::VehicleKind)
        );
        assert_eq!(Column::from_header("E-Mail"), Some(Column::Email));
        assert_eq!(
            Column::from_header("Birthday offers"),
            Some(Column::BirthdayOffers)
        );
        assert_eq!(Column::from_header("Ｎａｍｅ"), Some(Column::Name));
        assert_eq!(Column::from_header("address"), None);
    }

    #[test]
    fn chinese_aliases() {
        for (header, column) in [
            ("姓名", Column::Name),
            ("手机", Column::Phone),
            ("邮箱", Column::Email),
            ("车牌", Column::Plate),
            ("车型", Column::VehicleKind),
            ("生日", Column::Birthday),
            ("积分", Column::Points),
            ("备注", Column::Notes),
            ("营销", Column::Marketing),
            ("生日优惠", Column::BirthdayOffers),
        ] {
            assert_eq!(Column::from_header(header), Some(column), "{header}");
        }
    }

    #[test]
    fn no_header_names_two_columns() {
        let mut seen = std::collections::HashMap::new();
        for column in Column::ALL {
            for name in column.names() {
                if let Some(other) = seen.insert(fold_header(name), column) {
                    panic!("`{name}` names both {other:?} and {column:?}");
                }
            }
        }
    }
}
