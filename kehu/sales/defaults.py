"""The pipeline Kehu ships: seed 003's sales flow, lead acquisition → follow-up → negotiation →
signing, plus a lost stage. Stage names are stored in Chinese with the English name beside them
(administrators edit both); time limits are in the working calendar's terms."""

from __future__ import annotations

from typing import Any

STAGES = (
    # name, English, kind, probability, colour, limit, unit
    ("线索获取", "Lead", "open", 10, "slate", 2, "working_days"),
    ("跟进", "Follow-up", "open", 30, "blue", 7, "working_days"),
    ("谈判", "Negotiation", "open", 60, "amber", 14, "working_days"),
    ("签约", "Signed", "won", 100, "green", None, "working_days"),
    ("输单", "Lost", "lost", 0, "red", None, "working_days"),
)


def install_default_pipeline(pipeline_model: Any, stage_model: Any) -> Any:
    """Create the shipped pipeline unless one exists (takes models, for data migrations)."""
    existing = pipeline_model.objects.first()
    if existing is not None:
        return existing
    pipeline = pipeline_model.objects.create(
        name="销售流程", name_en="Sales pipeline", is_default=True, currency="CNY"
    )
    for position, (name, name_en, kind, probability, color, limit, unit) in enumerate(
        STAGES, start=1
    ):
        stage_model.objects.create(
            pipeline=pipeline,
            name=name,
            name_en=name_en,
            kind=kind,
            probability=probability,
            color=color,
            position=position,
            time_limit=limit,
            time_limit_unit=unit,
        )
    return pipeline
