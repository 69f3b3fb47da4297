//! A report over a day, week, month or any range of shop-local days, read from the daily
//! totals (one row per day, so a year is 365 reads), with the period of equal length before
//! it to compare against. A manager sees the whole shop; a cashier's request is narrowed to
//! today and to what they took and gave back themselves, added up from those records.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Datelike, Utc};
use chrono_tz::Tz;

use super::takings::{CLOCK_SLACK, first_id_at, refunds_between};
use crate::audit::AuditAction;
use crate::domain::access::{Operation, Role};
use crate::domain::catalog::{Bay, ServiceItem};
use crate::domain::currency::Currency;
use crate::domain::reports::{
    DayTotals, Period, RangeFigures, ReportName, bucket_of, date_of_key, day_key,
    expiring_earn_window, range_figures,
};
use crate::domain::schedule::local_day_span;
use crate::ids::RecordId;
use crate::private_file::{self, Existing, PrivateFile, PrivateFileError};
use crate::service::{Service, ServiceError, Session};
use crate::store::daily_totals::{DayFold, context_in};
use crate::store::records::{MemberStats, SaleRecord, VisitRecord};
use crate::store::schema::{BAYS, MEMBER_STATS, SALES, SERVICES, VISITS};
use crate::store::{ReadAccess, StoreReader, decode_record};

/// The headline figures of a period, for the comparison with the one before.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PeriodSummary {
    pub visits: u32,
    pub takings: i64,
    pub refunds: i64,
    pub net: i64,
    pub new_members: u32,
    pub plan_and_package_sales: u32,
}

impl PeriodSummary {
    fn of(totals: &DayTotals) -> PeriodSummary {
        PeriodSummary {
            visits: totals.visits,
            takings: totals.takings,
            refunds: totals.refunds.amount,
            net: totals.takings.saturating_sub(totals.refunds.amount),
            new_members: totals.new_members,
            plan_and_package_sales: totals
                .plans_sold
                .count
                .saturating_add(totals.plans_renewed.count)
                .saturating_add(totals.packages_sold.count),
        }
    }
}

/// One bay's use: visits with a booking on it, minutes booked, minutes the shop was open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BayUse {
    pub name: String,
    pub visits: u32,
    pub minutes: u32,
    pub open_minutes: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceUse {
    pub name: String,
    pub quantity: u32,
    pub amount: i64,
}

/// Figures about all members now, not about the period: how often they have come in all, and
/// the points the shop owes them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MemberFigures {
    /// Members by visits made in all, in [`crate::domain::reports::FREQUENCY_BUCKETS`].
    pub frequency: [u64; 6],
    /// Points held by all members: the shop's points liability.
    pub points_outstanding: i64,
    /// Points earned in lots that reach their expiry in the next 30 days, before what was
    /// spent or reversed since (redemptions take the soonest-expiring lots first, so the
    /// points that really expire are at most this).
    pub points_expiring_30_days: i64,
    /// What one point is worth when redeemed, in minor units.
    pub point_value_minor: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangeReport {
    pub period: Period,
    pub previous: Option<Period>,
    pub currency: Currency,
    /// `Some(username)` when the report covers only the caller's own takings (a cashier's).
    pub only_staff: Option<String>,
    /// The range asked for, when it was narrowed (a cashier asked for other days).
    pub asked: Option<Period>,
    pub figures: RangeFigures,
    pub previous_summary: Option<PeriodSummary>,
    pub bays: Vec<BayUse>,
    /// Most washed first.
    pub services: Vec<ServiceUse>,
    /// `None` in a cashier's report.
    pub members: Option<MemberFigures>,
}

impl RangeReport {
    pub fn summary(&self) -> PeriodSummary {
        PeriodSummary::of(&self.figures.totals)
    }
}

/// Rows of a period from the store, by date.
fn stored_days(
    reader: &StoreReader,
    period: &Period,
) -> Result<BTreeMap<u32, DayTotals>, ServiceError> {
    let mut days = BTreeMap::new();
    for (key, bytes) in reader.daily_totals_between(day_key(period.first), day_key(period.last))? {
        days.insert(key, decode_record::<DayTotals>("daily totals", &bytes)?);
    }
    Ok(days)
}

fn figures_of(period: &Period, days: &BTreeMap<u32, DayTotals>) -> RangeFigures {
    range_figures(period, |date| days.get(&day_key(date)))
}

