//! The credit ledger over real HTTP: 402 with details, holds, charge, partial, release.

mod simulator_support;

use std::time::Duration;

use simulator_support::*;
use speech_scorer::simulator::{Endpoint, Respond, Scenario, SimConfig, Step};

#[tokio::test]
async fn insufficient_credits_is_402_with_details_and_holds_nothing() {
    let sim = start(SimConfig {
        credits: 3,
        ..SimConfig::fast()
    })
    .await;
    // 3 min 1 s costs 4 credits (per started minute).
    let (status, body) =
        json(submit(&sim, Some(sim.api_key()), Some(speech_wav(181.0)), &[]).await).await;
    assert_eq!(status, 402, "{body}");
    let e = envelope(&body, "INSUFFICIENT_CREDITS", true);
    assert_eq!(e["details"]["cost"], 4);
    assert_eq!(e["details"]["available"], 3);
    assert_eq!((sim.credits_balance(), sim.credits_held()), (3, 0));
    assert_eq!(sim.run_count(), 0);
    // Exactly 3 minutes costs 3: accepted.
    let resp = submit(&sim, Some(sim.api_key()), Some(speech_wav(180.0)), &[]).await;
    assert_eq!(resp.status().as_u16(), 202);
    assert_eq!(sim.credits_held(), 3);
    assert_eq!(sim.credits_available(), 0);
}

#[tokio::test]
async fn success_turns_the_hold_into_a_charge() {
    let sim = start(SimConfig {
        credits: 20,
        ..SimConfig::fast()
    })
    .await;
    let (_, body) =
        json(submit(&sim, Some(sim.api_key()), Some(speech_wav(200.0)), &[]).await).await;
    let id = body["id"].as_str().expect("id").to_string();
    assert_eq!((sim.credits_balance(), sim.credits_held()), (20, 4));
    let (_, credits) = json(get(&sim, "/api/v1/credits").await).await;
    assert_eq!(credits["balance"], 20);
    assert_eq!(credits["held"], 4);
    assert_eq!(credits["available"], 16);
    let done = poll_to_end(&sim, &id).await;
    assert_eq!(done["status"], "success");
    assert_eq!(done["credits"]["deducted"], 4);
    assert_eq!(done["credits"]["remainingBalance"], 16);
    assert_eq!(done["credits"]["audioDurationMinutes"], 3.3);
    assert_eq!((sim.credits_balance(), sim.credits_held()), (16, 0));
    let (_, credits) = json(get(&sim, "/api/v1/credits").await).await;
    let kinds: Vec<&str> = credits["transactions"]
        .as_array()
        .expect("transactions")
        .iter()
        .map(|t| t["type"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(kinds, ["charge", "hold"], "newest first");
    assert_eq!(credits["usage"]["creditsCharged"], 4);
}

fn scripted(respond: Respond, tweak: impl FnOnce(&mut Step)) -> SimConfig {
    let mut step = Step::new(Endpoint::Poll, respond);
    tweak(&mut step);
    let scenario = Scenario {
        name: "ledger".into(),
        steps: vec![step],
        ..Scenario::default()
    };
    SimConfig {
        credits: 20,
        ..SimConfig::fast()
    }
    .with_scenario(scenario)
}

#[tokio::test]
async fn partial_charges_in_proportion_and_failed_releases() {
    // 6 min 1 s costs 7; one of three dimensions scored: ceil(7 / 3) = 3.
    let sim = start(scripted(Respond::Partial, |s| {
        s.dimensions = Some(vec![speech_scorer::simulator::Dimension::Fluency]);
    }))
    .await;
    let (_, body) =
        json(submit(&sim, Some(sim.api_key()), Some(speech_wav(361.0)), &[]).await).await;
    let id = body["id"].as_str().expect("id").to_string();
    assert_eq!(sim.credits_held(), 7);
    let done = poll_to_end(&sim, &id).await;
    assert_eq!(done["status"], "partial", "{done}");
    assert!(done["scores"]["fluency"].is_number());
    assert!(done["scores"]["vocabulary"].is_null());
    assert!(done["scores"]["accentPercent"].is_null());
    assert!(done["scores"]["overall"].is_null());
    assert_eq!(done["credits"]["deducted"], 3);
    assert_eq!((sim.credits_balance(), sim.credits_held()), (17, 0));

    let sim = start(scripted(Respond::Failed, |s| {
        s.code = Some("SCORING_FAILED".into())
    }))
    .await;
    let (_, body) =
        json(submit(&sim, Some(sim.api_key()), Some(speech_wav(181.0)), &[]).await).await;
    let id = body["id"].as_str().expect("id").to_string();
    assert_eq!(sim.credits_held(), 4);
    let done = poll_to_end(&sim, &id).await;
    assert_eq!(done["status"], "failed");
    assert_eq!(done["error"]["code"], "SCORING_FAILED");
    assert!(done["credits"].is_null());
    assert_eq!((sim.credits_balance(), sim.credits_held()), (20, 0));
    // Terminal: later polls repeat the same body, with no gate.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let (_, again) = json(get(&sim, &format!("/api/v1/speech/analyze/{id}")).await).await;
    assert_eq!(again, done);
}

#[tokio::test]
async fn queued_runs_keep_their_hold() {
    let sim = start(SimConfig {
        concurrency: 1,
        credits: 10,
        ..SimConfig::fast()
    })
    .await;
    let audio = speech_wav(181.0);
    let _ = submit(&sim, Some(sim.api_key()), Some(audio.clone()), &[]).await;
    let (_, body) = json(submit(&sim, Some(sim.api_key()), Some(audio.clone()), &[]).await).await;
    assert_eq!(body["status"], "queued");
    assert_eq!(sim.credits_held(), 8);
    let (status, body) = json(submit(&sim, Some(sim.api_key()), Some(audio), &[]).await).await;
    assert_eq!(status, 402);
    assert_eq!(body["error"]["details"]["available"], 2);
}
