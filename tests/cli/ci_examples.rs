//! Where users run clearance: `action.yml` and the example pipelines in `examples/` pass the
//! official schemas (GitHub actions and workflows, GitLab CI, offline through
//! check-jsonschema's built-in copies) and name only inputs, outputs and variables that
//! exist; the action's step scripts in `scripts/action/` run as a runner would run them,
//! against fake runner files, a fake `gh`, a fake `cargo` and a local Sigstore instance.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use regex::Regex;
use serde_json::Value;
use sigstore_dev::{DevOptions, DevServer, GitHubIdentity};

use crate::util::{copy_dir, fixture, repo, validate_venv};

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A file of the repository, by its path in the repository.
fn read_repo(rel: &str) -> String {
    read(&repo().join(rel))
}

/// Standard output and standard error, for messages.
fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

// ---- schemas -------------------------------------------------------------------------------

/// check-jsonschema with one of its built-in schemas on `file`: (passed, its output).
fn schema_check(schema: &str, file: &Path) -> (bool, String) {
    let out = Command::new(validate_venv().join("bin/check-jsonschema"))
        .args(["--builtin-schema", schema])
        .arg(file)
        .output()
        .expect("check-jsonschema runs");
    (out.status.success(), text(&out))
}

fn assert_schema_valid(schema: &str, rel: &str) {
    let (ok, out) = schema_check(schema, &repo().join(rel));
    assert!(ok, "{schema} rejects {rel}:\n{out}");
}

#[test]
fn action_yml_passes_the_github_actions_schema() {
    assert_schema_valid("vendor.github-actions", "action.yml");
}

#[test]
fn the_github_examples_pass_the_github_workflows_schema() {
    for rel in ["examples/github/pr-gate.yml", "examples/github/release.yml"] {
        assert_schema_valid("vendor.github-workflows", rel);
    }
}

#[test]
fn the_gitlab_example_passes_the_gitlab_ci_schema() {
    assert_schema_valid("vendor.gitlab-ci", "examples/gitlab/.gitlab-ci.yml");
}

#[test]
fn the_schemas_reject_broken_copies() {
    // Guards against a schema check that passes everything.
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "vendor.github-workflows",
            "examples/github/pr-gate.yml",
            "    runs-on: ubuntu-latest\n",
            "",
        ),
        (
            "vendor.github-actions",
            "action.yml",
            "      shell: bash\n",
            "",
        ),
        (
            "vendor.gitlab-ci",
            "examples/gitlab/.gitlab-ci.yml",
            "      aud: sigstore\n",
            "      audience: sigstore\n",
        ),
    ];
    for (schema, rel, from, to) in cases {
        let original = read_repo(rel);
        assert!(original.contains(from), "{rel} no longer holds {from:?}");
        let name = Path::new(rel).file_name().unwrap();
        let broken = dir.path().join(schema).join(name);
        std::fs::create_dir_all(broken.parent().unwrap()).unwrap();
        std::fs::write(&broken, original.replacen(from, to, 1)).unwrap();
        let (ok, out) = schema_check(schema, &broken);
        assert!(!ok, "{schema} accepts {rel} without {from:?}:\n{out}");
    }
}

// ---- wiring --------------------------------------------------------------------------------

