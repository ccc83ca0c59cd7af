//! What the run costs: the server's memory (RSS and high-water mark) and CPU from
//! `/proc/<pid>`, the tool's own CPU from `getrusage`, and whether the tool itself may
//! be the bottleneck. Also raises the tool's file-descriptor limit.

use std::time::{Duration, Instant};

use serde::Serialize;

/// Raises the soft RLIMIT_NOFILE to the hard limit; returns the new soft limit.
pub fn raise_fd_limit() -> std::io::Result<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit only read and write the struct we pass.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        if limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max;
            if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
        }
    }
    Ok(limit.rlim_cur)
}

/// The server's memory, in KiB, from `/proc/<pid>/status`.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Memory {
    pub rss_kib: u64,
    pub hwm_kib: u64,
}

pub fn server_memory(pid: Option<u32>) -> Option<Memory> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", pid?)).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kib| kib.parse().ok())
    };
    Some(Memory {
        rss_kib: field("VmRSS:")?,
        hwm_kib: field("VmHWM:")?,
    })
}

/// The tool's own CPU time (user + system) so far.
fn own_cpu() -> Duration {
    // SAFETY: getrusage fills the zeroed struct we pass and nothing else.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let time = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    time(usage.ru_utime) + time(usage.ru_stime)
}

/// The server's CPU time (user + system) so far, from `/proc/<pid>/stat`.
fn server_cpu(pid: Option<u32>) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", pid?)).ok()?;
    // The command name may hold spaces and parentheses: count fields after the last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line: 11 and 12 after the name.
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // SAFETY: sysconf has no preconditions.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    Some(Duration::from_nanos(ticks * 1_000_000_000 / per_second))
}

/// Busy and total jiffies of the whole machine, from the first line of `/proc/stat`.
fn machine_jiffies() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().next()?.strip_prefix("cpu ")?;
    let values: Vec<u64> = line
        .split_whitespace()
        .filter_map(|v| v.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal. Idle and iowait are not busy, and
    // neither is niced work (background builds): it yields to the server and the tool.
    let total: u64 = values.iter().take(8).sum();
    let yielding = values.get(1)? + values.get(3)? + values.get(4).copied().unwrap_or(0);
    Some((total - yielding, total))
}

/// Measures CPU over one phase of a run (the measured part, not setup).
pub struct Meter {
    pid: Option<u32>,
    started: Instant,
    own: Duration,
    server: Option<Duration>,
    machine: Option<(u64, u64)>,
}

/// CPU use over a phase, in percent of one core (so up to `cores` × 100).
#[derive(Debug, Clone, Serialize)]
pub struct Usage {
    pub cores: usize,
    pub tool_cpu_percent: f64,
    pub server_cpu_percent: Option<f64>,
    /// The whole machine, in percent of all its cores (100 = every core busy), not
    /// counting niced processes, which give way to the run.
    pub machine_busy_percent: Option<f64>,
    /// The tool used enough of the machine that it may have limited the figures.
    pub tool_may_be_bottleneck: bool,
}

impl Meter {
    pub fn start(pid: Option<u32>) -> Self {
        Self {
            pid,
            started: Instant::now(),
            own: own_cpu(),
            server: server_cpu(pid),
            machine: machine_jiffies(),
        }
    }

    pub fn finish(&self) -> Usage {
        let wall = self.started.elapsed().as_secs_f64().max(1e-9);
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let tool = (own_cpu() - self.own).as_secs_f64() / wall * 100.0;
        let server = match (self.server, server_cpu(self.pid)) {
            (Some(before), Some(after)) => Some((after - before).as_secs_f64() / wall * 100.0),
            _ => None,
        };
        let machine = match (self.machine, machine_jiffies()) {
            (Some((b0, t0)), Some((b1, t1))) if t1 > t0 => {
                Some((b1 - b0) as f64 / (t1 - t0) as f64 * 100.0)
            }
            _ => None,
        };
        let capacity = cores as f64 * 100.0;
        // The tool saturates the machine by itself, or takes a large share (a quarter)
        // of a machine with no idle time left, where every cycle it uses is one the
        // server lacks.
        let full = machine.is_some_and(|busy| busy >= 90.0);
        let tool_may_be_bottleneck = tool >= 0.8 * capacity || (full && tool >= 0.25 * capacity);
        Usage {
            cores,
            tool_cpu_percent: round1(tool),
            server_cpu_percent: server.map(round1),
            machine_busy_percent: machine.map(round1),
            tool_may_be_bottleneck,
        }
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Human lines for the machine part of a report.
pub fn describe(usage: &Usage, memory: &[(&str, Option<Memory>)]) -> Vec<String> {
    let mut lines = Vec::new();
    let server = usage
        .server_cpu_percent
        .map_or(String::from("n/a (no --server-pid)"), |s| {
            format!("{s:.1}%")
        });
    let machine = usage
        .machine_busy_percent
        .map_or(String::from("n/a"), |m| format!("{m:.0}%"));
    lines.push(format!(
        "cpu: tool {:.1}%, server {server} (100% = one core; {} cores); machine busy {machine}",
        usage.tool_cpu_percent, usage.cores
    ));
    for (when, mem) in memory {
        if let Some(m) = mem {
            lines.push(format!(
                "server memory {when}: RSS {:.1} MiB, HWM {:.1} MiB",
                m.rss_kib as f64 / 1024.0,
                m.hwm_kib as f64 / 1024.0
            ));
        }
    }
    if usage.tool_may_be_bottleneck {
        lines.push(format!(
            "WARNING: the load tool used {:.0}% CPU on a {}-core machine; it may be the bottleneck, so the figures may understate the server",
            usage.tool_cpu_percent, usage.cores
        ));
    }
    lines
}
