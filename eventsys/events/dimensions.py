"""The six Smart City dimensions of the Gerakan Menuju 100 Smart City, shared by exhibition booths and award categories."""
from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l

from eventsys.core.db import string_enum


class Dimension(enum.StrEnum):
    GOVERNANCE = "governance"
    BRANDING = "branding"
    ECONOMY = "economy"
    LIVING = "living"
    SOCIETY = "society"
    ENVIRONMENT = "environment"


# The programme's own names; they are English words in Indonesian use too, so both catalogs keep them.
DIMENSION_LABELS = {
    Dimension.GOVERNANCE: _l("Smart Governance"),
    Dimension.BRANDING: _l("Smart Branding"),
    Dimension.ECONOMY: _l("Smart Economy"),
    Dimension.LIVING: _l("Smart Living"),
    Dimension.SOCIETY: _l("Smart Society"),
    Dimension.ENVIRONMENT: _l("Smart Environment"),
}

dimension_enum = string_enum(Dimension, "smart_dimension", length=20)


def dimension_choices() -> list[tuple[str, str]]:
    return [(d.value, str(DIMENSION_LABELS[d])) for d in Dimension]
