//! The scenario files' sequences: named tool-call sequences, each a test case, run for the
//! main connection's user.

use super::{Fail, Run, ScenarioResult, Verdict, expect, save};
use crate::sample::{Vars, fill};

/// `name` as an id part: lower case, words joined with `_`.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    out.trim_end_matches('_').to_string()
}

/// Every sequence, as `user` with `vars` (`None`: no connection to run them with).
pub async fn all(run: &Run<'_>, user: Option<&str>, vars: &Vars) {
    for sequence in run.scenarios.sequences.clone() {
        let title = format!("sequence: {}", sequence.name);
        run.case(
            &format!("sequence.{}", slug(&sequence.name)),
            &title,
            one(run, user, vars.clone(), &sequence),
        )
        .await;
    }
}

async fn one(
    run: &Run<'_>,
    user: Option<&str>,
    mut vars: Vars,
    sequence: &crate::scenario_file::Sequence,
) -> ScenarioResult {
    let Some(user) = user else {
        return Ok(Verdict::Skip("no connection to run it with".into()));
    };
    let outside: Vec<&str> = sequence
        .steps
        .iter()
        .map(|s| s.tool.as_str())
        .filter(|t| !run.tools.iter().any(|x| x.name == *t))
        .collect();
    if !outside.is_empty() {
        let declared = &run.stack.plugin.manifest.tools;
        if let Some(unknown) = outside
            .iter()
            .find(|t| !declared.iter().any(|x| x.name == **t))
        {
            return Err(Fail(format!("the connector has no tool {unknown:?}")));
        }
        return Ok(Verdict::Skip(format!(
            "uses tools that are not under test: {}",
            outside.join(", ")
        )));
    }
    let mut lines = Vec::new();
    for (i, step) in sequence.steps.iter().enumerate() {
        let at = |Fail(why): Fail| Fail(format!("step {}: {why}", i + 1));
        let input = fill(&step.input, &vars).map_err(|e| at(Fail(e.to_string())))?;
        let answer = run
            .call(&run.stack.pack_key, user, &step.tool, &input)
            .await
            .map_err(at)?;
        expect(step, &answer).map_err(at)?;
        save(step, &answer.body["output"], &mut vars).map_err(at)?;
        lines.push(format!("{}: {}", step.tool, answer.summary()));
    }
    Ok(Verdict::Pass(lines))
}

#[cfg(test)]
mod tests {
    #[test]
    fn slugs() {
        assert_eq!(
            super::slug("File a bug, then find it!"),
            "file_a_bug_then_find_it"
        );
    }
}
