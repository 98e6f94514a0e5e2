"""What every portal form shares (docs/portal.md, "Contributing through the portal"): the values a
person posted, kept to fill the form again; and a mutation's `userErrors` placed next to the fields
they name.

A form's inputs are named after the GraphQL input they fill, the path without its leading `input`
joined with dots: `title`, `newStudy.title`, `findings.0.effectDirection`. So an error's `field`
path is, most of the time, the name of its input already; a form whose inputs are laid out otherwise
(empty finding fieldsets skipped, say) passes `rename` to turn the mutation's name into its own.
An error whose path names no input of the form goes into the summary at the top, linked to the
nearest input under it when there is one."""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from starlette.requests import Request

from api.core.pages import CSRF_FIELD

SUMMARY_ID = "error-summary"


def field_id(name: str) -> str:
    """The HTML id of the input called `name` (dots make awkward ids and CSS selectors); templates/forms.html
    makes the same."""
    return "field-" + name.replace(".", "-")


def error_id(name: str) -> str:
    """The id of the message under the input called `name`, which its `aria-describedby` names."""
    return field_id(name) + "-error"


def path_name(path: Iterable[str | int]) -> str:
    """`["input", "findings", 0, "effectDirection"]` → `findings.0.effectDirection`."""
    parts = [str(part) for part in path]
    if parts and parts[0] == "input":
        parts = parts[1:]
    return ".".join(parts)


@dataclass(frozen=True)
class SummaryItem:
    message: str
    target: str | None = None  # the input's name to link to, when the error concerns one


@dataclass
class FormErrors:
    """Messages by input name, and those for the summary at the top (every error is in the summary;
    those naming an input are also under it)."""

    by_field: dict[str, list[str]] = field(default_factory=dict)
    summary: list[SummaryItem] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.summary)

    def of(self, name: str) -> list[str]:
        return self.by_field.get(name, [])

    def add(self, name: str | None, message: str) -> None:
        """An error of the portal's own (a date it could not read, say), as a mutation's would be."""
        if name is not None:
            self.by_field.setdefault(name, []).append(message)
        self.summary.append(SummaryItem(message, name))


def errors_by_field(
    user_errors: Iterable[Mapping],
    visible: Iterable[str],
    rename: Callable[[str], str | None] | None = None,
) -> FormErrors:
    """Place each `userError` (`field`, `message`) by the input of `visible` its path names: the
    input itself, else the first visible input under that path (an error about `newStudy` as a
    whole goes by its first field); none of them, only the summary."""
    names = list(visible)
    known = set(names)
    errors = FormErrors()
    for error in user_errors:
        name = path_name(error.get("field") or [])
        if rename is not None and name:
            name = rename(name)
        message = str(error.get("message") or "")
        if name and name in known:
            errors.add(name, message)
            continue
        under = next((n for n in names if name and n.startswith(name + ".")), None)
        errors.summary.append(SummaryItem(message, under))
    return errors


class Form:
    """The fields a person posted, every value of each (a multiple choice sends several), so the
    page can be filled again with exactly what they typed."""

    def __init__(self, values: Mapping[str, list[str]] | None = None) -> None:
        self.values: dict[str, list[str]] = {k: list(v) for k, v in (values or {}).items()}

    @classmethod
    async def posted(cls, request: Request) -> "Form":
        form = await request.form()
        values: dict[str, list[str]] = {}
        for key, value in form.multi_items():
            if isinstance(value, str):
                values.setdefault(key, []).append(value)
        return cls(values)

    @classmethod
    def filled(cls, values: Mapping[str, object]) -> "Form":
        """A form filled from a record: lists become several values, None an empty field."""
        out: dict[str, list[str]] = {}
        for key, value in values.items():
            if value is None:
                continue
            if isinstance(value, (list, tuple)):
                out[key] = [str(v) for v in value]
            elif isinstance(value, bool):
                out[key] = ["true" if value else "false"]
            else:
                out[key] = [str(value)]
        return cls(out)

    def get(self, name: str, default: str = "") -> str:
        found = self.values.get(name)
        return found[-1] if found else default

    def text(self, name: str) -> str | None:
        """The field stripped, or None when it is empty (an optional field left blank)."""
        value = self.get(name).strip()
        return value or None

    def getlist(self, name: str) -> list[str]:
        return [v for v in self.values.get(name, []) if v != ""]

    def has(self, name: str, value: str) -> bool:
        """Whether `value` is among the field's values (a selected option, a ticked box)."""
        return value in self.values.get(name, [])

    def single(self) -> dict[str, str]:
        """The last value of each field, as signin.form_problem reads the CSRF token."""
        return {k: v[-1] for k, v in self.values.items() if v}

    @property
    def csrf(self) -> str:
        return self.get(CSRF_FIELD)
