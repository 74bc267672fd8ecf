//! SLSA provenance v1 (`https://slsa.dev/provenance/v1`) for the files a run produced,
//! describing who built them and from what, as read from the CI environment.
//!
//! - GitHub Actions: the `https://actions.github.io/buildtypes/workflow/v1` build type that
//!   GitHub's own attestations use, from the `GITHUB_*` and `RUNNER_*` variables.
//! - GitLab CI: the build type GitLab's runner documents, from the `CI_*` variables.
//! - Anywhere else: a local build type that says so. Nothing about a local machine is
//!   vouched for, and no user or host names are recorded.
//!
//! The environment is passed in as a lookup function, so tests need not touch the process
//! environment.

use serde_json::{Map, Value, json};

/// Build type of a run outside any recognised CI.
pub const LOCAL_BUILD_TYPE: &str =
    "https://github.com/clearance-rs/clearance/attestation/buildtypes/local/v1";

/// Builder id of a run outside any recognised CI.
pub const LOCAL_BUILDER_ID: &str =
    "https://github.com/clearance-rs/clearance/attestation/builders/local";

/// What the caller knows about the run, beyond the environment.
#[derive(Debug, Clone, Default)]
pub struct RunFacts {
    /// The clearance command that ran (e.g. `release`).
    pub command: String,
    /// clearance's version.
    pub tool_version: String,
    /// The source checkout's git commit, when the workspace is a git repository.
    pub git_commit: Option<String>,
    /// The checkout's `origin` URL, when it has one.
    pub git_remote: Option<String>,
    /// Files the build was resolved from (e.g. `Cargo.lock`), with their SHA-256.
    pub inputs: Vec<(String, String)>,
    /// When the run started (RFC 3339).
    pub started_on: String,
    /// When the run finished (RFC 3339).
    pub finished_on: String,
}

/// The CI system a run happened in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ci {
    /// GitHub Actions (`GITHUB_ACTIONS=true`).
    GitHubActions,
    /// GitLab CI (`GITLAB_CI=true`).
    GitLab,
    /// No recognised CI.
    Local,
}

/// Which CI the environment belongs to.
pub fn detect_ci(env: &dyn Fn(&str) -> Option<String>) -> Ci {
    if env("GITHUB_ACTIONS").as_deref() == Some("true") {
        Ci::GitHubActions
    } else if env("GITLAB_CI").as_deref() == Some("true") {
        Ci::GitLab
    } else {
        Ci::Local
    }
}

/// The SLSA provenance v1 predicate for this run.
pub fn provenance_predicate(env: &dyn Fn(&str) -> Option<String>, facts: &RunFacts) -> Value {
    let var = |name: &str| env(name).filter(|v| !v.is_empty());
    let (build_type, external, internal, mut dependencies, builder, invocation) =
        match detect_ci(env) {
            Ci::GitHubActions => github(&var),
            Ci::GitLab => gitlab(&var),
            Ci::Local => local(facts),
        };
    for (name, sha256) in &facts.inputs {
        dependencies.push(json!({"name": name, "digest": {"sha256": sha256}}));
    }
    let mut internal = internal;
    internal.insert(
        "clearance".into(),
        json!({"command": facts.command, "version": facts.tool_version}),
    );
    let mut metadata = Map::new();
    if let Some(id) = invocation {
        metadata.insert("invocationId".into(), Value::String(id));
    }
    metadata.insert("startedOn".into(), Value::String(facts.started_on.clone()));
    metadata.insert(
        "finishedOn".into(),
        Value::String(facts.finished_on.clone()),
    );
    json!({
        "buildDefinition": {
            "buildType": build_type,
            "externalParameters": external,
            "internalParameters": internal,
            "resolvedDependencies": dependencies,
        },
        "runDetails": {
            "builder": builder,
            "metadata": metadata,
        }
    })
}

type Parts = (
    String,
    Value,
    Map<String, Value>,
    Vec<Value>,
    Value,
    Option<String>,
);

