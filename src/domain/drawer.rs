//! PLACEHOLDER types (replaced by the helper's module on merge).
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use crate::domain::money::Money;
use crate::ids::RecordId;
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MovementKind { PaidOut, Drop }
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawerMovement { pub kind: MovementKind, pub amount: Money, pub reason: String, pub at: DateTime<Utc>, pub by: RecordId }
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountLine { pub denomination: Money, pub count: u32 }
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShiftClosing { pub at: DateTime<Utc>, pub by: RecordId, pub counted: Money, pub count_lines: Vec<CountLine>, pub cash_sales: Money, pub cash_refunds: Money, pub expected: Money }
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shift { pub id: RecordId, pub staff: RecordId, pub opened_at: DateTime<Utc>, pub float: Money, pub movements: Vec<DrawerMovement>, pub closed: Option<ShiftClosing> }
