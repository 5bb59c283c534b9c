//! `speech-scorer simulate`: run the local ZenHire simulator until Ctrl-C.

use std::path::PathBuf;
use std::process::ExitCode;

use rand::Rng as _;

use super::Exit;
use crate::simulator::{KeyConfig, Scenario, SimConfig, Simulator, masked_key as masked};

/// Options of `simulate`.
#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    /// Port to listen on (127.0.0.1); 0 or absent picks a free port.
    #[arg(long)]
    pub port: Option<u16>,
    /// A scenario file (TOML) scripting what the next requests get.
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<PathBuf>,
    /// The key the simulator accepts; a demo key is generated (and printed) when absent.
    #[arg(long, value_name = "KEY")]
    pub api_key: Option<String>,
    /// Test timings: 1 s poll gate and hints, about a second of processing.
    #[arg(long)]
    pub fast: bool,
    /// Starting credit balance.
    #[arg(long)]
    pub credits: Option<u64>,
    /// Runs processed at once (the account's concurrency cap; the service's default is 8).
    #[arg(long, value_name = "N")]
    pub concurrency: Option<usize>,
    /// Requests allowed per key per minute (submits, polls and look-ups; default 500).
    #[arg(long, value_name = "N")]
    pub rate_per_minute: Option<u32>,
    /// P: how long a run processes once it has a slot, in milliseconds (every run the same).
    #[arg(long, value_name = "MS")]
    pub processing_ms: Option<u64>,
    /// Divide every time (poll gate, rate window, processing, warm-ups, hints) by K, so a
    /// batch against the documented limits takes seconds; hints stay whole seconds ≥ 1.
    #[arg(long, value_name = "K")]
    pub time_scale: Option<f64>,
}

/// A fresh demo key: `zh_api_sim_` and 20 random characters.
pub fn generate_demo_key() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    let tail: String = (0..20)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect();
    format!("zh_api_sim_{tail}")
}

/// One request as a log line: time, method, path, status, code, run, scenario step, fault.
fn log_line(r: &crate::simulator::RecordedRequest) -> String {
    let mut line = format!(
        "{} {} {}{} -> {}",
        r.at.format("%H:%M:%S%.3f"),
        r.method,
        r.path,
        r.query
            .as_deref()
            .map(|q| format!("?{q}"))
            .unwrap_or_default(),
        if r.status == 0 {
            "no reply".to_string()
        } else {
            r.status.to_string()
        }
    );
    for (label, value) in [
        ("", r.code.as_deref()),
        ("run ", r.run_id.as_deref()),
        ("step ", r.step.as_deref()),
        ("fault ", r.fault.as_deref()),
    ] {
        if let Some(v) = value {
            line.push_str(&format!(" [{label}{v}]"));
        }
    }
    line
}

/// Builds the config from the arguments.
fn config(args: &SimulateArgs, key: &str) -> Result<SimConfig, String> {
    let mut cfg = if args.fast {
        SimConfig::fast()
    } else {
        SimConfig::default()
    };
    cfg.keys = vec![KeyConfig::new(key)];
    cfg.bind = std::net::SocketAddr::from(([127, 0, 0, 1], args.port.unwrap_or(0)));
    if let Some(path) = &args.scenario {
        let scenario = Scenario::load(path).map_err(|e| format!("{}: {e}", path.display()))?;
        cfg = cfg.with_scenario(scenario);
    }
    if let Some(c) = args.credits {
        cfg.credits = c;
    }
    if let Some(n) = args.concurrency {
        cfg.concurrency = n;
    }
    if let Some(n) = args.rate_per_minute {
        cfg.rate_per_minute = n;
    }
    if let Some(ms) = args.processing_ms {
        cfg.processing_time = std::time::Duration::from_millis(ms);
        cfg.processing_length_factor = 0.0;
    }
    if let Some(k) = args.time_scale {
        if !(k.is_finite() && k > 0.0) {
            return Err(format!("--time-scale must be a positive number, not {k}"));
        }
        cfg = cfg.time_scaled(k);
    }
    Ok(cfg)
}

