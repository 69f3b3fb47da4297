//! The plain-text receipt for a priced visit: 40 columns, amounts right-aligned, and columns
//! that still line up when service names are Chinese, Japanese or Korean (two columns each).

use crate::domain::catalog::PaymentMethod;
use crate::domain::checkout::{Coverage, PricedCheckout, PricedLine};
use crate::domain::currency::Currency;
use crate::domain::money::Money;
use crate::domain::sanitize::sanitize_line;

/// Receipt printers and the receipt pane are this many columns wide.
pub const RECEIPT_WIDTH: usize = 40;

/// A receipt. Every name is sanitised here, even if the caller already did; `member_label`
/// must already be masked for the customer's eyes (the caller decides how much to show).
/// Points lines appear for a member, or whenever points moved.
#[allow(clippy::too_many_arguments)] // mirrors the fields a receipt prints, all required
pub fn receipt_text(
    shop_name: &str,
    currency: &Currency,
    when_local: &str,
    member_label: Option<&str>,
    priced: &PricedCheckout,
    payment: PaymentMethod,
    points_earned: i64,
    points_balance_after: i64,
) -> String {
    let mut out = Vec::new();
    for line in wrap(&sanitize_line(shop_name), RECEIPT_WIDTH) {
        out.push(centered(&line));
    }
    out.extend(wrap(&sanitize_line(when_local), RECEIPT_WIDTH));
    if let Some(label) = member_label {
        out.extend(wrap(
            &format!("Member: {}", sanitize_line(label)),
            RECEIPT_WIDTH,
        ));
    }
    out.push(rule('-'));
    for line in &priced.lines {
        push_item(&mut out, line, currency);
    }
    out.push(rule('-'));
    push_row(
        &mut out,
        "Subtotal",
        &priced.subtotal.format_amount(currency),
    );
    if !priced.discount.is_zero() {
        push_row(&mut out, "Discount", &negated(priced.discount, currency));
    }
    if !priced.points_value.is_zero() {
        push_row(
            &mut out,
            &format!("Points redeemed ({})", priced.points_used),
            &negated(priced.points_value, currency),
        );
    }
    out.push(rule('='));
    push_row(&mut out, "TOTAL", &priced.total.format(currency));
    push_row(&mut out, "Paid by", payment_label(payment));
    if member_label.is_some() || priced.points_used != 0 || points_earned != 0 {
        out.push(rule('-'));
        if priced.points_used != 0 {
            push_row(&mut out, "Points used", &priced.points_used.to_string());
        }
        push_row(&mut out, "Points earned", &points_earned.to_string());
        push_row(
            &mut out,
            "Points balance",
            &points_balance_after.to_string(),
        );
    }
    out.push(rule('-'));
    let mut text = out.join("\n");
    text.push('\n');
    text
}

fn push_item(out: &mut Vec<String>, line: &PricedLine, currency: &Currency) {
    push_row(
        out,
        &sanitize_line(&line.name),
        &line.amount.format_amount(currency),
    );
    let mut details = Vec::new();
    if line.quantity > 1 {
        details.push(format!(
            "{} x {}",
            line.quantity,
            line.unit_price.format_amount(currency)
        ));
    }
    match line.covered_by {
        Some(Coverage::Plan(_)) => details.push("covered by plan".to_owned()),
        Some(Coverage::Package(_)) => details.push("from package".to_owned()),
        Some(Coverage::Reward(_)) => details.push("points reward".to_owned()),
        None => {}
    }
    if line.overridden {
        details.push("price adjusted".to_owned());
    }
    if !details.is_empty() {
        for detail in wrap(&details.join(", "), RECEIPT_WIDTH - 2) {
            out.push(format!("  {detail}"));
        }
    }
}

fn payment_label(payment: PaymentMethod) -> &'static str {
    match payment {
        PaymentMethod::Cash => "Cash",
        PaymentMethod::Card => "Card",
        PaymentMethod::Mobile => "Mobile",
        PaymentMethod::Plan => "Plan",
        PaymentMethod::Package => "Package",
        PaymentMethod::Points => "Points",
    }
}

/// An amount taken off, shown with a minus; callers pass only non-negative reductions.
fn negated(amount: Money, currency: &Currency) -> String {
    format!("-{}", amount.format_amount(currency))
}

/// `label` on the left and `value` flush right; a label too long to share its last line with
/// the value wraps, and the value gets a line of its own.
fn push_row(out: &mut Vec<String>, label: &str, value: &str) {
    let mut label_lines = wrap(label, RECEIPT_WIDTH);
    let last = label_lines.pop().unwrap_or_default();
    out.extend(label_lines);
    let last_width = display_width(&last);
    let value_width = display_width(value);
    if last_width + 1 + value_width <= RECEIPT_WIDTH {
        let gap = RECEIPT_WIDTH - last_width - value_width;
        out.push(format!("{last}{}{value}", " ".repeat(gap)));
    } else {
        if !last.is_empty() {
            out.push(last);
        }
        let gap = RECEIPT_WIDTH.saturating_sub(value_width);
        out.push(format!("{}{value}", " ".repeat(gap)));
    }
}

