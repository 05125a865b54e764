"""The answer checks, by the name ``assistant.config.CHECKS`` lists them under.

Adding a check: one module here with a class whose instances return a notice or None
(``checks.protocol.AnswerCheck``), one line below, one name in ``config.CHECKS``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from assistant.answer.checks.amounts import AmountCheck
from assistant.answer.checks.key_terms import KeyTermCheck
from assistant.answer.checks.ordinals import OrdinalCheck
from assistant.answer.checks.protocol import CheckFactory

CHECKS: Mapping[str, CheckFactory] = MappingProxyType(
    {"key_terms": KeyTermCheck, "amounts": AmountCheck, "ordinals": OrdinalCheck}
)
