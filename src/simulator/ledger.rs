//! The credit ledger: holds at submit, charge on success, proportional charge on partial,
//! release on failure (API docs §13). One ledger per client, shared by all its keys.

use std::collections::HashMap;

use serde_json::{Value, json};

/// Credits for `seconds` of audio: 1 per started minute, minimum 1.
pub fn cost_for(duration_secs: f64) -> u64 {
    ((duration_secs / 60.0).ceil() as u64).max(1)
}

/// Charge for a partial run: the cost in proportion to the dimensions scored, rounded up.
pub fn partial_charge(cost: u64, scored: usize) -> u64 {
    (cost * scored as u64).div_ceil(3)
}

/// One ledger entry, as shown by `GET /api/v1/credits`.
#[derive(Debug, Clone, PartialEq)]
pub struct Transaction {
    pub kind: &'static str,
    pub amount: u64,
    pub run_id: String,
    pub at: chrono::DateTime<chrono::Utc>,
}

/// Why a hold was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Insufficient {
    pub cost: u64,
    pub available: u64,
}

/// Balance, holds per run, and history.
#[derive(Debug)]
pub struct Ledger {
    balance: u64,
    holds: HashMap<String, u64>,
    transactions: Vec<Transaction>,
    charged_total: u64,
    runs_charged: u64,
}

impl Ledger {
    /// A ledger with a starting balance and nothing held.
    pub fn new(balance: u64) -> Self {
        Self {
            balance,
            holds: HashMap::new(),
            transactions: Vec::new(),
            charged_total: 0,
            runs_charged: 0,
        }
    }

    /// The balance, holds not subtracted.
    pub fn balance(&self) -> u64 {
        self.balance
    }

    /// Credits held for in-flight runs.
    pub fn held(&self) -> u64 {
        self.holds.values().sum()
    }

    /// Credits charged so far.
    pub fn charged_total(&self) -> u64 {
        self.charged_total
    }

    /// Balance minus holds.
    pub fn available(&self) -> u64 {
        self.balance.saturating_sub(self.held())
    }

    /// Holds `cost` for a run, or says how short the balance is (nothing held then).
    pub fn hold(&mut self, run_id: &str, cost: u64) -> Result<(), Insufficient> {
        let available = self.available();
        if cost > available {
            return Err(Insufficient { cost, available });
        }
        self.holds.insert(run_id.to_string(), cost);
        self.push("hold", cost, run_id);
        Ok(())
    }

    /// Turns a run's hold into a charge of `amount` (≤ the hold); returns what was charged.
    pub fn charge(&mut self, run_id: &str, amount: u64) -> u64 {
        let held = self.holds.remove(run_id).unwrap_or(0);
        let amount = amount.min(held);
        self.balance = self.balance.saturating_sub(amount);
        self.charged_total += amount;
        self.runs_charged += 1;
        self.push("charge", amount, run_id);
        if held > amount {
            self.push("release", held - amount, run_id);
        }
        amount
    }

    /// Releases a run's hold without charging.
    pub fn release(&mut self, run_id: &str) {
        if let Some(held) = self.holds.remove(run_id) {
            self.push("release", held, run_id);
        }
    }

    fn push(&mut self, kind: &'static str, amount: u64, run_id: &str) {
        self.transactions.push(Transaction {
            kind,
            amount,
            run_id: run_id.to_string(),
            at: chrono::Utc::now(),
        });
    }

    /// The body of `GET /api/v1/credits` (field names are a simulator choice: undocumented).
    pub fn to_json(&self) -> Value {
        let recent: Vec<Value> = self
            .transactions
            .iter()
            .rev()
            .take(50)
            .map(|t| {
                json!({
                    "type": t.kind,
                    "amount": t.amount,
                    "requestId": t.run_id,
                    "service": "speech",
                    "createdAt": super::wire::timestamp(t.at),
                })
            })
            .collect();
        json!({
            "balance": self.balance,
            "available": self.available(),
            "held": self.held(),
            "usage": {
                "creditsCharged": self.charged_total,
                "runsCharged": self.runs_charged,
                "speech": self.charged_total,
            },
            "transactions": recent,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_is_per_started_minute_with_minimum_one() {
        assert_eq!(cost_for(0.5), 1);
        assert_eq!(cost_for(180.0), 3);
        assert_eq!(cost_for(200.0), 4);
        assert_eq!(cost_for(12.0 * 60.0 + 5.0), 13);
    }

    #[test]
    fn hold_charge_partial_release() {
        let mut l = Ledger::new(10);
        l.hold("a", 4).expect("hold a");
        l.hold("b", 4).expect("hold b");
        assert_eq!((l.balance(), l.held(), l.available()), (10, 8, 2));
        assert_eq!(
            l.hold("c", 3),
            Err(Insufficient {
                cost: 3,
                available: 2
            })
        );
        assert_eq!(l.held(), 8, "a refused hold reserves nothing");
        assert_eq!(l.charge("a", partial_charge(4, 2)), 3);
        assert_eq!((l.balance(), l.held()), (7, 4));
        l.release("b");
        assert_eq!((l.balance(), l.held(), l.available()), (7, 0, 7));
        assert_eq!(partial_charge(4, 1), 2);
        assert_eq!(partial_charge(3, 2), 2);
    }
}
