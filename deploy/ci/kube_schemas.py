"""Prepare the JSON schemas kubeconform validates the rendered chart against, offline.

`k8s WHEEL VERSION OUT`: the Kubernetes API schemas shipped in the PyPI package kubernetes-validate
(its `kubernetes-json-schema/v<VERSION>-local-strict` folder: strict, with `$ref`s into one
`_definitions.json`). Two mechanical rewrites make the files loadable from disk by kubeconform: the
`$id` (an https://kubernetes.io/ URL, which would send `$ref` resolution to the network) is dropped,
and `/api/_definitions.json#...` references become relative `_definitions.json#...`.

`crd OUT CRD.yaml...`: JSON schemas from CustomResourceDefinitions (the KEDA and Prometheus Operator
CRDs, taken from their Go modules), written as OUT/<group>/<kind>_<version>.json, the same conversion
kubeconform's openapi2jsonschema.py does in strict mode: `additionalProperties: false` wherever
properties are listed (unless `x-kubernetes-preserve-unknown-fields`), `x-kubernetes-int-or-string` as
string-or-integer, `nullable` as a null type.
"""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path
from typing import Any

import yaml


def extract_kubernetes(wheel: Path, version: str, out: Path) -> int:
    prefix = f"kubernetes_validate/kubernetes-json-schema/v{version}-local-strict/"
    out.mkdir(parents=True, exist_ok=True)
    count = 0
    with zipfile.ZipFile(wheel) as archive:
        for name in archive.namelist():
            if not name.startswith(prefix) or not name.endswith(".json"):
                continue
            doc = json.loads(archive.read(name))
            if isinstance(doc, dict):
                doc.pop("$id", None)
            text = json.dumps(doc).replace('"/api/_definitions.json#', '"_definitions.json#')
            (out / name.removeprefix(prefix)).write_text(text, encoding="utf-8")
            count += 1
    if count == 0:
        raise SystemExit(f"kube_schemas: {wheel} has no schemas for Kubernetes {version} ({prefix})")
    return count


def _strict(node: Any) -> Any:
    if isinstance(node, list):
        return [_strict(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _strict(value) for key, value in node.items()}
    if node.pop("x-kubernetes-int-or-string", False):
        kept = {k: v for k, v in node.items() if k in ("description",)}
        return {**kept, "oneOf": [{"type": "string"}, {"type": "integer"}]}
    if node.pop("nullable", False) and isinstance(node.get("type"), str):
        node["type"] = [node["type"], "null"]
    preserve = node.get("x-kubernetes-preserve-unknown-fields", False)
    if "properties" in node and "additionalProperties" not in node and not preserve:
        node["additionalProperties"] = False
    return node


def convert_crds(out: Path, files: list[Path]) -> int:
    count = 0
    for file in files:
        for doc in yaml.safe_load_all(file.read_text(encoding="utf-8")):
            if not doc or doc.get("kind") != "CustomResourceDefinition":
                continue
            spec = doc["spec"]
            group, kind = spec["group"], spec["names"]["kind"]
            for version in spec["versions"]:
                schema = _strict(version["schema"]["openAPIV3Schema"])
                schema["properties"]["apiVersion"] = {
                    "type": "string",
                    "enum": [f"{group}/{version['name']}"],
                }
                schema["properties"]["kind"] = {"type": "string", "enum": [kind]}
                target = out / group / f"{kind.lower()}_{version['name']}.json"
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(json.dumps(schema), encoding="utf-8")
                count += 1
    if count == 0:
        raise SystemExit(f"kube_schemas: no CustomResourceDefinition in {', '.join(map(str, files))}")
    return count


def main(argv: list[str]) -> int:
    if len(argv) == 4 and argv[0] == "k8s":
        count = extract_kubernetes(Path(argv[1]), argv[2], Path(argv[3]))
        print(f"kubernetes {argv[2]}: {count} schema files in {argv[3]}")
        return 0
    if len(argv) >= 3 and argv[0] == "crd":
        count = convert_crds(Path(argv[1]), [Path(f) for f in argv[2:]])
        print(f"crds: {count} schema files in {argv[1]}")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
