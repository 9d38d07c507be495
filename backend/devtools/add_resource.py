"""Add a user-owned resource end to end: `./scripts/add-resource.sh NAME [--field name:type ...]`.

It writes what a person would write by hand for a resource like items: the table and
schema family (`app/models.py`), its queries (`app/crud.py`), its routes and their
registration, the migration, HTTP tests and the authorization matrix's row, and the
admin UI's page (table, add/edit dialog, delete, navigation entry), then regenerates
the API client and the route tree. It refuses, changing nothing, a name already taken
or a bad name or field.
"""

import argparse
import keyword
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import psycopg

BACKEND = Path(__file__).resolve().parents[1]
ROOT = BACKEND.parent
FRONTEND = ROOT / "frontend"
TEMPLATES = Path(__file__).resolve().parent / "resource_templates"

RESERVED_NAMES = {
    "Item",
    "User",
    "Team",
    "Membership",
    "Page",
    "Public",
    "Token",
    "Message",
    "Scope",
}
RESERVED_FIELDS = {"id", "team_id", "owner_id", "created_at", "title", "description"}
TYPES = ("str", "text", "int", "float", "bool", "date", "datetime")


class RefusedError(Exception):
    """The request cannot be carried out as given: nothing was changed."""


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str
    required: bool

    @property
    def label(self) -> str:
        return self.name.replace("_", " ").capitalize()

    @property
    def camel(self) -> str:
        head, *rest = self.name.split("_")
        return head + "".join(part.capitalize() for part in rest)


@dataclass(frozen=True)
class Names:
    """Every spelling of the resource's name the generated code uses."""

    Name: str  # InvoiceLine

    @property
    def name(self) -> str:  # invoice_line
        return re.sub(r"(?<!^)(?=[A-Z])", "_", self.Name).lower()

    @property
    def names(self) -> str:  # invoice_lines
        return plural(self.name)

    @property
    def Names(self) -> str:  # InvoiceLines
        return "".join(part.capitalize() for part in self.names.split("_"))

    @property
    def label(self) -> str:  # invoice line
        return self.name.replace("_", " ")

    @property
    def labels(self) -> str:
        return self.names.replace("_", " ")

    def tokens(self) -> dict[str, str]:
        camel = self.Name[0].lower() + self.Name[1:]
        camels = self.Names[0].lower() + self.Names[1:]
        return {
            "Name": self.Name,
            "Names": self.Names,
            "NAME": self.name.upper(),
            "NAMES": self.names.upper(),
            "name": self.name,
            "names": self.names,
            "camel": camel,
            "camels": camels,
            "kebab": self.name.replace("_", "-"),
            "kebabs": self.names.replace("_", "-"),
            "label": self.label,
            "labels": self.labels,
            "Label": self.label.capitalize(),
            "Labels": self.labels.capitalize(),
        }


def plural(word: str) -> str:
    if re.search(r"[^aeiou]y$", word):
        return word[:-1] + "ies"
    if re.search(r"(s|x|z|ch|sh)$", word):
        return word + "es"
    return word + "s"


def parse_field(spec: str) -> FieldSpec:
    parts = spec.split(":")
    if len(parts) not in (2, 3) or (len(parts) == 3 and parts[2] != "required"):
        raise RefusedError(
            f"--field {spec!r}: write it as name:type or name:type:required"
        )
    name, kind = parts[0], parts[1]
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,62}", name) or name.endswith("_"):
        raise RefusedError(
            f"--field {spec!r}: a field name is snake_case (a-z, 0-9, _), "
            "starting with a letter"
        )
    if name in RESERVED_FIELDS or keyword.iskeyword(name) or name.startswith("model_"):
        raise RefusedError(f"--field {spec!r}: {name!r} is taken")
    if kind not in TYPES:
        raise RefusedError(
            f"--field {spec!r}: unknown type {kind!r} (one of {', '.join(TYPES)})"
        )
    return FieldSpec(name, kind, required=len(parts) == 3)


