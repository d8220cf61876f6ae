"""`reverie bundle`: a Claude Desktop extension (.mcpb) built from `manifest.json`.

An MCPB file is a zip with `manifest.json` at its root and the server's files beside it.
Reverie's manifest uses `server.type: uv`, so Claude Desktop runs it with uv from the
bundled `pyproject.toml`: the bundle carries sources, not a virtualenv.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

from server.errors import ConfigError

# What a running server needs; tests, benchmarks and docs stay out.
PACKAGES = ("server", "tools", "resources")
TOP_FILES = ("manifest.json", "pyproject.toml", "README.md", "LICENSE", "icon.png")
SKIP_DIRS = {"__pycache__", ".pytest_cache", ".mypy_cache"}
SKIP_SUFFIXES = {".pyc", ".pyo", ".db", ".db-wal", ".db-shm"}
FIXED_TIME = (2020, 1, 1, 0, 0, 0)  # same sources -> byte-identical bundle


def source_root() -> Path:
    """The checkout `reverie` runs from (the directory holding manifest.json)."""
    return Path(__file__).resolve().parents[2]


def load_manifest(root: Path) -> dict:
    """Raises:
    ConfigError: no manifest.json, or it is not JSON.
    """
    path = root / "manifest.json"
    if not path.is_file():
        raise ConfigError(f"No manifest.json in {root}: `reverie bundle` builds from a source checkout (pass --source DIR).")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path} is not valid JSON: {exc}") from exc


def validate_manifest(manifest: dict, schema_path: Path | None = None) -> list[str]:
    """Problems with the manifest against the MCPB schema (docs/mcpb-manifest.schema.json); [] when valid.

    Without `jsonschema` installed (it is a test dependency) only the required keys are checked.
    """
    schema_path = schema_path or source_root() / "docs" / "mcpb-manifest.schema.json"
    try:
        import jsonschema
    except ImportError:
        return [f"missing required key {k!r}" for k in ("name", "version", "description", "author", "server") if k not in manifest]
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in validator.iter_errors(manifest)]


def bundle_files(root: Path, manifest: dict) -> Iterator[tuple[Path, str]]:
    """(file on disk, name in the zip) for everything the bundle carries."""
    for name in TOP_FILES:
        if (root / name).is_file():
            yield root / name, name
    icon = manifest.get("icon")
    if icon and icon not in TOP_FILES and (root / icon).is_file():
        yield root / icon, icon
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*")):
            rel = path.relative_to(root)
            if path.is_file() and not SKIP_DIRS & set(rel.parts) and path.suffix not in SKIP_SUFFIXES:
                yield path, rel.as_posix()


def build_bundle(output: Path, root: Path | None = None) -> dict:
    """Validate the manifest and write the .mcpb; returns {"path", "files", "bytes", "name", "version"}.

    Raises:
        ConfigError: the manifest is missing, invalid, or names an entry point that is not in the bundle.
    """
    root = (root or source_root()).resolve()
    manifest = load_manifest(root)
    problems = validate_manifest(manifest)
    if problems:
        raise ConfigError("manifest.json is not a valid MCPB manifest: " + "; ".join(problems))
    files = list(bundle_files(root, manifest))
    names = {name for _, name in files}
    entry = manifest["server"]["entry_point"]
    if entry not in names:
        raise ConfigError(f"manifest.json names entry point {entry!r}, which is not among the bundled files.")
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(output.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path, name in files:
            info = zipfile.ZipInfo(name, FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (0o644 & 0xFFFF) << 16
            zf.writestr(info, path.read_bytes())
    tmp.replace(output)
    return {"path": str(output), "files": len(files), "bytes": output.stat().st_size,
            "name": manifest["name"], "version": manifest["version"]}
