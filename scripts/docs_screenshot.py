"""Screenshot of a `decompose graph` HTML page for the docs, in headless Chromium (Playwright).

Usage::

    .venv/bin/python scripts/docs_screenshot.py PAGE.html OUT.png [--search orders]

Opens the page, types the search term and presses Enter (which selects the
node and fills the evidence panel), fits the graph to the window and takes a
screenshot. Fails, without writing OUT.png, if the page logs an error, the
search finds nothing, or the panel stays empty: the picture must show the page
being used.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


# Fit the graph, then move it up into the free space above so the legend (bottom left) hides no node.
FIT_CLEAR_OF_LEGEND = """() => {
  const cy = window.decompose.cy;
  cy.fit(undefined, 24);
  const top = document.getElementById("cy").getBoundingClientRect().top;
  const legend = document.getElementById("legend").getBoundingClientRect();
  const hidden = cy.nodes().filter(n => {
    const b = n.renderedBoundingBox();
    return b.x1 < legend.right && b.y2 + top > legend.top;
  });
  if (hidden.empty()) return;
  const overlap = Math.max(...hidden.map(n => n.renderedBoundingBox().y2 + top - legend.top)) + 8;
  const room = cy.elements().renderedBoundingBox().y1 - 8;
  if (overlap <= room) { cy.panBy({ x: 0, y: -overlap }); return; }
  cy.panBy({ x: 0, y: -room });
  const z = cy.zoom() * (legend.top - top - 16) / (legend.top - top - 16 + overlap - room);
  cy.zoom({ level: z, renderedPosition: { x: cy.width() / 2, y: 8 } });
}"""


def screenshot(page_path: Path, out: Path, *, search: str, width: int = 1440, height: int = 820) -> dict[str, object]:
    """Take the screenshot; returns what the page showed (for the caller to print)."""
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height}, device_scale_factor=1)
            page.on("console", lambda m: problems.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
            page.goto(page_path.resolve().as_uri())
            page.wait_for_function("window.decompose && window.decompose.ready === true", timeout=60_000)
            page.fill("#search", search)
            page.press("#search", "Enter")
            page.wait_for_timeout(400)  # the centring animation
            page.evaluate(FIT_CLEAR_OF_LEGEND)
            page.wait_for_timeout(200)
            found = page.inner_text("#search-count")
            selected = page.evaluate("window.decompose.state.selected && window.decompose.state.selected.id()")
            deps = page.locator("#deps li.edge").count()
            rdeps = page.locator("#rdeps li.edge").count()
            evidence = page.locator("#panel li.ev").count()
            if problems:
                raise SystemExit("the page reported errors: " + "; ".join(problems))
            if not selected or not evidence or not page.locator("#legend").is_visible():
                raise SystemExit(f"search {search!r} selected {selected!r} with {evidence} evidence lines: nothing to show")
            out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(out))
        finally:
            browser.close()
    return {"search": search, "found": found, "selected": selected, "depends_on": deps, "used_by": rdeps, "evidence_lines": evidence}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("page", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--search", default="orders")
    args = ap.parse_args(argv)
    shown = screenshot(args.page, args.out, search=args.search)
    print(f"wrote {args.out}: " + ", ".join(f"{k} {v}" for k, v in shown.items()), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