# Python ------------------------------------------------------------------------------

_PY_TYPE = {
    "str": "Text",
    "text": "Text",
    "int": "int",
    "float": "FiniteFloat",
    "bool": "bool",
    "date": "date",
    "datetime": "AwareDatetime",
}
_PY_LIMITS = {
    "str": "max_length=255",
    "text": "max_length=10_000",
    "int": "ge=-2_147_483_648, le=2_147_483_647",
    "float": "",
    "bool": "",
    "date": "",
    "datetime": "sa_type=DateTime(timezone=True)",
}


def _field_line(field: FieldSpec, *, update: bool) -> str:
    kind = _PY_TYPE[field.type]
    limits = _PY_LIMITS[field.type]
    if field.type in ("str", "text") and field.required:
        limits = f"min_length=1, {limits}"
    if field.type == "bool":
        default = "None" if update else "False"
        return f"    {field.name}: bool{' | None' if update else ''} = {default}"
    if field.required and not update:
        args = limits
        return (
            f"    {field.name}: {kind} = Field({args})"
            if args
            else f"    {field.name}: {kind}"
        )
    args = f"default=None, {limits}" if limits else "default=None"
    return f"    {field.name}: {kind} | None = Field({args})"


_VALID_VALUE = {
    "str": '"Some text"',
    "text": '"Some longer text"',
    "int": "42",
    "float": "2.5",
    "bool": "True",
    "date": '"2026-01-31"',
    "datetime": '"2026-01-31T12:00:00Z"',
}
_BAD_VALUES = {
    "str": ['"x" * 256'],
    "text": ['"x" * 10_001'],
    "int": ['"many"', "2**31"],
    "float": ['"many"'],
    "bool": ['"maybe"'],
    "date": ['"not a date"'],
    "datetime": ['"2026-01-31T12:00:00"'],
}


def python_parts(fields: list[FieldSpec]) -> dict[str, str]:
    not_nullable = [
        "title",
        *(f.name for f in fields if f.required or f.type == "bool"),
    ]
    valid = {"title": '"Example"', "description": '"An example"'}
    valid.update({f.name: _VALID_VALUE[f.type] for f in fields})
    return {
        "base_fields": "".join(_field_line(f, update=False) + "\n" for f in fields),
        "update_fields": "".join(_field_line(f, update=True) + "\n" for f in fields),
        "not_nullable": ", ".join(f'"{name}"' for name in not_nullable)
        + ("," if len(not_nullable) == 1 else ""),
        "valid_body": "{"
        + ", ".join(f'"{key}": {value}' for key, value in valid.items())
        + "}",
        "bad_inputs": "".join(
            f'        ({{"{f.name}": {bad}}}, "{f.name}"),\n'
            for f in fields
            for bad in _BAD_VALUES[f.type]
        ).rstrip("\n"),
    }


def python_imports(fields: list[FieldSpec]) -> list[str]:
    kinds = {f.type for f in fields}
    imports = []
    if "date" in kinds:
        imports.append("from datetime import date")
    if "datetime" in kinds:
        imports.append("from pydantic import AwareDatetime")
    if "float" in kinds:
        imports.append("from pydantic import FiniteFloat")
    return imports


# TypeScript -------------------------------------------------------------------------

_ZOD = {
    "str": "optionalText()",
    "text": "optionalText(10_000)",
    "int": "wholeNumber({required})",
    "float": "decimalNumber({required})",
    "bool": "z.boolean()",
    "date": "dateInput({required})",
    "datetime": "dateInput({required})",
}
_REQUIRED_ZOD = {
    "str": 'requiredText("Enter the {label}")',
    "text": 'requiredText("Enter the {label}", 10_000)',
}


def _zod(field: FieldSpec) -> str:
    if field.required and field.type in _REQUIRED_ZOD:
        return _REQUIRED_ZOD[field.type].format(label=field.label.lower())
    required = "true" if field.required else ""
    return _ZOD[field.type].format(required=required)


