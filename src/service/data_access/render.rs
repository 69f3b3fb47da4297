//! A member's data as a file: JSON for machines (the report's own field names, see the README)
//! and a printable text report in the requesting manager's language. Pure: no store, no I/O.
//!
//! Every value was sanitised when the report was gathered; the text report still drops any
//! control, bidi or invisible character from each line it writes (keeping its layout), so none
//! reaches a printer or a terminal whatever a caller put in the report.

use unicode_width::UnicodeWidthStr;
use zeroize::Zeroizing;

use super::report::{
    AccessPart, Amount, BookingPart, ConsentPart, LedgerPart, MemberAccessReport, PaymentPart,
    PurchasePart, VisitPart,
};
use crate::domain::receipt::ReceiptLanguage;
use crate::domain::sanitize::is_unsafe_char;

/// The report as pretty-printed JSON, ending in a newline.
pub fn to_json(report: &MemberAccessReport) -> Result<Zeroizing<String>, serde_json::Error> {
    let mut text = Zeroizing::new(serde_json::to_string_pretty(report)?);
    text.push('\n');
    Ok(text)
}

/// The text report's wording in one language.
struct Words {
    title: &'static str,
    generated: &'static str,
    shop: &'static str,
    time_zone: &'static str,
    profile: &'static str,
    member_number: &'static str,
    name: &'static str,
    phone: &'static str,
    email: &'static str,
    birthday: &'static str,
    notes: &'static str,
    tier: &'static str,
    points_balance: &'static str,
    rolling_spend: &'static str,
    visit_count: &'static str,
    last_visit: &'static str,
    member_since: &'static str,
    last_changed: &'static str,
    vehicles: &'static str,
    added: &'static str,
    visits: &'static str,
    receipt: &'static str,
    served_by: &'static str,
    vehicle: &'static str,
    subtotal: &'static str,
    discount: &'static str,
    points_redeemed: &'static str,
    total: &'static str,
    tax_included: &'static str,
    tip: &'static str,
    cash_rounding: &'static str,
    charged: &'static str,
    paid_by: &'static str,
    tendered: &'static str,
    change: &'static str,
    points_earned: &'static str,
    price_reason: &'static str,
    voided: &'static str,
    refund: &'static str,
    points_reversed: &'static str,
    points_restored: &'static str,
    reason: &'static str,
    covered_by_plan: &'static str,
    covered_by_package: &'static str,
    covered_by_reward: &'static str,
    price_adjusted: &'static str,
    purchases: &'static str,
    plan_sold: &'static str,
    plan_renewed: &'static str,
    package_sold: &'static str,
    sold_by: &'static str,
    points: &'static str,
    lots: &'static str,
    expires: &'static str,
    left: &'static str,
    ledger: &'static str,
    bookings: &'static str,
    walk_in: &'static str,
    booked_on: &'static str,
    plans: &'static str,
    packages: &'static str,
    services: &'static str,
    valid: &'static str,
    washes_per_day: &'static str,
    per_term: &'static str,
    months: &'static str,
    washes_left: &'static str,
    never_expires: &'static str,
    consents: &'static str,
    granted: &'static str,
    withdrawn: &'static str,
    recorded_by: &'static str,
    policy: &'static str,
    record_access: &'static str,
    opened: &'static str,
    exported: &'static str,
    none: &'static str,
    kind: fn(&str) -> &'static str,
}

