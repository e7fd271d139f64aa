#!/usr/bin/env python3
"""Generate data/language.json: the Azure Pipelines YAML language, compactly.

Reads `reference/service-schema.json` (the JSON schema the service and Microsoft's editor
extension validate pipelines with) and `reference/yaml-schema/*.md` (Microsoft's YAML schema
reference, one page per keyword) under the shared reference folder (`../shared` next to the
repository, or $AZPLS_SHARED). Writes, for every definition of the schema, the shapes a value may
take there:

- a scalar (`string`, `boolean`, `integer`), optionally limited to a list of values;
- a sequence of another definition;
- a mapping with its known keys (each with its definition, description, deprecation and whether
  editors should offer it), the keys it requires, the key that identifies it (`firstProperty`),
  and the definition of any other key (`open`).

Anonymous definitions nested in the schema get names made of their parent's and their key
(`job.strategy`). The task definition keeps only the keys every task step has: the per-task
input lists are the task catalog's business (data/catalog.json).

Where the JSON schema is vaguer than the service, `OVERRIDES` below says what the service does,
with the page that says so: numbers the service parses as integers are typed `integer` though
the schema says `string`. `PAGES` ties a definition to its reference page (for hover links), and
the generator checks that every page it names exists. `SUGGESTIONS` lists values the reference
pages name for keys the schema leaves open (`workspace: clean: outputs | resources | all`):
completion offers them, the checker does not enforce them.

    python3 data/gen_language.py            write data/language.json
    python3 data/gen_language.py --check    exit 1 with a diff if it is stale;
                                            exit 0 with "SKIP:" on stderr if the shared folder is absent

Exit code 2: the shared folder is missing (write mode) or the schema has a construct this
generator does not understand (the message names the definition). Python 3.11 standard library
only.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from gen_common import no_shared, shared_dir, write_or_check

DATA = Path(__file__).resolve().parent
OUT = DATA / "language.json"
REFERENCE_URL = "https://learn.microsoft.com/azure/devops/pipelines/yaml-schema/"

# Definition -> reference page slug (reference/yaml-schema/<slug>.md). Only definitions that
# have a page of their own; keys inherit the page of the definition they appear in.
PAGES = {
    "pipeline": "pipeline",
    "pipelineBase": "pipeline",
    "stages": "stages",
    "stage": "stages-stage",
    "stagesTemplate": "stages-template",
    "jobs": "jobs",
    "job": "jobs-job",
    "jobsTemplate": "jobs-template",
    "jobContainer": "jobs-job-container",
    "jobStrategy": "jobs-job-strategy",
    "jobWorkspace": "workspace",
    "deploymentStrategy": "jobs-deployment-strategy",
    "runOnceDeploymentStrategy": "jobs-deployment-strategy-run-once",
    "rollingDeploymentStrategy": "jobs-deployment-strategy-rolling",
    "canaryDeploymentStrategy": "jobs-deployment-strategy-canary",
    "deploymentEnvironment": "jobs-deployment-environment",
    "preDeployHook": "pre-deploy-hook",
    "deployHook": "deploy-hook",
    "routeTrafficHook": "route-traffic-hook",
    "postRouteTrafficHook": "post-route-traffic-hook",
    "onSuccessOrFailureHook": "on-success-or-failure-hook",
    "onSuccessHook": "on-success-hook",
    "onFailureHook": "on-failure-hook",
    "steps": "steps",
    "stepsTemplate": "steps-template",
    "task": "steps-task",
    "stepTarget": "target",
    "pool": "pool",
    "poolDemands": "pool-demands",
    "trigger": "trigger",
    "pr": "pr",
    "schedules": "schedules",
    "schedule": "schedules-cron",
    "resources": "resources",
    "buildResources": "resources-builds",
    "buildResource": "resources-builds-build",
    "containerResources": "resources-containers",
    "containerResource": "resources-containers-container",
    "containerResourceTrigger": "resources-containers-container-trigger",
    "packageResources": "resources-packages",
    "packageResource": "resources-packages-package",
    "pipelineResources": "resources-pipelines",
    "pipelineResource": "resources-pipelines-pipeline",
    "pipelineResourceTrigger": "resources-pipelines-pipeline-trigger",
    "repositoryResources": "resources-repositories",
    "repositoryResource": "resources-repositories-repository",
    "webhookResources": "resources-webhooks",
    "webhookResource": "resources-webhooks-webhook",
    "webhookFilters": "resources-webhooks-webhook-filters",
    "webhookFilter": "resources-webhooks-webhook-filters-filter",
    "variables": "variables",
    "variablesTemplate": "variables-template",
    "pipelineTemplateParameters": "parameters",
    "pipelineTemplateParameter": "parameters-parameter",
    "templateParameters": "parameters",
    "templateParameter": "parameters-parameter",
    "extends": "extends",
    "includeExcludeFilters": "include-exclude-filters",
    "includeExcludeStringFilters": "include-exclude-string-filters",
    "readOnlyMounts": "mount-read-only",
    "boolean": "boolean",
}

# Step kinds: the key that makes a mapping in `steps:` a step of that kind, and its page.
STEP_PAGES = {
    "task": "steps-task",
    "script": "steps-script",
    "bash": "steps-bash",
    "pwsh": "steps-pwsh",
    "powershell": "steps-powershell",
    "checkout": "steps-checkout",
    "download": "steps-download",
    "downloadBuild": "steps-download-build",
    "getPackage": "steps-get-package",
    "publish": "steps-publish",
    "reviewApp": "steps-review-app",
    "template": "steps-template",
}

# (definition, key) -> what the service really accepts, where the schema says only "string".
# Each entry: the value type and the reference page whose text says so.
OVERRIDES = {
    ("job", "timeoutInMinutes"): ("integer", "jobs-job: time in minutes; 0 means the maximum"),
    ("job", "cancelTimeoutInMinutes"): ("integer", "jobs-job: time in minutes"),
    ("deployment", "timeoutInMinutes"): ("integer", "jobs-deployment: time in minutes"),
    ("deployment", "cancelTimeoutInMinutes"): ("integer", "jobs-deployment: time in minutes"),
    ("step", "timeoutInMinutes"): ("integer", "task-timeout: time in minutes"),
    ("step", "retryCountOnTaskFailure"): ("integer", "steps-task: number of retries, at most 10"),
    ("checkout", "timeoutInMinutes"): ("integer", "task-timeout: time in minutes"),
    ("checkout", "retryCountOnTaskFailure"): ("integer", "steps-checkout: number of retries"),
    ("checkout", "fetchDepth"): ("integer", "steps-checkout: depth of the Git graph; 0 means all history"),
    ("checkout", "clean"): ("boolean", "steps-checkout: clean: true | false"),
    ("pipeline", "parameters"): ("templateParameters", "parameters: templates may still declare parameters as a mapping of names to defaults"),
    ("jobStrategy", "maxParallel"): ("integer", "jobs-job-strategy: a number of jobs"),
    ("jobStrategy", "parallel"): ("integer", "jobs-job-strategy: a number of jobs"),
}

# (definition, key) -> values editors offer where the schema takes any string: the service
# accepts expressions and other spellings there, so these are suggestions, never checked.
# Each entry: the values and the reference page whose syntax block lists them.
SUGGESTIONS = {
    ("jobWorkspace", "clean"): (["outputs", "resources", "all"], "workspace: clean: outputs | resources | all"),
    ("phaseTargetWorkspace", "clean"): (["outputs", "resources", "all"], "workspace: clean: outputs | resources | all"),
    ("checkout", "submodules"): (["true", "recursive", "false"], "steps-checkout: 'true' for one level, 'recursive' for all"),
    ("checkout", "lfs"): (["true", "false"], "steps-checkout: set to 'true' to download Git-LFS files"),
    ("checkout", "fetchTags"): (["true", "false"], "steps-checkout: 'true' to sync tags, 'false' not to"),
    ("checkout", "persistCredentials"): (["true", "false"], "steps-checkout: 'true' to leave the OAuth token"),
    ("checkout", "workspaceRepo"): (["true", "false"], "steps-checkout: workspaceRepo: true | false"),
    ("repositoryCheckoutOptions", "clean"): (["true", "false"], "steps-checkout: clean: true | false"),
    ("repositoryCheckoutOptions", "submodules"): (["true", "recursive", "false"], "steps-checkout: 'true' for one level, 'recursive' for all"),
    ("repositoryCheckoutOptions", "lfs"): (["true", "false"], "steps-checkout: set to 'true' to download Git-LFS files"),
    ("repositoryCheckoutOptions", "fetchTags"): (["true", "false"], "steps-checkout: 'true' to sync tags, 'false' not to"),
    ("repositoryCheckoutOptions", "persistCredentials"): (["true", "false"], "steps-checkout: 'true' to leave the OAuth token"),
    ("stepTarget", "commands"): (["any", "restricted"], "target: commands: any | restricted"),
    ("repositoryResource", "type"): (["git", "github", "githubenterprise", "bitbucket"], "resources-repositories-repository: type: git | github | githubenterprise | bitbucket"),
    ("checkout", "checkout"): (["self", "none"], "steps-checkout: self, none, or a repository's name or alias"),
    ("deploymentEnvironment", "resourceType"): (["virtualMachine", "Kubernetes"], "jobs-deployment-environment: supported types virtualMachine, Kubernetes"),
}

# What a value means, where a reference page says so: hovers show it. The facts come from the
# page named with each entry (the generator checks that it exists and names every value); the
# wording is this project's. TYPE_MEANINGS hold for a type wherever it is used (`trigger: none`);
# KEY_MEANINGS for one key of a definition, named as in SUGGESTIONS (`lfs: true`). Every value
# must be one the key or type takes: a listed value, a suggestion, or `true`/`false` for a
# boolean.
_PARAMETER_TYPES = {
    "string": "the parameter is a string",
    "number": "the parameter is a number; `values:` may limit it, otherwise any text that reads as a number will do",
    "boolean": "the parameter is `true` or `false`",
    "object": "the parameter is any YAML structure",
    "step": "the parameter is one step",
    "stepList": "the parameter is a list of steps",
    "job": "the parameter is one job",
    "jobList": "the parameter is a list of jobs",
    "deployment": "the parameter is one deployment job",
    "deploymentList": "the parameter is a list of deployment jobs",
    "stage": "the parameter is one stage",
    "stageList": "the parameter is a list of stages",
}

TYPE_MEANINGS = {
    "trigger": ("trigger", {
        "none": "continuous integration is off: no push starts a run",
    }),
    "pr": ("pr", {
        "none": "pull request triggers are off: no pull request starts a run (pushes still can)",
    }),
    "lockBehavior": ("stages-stage", {
        "sequential": "runs that wait for an exclusive lock all get it, one after the other",
        "runLatest": "of the runs that wait for an exclusive lock, only the newest gets it (on a stage, newest per branch); the default",
    }),
    "stageTrigger": ("stages-stage", {
        "manual": "the stage waits until someone starts it by hand",
        "automatic": "the stage starts by itself; the default",
    }),
    "buildResourceTrigger": ("resources-builds-build", {
        "none": "a completed build of this resource starts no run",
        "true": "a completed build of this resource may start a run of this pipeline",
    }),
    "packageResourceTrigger": ("resources-packages-package", {
        "none": "a new version of this package starts no run",
        "true": "each new version of this package starts a run of this pipeline",
    }),
    "containerResourceTrigger": ("resources-containers-container-trigger", {
        "none": "a new image tag starts no run; the default",
        "true": "a new tag of the image, whatever its name, starts a run of this pipeline",
    }),
    "pipelineResourceTrigger": ("resources-pipelines-pipeline", {
        "none": "a completed run of that pipeline starts no run of this one",
        "true": "a completed run of that pipeline, on any branch, starts a run of this one",
    }),
    "variableRestrictions": ("target-settable-variables", {
        "none": "the step may set no variable at all",
    }),
    "stepTarget.commands": ("target", {
        "any": "the step may use every logging command; the default",
        "restricted": "the step may ask less of the agent: no attaching logs, no uploading artifacts and a few other commands refused",
    }),
    "templateParameterType": ("parameters-parameter", _PARAMETER_TYPES),
    "pipelineTemplateParameterType": ("parameters-parameter", _PARAMETER_TYPES),
}

_CHECKOUT_OPTIONS = {
    "clean": {
        "true": "runs `git clean -ffdx` and `git reset --hard HEAD` before fetching",
        "false": "fetches into the working copy without cleaning it first",
    },
    "fetchTags": {
        "true": "fetches the repository's tags too",
        "false": "fetches no tags",
    },
    "lfs": {
        "true": "downloads the Git LFS files too",
        "false": "leaves the Git LFS files out; the default",
    },
    "persistCredentials": {
        "true": "keeps the OAuth token in the Git config after the first fetch",
        "false": "does not keep the OAuth token in the Git config; the default",
    },
    "submodules": {
        "true": "fetches one level of submodules",
        "recursive": "fetches submodules and their own submodules, all the way down",
        "false": "fetches no submodules; the default",
    },
}

_TRIGGER_ENABLED = {
    "true": "the trigger is on; the default",
    "false": "the trigger is off",
}

_DOCKER_SOCKET = {
    "true": "the agent sets up the `/var/run/docker.sock` volume in the container",
    "false": "the agent does not set up the `/var/run/docker.sock` volume in the container",
}

_APPEND_COMMIT_MESSAGE = {
    "true": "the run is named by its build number followed by the commit message; the default",
    "false": "the run is named by its build number alone",
}

KEY_MEANINGS = {
    ("checkout", "checkout"): ("steps-checkout", {
        "self": "checks out the repository this pipeline is defined in; a job with no checkout step does this",
        "none": "checks out no repository; a deployment job with no checkout step does this",
    }),
    **{("checkout", key): ("steps-checkout", meanings) for key, meanings in _CHECKOUT_OPTIONS.items()},
    **{("repositoryCheckoutOptions", key): ("steps-checkout", meanings) for key, meanings in _CHECKOUT_OPTIONS.items()},
    ("checkout", "workspaceRepo"): ("steps-checkout", {
        "true": "the repository's root becomes the pipeline's default working directory",
        "false": "the default working directory is left as it is; the default",
    }),
    ("stage", "isSkippable"): ("stages-stage", {
        "true": "the stage may be skipped; the default",
        "false": "the stage cannot be skipped",
    }),
    ("trigger", "batch"): ("trigger", {
        "true": "while a run is in progress, pushes wait; when it ends, one run starts with every change not built yet",
        "false": "pushes are not batched; the default",
    }),
    ("schedule", "batch"): ("schedules-cron", {
        "true": "no scheduled run starts while the previous one is still in progress",
        "false": "a scheduled run starts even while the previous one is in progress; the default",
    }),
    ("schedule", "always"): ("schedules-cron", {
        "true": "the scheduled run happens even when the code has not changed since the last successful scheduled run",
        "false": "the scheduled run happens only when the code changed since the last successful scheduled run; the default",
    }),
    ("pr", "autoCancel"): ("pr", {
        "true": "a new commit to the pull request's branch cancels its runs in progress; the default",
        "false": "runs in progress go on when a new commit arrives",
    }),
    ("pr", "drafts"): ("pr", {
        "true": "draft pull requests start runs too; the default",
        "false": "draft pull requests start no run",
    }),
    ("variable", "readonly"): ("variables-name", {
        "true": "the variable is read-only",
        "false": "the variable may be changed; the default",
    }),
    ("jobContainer", "mapDockerSocket"): ("jobs-job-container", _DOCKER_SOCKET),
    ("containerBase", "mapDockerSocket"): ("jobs-job-container", _DOCKER_SOCKET),
    ("containerResource", "mapDockerSocket"): ("resources-containers-container", _DOCKER_SOCKET),
    ("containerResource", "localImage"): ("resources-containers-container", {
        "true": "uses an image tagged on the agent instead of pulling it with `docker pull`: only for self-hosted agents that already have it",
        "false": "pulls the image with `docker pull`; the default",
    }),
    ("containerResourceTrigger", "enabled"): ("resources-containers-container-trigger", _TRIGGER_ENABLED),
    ("pipelineResourceTrigger", "enabled"): ("resources-pipelines-pipeline-trigger", _TRIGGER_ENABLED),
    ("pipeline", "appendCommitMessageToRunName"): ("pipeline", _APPEND_COMMIT_MESSAGE),
    ("pipelineBase", "appendCommitMessageToRunName"): ("pipeline", _APPEND_COMMIT_MESSAGE),
    **{("readOnlyMounts", key): ("mount-read-only", {
        "true": f"the container sees the agent's {key} directory read-only",
        "false": f"the container may write to the agent's {key} directory",
    }) for key in ("work", "externals", "tools", "tasks")},
    ("deploymentEnvironment", "resourceType"): ("jobs-deployment-environment", {
        "virtualMachine": "the job targets a virtual machine resource of the environment",
        "Kubernetes": "the job targets a Kubernetes resource of the environment",
    }),
}

SCALARS = {"string", "boolean", "integer"}

# Patterns of the schema, as the named formats the checker knows (a regex engine per value
# is not worth its weight for three patterns).
FORMATS = {
    r"^[-_A-Za-z0-9]*$": "name",
    r"^[_A-Za-z0-9]*$": "identifier",
    r"^[^\/~\^\: \[\]\\]+(\/[^\/~\^\: \[\]\\]+)*$": "branch",
}

# Alternatives of a definition, told apart by their first key, that have a page of their own.
SHAPE_PAGES = {
    ("job", "job"): "jobs-job",
    ("job", "deployment"): "jobs-deployment",
    ("job", "template"): "jobs-template",
    ("stage", "stage"): "stages-stage",
    ("stage", "template"): "stages-template",
    ("variable", "name"): "variables-name",
    ("variable", "group"): "variables-group",
    ("variable", "template"): "variables-template",
    **{("step", key): page for key, page in STEP_PAGES.items()},
    ("task", "task"): "steps-task",
}


class Unknown(Exception):
    """A schema construct this generator doesn't understand."""