def _default(field: FieldSpec, camel: str) -> str:
    value = f"{camel}?.{field.name}"
    return {
        "str": f'{value} ?? ""',
        "text": f'{value} ?? ""',
        "int": f"numberText({value})",
        "float": f"numberText({value})",
        "bool": f"{value} ?? false",
        "date": f'{value} ?? ""',
        "datetime": f"localDateTime({value})",
    }[field.type]


def _body(field: FieldSpec) -> str:
    value = f"values.{field.name}"
    return {
        "str": f"{value}.trim()" if field.required else f"orNull({value})",
        "text": f"{value}.trim()" if field.required else f"orNull({value})",
        "int": f"Number({value})" if field.required else f"toNumber({value})",
        "float": f"Number({value})" if field.required else f"toNumber({value})",
        "bool": value,
        "date": value if field.required else f"toDate({value})",
        "datetime": f"new Date({value}).toISOString()"
        if field.required
        else f"toDateTime({value})",
    }[field.type]


def _input(field: FieldSpec) -> str:
    register = f'{{...form.register("{field.name}")}}'
    error = f"error={{errors.{field.name}?.message}}"
    required = "\n        required" if field.required else ""
    if field.type == "bool":
        return f'      <CheckboxField label="{field.label}" {register} />\n'
    if field.type == "text":
        return (
            f'      <TextareaField\n        label="{field.label}"{required}\n'
            f"        {error}\n        {register}\n      />\n"
        )
    extra = {
        "str": "",
        "int": '\n        inputMode="numeric"',
        "float": '\n        inputMode="decimal"',
        "date": '\n        type="date"',
        "datetime": '\n        type="datetime-local"',
    }[field.type]
    return (
        f'      <InputField\n        label="{field.label}"{required}{extra}\n'
        f"        {error}\n        {register}\n      />\n"
    )


def _column(field: FieldSpec, name: str) -> str:
    value = f"{name}.{field.name}"
    shown = {
        "str": f'{value} ?? "—"',
        "text": f'{value} ?? "—"',
        "int": f'{value} ?? "—"',
        "float": f'{value} ?? "—"',
        "bool": f'{value} ? "Yes" : "No"',
        "date": f'{value} ? formatDate({value}) : "—"',
        "datetime": f'{value} ? formatDateTime({value}) : "—"',
    }[field.type]
    return (
        f'  {{\n    header: "{field.label}",\n    from: "lg",\n'
        f'    className: "max-w-0 truncate text-zinc-600 dark:text-zinc-400",\n'
        f"    cell: ({name}) => {shown},\n  }},\n"
    )


_E2E_VALUE = {
    "str": '"Some text"',
    "text": '"Some longer text"',
    "int": '"42"',
    "float": '"2.5"',
    "date": '"2026-01-31"',
    "datetime": '"2026-01-31T12:00"',
}


_HELPERS: dict[str, set[str]] = {
    "str": set(),
    "text": set(),
    "int": {"wholeNumber", "numberText"},
    "float": {"decimalNumber", "numberText"},
    "bool": set(),
    "date": {"dateInput"},
    "datetime": {"dateInput", "localDateTime"},
}


