//! The plain-text receipt for a priced visit: 40 columns, amounts right-aligned, and columns
//! that still line up when service names are Chinese, Japanese or Korean (two columns each).

use serde::{Deserialize, Serialize};

use crate::domain::catalog::PaymentMethod;
use crate::domain::checkout::{Coverage, PricedCheckout, PricedLine};
use crate::domain::currency::Currency;
use crate::domain::money::Money;
use crate::domain::sanitize::sanitize_line;
use crate::domain::tax::{InvoiceTax, TaxAmount};
use crate::domain::tender::{Settlement, Tender};

/// The language receipts are printed in: a shop setting, not the cashier's screen language,
/// because the customer reads it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReceiptLanguage {
    #[default]
    English,
    SimplifiedChinese,
}

impl ReceiptLanguage {
    pub const ALL: [ReceiptLanguage; 2] =
        [ReceiptLanguage::English, ReceiptLanguage::SimplifiedChinese];

    /// The locale tag, as staff languages are named.
    pub fn tag(self) -> &'static str {
        match self {
            ReceiptLanguage::English => "en",
            ReceiptLanguage::SimplifiedChinese => "zh-CN",
        }
    }

    pub fn from_tag(tag: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|language| language.tag().eq_ignore_ascii_case(tag.trim()))
    }
}

/// Receipt printers and the receipt pane are this many columns wide.
pub const RECEIPT_WIDTH: usize = 40;

/// What heads every receipt. `member_number` is the only thing about the customer a receipt
/// shows: receipts leave the shop, so they carry no name, phone or plate.
#[derive(Debug, Clone, Copy)]
pub struct ReceiptHeader<'a> {
    pub shop_name: &'a str,
    pub currency: &'a Currency,
    pub when_local: &'a str,
    /// `None` for sales made before receipts were numbered.
    pub number: Option<u64>,
    pub member_number: Option<u64>,
    pub language: ReceiptLanguage,
    /// Printed again later: marked so, to tell it from the original.
    pub reprint: bool,
}

/// The member's points after a visit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PointsSummary {
    pub used: i64,
    pub earned: i64,
    pub balance_after: i64,
}

/// A refunded line: name, units and the amount given back for them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundReceiptLine {
    pub name: String,
    pub quantity: u32,
    pub amount: Money,
}

/// What a refund receipt shows beyond its header.
#[derive(Debug, Clone)]
pub struct RefundReceipt<'a> {
    pub original: Option<u64>,
    pub lines: &'a [RefundReceiptLine],
    pub net: Money,
    pub taxes: &'a [TaxAmount],
    pub tax_included: bool,
    pub amount: Money,
    pub tenders: &'a [Tender],
    pub points_reversed: i64,
    pub points_restored: i64,
}

/// Receipt wording in the shop's receipt language.
struct Labels {
    receipt: &'static str,
    reprint: &'static str,
    member: &'static str,
    subtotal: &'static str,
    discount: &'static str,
    points_redeemed: &'static str,
    included: &'static str,
    net: &'static str,
    total: &'static str,
    tip: &'static str,
    rounding: &'static str,
    tendered: &'static str,
    change: &'static str,
    covered_by_plan: &'static str,
    from_package: &'static str,
    points_reward: &'static str,
    price_adjusted: &'static str,
    points_used: &'static str,
    points_earned: &'static str,
    points_balance: &'static str,
    refund: &'static str,
    refund_of: &'static str,
    refunded_to: &'static str,
    refund_other: &'static str,
    points_reversed: &'static str,
    points_restored: &'static str,
    cash: &'static str,
    card: &'static str,
    mobile: &'static str,
    plan: &'static str,
    package: &'static str,
    points: &'static str,
}

const ENGLISH: Labels = Labels {
    receipt: "Receipt",
    reprint: "*** REPRINT ***",
    member: "Member",
    subtotal: "Subtotal",
    discount: "Discount",
    points_redeemed: "Points redeemed",
    included: "incl.",
    net: "Before tax",
    total: "TOTAL",
    tip: "Tip",
    rounding: "Cash rounding",
    tendered: "tendered",
    change: "Change",
    covered_by_plan: "covered by plan",
    from_package: "from package",
    points_reward: "points reward",
    price_adjusted: "price adjusted",
    points_used: "Points used",
    points_earned: "Points earned",
    points_balance: "Points balance",
    refund: "REFUND",
    refund_of: "Refund of receipt",
    refunded_to: "Refunded to",
    refund_other: "Rounding and tip",
    points_reversed: "Points taken back",
    points_restored: "Points given back",
    cash: "Cash",
    card: "Card",
    mobile: "Mobile",
    plan: "Plan",
    package: "Package",
    points: "Points",
};

