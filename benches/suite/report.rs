//! Samples, their summary (median, min, max) and the one table the suite prints.

use std::fmt::Write as _;

/// Which way a number is better.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Better {
    Higher,
    Lower,
}

/// A target a row is judged against: `Ratio` compares the row with a baseline row (see
/// [`ratio`]); `Value` compares the row's median with an absolute number in the row's unit.
#[derive(Clone)]
pub enum Target {
    /// At least (for Higher) / at most (for Lower) this multiple of the named row.
    Ratio { baseline: String, factor: f64 },
    /// At least / at most this value.
    Value(f64),
}

/// One line of the table.
pub struct Row {
    pub workload: &'static str,
    pub contender: String,
    pub unit: &'static str,
    pub better: Better,
    pub samples: Vec<f64>,
    /// Row (by contender name) the ratio column divides by.
    pub ratio_to: Option<String>,
    pub targets: Vec<Target>,
    /// Free text after the numbers: sizes, PSNR, CPU time.
    pub note: String,
}

impl Row {
    pub fn new(workload: &'static str, contender: impl Into<String>, unit: &'static str) -> Row {
        Row {
            workload,
            contender: contender.into(),
            unit,
            better: Better::Higher,
            samples: Vec::new(),
            ratio_to: None,
            targets: Vec::new(),
            note: String::new(),
        }
    }

    pub fn lower_is_better(mut self) -> Row {
        self.better = Better::Lower;
        self
    }

    pub fn ratio_to(mut self, contender: &str) -> Row {
        self.ratio_to = Some(contender.to_string());
        self
    }

    pub fn target(mut self, target: Target) -> Row {
        self.targets.push(target);
        self
    }

    pub fn median(&self) -> f64 {
        summary(&self.samples).0
    }
}

/// Median, min and max.
pub fn summary(samples: &[f64]) -> (f64, f64, f64) {
    if samples.is_empty() {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    let mut v = samples.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let median = if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    };
    (median, v[0], v[n - 1])
}

/// The value at quantile `q` (0..=1) of already sorted samples, nearest rank.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn number(v: f64) -> String {
    if !v.is_finite() {
        "-".into()
    } else if v.abs() >= 1e6 {
        format!("{:.3}M", v / 1e6)
    } else if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.4}")
    }
}

/// `row` against `base`: the median of the round-by-round ratios when both have one sample per
/// round (runs of one round are seconds apart, so their ratio shrugs off the machine's drift
/// from round to round), else the ratio of the medians.
pub fn ratio(row: &Row, base: &Row) -> f64 {
    if row.samples.len() == base.samples.len() {
        let per_round: Vec<f64> = row
            .samples
            .iter()
            .zip(&base.samples)
            .map(|(r, b)| r / b)
            .collect();
        summary(&per_round).0
    } else {
        row.median() / base.median()
    }
}

/// Whether every target of `row` holds, as a cell: "yes", "NO" or "" when it has none.
fn verdict(row: &Row, rows: &[Row]) -> String {
    let mut texts = Vec::new();
    let mut all = true;
    for t in &row.targets {
        // The row's value against the limit: a ratio against `factor`, or the median itself.
        let (value, limit, label) = match t {
            Target::Ratio { baseline, factor } => {
                let Some(base) = rows.iter().find(|r| &r.contender == baseline) else {
                    continue;
                };
                (ratio(row, base), *factor, format!("{factor}x {baseline}"))
            }
            Target::Value(v) => (row.median(), *v, number(*v)),
        };
        let ok = match row.better {
            Better::Higher => value >= limit,
            Better::Lower => value <= limit,
        };
        all &= ok;
        let sign = if row.better == Better::Higher {
            ">="
        } else {
            "<="
        };
        texts.push(format!("{sign} {label}"));
    }
    if texts.is_empty() {
        String::new()
    } else {
        format!("{} ({})", if all { "yes" } else { "NO" }, texts.join(", "))
    }
}

/// The table as Markdown (also readable as plain text).
pub fn render(rows: &[Row]) -> String {
    let mut out = String::new();
    out.push_str(
        "| workload | contender | unit | median | min | max | ratio | target met | notes |\n",
    );
    out.push_str("|---|---|---|---:|---:|---:|---:|---|---|\n");
    for row in rows {
        let (median, min, max) = summary(&row.samples);
        let ratio = row
            .ratio_to
            .as_ref()
            .and_then(|name| rows.iter().find(|r| &r.contender == name))
            .map(|base| format!("{:.2}x", ratio(row, base)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            row.workload,
            row.contender,
            row.unit,
            number(median),
            number(min),
            number(max),
            ratio,
            verdict(row, rows),
            row.note
        );
    }
    out
}
