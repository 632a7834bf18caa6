"""A small, valid PDF of a sales form, written by hand (no PDF library needed).

QBO answers ``GET /invoice/<id>/pdf`` with the form as a PDF (facts §4.1). The emulator's PDF is
one A4/Letter-agnostic page in Helvetica with the number, dates, customer, each line, tax and
total: enough for a client to store or attach, and for a test to check what it says. The file is
PDF 1.4 with a correct cross-reference table, so any reader opens it.
"""

from __future__ import annotations

from . import lines as line_types

_PAGE_WIDTH, _PAGE_HEIGHT = 612, 792  # US Letter, points


def _escape(text: str) -> bytes:
    """A PDF literal string body: Latin-1 (others become ?), with \\ ( ) escaped."""
    raw = text.encode("latin-1", errors="replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _money(value: object) -> str:
    try:
        return f"{float(value):,.2f}"
    except (TypeError, ValueError):
        return str(value)


def form_lines(company_name: str, title: str, form: dict) -> list[tuple[int, str]]:
    """(font size, text) for each printed row, top to bottom."""
    customer = (form.get("CustomerRef") or {}).get("name") or (form.get("CustomerRef") or {}).get(
        "value", ""
    )
    rows: list[tuple[int, str]] = [
        (18, company_name),
        (14, f"{title} {form.get('DocNumber') or form.get('Id', '')}"),
        (10, f"Date: {form.get('TxnDate', '')}"),
    ]
    if form.get("DueDate"):
        rows.append((10, f"Due date: {form['DueDate']}"))
    rows += [(10, f"Bill to: {customer}"), (10, ""), (11, "Description / Qty / Rate / Amount")]
    for line in form.get("Line", []):
        if line.get("DetailType") == line_types.SUBTOTAL:
            rows.append((10, f"Subtotal: {_money(line.get('Amount', 0))}"))
            continue
        detail = line.get(line_types.SALES) or {}
        name = line.get("Description") or (detail.get("ItemRef") or {}).get("name", "")
        qty = detail.get("Qty", "")
        rate = _money(detail["UnitPrice"]) if "UnitPrice" in detail else ""
        rows.append((10, f"{name} / {qty} / {rate} / {_money(line.get('Amount', 0))}"))
    tax = (form.get("TxnTaxDetail") or {}).get("TotalTax", 0)
    rows += [
        (10, f"Tax: {_money(tax)}"),
        (12, f"Total: {_money(form.get('TotalAmt', 0))}"),
    ]
    if "Balance" in form:
        rows.append((12, f"Balance due: {_money(form['Balance'])}"))
    if (form.get("CustomerMemo") or {}).get("value"):
        rows.append((10, str(form["CustomerMemo"]["value"])))
    return rows


def render(company_name: str, title: str, form: dict) -> bytes:
    """The PDF document of ``form`` (an Invoice or SalesReceipt object)."""
    content = bytearray(b"BT\n")
    y = _PAGE_HEIGHT - 60
    for size, text in form_lines(company_name, title, form):
        content += b"/F1 %d Tf 1 0 0 1 50 %d Tm (" % (size, y) + _escape(text) + b") Tj\n"
        y -= size + 8
        if y < 40:
            break
    content += b"ET\n"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>" % (_PAGE_WIDTH, _PAGE_HEIGHT),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(content) + bytes(content) + b"endstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref_at,
    )
    return bytes(out)