const CHINESE: Labels = Labels {
    receipt: "收据",
    reprint: "*** 重印 ***",
    member: "会员",
    subtotal: "小计",
    discount: "折扣",
    points_redeemed: "积分抵扣",
    included: "含",
    net: "不含税金额",
    total: "合计",
    tip: "小费",
    rounding: "现金舍入",
    tendered: "实收",
    change: "找零",
    covered_by_plan: "月卡抵扣",
    from_package: "套餐抵扣",
    points_reward: "积分兑换",
    price_adjusted: "价格已调整",
    points_used: "使用积分",
    points_earned: "获得积分",
    points_balance: "积分余额",
    refund: "退款",
    refund_of: "原收据",
    refunded_to: "退回至",
    refund_other: "舍入及小费",
    points_reversed: "扣回积分",
    points_restored: "退回积分",
    cash: "现金",
    card: "银行卡",
    mobile: "移动支付",
    plan: "月卡",
    package: "套餐",
    points: "积分",
};

fn labels(language: ReceiptLanguage) -> &'static Labels {
    match language {
        ReceiptLanguage::English => &ENGLISH,
        ReceiptLanguage::SimplifiedChinese => &CHINESE,
    }
}

/// The receipt for a paid visit. Every name is sanitised here, even if the caller already did.
/// Points lines appear for a member, or whenever points moved.
pub fn visit_receipt(
    header: &ReceiptHeader<'_>,
    priced: &PricedCheckout,
    settlement: &Settlement,
    points: Option<PointsSummary>,
) -> String {
    let words = labels(header.language);
    let currency = header.currency;
    let mut out = head(header);
    for line in &priced.lines {
        push_item(&mut out, line, currency, words);
    }
    out.push(rule('-'));
    push_row(
        &mut out,
        words.subtotal,
        &priced.subtotal.format_amount(currency),
    );
    if !priced.discount.is_zero() {
        push_row(
            &mut out,
            words.discount,
            &negated(priced.discount, currency),
        );
    }
    if !priced.points_value.is_zero() {
        push_row(
            &mut out,
            &format!("{} ({})", words.points_redeemed, priced.points_used),
            &negated(priced.points_value, currency),
        );
    }
    push_taxes(
        &mut out,
        &priced.tax.taxes,
        priced.tax.included,
        priced.tax.net,
        priced.subtotal,
        currency,
        words,
    );
    push_settlement(&mut out, settlement, currency, words);
    let points = points.or_else(|| {
        (priced.points_used != 0).then_some(PointsSummary {
            used: priced.points_used,
            earned: 0,
            balance_after: 0,
        })
    });
    if let Some(points) = points {
        out.push(rule('-'));
        if points.used != 0 {
            push_row(&mut out, words.points_used, &points.used.to_string());
        }
        push_row(&mut out, words.points_earned, &points.earned.to_string());
        // A reprint leaves the balance out: it has moved since the visit.
        if header.member_number.is_some() && !header.reprint {
            push_row(
                &mut out,
                words.points_balance,
                &points.balance_after.to_string(),
            );
        }
    }
    finish(out)
}

/// The receipt for a plan or package sold or renewed: one item, its tax and its tenders.
pub fn sale_receipt(
    header: &ReceiptHeader<'_>,
    item: &str,
    detail: Option<&str>,
    tax: &InvoiceTax,
    settlement: &Settlement,
) -> String {
    let words = labels(header.language);
    let currency = header.currency;
    let mut out = head(header);
    push_row(
        &mut out,
        &sanitize_line(item),
        &tax.reduced_total.format_amount(currency),
    );
    if let Some(detail) = detail {
        for line in wrap(&sanitize_line(detail), RECEIPT_WIDTH - 2) {
            out.push(format!("  {line}"));
        }
    }
    out.push(rule('-'));
    push_taxes(
        &mut out,
        &tax.taxes,
        tax.included,
        tax.net,
        tax.reduced_total,
        currency,
        words,
    );
    push_settlement(&mut out, settlement, currency, words);
    finish(out)
}