const ENGLISH: Words = Words {
    title: "Personal data held about member",
    generated: "Prepared",
    shop: "Shop",
    time_zone: "Times are in",
    profile: "PROFILE",
    member_number: "Member number",
    name: "Name",
    phone: "Phone",
    email: "Email",
    birthday: "Birthday",
    notes: "Notes",
    tier: "Tier",
    points_balance: "Points balance",
    rolling_spend: "Spend, last 12 months",
    visit_count: "Visits",
    last_visit: "Last visit",
    member_since: "Member since",
    last_changed: "Details last changed",
    vehicles: "VEHICLES",
    added: "added",
    visits: "VISITS",
    receipt: "Receipt",
    served_by: "served by",
    vehicle: "Vehicle",
    subtotal: "Subtotal",
    discount: "Discount",
    points_redeemed: "Points redeemed",
    total: "Total",
    tax_included: "incl.",
    tip: "Tip",
    cash_rounding: "Cash rounding",
    charged: "Charged",
    paid_by: "Paid by",
    tendered: "tendered",
    change: "change",
    points_earned: "Points earned",
    price_reason: "Price changed because",
    voided: "Voided",
    refund: "Refund",
    points_reversed: "points taken back",
    points_restored: "points given back",
    reason: "Reason",
    covered_by_plan: "covered by plan",
    covered_by_package: "from package",
    covered_by_reward: "points reward",
    price_adjusted: "price adjusted",
    purchases: "PLANS AND PACKAGES BOUGHT",
    plan_sold: "Plan bought",
    plan_renewed: "Plan renewed",
    package_sold: "Package bought",
    sold_by: "sold by",
    points: "POINTS",
    lots: "Points earned and when they expire",
    expires: "expires",
    left: "left",
    ledger: "Every change to the points",
    bookings: "BOOKINGS",
    walk_in: "walk-in",
    booked_on: "Booked on",
    plans: "PLANS",
    packages: "PACKAGES",
    services: "Services",
    valid: "Valid",
    washes_per_day: "Washes a day",
    per_term: "Price",
    months: "months",
    washes_left: "washes left",
    never_expires: "never expires",
    consents: "CONSENTS",
    granted: "agreed",
    withdrawn: "withdrawn",
    recorded_by: "recorded by",
    policy: "privacy policy",
    record_access: "WHO OPENED THIS RECORD",
    opened: "opened the record",
    exported: "exported the record",
    none: "(none)",
    kind: english_kind,
};

const CHINESE: Words = Words {
    title: "会员个人数据",
    generated: "生成时间",
    shop: "门店",
    time_zone: "时间所用时区",
    profile: "基本资料",
    member_number: "会员号",
    name: "姓名",
    phone: "手机",
    email: "邮箱",
    birthday: "生日",
    notes: "备注",
    tier: "等级",
    points_balance: "积分余额",
    rolling_spend: "近 12 个月消费",
    visit_count: "到店次数",
    last_visit: "最近到店",
    member_since: "入会时间",
    last_changed: "资料最近修改",
    vehicles: "车辆",
    added: "添加于",
    visits: "到店记录",
    receipt: "收据",
    served_by: "经手",
    vehicle: "车辆",
    subtotal: "小计",
    discount: "折扣",
    points_redeemed: "积分抵扣",
    total: "合计",
    tax_included: "含",
    tip: "小费",
    cash_rounding: "现金舍入",
    charged: "实收",
    paid_by: "支付方式",
    tendered: "实付",
    change: "找零",
    points_earned: "获得积分",
    price_reason: "改价原因",
    voided: "已作废",
    refund: "退款",
    points_reversed: "扣回积分",
    points_restored: "退回积分",
    reason: "原因",
    covered_by_plan: "月卡抵扣",
    covered_by_package: "套餐抵扣",
    covered_by_reward: "积分兑换",
    price_adjusted: "价格已调整",
    purchases: "购买的月卡和套餐",
    plan_sold: "购买月卡",
    plan_renewed: "续费月卡",
    package_sold: "购买套餐",
    sold_by: "经手",
    points: "积分",
    lots: "获得的积分及到期时间",
    expires: "到期",
    left: "剩余",
    ledger: "积分变动明细",
    bookings: "预约",
    walk_in: "现场",
    booked_on: "预约于",
    plans: "月卡",
    packages: "套餐",
    services: "服务",
    valid: "有效期",
    washes_per_day: "每日次数",
    per_term: "价格",
    months: "个月",
    washes_left: "次剩余",
    never_expires: "永不过期",
    consents: "同意事项",
    granted: "同意",
    withdrawn: "撤回",
    recorded_by: "记录人",
    policy: "隐私政策版本",
    record_access: "查看过此记录的员工",
    opened: "打开了记录",
    exported: "导出了记录",
    none: "（无）",
    kind: chinese_kind,
};

