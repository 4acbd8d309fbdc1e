"""MkDocs hooks: the API, command-line and settings references, generated from the code at build time.

Nothing here is written by hand, so the reference cannot drift from the code: the API operations come from the
app's own OpenAPI document, the commands from the Typer app, the settings from the Settings class and the
comments above each field.
"""

from __future__ import annotations

import ast
import inspect
import json
from typing import Any

import click
import typer
from mkdocs.structure.files import File, Files

METHODS = ("get", "post", "put", "patch", "delete")


def on_files(files: Files, config: Any) -> Files:
    for path, content in (
        ("reference/api-operations.md", api_reference()),
        ("reference/cli-commands.md", cli_reference()),
        ("reference/settings.md", settings_reference()),
    ):
        files.append(File.generated(config, path, content=content))
    return files


# The API


def _schema_name(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return f"`{schema['$ref'].rsplit('/', 1)[-1]}`"
    if schema.get("type") == "array" and "items" in schema:
        return f"list of {_schema_name(schema['items'])}"
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return " or ".join(_schema_name(part) for part in schema[key])
    return f"`{schema.get('type', 'object')}`"


def api_reference() -> str:
    from hotline.core.config import Settings
    from hotline.main import create_app

    app = create_app(Settings(_env_file=None, database_url="sqlite://", log_level="WARNING"))  # type: ignore[call-arg]
    spec = app.openapi()
    lines = [
        "# API operations",
        "",
        f"Generated from the OpenAPI document of version {spec['info']['version']} "
        "(`GET /openapi.json` on a running service; the interactive version is `/docs`). "
        "Authenticate with `Authorization: Bearer <key>` from `hotline keys create`.",
        "",
    ]
    by_tag: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method in item:
                operation = item[method]
                tag = (operation.get("tags") or ["other"])[0]
                by_tag.setdefault(tag, []).append((method, path, operation))
    for tag in sorted(by_tag):
        lines += [f"## {tag.capitalize()}", ""]
        for method, path, operation in by_tag[tag]:
            lines += [f"### `{method.upper()} {path}`", ""]
            summary = operation.get("summary")
            if summary:
                lines += [f"**{summary}**", ""]
            if operation.get("description"):
                lines += [operation["description"].strip(), ""]
            params = operation.get("parameters", [])
            if params:
                lines += ["| parameter | in | required | type | description |", "|---|---|---|---|---|"]
                for param in params:
                    schema = param.get("schema", {})
                    description = param.get("description") or schema.get("description") or ""
                    lines.append(
                        f"| `{param['name']}` | {param['in']} | {'yes' if param.get('required') else 'no'} | "
                        f"{_schema_name(param.get('schema', {}))} | {description.replace('|', '/')} |"
                    )
                lines.append("")
            body = operation.get("requestBody", {}).get("content", {})
            for media, content in body.items():
                lines += [f"Body ({media}): {_schema_name(content.get('schema', {}))}", ""]
            responses = operation.get("responses", {})
            if responses:
                lines += ["| status | meaning |", "|---|---|"]
                for status, response in responses.items():
                    schema = next(iter(response.get("content", {}).values()), {}).get("schema")
                    shape = f" — {_schema_name(schema)}" if schema else ""
                    lines.append(f"| {status} | {response.get('description', '')}{shape} |")
                lines.append("")
    lines += ["## Schemas", ""]
    for name, schema in sorted(spec.get("components", {}).get("schemas", {}).items()):
        lines += [f"### `{name}`", ""]
        if schema.get("description"):
            lines += [schema["description"].strip(), ""]
        properties = schema.get("properties", {})
        if properties:
            required = set(schema.get("required", []))
            lines += ["| field | type | required | description |", "|---|---|---|---|"]
            for field, spec_ in properties.items():
                description = (spec_.get("description") or "").replace("\n", " ").replace("|", "/")
                needed = "yes" if field in required else "no"
                lines.append(f"| `{field}` | {_schema_name(spec_)} | {needed} | {description} |")
            lines.append("")
        elif "enum" in schema:
            lines += ["One of: " + ", ".join(f"`{json.dumps(value)}`" for value in schema["enum"]), ""]
    return "\n".join(lines) + "\n"


# The command line


def _command_lines(command: click.Command, name: str) -> list[str]:
    lines = [f"## `{name}`", ""]
    help_text = inspect.cleandoc(command.help or "")
    if help_text:
        lines += [help_text, ""]
    with click.Context(command, info_name=name) as context:
        usage = command.get_usage(context).removeprefix("Usage: ")
    lines += ["```", usage, "```", ""]
    rows = []
    for param in command.params:
        if isinstance(param, click.Argument):
            rows.append((param.human_readable_name, "argument", ""))
        elif isinstance(param, click.Option) and not param.hidden and param.name != "help":
            unset = param.default in (None, False, ()) or callable(param.default)
            default = "" if unset else f"{param.default}"
            rows.append((", ".join(param.opts), param.help or "", default))
    if rows:
        lines += ["| parameter | description | default |", "|---|---|---|"]
        lines += [f"| `{opt}` | {text.replace('|', '/')} | {default} |" for opt, text, default in rows]
        lines.append("")
    return lines


def cli_reference() -> str:
    from hotline.cli import app

    root = typer.main.get_command(app)
    lines = [
        "# Commands",
        "",
        "Generated from the `hotline` Typer app. Results go to stdout, progress and messages to stderr.",
        "",
    ]

    def walk(command: click.Command, name: str) -> None:
        if isinstance(command, click.Group):
            for sub_name in sorted(command.commands):
                walk(command.commands[sub_name], f"{name} {sub_name}")
        else:
            lines.extend(_command_lines(command, name))

    walk(root, "hotline")
    return "\n".join(lines) + "\n"


# Settings


def _field_comments(cls: type) -> dict[str, str]:
    """The comment lines directly above each field of a class: they are its documentation."""
    source = inspect.getsource(cls)
    tree = ast.parse(source)
    lines = source.splitlines()
    comments: dict[str, str] = {}
    class_def = tree.body[0]
    assert isinstance(class_def, ast.ClassDef)
    for node in class_def.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            text = []
            number = node.lineno - 2
            while number >= 0 and lines[number].strip().startswith("#"):
                text.insert(0, lines[number].strip().lstrip("#").strip())
                number -= 1
            comments[node.target.id] = " ".join(text)
    return comments


def settings_reference() -> str:
    from hotline.core.config import Settings

    comments = _field_comments(Settings)
    lines = [
        "# Settings",
        "",
        "Generated from `hotline.core.config.Settings`. Each setting is read from the environment (or a"
        " `.env` file in the working directory) under the names shown; the fixed names are those DESIGN.md"
        " and Twilio's documentation use, the others also answer to a `HOTLINE_` prefix.",
        "",
        "| environment | default | what it does |",
        "|---|---|---|",
    ]
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        names = getattr(alias, "choices", None) or [name.upper()]
        env = " or ".join(f"`{choice}`" for choice in names)
        default = field.default
        if field.default_factory is not None or (hasattr(default, "get_secret_value")):
            shown = "(see description)" if field.default_factory is not None else "(secret)"
        else:
            shown = f"`{default}`" if default not in ("", None) else "empty"
        description = comments.get(name, "").replace("|", "/")
        lines.append(f"| {env} | {shown} | {description} |")
    return "\n".join(lines) + "\n"
