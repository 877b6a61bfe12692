//! Gating `imgscope IMAGE…`: every rule evaluated on every image (against the baseline, if any),
//! the verdicts printed (or the JSON report carrying them), the Markdown summary appended, and
//! exit 1 if a rule failed.

use std::io::Write;

use anyhow::{Context, Result, bail};

use crate::pipeline::load::Loaded;
use crate::report;
use crate::settings::{Output, Settings};

/// `--own-only`: the image above its base; an error when no base is known or it does not match.
fn own_part(l: &Loaded) -> Result<crate::gate::Own> {
    let shown = crate::text::escape_control(&l.image.input);
    let Some(base) = &l.analysis.base else {
        bail!(
            "--own-only: {shown} names no base: give --base IMAGE, or build it with the \
             org.opencontainers.image.base.name annotation"
        );
    };
    if !base.is_complete() {
        bail!(
            "--own-only: {shown}: base {}: {}",
            crate::text::escape_control(&base.reference),
            base.caveat().unwrap_or_default()
        );
    }
    Ok(crate::gate::Own {
        part: crate::analysis::base::OwnPart::of(&l.image, &l.analysis.waste, base.inherited),
        base: base.reference.clone(),
        total_layers: l.image.layers.len(),
    })
}

/// Gating: evaluate the rules on every image (against the baseline, if any), print the verdicts
/// (or the JSON report carrying them), append the Markdown summary, and exit 1 if a rule failed.
pub fn run(
    settings: &Settings,
    plan: &crate::gate::GatePlan,
    loaded: &[Loaded],
    set: &crate::analysis::set::SetAnalysis,
) -> Result<u8> {
    use crate::gate::{BaselineFacts, Baselines, Subject, Verdict, evaluate_against};
    let baseline = match &plan.baseline {
        Some(input) => Some(super::load_flagged("--baseline", input, &settings.load)?),
        None => None,
    };
    let owns = loaded
        .iter()
        .map(|l| plan.own_only.then(|| own_part(l)).transpose())
        .collect::<Result<Vec<_>>>()?;
    let evaluations = loaded
        .iter()
        .zip(&owns)
        .enumerate()
        .map(|(i, (l, own))| {
            let own = own.as_ref();
            let planned = Subject {
                image: &l.image,
                analysis: &l.analysis,
                plan_saving: Some(match plan.plan_risk {
                    None => (set.plan.saving_for_image(i), set.plan.for_image(i).count()),
                    Some(risk) => (
                        set.plan.saving_for_image_up_to(i, risk),
                        set.plan.for_image(i).filter(|a| a.risk <= risk).count(),
                    ),
                }),
                own,
            };
            // `--baseline history`: each image against its own recorded series.
            let baselines = match &plan.history {
                Some(h) => super::history::gate_baselines(h, &plan.rules, &l.image)?,
                None => Baselines {
                    last: baseline.as_ref().map(|b| BaselineFacts::of(&b.image)),
                    ..Baselines::default()
                },
            };
            Ok(evaluate_against(
                &plan.rules,
                &plan.files,
                planned,
                &baselines,
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    if let Some(path) = &settings.json_out {
        let json = report::json::to_string_with_gates(&super::analyzed(loaded), set, &evaluations)?;
        crate::atomic_write::write(path, json.as_bytes())
            .with_context(|| format!("{}", path.display()))?;
    }
    let mut stdout = std::io::stdout().lock();
    match settings.output {
        Output::Json => {
            let json =
                report::json::to_string_with_gates(&super::analyzed(loaded), set, &evaluations)?;
            stdout.write_all(json.as_bytes())?;
        }
        Output::Text | Output::Interactive => {
            for (i, (l, e)) in loaded.iter().zip(&evaluations).enumerate() {
                if i > 0 {
                    writeln!(stdout)?;
                }
                stdout.write_all(report::gate_output::text(&l.image, e).as_bytes())?;
                if plan.github {
                    stdout.write_all(
                        report::gate_output::github_annotations(&l.image, e).as_bytes(),
                    )?;
                }
            }
        }
    }
    stdout.flush()?;
    if let Some(path) = &plan.summary {
        let markdown: String = loaded
            .iter()
            .zip(&evaluations)
            .map(|(l, e)| report::markdown::gate_summary(&l.image, e))
            .collect();
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("{}", path.display()))?;
        file.write_all(markdown.as_bytes())
            .with_context(|| format!("{}", path.display()))?;
    }
    let failed = evaluations.iter().any(|e| e.verdict() == Verdict::Fail);
    Ok(if failed { super::EXIT_GATE_FAILED } else { 0 })
}