/// The receipt for money, points and uses given back on an earlier visit.
pub fn refund_receipt(header: &ReceiptHeader<'_>, refund: &RefundReceipt<'_>) -> String {
    let words = labels(header.language);
    let currency = header.currency;
    let mut out = head(header);
    out.push(centered(words.refund));
    if let Some(original) = refund.original {
        push_row(&mut out, words.refund_of, &format!("#{original}"));
    }
    out.push(rule('-'));
    for line in refund.lines {
        push_row(
            &mut out,
            &sanitize_line(&line.name),
            &negated(line.amount, currency),
        );
        if line.quantity > 1 {
            out.push(format!("  {} x", line.quantity));
        }
    }
    out.push(rule('-'));
    if !refund.tax_included && !refund.taxes.is_empty() {
        push_row(&mut out, words.subtotal, &negated(refund.net, currency));
    }
    for tax in refund.taxes {
        let label = tax_label(tax, refund.tax_included, words);
        push_row(&mut out, &label, &negated(tax.amount, currency));
    }
    // What is given back beyond the goods and their tax: the cash rounding, and a whole
    // refund's tip. Shown so the rows add up to the total.
    let goods = refund
        .taxes
        .iter()
        .fold(refund.net.minor_units(), |sum, tax| {
            sum.saturating_add(tax.amount.minor_units())
        });
    let other = refund.amount.minor_units().saturating_sub(goods);
    if other != 0 {
        push_row(
            &mut out,
            words.refund_other,
            &Money::from_minor(other.saturating_neg()).format_amount(currency),
        );
    }
    out.push(rule('='));
    push_row(
        &mut out,
        words.total,
        &negated(refund.amount, currency).to_string(),
    );
    for tender in refund.tenders {
        push_row(
            &mut out,
            &format!(
                "{} {}",
                words.refunded_to,
                method_label(tender.method, words)
            ),
            &tender.amount.format_amount(currency),
        );
    }
    if refund.points_reversed != 0 || refund.points_restored != 0 {
        out.push(rule('-'));
        if refund.points_reversed != 0 {
            push_row(
                &mut out,
                words.points_reversed,
                &refund.points_reversed.to_string(),
            );
        }
        if refund.points_restored != 0 {
            push_row(
                &mut out,
                words.points_restored,
                &refund.points_restored.to_string(),
            );
        }
    }
    finish(out)
}

fn head(header: &ReceiptHeader<'_>) -> Vec<String> {
    let words = labels(header.language);
    let mut out = Vec::new();
    for line in wrap(&sanitize_line(header.shop_name), RECEIPT_WIDTH) {
        out.push(centered(&line));
    }
    if header.reprint {
        out.push(centered(words.reprint));
    }
    let when = sanitize_line(header.when_local);
    match header.number {
        Some(number) => push_row(&mut out, &when, &format!("{} #{number}", words.receipt)),
        None => out.extend(wrap(&when, RECEIPT_WIDTH)),
    }
    if let Some(number) = header.member_number {
        out.push(format!("{} #{number}", words.member));
    }
    out.push(rule('-'));
    out
}

fn finish(mut out: Vec<String>) -> String {
    out.push(rule('-'));
    let mut text = out.join("\n");
    text.push('\n');
    text
}

fn tax_label(tax: &TaxAmount, included: bool, words: &Labels) -> String {
    let rate = percent_text(tax.basis_points);
    let name = sanitize_line(&tax.name);
    if included {
        format!("{} {name} {rate}", words.included)
    } else {
        format!("{name} {rate}")
    }
}

/// Basis points as a percentage without trailing zeros: 500 → "5%", 1250 → "12.5%".
pub fn percent_text(basis_points: u32) -> String {
    let whole = basis_points / 100;
    let fraction = basis_points % 100;
    if fraction == 0 {
        format!("{whole}%")
    } else if fraction.is_multiple_of(10) {
        format!("{whole}.{}%", fraction / 10)
    } else {
        format!("{whole}.{fraction:02}%")
    }
}

/// Each tax by name. The amount before tax gets its own row only when tax is added on top and
/// the row above (the subtotal or the item) does not already show it.
fn push_taxes(
    out: &mut Vec<String>,
    taxes: &[TaxAmount],
    included: bool,
    net: Money,
    shown_above: Money,
    currency: &Currency,
    words: &Labels,
) {
    if taxes.is_empty() {
        return;
    }
    if !included && net != shown_above {
        push_row(out, words.net, &net.format_amount(currency));
    }
    for tax in taxes {
        push_row(
            out,
            &tax_label(tax, included, words),
            &tax.amount.format_amount(currency),
        );
    }
}

fn push_settlement(
    out: &mut Vec<String>,
    settlement: &Settlement,
    currency: &Currency,
    words: &Labels,
) {
    if !settlement.tip.is_zero() {
        push_row(out, words.tip, &settlement.tip.format_amount(currency));
    }
    if !settlement.cash_rounding.is_zero() {
        push_row(
            out,
            words.rounding,
            &settlement.cash_rounding.format_amount(currency),
        );
    }
    out.push(rule('='));
    push_row(out, words.total, &settlement.charged.format(currency));
    for tender in &settlement.tenders {
        push_row(
            out,
            method_label(tender.method, words),
            &tender.amount.format_amount(currency),
        );
        if let Some(tendered) = tender.tendered {
            push_detail_row(out, words.tendered, &tendered.format_amount(currency));
            push_detail_row(out, words.change, &tender.change.format_amount(currency));
        }
    }
}