/// The words for the report's fixed codes (vehicle kinds, methods, states, purposes, origins).
fn english_kind(code: &str) -> &'static str {
    match code {
        "sedan" => "sedan",
        "hatchback" => "hatchback",
        "suv" => "SUV",
        "van" => "van",
        "pickup" => "pickup",
        "motorbike" => "motorbike",
        "cash" => "cash",
        "card" => "card",
        "mobile" => "mobile",
        "plan" => "plan",
        "package" => "package",
        "points" => "points",
        "booked" => "booked",
        "checked_in" => "checked in",
        "completed" => "completed",
        "cancelled" => "cancelled",
        "no_show" => "no-show",
        "active" => "active",
        "suspended" => "suspended",
        "marketing" => "Marketing messages",
        "birthday_offers" => "Birthday offers",
        "earn" => "earned",
        "redeem" => "redeemed",
        "adjust" => "adjusted",
        "expire" => "expired",
        "reverse" => "reversed",
        "counter" => "at the counter",
        "ssh" => "over SSH",
        "command_line" => "from the command line",
        _ => "other",
    }
}

fn chinese_kind(code: &str) -> &'static str {
    match code {
        "sedan" => "轿车",
        "hatchback" => "两厢车",
        "suv" => "SUV",
        "van" => "面包车",
        "pickup" => "皮卡",
        "motorbike" => "摩托车",
        "cash" => "现金",
        "card" => "银行卡",
        "mobile" => "移动支付",
        "plan" => "月卡",
        "package" => "套餐",
        "points" => "积分",
        "booked" => "已预约",
        "checked_in" => "已到店",
        "completed" => "已完成",
        "cancelled" => "已取消",
        "no_show" => "爽约",
        "active" => "有效",
        "suspended" => "已暂停",
        "marketing" => "营销信息",
        "birthday_offers" => "生日优惠",
        "earn" => "获得",
        "redeem" => "兑换",
        "adjust" => "调整",
        "expire" => "已过期",
        "reverse" => "冲回",
        "counter" => "柜台",
        "ssh" => "远程（SSH）",
        "command_line" => "命令行",
        _ => "其他",
    }
}

fn words(language: ReceiptLanguage) -> &'static Words {
    match language {
        ReceiptLanguage::English => &ENGLISH,
        ReceiptLanguage::SimplifiedChinese => &CHINESE,
    }
}

/// The lines of the text report being written.
struct Page {
    lines: Vec<String>,
}

impl Page {
    fn line(&mut self, text: impl AsRef<str>) {
        self.lines.push(
            text.as_ref()
                .chars()
                .map(|c| if c == '\t' { ' ' } else { c })
                .filter(|c| !is_unsafe_char(*c))
                .collect(),
        );
    }

    fn blank(&mut self) {
        self.lines.push(String::new());
    }

    fn heading(&mut self, title: &str) {
        self.blank();
        self.line(title);
        self.line("-".repeat(title.width().max(4)));
    }

    /// `  Label          value`, labels padded to one column whatever their script.
    fn field(&mut self, label: &str, value: &str) {
        self.field_at("  ", label, value);
    }

    /// A field of one item in a list (a visit, a purchase, a plan), indented under it.
    fn item_field(&mut self, label: &str, value: &str) {
        self.field_at("    ", label, value);
    }

    fn field_at(&mut self, indent: &str, label: &str, value: &str) {
        const VALUE_COLUMN: usize = 26;
        let pad = VALUE_COLUMN.saturating_sub(indent.width() + label.width());
        self.line(format!("{indent}{label}{}  {value}", " ".repeat(pad)));
    }

    fn none_if_empty(&mut self, empty: bool, words: &Words) {
        if empty {
            self.line(format!("  {}", words.none));
        }
    }
}

fn or_none<'a>(value: Option<&'a str>, words: &'a Words) -> &'a str {
    value.filter(|v| !v.is_empty()).unwrap_or(words.none)
}

