"""Jinja's immutable sandbox for the collection's templates, with its attribute check remembered.

Templates come from pull requests, so they render in :class:`jinja2.sandbox.ImmutableSandboxedEnvironment`
(no ``__globals__`` or other internals, no changing values). The sandbox checks every attribute a template
reads; the check's isinstance tests made the article page's render about 1.8 times as slow
(docs/performance.md). Its answer depends only on the object's type and the attribute's name (Jinja 3.1.6:
``is_internal_attribute`` and ``modifies_known_mutable`` test the type; the value is not used), so it is
computed once per (type, name), and an attribute read again is returned without the library's steps when
that answer is yes (a method still goes through ``wrap_str_format``, which wraps ``str.format``, as there).
tests/test_templates.py compares the remembered answers, and what a template reads, with the library's.
A summary's fields that only code-made files read (:data:`apparatus.site.HIDDEN`) are refused too.
"""

from __future__ import annotations

import types
from typing import Any

from jinja2.sandbox import ImmutableSandboxedEnvironment

from .site import HIDDEN


class Sandbox(ImmutableSandboxedEnvironment):
    def __init__(self, **options: Any):
        super().__init__(**options)
        self._safe: dict[tuple[type, str], bool] = {}  # as many as the templates' attribute names allow

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        key = (type(obj), attr)
        safe = self._safe.get(key)
        if safe is None:
            safe = self._safe[key] = (attr not in HIDDEN.get(type(obj), ())
                                      and super().is_safe_attribute(obj, attr, value))
        return safe

    def getattr(self, obj: Any, attribute: str) -> Any:
        """The library's getattr (jinja2 3.1.6), its safety check answered from the table when it has the answer."""
        if not self._safe.get((type(obj), attribute)):  # not known to be safe for its type: the library's steps
            return super().getattr(obj, attribute)
        try:
            value = getattr(obj, attribute)
        except AttributeError:  # (not an attribute of this one: the library's steps, which try obj[attribute])
            return super().getattr(obj, attribute)
        if isinstance(value, _METHODS):  # str.format and format_map are wrapped, as the library does
            fmt = self.wrap_str_format(value)
            return value if fmt is None else fmt
        return value


_METHODS = (types.MethodType, types.BuiltinMethodType)  # what the library's getattr may wrap (wrap_str_format)
