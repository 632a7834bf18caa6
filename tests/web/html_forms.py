"""Read a page's form the way a browser submits it: inputs, checked boxes, selected options."""

from __future__ import annotations

from html.parser import HTMLParser


class _FormReader(HTMLParser):
    def __init__(self, form_id: str) -> None:
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.fields: dict[str, str] = {}
        self.labels: set[str] = set()
        self.ids: list[str] = []
        self._select: str | None = None
        self._first_option: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("id") == self.form_id:
            self.inside = True
        if tag == "label" and "for" in a:
            self.labels.add(a["for"])
        if not self.inside:
            return
        if tag in ("input", "select", "textarea") and a.get("type") != "hidden" and "id" in a:
            self.ids.append(a["id"])
        name = a.get("name")
        if tag == "input" and name and "disabled" not in a:
            if a.get("type") in ("checkbox", "radio"):
                if "checked" in a:
                    self.fields[name] = a.get("value", "on")
            elif a.get("type") != "submit":
                self.fields[name] = a.get("value", "")
        elif tag == "select" and name:
            self._select, self._first_option = name, None
        elif tag == "option" and self._select:
            value = a.get("value", "")
            if self._first_option is None:
                self._first_option = value
            if "selected" in a:
                self.fields[self._select] = value
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields[name] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select" and self._select:
            self.fields.setdefault(self._select, self._first_option or "")
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.fields[self._textarea] += data


def form_fields(html: str, form_id: str = "wizard-form") -> dict[str, str]:
    """What submitting the form unchanged would send (without the button's action)."""
    reader = _FormReader(form_id)
    reader.feed(html)
    return reader.fields


def unlabelled_inputs(html: str, form_id: str = "wizard-form") -> list[str]:
    """Ids of the form's visible inputs that no ``<label for>`` names."""
    reader = _FormReader(form_id)
    reader.feed(html)
    return [i for i in reader.ids if i not in reader.labels]