class Builder:
    def __init__(self, schema: dict, pages: set[str]):
        self.defs = schema["definitions"]
        self.pages = pages
        self.types: dict[str, dict] = {}
        # Anonymous alternatives of `job` and `step` named after their identifying key
        # (`job#2` -> `deployment`), for OVERRIDES; see `label_kinds`.
        self.current_kind: dict[str, str] = {}
        self.suggested: set[tuple[str, str]] = set()
        # The meanings this builder writes (tests give their own) and those it used.
        self.type_meanings = TYPE_MEANINGS
        self.key_meanings = KEY_MEANINGS
        self.meant: set[object] = set()

    def ref_name(self, node: dict) -> str | None:
        ref = node.get("$ref")
        if ref is None:
            return None
        prefix = "#/definitions/"
        if not ref.startswith(prefix):
            raise Unknown(f"reference {ref!r}")
        return ref[len(prefix):]

    def type_of(self, node: dict, name: str) -> str:
        """The name of the type `node` describes, registering it (as `name`) when it is inline."""
        ref = self.ref_name(node)
        if ref is not None and not (set(node) - {"$ref", "description", "deprecationMessage", "doNotSuggest", "examples", "type"}):
            self.define(ref)
            return ref
        self.build(name, node)
        return name

    def define(self, name: str) -> None:
        if name in self.types:
            return
        self.build(name, self.defs[name])

    def build(self, name: str, node: dict) -> None:
        self.types[name] = {}  # placeholder, for recursive definitions
        entry: dict = {}
        if node.get("description"):
            entry["description"] = node["description"]
        page = PAGES.get(name)
        if page:
            if page not in self.pages:
                raise Unknown(f"{name}: reference page {page}.md does not exist")
            entry["page"] = page
        entry["shapes"] = self.shapes(name, node)
        if name in self.type_meanings:
            entry["meanings"] = dict(self.type_meanings[name][1])
            self.meant.add(name)
        self.types[name] = entry

    def shapes(self, name: str, node: dict) -> list[dict]:
        if name == "task":
            return [self.task_shape()]
        if "anyOf" in node or "oneOf" in node:
            alternatives = node.get("anyOf") or node.get("oneOf")
            if "properties" in node:
                raise Unknown(f"{name}: properties beside anyOf")
            shapes = []
            for i, alt in enumerate(alternatives):
                ref = self.ref_name(alt)
                if ref is not None:
                    self.define(ref)
                    shapes.extend(self.types[ref]["shapes"])
                else:
                    shapes.extend(self.shapes(f"{name}#{i + 1}", alt))
            return merge_scalars(shapes)
        ref = self.ref_name(node)
        if ref is not None and "enum" in node:
            # A string limited to a list (`workspace.clean`): the list is the stricter fact.
            return [self.scalar(node)]
        if ref is not None:
            self.define(ref)
            return list(self.types[ref]["shapes"])
        kind = node.get("type")
        if kind == "array":
            items = node.get("items", {})
            return [{"sequence": self.type_of(items, f"{name}[]") if items else "any"}]
        if kind == "object" or "properties" in node:
            return [self.mapping(name, node)]
        if kind == "string" or "enum" in node or "pattern" in node:
            return [self.scalar(node)]
        if kind in ("boolean", "integer", "number"):
            return [{"scalar": "integer" if kind == "number" else kind}]
        if kind is None and not node:
            return [{"any": True}]
        raise Unknown(f"{name}: {json.dumps(node)[:120]}")

    def scalar(self, node: dict) -> dict:
        shape: dict = {"scalar": "string"}
        values = None
        if "enum" in node:
            values = [str(v) for v in node["enum"]]
        elif "pattern" in node:
            pattern = node["pattern"]
            literal = re.fullmatch(r"\^([-\w.@ ]*)\$", pattern)
            if literal and literal.group(1):
                values = [literal.group(1)]
            elif pattern == "^$":
                values = [""]
            elif pattern in FORMATS:
                shape["format"] = FORMATS[pattern]
            else:
                raise Unknown(f"pattern {pattern!r} has no format")
        if values is not None:
            shape["values"] = values
            if node.get("ignoreCase") in ("value", "all"):
                shape["ignoreCase"] = True
        return shape

    def mapping(self, name: str, node: dict) -> dict:
        keys = {}
        for key, prop in node.get("properties", {}).items():
            keys[key] = self.prop(name, key, prop)
        shape: dict = {"mapping": keys}
        if node.get("required"):
            shape["required"] = list(node["required"])
        if node.get("firstProperty"):
            shape["first"] = list(node["firstProperty"])
            page = SHAPE_PAGES.get((name.split("#")[0].split(".")[0], shape["first"][0]))
            if page:
                if page not in self.pages:
                    raise Unknown(f"{name}: reference page {page}.md does not exist")
                shape["page"] = page
        extra = node.get("additionalProperties", True)
        if extra is True:
            shape["open"] = "any"
        elif isinstance(extra, dict):
            shape["open"] = self.type_of(extra, f"{name}.*")
        return shape

    def prop(self, owner: str, key: str, prop: dict) -> dict:
        base = owner.split("#")[0]
        override = OVERRIDES.get((self.kind_of(owner, base), key))
        if override:
            kind = override[0]
            if kind in SCALARS:
                self.types.setdefault(kind, {"shapes": [{"scalar": kind}]})
            else:
                self.define(kind)
        else:
            kind = self.type_of(prop, f"{base}.{key}")
        out: dict = {"type": kind}
        if prop.get("description"):
            out["description"] = prop["description"]
        if prop.get("deprecationMessage"):
            out["deprecated"] = prop["deprecationMessage"]
        if prop.get("doNotSuggest"):
            out["hidden"] = True
        suggestion = SUGGESTIONS.get((self.kind_of(owner, base), key))
        if suggestion:
            out["suggest"] = suggestion[0]
            self.suggested.add((self.kind_of(owner, base), key))
        meaning = self.key_meanings.get((self.kind_of(owner, base), key))
        if meaning:
            out["meanings"] = dict(meaning[1])
            self.meant.add((self.kind_of(owner, base), key))
        return out

    def takes(self, type_name: str, suggest: list[str]) -> set[str]:
        """The values a key of this type takes, as hovers look them up: listed values,
        suggestions, and `true`/`false` for a boolean."""
        values = set(suggest)
        for shape in self.types[type_name]["shapes"]:
            if shape.get("scalar") == "boolean":
                values |= {"true", "false"}
            values |= set(shape.get("values", []))
        return values

    def check_meanings(self) -> None:
        """Every meaning is of a value its key or type takes, and every entry was used."""
        for name, entry in self.types.items():
            for value in entry.get("meanings", {}):
                if value not in self.takes(name, []):
                    raise Unknown(f"TYPE_MEANINGS: {name} does not take {value!r}")
            for shape in entry.get("shapes", []):
                for key, prop in (shape.get("mapping") or {}).items():
                    taken = self.takes(prop["type"], prop.get("suggest", []))
                    for value in prop.get("meanings", {}):
                        if value not in taken:
                            raise Unknown(f"KEY_MEANINGS: {name}.{key} does not take {value!r}")
        unused = sorted(map(str, (set(self.type_meanings) | set(self.key_meanings)) - self.meant))
        if unused:
            raise Unknown(f"meanings name keys or types the schema lacks: {unused}")

    def kind_of(self, owner: str, base: str) -> str:
        """The OVERRIDES owner name for a mapping: deployments and step kinds are alternatives
        of `job` and `step` in the schema, told apart by their identifying key."""
        return self.current_kind.get(owner, base)

    def task_shape(self) -> dict:
        task = self.defs["task"]
        props = dict(self.defs["taskBase"]["properties"])
        props.update(task["properties"])
        props["task"] = {"description": "The task to run, as Name@major", "type": "string"}
        props["inputs"] = {"description": "Inputs of the task", "$ref": "#/definitions/mapping"}
        self.current_kind["task"] = "step"
        return self.mapping("task", {"properties": props, "additionalProperties": False,
                                     "firstProperty": ["task"], "required": ["task"]})