/// One member of staff's own visits, sales and refunds of `period`, added up from the records.
fn own_days(
    reader: &StoreReader,
    tz: Tz,
    period: &Period,
    staff: RecordId,
) -> Result<BTreeMap<u32, DayTotals>, ServiceError> {
    let (Some((from, _)), Some((_, to))) = (
        local_day_span(tz, period.first),
        local_day_span(tz, period.last),
    ) else {
        return Err(ServiceError::invalid(
            "that day is out of range; choose another",
        ));
    };
    let inside = |at: DateTime<Utc>| at >= from && at < to;
    let (low, high) = (
        first_id_at(from - CLOCK_SLACK),
        first_id_at(to + CLOCK_SLACK),
    );
    let mut fold = DayFold::default();
    let mut visits = Vec::new();
    reader.scan_id_range(VISITS, low, high, &mut |_, bytes| {
        let visit: VisitRecord = decode_record("visit", bytes)?;
        if visit.staff == staff && inside(visit.at) {
            visits.push(visit);
        }
        Ok(())
    })?;
    for visit in &visits {
        let context = context_in(reader, visit)?;
        let mut counted = visit.clone();
        counted.refunds.clear();
        fold.visit(tz, &counted, &context);
    }
    reader.scan_id_range(SALES, low, high, &mut |_, bytes| {
        let sale: SaleRecord = decode_record("sale", bytes)?;
        if sale.staff == staff && inside(sale.at) {
            fold.sale(tz, &sale);
        }
        Ok(())
    })?;
    for refund in refunds_between(reader, from, Some(to))? {
        if refund.by == staff {
            fold.refund(tz, &refund);
        }
    }
    Ok(fold.days)
}

impl Service {
    /// A report over `period` (shop-local dates). A manager's covers the whole shop from the
    /// daily totals; a cashier's is narrowed to today and to their own takings, whatever
    /// range was asked (the report says what was asked). Audited with the range and scope.
    pub fn range_report(
        &self,
        session: &Session,
        period: Period,
    ) -> Result<RangeReport, ServiceError> {
        self.range_report_with_progress(session, period, &mut |_| {})
    }

    /// [`Service::range_report`], telling `progress` how far it got (0–100).
    pub fn range_report_with_progress(
        &self,
        session: &Session,
        asked: Period,
        progress: &mut dyn FnMut(u8),
    ) -> Result<RangeReport, ServiceError> {
        let caller = self.authorize(session, Operation::ViewReports)?;
        let settings = self.settings()?;
        let tz = self.shop_zone()?;
        let today = self.clock.now().with_timezone(&tz).date_naive();
        let own = match caller.role {
            Role::Manager => None,
            Role::Cashier => Some(caller.staff_id),
        };
        let period = match own {
            Some(_) => Period::day(today),
            None => asked,
        };
        let previous = period.previous();
        let reader = self.store.read()?;
        progress(5);
        let (days, previous_days) = match own {
            None => (
                stored_days(&reader, &period)?,
                match &previous {
                    Some(before) => stored_days(&reader, before)?,
                    None => BTreeMap::new(),
                },
            ),
            Some(staff) => (
                own_days(&reader, tz, &period, staff)?,
                match &previous {
                    Some(before) => own_days(&reader, tz, before, staff)?,
                    None => BTreeMap::new(),
                },
            ),
        };
        progress(20);
        let figures = figures_of(&period, &days);
        let previous_summary = previous
            .as_ref()
            .map(|before| PeriodSummary::of(&figures_of(before, &previous_days).totals));
        let bays = self.bay_use(&reader, &period, &figures.totals)?;
        let services = service_use(&reader, &figures.totals)?;
        progress(30);
        let members = match own {
            Some(_) => None,
            None => Some(self.member_figures(&reader, today, progress)?),
        };
        drop(reader);
        progress(100);
        let mut draft = caller.draft(AuditAction::ReportViewed);
        draft.detail = Some(format!(
            "range: {} to {}, scope: {}",
            period.first,
            period.last,
            if own.is_some() {
                "own, today"
            } else {
                "all staff"
            }
        ));
        self.audit_alone(draft)?;
        Ok(RangeReport {
            period,
            previous,
            currency: settings.currency,
            only_staff: own.map(|_| caller.username.clone()),
            asked: (period != asked).then_some(asked),
            figures,
            previous_summary,
            bays,
            services,
            members,
        })
    }

    fn bay_use(
        &self,
        reader: &StoreReader,
        period: &Period,
        totals: &DayTotals,
    ) -> Result<Vec<BayUse>, ServiceError> {
        let hours = self.schedule_settings()?.hours;
        let open_minutes: u32 = period
            .dates()
            .map(|date| {
                hours
                    .periods(date.weekday())
                    .iter()
                    .map(|p| p.minutes())
                    .sum::<u32>()
            })
            .sum();
        let bays: Vec<Bay> = reader.all(BAYS, "bay")?;
        let mut rows: Vec<BayUse> = bays
            .iter()
            .filter(|bay| bay.active || totals.bays.iter().any(|b| b.bay == bay.id.as_u128()))
            .map(|bay| {
                let used = totals.bays.iter().find(|b| b.bay == bay.id.as_u128());
                BayUse {
                    name: bay.name.clone(),
                    visits: used.map_or(0, |b| b.visits),
                    minutes: used.map_or(0, |b| b.minutes),
                    open_minutes,
                }
            })
            .collect();
        rows.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(rows)
    }