def typescript_parts(fields: list[FieldSpec], names: Names) -> dict[str, str]:
    camel = names.tokens()["camel"]
    components = {"InputField", "TextareaField"}
    helpers = {"optionalText", "requiredText"}
    for field in fields:
        if field.type == "bool":
            components.add("CheckboxField")
        helpers |= _HELPERS[field.type]
        helpers |= set(re.findall(r"\b(to(?:Number|Date|DateTime))\(", _body(field)))
    formats = {"formatDate"} | {
        "formatDateTime" for f in fields if f.type == "datetime"
    }
    fill = "".join(
        f'  await dialog.getByLabel("{f.label}").fill({_E2E_VALUE[f.type]})\n'
        if f.type != "bool"
        else f'  await dialog.getByLabel("{f.label}").check()\n'
        for f in fields
    )
    return {
        "zod_fields": "".join(f"  {f.name}: {_zod(f)},\n" for f in fields),
        "defaults": "".join(f"      {f.name}: {_default(f, camel)},\n" for f in fields),
        "body": "".join(f"        {f.name}: {_body(f)},\n" for f in fields),
        "inputs": "".join(_input(f) for f in fields),
        "field_components": ", ".join(sorted(components)),
        "form_helpers": ", ".join(sorted(helpers)),
        "columns": "".join(_column(f, names.name) for f in fields),
        "columns_imports": f'import {{ {", ".join(sorted(formats))} }} from "@/lib/utils"\n',
        "e2e_fill": fill,
        "add_hint": "Fill in the required fields; the rest is optional."
        if any(f.required for f in fields)
        else "Give it a title; the rest is optional.",
    }


# Writing ----------------------------------------------------------------------------


def render(template: str, tokens: dict[str, str]) -> str:
    text = (TEMPLATES / template).read_text()
    return re.sub(r"\{\{(\w+)\}\}", lambda m: tokens[m.group(1)], text)


class Changes:
    """Files written so far, to put back exactly as they were if a later step fails."""

    def __init__(self) -> None:
        self.originals: dict[Path, str | None] = {}

    def write(self, path: Path, text: str) -> None:
        if path not in self.originals:
            self.originals[path] = path.read_text() if path.exists() else None
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    def create(self, path: Path, text: str) -> None:
        if path.exists():
            raise RefusedError(f"{path.relative_to(ROOT)} exists already")
        self.write(path, text)

    def edit(self, path: Path, old: str, new: str) -> None:
        text = path.read_text()
        if old not in text:
            raise RefusedError(
                f"{path.relative_to(ROOT)} no longer has {old.strip()!r}: "
                "add the resource there by hand"
            )
        self.write(path, text.replace(old, new, 1))

    def undo(self) -> None:
        for path, original in self.originals.items():
            if original is None:
                path.unlink(missing_ok=True)
            else:
                path.write_text(original)


