//! Each report as a plain table: the command line prints it, the CSV export writes it, and
//! the Reports screen shows it when the numbers are wanted instead of the chart. Headings and
//! the words in `word_columns` are English; the screen translates them.

use chrono::Weekday;

use super::range::RangeReport;
use crate::domain::money::Money;
use crate::domain::reports::{
    FREQUENCY_BUCKETS, ReportName, bucket_label, change_per_mille, per_mille,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportTable {
    pub headers: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
    /// Columns whose cells are fixed words (a payment method, a vehicle kind, a measure).
    pub word_columns: Vec<usize>,
}

const WEEKDAYS: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

fn weekday_word(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "Mon",
        Weekday::Tue => "Tue",
        Weekday::Wed => "Wed",
        Weekday::Thu => "Thu",
        Weekday::Fri => "Fri",
        Weekday::Sat => "Sat",
        Weekday::Sun => "Sun",
    }
}

/// Tenths of a percent as `12.5%`; `-` when there is nothing to compare with.
pub fn percent_text(per_mille: Option<i64>) -> String {
    match per_mille {
        None => "-".to_owned(),
        Some(value) => {
            let sign = if value < 0 { "-" } else { "" };
            let value = value.unsigned_abs();
            format!("{sign}{}.{}%", value / 10, value % 10)
        }
    }
}

