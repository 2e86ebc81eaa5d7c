"""Permission-matrix cases of the work app (goals and tasks)."""

from __future__ import annotations

import itertools

from kehu.work import services as work_services
from tests.permissions import cases_work_templates  # noqa: F401 - registers the templates
from tests.permissions.harness import EXEMPT, ModelCase, register

_n = itertools.count(1)

register(
    ModelCase(
        record_type="task",
        make=lambda owner: work_services.create_task(
            actor=owner, title=f"矩阵任务{next(_n):04d}", responsible=owner
        ),
        label=lambda t: t.title,
        list_url="/work/tasks/",
        create_url="/work/tasks/new/",
        detail_url=lambda t: f"/work/tasks/{t.pk}/",
        edit_url=lambda t: f"/work/tasks/{t.pk}/edit/",
        history_url=lambda t: f"/work/tasks/{t.pk}/history/",
        api_list="/api/v1/tasks",
        api_item=lambda t: f"/api/v1/tasks/{t.pk}",
        api_create={"title": "矩阵新任务"},
        api_patch={"description": "矩阵改过"},
        routes={
            "work:tasks",
            "work:task_create",
            "work:task",
            "work:task_edit",
            "work:task_history",
            # Actions on one task: fetched with the same scoped selector as the detail page
            # ("view" to comment and download, "change" for the rest); tests/work/test_pages.py.
            "work:task_comment",
            "work:task_checklist",
            "work:task_dependency",
            "work:task_attachment",
            "workviews:reassign",  # "could take this": the same "change" fetch (test_views_pages)
            "work:attachment_download",
            "GET /api/v1/tasks",
            "POST /api/v1/tasks",
            "GET /api/v1/tasks/{task_id}",
            "PATCH /api/v1/tasks/{task_id}",
            "DELETE /api/v1/tasks/{task_id}",
            # Sub-resources: the same scoped fetch of the task (tests/work/test_api.py).
            "POST /api/v1/tasks/{task_id}/move",
            "GET /api/v1/tasks/{task_id}/checklist",
            "POST /api/v1/tasks/{task_id}/checklist",
            "PATCH /api/v1/tasks/{task_id}/checklist/{item_id}",
            "DELETE /api/v1/tasks/{task_id}/checklist/{item_id}",
            "GET /api/v1/tasks/{task_id}/comments",
            "POST /api/v1/tasks/{task_id}/comments",
            "POST /api/v1/tasks/{task_id}/dependencies",
            "DELETE /api/v1/tasks/{task_id}/dependencies/{depends_on_id}",
        },
    )
)

register(
    ModelCase(
        record_type="goal",
        make=lambda owner: work_services.create_goal(
            actor=owner, title=f"矩阵目标{next(_n):04d}", owner=owner
        ),
        label=lambda g: g.title,
        list_url="/work/goals/",
        create_url="/work/goals/new/",
        detail_url=lambda g: f"/work/goals/{g.pk}/",
        edit_url=lambda g: f"/work/goals/{g.pk}/edit/",
        history_url=lambda g: f"/work/goals/{g.pk}/history/",
        api_list="/api/v1/goals",
        api_item=lambda g: f"/api/v1/goals/{g.pk}",
        api_create={"title": "矩阵新目标"},
        api_patch={"metric": "满意度 ≥ 4.6"},
        routes={
            "work:goals",
            "work:goal_create",
            "work:goal",
            "work:goal_edit",
            "work:goal_history",
            "work:goal_save_template",
            "GET /api/v1/goals",
            "POST /api/v1/goals",
            "GET /api/v1/goals/{goal_id}",
            "PATCH /api/v1/goals/{goal_id}",
            "DELETE /api/v1/goals/{goal_id}",
        },
    )
)

EXEMPT.update(
    {
        "work:review": "reads tasks and goals through the scoped selectors; writing needs "
        "goal.change (tests/work/test_pages.py)",
        "work:proposals": "the feedback box: everyone may submit; lists are limited by "
        "reviews.proposals_for (tests/work/test_pages.py)",
        "work:proposal_respond": "needs goal.change (tests/work/test_pages.py)",
        "GET /api/v1/work/proposals": "limited by reviews.proposals_for (tests/work/test_api.py)",
        "POST /api/v1/work/proposals": "everyone may submit a proposal",
        "PATCH /api/v1/work/proposals/{proposal_id}": "needs goal.change (tests/work/test_api.py)",
    }
)
