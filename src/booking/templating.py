"""The one Jinja environment: pages, fragments and emails share filters and globals."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from booking.clock import format_local
from booking.file_sizes import format_file_size
from booking.money import format_cents

TEMPLATE_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"
HTMX_FILE = "js/htmx-2.0.11.min.js"


def district_options(districts: list[dict]) -> list[tuple[int, str]]:
    return [(d["id"], d["name"]) for d in districts]


def school_options(schools: list[dict]) -> list[tuple[int, str]]:
    return [(s["id"], f"{s['name']} ({s['district_name']})") for s in schools]


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(["html", "xml"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
        # Templates ship inside the package and change only with a new release (a restart): checking each file's
        # time on every render cost a quarter of the confirmation email's rendering under a registration rush.
        auto_reload=False,
    )
    # English by default; the family pages pass their language's callables in the render context
    # (booking.i18n.translation_context), which take precedence over these globals.
    env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]  # the i18n extension adds it at run time
    env.filters["local_time"] = format_local
    env.filters["money"] = format_cents
    env.filters["file_size"] = format_file_size
    # Imported here, not at the top: markdown-it and nh3 load when the environment is built, not with every
    # `from booking.templating import ...`.
    from booking.web.markdown import render_markdown

    env.filters["markdown"] = render_markdown
    env.filters["hours"] = lambda tenths: f"{(tenths or 0) / 10:g}"
    env.globals["htmx_file"] = HTMX_FILE
    env.globals["district_options"] = district_options
    env.globals["school_options"] = school_options
    return env


def render(template_name: str, **context) -> str:
    return environment().get_template(template_name).render(**context)