def check_cited(pages: Path, type_meanings: dict, key_meanings: dict) -> None:
    """The page each meaning cites exists and names every value it explains (a boolean's
    page names its key: "Default: true" says what false means)."""
    tables = [(f"TYPE_MEANINGS {name}", None, entry) for name, entry in type_meanings.items()]
    tables += [(f"KEY_MEANINGS {d}.{k}", k, entry) for (d, k), entry in key_meanings.items()]
    for what, key, (page, meanings) in tables:
        path = pages / f"{page}.md"
        if not path.is_file():
            raise Unknown(f"{what}: reference page {page}.md does not exist")
        text = path.read_text(encoding="utf-8").lower()
        named = [key if key and v in ("true", "false") else v for v in meanings]
        missing = [n for n in named if n.lower() not in text]
        if missing:
            raise Unknown(f"{what}: {page}.md does not name {', '.join(missing)}")


def merge_scalars(shapes: list[dict]) -> list[dict]:
    """Several single-value string alternatives (`^true$`, `^yes$` …) become one list."""
    out: list[dict] = []
    for shape in shapes:
        if shape.get("scalar") == "string" and "values" in shape and "format" not in shape:
            for prev in out:
                if prev.get("scalar") == "string" and "values" in prev and "format" not in prev and prev.get("ignoreCase") == shape.get("ignoreCase"):
                    prev["values"] = prev["values"] + [v for v in shape["values"] if v not in prev["values"]]
                    break
            else:
                out.append(dict(shape))
        elif shape not in out:
            out.append(shape)
    # A plain string alternative accepts every listed value anyway.
    if any(s.get("scalar") == "string" and "values" not in s and "format" not in s for s in out):
        out = [s for s in out if not (s.get("scalar") == "string" and ("values" in s or "format" in s))]
    return out