fn github(var: &dyn Fn(&str) -> Option<String>) -> Parts {
    let server = var("GITHUB_SERVER_URL").unwrap_or_else(|| "https://github.com".into());
    let repository = var("GITHUB_REPOSITORY").unwrap_or_default();
    let repository_url = format!("{server}/{repository}");
    let git_ref = var("GITHUB_REF").unwrap_or_default();
    // GITHUB_WORKFLOW_REF is `OWNER/REPO/.github/workflows/FILE@REF`.
    let workflow_path = var("GITHUB_WORKFLOW_REF")
        .and_then(|w| {
            let path = w.strip_prefix(&format!("{repository}/"))?.to_string();
            Some(path.split('@').next().unwrap_or_default().to_string())
        })
        .unwrap_or_default();
    let external = json!({
        "workflow": {"ref": git_ref, "repository": repository_url, "path": workflow_path}
    });
    let mut github = Map::new();
    for (key, name) in [
        ("event_name", "GITHUB_EVENT_NAME"),
        ("repository_id", "GITHUB_REPOSITORY_ID"),
        ("repository_owner_id", "GITHUB_REPOSITORY_OWNER_ID"),
        ("runner_environment", "RUNNER_ENVIRONMENT"),
    ] {
        if let Some(value) = var(name) {
            github.insert(key.into(), Value::String(value));
        }
    }
    let mut internal = Map::new();
    internal.insert("github".into(), Value::Object(github));
    let mut dependencies = Vec::new();
    if let Some(sha) = var("GITHUB_SHA") {
        dependencies.push(json!({
            "uri": format!("git+{repository_url}@{git_ref}"),
            "digest": {"gitCommit": sha}
        }));
    }
    let runner = match var("RUNNER_ENVIRONMENT").as_deref() {
        Some("self-hosted") => "self-hosted",
        _ => "github-hosted",
    };
    let builder = json!({"id": format!("https://github.com/actions/runner/{runner}")});
    let invocation = var("GITHUB_RUN_ID").map(|run| {
        let attempt = var("GITHUB_RUN_ATTEMPT").unwrap_or_else(|| "1".into());
        format!("{repository_url}/actions/runs/{run}/attempts/{attempt}")
    });
    (
        "https://actions.github.io/buildtypes/workflow/v1".into(),
        external,
        internal,
        dependencies,
        builder,
        invocation,
    )
}

fn gitlab(var: &dyn Fn(&str) -> Option<String>) -> Parts {
    let runner_version = var("CI_RUNNER_VERSION").unwrap_or_else(|| "main".into());
    let project_url = var("CI_PROJECT_URL").unwrap_or_default();
    let mut external = Map::new();
    for (key, name) in [
        ("source", "CI_PROJECT_URL"),
        ("entryPoint", "CI_JOB_NAME"),
        ("ref", "CI_COMMIT_REF_NAME"),
        ("pipelineSource", "CI_PIPELINE_SOURCE"),
    ] {
        if let Some(value) = var(name) {
            external.insert(key.into(), Value::String(value));
        }
    }
    let mut internal = Map::new();
    for (key, name) in [
        ("architecture", "CI_RUNNER_EXECUTABLE_ARCH"),
        ("job", "CI_JOB_ID"),
        ("pipeline", "CI_PIPELINE_ID"),
        ("runner", "CI_RUNNER_ID"),
    ] {
        if let Some(value) = var(name) {
            internal.insert(key.into(), Value::String(value));
        }
    }
    let mut dependencies = Vec::new();
    if let Some(sha) = var("CI_COMMIT_SHA") {
        let git_ref = var("CI_COMMIT_REF_NAME").unwrap_or_default();
        dependencies.push(json!({
            "uri": format!("git+{project_url}@{git_ref}"),
            "digest": {"gitCommit": sha}
        }));
    }
    let server = var("CI_SERVER_URL").unwrap_or_else(|| "https://gitlab.com".into());
    let builder_id = match (var("CI_PROJECT_PATH"), var("CI_RUNNER_ID")) {
        (Some(path), Some(runner)) => format!("{server}/{path}/-/runners/{runner}"),
        _ => format!("{server}/gitlab-org/gitlab-runner"),
    };
    (
        format!(
            "https://gitlab.com/gitlab-org/gitlab-runner/-/blob/v{runner_version}/PROVENANCE.md"
        ),
        Value::Object(external),
        internal,
        dependencies,
        json!({"id": builder_id}),
        var("CI_JOB_URL"),
    )
}