/// Runs the simulator in the foreground.
pub fn simulate(args: SimulateArgs) -> ExitCode {
    let (key, generated) = match &args.api_key {
        Some(k) if !k.trim().is_empty() => (k.trim().to_string(), false),
        _ => (generate_demo_key(), true),
    };
    let cfg = match config(&args, &key) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("speech-scorer simulate: {e}");
            return Exit::InvalidInput.into();
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("speech-scorer simulate: could not start the async runtime: {e}");
            return Exit::Other.into();
        }
    };
    runtime.block_on(async move {
        let scenario = cfg.scenario.clone();
        let sim = match Simulator::start(cfg).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("speech-scorer simulate: {e}");
                return Exit::Other.into();
            }
        };
        let url = sim.base_url();
        println!("ZenHire simulator listening on {url}");
        if generated {
            println!("API key (generated demo key): {key}");
            println!();
            println!("Try it:");
            println!("  export ZENHIRE_API_KEY={key}");
        } else {
            println!("API key: the one you gave ({})", masked(&key));
            println!();
            println!("Try it (with ZENHIRE_API_KEY set to that key):");
        }
        println!("  speech-scorer score recording.wav --base-url {url}");
        println!(
            "  curl -s -H \"X-API-Key: $ZENHIRE_API_KEY\" -F audio=@recording.wav -F language=en {url}/api/v1/speech/analyze"
        );
        println!("  curl -s -H \"X-API-Key: $ZENHIRE_API_KEY\" {url}/api/v1/speech/analyze/<id>");
        println!("What it counted so far (rate per key, 429s, queue, credits): {url}/__sim/stats");
        if let Some(s) = &scenario {
            println!();
            println!("Scenario: {} ({} steps)", s.name, s.steps.len());
            if !s.description.is_empty() {
                println!("  {}", s.description.trim());
            }
            for d in &s.config.disruptions {
                println!(
                    "  {} for {} ms x{} after {} runs",
                    d.kind.label(),
                    d.lasting_ms,
                    d.bursts,
                    d.after_runs
                );
            }
            if let Some(e) = &s.expect {
                println!(
                    "  expected outcome: {}{}",
                    e.outcome,
                    e.code.as_deref().map(|c| format!(" ({c})")).unwrap_or_default()
                );
            }
        }
        println!();
        println!("Results are simulated. Press Ctrl-C to stop. Requests are logged below.");
        let mut shown = 0usize;
        let mut every = tokio::time::interval(std::time::Duration::from_millis(200));
        let ctrl_c = tokio::signal::ctrl_c();
        tokio::pin!(ctrl_c);
        loop {
            tokio::select! {
                r = &mut ctrl_c => {
                    if let Err(e) = r {
                        eprintln!("speech-scorer simulate: could not wait for Ctrl-C: {e}");
                    }
                    break;
                }
                _ = every.tick() => {
                    let log = sim.requests();
                    // The log drops its oldest entries when it gets very long.
                    shown = shown.min(log.len());
                    for r in &log[shown..] {
                        println!("{}", log_line(r));
                    }
                    shown = log.len();
                }
            }
        }
        let answered = sim.requests().len();
        let left = sim.scenario_steps_left();
        sim.shutdown().await;
        eprintln!("simulator stopped after {answered} requests");
        if scenario.is_some() && left > 0 {
            eprintln!("{left} scripted responses were not used (the client stopped before them)");
        }
        Exit::Success.into()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_lines_say_what_happened() {
        let r = crate::simulator::RecordedRequest {
            method: "GET".into(),
            path: "/api/v1/speech/analyze/req_1".into(),
            query: None,
            status: 0,
            code: None,
            run_id: Some("req_1".into()),
            at: chrono::Utc::now(),
            fault: Some("drop".into()),
            step: Some("poll:drop".into()),
        };
        let line = log_line(&r);
        assert!(
            line.ends_with("GET /api/v1/speech/analyze/req_1 -> no reply [run req_1] [step poll:drop] [fault drop]"),
            "{line}"
        );
    }

    #[test]
    fn demo_keys_are_fresh_and_masking_hides_them() {
        let a = generate_demo_key();
        assert!(a.starts_with("zh_api_sim_") && a.len() == 31);
        assert_ne!(a, generate_demo_key());
        assert_eq!(masked("zh_api_secret_9876"), "zh_…9876");
    }
}