fn centered(text: &str) -> String {
    let pad = RECEIPT_WIDTH.saturating_sub(display_width(text)) / 2;
    format!("{}{text}", " ".repeat(pad))
}

fn rule(c: char) -> String {
    c.to_string().repeat(RECEIPT_WIDTH)
}

/// Greedy word wrap by display width; a word wider than a line (CJK text has no spaces) is
/// broken between characters. Always at least one line, possibly empty.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    let mut current_width = 0;
    for word in text.split(' ').filter(|word| !word.is_empty()) {
        let word_width = display_width(word);
        if current_width > 0 {
            if current_width + 1 + word_width <= width {
                current.push(' ');
                current.push_str(word);
                current_width += 1 + word_width;
                continue;
            }
            lines.push(std::mem::take(&mut current));
            current_width = 0;
        }
        for c in word.chars() {
            let char_columns = char_width(c);
            if current_width > 0 && current_width + char_columns > width {
                lines.push(std::mem::take(&mut current));
                current_width = 0;
            }
            current.push(c);
            current_width += char_columns;
        }
    }
    if !current.is_empty() || lines.is_empty() {
        lines.push(current);
    }
    lines
}

/// Terminal columns `text` occupies: East Asian wide and fullwidth characters (CJK, Hangul,
/// fullwidth forms, most emoji) take two, combining marks none, everything else one.
pub fn display_width(text: &str) -> usize {
    text.chars().map(char_width).sum()
}

/// Columns for one character, by hand-written ranges from Unicode's East Asian Width data
/// (`unicode-width` is not a dependency). Ambiguous-width characters count as one.
pub fn char_width(c: char) -> usize {
    if c.is_control() || is_zero_width(c) {
        0
    } else if is_wide(c) {
        2
    } else {
        1
    }
}

fn is_zero_width(c: char) -> bool {
    matches!(
        c,
        '\u{0300}'..='\u{036F}'         // combining diacritical marks
            | '\u{1160}'..='\u{11FF}'   // Hangul medial vowels and final consonants
            | '\u{1AB0}'..='\u{1AFF}'
            | '\u{1DC0}'..='\u{1DFF}'
            | '\u{200B}'..='\u{200F}'
            | '\u{20D0}'..='\u{20FF}'
            | '\u{302A}'..='\u{302D}'   // ideographic tone marks
            | '\u{3099}'..='\u{309A}'   // kana voicing marks
            | '\u{FE00}'..='\u{FE0F}'   // variation selectors
            | '\u{FE20}'..='\u{FE2F}'
            | '\u{E0100}'..='\u{E01EF}'
    )
}