fn push_item(out: &mut Vec<String>, line: &PricedLine, currency: &Currency, words: &Labels) {
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
        Some(Coverage::Plan(_)) => details.push(words.covered_by_plan.to_owned()),
        Some(Coverage::Package(_)) => details.push(words.from_package.to_owned()),
        Some(Coverage::Reward(_)) => details.push(words.points_reward.to_owned()),
        None => {}
    }
    if line.overridden {
        details.push(words.price_adjusted.to_owned());
    }
    if !details.is_empty() {
        for detail in wrap(&details.join(", "), RECEIPT_WIDTH - 2) {
            out.push(format!("  {detail}"));
        }
    }
}

fn method_label(payment: PaymentMethod, words: &Labels) -> &'static str {
    match payment {
        PaymentMethod::Cash => words.cash,
        PaymentMethod::Card => words.card,
        PaymentMethod::Mobile => words.mobile,
        PaymentMethod::Plan => words.plan,
        PaymentMethod::Package => words.package,
        PaymentMethod::Points => words.points,
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

/// A short row under the one above it, indented two columns (labels here are a word or two).
fn push_detail_row(out: &mut Vec<String>, label: &str, value: &str) {
    let label = format!("  {label}");
    let gap = RECEIPT_WIDTH
        .saturating_sub(display_width(&label) + display_width(value))
        .max(1);
    out.push(format!("{label}{}{value}", " ".repeat(gap)));
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
            tax_class: Default::default(),
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
            product: None,
            months_per_term: 1,
            price_per_term: Money::from_minor(3999),
            tax_class: Default::default(),
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
            tax: Default::default(),
        })
        .unwrap()
    }

    fn header<'a>(shop: &'a str, currency: &'a Currency, when: &'a str) -> ReceiptHeader<'a> {
        ReceiptHeader {
            shop_name: shop,
            currency,
            when_local: when,
            number: None,
            member_number: None,
            language: ReceiptLanguage::English,
            reprint: false,
        }
    }

    fn paid(method: PaymentMethod, priced: &PricedCheckout) -> Settlement {
        Settlement {
            tenders: vec![Tender {
                method,
                amount: priced.amount_due,
                tendered: None,
                change: Money::ZERO,
            }],
            charged: priced.amount_due,
            ..Settlement::default()
        }
    }

    #[allow(clippy::too_many_arguments)] // the old signature, kept so the layout tests read as before
    fn receipt_text(
        shop: &str,
        currency: &Currency,
        when: &str,
        member_number: Option<u64>,
        priced: &PricedCheckout,
        method: PaymentMethod,
        earned: i64,
        balance: i64,
    ) -> String {
        let mut head = header(shop, currency, when);
        head.member_number = member_number;
        let points = (member_number.is_some() || priced.points_used != 0 || earned != 0).then_some(
            PointsSummary {
                used: priced.points_used,
                earned,
                balance_after: balance,
            },
        );
        visit_receipt(&head, priced, &paid(method, priced), points)
    }

    #[test]
    fn receipt_matches_the_expected_layout() {
        let text = receipt_text(
            "Sunny Car Wash",
            &cad(),
            "2026-03-14 10:05",
            Some(100234),
            &sample(),
            PaymentMethod::Card,
            36,
            186,
        );
        let expected = concat!(
            "             Sunny Car Wash\n",
            "2026-03-14 10:05\n",
            "Member #100234\n",
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
            "Card                               45.30\n",
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
    fn a_refund_receipt_shows_the_rounding_so_its_rows_add_up() {
        let tax = |name: &str, basis_points, amount| TaxAmount {
            name: name.into(),
            basis_points,
            base: Money::from_minor(433),
            amount: Money::from_minor(amount),
        };
        let taxes = [tax("GST", 500, 21), tax("PST", 700, 30)];
        let lines = [RefundReceiptLine {
            name: "Tyre shine".into(),
            quantity: 1,
            amount: Money::from_minor(433),
        }];
        let tenders = [Tender {
            method: PaymentMethod::Cash,
            amount: Money::from_minor(485),
            tendered: None,
            change: Money::ZERO,
        }];
        let text = refund_receipt(
            &header("Shop", &cad(), "2026-03-14 10:05"),
            &RefundReceipt {
                original: Some(2),
                lines: &lines,
                net: Money::from_minor(433),
                taxes: &taxes,
                tax_included: false,
                amount: Money::from_minor(485),
                tenders: &tenders,
                points_reversed: 4,
                points_restored: 0,
            },
        );
        let row = |label: &str, value: &str| {
            text.lines()
                .any(|line| line.starts_with(label) && line.ends_with(value))
        };
        // -4.33 - 0.21 - 0.30 - 0.01 = -4.85
        assert!(row("Rounding and tip", "-0.01"), "{text}");
        assert!(row("TOTAL", "-4.85"), "{text}");
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