pub fn report_table(report: &RangeReport, name: ReportName) -> ReportTable {
    let money = |minor: i64| Money::from_minor(minor).format_amount(&report.currency);
    let totals = &report.figures.totals;
    let words = |headers: Vec<&'static str>, rows: Vec<Vec<String>>| ReportTable {
        headers,
        rows,
        word_columns: vec![0],
    };
    match name {
        ReportName::Takings => {
            let mut rows: Vec<Vec<String>> = totals
                .methods
                .iter()
                .filter_map(|m| {
                    m.method.map(|method| {
                        vec![
                            method.as_str().to_owned(),
                            m.count.to_string(),
                            money(m.amount),
                        ]
                    })
                })
                .collect();
            rows.push(vec![
                "total".to_owned(),
                (totals.visits
                    + totals.plans_sold.count
                    + totals.plans_renewed.count
                    + totals.packages_sold.count)
                    .to_string(),
                money(totals.takings),
            ]);
            rows.push(vec!["tips".to_owned(), String::new(), money(totals.tips)]);
            rows.push(vec![
                "refunds".to_owned(),
                totals.refunds.count.to_string(),
                money(-totals.refunds.amount),
            ]);
            rows.push(vec![
                "voided".to_owned(),
                totals.voided.count.to_string(),
                money(totals.voided.amount),
            ]);
            rows.push(vec![
                "net".to_owned(),
                String::new(),
                money(totals.takings.saturating_sub(totals.refunds.amount)),
            ]);
            for tax in &totals.taxes {
                rows.push(vec![
                    format!("tax {}", tax.name),
                    String::new(),
                    money(tax.collected.saturating_sub(tax.refunded)),
                ]);
            }
            let mut table = words(vec!["Payment", "Count", "Amount"], rows);
            // Tax names are the shop's own words, not translated.
            table.word_columns = vec![0];
            table
        }
        ReportName::Visits => ReportTable {
            headers: vec!["Date", "Visits", "Takings"],
            rows: report
                .figures
                .per_day
                .iter()
                .map(|(date, visits, takings)| {
                    vec![
                        date.format("%Y-%m-%d").to_string(),
                        visits.to_string(),
                        money(*takings),
                    ]
                })
                .collect(),
            word_columns: Vec::new(),
        },
        ReportName::Hours => {
            let mut headers = vec!["Day"];
            headers.extend([
                "00", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13",
                "14", "15", "16", "17", "18", "19", "20", "21", "22", "23",
            ]);
            let rows = WEEKDAYS
                .iter()
                .zip(report.figures.hour_of_week.iter())
                .map(|(day, hours)| {
                    let mut row = vec![weekday_word(*day).to_owned()];
                    row.extend(hours.iter().map(|h| h.to_string()));
                    row
                })
                .collect();
            words(headers, rows)
        }
        ReportName::Bays => ReportTable {
            headers: vec!["Bay", "Visits", "Minutes", "Open minutes", "Use"],
            rows: report
                .bays
                .iter()
                .map(|bay| {
                    vec![
                        bay.name.clone(),
                        bay.visits.to_string(),
                        bay.minutes.to_string(),
                        bay.open_minutes.to_string(),
                        percent_text(Some(per_mille(
                            i64::from(bay.minutes),
                            i64::from(bay.open_minutes),
                        ))),
                    ]
                })
                .collect(),
            word_columns: Vec::new(),
        },
        ReportName::Services => ReportTable {
            headers: vec!["Service", "Washes", "Amount"],
            rows: report
                .services
                .iter()
                .map(|s| vec![s.name.clone(), s.quantity.to_string(), money(s.amount)])
                .collect(),
            word_columns: Vec::new(),
        },
        ReportName::Members => {
            let walk = totals
                .visits
                .saturating_sub(totals.new_members)
                .saturating_sub(totals.returning_members);
            words(
                vec!["Visitor", "Visits", "Share"],
                [
                    ("new", totals.new_members),
                    ("returning", totals.returning_members),
                    ("walk-in", walk),
                ]
                .iter()
                .map(|(word, count)| {
                    vec![
                        (*word).to_owned(),
                        count.to_string(),
                        percent_text(Some(per_mille(i64::from(*count), i64::from(totals.visits)))),
                    ]
                })
                .collect(),
            )
        }
        ReportName::Frequency => ReportTable {
            headers: vec!["Visits in all", "Members"],
            rows: report
                .members
                .map(|m| {
                    FREQUENCY_BUCKETS
                        .iter()
                        .zip(m.frequency.iter())
                        .map(|(bucket, count)| vec![bucket_label(*bucket), count.to_string()])
                        .collect()
                })
                .unwrap_or_default(),
            word_columns: Vec::new(),
        },
        ReportName::Vehicles => words(
            vec!["Vehicle", "Visits"],
            totals
                .vehicles
                .iter()
                .map(|(kind, count)| vec![kind.as_str().to_owned(), count.to_string()])
                .collect(),
        ),
        ReportName::Sales => words(
            vec!["Sale", "Count", "Amount"],
            [
                ("plan sold", totals.plans_sold),
                ("plan renewed", totals.plans_renewed),
                ("package sold", totals.packages_sold),
            ]
            .iter()
            .map(|(word, count)| {
                vec![
                    (*word).to_owned(),
                    count.count.to_string(),
                    money(count.amount),
                ]
            })
            .collect(),
        ),
        ReportName::Points => {
            let mut rows = vec![
                vec![
                    "earned".to_owned(),
                    totals.points_earned.to_string(),
                    String::new(),
                ],
                vec![
                    "redeemed".to_owned(),
                    totals.points_redeemed.to_string(),
                    String::new(),
                ],
            ];
            if let Some(members) = &report.members {
                let value = |points: i64| money(points.saturating_mul(members.point_value_minor));
                rows.push(vec![
                    "outstanding".to_owned(),
                    members.points_outstanding.to_string(),
                    value(members.points_outstanding),
                ]);
                rows.push(vec![
                    "expiring in 30 days (at most)".to_owned(),
                    members.points_expiring_30_days.to_string(),
                    value(members.points_expiring_30_days),
                ]);
            }
            words(vec!["Points", "Points", "Value"], rows)
        }
        ReportName::Comparison => {
            let now = report.summary();
            let before = report.previous_summary.unwrap_or_default();
            let row = |word: &str, now: i64, before: i64, as_money: bool| {
                let show = |v: i64| if as_money { money(v) } else { v.to_string() };
                vec![
                    word.to_owned(),
                    show(now),
                    show(before),
                    percent_text(change_per_mille(now, before)),
                ]
            };
            words(
                vec!["Measure", "This period", "Previous period", "Change"],
                vec![
                    row(
                        "visits",
                        i64::from(now.visits),
                        i64::from(before.visits),
                        false,
                    ),
                    row("takings", now.takings, before.takings, true),
                    row("refunds", now.refunds, before.refunds, true),
                    row("net", now.net, before.net, true),
                    row(
                        "new members",
                        i64::from(now.new_members),
                        i64::from(before.new_members),
                        false,
                    ),
                    row(
                        "plan and package sales",
                        i64::from(now.plan_and_package_sales),
                        i64::from(before.plan_and_package_sales),
                        false,
                    ),
                ],
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_keep_one_decimal_and_their_sign() {
        assert_eq!(percent_text(Some(125)), "12.5%");
        assert_eq!(percent_text(Some(-50)), "-5.0%");
        assert_eq!(percent_text(None), "-");
    }
}
