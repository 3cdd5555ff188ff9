//! Prometheus metrics (text exposition format 0.0.4): requests by route and status, latency
//! histograms by route, signatures, ledger size and group-commit batch sizes.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Latency bucket bounds in seconds: from a cached tile (sub-millisecond) to a 50 MB signing.
pub const LATENCY_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// Batch-size bucket bounds (entries per group commit), up to the sequencer's default maximum.
pub const BATCH_BUCKETS: [f64; 8] = [1.0, 2.0, 4.0, 8.0, 32.0, 128.0, 1024.0, 16384.0];

#[derive(Debug, Default, Clone)]
struct Histogram {
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

impl Histogram {
    fn observe(&mut self, bounds: &[f64], v: f64) {
        if self.counts.len() != bounds.len() {
            self.counts = vec![0; bounds.len()];
        }
        for (c, b) in self.counts.iter_mut().zip(bounds) {
            if v <= *b {
                *c += 1;
            }
        }
        self.sum += v;
        self.count += 1;
    }

    fn write(&self, out: &mut String, name: &str, labels: &str, bounds: &[f64]) {
        let sep = if labels.is_empty() { "" } else { "," };
        for (c, b) in self.counts.iter().zip(bounds) {
            let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{b}\"}} {c}");
        }
        let _ = writeln!(
            out,
            "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}",
            self.count
        );
        let braces = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let _ = writeln!(out, "{name}_sum{braces} {}", self.sum);
        let _ = writeln!(out, "{name}_count{braces} {}", self.count);
    }
}

#[derive(Debug, Default)]
struct Inner {
    requests: BTreeMap<(String, String, u16), u64>,
    latency: BTreeMap<String, Histogram>,
    batches: Histogram,
}

/// The service's counters.
#[derive(Debug, Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
    signatures: AtomicU64,
    verifications: AtomicU64,
}

/// The `# HELP` and `# TYPE` lines of a metric family.
fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// A metric family of one unlabelled sample.
fn scalar(out: &mut String, name: &str, kind: &str, help: &str, value: u64) {
    family(out, name, kind, help);
    let _ = writeln!(out, "{name} {value}");
}

/// Escapes a label value (Prometheus text format: backslash, quote, newline).
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

impl Metrics {
    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn record_request(&self, route: &str, method: &str, status: u16, elapsed: Duration) {
        let mut i = self.inner();
        *i.requests
            .entry((route.to_owned(), method.to_owned(), status))
            .or_default() += 1;
        i.latency
            .entry(route.to_owned())
            .or_default()
            .observe(&LATENCY_BUCKETS, elapsed.as_secs_f64());
    }

    /// A document signed and recorded; `batch` is the size of its group commit.
    pub fn record_signature(&self, batch: u64) {
        self.signatures.fetch_add(1, Ordering::Relaxed);
        self.inner().batches.observe(&BATCH_BUCKETS, batch as f64);
    }

    pub fn record_verification(&self) {
        self.verifications.fetch_add(1, Ordering::Relaxed);
    }

    /// The exposition text; `ledger_size` and `in_flight` are read by the caller.
    pub fn render(&self, ledger_size: Option<u64>, in_flight: usize) -> String {
        let mut out = String::new();
        let i = self.inner();
        family(
            &mut out,
            "kyso_http_requests_total",
            "counter",
            "HTTP requests by route template, method and status.",
        );
        for ((route, method, status), n) in &i.requests {
            let _ = writeln!(
                out,
                "kyso_http_requests_total{{route=\"{}\",method=\"{}\",status=\"{status}\"}} {n}",
                label(route),
                label(method)
            );
        }
        family(
            &mut out,
            "kyso_http_request_duration_seconds",
            "histogram",
            "Request latency by route template.",
        );
        for (route, h) in &i.latency {
            h.write(
                &mut out,
                "kyso_http_request_duration_seconds",
                &format!("route=\"{}\"", label(route)),
                &LATENCY_BUCKETS,
            );
        }
        family(
            &mut out,
            "kyso_ledger_batch_entries",
            "histogram",
            "Entries per ledger group commit, seen by signings of this process.",
        );
        i.batches
            .write(&mut out, "kyso_ledger_batch_entries", "", &BATCH_BUCKETS);
        drop(i);
        scalar(
            &mut out,
            "kyso_signatures_total",
            "counter",
            "Documents signed and recorded in the ledger.",
            self.signatures.load(Ordering::Relaxed),
        );
        scalar(
            &mut out,
            "kyso_verifications_total",
            "counter",
            "Documents verified.",
            self.verifications.load(Ordering::Relaxed),
        );
        scalar(
            &mut out,
            "kyso_in_flight",
            "gauge",
            "Expensive requests being processed.",
            in_flight as u64,
        );
        if let Some(size) = ledger_size {
            scalar(
                &mut out,
                "kyso_ledger_size",
                "gauge",
                "Entries in the ledger (latest checkpoint).",
                size,
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative() {
        let m = Metrics::default();
        m.record_request("/a", "GET", 200, Duration::from_millis(3));
        m.record_request("/a", "GET", 200, Duration::from_secs(20));
        let text = m.render(Some(5), 0);
        assert!(
            text.contains("kyso_http_requests_total{route=\"/a\",method=\"GET\",status=\"200\"} 2")
        );
        assert!(
            text.contains("kyso_http_request_duration_seconds_bucket{route=\"/a\",le=\"0.005\"} 1")
        );
        assert!(
            text.contains("kyso_http_request_duration_seconds_bucket{route=\"/a\",le=\"+Inf\"} 2")
        );
        assert!(text.contains("kyso_ledger_size 5"));
    }
}