    /// Frequency and points liability from every member's stored figures (one pass).
    fn member_figures(
        &self,
        reader: &StoreReader,
        today: chrono::NaiveDate,
        progress: &mut dyn FnMut(u8),
    ) -> Result<MemberFigures, ServiceError> {
        let policy = self.points_policy()?;
        let total = reader.count(MEMBER_STATS)?.max(1);
        let mut seen = 0u64;
        let mut frequency = [0u64; 6];
        let mut outstanding = 0i64;
        reader.scan_by_id(MEMBER_STATS, &mut |_, bytes| {
            let stats: MemberStats = decode_record("member stats", bytes)?;
            frequency[bucket_of(stats.visits)] += 1;
            outstanding = outstanding.saturating_add(stats.points_balance.max(0));
            seen += 1;
            if seen.is_multiple_of(65_536) {
                progress(30 + u8::try_from(seen * 65 / total).unwrap_or(65).min(65));
            }
            Ok(())
        })?;
        let expiring = match expiring_earn_window(today, policy.lot_expiry_months()) {
            Some(window) => stored_days(reader, &window)?
                .values()
                .map(|d| d.points_earned)
                .sum::<i64>(),
            None => 0,
        };
        Ok(MemberFigures {
            frequency,
            points_outstanding: outstanding,
            points_expiring_30_days: expiring.max(0),
            point_value_minor: policy.point_value_minor(),
        })
    }

    /// Writes one report of `report` as CSV to `destination` (manager), a new private file;
    /// an existing one is replaced only with `existing` = Replace. Audited with the report's
    /// name, range and the file.
    pub fn export_report(
        &self,
        session: &Session,
        report: &RangeReport,
        name: ReportName,
        destination: &Path,
        existing: Existing,
    ) -> Result<PathBuf, ServiceError> {
        let caller = self.authorize(session, Operation::ExportReport)?;
        if destination.parent() == Some(self.exports_dir().as_path()) {
            private_file::create_private_dir(&self.exports_dir())?;
        }
        let mut file = PrivateFile::create(destination, existing)?;
        let partial = file.partial().to_path_buf();
        let table = super::report_table(report, name);
        {
            let mut out = csv::Writer::from_writer(&mut file);
            let io = |err: csv::Error| {
                ServiceError::File(PrivateFileError::Io {
                    doing: "write",
                    path: partial.clone(),
                    reason: err.to_string(),
                })
            };
            out.write_record(table.headers.iter()).map_err(io)?;
            for row in &table.rows {
                out.write_record(
                    row.iter()
                        .map(|cell| crate::domain::sanitize::neutralise_formula(cell).into_owned()),
                )
                .map_err(io)?;
            }
            out.flush().map_err(|err| {
                ServiceError::File(PrivateFileError::Io {
                    doing: "write",
                    path: partial.clone(),
                    reason: err.to_string(),
                })
            })?;
        }
        file.flush().map_err(|err| {
            ServiceError::File(PrivateFileError::Io {
                doing: "write",
                path: partial.clone(),
                reason: err.to_string(),
            })
        })?;
        file.commit()?;
        let mut draft = caller.draft(AuditAction::ReportExported);
        draft.detail = Some(format!(
            "report: {}, range: {} to {}, file: {}",
            name.as_str(),
            report.period.first,
            report.period.last,
            destination
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
        ));
        self.audit_alone(draft)?;
        Ok(destination.to_path_buf())
    }

    /// Where the TUI saves a report's CSV: `exports/report-NAME-FROM-TO.csv` beside the data.
    pub fn report_export_path(&self, report: &RangeReport, name: ReportName) -> PathBuf {
        self.exports_dir().join(format!(
            "report-{}-{}-{}.csv",
            name.as_str(),
            report.period.first.format("%Y-%m-%d"),
            report.period.last.format("%Y-%m-%d")
        ))
    }

    /// The dates every stored daily row is for, for checks and tests.
    pub fn stored_report_days(&self) -> Result<Vec<(chrono::NaiveDate, DayTotals)>, ServiceError> {
        let reader = self.store.read()?;
        let mut out = Vec::new();
        for (key, bytes) in reader.daily_totals_between(0, u32::MAX)? {
            if let Some(date) = date_of_key(key) {
                out.push((date, decode_record::<DayTotals>("daily totals", &bytes)?));
            }
        }
        Ok(out)
    }
}

fn service_use(reader: &StoreReader, totals: &DayTotals) -> Result<Vec<ServiceUse>, ServiceError> {
    let services: Vec<ServiceItem> = reader.all(SERVICES, "service")?;
    let mut rows: Vec<ServiceUse> = totals
        .services
        .iter()
        .map(|used| ServiceUse {
            name: services
                .iter()
                .find(|s| s.id.as_u128() == used.service)
                .map_or_else(|| "?".to_owned(), |s| s.name.clone()),
            quantity: used.quantity,
            amount: used.amount,
        })
        .collect();
    rows.sort_by(|a, b| b.quantity.cmp(&a.quantity).then(a.name.cmp(&b.name)));
    Ok(rows)
}