def label_kinds(builder: Builder, schema: dict) -> None:
    """Names the alternatives of `job` and `step` after their identifying key, so OVERRIDES can
    say `deployment` or `checkout`."""
    for i, alt in enumerate(schema["definitions"]["job"]["anyOf"]):
        first = (alt.get("firstProperty") or [None])[0]
        if first == "deployment":
            builder.current_kind[f"job#{i + 1}"] = "deployment"
        elif first == "job":
            builder.current_kind[f"job#{i + 1}"] = "job"
    for i, alt in enumerate(schema["definitions"]["step"]["anyOf"]):
        first = (alt.get("firstProperty") or [None])[0]
        if first == "checkout":
            builder.current_kind[f"step#{i + 1}"] = "checkout"


def generate(shared: Path) -> str:
    reference = shared / "reference"
    schema = json.loads((reference / "service-schema.json").read_text(encoding="utf-8"))
    pages = {p.stem for p in (reference / "yaml-schema").glob("*.md")}
    missing = [slug for slug in STEP_PAGES.values() if slug not in pages]
    if missing:
        raise Unknown(f"reference pages missing: {', '.join(sorted(missing))}")
    builder = Builder(schema, pages)
    label_kinds(builder, schema)
    for name in sorted(schema["definitions"]):
        builder.define(name)
    unused = sorted(set(SUGGESTIONS) - builder.suggested)
    if unused:
        raise Unknown(f"SUGGESTIONS names keys the schema lacks: {unused}")
    builder.check_meanings()
    check_cited(reference / "yaml-schema", TYPE_MEANINGS, KEY_MEANINGS)
    for name in ("string", "boolean", "integer", "any"):
        builder.types.setdefault(name, {"shapes": [{"scalar": name}] if name != "any" else [{"any": True}]})
    out = {
        "source": {
            "schema": "microsoft/azure-pipelines-vscode service-schema.json (reference/service-schema.json)",
            "schemaComment": schema.get("$comment", ""),
            "pages": "MicrosoftDocs/azure-devops-yaml-schema (reference/yaml-schema/*.md)",
            "url": REFERENCE_URL,
            "generator": "data/gen_language.py",
            "overrides": {f"{d}.{k}": f"{t} ({why})" for (d, k), (t, why) in sorted(OVERRIDES.items())},
            "suggestions": {f"{d}.{k}": why for (d, k), (_, why) in sorted(SUGGESTIONS.items())},
            "meanings": {
                **{name: page for name, (page, _) in sorted(TYPE_MEANINGS.items())},
                **{f"{d}.{k}": page for (d, k), (page, _) in sorted(KEY_MEANINGS.items())},
            },
        },
        "root": "pipeline",
        "steps": [[key, page] for key, page in STEP_PAGES.items()],
        "types": dict(sorted(builder.types.items())),
    }
    return json.dumps(out, indent=1, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    check = "--check" in argv[1:]
    unknown = [a for a in argv[1:] if a != "--check"]
    if unknown:
        print(f"usage: gen_language.py [--check] (unknown argument {unknown[0]!r})", file=sys.stderr)
        return 2
    shared = shared_dir()
    if not (shared / "reference" / "service-schema.json").is_file():
        return no_shared("gen_language.py", OUT, check)
    try:
        text = generate(shared)
    except Unknown as e:
        print(f"error: service-schema.json: {e}", file=sys.stderr)
        return 2
    return write_or_check("gen_language.py", OUT, text, check)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
