"""`make html` (notebooks/src/make_html.py): an executed, static HTML page per notebook.

Builds the page of 01_forward_mode into a temporary folder and checks that it carries the
notebook's figures (embedded PNGs from executed cells), its Markdown maths as TeX for MathJax
(with the MathJax script nbconvert loads to typeset it), and no error output.
"""

from __future__ import annotations

import html
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "notebooks" / "src"))

import make_html  # noqa: E402

MATH = re.compile(r"\$\$?[^$<>]*\\[A-Za-z]+[^$<>]*\$\$?")  # $…\command…$ or $$…$$


def test_every_course_notebook_and_student_exercise_gets_a_page():
    names = {p.relative_to(ROOT / "notebooks").as_posix() for p in make_html.pages()}
    assert "00_start_here.ipynb" in names and "01_forward_mode.ipynb" in names
    assert any(n.startswith("exercises/student/") for n in names)
    assert not any("instructor" in n for n in names), "solutions stay out of the static pages"


def test_links_between_notebooks_point_to_pages():
    body = '<a href="02_reverse_mode.ipynb">02</a> <a href="https://x.org/a.ipynb">ext</a>'
    out = make_html.LOCAL_LINK.sub(lambda m: f'href="{m.group(1)}.html{m.group(2) or ""}"', body)
    assert 'href="02_reverse_mode.html"' in out and 'href="https://x.org/a.ipynb"' in out


@pytest.mark.slow
def test_page_has_figures_and_maths(tmp_path):
    notebook = ROOT / "notebooks" / "01_forward_mode.ipynb"
    [page] = make_html.build([notebook], tmp_path)
    assert page == tmp_path / "01_forward_mode.html"
    text = page.read_text()
    assert len(re.findall(r'<img[^>]+src="data:image/png;base64,', text)) >= 2, "no figures"
    assert "MathJax" in text and re.search(r'<script[^>]+src="[^"]*mathjax', text, re.I)
    cells = text.split('<div class="jp-Cell ')
    markdown = " ".join(c for c in cells if c.startswith("jp-MarkdownCell"))
    assert markdown, "no Markdown cells found in the page"
    formulas = MATH.findall(html.unescape(markdown))
    assert len(formulas) >= 5, f"too little TeX maths ($…\\command…$) in Markdown: {formulas}"
    assert "Traceback (most recent call last)" not in text
