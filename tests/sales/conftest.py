"""Sales fixtures: the shipped pipeline and deals made through the real services."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

_n = itertools.count(1)


@pytest.fixture
def pipeline(db: Any) -> Any:
    from kehu.sales.defaults import install_default_pipeline
    from kehu.sales.models import Pipeline, Stage

    return install_default_pipeline(Pipeline, Stage)


@pytest.fixture
def stages(pipeline: Any) -> dict[str, Any]:
    """The shipped stages by English name: Lead, Follow-up, Negotiation, Signed, Lost."""
    return {s.name_en: s for s in pipeline.stages.all()}


@pytest.fixture
def make_deal(pipeline: Any, make_customer: Any) -> Any:
    from kehu.sales import services

    def make(owner: Any, *, customer: Any = None, stage: Any = None, **fields: Any) -> Any:
        customer = customer or make_customer(owner)
        fields.setdefault("title", f"商机{next(_n):04d}")
        return services.create_deal(
            actor=owner, customer=customer, owner=owner, stage=stage, **fields
        )

    return make


@pytest.fixture
def director(make_user: Any) -> Any:
    return make_user("director", display_name="周总", roles=("sales_director",))
