#!/usr/bin/env bash
# usage: comment.sh
#
# The pull-request comment step of the clearance GitHub Action (action.yml), runnable outside
# GitHub: posts the Markdown report as a comment on the pull request, or updates the comment
# an earlier run posted, found by a hidden marker (`<!-- clearance-report:KEY -->`), so a
# pull request holds one current report per KEY however often it is pushed to. Uses `gh api`
# with the token in GH_TOKEN, which is never printed. A comment that cannot be posted (for
# instance with the read-only token of a pull request from a fork) is a warning, not a
# failure: the report is in the step summary either way.
#
# Inputs, from the environment:
#   GITHUB_REPOSITORY  OWNER/REPO
#   PR_NUMBER          the pull request's number (no comment without one)
#   MARKDOWN_FILE      the report (when empty: a note that clearance could not run)
#   EXIT_CODE          clearance's exit code, for that note
#   COMMENT_KEY        tells apart the reports of several runs on one pull request
#                      (default: the command, INPUT_COMMAND)
set -euo pipefail

# GitHub refuses comments longer than 65,536 characters; keep well below.
max_bytes=60000

if [ -z "${PR_NUMBER:-}" ]; then
  echo "::notice title=clearance::not a pull request: no comment posted"
  exit 0
fi
repo=${GITHUB_REPOSITORY:?GITHUB_REPOSITORY is not set}
key=${COMMENT_KEY:-${INPUT_COMMAND:-check}}
# The key goes inside an HTML comment: keep it to safe characters, and free of `--`.
key=${key//[^A-Za-z0-9._:\/-]/_}
while [[ $key == *--* ]]; do
  key=${key//--/-}
done
marker="<!-- clearance-report:$key -->"

body=$(mktemp)
trap 'rm -f "$body"' EXIT
{
  printf '%s\n' "$marker"
  if [ -n "${MARKDOWN_FILE:-}" ] && [ -f "$MARKDOWN_FILE" ]; then
    if [ "$(wc -c < "$MARKDOWN_FILE")" -gt "$max_bytes" ]; then
      head -c "$max_bytes" "$MARKDOWN_FILE"
      printf '\n\n… (cut: the whole report is in the workflow run'"'"'s summary)\n'
    else
      cat "$MARKDOWN_FILE"
    fi
  else
    printf '### clearance\n\n⚠️ No report: clearance could not run (exit code %s); see the workflow log.\n' \
      "${EXIT_CODE:-unknown}"
  fi
} > "$body"

# The id of the first comment holding the marker, if any.
ids=$(gh api --paginate "repos/$repo/issues/$PR_NUMBER/comments" \
  --jq ".[] | select(.body | contains(\"$marker\")) | .id") || {
  echo "::warning title=clearance::could not list the pull request's comments"
  exit 0
}
id=${ids%%$'\n'*}

if [ -n "$id" ]; then
  if gh api --method PATCH "repos/$repo/issues/comments/$id" -F "body=@$body" --silent; then
    echo "updated comment $id on pull request #$PR_NUMBER"
  else
    echo "::warning title=clearance::could not update comment $id"
  fi
elif gh api --method POST "repos/$repo/issues/$PR_NUMBER/comments" -F "body=@$body" --silent; then
  echo "commented on pull request #$PR_NUMBER"
else
  echo "::warning title=clearance::could not comment on pull request #$PR_NUMBER"
fi
