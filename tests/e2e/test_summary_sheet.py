"""The summary sheet in Chromium: printed on A4 it takes at most two pages holding every common
mistake, with nothing but the sheet (no navigation, footer or button) and no line cut off."""

import unicodedata

from pypdf import PdfReader

from quizzes.models import Flashcard, Mistake
from tests.e2e.conftest import ARTIFACTS

SHEET_PATH = "/lessons/why-pretrained-models-save-time/sheet/"
# A4's width less the sheet's 12 mm side margins (sheet.css), in CSS pixels (96 to the inch).
PRINTED_WIDTH_PX = round((210 - 2 * 12) / 25.4 * 96)


def squeeze(text: str) -> str:
    """Text without white space (a PDF breaks lines where the page does) and with its ligatures
    spelled out (the PDF's fonts set "fi" as one glyph)."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def test_the_summary_sheet_prints_on_at_most_two_a4_pages(site, page):
    page.goto(site + SHEET_PATH)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS.parent / "summary-sheet.pdf"  # kept to look at: pdftoppm -png -r 60 summary-sheet.pdf page
    page.pdf(path=str(path), format="A4")
    pdf = PdfReader(path)
    assert 1 <= len(pdf.pages) <= 2, f"the sheet prints on {len(pdf.pages)} A4 pages"
    printed = squeeze(" ".join(p.extract_text() for p in pdf.pages))
    mistakes = list(Mistake.objects.all())
    assert len(mistakes) > 30  # the seed lesson's practice bank
    missing = [m.text for m in mistakes if squeeze(m.text) not in printed]
    assert not missing, f"not on the printed sheet: {missing}"
    for figure in ("1000x7x7x512", "512x3=1,536", "1,539", "224/32=7", "(0.485,0.456,0.406)", "(0.229,0.224,0.225)"):
        assert figure in printed, figure
    assert "ModelLab Learn" not in printed and "Open-source learning platform" not in printed  # nav, footer


def test_the_printed_sheet_shows_only_the_sheet_and_cuts_no_line(site, page, screenshot):
    """Laid out as on paper (print media, the printed page's width): the site's navigation,
    footer, breadcrumb and the Print button are hidden, and nothing reaches past the right edge."""
    page.set_viewport_size({"width": PRINTED_WIDTH_PX, "height": 1100})
    page.goto(site + SHEET_PATH)
    page.emulate_media(media="print")
    for hidden in (".site-header", ".site-footer", ".breadcrumb", "button[data-print]"):
        assert not page.locator(hidden).is_visible(), hidden
    assert page.get_by_role("heading", name="Common mistakes and their corrections").is_visible()
    past_the_edge = page.evaluate("""() => [...document.querySelectorAll('main *')]
        .filter(el => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
        .map(el => el.tagName + ' ' + el.textContent.trim().slice(0, 40))""")
    assert past_the_edge == []
    screenshot(page, "summary-sheet-print")


def test_the_print_button_prints(site, page, screenshot):
    """The button is there once its script runs, and opens the browser's print dialog."""
    page.goto(site + SHEET_PATH)
    page.evaluate("window.print = () => { window.__printed = true; }")
    page.get_by_role("button", name="Print or save as PDF").click()
    assert page.evaluate("window.__printed === true")
    facts = page.locator(".sheet-facts > div")
    assert facts.count() == Flashcard.objects.filter(on_sheet=True).count() + 1  # and the training trace
    screenshot(page, "summary-sheet")