fn payments(list: &[PaymentPart], words: &Words) -> String {
    list.iter()
        .map(|payment| {
            let mut text = format!("{} {}", (words.kind)(payment.method), payment.amount.text);
            if let Some(tendered) = &payment.tendered {
                text.push_str(&format!(
                    " ({} {}, {} {})",
                    words.tendered, tendered.text, words.change, payment.change.text
                ));
            }
            text
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn negated(amount: &Amount) -> String {
    format!("-{}", amount.text)
}

/// The printable report, in `language`, ending in a newline.
pub fn to_text(report: &MemberAccessReport, language: ReceiptLanguage) -> Zeroizing<String> {
    let words = words(language);
    let mut page = Page { lines: Vec::new() };
    page.line(format!("{}: {}", words.title, report.member.member_number));
    page.line("=".repeat(60));
    page.field(words.shop, &report.shop.name);
    page.field(words.generated, &report.generated_at.local);
    page.field(words.time_zone, &report.shop.timezone);
    profile(&mut page, report, words);
    vehicles(&mut page, report, words);
    visits(&mut page, &report.visits, words);
    purchases(&mut page, &report.purchases, words);
    points(&mut page, report, words);
    bookings(&mut page, &report.bookings, words);
    plans(&mut page, report, words);
    consents(&mut page, &report.consents, words);
    access(&mut page, &report.record_access, words);
    let mut text = Zeroizing::new(page.lines.join("\n"));
    text.push('\n');
    page.lines.iter_mut().for_each(zeroize::Zeroize::zeroize);
    text
}

fn profile(page: &mut Page, report: &MemberAccessReport, words: &Words) {
    let member = &report.member;
    page.heading(words.profile);
    page.field(words.member_number, &member.member_number.to_string());
    page.field(words.name, &member.name);
    page.field(words.phone, or_none(member.phone.as_deref(), words));
    page.field(words.email, or_none(member.email.as_deref(), words));
    let birthday = member.birthday.map(|d| d.format("%Y-%m-%d").to_string());
    page.field(words.birthday, or_none(birthday.as_deref(), words));
    match member.notes.as_deref().filter(|n| !n.is_empty()) {
        Some(notes) => {
            let mut lines = notes.lines();
            page.field(words.notes, lines.next().unwrap_or_default());
            for more in lines {
                page.field("", more);
            }
        }
        None => page.field(words.notes, words.none),
    }
    page.field(words.tier, &member.tier);
    page.field(words.points_balance, &member.points_balance.to_string());
    page.field(words.rolling_spend, &member.rolling_spend.text);
    page.field(words.visit_count, &member.visit_count.to_string());
    let last = member.last_visit_at.as_ref().map(|w| w.local.as_str());
    page.field(words.last_visit, or_none(last, words));
    page.field(words.member_since, &member.member_since.local);
    page.field(words.last_changed, &member.updated_at.local);
}

fn vehicles(page: &mut Page, report: &MemberAccessReport, words: &Words) {
    page.heading(words.vehicles);
    page.none_if_empty(report.vehicles.is_empty(), words);
    for vehicle in &report.vehicles {
        let mut text = format!("  {}  {}", vehicle.plate, (words.kind)(vehicle.kind));
        for extra in [&vehicle.make_model, &vehicle.colour].into_iter().flatten() {
            text.push_str(&format!(", {extra}"));
        }
        text.push_str(&format!("  ({} {})", words.added, vehicle.added_at.local));
        page.line(text);
    }
}

fn visits(page: &mut Page, visits: &[VisitPart], words: &Words) {
    page.heading(words.visits);
    page.none_if_empty(visits.is_empty(), words);
    for visit in visits {
        page.blank();
        let receipt = visit
            .receipt_number
            .map(|n| format!("  {} #{n}", words.receipt))
            .unwrap_or_default();
        page.line(format!(
            "  {}{receipt}  ({} {})",
            visit.at.local, words.served_by, visit.served_by
        ));
        if let Some(plate) = &visit.vehicle_plate {
            page.item_field(words.vehicle, plate);
        }
        for line in &visit.lines {
            let mut text = format!("{} × {}", line.service, line.quantity);
            if let Some(covered) = line.covered_by {
                text.push_str(&format!(
                    " ({})",
                    match covered {
                        "plan" => words.covered_by_plan,
                        "package" => words.covered_by_package,
                        _ => words.covered_by_reward,
                    }
                ));
            }
            if line.price_adjusted {
                text.push_str(&format!(" ({})", words.price_adjusted));
            }
            page.item_field(&text, &line.amount.text);
        }
        page.item_field(words.subtotal, &visit.subtotal.text);
        if visit.discount.minor_units != 0 {
            page.item_field(words.discount, &negated(&visit.discount));
        }
        if visit.points_value.minor_units != 0 {
            page.item_field(
                &format!("{} ({})", words.points_redeemed, visit.points_used),
                &negated(&visit.points_value),
            );
        }
        page.item_field(words.total, &visit.total.text);
        for tax in &visit.taxes {
            let name = if visit.tax_included {
                format!("{} {}", words.tax_included, tax.name)
            } else {
                tax.name.clone()
            };
            page.item_field(&name, &tax.amount.text);
        }
        if visit.tip.minor_units != 0 {
            page.item_field(words.tip, &visit.tip.text);
        }
        if visit.cash_rounding.minor_units != 0 {
            page.item_field(words.cash_rounding, &visit.cash_rounding.text);
        }
        page.item_field(words.charged, &visit.charged.text);
        page.item_field(words.paid_by, &payments(&visit.payments, words));
        page.item_field(words.points_earned, &visit.points_earned.to_string());
        if let Some(reason) = &visit.adjustment_reason {
            page.item_field(words.price_reason, reason);
        }
        if let Some(void) = &visit.voided {
            page.item_field(words.voided, &format!("{}: {}", void.at.local, void.reason));
        }
        for refund in &visit.refunds {
            page.item_field(
                &format!("{} #{}", words.refund, refund.receipt_number),
                &format!("{}  {}", refund.at.local, negated(&refund.amount)),
            );
            for line in &refund.lines {
                page.item_field("", &format!("{} × {}", line.service, line.quantity));
            }
            page.item_field("", &payments(&refund.payments, words));
            if refund.points_reversed != 0 || refund.points_restored != 0 {
                page.item_field(
                    "",
                    &format!(
                        "{} {}, {} {}",
                        words.points_reversed,
                        refund.points_reversed,
                        words.points_restored,
                        refund.points_restored
                    ),
                );
            }
            page.item_field(words.reason, &refund.reason);
        }
    }
}

fn purchases(page: &mut Page, purchases: &[PurchasePart], words: &Words) {
    page.heading(words.purchases);
    page.none_if_empty(purchases.is_empty(), words);
    for purchase in purchases {
        let kind = match purchase.kind {
            "plan_sold" => words.plan_sold,
            "plan_renewed" => words.plan_renewed,
            _ => words.package_sold,
        };
        let receipt = purchase
            .receipt_number
            .map(|n| format!("  {} #{n}", words.receipt))
            .unwrap_or_default();
        page.blank();
        page.line(format!(
            "  {}{receipt}  {kind}: {}  ({} {})",
            purchase.at.local, purchase.item, words.sold_by, purchase.sold_by
        ));
        page.item_field(words.total, &purchase.amount.text);
        for tax in &purchase.taxes {
            page.item_field(&tax.name, &tax.amount.text);
        }
        page.item_field(words.charged, &purchase.charged.text);
        page.item_field(words.paid_by, &payments(&purchase.payments, words));
    }
}

fn points(page: &mut Page, report: &MemberAccessReport, words: &Words) {
    let points = &report.points;
    page.heading(words.points);
    page.field(words.points_balance, &points.balance.to_string());
    page.blank();
    page.line(format!("  {}", words.lots));
    page.none_if_empty(points.lots.is_empty(), words);
    for lot in &points.lots {
        page.line(format!(
            "    {}  +{}  {} {}  {} {}",
            lot.earned_at.local,
            lot.points,
            words.expires,
            lot.expires_at.local,
            words.left,
            lot.remaining
        ));
    }
    page.blank();
    page.line(format!("  {}", words.ledger));
    page.none_if_empty(points.entries.is_empty(), words);
    for entry in &points.entries {
        page.line(ledger_line(entry, words));
    }
}

fn ledger_line(entry: &LedgerPart, words: &Words) -> String {
    let mut text = format!(
        "    {}  {:+}  {}",
        entry.at.local,
        entry.points,
        (words.kind)(entry.kind)
    );
    if let Some(number) = entry.receipt_number {
        text.push_str(&format!("  {} #{number}", words.receipt));
    }
    if let Some(reason) = &entry.reason {
        text.push_str(&format!("  {}: {reason}", words.reason));
    }
    text
}

fn bookings(page: &mut Page, bookings: &[BookingPart], words: &Words) {
    page.heading(words.bookings);
    page.none_if_empty(bookings.is_empty(), words);
    for booking in bookings {
        let mut text = format!(
            "  {}–{}  {} · {}",
            booking.start.local,
            booking
                .end
                .local
                .rsplit_once(' ')
                .map_or(booking.end.local.as_str(), |(_, time)| time),
            booking.service,
            booking.bay
        );
        if let Some(plate) = &booking.vehicle_plate {
            text.push_str(&format!("  {plate}"));
        }
        if booking.walk_in {
            text.push_str(&format!("  ({})", words.walk_in));
        }
        text.push_str(&format!("  {}", (words.kind)(booking.state)));
        if let Some(at) = &booking.state_at {
            text.push_str(&format!(" {}", at.local));
        }
        page.line(text);
        if let Some(reason) = booking.cancel_reason.as_deref().filter(|r| !r.is_empty()) {
            page.item_field(words.reason, reason);
        }
        page.item_field(words.booked_on, &booking.booked_at.local);
    }
}

fn plans(page: &mut Page, report: &MemberAccessReport, words: &Words) {
    page.heading(words.plans);
    page.none_if_empty(report.plans.is_empty(), words);
    for plan in &report.plans {
        page.blank();
        let name = plan.product.as_deref().unwrap_or(words.plans);
        page.line(format!("  {name}  ({})", (words.kind)(plan.status)));
        page.item_field(words.services, &plan.services.join(", "));
        if let Some(plate) = &plan.vehicle_plate {
            page.item_field(words.vehicle, plate);
        }
        page.item_field(
            words.valid,
            &format!("{} → {}", plan.valid_from, plan.valid_until),
        );
        page.item_field(words.washes_per_day, &plan.washes_per_day.to_string());
        page.item_field(
            words.per_term,
            &format!(
                "{} / {} {}",
                plan.price_per_term.text, plan.months_per_term, words.months
            ),
        );
    }
    page.heading(words.packages);
    page.none_if_empty(report.packages.is_empty(), words);
    for package in &report.packages {
        let expiry = package
            .expires_on
            .map_or_else(|| words.never_expires.to_owned(), |d| format!("→ {d}"));
        page.line(format!(
            "  {}  {}: {}/{} {}  {expiry}",
            package.product.as_deref().unwrap_or(words.packages),
            package.service,
            package.washes_remaining,
            package.washes_total,
            words.washes_left
        ));
    }
}

fn consents(page: &mut Page, consents: &[ConsentPart], words: &Words) {
    page.heading(words.consents);
    page.none_if_empty(consents.is_empty(), words);
    for consent in consents {
        page.line(format!(
            "  {}  {}: {}  ({} {}, {} {})",
            consent.at.local,
            (words.kind)(consent.purpose),
            if consent.granted {
                words.granted
            } else {
                words.withdrawn
            },
            words.recorded_by,
            consent.recorded_by,
            words.policy,
            consent.policy_version
        ));
    }
}

fn access(page: &mut Page, entries: &[AccessPart], words: &Words) {
    page.heading(words.record_access);
    page.none_if_empty(entries.is_empty(), words);
    for entry in entries {
        page.line(format!(
            "  {}  {} {} ({})",
            entry.at.local,
            entry.staff,
            if entry.action == "exported" {
                words.exported
            } else {
                words.opened
            },
            (words.kind)(entry.origin)
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_lose_control_and_bidi_characters_but_keep_their_layout() {
        let mut page = Page { lines: Vec::new() };
        page.field("Name", "Ann\u{1b}[2J\u{202e}Lee\tX");
        assert_eq!(page.lines, ["  Name                      Ann[2JLee X"]);
    }

    #[test]
    fn values_line_up_whatever_the_labels_script() {
        let mut page = Page { lines: Vec::new() };
        page.field("Name", "a");
        page.field("姓名", "a");
        page.item_field("近 12 个月消费", "a");
        let columns: Vec<usize> = page
            .lines
            .iter()
            .map(|line| line.trim_end_matches('a').width())
            .collect();
        assert_eq!(columns, [28, 28, 28]);
    }

    #[test]
    fn every_code_has_words_in_both_languages() {
        for code in [
            "sedan",
            "hatchback",
            "suv",
            "van",
            "pickup",
            "motorbike",
            "cash",
            "card",
            "mobile",
            "plan",
            "package",
            "points",
            "booked",
            "checked_in",
            "completed",
            "cancelled",
            "no_show",
            "active",
            "suspended",
            "marketing",
            "birthday_offers",
            "earn",
            "redeem",
            "adjust",
            "expire",
            "reverse",
            "counter",
            "ssh",
            "command_line",
        ] {
            assert_ne!(english_kind(code), "other", "{code}");
            assert_ne!(chinese_kind(code), "其他", "{code}");
        }
    }
}