def run(command: list[str], cwd: Path, **env: str) -> None:
    result = subprocess.run(
        command, cwd=cwd, env={**os.environ, **env}, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise RefusedError(
            f"`{' '.join(command)}` failed:\n{result.stdout}{result.stderr}"
        )


def check_free(names: Names) -> None:
    models = (BACKEND / "app/models.py").read_text()
    if names.Name in RESERVED_NAMES or re.search(
        rf"^class {names.Name}(Base|Create|Update|Public)?\(", models, re.M
    ):
        raise RefusedError(f"{names.Name} exists already in app/models.py")
    if (BACKEND / f"app/api/routes/{names.names}.py").exists():
        raise RefusedError(f"app/api/routes/{names.names}.py exists already")


def add_backend(changes: Changes, names: Names, fields: list[FieldSpec]) -> None:
    tokens = {
        **names.tokens(),
        **python_parts(fields),
        "dashes": "-" * (80 - len(names.labels)),
    }
    models = BACKEND / "app/models.py"
    text = models.read_text()
    first_import = re.search(r"^(import|from) ", text, re.M)
    assert first_import is not None
    imports = "".join(f"{line}\n" for line in python_imports(fields))
    text = text[: first_import.start()] + imports + text[first_import.start() :]
    changes.write(models, text.rstrip("\n") + render("models.py.tmpl", tokens))
    crud = BACKEND / "app/crud.py"
    changes.write(crud, crud.read_text().rstrip("\n") + render("crud.py.tmpl", tokens))
    changes.edit(
        crud,
        "    ItemUpdate,\n",
        f"    ItemUpdate,\n    {names.Name},\n    {names.Name}Create,\n"
        f"    {names.Name}Update,\n",
    )
    changes.create(
        BACKEND / f"app/api/routes/{names.names}.py", render("routes.py.tmpl", tokens)
    )
    api = BACKEND / "app/api/main.py"
    changes.edit(
        api,
        "from app.api.routes import (\n",
        f"from app.api.routes import (\n    {names.names},\n",
    )
    changes.edit(
        api,
        "        items.router,\n",
        f"        items.router,\n        {names.names}.router,\n",
    )
    changes.edit(
        api,
        '    {"name": "audit"',
        f'    {{"name": "{tokens["kebabs"]}", "description": '
        f'"{tokens["Labels"]}: a team\'s, for its members."}},\n'
        '    {"name": "audit"',
    )
    changes.create(
        BACKEND / f"tests/api/test_{names.names}.py", render("test.py.tmpl", tokens)
    )
    changes.edit(
        BACKEND / "tests/utils/resources.py",
        '    "item": Owned(f"{API}/items", {"title": "New"}),\n',
        '    "item": Owned(f"{API}/items", {"title": "New"}),\n'
        f'    "{names.name}": Owned(f"{{API}}/{tokens["kebabs"]}", {tokens["valid_body"]}),\n',
    )
    python_files = [models, crud, api, BACKEND / f"app/api/routes/{names.names}.py"]
    python_files += [
        BACKEND / f"tests/api/test_{names.names}.py",
        BACKEND / "tests/utils/resources.py",
    ]
    run(["ruff", "check", "--fix", "--quiet", *map(str, python_files)], BACKEND)
    run(["ruff", "format", "--quiet", *map(str, python_files)], BACKEND)
    for path in python_files:
        changes.write(path, path.read_text())  # keep the formatted text for undo
    add_migration(changes, names)


def add_migration(changes: Changes, names: Names) -> None:
    """Autogenerate the migration against a scratch database at the current head."""
    from devtools.embedded_postgres import create_database, start_embedded_postgres

    versions = BACKEND / "app/alembic/versions"
    numbers = [
        int(p.name.split("_")[1]) for p in versions.glob("*_[0-9][0-9][0-9][0-9]_*.py")
    ]
    revision = f"{max(numbers, default=0) + 1:04d}"
    server = os.environ.get("DATABASE_URL") or start_embedded_postgres()
    scratch = f"add_resource_{os.getpid()}"
    url = create_database(server, scratch, recreate=True)
    before = set(versions.glob("*.py"))
    try:
        run(["alembic", "upgrade", "head"], BACKEND, DATABASE_URL=url)
        run(
            [
                "alembic",
                "revision",
                "--autogenerate",
                "--rev-id",
                revision,
                "-m",
                f"add {names.label}",
            ],
            BACKEND,
            DATABASE_URL=url,
        )
    finally:
        with psycopg.connect(server, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
    (migration,) = set(versions.glob("*.py")) - before
    changes.originals.setdefault(migration, None)
    text = migration.read_text()
    text = text.replace(
        "    # ### commands auto generated by Alembic - please adjust! ###\n", ""
    )
    text = text.replace("    # ### end Alembic commands ###\n", "")
    text = text.replace(
        "import sqlmodel.sql.sqltypes\n",
        "import sqlmodel.sql.sqltypes\n\n"
        "from app.alembic.row_counts import count_rows, stop_counting_rows\n",
    )
    index = f"op.create_index('ix_{names.name}_team_id_created_at_id'"
    start = text.index(index)
    end = text.index("\n", start) + 1
    text = (
        text[:end]
        + f"    count_rows(op, '{names.name}', scope='team_id')\n"
        + text[end:]
    )
    text = text.replace(
        f"    op.drop_index('ix_{names.name}_team_id_created_at_id'",
        f"    stop_counting_rows(op, '{names.name}')\n"
        f"    op.drop_index('ix_{names.name}_team_id_created_at_id'",
    )
    changes.write(migration, text)


def add_frontend(changes: Changes, names: Names, fields: list[FieldSpec]) -> None:
    tokens = {**names.tokens(), **typescript_parts(fields, names)}
    components = FRONTEND / "src/components" / tokens["kebabs"]
    changes.create(
        components / f"{tokens['kebab']}-columns.tsx",
        render("columns.tsx.tmpl", tokens),
    )
    changes.create(
        components / f"{tokens['kebab']}-dialog.tsx", render("dialog.tsx.tmpl", tokens)
    )
    page = FRONTEND / "src/routes/_app" / f"{tokens['kebabs']}.tsx"
    changes.create(page, render("page.tsx.tmpl", tokens))
    changes.create(
        FRONTEND / "e2e" / f"{tokens['kebabs']}.spec.ts",
        render("e2e.spec.ts.tmpl", tokens),
    )
    shell = FRONTEND / "src/components/layout/app-shell.tsx"
    changes.edit(
        shell,
        '  { to: "/admin",',
        f'  {{ to: "/{tokens["kebabs"]}", label: "{tokens["Labels"]}", icon: LayoutList, '
        "superuserOnly: false },\n"
        '  { to: "/admin",',
    )
    if "\n  LayoutList,\n" not in shell.read_text():
        changes.edit(
            shell, "  LayoutDashboard,\n", "  LayoutDashboard,\n  LayoutList,\n"
        )
    generated = [
        FRONTEND / "openapi.json",
        *sorted((FRONTEND / "src/client").rglob("*.ts")),
        FRONTEND / "src/routeTree.gen.ts",
    ]
    for path in generated:
        changes.originals.setdefault(path, path.read_text())
    npm = shutil.which("npm")
    if npm is None:
        raise RefusedError("npm was not found: the UI needs Node.js 20+ and npm")
    run([npm, "run", "--silent", "generate-client"], FRONTEND)
    # The route tree comes from the router's Vite plugin.
    run(["npx", "vite", "build", "--logLevel", "error"], FRONTEND)
    written = [
        components / f"{tokens['kebab']}-columns.tsx",
        components / f"{tokens['kebab']}-dialog.tsx",
        page,
        shell,
        FRONTEND / "e2e" / f"{tokens['kebabs']}.spec.ts",
    ]
    run(["npx", "biome", "check", "--write", *map(str, written)], FRONTEND)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="add-resource.sh",
        description="Add a user-owned resource (title, description and FIELDS) to the "
        "API, its tests and the admin UI.",
    )
    parser.add_argument("name", help="the resource's name, in PascalCase (Project)")
    parser.add_argument(
        "--field",
        action="append",
        default=[],
        metavar="name:type[:required]",
        help=f"an extra field; types: {', '.join(TYPES)} (optional unless :required)",
    )
    args = parser.parse_args(argv)
    changes = Changes()
    try:
        if not re.fullmatch(r"[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]+)*", args.name):
            raise RefusedError(
                f"{args.name!r}: the name is PascalCase, letters and digits "
                "(Project, InvoiceLine)"
            )
        names = Names(args.name)
        fields = [parse_field(spec) for spec in args.field]
        duplicates = {
            f.name for f in fields if [g.name for g in fields].count(f.name) > 1
        }
        if duplicates:
            raise RefusedError(f"--field {', '.join(sorted(duplicates))} given twice")
        check_free(names)
        add_backend(changes, names, fields)
        add_frontend(changes, names, fields)
    except RefusedError as exc:
        changes.undo()
        print(f"add-resource: {exc}", file=sys.stderr)
        print("add-resource: nothing was changed", file=sys.stderr)
        return 2
    except BaseException:
        changes.undo()
        print("add-resource: failed; nothing was changed", file=sys.stderr)
        raise
    print(
        f"Added {names.Name}: /api/v1/{names.tokens()['kebabs']}/ and its page in the UI."
    )
    print("Files:")
    for path in sorted(changes.originals):
        if path.exists() and changes.originals[path] != path.read_text():
            print(f"  {path.relative_to(ROOT)}")
    print("Next: ./scripts/test.sh, then commit.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