/// A YAML file of the repository as JSON, read by the validators' YAML parser.
fn yaml(rel: &str) -> Value {
    let out = Command::new(validate_venv().join("bin/python"))
        .args([
            "-c",
            "import json, sys\nfrom ruamel.yaml import YAML\n\
             print(json.dumps(YAML(typ='safe').load(open(sys.argv[1]))))",
        ])
        .arg(repo().join(rel))
        .output()
        .unwrap();
    assert!(out.status.success(), "{rel}: {}", text(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The keys of a JSON object (none for anything else).
fn keys(map: &Value) -> BTreeSet<String> {
    map.as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

/// The first capture group of every match of `pattern` in `text`.
fn captures(pattern: &str, text: &str) -> BTreeSet<String> {
    Regex::new(pattern)
        .unwrap()
        .captures_iter(text)
        .map(|c| c[1].to_owned())
        .collect()
}

/// The text of the step script a step of action.yml runs, if it runs one.
fn script_of(step: &Value) -> Option<String> {
    let run = step["run"].as_str()?;
    let name = captures(r"scripts/action/([a-z]+\.sh)", run).pop_first()?;
    Some(read(&repo().join("scripts/action").join(name)))
}

#[test]
fn the_action_names_only_inputs_outputs_and_variables_that_exist() {
    let action = yaml("action.yml");
    let source = read_repo("action.yml");
    let inputs = keys(&action["inputs"]);
    assert_eq!(
        captures(r"inputs\.([a-z0-9-]+)", &source),
        inputs,
        "every input is used, and only declared inputs are"
    );
    let steps = action["runs"]["steps"].as_array().unwrap();
    let by_id: BTreeMap<&str, &Value> = steps
        .iter()
        .filter_map(|s| Some((s["id"].as_str()?, s)))
        .collect();
    // Each step output the action reads is written by that step's script.
    let reads = Regex::new(r"steps\.([a-z]+)\.outputs\.([a-z0-9-]+)").unwrap();
    for read_output in reads.captures_iter(&source) {
        let (id, name) = (&read_output[1], &read_output[2]);
        let script = script_of(by_id[id]).unwrap_or_else(|| panic!("step {id} runs no script"));
        assert!(
            script.contains(&format!("set_output {name} ")),
            "step {id} does not write output {name}"
        );
    }
    // Each variable a step passes is read by its script, and each INPUT_ variable a script
    // reads is passed by every step that runs it.
    for step in steps {
        let Some(script) = script_of(step) else {
            continue;
        };
        let passed = keys(&step["env"]);
        for name in &passed {
            assert!(script.contains(name.as_str()), "{name} is passed, not read");
        }
        for name in captures(r"\b(INPUT_[A-Z0-9_]+)", &script) {
            assert!(passed.contains(&name), "{name} is read, not passed");
        }
    }
}

#[test]
fn the_github_examples_use_only_the_actions_inputs_and_outputs() {
    let action = yaml("action.yml");
    let (inputs, outputs) = (keys(&action["inputs"]), keys(&action["outputs"]));
    let uses = format!(
        "{}@",
        env!("CARGO_PKG_REPOSITORY").trim_start_matches("https://github.com/")
    );
    for rel in ["examples/github/pr-gate.yml", "examples/github/release.yml"] {
        let workflow = yaml(rel);
        let mut found = 0;
        for job in workflow["jobs"].as_object().unwrap().values() {
            for step in job["steps"].as_array().unwrap() {
                if step["uses"].as_str().is_some_and(|u| u.starts_with(&uses)) {
                    found += 1;
                    let given = keys(&step["with"]);
                    assert!(given.is_subset(&inputs), "{rel}: {given:?}");
                }
            }
        }
        assert_eq!(found, 1, "{rel} runs the action ({uses}) once");
        let read = captures(r"steps\.clearance\.outputs\.([a-z0-9-]+)", &read_repo(rel));
        assert!(read.is_subset(&outputs), "{rel}: {read:?}");
    }
}
// ---- the step scripts ----------------------------------------------------------------------

/// Prefixes of the variables of a real runner (or of the step scripts) that must not reach a
/// test's step.
const RUNNER_PREFIXES: &[&str] = &["GITHUB_", "INPUT_", "RUNNER_", "ACTIONS_"];
/// More such variables, by name.
const RUNNER_VARIABLES: &[&str] = &[
    "SIGSTORE_ID_TOKEN",
    "GH_TOKEN",
    "CLEARANCE_BIN",
    "PR_NUMBER",
    "MARKDOWN_FILE",
    "EXIT_CODE",
    "COMMENT_KEY",
    "ImageOS",
    "SOURCE_DATE_EPOCH",
];

/// A fake runner: a workspace (GITHUB_WORKSPACE), the files steps write their outputs, summary
/// and PATH additions to, RUNNER_TEMP, RUNNER_TOOL_CACHE, and a folder of fake tools put
/// first on PATH.
struct Runner {
    dir: tempfile::TempDir,
    workspace: PathBuf,
}

impl Runner {
    fn new(workspace: &Path) -> Runner {
        let dir = tempfile::tempdir().unwrap();
        for sub in ["temp", "tool-cache", "tools"] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        }
        Runner {
            dir,
            workspace: workspace.to_owned(),
        }
    }

    /// A runner whose workspace holds the fixture workspace in `ws/` (under the runner's
    /// folder, so both go away together).
    fn with_fixture() -> Runner {
        let mut runner = Runner::new(Path::new(""));
        runner.workspace = runner.path("repository");
        copy_dir(&fixture("workspace"), &runner.workspace.join("ws"));
        runner
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// `bash scripts/action/SCRIPT` as a step of a job: nothing of a real runner leaks in;
    /// the fake tools, then the built clearance, come first on PATH.
    fn step(&self, script: &str) -> Command {
        let mut cmd = Command::new("bash");
        cmd.arg(repo().join("scripts/action").join(script));
        for (name, _) in std::env::vars() {
            if RUNNER_PREFIXES.iter().any(|p| name.starts_with(p))
                || RUNNER_VARIABLES.contains(&name.as_str())
            {
                cmd.env_remove(name);
            }
        }
        let path = format!("{}:{}", self.path("tools").display(), path_with_clearance());
        cmd.env("PATH", path)
            .env("GITHUB_WORKSPACE", &self.workspace)
            .env("GITHUB_OUTPUT", self.path("output"))
            .env("GITHUB_STEP_SUMMARY", self.path("summary.md"))
            .env("GITHUB_PATH", self.path("path"))
            .env("RUNNER_TEMP", self.path("temp"))
            .env("RUNNER_TOOL_CACHE", self.path("tool-cache"))
            .env(
                "CLEARANCE_CACHE_DIR",
                repo().join("target/test-license-cache"),
            )
            .stdin(Stdio::null());
        cmd
    }

    /// Adds an executable script to the fake tools.
    fn tool(&self, name: &str, script: &str) {
        let path = self.path("tools").join(name);
        std::fs::write(&path, script).unwrap();
        make_executable(&path);
    }

    /// The step outputs written so far (a later value wins).
    fn outputs(&self) -> BTreeMap<String, String> {
        std::fs::read_to_string(self.path("output"))
            .unwrap_or_default()
            .lines()
            .map(|l| {
                let (k, v) = l.split_once('=').expect("NAME=VALUE");
                (k.to_owned(), v.to_owned())
            })
            .collect()
    }

    fn summary(&self) -> String {
        std::fs::read_to_string(self.path("summary.md")).unwrap_or_default()
    }
}

/// PATH with the built clearance's folder first.
fn path_with_clearance() -> String {
    let dir = Path::new(env!("CARGO_BIN_EXE_clearance")).parent().unwrap();
    format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// How many times a step ran clearance (each run is echoed as `+ clearance ...`).
fn clearance_runs(out: &Output) -> usize {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.starts_with("+ clearance "))
        .count()
}

#[test]
fn check_with_findings_writes_summary_outputs_and_reports_then_exits_1() {
    let runner = Runner::with_fixture();
    let out = runner
        .step("run.sh")
        .env("INPUT_WORKING_DIRECTORY", "ws")
        .env("INPUT_SARIF", "true")
        .env("INPUT_FORMATS", "junit")
        .env("INPUT_ARGS", "--offline")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let o = runner.outputs();
    assert_eq!(
        (o["exit-code"].as_str(), o["verdict"].as_str()),
        ("1", "fail")
    );
    assert!(
        Path::new(&o["out-dir"]).starts_with(runner.path("temp")),
        "{o:?}"
    );

    let markdown = read(Path::new(&o["markdown-file"]));
    assert!(
        markdown.starts_with("### clearance: license check"),
        "{markdown}"
    );
    assert!(
        markdown.contains("| ❌ | legacy-lgpl | 0.9.1 |"),
        "{markdown}"
    );
    assert_eq!(
        runner.summary(),
        markdown,
        "the summary is the Markdown report"
    );

    // SARIF locations are relative to the repository root, not to the working directory.
    let sarif: Value = serde_json::from_str(&read(Path::new(&o["sarif-file"]))).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    for result in results {
        let location = &result["locations"][0]["physicalLocation"]["artifactLocation"];
        assert_eq!(location["uri"], "ws/Cargo.lock", "{result}");
    }
    let junit = read(Path::new(&o["junit-file"]));
    assert!(junit.contains(r#"<testsuite name="clearance check" tests="9" failures="2""#));
    assert_eq!(o["json-file"], "", "not asked for");
    assert_eq!(clearance_runs(&out), 3, "Markdown, SARIF, JUnit");
}

#[test]
fn a_passing_policy_exits_0_and_summary_false_leaves_the_summary_alone() {
    let runner = Runner::with_fixture();
    let ws = runner.workspace.join("ws");
    std::fs::copy(
        fixture("policies/valid-full.toml"),
        ws.join("licenses.toml"),
    )
    .unwrap();
    let out = runner
        .step("run.sh")
        .env("INPUT_WORKING_DIRECTORY", "ws")
        .env("INPUT_POLICY", "licenses.toml")
        .env("INPUT_OUT_DIR", "reports")
        .env("INPUT_SUMMARY", "false")
        .env("INPUT_ARGS", "--offline\n  --color never\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains(" --offline --color never --format markdown "),
        "every line of args is passed: {}",
        text(&out)
    );
    let o = runner.outputs();
    assert_eq!(
        (o["exit-code"].as_str(), o["verdict"].as_str()),
        ("0", "pass")
    );
    assert_eq!(Path::new(&o["out-dir"]), ws.join("reports"));
    let markdown = read(Path::new(&o["markdown-file"]));
    assert!(
        markdown.contains("✅ All 9 components are allowed by `ws/licenses.toml`"),
        "{markdown}"
    );
    assert_eq!(o["sarif-file"], "", "not asked for");
    assert_eq!(runner.summary(), "");
}

#[test]
fn the_diff_gate_reports_what_the_change_brings_in() {
    let repository = crate::diff::repository();
    let runner = Runner::new(repository.path());
    let out = runner
        .step("run.sh")
        .env("INPUT_COMMAND", "diff")
        .env("INPUT_BASE_REF", "main")
        .env("INPUT_FORMATS", "json")
        .env("INPUT_ARGS", "--offline")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let summary = runner.summary();
    assert!(
        summary.contains("❌ This change brings in 2 new finding(s), 2 of them errors"),
        "{summary}"
    );
    assert!(
        summary.contains("| added | new-dep | 0.1.0 | `AGPL-3.0-only` |"),
        "{summary}"
    );
    let o = runner.outputs();
    let report: Value = serde_json::from_str(&read(Path::new(&o["json-file"]))).unwrap();
    assert_eq!(report["schema"], "clearance-diff/1");
    assert_eq!(o["verdict"], "fail");
}

/// Runs the run step with `env` on the fixture, asserting it stops with exit code 2 after
/// `runs` runs of clearance, with the outputs written and `reason` in the summary.
fn assert_unusable(env: &[(&str, &str)], reason: &str, runs: usize) {
    let runner = Runner::with_fixture();
    let out = runner
        .step("run.sh")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{env:?}: {}", text(&out));
    assert_eq!(clearance_runs(&out), runs, "{env:?}: {}", text(&out));
    let o = runner.outputs();
    assert_eq!(
        (o["exit-code"].as_str(), o["verdict"].as_str()),
        ("2", "error")
    );
    assert_eq!(o["markdown-file"], "");
    let summary = runner.summary();
    assert!(summary.contains("⚠️ No report: "), "{summary}");
    assert!(summary.contains(reason), "{env:?}: {summary}");
}

#[test]
fn unusable_input_exits_2_after_the_summary_and_the_outputs() {
    // A broken input fails every format the same way: clearance runs once.
    assert_unusable(
        &[
            ("INPUT_MANIFEST_PATH", "missing/Cargo.toml"),
            ("INPUT_FORMATS", "json,junit"),
        ],
        "clearance could not run, see the log",
        1,
    );
    assert_unusable(&[("INPUT_COMMAND", "diff")], "diff needs base-ref", 0);
    assert_unusable(
        &[("INPUT_FORMATS", "markdown, pdf")],
        "`pdf` is not one of human, json, sarif, junit, markdown",
        0,
    );
}

#[test]
fn a_release_signed_in_a_github_job_tells_consumers_how_to_verify() {
    let runner = Runner::with_fixture();
    let ws = runner.workspace.join("ws");
    std::fs::copy(
        fixture("policies/valid-full.toml"),
        ws.join("licenses.toml"),
    )
    .unwrap();
    std::fs::write(ws.join("app.bin"), b"the release artifact\n").unwrap();
    let identity = GitHubIdentity {
        git_ref: "refs/tags/v1.2.3".into(),
        ..GitHubIdentity::default()
    };
    let dev = DevServer::spawn(DevOptions {
        identity: identity.clone(),
        ..DevOptions::new(runner.path("sigstore-dev"))
    })
    .expect("sigstore-dev starts");
    let trust = dev.trust_config_path();

    let mut step = runner.step("run.sh");
    step.env("GITHUB_ACTIONS", "true")
        .env("GITHUB_SERVER_URL", "https://github.com")
        .env("GITHUB_REPOSITORY", &identity.repository)
        .env("GITHUB_REF", &identity.git_ref)
        .env("GITHUB_SHA", &identity.sha)
        .env("GITHUB_EVENT_NAME", &identity.event_name)
        .env("GITHUB_RUN_ID", &identity.run_id)
        .env("GITHUB_WORKFLOW_REF", identity.job_workflow_ref())
        .envs(dev.actions_env())
        .env("INPUT_COMMAND", "release")
        .env("INPUT_WORKING_DIRECTORY", "ws")
        .env("INPUT_POLICY", "licenses.toml")
        .env("INPUT_SUBJECT", "  app.bin\n\n")
        .env("INPUT_SIGSTORE", &trust)
        .env("INPUT_ARGS", "--offline");
    let out = step.output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    let o = runner.outputs();
    assert_eq!(o["verdict"], "pass");
    let folder = ws.join("dist/clearance");
    assert_eq!(Path::new(&o["out-dir"]), folder);
    assert!(folder.join("provenance.sigstore.json").is_file());
    assert_eq!(
        std::fs::read_dir(ws.join(".clearance/evidence"))
            .unwrap()
            .count(),
        1,
        "recorded in the evidence store under the working directory"
    );
    let verify = &o["verify-command"];
    assert_eq!(
        verify,
        &format!(
            "clearance verify --sigstore '{}' --bundle 'provenance.sigstore.json' \
             --certificate-identity-regexp \
             'https://github\\.com/clearance-dev/example/\\.github/workflows/release\\.yml@refs/tags/.*' \
             --certificate-oidc-issuer https://token.actions.githubusercontent.com 'app.bin'",
            trust.display()
        )
    );
    let summary = runner.summary();
    assert!(summary.starts_with("### clearance"), "{summary}");
    assert!(summary.contains("**Release evidence**"), "{summary}");
    assert!(
        summary.contains(&format!("```sh\n{verify}\n```")),
        "{summary}"
    );

    // The consumer's side: the line verifies the downloaded assets, and only those.
    let downloads = runner.path("downloads");
    std::fs::create_dir_all(&downloads).unwrap();
    std::fs::copy(ws.join("app.bin"), downloads.join("app.bin")).unwrap();
    std::fs::copy(
        folder.join("provenance.sigstore.json"),
        downloads.join("provenance.sigstore.json"),
    )
    .unwrap();
    let consumer = |dir: &Path| {
        Command::new("bash")
            .args(["-c", verify.as_str()])
            .current_dir(dir)
            .env("PATH", path_with_clearance())
            .output()
            .unwrap()
    };
    let ok = consumer(&downloads);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok));
    std::fs::write(downloads.join("app.bin"), b"another artifact\n").unwrap();
    let tampered = consumer(&downloads);
    assert_eq!(tampered.status.code(), Some(1), "{}", text(&tampered));

    // The job's token request credential appears nowhere.
    let (_, secret) = dev
        .actions_env()
        .into_iter()
        .find(|(name, _)| name == "ACTIONS_ID_TOKEN_REQUEST_TOKEN")
        .unwrap();
    for written in [text(&out), summary, read(&runner.path("output"))] {
        assert!(
            !written.contains(&secret),
            "the token request credential leaked"
        );
    }
}

/// A fake `gh`: records each call's arguments (one a line), the token it was given and any
/// `body=@FILE` it was sent into `$FAKE_GH_DIR/call-N.*`; answers a listing (a call without
/// `--method`) with `$FAKE_GH_IDS`; fails every call when `$FAKE_GH_FAIL` is 1.
const FAKE_GH: &str = r#"#!/usr/bin/env bash
set -euo pipefail
n=$(find "$FAKE_GH_DIR" -name 'call-*.args' | wc -l)
printf '%s\n' "$@" > "$FAKE_GH_DIR/call-$n.args"
printf '%s' "${GH_TOKEN:-}" > "$FAKE_GH_DIR/call-$n.token"
for arg in "$@"; do
  case "$arg" in body=@*) cp "${arg#body=@}" "$FAKE_GH_DIR/call-$n.body" ;; esac
done
if [ "${FAKE_GH_FAIL:-0}" = 1 ]; then
  echo "HTTP 403: Resource not accessible by integration" >&2
  exit 1
fi
case " $* " in *" --method "*) ;; *) printf '%b' "${FAKE_GH_IDS:-}" ;; esac
"#;

/// One call the fake `gh` recorded.
#[derive(Debug)]
struct GhCall {
    args: Vec<String>,
    token: String,
    body: Option<String>,
}

/// The comment step with a fake `gh`, as for pull request 7 of o/r: its output and the calls.
fn comment_step(env: &[(&str, &str)]) -> (Output, Vec<GhCall>) {
    let runner = Runner::new(Path::new("/nonexistent"));
    runner.tool("gh", FAKE_GH);
    let calls = runner.path("gh-calls");
    std::fs::create_dir_all(&calls).unwrap();
    let markdown = runner.path("report.md");
    std::fs::write(
        &markdown,
        "### clearance: license diff\n\n✅ No new findings.\n",
    )
    .unwrap();
    let out = runner
        .step("comment.sh")
        .env("FAKE_GH_DIR", &calls)
        .env("GH_TOKEN", "ghs_not-a-real-token")
        .env("GITHUB_REPOSITORY", "o/r")
        .env("PR_NUMBER", "7")
        .env("INPUT_COMMAND", "diff")
        .env("MARKDOWN_FILE", &markdown)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert!(
        !text(&out).contains("ghs_not-a-real-token"),
        "the token is printed: {}",
        text(&out)
    );
    let recorded = (0..)
        .map(|n| calls.join(format!("call-{n}")))
        .take_while(|call| call.with_extension("args").exists())
        .map(|call| GhCall {
            args: read(&call.with_extension("args"))
                .lines()
                .map(str::to_owned)
                .collect(),
            token: read(&call.with_extension("token")),
            body: std::fs::read_to_string(call.with_extension("body")).ok(),
        })
        .collect();
    (out, recorded)
}

const MARKER: &str = "<!-- clearance-report:diff -->";

#[test]
fn the_comment_is_posted_once_then_updated_in_place() {
    let (out, calls) = comment_step(&[("FAKE_GH_IDS", "")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert_eq!(
        calls[0].args[..3],
        ["api", "--paginate", "repos/o/r/issues/7/comments"]
    );
    assert!(calls[0].args[4].contains(MARKER), "{calls:?}");
    assert_eq!(
        calls[1].args[..4],
        ["api", "--method", "POST", "repos/o/r/issues/7/comments"]
    );
    assert_eq!(
        calls[1].body.as_deref(),
        Some(format!("{MARKER}\n### clearance: license diff\n\n✅ No new findings.\n").as_str())
    );
    assert!(calls.iter().all(|c| c.token == "ghs_not-a-real-token"));

    // A later push: the comment holding the marker is edited, no new one is added.
    let (out, calls) = comment_step(&[("FAKE_GH_IDS", "123\\n456\\n")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert_eq!(
        calls[1].args[..4],
        ["api", "--method", "PATCH", "repos/o/r/issues/comments/123"]
    );
    assert!(calls[1].body.as_deref().unwrap().starts_with(MARKER));
}

#[test]
fn the_comment_step_never_fails_the_job() {
    // Not a pull request: nothing is posted.
    let (out, calls) = comment_step(&[("PR_NUMBER", "")]);
    assert_eq!(out.status.code(), Some(0));
    assert!(calls.is_empty(), "{calls:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("::notice"));

    // A read-only token (a pull request from a fork): a warning.
    let (out, calls) = comment_step(&[("FAKE_GH_FAIL", "1")]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(calls.len(), 1);
    assert!(String::from_utf8_lossy(&out.stdout).contains("::warning"));

    // No report (clearance could not run): the comment says so rather than going stale.
    let (out, calls) = comment_step(&[
        ("MARKDOWN_FILE", ""),
        ("EXIT_CODE", "2"),
        ("COMMENT_KEY", "licenses--app <x>"),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let body = calls[1].body.as_deref().unwrap();
    assert!(
        body.starts_with("<!-- clearance-report:licenses-app__x_ -->\n"),
        "{body}"
    );
    assert!(
        body.contains("clearance could not run (exit code 2)"),
        "{body}"
    );
}

#[test]
fn a_prebuilt_binary_is_installed_checked_and_put_on_path() {
    let binary = env!("CARGO_BIN_EXE_clearance");
    let digest = clearance_core::license::sha256_hex(&std::fs::read(binary).unwrap());
    let runner = Runner::new(&repo());
    let plan = runner
        .step("install.sh")
        .arg("plan")
        .env("INPUT_BINARY", binary)
        .output()
        .unwrap();
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan));
    let o = runner.outputs();
    assert_eq!((o["method"].as_str(), o["key"].as_str()), ("binary", ""));
    let install = runner
        .step("install.sh")
        .arg("install")
        .env("INPUT_BINARY", binary)
        .env("INPUT_BINARY_SHA256", &digest)
        .output()
        .unwrap();
    assert_eq!(install.status.code(), Some(0), "{}", text(&install));
    let o = runner.outputs();
    let bin = Path::new(&o["bin"]);
    assert_eq!(bin, Path::new(&o["root"]).join("bin/clearance"));
    assert_eq!(std::fs::read(bin).unwrap(), std::fs::read(binary).unwrap());
    assert_eq!(
        o["version"],
        format!("clearance {}", env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(
        read(&runner.path("path")),
        format!("{}\n", bin.parent().unwrap().display())
    );

    let runner = Runner::new(&repo());
    let wrong = runner
        .step("install.sh")
        .arg("install")
        .env("INPUT_BINARY", binary)
        .env("INPUT_BINARY_SHA256", "0".repeat(64))
        .output()
        .unwrap();
    assert_eq!(wrong.status.code(), Some(2), "{}", text(&wrong));
    assert!(text(&wrong).contains(&format!("SHA-256 {digest}, expected")));
    assert!(
        !runner
            .path("tool-cache/clearance/binary/bin/clearance")
            .exists()
    );
}

#[test]
fn a_source_build_is_keyed_by_its_files_and_skipped_when_the_cache_holds_it() {
    let runner = Runner::new(&repo());
    let source = runner.path("source");
    std::fs::create_dir_all(source.join("src")).unwrap();
    std::fs::create_dir_all(source.join("target")).unwrap();
    std::fs::write(
        source.join("Cargo.toml"),
        "[package]\nname = \"clearance\"\n",
    )
    .unwrap();
    std::fs::write(source.join("src/main.rs"), "fn main() {}\n").unwrap();
    // A fake cargo: records its arguments and fails, so a build that runs is seen.
    runner.tool(
        "cargo",
        "#!/usr/bin/env bash\nprintf '%s\\n' \"$*\" >> \"$FAKE_CARGO_LOG\"\nexit 101\n",
    );
    let cargo_log = runner.path("cargo.log");
    let step = |what: &str| {
        let out = runner
            .step("install.sh")
            .arg(what)
            .env("INPUT_INSTALL_PATH", &source)
            .env("FAKE_CARGO_LOG", &cargo_log)
            .output()
            .unwrap();
        (out, runner.outputs())
    };
    let (plan, o) = step("plan");
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan));
    let key = o["key"].clone();
    assert_eq!(o["method"], "path");
    assert!(
        key.starts_with("clearance-") && key.contains("-src-"),
        "{key}"
    );
    assert_eq!(
        Path::new(&o["root"]),
        runner.path("tool-cache/clearance").join(&key)
    );

    std::fs::write(source.join("target/build-output"), "ignored").unwrap();
    assert_eq!(step("plan").1["key"], key, "target/ is not part of the key");
    std::fs::write(source.join("src/main.rs"), "fn main() { changed() }\n").unwrap();
    let (_, o) = step("plan");
    assert_ne!(o["key"], key, "a source change makes a new key");
    let root = PathBuf::from(&o["root"]);

    // Nothing cached: cargo install builds it (here: the fake cargo, which fails).
    let (install, _) = step("install");
    assert_ne!(install.status.code(), Some(0));
    assert_eq!(
        read(&cargo_log),
        format!(
            "install --locked --force --root {} --path {}\n",
            root.display(),
            source.display()
        )
    );

    // A restored cache: no build.
    std::fs::create_dir_all(root.join("bin")).unwrap();
    std::fs::write(
        root.join("bin/clearance"),
        "#!/bin/sh\necho 'clearance 9.9.9'\n",
    )
    .unwrap();
    make_executable(&root.join("bin/clearance"));
    std::fs::remove_file(&cargo_log).unwrap();
    let (install, o) = step("install");
    assert_eq!(install.status.code(), Some(0), "{}", text(&install));
    assert!(!cargo_log.exists(), "cargo ran despite the cache");
    assert_eq!(o["version"], "clearance 9.9.9");
}