fn is_wide(c: char) -> bool {
    matches!(
        c,
        '\u{1100}'..='\u{115F}'         // Hangul initial consonants
            | '\u{2E80}'..='\u{303E}'   // CJK radicals, ideographic space and punctuation
            | '\u{3041}'..='\u{33FF}'   // kana, bopomofo, Hangul compatibility jamo, CJK symbols
            | '\u{3400}'..='\u{4DBF}'   // CJK extension A
            | '\u{4E00}'..='\u{9FFF}'   // CJK unified ideographs
            | '\u{A000}'..='\u{A4CF}'   // Yi
            | '\u{A960}'..='\u{A97F}'   // Hangul jamo extended A
            | '\u{AC00}'..='\u{D7A3}'   // Hangul syllables
            | '\u{F900}'..='\u{FAFF}'   // CJK compatibility ideographs
            | '\u{FE10}'..='\u{FE19}'   // vertical forms
            | '\u{FE30}'..='\u{FE6F}'   // CJK compatibility and small forms
            | '\u{FF00}'..='\u{FF60}'   // fullwidth forms
            | '\u{FFE0}'..='\u{FFE6}'
            | '\u{1F300}'..='\u{1F64F}' // pictographs and emoticons
            | '\u{1F680}'..='\u{1F6FF}' // transport and map symbols
            | '\u{1F900}'..='\u{1F9FF}'
            | '\u{20000}'..='\u{2FFFD}' // CJK extensions B onwards
            | '\u{30000}'..='\u{3FFFD}'
    ) && !is_zero_width(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::{ServiceCategory, ServiceItem};
    use crate::domain::checkout::{
        CheckoutRequest, Discount, LineRequest, Redemption, price_checkout,
    };
    use crate::domain::plans::{Plan, PlanStatus};
    use crate::ids::RecordId;
    use chrono::NaiveDate;

    fn cad() -> Currency {
        Currency::from_code("CAD").unwrap()
    }

    fn service(id: u128, name: &str, price: i64) -> ServiceItem {
        ServiceItem {
            id: RecordId::from_u128(id),
            name: name.into(),
            category: ServiceCategory::Exterior,
            duration_minutes: 15,
            price: Money::from_minor(price),
            earns_points: true,
            active: true,
        }
    }

    fn line(service: ServiceItem, quantity: u32, price_override: Option<i64>) -> LineRequest {
        LineRequest {
            service,
            quantity,
            price_override: price_override.map(Money::from_minor),
        }
    }

    fn sample() -> PricedCheckout {
        let day = NaiveDate::from_ymd_opt(2026, 3, 14).unwrap();
        let car = RecordId::from_u128(100);
        let plan = Plan {
            id: RecordId::from_u128(300),
            member: RecordId::from_u128(1),
            vehicle: car,
            services: vec![RecordId::from_u128(1)],
            price_per_month: Money::from_minor(3999),
            valid_from: day,
            valid_until: day,
            washes_per_day: 1,
            status: PlanStatus::Active,
        };
        price_checkout(&CheckoutRequest {
            lines: vec![
                line(service(1, "Basic wash", 1250), 1, None),
                line(service(2, "精致洗车", 2000), 2, None),
                line(service(3, "Hand wax", 1500), 1, Some(1200)),
            ],
            vehicle: Some(car),
            local_date: day,
            plans: vec![(plan, 0)],
            packages: Vec::new(),
            discount: Some(Discount::Percent(10)),
            redemption: Some(Redemption::Points(150)),
            points_balance: 300,
            point_value: Money::from_minor(1),
        })
        .unwrap()
    }

    #[test]
    fn receipt_matches_the_expected_layout() {
        let text = receipt_text(
            "Sunny Car Wash",
            &cad(),
            "2026-03-14 10:05",
            Some("张*"),
            &sample(),
            PaymentMethod::Card,
            36,
            186,
        );
        let expected = concat!(
            "             Sunny Car Wash\n",
            "2026-03-14 10:05\n",
            "Member: 张*\n",
            "----------------------------------------\n",
            "Basic wash                          0.00\n",
            "  covered by plan\n",
            "精致洗车                           40.00\n",
            "  2 x 20.00\n",
            "Hand wax                           12.00\n",
            "  price adjusted\n",
            "----------------------------------------\n",
            "Subtotal                           52.00\n",
            "Discount                           -5.20\n",
            "Points redeemed (150)              -1.50\n",
            "========================================\n",
            "TOTAL                          45.30 CAD\n",
            "Paid by                             Card\n",
            "----------------------------------------\n",
            "Points used                          150\n",
            "Points earned                         36\n",
            "Points balance                       186\n",
            "----------------------------------------\n",
        );
        assert_eq!(text, expected, "\n{text}");
    }

    #[test]
    fn every_line_fits_and_amounts_end_at_the_right_edge() {
        let mut priced = sample();
        priced.lines[1].name = "豪华精致内外全套洗车打蜡抛光镀晶服务套餐加强版本".into();
        priced.lines[2].name = format!("Hand\u{1B}[2J wax {}", "x".repeat(38));
        let text = receipt_text(
            &"Shop".repeat(15),
            &cad(),
            "2026-03-14 10:05\u{202E}",
            None,
            &priced,
            PaymentMethod::Cash,
            0,
            0,
        );
        assert!(!text.contains('\u{1B}') && !text.contains('\u{202E}'));
        for line in text.lines() {
            assert!(display_width(line) <= RECEIPT_WIDTH, "too wide: {line}");
        }
        for amount in ["40.00", "12.00", "45.30 CAD"] {
            let row = text.lines().find(|l| l.ends_with(amount)).unwrap();
            assert_eq!(display_width(row), RECEIPT_WIDTH, "{row}");
        }
        assert!(
            text.contains("Points used"),
            "points moved without a member label"
        );

        priced.points_used = 0;
        priced.points_value = Money::ZERO;
        let walk_in = receipt_text("Shop", &cad(), "", None, &priced, PaymentMethod::Cash, 0, 0);
        assert!(
            !walk_in.contains("Points"),
            "no member, no points moved:\n{walk_in}"
        );
    }

    #[test]
    fn an_entirely_wide_name_wraps_between_characters() {
        let lines = wrap(&"洗".repeat(25), RECEIPT_WIDTH);
        assert_eq!(lines, vec!["洗".repeat(20), "洗".repeat(5)]);
        assert_eq!(wrap("", 10), vec![String::new()]);
        assert_eq!(wrap("ab cd ef", 5), vec!["ab cd", "ef"]);
    }

    #[test]
    fn display_width_counts_wide_characters_twice() {
        assert_eq!(display_width("Basic wash"), 10);
        assert_eq!(display_width("精致洗车"), 8);
        assert_eq!(display_width("세차"), 4);
        assert_eq!(display_width("ｶ"), 1, "halfwidth katakana");
        assert_eq!(display_width("Ａ"), 2, "fullwidth Latin");
        assert_eq!(display_width("e\u{301}"), 1);
        assert_eq!(display_width("🚗"), 2);
    }
}