fn local(facts: &RunFacts) -> Parts {
    let mut dependencies = Vec::new();
    if let Some(commit) = &facts.git_commit {
        let uri = match &facts.git_remote {
            Some(remote) => format!("git+{remote}"),
            None => "git+file:.".to_string(),
        };
        dependencies.push(json!({"uri": uri, "digest": {"gitCommit": commit}}));
    }
    let mut internal = Map::new();
    internal.insert(
        "environment".into(),
        Value::String(
            "local: not run in a recognised CI; the machine that built these files is not \
             identified or vouched for"
                .into(),
        ),
    );
    (
        LOCAL_BUILD_TYPE.into(),
        json!({}),
        internal,
        dependencies,
        json!({"id": LOCAL_BUILDER_ID}),
        None,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let map: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    fn facts() -> RunFacts {
        RunFacts {
            command: "release".into(),
            tool_version: "0.1.0".into(),
            git_commit: Some("a".repeat(40)),
            git_remote: None,
            inputs: vec![("Cargo.lock".into(), "b".repeat(64))],
            started_on: "2026-11-24T00:00:00Z".into(),
            finished_on: "2026-11-24T00:00:01Z".into(),
        }
    }

    #[test]
    fn github_actions_run_is_described_by_its_variables() {
        let env = env_of(&[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_REPOSITORY", "acme/app"),
            ("GITHUB_REF", "refs/tags/v1.2.3"),
            ("GITHUB_SHA", "0123456789abcdef0123456789abcdef01234567"),
            (
                "GITHUB_WORKFLOW_REF",
                "acme/app/.github/workflows/release.yml@refs/tags/v1.2.3",
            ),
            ("GITHUB_RUN_ID", "42"),
            ("GITHUB_RUN_ATTEMPT", "2"),
            ("GITHUB_EVENT_NAME", "push"),
            ("RUNNER_ENVIRONMENT", "github-hosted"),
        ]);
        let p = provenance_predicate(&env, &facts());
        let def = &p["buildDefinition"];
        assert_eq!(
            def["buildType"],
            "https://actions.github.io/buildtypes/workflow/v1"
        );
        assert_eq!(
            def["externalParameters"]["workflow"]["path"],
            ".github/workflows/release.yml"
        );
        assert_eq!(
            def["externalParameters"]["workflow"]["repository"],
            "https://github.com/acme/app"
        );
        assert_eq!(
            def["resolvedDependencies"][0]["uri"],
            "git+https://github.com/acme/app@refs/tags/v1.2.3"
        );
        assert_eq!(def["resolvedDependencies"][1]["name"], "Cargo.lock");
        assert_eq!(def["internalParameters"]["github"]["event_name"], "push");
        assert_eq!(
            p["runDetails"]["builder"]["id"],
            "https://github.com/actions/runner/github-hosted"
        );
        assert_eq!(
            p["runDetails"]["metadata"]["invocationId"],
            "https://github.com/acme/app/actions/runs/42/attempts/2"
        );
    }

    #[test]
    fn gitlab_run_is_described_by_its_variables() {
        let sha = "c".repeat(40);
        let env = env_of(&[
            ("GITLAB_CI", "true"),
            ("CI_SERVER_URL", "https://gitlab.example"),
            ("CI_PROJECT_PATH", "acme/app"),
            ("CI_PROJECT_URL", "https://gitlab.example/acme/app"),
            ("CI_RUNNER_ID", "7"),
            ("CI_RUNNER_VERSION", "17.5.0"),
            ("CI_COMMIT_SHA", sha.as_str()),
            ("CI_COMMIT_REF_NAME", "main"),
            ("CI_JOB_URL", "https://gitlab.example/acme/app/-/jobs/9"),
        ]);
        let p = provenance_predicate(&env, &facts());
        assert_eq!(
            p["buildDefinition"]["buildType"],
            "https://gitlab.com/gitlab-org/gitlab-runner/-/blob/v17.5.0/PROVENANCE.md"
        );
        assert_eq!(
            p["runDetails"]["builder"]["id"],
            "https://gitlab.example/acme/app/-/runners/7"
        );
        assert_eq!(
            p["buildDefinition"]["resolvedDependencies"][0]["digest"]["gitCommit"],
            "c".repeat(40)
        );
    }

    #[test]
    fn a_local_run_says_so() {
        let p = provenance_predicate(&env_of(&[]), &facts());
        assert_eq!(p["buildDefinition"]["buildType"], LOCAL_BUILD_TYPE);
        assert_eq!(p["runDetails"]["builder"]["id"], LOCAL_BUILDER_ID);
        assert!(
            p["buildDefinition"]["internalParameters"]["environment"]
                .as_str()
                .unwrap()
                .starts_with("local")
        );
        assert!(p["runDetails"]["metadata"].get("invocationId").is_none());
        assert_eq!(
            p["buildDefinition"]["resolvedDependencies"][0]["uri"],
            "git+file:."
        );
    }
}
