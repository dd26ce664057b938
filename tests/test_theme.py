"""A site's own theme overrides the built-in one, file by file; template mistakes are located."""

from __future__ import annotations

from conftest import INCIDENT, SITE_YAML, MakeSite, run_outpost

THEMED = SITE_YAML + "theme: acme\n"
POST = {"content/incidents/2026-11-29-login-failures.md": INCIDENT}


def test_a_site_template_and_static_file_override_the_builtin_ones(make_site: MakeSite) -> None:
    site = make_site(
        {
            **POST,
            "themes/acme/templates/404.html": "<!doctype html><title>Lost</title><p>Lost at {{ config.title }}</p>\n",
            "themes/acme/static/style.css": "body { color: rebeccapurple; }\n",
            "themes/acme/static/logo.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>\n",
        },
        site_yaml=THEMED,
    )
    result = run_outpost("build", "--out", "out", cwd=site)
    assert result.returncode == 0, result.stderr
    out = site / "out"
    assert (
        out / "404.html"
    ).read_text() == "<!doctype html><title>Lost</title><p>Lost at Example Status</p>\n"
    assert (out / "static/style.css").read_text() == "body { color: rebeccapurple; }\n"
    assert (out / "static/logo.svg").exists()
    # What the site does not override still comes from the built-in theme.
    assert (out / "static/favicon.svg").exists()
    assert "Login failures" in (out / "incidents/2026-11-29-login-failures/index.html").read_text()


def test_an_unknown_theme_is_a_config_error(make_site: MakeSite) -> None:
    site = make_site(POST, site_yaml=SITE_YAML + "theme: nowhere\n")
    result = run_outpost("check", cwd=site)
    assert result.returncode == 1
    assert (
        "site.yaml:12: error: theme 'nowhere' not found: expected a folder themes/nowhere/"
        in result.stderr
    )


def test_a_template_syntax_error_is_reported_at_its_line_by_check_and_build(
    make_site: MakeSite,
) -> None:
    site = make_site(
        {**POST, "themes/acme/templates/404.html": "<p>fine</p>\n<p>{% if %}</p>\n"},
        site_yaml=THEMED,
    )
    check = run_outpost("check", cwd=site)
    assert check.returncode == 1
    assert "themes/acme/templates/404.html:2: error: template: " in check.stderr
    build = run_outpost("build", cwd=site)
    assert build.returncode == 1
    assert "themes/acme/templates/404.html:2: error: template: " in build.stderr
    assert "Traceback" not in build.stderr
    assert not (site / "public").exists()


def test_an_undefined_name_in_a_template_is_an_error_not_an_empty_string(
    make_site: MakeSite,
) -> None:
    site = make_site(
        {**POST, "themes/acme/templates/404.html": "<p>ok</p>\n<p>{{ no_such_thing }}</p>\n"},
        site_yaml=THEMED,
    )
    build = run_outpost("build", cwd=site)
    assert build.returncode == 1
    assert (
        "themes/acme/templates/404.html:2: error: template: 'no_such_thing' is undefined"
        in build.stderr
    )
    assert not (site / "public").exists()
